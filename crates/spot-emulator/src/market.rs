//! Deterministic synthetic market: prices, trades and the order book as pure functions of
//! (seed, symbol, market time).
//!
//! Market time is server time moved by a fixed shift: an emulator shows the market of
//! [`DEFAULT_MARKET_START_MS`] (or the start it is given) at the moment it starts, so what a
//! test sees depends on its seed and on the time since the emulator started, never on the
//! calendar date it runs on.
//!
//! The mid price is the symbol's base price times `exp` of multi-octave hash-based value noise
//! over time (periods from one second to one week). The best bid is the mid floored to the tick,
//! the best ask one tick above. Trades sit in fixed slots (`trades_per_second` per second since
//! [`GENESIS_MS`]); slot `k` is trade id `k`, with a jittered time inside its slot, a side, a
//! quantity drawn from an exponential law (floored to the step) and the bid or ask of its time.
//!
//! Two pieces of state sit beside the model: the price factors and filter changes of the test
//! hooks (see `market_hooks`), and reference prices an operator set through the
//! `/emulator/reference_price` hook (see `reference`), as Binance's external method 0 does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::symbols::SymbolSpec;

/// First instant of the synthetic market (2017-07-14T02:40:00Z); nothing trades before it.
pub const GENESIS_MS: i64 = 1_500_000_000_000;
const GENESIS_S: i64 = GENESIS_MS / 1000;

/// The market instant an emulator shows when it starts, unless told otherwise:
/// 2026-01-01T00:00:00Z.
pub const DEFAULT_MARKET_START_MS: i64 = 1_767_225_600_000;

/// (period in ms, amplitude of log-price) per noise octave.
const OCTAVES: [(i64, f64); 8] = [
    (1_000, 0.000_15),
    (10_000, 0.000_3),
    (60_000, 0.000_6),
    (300_000, 0.001_2),
    (3_600_000, 0.004),
    (21_600_000, 0.008),
    (86_400_000, 0.02),
    (604_800_000, 0.05),
];

/// One symbol's market model: its spec plus precomputed constants.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// Exchange rules of the symbol.
    pub spec: SymbolSpec,
    key: u64,
    base: f64,
    tick: Decimal,
    tick_f: f64,
    step: Decimal,
    step_f: f64,
    mean_qty_f: f64,
    per_second: i64,
    slot_ms: i64,
}

/// One synthetic trade (`GET /api/v3/trades` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// Trade id (`id`): consecutive per symbol, from 0 at the market genesis (2017-07-14T02:40:00Z).
    pub id: u64,
    /// Price in quote asset, on the tick.
    pub price: Decimal,
    /// Quantity in base asset, on the step.
    pub qty: Decimal,
    /// ms since epoch.
    pub time: i64,
    /// `isBuyerMaker`: true when the trade printed at the bid.
    pub is_buyer_maker: bool,
}

/// An order-book snapshot (`GET /api/v3/depth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Book {
    /// `lastUpdateId`: grows with time.
    pub last_update_id: u64,
    /// Best first, descending prices.
    pub bids: Vec<(Decimal, Decimal)>,
    /// Best first, ascending prices.
    pub asks: Vec<(Decimal, Decimal)>,
}

/// The seeded market over all listed symbols.
#[derive(Debug, Clone)]
pub struct Market {
    seed: u64,
    instruments: Vec<Instrument>,
    /// Market time minus server time, in ms.
    shift_ms: i64,
    /// Price factors and filter changes set by the test hooks (`market_hooks`).
    overrides: std::sync::Arc<super::market_hooks::MarketOverrides>,
    /// Reference prices set by an operator, by symbol (`None`: set to null).
    operator_references: Arc<Mutex<HashMap<String, Option<Decimal>>>>,
}

impl Market {
    /// A market for `specs`, all of whose prices derive from `seed`.
    pub fn new(seed: u64, specs: Vec<SymbolSpec>) -> Self {
        let instruments = specs.into_iter().map(Instrument::new).collect();
        Self {
            seed,
            instruments,
            shift_ms: 0,
            overrides: std::sync::Arc::default(),
            operator_references: Arc::default(),
        }
    }

    /// The reference price an operator set for `symbol`: `Some(Some(p))`, `Some(None)` for a
    /// null one, `None` when no operator set one.
    pub fn operator_reference(&self, symbol: &str) -> Option<Option<Decimal>> {
        let map = self.operator_references.lock().unwrap_or_else(|p| p.into_inner());
        map.get(symbol).copied()
    }

    /// Sets (`Some`) or clears (`None`, back to the symbol's own calculation) an operator's
    /// reference price for `symbol`; `Some(None)` sets it to null.
    pub fn set_operator_reference(&self, symbol: &str, reference: Option<Option<Decimal>>) {
        let mut map = self.operator_references.lock().unwrap_or_else(|p| p.into_inner());
        match reference {
            Some(r) => map.insert(symbol.to_owned(), r),
            None => map.remove(symbol),
        };
    }

    /// A market that shows the prices of market instant `market_start_ms` at server time
    /// `anchor_ms`, and moves on from there as server time passes.
    pub fn anchored(seed: u64, specs: Vec<SymbolSpec>, anchor_ms: i64, market_start_ms: i64) -> Self {
        Self {
            shift_ms: market_start_ms.saturating_sub(anchor_ms),
            ..Self::new(seed, specs)
        }
    }

    /// The symbol's model, if listed.
    pub fn instrument(&self, symbol: &str) -> Option<&Instrument> {
        self.instruments.iter().find(|i| i.spec.symbol == symbol)
    }

    /// Every listed symbol, in listing order.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// What the test hooks changed (price factors, exchangeInfo filters).
    pub fn overrides(&self) -> &super::market_hooks::MarketOverrides {
        &self.overrides
    }

    /// The continuous mid price at `t_ms` (not on the tick grid).
    pub fn mid(&self, inst: &Instrument, t_ms: i64) -> f64 {
        let factor = self.overrides.factor(&inst.spec.symbol, t_ms);
        let t_ms = t_ms.saturating_add(self.shift_ms);
        let log_offset: f64 = OCTAVES
            .iter()
            .enumerate()
            .map(|(octave, &(period, amplitude))| {
                let cell = t_ms.div_euclid(period);
                let frac = t_ms.rem_euclid(period) as f64 / period as f64;
                let a = self.signed_noise(inst, octave as u64, cell);
                let b = self.signed_noise(inst, octave as u64, cell + 1);
                let s = frac * frac * (3.0 - 2.0 * frac);
                amplitude * (a + (b - a) * s)
            })
            .sum();
        inst.base * log_offset.exp() * factor
    }

    /// Best bid at `t_ms`: the mid floored to the tick (at least one tick).
    pub fn best_bid(&self, inst: &Instrument, t_ms: i64) -> Decimal {
        let ticks = (self.mid(inst, t_ms) / inst.tick_f).floor().max(1.0) as i64;
        Decimal::from(ticks) * inst.tick
    }

    /// Best ask at `t_ms`: one tick above the best bid.
    pub fn best_ask(&self, inst: &Instrument, t_ms: i64) -> Decimal {
        self.best_bid(inst, t_ms) + inst.tick
    }

    /// Trade `id` (ids start at 0 at [`GENESIS_MS`] and never skip).
    pub fn trade(&self, inst: &Instrument, id: u64) -> Trade {
        let time = inst.slot_time(self.hash(inst, 0x7261_6465, id), id);
        let is_buyer_maker = self.hash(inst, 0x5349_4445, id) & 1 == 1;
        let price = if is_buyer_maker {
            self.best_bid(inst, time)
        } else {
            self.best_ask(inst, time)
        };
        let draw = unit(self.hash(inst, 0x5154_5900, id));
        let size = (-(1.0 - draw).ln()).clamp(0.02, 12.0) * inst.mean_qty_f;
        Trade {
            id,
            price,
            qty: inst.steps(size),
            time,
            is_buyer_maker,
        }
    }

    /// Id of the first trade at or after `t_ms`.
    pub fn first_trade_at_or_after(&self, inst: &Instrument, t_ms: i64) -> u64 {
        let second = t_ms.div_euclid(1000);
        if second < GENESIS_S {
            return 0;
        }
        let first = inst.first_id_of_second(second);
        (first..first + inst.per_second as u64)
            .find(|&id| self.trade_time(inst, id) >= t_ms)
            .unwrap_or(first + inst.per_second as u64)
    }

    /// Id of the last trade at or before `t_ms`, if any trade happened by then.
    pub fn last_trade_at_or_before(&self, inst: &Instrument, t_ms: i64) -> Option<u64> {
        let second = t_ms.div_euclid(1000);
        if second < GENESIS_S {
            return None;
        }
        let first = inst.first_id_of_second(second);
        (first..first + inst.per_second as u64)
            .rev()
            .find(|&id| self.trade_time(inst, id) <= t_ms)
            .or_else(|| first.checked_sub(1))
    }

    /// The last trade price at `now_ms` (as `ticker/price`), or the best bid before any trade.
    pub fn last_price(&self, inst: &Instrument, now_ms: i64) -> Decimal {
        self.last_trade_at_or_before(inst, now_ms)
            .map_or_else(|| self.best_bid(inst, now_ms), |id| self.trade(inst, id).price)
    }

    /// The order book at `now_ms`: `limit` levels per side (at most the symbol's book depth),
    /// `gap_ticks` apart on the tick grid from the best bid and ask (fewer bids when the grid
    /// reaches `minPrice`), quantities fixed within each second.
    pub fn book(&self, inst: &Instrument, now_ms: i64, limit: usize) -> Book {
        let second = now_ms.div_euclid(1000) as u64;
        let best_bid = self.best_bid(inst, now_ms);
        let best_ask = best_bid + inst.tick;
        let min_price = inst.spec.price_filter.min_price.max(inst.tick);
        let max_price = inst.spec.price_filter.max_price;
        let shape = inst.spec.book;
        let gap = inst.tick * Decimal::from(shape.gap_ticks.max(1));
        let limit = limit.min(shape.levels);
        let bids = (0..limit)
            .map(|i| (best_bid - gap * Decimal::from(i), i))
            .take_while(|(price, _)| *price >= min_price)
            .map(|(price, i)| (price, self.level_qty(inst, 0, i, second)))
            .collect();
        let asks = (0..limit)
            .map(|i| (best_ask + gap * Decimal::from(i), i))
            .take_while(|(price, _)| max_price.is_zero() || *price <= max_price)
            .map(|(price, i)| (price, self.level_qty(inst, 1, i, second)))
            .collect();
        let elapsed = u64::try_from(now_ms - GENESIS_MS).unwrap_or(0);
        Book {
            last_update_id: elapsed * 3 + inst.key % 1000,
            bids,
            asks,
        }
    }

    fn level_qty(&self, inst: &Instrument, side: u64, level: usize, second: u64) -> Decimal {
        let h = self.hash(inst, 0x4c56_0000 + side, mix(level as u64) ^ second);
        let draw = unit(h);
        let depth_factor = 1.0 + level as f64 / 40.0;
        inst.steps(inst.mean_qty_f * (0.2 + 4.0 * draw * draw) * depth_factor)
    }

    fn trade_time(&self, inst: &Instrument, id: u64) -> i64 {
        inst.slot_time(self.hash(inst, 0x7261_6465, id), id)
    }

    fn signed_noise(&self, inst: &Instrument, octave: u64, cell: i64) -> f64 {
        unit(self.hash(inst, octave, cell as u64)) * 2.0 - 1.0
    }

    fn hash(&self, inst: &Instrument, salt: u64, value: u64) -> u64 {
        mix(mix(mix(self.seed ^ inst.key) ^ salt) ^ value)
    }
}

impl Instrument {
    fn new(spec: SymbolSpec) -> Self {
        let tick = spec.price_filter.tick_size;
        let step = spec.lot_size.step_size;
        let per_second = i64::from(spec.trades_per_second.clamp(1, 1000));
        Self {
            key: fnv1a(spec.symbol.as_bytes()),
            base: spec.base_price.to_f64().unwrap_or(1.0),
            tick,
            tick_f: tick.to_f64().unwrap_or(0.01),
            step,
            step_f: step.to_f64().unwrap_or(1.0),
            mean_qty_f: spec.mean_trade_qty.to_f64().unwrap_or(1.0),
            per_second,
            slot_ms: 1000 / per_second,
            spec,
        }
    }

    /// Step size of quantities.
    pub fn step(&self) -> Decimal {
        self.step
    }

    fn first_id_of_second(&self, second: i64) -> u64 {
        u64::try_from((second - GENESIS_S) * self.per_second).unwrap_or(0)
    }

    fn slot_time(&self, jitter_hash: u64, id: u64) -> i64 {
        let per_second = self.per_second as u64;
        let second = GENESIS_S + (id / per_second) as i64;
        let slot = (id % per_second) as i64;
        let jitter = (jitter_hash % self.slot_ms as u64) as i64;
        second * 1000 + slot * self.slot_ms + jitter
    }

    /// `size` floored to the step, at least one step.
    fn steps(&self, size: f64) -> Decimal {
        let steps = (size / self.step_f).floor().max(1.0) as i64;
        Decimal::from(steps) * self.step
    }
}

/// splitmix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |acc, &b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    const T: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn market(seed: u64) -> Market {
        Market::new(seed, default_symbols())
    }

    #[test]
    fn prices_are_a_pure_function_of_seed_symbol_and_time() {
        let (a, b, c) = (market(7), market(7), market(8));
        let btc = |m: &Market| m.instrument("BTCUSDT").unwrap().clone();
        for t in [T, T + 1, T + 59_999, T + 86_400_000] {
            assert_eq!(a.best_bid(&btc(&a), t), b.best_bid(&btc(&b), t));
        }
        assert_ne!(a.mid(&btc(&a), T), c.mid(&btc(&c), T));
    }

    #[test]
    fn an_anchored_market_shows_the_same_prices_whatever_the_date_it_starts() {
        let specs = default_symbols;
        let day = 86_400_000;
        // Started on 2026-01-01 and on 2027-06-30: the same prices at the same time since start.
        let (jan, jun) = (T, T + 545 * day);
        let a = Market::anchored(7, specs(), jan, DEFAULT_MARKET_START_MS);
        let b = Market::anchored(7, specs(), jun, DEFAULT_MARKET_START_MS);
        let inst = a.instrument("BTCUSDT").unwrap().clone();
        for elapsed in [0, 1, 999, 60_000, 3_600_000, 40 * day] {
            assert_eq!(a.best_bid(&inst, jan + elapsed), b.best_bid(&inst, jun + elapsed));
        }
        // Another market start is another market.
        let c = Market::anchored(7, specs(), jan, DEFAULT_MARKET_START_MS + 200 * day);
        assert_ne!(a.mid(&inst, jan), c.mid(&inst, jan));
    }

    #[test]
    fn prices_stay_near_the_base_price_and_on_the_tick() {
        let m = market(1);
        for inst in m.instruments() {
            let base = inst.spec.base_price.to_f64().unwrap();
            for k in 0..200 {
                let t = T + k * 3_600_000;
                let bid = m.best_bid(inst, t);
                let ratio = bid.to_f64().unwrap() / base;
                assert!((0.8..1.25).contains(&ratio), "{} {ratio}", inst.spec.symbol);
                assert!((bid % inst.spec.price_filter.tick_size).is_zero());
            }
        }
    }

    #[test]
    fn trade_ids_and_times_increase_together() {
        let m = market(3);
        let inst = m.instrument("BTCUSDT").unwrap();
        let last = m.last_trade_at_or_before(inst, T).unwrap();
        let mut previous = m.trade(inst, last - 50);
        for id in last - 49..=last {
            let trade = m.trade(inst, id);
            assert!(trade.time > previous.time);
            assert!(trade.time <= T);
            assert!((trade.qty % inst.step()).is_zero() && trade.qty > Decimal::ZERO);
            previous = trade;
        }
        assert!(m.trade(inst, last + 1).time > T);
        assert_eq!(m.first_trade_at_or_after(inst, T + 1), last + 1);
    }

    #[test]
    fn book_is_ordered_and_on_the_tick() {
        let m = market(5);
        let inst = m.instrument("ETHBTC").unwrap();
        let book = m.book(inst, T, 5000);
        assert!(book.bids[0].0 < book.asks[0].0);
        assert!(book.bids.windows(2).all(|w| w[0].0 > w[1].0));
        assert!(book.asks.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(book.bids.last().unwrap().0 >= inst.spec.price_filter.tick_size);
        assert_eq!(book.asks.len(), 5000);
        assert!(m.book(inst, T + 10, 1).last_update_id > book.last_update_id);
    }
}
