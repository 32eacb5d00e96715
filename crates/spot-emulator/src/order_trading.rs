//! Trading endpoints (TRADE, signed): `POST /api/v3/order`, `POST /api/v3/order/test`,
//! `DELETE /api/v3/order`, `DELETE /api/v3/openOrders` (canceling a leg of an open order list
//! cancels the whole list, answered as a list). Validation order: signature and timing,
//! unread parameters (-1104), parameters (-11xx), symbol filters and the account's MAX_ASSET
//! (-1013), STP mode (-1013), then
//! the matching engine (unfilled order count -1015, duplicate id / balance / would-take /
//! would-trigger -2010).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::commission;
use super::error::{ApiError, code};
use super::exchange::Exchange;
use super::market::Instrument;
use super::order_count::with_count_headers;
use super::order_json::{Placed, canceled, placed};
use super::order_list_json::CancelRow;
use super::order_list_trading::cancel_whole_list;
use super::order_model::{Lookup, Order, Status, lookup};
use super::order_params::{
    NEW_ORDER_PARAMS, NewOrder, generate_client_order_id, new_client_order_id, order_ids, parse_new_order,
};
use super::order_rules::{RuleContext, check_filters, check_max_asset, stp_mode};
use super::params::Params;
use super::reference::order_filter_price;
use super::symbol_param::instrument;

/// `POST /api/v3/order`: places an order; answers ACK/RESULT/FULL with the order-count headers.
pub async fn new_order(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    signed.allow_only(&NEW_ORDER_PARAMS)?;
    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (inst, request) = validate(&state, &exchange, &signed.api_key, &signed.params, now)?;
    let limits = state.order_limits();
    let (order, counts) = exchange.place(&signed.api_key, &state.market, inst, &request, now, limits)?;
    drop(exchange);
    Ok(with_count_headers(
        Json::<Placed>(placed(&order, request.resp_type)),
        counts,
    ))
}

/// `POST /api/v3/order/test`: the same validation as a real order without the matching engine
/// (no balance, no order count, nothing stored); `{}` or the commission rates for the order.
pub async fn test_order(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut allowed = NEW_ORDER_PARAMS.to_vec();
    allowed.push("computeCommissionRates");
    signed.allow_only(&allowed)?;
    let compute = signed.params.optional_bool("computeCommissionRates")?.unwrap_or(false);
    let now = state.clock.now_ms();
    // Settled first, like a real order: an open order that has filled by now no longer counts
    // toward MAX_NUM_ORDERS, as on the exchange, where fills never wait for a request.
    let exchange = state.settled(&signed.api_key, now);
    validate(&state, &exchange, &signed.api_key, &signed.params, now)?;
    if !compute {
        return Ok(Json(serde_json::json!({})));
    }
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    let rates = commission::for_order(account);
    Ok(Json(serde_json::to_value(rates).unwrap_or_default()))
}

/// `DELETE /api/v3/order`: cancels one open order by `orderId` and/or `origClientOrderId`; a
/// leg of an open order list cancels the list and answers the list.
pub async fn cancel_order(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<CancelRow>, ApiError> {
    signed.allow_only(&[
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
    ])?;
    let params = &signed.params;
    let inst = instrument(&state, params)?;
    let (order_id, client_id) = order_ids(params)?;
    let cancel_id = new_client_order_id(params)?;
    let restriction = match params.optional("cancelRestrictions")? {
        None => None,
        Some(r @ ("ONLY_NEW" | "ONLY_PARTIALLY_FILLED")) => Some(r),
        Some(_) => {
            return Err(ApiError::bad_request(
                code::INVALID_CANCEL_RESTRICTIONS,
                "Invalid cancelRestrictions",
            ));
        }
    };
    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (mut ledger, mut book) = exchange.split_orders(&signed.api_key, now).ok_or_else(unknown_key)?;
    let unknown = || ApiError::cancel_rejected("Unknown order sent.");
    let index = match lookup(book.orders, &inst.spec.symbol, order_id, client_id.as_deref()) {
        Lookup::Found(i) => i,
        Lookup::Mismatch | Lookup::Missing => return Err(unknown()),
    };
    let order = &book.orders[index];
    if !order.status.is_open() {
        return Err(unknown());
    }
    let allowed = match restriction {
        Some("ONLY_NEW") => order.status == Status::New,
        Some(_) => order.status == Status::PartiallyFilled,
        None => true,
    };
    if !allowed {
        return Err(ApiError::cancel_rejected(
            "Order was not canceled due to cancel restrictions.",
        ));
    }
    let row = if let Some(l) = book.open_list_of(index) {
        CancelRow::List(cancel_whole_list(&mut ledger, inst, &mut book, l, &cancel_id, now))
    } else {
        let order = &mut book.orders[index];
        cancel(&mut ledger, inst, order, now);
        CancelRow::Order(Box::new(canceled(order, &cancel_id, now)))
    };
    for order_id in row.order_ids() {
        exchange.note_cancel(order_id, &cancel_id);
    }
    Ok(Json(row))
}

/// `DELETE /api/v3/openOrders`: cancels every open order of the symbol, order lists included
/// (one list row where its first open leg stands); -2011 when there is none.
pub async fn cancel_open_orders(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<CancelRow>>, ApiError> {
    signed.allow_only(&["symbol"])?;
    let inst = instrument(&state, &signed.params)?;
    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (mut ledger, mut book) = exchange.split_orders(&signed.api_key, now).ok_or_else(unknown_key)?;
    let cancel_id = generate_client_order_id();
    let mut rows = Vec::new();
    for index in 0..book.orders.len() {
        let order = &book.orders[index];
        if order.symbol != inst.spec.symbol || !order.status.is_open() {
            continue;
        }
        if let Some(l) = book.open_list_of(index) {
            let list = cancel_whole_list(&mut ledger, inst, &mut book, l, &cancel_id, now);
            rows.push(CancelRow::List(list));
            continue;
        }
        let order = &mut book.orders[index];
        cancel(&mut ledger, inst, order, now);
        rows.push(CancelRow::Order(Box::new(canceled(order, &cancel_id, now))));
    }
    if rows.is_empty() {
        return Err(ApiError::cancel_rejected("Unknown order sent."));
    }
    for row in &rows {
        for order_id in row.order_ids() {
            exchange.note_cancel(order_id, &cancel_id);
        }
    }
    Ok(Json(rows))
}

/// The filters' view of a new order: the listed symbol (-1121), TRADING status, parameters,
/// filters against the account's open orders, and the effective STP mode.
fn validate<'a>(
    state: &'a EmulatorState,
    exchange: &Exchange,
    api_key: &str,
    params: &Params,
    now_ms: i64,
) -> Result<(&'a Instrument, NewOrder), ApiError> {
    let inst = instrument(state, params)?;
    let spec = &inst.spec;
    let mut request = parse_new_order(params, spec)?;
    if spec.status != "TRADING" {
        return Err(ApiError::new_order_rejected("Market is closed."));
    }
    let open: Vec<&Order> = exchange
        .account(api_key)
        .map(|a| {
            a.orders
                .iter()
                .filter(|o| o.symbol == spec.symbol && o.status.is_open())
                .collect()
        })
        .unwrap_or_default();
    let ctx = RuleContext {
        reference_price: order_filter_price(&state.market, inst, now_ms),
        open_orders: u32::try_from(open.len()).unwrap_or(u32::MAX),
        open_algo_orders: u32::try_from(open.iter().filter(|o| o.kind.is_stop()).count()).unwrap_or(u32::MAX),
    };
    check_filters(&request, spec, &ctx)?;
    let max_assets = exchange
        .account(api_key)
        .map(|a| a.max_assets.as_slice())
        .unwrap_or_default();
    check_max_asset(&request, spec, ctx.reference_price, max_assets)?;
    request.stp_mode = Some(stp_mode(&request, spec)?);
    Ok((inst, request))
}

fn cancel(ledger: &mut super::exchange::Ledger<'_>, inst: &Instrument, order: &mut Order, now_ms: i64) {
    ledger.release(&inst.spec, order);
    order.status = Status::Canceled;
    order.update_time = now_ms;
}
