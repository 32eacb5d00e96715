//! Lazy settlement of an account's resting orders and stops whenever they are looked at (the
//! signed requests that read or change orders or balances, the User Data Stream pump, the fill
//! hook; see `EmulatorState::settled`): the synthetic trade tape since the orders were last checked is replayed in time order across all
//! the account's orders of a symbol (so when two legs of an OCO could both execute, the earlier
//! event wins), then the current book is met. Order-list rules run as each event happens
//! (see `contingency`).
//!
//! A resting BUY fills at its price, as maker, when a trade prints below it or the best ask
//! reaches it (SELL symmetrically). Stops trigger on the last trade price as documented;
//! trailing stops track the best price since the stop was reached (or since placement without
//! `stopPrice`).

use rust_decimal::Decimal;

use super::contingency;
use super::exchange::{AccountOrders, Exchange, Ledger};
use super::market::{Instrument, Market};
use super::matching::{crosses, execute_limit, execute_market, expire, stop_reached, taker_fills, total};
use super::order_model::{Order, Side};

/// Trades replayed per symbol at most, and how far back (ms).
const MAX_TAPE: usize = 20_000;
const MAX_LOOKBACK_MS: i64 = 3_600_000;

impl Exchange {
    /// Settles `api_key`'s open orders against the trade tape and book up to `now_ms`:
    /// triggers stops, fills resting limits as maker, applies the order-list rules.
    pub fn advance(&mut self, api_key: &str, market: &Market, now_ms: i64) {
        let Some((mut ledger, mut book)) = self.split_orders(api_key, now_ms) else {
            return;
        };
        let mut symbols: Vec<String> = book
            .orders
            .iter()
            .filter(|o| o.status.is_active())
            .map(|o| o.symbol.clone())
            .collect();
        symbols.sort();
        symbols.dedup();
        for symbol in symbols {
            if let Some(inst) = market.instrument(&symbol) {
                settle_symbol(&mut ledger, market, inst, &mut book, now_ms);
            }
        }
    }
}

/// Replays the tape of `inst` for the account's active orders on it, trade by trade, then meets
/// the book at `now_ms`. Legs that go live on the way join the replay from their activation.
fn settle_symbol(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    now_ms: i64,
) {
    let symbol = inst.spec.symbol.as_str();
    let mut watched: Vec<usize> = (0..book.orders.len())
        .filter(|&i| book.orders[i].symbol == symbol && book.orders[i].status.is_active())
        .collect();
    let from = watched
        .iter()
        .map(|&i| book.orders[i].checked_ms)
        .min()
        .unwrap_or(now_ms);
    for (t, price) in tape(market, inst, from, now_ms) {
        let mut k = 0;
        while k < watched.len() {
            let i = watched[k];
            k += 1;
            let order = &book.orders[i];
            if !order.status.is_active() || order.checked_ms >= t {
                continue;
            }
            let activated = on_trade(ledger, market, inst, book, i, t, price);
            book.orders[i].checked_ms = t;
            watched.extend(activated);
        }
    }
    let mut k = 0;
    while k < watched.len() {
        let i = watched[k];
        k += 1;
        let order = &book.orders[i];
        let resting = order.status.is_active() && !order.is_pending_trigger() && !order.kind.is_market_like();
        if resting && crosses(market, inst, order.side, order.price, now_ms) {
            let activated = fill_resting(ledger, market, inst, book, i, now_ms);
            watched.extend(activated);
        }
        book.orders[i].checked_ms = now_ms;
    }
}

/// One trade at `t_ms` meets order `index`: a waiting stop may trigger, a resting limit the
/// trade went through fills. Returns the list legs that went live as a consequence.
fn on_trade(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    index: usize,
    t_ms: i64,
    price: Decimal,
) -> Vec<usize> {
    let order = &mut book.orders[index];
    if order.is_pending_trigger() {
        if !trigger_reached(order, price, t_ms) {
            return Vec::new();
        }
        contingency::before_execution(ledger, &inst.spec, book, index, t_ms);
        trigger(ledger, market, inst, &mut book.orders[index], t_ms);
        contingency::after_change(ledger, market, inst, book, index, t_ms)
    } else if through_limit(order, price) {
        fill_resting(ledger, market, inst, book, index, t_ms)
    } else {
        Vec::new()
    }
}

/// The resting order `index` fills completely at its price, as maker, at `t_ms`, with the
/// order-list rules around it. Returns the list legs that went live.
pub fn fill_resting(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    index: usize,
    t_ms: i64,
) -> Vec<usize> {
    contingency::before_execution(ledger, &inst.spec, book, index, t_ms);
    let order = &mut book.orders[index];
    let qty = order.remaining();
    let price = order.price;
    ledger.fill(&inst.spec, order, price, qty, true, t_ms);
    contingency::after_change(ledger, market, inst, book, index, t_ms)
}

/// (time, price) of the synthetic trades after `from_ms` up to `now_ms` (bounded).
fn tape(market: &Market, inst: &Instrument, from_ms: i64, now_ms: i64) -> Vec<(i64, Decimal)> {
    let start = from_ms.max(now_ms - MAX_LOOKBACK_MS) + 1;
    let first = market.first_trade_at_or_after(inst, start);
    let Some(last) = market.last_trade_at_or_before(inst, now_ms) else {
        return Vec::new();
    };
    if last < first {
        return Vec::new();
    }
    let first = first.max(last.saturating_sub(MAX_TAPE as u64 - 1));
    (first..=last)
        .map(|id| {
            let trade = market.trade(inst, id);
            (trade.time, trade.price)
        })
        .collect()
}

/// A trade strictly through a resting limit: below a BUY, above a SELL.
fn through_limit(order: &Order, price: Decimal) -> bool {
    match order.side {
        Side::Buy => price < order.price,
        Side::Sell => price > order.price,
    }
}

/// Feeds one trade to a waiting stop; true when it triggers. Trailing stops start tracking when
/// the stop price is reached (at once without one) and trigger after `trailingDelta` BIPS
/// against the order's side from the best price seen since.
fn trigger_reached(order: &mut Order, price: Decimal, t_ms: i64) -> bool {
    let stop_hit = order
        .stop_price
        .is_none_or(|stop| stop_reached(order.kind, order.side, stop, price));
    let Some(trail) = order.trail.as_mut() else {
        return stop_hit;
    };
    let Some(extreme) = trail.extreme else {
        if stop_hit {
            trail.extreme = Some(price);
            order.trailing_time = t_ms;
        }
        return false;
    };
    let delta = Decimal::new(i64::from(trail.delta_bips), 4);
    match order.side {
        Side::Buy => {
            trail.extreme = Some(extreme.min(price));
            price >= extreme * (Decimal::ONE + delta)
        }
        Side::Sell => {
            trail.extreme = Some(extreme.max(price));
            price <= extreme * (Decimal::ONE - delta)
        }
    }
}

/// A stop fires at `t_ms`: MARKET-like stops execute against the book at once (expiring when the
/// account can no longer pay), limit stops become working limits at their price.
fn trigger(ledger: &mut Ledger<'_>, market: &Market, inst: &Instrument, order: &mut Order, t_ms: i64) {
    order.working_time = t_ms;
    order.update_time = t_ms;
    if !order.kind.is_market_like() {
        execute_limit(ledger, market, inst, order, t_ms);
        return;
    }
    ledger.release(&inst.spec, order);
    let fills = taker_fills(market, inst, order.side, t_ms, None, order.orig_qty);
    let (qty, cost) = total(&fills);
    let affordable = match order.side {
        Side::Buy => ledger.free(&inst.spec.quote_asset) >= cost,
        Side::Sell => ledger.free(&inst.spec.base_asset) >= qty,
    };
    if affordable {
        execute_market(ledger, inst, order, fills, t_ms);
    } else {
        expire(ledger, inst, order, "REJECTED", t_ms);
    }
}
