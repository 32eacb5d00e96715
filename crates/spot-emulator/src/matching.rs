//! The matching engine against the seeded market: placement (duplicate id, balance, LIMIT_MAKER
//! and stop-trigger rejections, immediate execution walking the book) and the executions the
//! rest of the engine shares (MARKET and LIMIT against the book, expiry; every taker walk obeys
//! the Price Range Execution Rule, see `execution_rules`). Resting orders and stops are settled
//! later from the trade tape (see `settlement`).
//!
//! The seeded book is not depleted by the account's own fills, and the account's orders never
//! match each other (so self-trade prevention never fires).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::error::ApiError;
use super::exchange::{Exchange, Ledger};
use super::execution_rules::{PRICE_RANGE_EXCEEDED, TakerFills, within_range};
use super::market::{Instrument, Market};
use super::order_count::OrderLimits;
use super::order_model::{Order, OrderType, Side, Status, TimeInForce, Trail};
use super::order_params::{NewOrder, generate_client_order_id};
use super::order_rules::lot_ok;
use super::symbols::SymbolSpec;
use super::wire::floor_to_step;

/// Levels per side the engine walks.
const DEPTH: usize = 5000;

/// Fills a taker order on `side` gets at `t_ms`: book levels best first, up to `limit` (if
/// any), until `qty` is filled, the book runs out, or the execution price range stops it.
pub fn taker_fills(
    market: &Market,
    inst: &Instrument,
    side: Side,
    t_ms: i64,
    limit: Option<Decimal>,
    qty: Decimal,
) -> TakerFills {
    within_range(
        market,
        inst,
        side,
        t_ms,
        book_walk(market, inst, side, t_ms, limit, qty),
    )
}

/// The book levels a taker would take, before the execution rule.
fn book_walk(
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

pub fn total(fills: &[(Decimal, Decimal)]) -> (Decimal, Decimal) {
    fills
        .iter()
        .fold((Decimal::ZERO, Decimal::ZERO), |(q, n), (p, f)| (q + f, n + p * f))
}

/// True when a trade at `price` reaches `stop` in the order's trigger direction.
pub fn stop_reached(kind: OrderType, side: Side, stop: Decimal, price: Decimal) -> bool {
    if kind.triggers_upward(side) {
        price >= stop
    } else {
        price <= stop
    }
}

/// What the engine worked out for a new order before accepting it.
#[derive(Debug, Clone)]
pub struct Admission {
    pub client_order_id: String,
    /// Base quantity (for a `quoteOrderQty` MARKET order, what the book gives for it).
    pub quantity: Decimal,
    /// The taker fills of a MARKET order, computed at placement.
    pub market_fills: Option<TakerFills>,
    pub trail: Option<Trail>,
    /// Quote locked per unit of base for BUY orders (see [`Order::lock_price`]).
    pub lock_price: Decimal,
    /// (asset, amount) the order needs free to be accepted.
    pub needs: (String, Decimal),
}

/// First engine checks of a new order at `now_ms` (last price `last`): a duplicate open
/// `newClientOrderId` among `orders` (-2010), then the quantity a `quoteOrderQty` MARKET order
/// gets from the book (-2010 / LOT_SIZE -1013), the lock price and what the order needs free.
pub fn admit(
    orders: &[Order],
    market: &Market,
    inst: &Instrument,
    request: &NewOrder,
    last: Decimal,
    now_ms: i64,
) -> Result<Admission, ApiError> {
    let spec = &inst.spec;
    let client_order_id = request.client_order_id.clone().unwrap_or_else(generate_client_order_id);
    if orders
        .iter()
        .any(|o| o.status.is_open() && o.client_order_id == client_order_id)
    {
        return Err(ApiError::new_order_rejected("Duplicate order sent."));
    }
    let kind = request.kind;
    let side = request.side;
    // The book's answer first (a quote amount's quantity comes from it), then the execution rule.
    let walk = match (kind, request.quote_order_qty, request.quantity) {
        (OrderType::Market, Some(quote), _) => Some(quote_fills(market, inst, side, now_ms, quote)),
        (OrderType::Market, None, Some(qty)) => Some(book_walk(market, inst, side, now_ms, None, qty)),
        _ => None,
    };
    let quantity = match (&walk, request.quote_order_qty, request.quantity) {
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
    let market_fills = walk.map(|fills| within_range(market, inst, side, now_ms, fills));
    let trail = request.trailing_delta.map(|delta_bips| Trail {
        delta_bips,
        extreme: None,
    });
    let lock_price = lock_price_of(kind, request.price, request.stop_price, trail, last);
    let needs = match (side, &market_fills) {
        (Side::Buy, Some(fills)) => (
            spec.quote_asset.clone(),
            request.quote_order_qty.unwrap_or(total(fills).1),
        ),
        (Side::Buy, None) => (spec.quote_asset.clone(), lock_price * quantity),
        (Side::Sell, _) => (spec.base_asset.clone(), quantity),
    };
    Ok(Admission {
        client_order_id,
        quantity,
        market_fills,
        trail,
        lock_price,
        needs,
    })
}

/// Quote locked per unit of base: the limit price, the stop price of a MARKET-like stop, or for
/// a trailing stop without `stopPrice` the last price moved by the trailing delta.
pub fn lock_price_of(
    kind: OrderType,
    price: Option<Decimal>,
    stop_price: Option<Decimal>,
    trail: Option<Trail>,
    last: Decimal,
) -> Decimal {
    match (kind.is_market_like(), price, stop_price, trail) {
        (false, Some(price), _, _) => price,
        (true, _, Some(stop), _) => stop,
        (true, _, None, Some(t)) => last * (Decimal::ONE + Decimal::new(i64::from(t.delta_bips), 4)),
        _ => Decimal::ZERO,
    }
}

/// What the engine's last placement checks look at in a new order.
#[derive(Debug, Clone, Copy)]
pub struct Pricing {
    pub kind: OrderType,
    pub side: Side,
    /// The limit price (`None` for MARKET-like types).
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
}

impl Pricing {
    /// The pricing of a new-order request.
    pub fn of_request(request: &NewOrder) -> Self {
        Self {
            kind: request.kind,
            side: request.side,
            price: request.price,
            stop_price: request.stop_price,
        }
    }

    /// The pricing of an accepted order (a pending list leg about to be placed).
    pub fn of_order(order: &Order) -> Self {
        Self {
            kind: order.kind,
            side: order.side,
            price: (!order.kind.is_market_like()).then_some(order.price),
            stop_price: order.stop_price,
        }
    }
}

/// The engine's last placement checks (-2010): a LIMIT_MAKER that would take, a stop whose
/// price the last trade `last` already reached.
pub fn check_placeable(
    market: &Market,
    inst: &Instrument,
    order: Pricing,
    last: Decimal,
    now_ms: i64,
) -> Result<(), ApiError> {
    if order.kind == OrderType::LimitMaker
        && order
            .price
            .is_some_and(|p| crosses(market, inst, order.side, p, now_ms))
    {
        return Err(ApiError::new_order_rejected("Order would immediately match and take."));
    }
    if let Some(stop) = order.stop_price
        && stop_reached(order.kind, order.side, stop, last)
    {
        return Err(ApiError::new_order_rejected("Order would trigger immediately."));
    }
    Ok(())
}

/// The order `request` becomes once accepted at `now_ms` with id `order_id` (status NEW, nothing
/// locked yet).
pub fn accepted_order(
    spec: &SymbolSpec,
    request: &NewOrder,
    admission: &Admission,
    order_id: u64,
    now_ms: i64,
) -> Order {
    let kind = request.kind;
    Order {
        symbol: spec.symbol.clone(),
        order_id,
        order_list_id: None,
        client_order_id: admission.client_order_id.clone(),
        side: request.side,
        kind,
        time_in_force: request.time_in_force.unwrap_or(TimeInForce::Gtc),
        price: request.price.unwrap_or(Decimal::ZERO),
        orig_qty: admission.quantity,
        executed_qty: Decimal::ZERO,
        cumm_quote_qty: Decimal::ZERO,
        orig_quote_order_qty: request.quote_order_qty.unwrap_or(Decimal::ZERO),
        status: Status::New,
        stop_price: request.stop_price,
        iceberg_qty: request.iceberg_qty,
        trail: admission.trail,
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
        lock_price: admission.lock_price,
        checked_ms: now_ms,
        amendments: 0,
    }
}

/// A just-accepted order meets the market at `now_ms`: a MARKET order takes its `market_fills`,
/// a LIMIT order locks and takes what crosses; every other type locks and waits.
pub fn start_order(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    order: &mut Order,
    market_fills: Option<TakerFills>,
    now_ms: i64,
) {
    match (order.kind, market_fills) {
        (OrderType::Market, Some(fills)) => execute_market(ledger, inst, order, fills, now_ms),
        (OrderType::Limit, _) => {
            ledger.lock_for(&inst.spec, order);
            execute_limit(ledger, market, inst, order, now_ms);
        }
        _ => ledger.lock_for(&inst.spec, order),
    }
}

fn insufficient_balance() -> ApiError {
    ApiError::new_order_rejected("Account has insufficient balance for requested action.")
}

/// -2010 "Account has insufficient balance for requested action." unless `ledger` has `needs`
/// free.
pub fn check_balance(ledger: &Ledger<'_>, needs: &(String, Decimal)) -> Result<(), ApiError> {
    if ledger.free(&needs.0) < needs.1 {
        return Err(insufficient_balance());
    }
    Ok(())
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
        let (mut ledger, orders) = self
            .split(api_key, now_ms)
            .ok_or_else(|| ApiError::new_order_rejected("This account may not place or cancel orders."))?;
        ledger.order_count.admit(now_ms, limits)?;
        let last = market.last_price(inst, now_ms);
        let admission = admit(orders, market, inst, request, last, now_ms)?;
        check_balance(&ledger, &admission.needs)?;
        check_placeable(market, inst, Pricing::of_request(request), last, now_ms)?;
        let counts = ledger.order_count.increment(now_ms);
        let order_id = ledger.next_order_id();
        let mut order = accepted_order(&inst.spec, request, &admission, order_id, now_ms);
        start_order(&mut ledger, market, inst, &mut order, admission.market_fills, now_ms);
        orders.push(order.clone());
        Ok((order, counts))
    }
}

/// True when a limit `price` on `side` would take liquidity at `t_ms`.
pub fn crosses(market: &Market, inst: &Instrument, side: Side, price: Decimal, t_ms: i64) -> bool {
    match side {
        Side::Buy => price >= market.best_ask(inst, t_ms),
        Side::Sell => price <= market.best_bid(inst, t_ms),
    }
}

/// Applies MARKET `fills` (taker); a remainder expires: `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`
/// when the price range stopped it, else `INSUFFICIENT_LIQUIDITY`.
pub fn execute_market(ledger: &mut Ledger<'_>, inst: &Instrument, order: &mut Order, fills: TakerFills, t_ms: i64) {
    let stopped = fills.range_exceeded;
    for (price, qty) in fills.fills {
        ledger.fill(&inst.spec, order, price, qty, false, t_ms);
    }
    if order.status.is_open() {
        order.status = Status::Expired;
        order.expiry_reason = Some(if stopped {
            PRICE_RANGE_EXCEEDED
        } else {
            "INSUFFICIENT_LIQUIDITY"
        });
        order.update_time = t_ms;
    }
}

/// A working limit order meets the book at `t_ms`: takes what crosses (FOK all or nothing,
/// IOC remainder expires, GTC remainder rests with its lock).
pub fn execute_limit(ledger: &mut Ledger<'_>, market: &Market, inst: &Instrument, order: &mut Order, t_ms: i64) {
    let fills = taker_fills(market, inst, order.side, t_ms, Some(order.price), order.remaining());
    let available = total(&fills).0;
    if order.time_in_force == TimeInForce::Fok && available < order.remaining() {
        let reason = if fills.range_exceeded {
            PRICE_RANGE_EXCEEDED
        } else {
            "UNFILLED_FOK_ORDER_EXPIRED"
        };
        expire(ledger, inst, order, reason, t_ms);
        return;
    }
    let stopped = fills.range_exceeded;
    for (price, qty) in fills.fills {
        ledger.fill(&inst.spec, order, price, qty, false, t_ms);
    }
    if stopped && order.status.is_open() {
        // The taker phase ended outside the range: the whole order expires, it does not rest.
        expire(ledger, inst, order, PRICE_RANGE_EXCEEDED, t_ms);
        return;
    }
    if order.time_in_force == TimeInForce::Ioc && order.status.is_open() {
        expire(ledger, inst, order, "UNFILLED_IOC_QUANTITY_EXPIRED", t_ms);
    }
}

/// Ends `order` EXPIRED at `t_ms` with `reason` (`expiryReason`), releasing what it holds.
pub fn expire(ledger: &mut Ledger<'_>, inst: &Instrument, order: &mut Order, reason: &'static str, t_ms: i64) {
    ledger.release(&inst.spec, order);
    order.status = Status::Expired;
    order.expiry_reason = Some(reason);
    order.update_time = t_ms;
}
