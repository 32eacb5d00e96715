//! Order-list trading endpoints (TRADE, signed, weight 1 — 0 when successful): `POST
//! /api/v3/orderList/oco`, `/oto`, `/otoco`, `/opo`, `/opoco` and `DELETE /api/v3/orderList`. Validation order as
//! for single orders: signature and timing, unread parameters (-1104), parameters and list rules
//! (-11xx), symbol status and list support (-2010), each leg's filters with the legs counted
//! towards `MAX_NUM_ORDERS` / `MAX_NUM_ALGO_ORDERS`, `MAX_NUM_ORDER_LISTS` (-1013), STP mode
//! (-1013), then the matching engine (see `order_list_placement`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::contingency::cancel_list;
use super::error::ApiError;
use super::exchange::{AccountOrders, Exchange, Ledger};
use super::market::Instrument;
use super::order_count::with_count_headers;
use super::order_json::{canceled, placed};
use super::order_list_json::{CanceledList, PlacedListJson, with_reports};
use super::order_list_model::ListKind;
use super::order_list_params::{ListRequest, list_param_names, parse_list};
use super::order_model::Order;
use super::order_params::new_client_order_id;
use super::order_rules::{RuleContext, check_filters, check_max_asset, stp_mode};
use super::params::Params;
use super::reference::order_filter_price;
use super::symbol_param::instrument;

/// `POST /api/v3/orderList/oco`.
pub async fn place_oco(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    place(ListKind::Oco, &state, &signed)
}

/// `POST /api/v3/orderList/oto`.
pub async fn place_oto(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    place(ListKind::Oto, &state, &signed)
}

/// `POST /api/v3/orderList/otoco`.
pub async fn place_otoco(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    place(ListKind::Otoco, &state, &signed)
}

/// `POST /api/v3/orderList/opo`.
pub async fn place_opo(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    place(ListKind::Opo, &state, &signed)
}

/// `POST /api/v3/orderList/opoco`.
pub async fn place_opoco(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Response, ApiError> {
    place(ListKind::Opoco, &state, &signed)
}

/// Places a `kind` list; answers the list with `orderReports` in the requested shape and the
/// order-count headers.
fn place(kind: ListKind, state: &EmulatorState, signed: &Signed) -> Result<Response, ApiError> {
    let names = list_param_names(kind);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    signed.allow_only(&names)?;
    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (inst, request) = validate(state, &exchange, &signed.api_key, kind, &signed.params, now)?;
    let limits = state.order_limits();
    let done = exchange.place_list(&signed.api_key, &state.market, inst, &request, now, limits)?;
    drop(exchange);
    let reports = done.legs.iter().map(|o| placed(o, request.resp_type)).collect();
    let answer: PlacedListJson = with_reports(&done.list, &done.legs, reports);
    Ok(with_count_headers(Json(answer), done.counts))
}

/// The filters' view of a new list: the listed symbol (-1121), its parameters, TRADING status,
/// list support, every leg's filters (the list's legs count towards the open-order filters
/// together), `MAX_NUM_ORDER_LISTS`, and each leg's effective STP mode.
fn validate<'a>(
    state: &'a EmulatorState,
    exchange: &Exchange,
    api_key: &str,
    kind: ListKind,
    params: &Params,
    now_ms: i64,
) -> Result<(&'a Instrument, ListRequest), ApiError> {
    let inst = instrument(state, params)?;
    let spec = &inst.spec;
    let mut request = parse_list(kind, params, spec)?;
    if spec.status != "TRADING" {
        return Err(ApiError::new_order_rejected("Market is closed."));
    }
    let flags = &spec.flags;
    // `faqs/opo.md`: OPO needs otoAllowed and opoAllowed, OPOCO also ocoAllowed.
    let needs_oco = matches!(kind, ListKind::Oco | ListKind::Otoco | ListKind::Opoco);
    let needs_oto = kind != ListKind::Oco;
    if kind.pays_the_other() && !flags.opo_allowed {
        return Err(ApiError::new_order_rejected(
            "OPO orders are not supported for this symbol.",
        ));
    }
    if needs_oco && !flags.oco_allowed {
        return Err(ApiError::new_order_rejected(
            "OCO orders are not supported for this symbol",
        ));
    }
    if needs_oto && !flags.oto_allowed {
        return Err(ApiError::new_order_rejected(
            "OTO orders are not supported for this symbol.",
        ));
    }
    let account = exchange.account(api_key);
    let open: Vec<&Order> = account
        .map(|a| {
            a.orders
                .iter()
                .filter(|o| o.symbol == spec.symbol && o.status.is_open())
                .collect()
        })
        .unwrap_or_default();
    let open_lists = account.map_or(0, |a| {
        a.order_lists
            .iter()
            .filter(|l| l.symbol == spec.symbol && l.is_open())
            .count()
    });
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut ctx = RuleContext {
        reference_price: order_filter_price(&state.market, inst, now_ms),
        open_orders: count(open.len()),
        open_algo_orders: count(open.iter().filter(|o| o.kind.is_stop()).count()),
    };
    let max_assets = account.map(|a| a.max_assets.as_slice()).unwrap_or_default();
    for leg in &request.legs {
        check_filters(&leg.order, spec, &ctx)?;
        check_max_asset(&leg.order, spec, ctx.reference_price, max_assets)?;
        ctx.open_orders += 1;
        if leg.order.kind.is_stop() {
            ctx.open_algo_orders += 1;
        }
    }
    if count(open_lists) + 1 > spec.order_counts.max_num_order_lists {
        return Err(ApiError::filter_failure("MAX_NUM_ORDER_LISTS"));
    }
    for leg in &mut request.legs {
        leg.order.stp_mode = Some(stp_mode(&leg.order, spec)?);
    }
    Ok((inst, request))
}

/// `DELETE /api/v3/orderList`: **symbol**, `orderListId` and/or `listClientOrderId`,
/// `newClientOrderId` (the cancel's id); cancels every open leg.
pub async fn cancel_order_list(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<CanceledList>, ApiError> {
    signed.allow_only(&["symbol", "orderListId", "listClientOrderId", "newClientOrderId"])?;
    let params = &signed.params;
    let inst = instrument(&state, params)?;
    let list_id = params.optional_u64("orderListId")?;
    let list_client_id = params.optional("listClientOrderId")?;
    if list_id.is_none() && list_client_id.is_none() {
        return Err(ApiError::either("orderListId", "listClientOrderId"));
    }
    let cancel_id = new_client_order_id(params)?;
    let now = state.clock.now_ms();
    let mut exchange = state.settled(&signed.api_key, now);
    let (mut ledger, mut book) = exchange.split_orders(&signed.api_key, now).ok_or_else(unknown_key)?;
    let unknown = || ApiError::cancel_rejected("Unknown order sent.");
    let symbol = inst.spec.symbol.as_str();
    let found = match list_id {
        Some(id) => book
            .list_index(id)
            .filter(|&l| book.lists[l].symbol == symbol)
            .filter(|&l| list_client_id.is_none_or(|c| book.lists[l].list_client_order_id == c)),
        None => book
            .lists
            .iter()
            .position(|l| l.is_open() && l.symbol == symbol && Some(l.list_client_order_id.as_str()) == list_client_id),
    };
    let l = found.filter(|&l| book.lists[l].is_open()).ok_or_else(unknown)?;
    let canceled = cancel_whole_list(&mut ledger, inst, &mut book, l, &cancel_id, now);
    // The legs' CANCELED events name this request's id (`c`) and the leg's own (`C`).
    for order_id in canceled.order_ids() {
        exchange.note_cancel(order_id, &cancel_id);
    }
    Ok(Json(canceled))
}

/// Cancels the open list `l` at `now_ms` for the cancel request `cancel_id`; the answer lists
/// the legs it canceled.
pub fn cancel_whole_list(
    ledger: &mut Ledger<'_>,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    l: usize,
    cancel_id: &str,
    now_ms: i64,
) -> CanceledList {
    let legs = cancel_list(ledger, &inst.spec, book, l, now_ms);
    let reports = legs
        .iter()
        .map(|&i| canceled(&book.orders[i], cancel_id, now_ms))
        .collect();
    with_reports(&book.lists[l], book.orders, reports)
}
