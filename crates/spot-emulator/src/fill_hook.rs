//! `POST /emulator/fill` (test hook, see `hooks`): fills one open order now, whatever the
//! seeded market does, with the same balance moves, commission, trade ids, unfilled-order count
//! and order-list effects as a fill by the market.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::EmulatorState;
use super::contingency;
use super::exchange::{AccountOrders, Ledger};
use super::market::{Instrument, Market};
use super::order_json::queried;
use super::order_model::Status;
use super::order_rules::lot_ok;

/// The hook's request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FillRequest {
    order_id: u64,
    /// Decimal string; the whole remaining quantity when absent.
    quantity: Option<String>,
}

/// A refusal: HTTP status and a message, answered as `{"error": "..."}`.
#[derive(Debug)]
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

fn bad(msg: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, msg.into())
}

/// `POST /emulator/fill` `{"orderId": N, "quantity": "…"?}`: the order's `GET /api/v3/order`
/// JSON after the fill; 404 for an unknown order, 400 for a bad body, an order that is not
/// open (or still `PENDING_NEW`), or a quantity that breaks `LOT_SIZE` or exceeds what is left.
pub async fn fill(State(state): State<Arc<EmulatorState>>, body: Bytes) -> Response {
    match fill_order(&state, &body) {
        Ok(answer) => answer,
        Err(refusal) => refusal.into_response(),
    }
}

fn fill_order(state: &EmulatorState, body: &[u8]) -> Result<Response, Refusal> {
    let request: FillRequest = serde_json::from_slice(body).map_err(|e| bad(format!("bad fill JSON: {e}")))?;
    let id = request.order_id;
    let quantity = request
        .quantity
        .as_deref()
        .map(|q| {
            Decimal::from_str_exact(q)
                .map(|d| d.normalize())
                .map_err(|_| bad(format!("quantity {q:?} is not a decimal string")))
        })
        .transpose()?;
    let now = state.clock.now_ms();
    let mut exchange = state.exchange();
    let api_key = exchange
        .account_key_of_order(id)
        .map(str::to_owned)
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, format!("no order {id} on any account")))?;
    exchange.advance(&api_key, &state.market, now);
    let (mut ledger, mut book) = exchange
        .split_orders(&api_key, now)
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, format!("no order {id} on any account")))?;
    let index = book
        .order_index(id)
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, format!("no order {id} on any account")))?;
    let inst = state
        .market
        .instrument(&book.orders[index].symbol)
        .ok_or_else(|| bad(format!("order {id} is on a symbol no longer listed")))?;
    fill_now(&mut ledger, &state.market, inst, &mut book, index, quantity, now)?;
    Ok(Json(queried(&book.orders[index])).into_response())
}

/// Fills order `index` at `now_ms` by `quantity` (all that is left when `None`): a waiting stop
/// triggers first (its OCO sibling expires); a limit price fills as maker, a triggered
/// STOP_LOSS/TAKE_PROFIT (a MARKET order by then) fills completely at its stop price as taker.
fn fill_now(
    ledger: &mut Ledger<'_>,
    market: &Market,
    inst: &Instrument,
    book: &mut AccountOrders<'_>,
    index: usize,
    quantity: Option<Decimal>,
    now_ms: i64,
) -> Result<(), Refusal> {
    let spec = &inst.spec;
    let order = &book.orders[index];
    let id = order.order_id;
    match order.status {
        Status::New | Status::PartiallyFilled => {}
        Status::PendingNew => {
            return Err(bad(format!(
                "order {id} is PENDING_NEW: it goes on the book only when its list's working order has filled"
            )));
        }
        status => return Err(bad(format!("order {id} is {}, not open", status.as_str()))),
    }
    let remaining = order.remaining();
    let qty = quantity.unwrap_or(remaining);
    if qty <= Decimal::ZERO || qty > remaining {
        return Err(bad(format!(
            "quantity {qty} must be above 0 and at most the {remaining} left on order {id}"
        )));
    }
    let lot = &spec.lot_size;
    if qty != remaining && !lot_ok(qty, lot) {
        return Err(bad(format!(
            "quantity {qty} breaks LOT_SIZE (minQty {}, stepSize {})",
            lot.min_qty.normalize(),
            lot.step_size.normalize()
        )));
    }
    let market_like = order.kind.is_market_like();
    if market_like && qty != remaining {
        return Err(bad(format!(
            "order {id} is a {}: once triggered it executes as a MARKET order, so it fills completely",
            order.kind.as_str()
        )));
    }
    let last = market.last_price(inst, now_ms);
    contingency::before_execution(ledger, spec, book, index, now_ms);
    let order = &mut book.orders[index];
    if order.is_pending_trigger() {
        order.working_time = now_ms;
        if order.trail.is_some() && order.trailing_time < 0 {
            order.trailing_time = now_ms;
        }
    }
    let price = if market_like {
        order.stop_price.unwrap_or(last)
    } else {
        order.price
    };
    ledger.fill(spec, order, price, qty, !market_like, now_ms);
    contingency::after_change(ledger, market, inst, book, index, now_ms);
    Ok(())
}
