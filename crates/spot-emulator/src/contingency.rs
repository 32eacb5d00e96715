//! The order-list rules while the engine executes (`rest-api.md` Order lists, `enums.md`,
//! `user-data-stream.md` expiry reasons):
//!
//! * OCO: when one leg executes (a stop leg triggers, or a leg gets its first fill) the other
//!   leg expires with `expiryReason` `OCO_TRIGGER` and the list is ALL_DONE; the pair holds one
//!   lock between them (the larger of the two legs' needs), which the executing leg takes over.
//!   A leg that ends without executing expires the other too ("or the entire OCO expired").
//! * OTO/OTOCO (and OPO/OPOCO): pending legs stay `PENDING_NEW`, locking nothing, until the
//!   working leg is fully filled; then they are placed as new orders (an OPO's with the quantity
//!   the working leg received, rounded down to the lot step) (balance, LIMIT_MAKER and stop checks; a leg the
//!   engine rejects expires with `REJECTED`, and a rejected leg of an OTOCO pair expires the
//!   other with `OCO_TRIGGER`). A working leg that ends unfilled expires the pending legs with
//!   `OTO_PHASE_ONE_EXPIRED`. An OTO is ALL_DONE once its pending leg is placed (nothing is left
//!   to trigger); an OTOCO then runs as an OCO (its `transactionTime` moves to the activation).
//! * Canceling a leg of an open list cancels every open leg and ends the list.

use rust_decimal::Decimal;

use super::exchange::{AccountOrders, Ledger};
use super::market::{Instrument, Market};
use super::matching::{
    Pricing, check_placeable, execute_limit, execute_market, expire, lock_price_of, taker_fills, total,
};
use super::order_model::{Order, OrderType, Side, Status};
use super::symbols::SymbolSpec;

/// `expiryReason` of an OCO leg expired by its sibling.
pub const OCO_TRIGGER: &str = "OCO_TRIGGER";
/// `expiryReason` of pending legs whose working leg expired.
pub const OTO_PHASE_ONE_EXPIRED: &str = "OTO_PHASE_ONE_EXPIRED";
/// `expiryReason` of a pending leg the engine rejected when placing it.
pub const REJECTED: &str = "REJECTED";

/// Order `index` is about to execute at `t_ms` (trigger or first fill). If it is a leg of an
/// open OCO pair whose other leg is live, that leg expires (`OCO_TRIGGER`) after handing over
/// the pair's lock, and the list is ALL_DONE.
pub fn before_execution(
    ledger: &mut Ledger<'_>,
    spec: &SymbolSpec,
    book: &mut AccountOrders<'_>,
    index: usize,
    t_ms: i64,
) {
    let Some(l) = book.open_list_of(index) else {
        return;
    };
    let Some(sibling) = book.lists[l]
        .oco_sibling(book.orders[index].order_id)
        .and_then(|id| book.order_index(id))
    else {
        return;
    };
    let Some((order, other)) = pair_mut(book.orders, index, sibling) else {
        return;
    };
    if !other.status.is_active() {
        return;
    }
    order.locked += std::mem::take(&mut other.locked);
    let needed = Ledger::lock_needed(order);
    ledger.relock(spec, order, needed);
    other.status = Status::Expired;
    other.expiry_reason = Some(OCO_TRIGGER);
    other.update_time = t_ms;
    book.lists[l].finish(t_ms);
}

/// Order `index` changed at `t_ms` (filled, triggered, expired). Applies what that means for its
/// list: a filled working leg releases its pending legs, an unfilled end of the working leg
/// expires them, an executed or ended OCO leg expires its sibling. Returns the legs that went
/// live (for the caller's settlement loop).
pub fn after_change(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    index: usize,
    t_ms: i64,
) -> Vec<usize> {
    let Some(l) = book.open_list_of(index) else {
        return Vec::new();
    };
    let order = &book.orders[index];
    let list = &book.lists[l];
    if list.working == Some(order.order_id) {
        return match order.status {
            Status::Filled => activate(ledger, market, inst, book, l, t_ms),
            Status::Expired | Status::Canceled => {
                end_pending(ledger, inst, book, l, OTO_PHASE_ONE_EXPIRED, t_ms);
                book.lists[l].finish(t_ms);
                Vec::new()
            }
            _ => Vec::new(),
        };
    }
    if let Some(sibling) = list.oco_sibling(order.order_id) {
        let triggered = order.kind.is_stop() && order.working_time >= 0;
        let executed = !order.fills.is_empty() || triggered;
        if executed || !order.status.is_open() {
            if let Some(s) = book.order_index(sibling)
                && book.orders[s].status.is_open()
            {
                expire(ledger, inst, &mut book.orders[s], OCO_TRIGGER, t_ms);
            }
            book.lists[l].finish(t_ms);
        }
    }
    Vec::new()
}

/// Cancels every open leg of list `l` at `t_ms` (releasing what they hold) and ends the list.
/// Returns the canceled legs' indices, in list order.
pub fn cancel_list(
    ledger: &mut Ledger<'_>,
    spec: &SymbolSpec,
    book: &mut AccountOrders<'_>,
    l: usize,
    t_ms: i64,
) -> Vec<usize> {
    let mut canceled = Vec::new();
    for id in book.lists[l].order_ids.clone() {
        if let Some(i) = book.order_index(id)
            && book.orders[i].status.is_open()
        {
            ledger.release(spec, &mut book.orders[i]);
            book.orders[i].status = Status::Canceled;
            book.orders[i].update_time = t_ms;
            canceled.push(i);
        }
    }
    book.lists[l].finish(t_ms);
    canceled
}

/// Locks once for the OCO pair `a`, `b`: the leg needing more holds the lock for both.
pub fn lock_pair(ledger: &mut Ledger<'_>, spec: &SymbolSpec, orders: &mut [Order], a: usize, b: usize) {
    if let Some((x, y)) = pair_mut(orders, a, b) {
        let holder = if Ledger::lock_needed(y) > Ledger::lock_needed(x) {
            y
        } else {
            x
        };
        ledger.lock_for(spec, holder);
    }
}

/// After a leg of a live OCO pair changed its quantity (keep-priority amend): the pair's single
/// lock is re-sized to the larger need and held by that leg.
pub fn rebalance_pair_lock(ledger: &mut Ledger<'_>, spec: &SymbolSpec, book: &mut AccountOrders<'_>, index: usize) {
    let Some(l) = book.open_list_of(index) else {
        return;
    };
    let Some(sibling) = book.lists[l]
        .oco_sibling(book.orders[index].order_id)
        .and_then(|id| book.order_index(id))
    else {
        return;
    };
    let Some((a, b)) = pair_mut(book.orders, index, sibling) else {
        return;
    };
    if !(a.status.is_active() && b.status.is_active()) {
        return;
    }
    let (holder, other) = if Ledger::lock_needed(b) > Ledger::lock_needed(a) {
        (b, a)
    } else {
        (a, b)
    };
    holder.locked += std::mem::take(&mut other.locked);
    let needed = Ledger::lock_needed(holder);
    ledger.relock(spec, holder, needed);
}

/// The working leg of list `l` filled at `t_ms`: its pending legs are placed as new orders.
/// Returns the legs now live.
fn activate(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    l: usize,
    t_ms: i64,
) -> Vec<usize> {
    let legs: Vec<usize> = book.lists[l]
        .pending_ids()
        .filter_map(|id| book.order_index(id))
        .filter(|&i| book.orders[i].status == Status::PendingNew)
        .collect();
    let last = market.last_price(inst, t_ms);
    let received = book.lists[l]
        .kind
        .pays_the_other()
        .then(|| book.lists[l].working.and_then(|id| book.order_index(id)))
        .flatten()
        .map(|w| received_quantity(ledger, &inst.spec, &book.orders[w]));
    for &i in &legs {
        let order = &mut book.orders[i];
        if let Some(received) = received {
            order.orig_qty = pending_quantity(&inst.spec, order.kind, received);
        }
        order.status = Status::New;
        order.update_time = t_ms;
        order.checked_ms = t_ms;
        order.working_time = if order.kind.is_stop() { -1 } else { t_ms };
        let price = (!order.kind.is_market_like()).then_some(order.price);
        order.lock_price = lock_price_of(order.kind, price, order.stop_price, order.trail, last);
        let placeable = check_placeable(market, inst, Pricing::of_order(order), last, t_ms);
        if placeable.is_err() || order.orig_qty < inst.spec.lot_size.min_qty {
            expire(ledger, inst, order, REJECTED, t_ms);
        }
    }
    let is_pair = book.lists[l].oco_pair.is_some();
    if is_pair && legs.iter().any(|&i| !book.orders[i].status.is_open()) {
        // One leg of the pair was rejected: the whole OCO expires with it.
        for &i in &legs {
            if book.orders[i].status.is_open() {
                expire(ledger, inst, &mut book.orders[i], OCO_TRIGGER, t_ms);
            }
        }
        book.lists[l].finish(t_ms);
        return Vec::new();
    }
    place_live_legs(ledger, market, inst, book.orders, &legs, t_ms);
    let live: Vec<usize> = legs
        .into_iter()
        .filter(|&i| book.orders[i].status.is_active())
        .collect();
    if is_pair && !live.is_empty() {
        // The OCO pair is on the book: the list keeps executing (a status update).
        book.lists[l].transaction_time = t_ms;
    } else {
        // An OTO's pending leg is placed (or rejected): nothing is left to trigger.
        book.lists[l].finish(t_ms);
    }
    live
}

/// Pending legs `live` (all on one side) go on the book at `t_ms`: they need their asset free
/// (one lock for an OCO pair, the larger need; a MARKET leg the cost of its fills), else they
/// expire `REJECTED`; a LIMIT or MARKET leg then meets the book as a taker.
fn place_live_legs(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    orders: &mut [Order],
    live: &[usize],
    t_ms: i64,
) {
    let spec = &inst.spec;
    let Some(&first) = live.first() else {
        return;
    };
    let market_fills = (orders[first].kind == OrderType::Market)
        .then(|| taker_fills(market, inst, orders[first].side, t_ms, None, orders[first].orig_qty));
    let needed = match (&market_fills, orders[first].side) {
        (Some(fills), Side::Buy) => total(fills).1,
        _ => live
            .iter()
            .map(|&i| Ledger::lock_needed(&orders[i]))
            .max()
            .unwrap_or(Decimal::ZERO),
    };
    let asset = match orders[first].side {
        Side::Buy => &spec.quote_asset,
        Side::Sell => &spec.base_asset,
    };
    if ledger.free(asset) < needed {
        for &i in live {
            expire(ledger, inst, &mut orders[i], REJECTED, t_ms);
        }
        return;
    }
    match (live, market_fills) {
        (&[a, b], _) => lock_pair(ledger, spec, orders, a, b),
        (_, Some(fills)) => execute_market(ledger, inst, &mut orders[first], fills, t_ms),
        _ => {
            let order = &mut orders[first];
            ledger.lock_for(spec, order);
            if order.kind == OrderType::Limit {
                execute_limit(ledger, market, inst, order, t_ms);
            }
        }
    }
}

/// What the filled BUY working leg of an OPO list received for its pending legs to sell
/// (`faqs/opo.md`): its executed quantity when the free balance also covers the commission it
/// paid in the received asset (the commission is then "taken from the available funds
/// instead"; never for BNB), else the executed quantity net of that commission.
fn received_quantity(ledger: &Ledger<'_>, spec: &SymbolSpec, working: &Order) -> Decimal {
    let base = &spec.base_asset;
    let commission: Decimal = working
        .fills
        .iter()
        .filter(|f| &f.commission_asset == base)
        .map(|f| f.commission)
        .sum();
    let executed = working.executed_qty;
    if base != "BNB" && ledger.free(base) >= executed {
        executed
    } else {
        executed - commission
    }
}

/// A pending OPO leg's quantity: `received` rounded down to the symbol's step (`MARKET_LOT_SIZE`
/// for a MARKET leg when it has one, else `LOT_SIZE`); what is left over stays free.
fn pending_quantity(spec: &SymbolSpec, kind: OrderType, received: Decimal) -> Decimal {
    let market_step = spec.market_lot_size.step_size;
    let step = if kind == OrderType::Market && !market_step.is_zero() {
        market_step
    } else {
        spec.lot_size.step_size
    };
    if step.is_zero() {
        return received.max(Decimal::ZERO);
    }
    ((received / step).floor() * step).max(Decimal::ZERO).normalize()
}

/// Expires the pending legs of list `l` still waiting, with `reason`.
fn end_pending(
    ledger: &mut Ledger<'_>,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    l: usize,
    reason: &'static str,
    t_ms: i64,
) {
    let pending: Vec<u64> = book.lists[l].pending_ids().collect();
    for id in pending {
        if let Some(i) = book.order_index(id)
            && book.orders[i].status.is_open()
        {
            expire(ledger, inst, &mut book.orders[i], reason, t_ms);
        }
    }
}

/// Two distinct orders borrowed mutably at once (`None` when `i == j`).
fn pair_mut(orders: &mut [Order], i: usize, j: usize) -> Option<(&mut Order, &mut Order)> {
    if i == j || i >= orders.len() || j >= orders.len() {
        return None;
    }
    if i < j {
        let (left, right) = orders.split_at_mut(j);
        Some((&mut left[i], &mut right[0]))
    } else {
        let (left, right) = orders.split_at_mut(i);
        Some((&mut right[0], &mut left[j]))
    }
}
