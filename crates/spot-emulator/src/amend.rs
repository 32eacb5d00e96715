//! `PUT /api/v3/order/amend/keepPriority` (TRADE, weight 4): lowers the quantity of an open
//! order in place, keeping its `orderId` and queue position (`faqs/order_amend_keep_priority.md`).
//! Checks in order: signature and parameters (-11xx), the symbol (-1121), `LOT_SIZE` on `newQty`
//! (-1013), the order (-2013 when it does not exist, -2039 when the client id does not match),
//! then the matching engine (-2038): `amendAllowed`, a closed order, an increase, no change,
//! `MAX_NUM_ORDER_AMENDS`. A new quantity at or below the executed quantity ends the order
//! (EXPIRED). A leg of an order list (a `PENDING_NEW` one included) answers with its list's
//! `listStatus`; an OCO pair's single lock follows the new quantity.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::contingency;
use super::error::{ApiError, code};
use super::order_list_json::{AmendListStatus, amend_list_status};
use super::order_model::{Lookup, Order, Status, lookup};
use super::order_params::{decimal, new_client_order_id, order_ids};
use super::symbol_param::instrument;
use super::wire::fixed8;

/// -2038 ORDER_AMEND_REJECTED.
pub const ORDER_AMEND_REJECTED: i32 = -2038;

/// The documented answer (`cumulativeQuoteQty`, spelled correctly here).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Amended {
    transact_time: i64,
    execution_id: u64,
    amended_order: AmendedOrder,
    #[serde(skip_serializing_if = "Option::is_none")]
    list_status: Option<AmendListStatus>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AmendedOrder {
    symbol: String,
    order_id: u64,
    order_list_id: i64,
    orig_client_order_id: String,
    client_order_id: String,
    price: String,
    qty: String,
    executed_qty: String,
    prevented_qty: String,
    quote_order_qty: String,
    cumulative_quote_qty: String,
    status: &'static str,
    time_in_force: &'static str,
    r#type: &'static str,
    side: &'static str,
    /// Absent while the order is not on the book (a pending list leg), as in the documented
    /// list-leg sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    working_time: Option<i64>,
    self_trade_prevention_mode: String,
}

fn rejected(msg: &str) -> ApiError {
    ApiError::bad_request(ORDER_AMEND_REJECTED, msg)
}

/// `PUT /api/v3/order/amend/keepPriority`.
pub async fn amend_keep_priority(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Amended>, ApiError> {
    signed.allow_only(&["symbol", "orderId", "origClientOrderId", "newClientOrderId", "newQty"])?;
    let params = &signed.params;
    let inst = instrument(&state, params)?;
    let spec = &inst.spec;
    let (order_id, client_id) = order_ids(params)?;
    let new_client_id = new_client_order_id(params)?;
    let new_qty = decimal(params, "newQty", spec.base_asset_precision)?.ok_or_else(|| ApiError::mandatory("newQty"))?;
    let lot = &spec.lot_size;
    if new_qty <= Decimal::ZERO
        || new_qty < lot.min_qty
        || new_qty > lot.max_qty
        || (!lot.step_size.is_zero() && !(new_qty % lot.step_size).is_zero())
    {
        return Err(ApiError::filter_failure("LOT_SIZE"));
    }

    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (mut ledger, mut book) = exchange.split_orders(&signed.api_key, now).ok_or_else(unknown_key)?;
    let index = match lookup(book.orders, &spec.symbol, order_id, client_id.as_deref()) {
        Lookup::Found(i) => i,
        Lookup::Mismatch => {
            return Err(ApiError::bad_request(
                code::CLIENT_ORDER_ID_INVALID,
                "Client order ID is not correct for this order ID.",
            ));
        }
        Lookup::Missing => return Err(ApiError::bad_request(code::NO_SUCH_ORDER, "Order does not exist.")),
    };
    if !spec.flags.amend_allowed {
        return Err(rejected("Order amend is not supported for this symbol."));
    }
    let pending_opo = book.orders[index].status == Status::PendingNew
        && book
            .open_list_of(index)
            .is_some_and(|l| book.lists[l].kind.pays_the_other());
    if pending_opo {
        // `faqs/opo.md`: its quantity is not known before the working order fills.
        return Err(rejected("Order amend (pending OPO order) is not supported."));
    }
    let order = &mut book.orders[index];
    if !order.status.is_open() {
        return Err(rejected("Unknown order sent."));
    }
    check_quantity(order, new_qty, spec.order_counts.max_num_order_amends)?;
    let orig_client_order_id = std::mem::replace(&mut order.client_order_id, new_client_id);
    ledger.reduce_quantity(spec, order, new_qty);
    if order.remaining() <= Decimal::ZERO {
        // Nothing left to fill: the order ends here.
        ledger.release(spec, order);
        order.status = if order.executed_qty.is_zero() {
            Status::Expired
        } else {
            Status::Filled
        };
    }
    order.amendments += 1;
    order.update_time = now;
    let execution_id = ledger.next_execution_id();
    let list = book.orders[index].order_list_id.and_then(|id| book.list_index(id));
    contingency::rebalance_pair_lock(&mut ledger, spec, &mut book, index);
    contingency::after_change(&mut ledger, &state.market, inst, &mut book, index, now);
    Ok(Json(Amended {
        transact_time: now,
        execution_id,
        amended_order: amended_order(&book.orders[index], orig_client_order_id),
        list_status: list.map(|l| amend_list_status(&book.lists[l], book.orders)),
    }))
}

/// The matching engine's quantity rules: only a reduction, and at most `max_amends` per order.
fn check_quantity(order: &Order, new_qty: Decimal, max_amends: u32) -> Result<(), ApiError> {
    if new_qty > order.orig_qty {
        return Err(rejected("Order amend (quantity increase) is not supported."));
    }
    if new_qty == order.orig_qty {
        return Err(rejected("The requested action would change no state; rejecting"));
    }
    if order.amendments >= max_amends {
        return Err(rejected("Filter failure: MAX_NUM_ORDER_AMENDS"));
    }
    Ok(())
}

fn amended_order(order: &Order, orig_client_order_id: String) -> AmendedOrder {
    AmendedOrder {
        symbol: order.symbol.clone(),
        order_id: order.order_id,
        order_list_id: order.wire_list_id(),
        orig_client_order_id,
        client_order_id: order.client_order_id.clone(),
        price: fixed8(order.price),
        qty: fixed8(order.orig_qty),
        executed_qty: fixed8(order.executed_qty),
        prevented_qty: fixed8(Decimal::ZERO),
        quote_order_qty: fixed8(order.orig_quote_order_qty),
        cumulative_quote_qty: fixed8(order.cumm_quote_qty),
        status: order.status.as_str(),
        time_in_force: order.time_in_force.as_str(),
        r#type: order.kind.as_str(),
        side: order.side.as_str(),
        working_time: (order.status != Status::PendingNew).then_some(order.working_time),
        self_trade_prevention_mode: order.stp_mode.clone(),
    }
}
