//! The matching engine against the seeded market: placement (duplicate id, balance, LIMIT_MAKER
//! and stop-trigger rejections, immediate execution walking the book), and lazy settlement of
//! resting orders and stops from the synthetic trade tape on every signed request.
//!
//! The seeded book is not depleted by the account's own fills, and the account's orders never
//! match each other (so self-trade prevention never fires). A resting BUY fills at its price,
//! as maker, when a trade prints below it or the best ask reaches it (SELL symmetrically).
//! Stops trigger on the last trade price as documented; trailing stops track the best price
//! since the stop was reached (or since placement without `stopPrice`).

use rand::Rng;
use rand::distr::Alphanumeric;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::candles::window_stats;
use super::error::ApiError;
use super::exchange::{Exchange, Ledger};
use super::market::{Instrument, Market};
use super::order_count::OrderLimits;
use super::order_model::{Order, OrderType, Side, Status, TimeInForce, Trail};
use super::order_params::NewOrder;
use super::order_rules::lot_ok;
use super::wire::floor_to_step;

/// Levels per side the engine walks.
const DEPTH: usize = 5000;
/// Trades replayed per symbol at most, and how far back (ms).
const MAX_TAPE: usize = 20_000;
const MAX_LOOKBACK_MS: i64 = 3_600_000;

/// The last trade price (as `ticker/price`), or the best bid before any trade.
pub fn last_price(market: &Market, inst: &Instrument, now_ms: i64) -> Decimal {
    market
        .last_trade_at_or_before(inst, now_ms)
        .map_or_else(|| market.best_bid(inst, now_ms), |id| market.trade(inst, id).price)
}

/// The filters' reference price: the volume-weighted average over `avgPriceMins` (as `avgPrice`).
pub fn reference_price(market: &Market, inst: &Instrument, now_ms: i64) -> Decimal {
    let mins = i64::from(inst.spec.percent_price_by_side.avg_price_mins);
    let stats = window_stats(market, inst, now_ms - mins * 60_000, now_ms, 64);
    if stats.count == 0 {
        stats.close
    } else {
        stats.weighted_avg_price()
    }
}

/// A 22-character alphanumeric id, like Binance's generated client order ids.
pub fn generate_client_order_id() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(22)
        .map(char::from)
        .collect()
}

/// Fills a taker order on `side` would get at `t_ms`: book levels best first, up to `limit`
/// (if any), until `qty` is filled or the book runs out.
fn taker_fills(
    market: &Market,
    inst: &Instrument,
    side: Side,
    t_ms: i64,
    limit: Option<Decimal>,
    qty: Decimal,
) -> Vec<(Decimal, Decimal)> {
    let within = |price: Decimal| {
        limit.is_none_or(|l| match side {
            Side::Buy => price <= l,
            Side::Sell => price >= l,
        })
    };
    let mut depth = match limit {
        // Only the levels between the best price and the limit can cross.
        Some(l) => {
            let best = match side {
                Side::Buy => market.best_ask(inst, t_ms),
                Side::Sell => market.best_bid(inst, t_ms),
            };
            if !within(best) {
                return Vec::new();
            }
            let ticks = ((l - best).abs() / inst.spec.price_filter.tick_size).trunc();
            ticks.to_usize().map_or(DEPTH, |t| t.saturating_add(1).min(DEPTH))
        }
        None => 256,
    };
    loop {
        let mut remaining = qty;
        let mut fills = Vec::new();
        for (price, level_qty) in opposite_levels(market, inst, side, t_ms, depth) {
            if remaining.is_zero() || !within(price) {
                break;
            }
            let take = level_qty.min(remaining);
            fills.push((price, take));
            remaining -= take;
        }
        if remaining.is_zero() || depth >= DEPTH || fills.len() < depth {
            return fills;
        }
        depth = DEPTH;
    }
}

/// Fills of a `quoteOrderQty` MARKET order: a BUY spends at most `quote`; a SELL takes the
/// quantity whose notional is closest to `quote`; both in multiples of the LOT_SIZE step.
fn quote_fills(market: &Market, inst: &Instrument, side: Side, t_ms: i64, quote: Decimal) -> Vec<(Decimal, Decimal)> {
    let step = inst.spec.lot_size.step_size;
    let mut remaining = quote;
    let mut fills = Vec::new();
    for (price, level_qty) in opposite_levels(market, inst, side, t_ms, DEPTH) {
        if price * level_qty <= remaining {
            fills.push((price, level_qty));
            remaining -= price * level_qty;
            continue;
        }
        let mut take = floor_to_step(remaining / price, step);
        let left = remaining - take * price;
        if side == Side::Sell && step * price - left < left {
            take += step;
        }
        if !take.is_zero() {
            fills.push((price, take));
        }
        break;
    }
    fills
}

fn opposite_levels(market: &Market, inst: &Instrument, side: Side, t_ms: i64, depth: usize) -> Vec<(Decimal, Decimal)> {
    let book = market.book(inst, t_ms, depth);
    match side {
        Side::Buy => book.asks,
        Side::Sell => book.bids,
    }
}

fn total(fills: &[(Decimal, Decimal)]) -> (Decimal, Decimal) {
    fills
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(q, n), (p, f)| (q + f, n + p * f))
}

/// True when a trade at `price` reaches `stop` in the order's trigger direction.
fn stop_reached(kind: OrderType, side: Side, stop: Decimal, price: Decimal) -> bool {
    if kind.triggers_upward(side) {
        price >= stop
    } else {
        price <= stop
    }
}

impl Exchange {
    /// Places a validated order for `api_key` at `now_ms`: unfilled-order count (429 -1015),
    /// duplicate open `newClientOrderId`, balance, then LIMIT_MAKER / stop rejections (-2010);
    /// executes what crosses and rests the rest. `request.stp_mode` must already be the effective
    /// mode. Returns the order and the (10 s, day) counts.
    pub fn place(
        &mut self,
        api_key: &str,
        market: &Market,
        inst: &Instrument,
        request: &NewOrder,
        now_ms: i64,
        limits: OrderLimits,
    ) -> Result<(Order, (u32, u32)), ApiError> {
        let spec = &inst.spec;
        let (mut ledger, orders) = self
            .split(api_key, now_ms)
            .ok_or_else(|| ApiError::new_order_rejected("This account may not place or cancel orders."))?;
        ledger.order_count.check(now_ms, limits)?;
        let client_order_id = request.client_order_id.clone().unwrap_or_else(generate_client_order_id);
        if orders
            .iter()
            .any(|o| o.status.is_open() && o.client_order_id == client_order_id)
        {
            return Err(ApiError::new_order_rejected("Duplicate order sent."));
        }

        let last = last_price(market, inst, now_ms);
        let kind = request.kind;
        let side = request.side;
        let market_fills = match (kind, request.quote_order_qty, request.quantity) {
            (OrderType::Market, Some(quote), _) => Some(quote_fills(market, inst, side, now_ms, quote)),
            (OrderType::Market, None, Some(qty)) => Some(taker_fills(market, inst, side, now_ms, None, qty)),
            _ => None,
        };
        let quantity = match (&market_fills, request.quote_order_qty, request.quantity) {
            (Some(fills), Some(_), _) => {
                let qty = total(fills).0;
                if qty.is_zero() {
                    return Err(ApiError::new_order_rejected(
                        "Order book liquidity is less than LOT_SIZE filter minimum quantity.",
                    ));
                }
                if !lot_ok(qty, &spec.lot_size) || !lot_ok(qty, &spec.market_lot_size) {
                    return Err(ApiError::filter_failure("LOT_SIZE"));
                }
                qty
            }
            (_, _, Some(qty)) => qty,
            _ => Decimal::ZERO,
        };
        let trail = request.trailing_delta.map(|delta_bips| Trail {
            delta_bips,
            extreme: None,
        });
        let lock_price = match (kind.is_market_like(), request.price, request.stop_price, trail) {
            (false, Some(price), _, _) => price,
            (true, _, Some(stop), _) => stop,
            (true, _, None, Some(t)) => last * (Decimal::ONE + Decimal::new(i64::from(t.delta_bips), 4)),
            _ => Decimal::ZERO,
        };

        let (asset, needed) = match (side, &market_fills) {
            (Side::Buy, Some(fills)) => (&spec.quote_asset, request.quote_order_qty.unwrap_or(total(fills).1)),
            (Side::Buy, None) => (&spec.quote_asset, lock_price * quantity),
            (Side::Sell, _) => (&spec.base_asset, quantity),
        };
        if ledger.free(asset) < needed {
            return Err(ApiError::new_order_rejected(
                "Account has insufficient balance for requested action.",
            ));
        }
        if kind == OrderType::LimitMaker && request.price.is_some_and(|p| crosses(market, inst, side, p, now_ms)) {
            return Err(ApiError::new_order_rejected("Order would immediately match and take."));
        }
        if let Some(stop) = request.stop_price
            && stop_reached(kind, side, stop, last)
        {
            return Err(ApiError::new_order_rejected("Order would trigger immediately."));
        }

        let counts = ledger.order_count.increment(now_ms);
        let mut order = Order {
            symbol: spec.symbol.clone(),
            order_id: ledger.next_order_id(),
            client_order_id,
            side,
            kind,
            time_in_force: request.time_in_force.unwrap_or(TimeInForce::Gtc),
            price: request.price.unwrap_or(Decimal::ZERO),
            orig_qty: quantity,
            executed_qty: Decimal::ZERO,
            cumm_quote_qty: Decimal::ZERO,
            orig_quote_order_qty: request.quote_order_qty.unwrap_or(Decimal::ZERO),
            status: Status::New,
            stop_price: request.stop_price,
            iceberg_qty: request.iceberg_qty,
            trail,
            trailing_time: -1,
            strategy_id: request.strategy_id,
            strategy_type: request.strategy_type,
            stp_mode: request.stp_mode.clone().unwrap_or_default(),
            time: now_ms,
            update_time: now_ms,
            working_time: if kind.is_stop() { -1 } else { now_ms },
            expiry_reason: None,
            fills: Vec::new(),
            locked: Decimal::ZERO,
            lock_price,
            checked_ms: now_ms,
            amendments: 0,
        };
        match (kind, market_fills) {
            (OrderType::Market, Some(fills)) => execute_market(&mut ledger, inst, &mut order, fills, now_ms),
            (OrderType::Limit, _) => {
                ledger.lock_for(spec, &mut order);
                execute_limit(&mut ledger, market, inst, &mut order, now_ms);
            }
            _ => ledger.lock_for(spec, &mut order),
        }
        orders.push(order.clone());
        Ok((order, counts))
    }

    /// Settles `api_key`'s open orders against the trade tape and book up to `now_ms`:
    /// triggers stops, fills resting limits as maker.
    pub fn advance(&mut self, api_key: &str, market: &Market, now_ms: i64) {
        let Some((mut ledger, orders)) = self.split(api_key, now_ms) else {
            return;
        };
        let mut symbols: Vec<String> = orders
            .iter()
            .filter(|o| o.status.is_open())
            .map(|o| o.symbol.clone())
            .collect();
        symbols.sort();
        symbols.dedup();
        for symbol in symbols {
            let Some(inst) = market.instrument(&symbol) else {
                continue;
            };
            let open = |o: &Order| o.status.is_open() && o.symbol == symbol;
            let from = orders
                .iter()
                .filter(|o| open(o))
                .map(|o| o.checked_ms)
                .min()
                .unwrap_or(now_ms);
            let tape = tape(market, inst, from, now_ms);
            for order in orders.iter_mut().filter(|o| open(o)) {
                step_order(&mut ledger, market, inst, order, &tape, now_ms);
            }
        }
    }
}

/// True when a limit `price` on `side` would take liquidity at `t_ms`.
fn crosses(market: &Market, inst: &Instrument, side: Side, price: Decimal, t_ms: i64) -> bool {
    match side {
        Side::Buy => price >= market.best_ask(inst, t_ms),
        Side::Sell => price <= market.best_bid(inst, t_ms),
    }
}

/// Applies MARKET `fills` (taker); a remainder the book could not fill expires.
fn execute_market(
    ledger: &mut Ledger<'_>,
    inst: &Instrument,
    order: &mut Order,
    fills: Vec<(Decimal, Decimal)>,
    t_ms: i64,
) {
    for (price, qty) in fills {
        ledger.fill(&inst.spec, order, price, qty, false, t_ms);
    }
    if order.status.is_open() {
        order.status = Status::Expired;
        order.expiry_reason = Some("INSUFFICIENT_LIQUIDITY");
        order.update_time = t_ms;
    }
}

/// A working limit order meets the book at `t_ms`: takes what crosses (FOK all or nothing,
/// IOC remainder expires, GTC remainder rests with its lock).
fn execute_limit(ledger: &mut Ledger<'_>, market: &Market, inst: &Instrument, order: &mut Order, t_ms: i64) {
    let fills = taker_fills(market, inst, order.side, t_ms, Some(order.price), order.remaining());
    let available = total(&fills).0;
    if order.time_in_force == TimeInForce::Fok && available < order.remaining() {
        expire(ledger, inst, order, "UNFILLED_FOK_ORDER_EXPIRED", t_ms);
        return;
    }
    for (price, qty) in fills {
        ledger.fill(&inst.spec, order, price, qty, false, t_ms);
    }
    if order.time_in_force == TimeInForce::Ioc && order.status.is_open() {
        expire(ledger, inst, order, "UNFILLED_IOC_QUANTITY_EXPIRED", t_ms);
    }
}

fn expire(ledger: &mut Ledger<'_>, inst: &Instrument, order: &mut Order, reason: &'static str, t_ms: i64) {
    ledger.release(&inst.spec, order);
    order.status = Status::Expired;
    order.expiry_reason = Some(reason);
    order.update_time = t_ms;
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

/// Replays the tape after the order's last check, then looks at the current book.
fn step_order(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    order: &mut Order,
    tape: &[(i64, Decimal)],
    now_ms: i64,
) {
    let since = order.checked_ms;
    for &(t, price) in tape.iter().filter(|(t, _)| *t > since) {
        if !order.status.is_open() {
            break;
        }
        if order.is_pending_trigger() {
            if trigger_reached(order, price, t) {
                trigger(ledger, market, inst, order, t);
            }
        } else if through_limit(order, price) {
            let qty = order.remaining();
            ledger.fill(&inst.spec, order, order.price, qty, true, t);
        }
        order.checked_ms = t;
    }
    let resting = order.status.is_open() && !order.is_pending_trigger() && !order.kind.is_market_like();
    if resting && crosses(market, inst, order.side, order.price, now_ms) {
        let qty = order.remaining();
        ledger.fill(&inst.spec, order, order.price, qty, true, now_ms);
    }
    order.checked_ms = now_ms;
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
