//! Order and trade queries (USER_DATA, signed): `GET /api/v3/order`, `/openOrders`,
//! `/allOrders`, `/myTrades`, `/rateLimit/order`. Each first settles the account's resting
//! orders against the market (see `settlement`). Also the `startTime` / `endTime` range and
//! the paging the order-list queries share.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::error::{ApiError, code};
use super::order_json::{Queried, TradeRow, queried, trade_rows};
use super::order_model::{Lookup, Order, lookup};
use super::order_params::order_ids;
use super::params::Params;
use super::symbol_param::instrument;

const DAY_MS: i64 = 86_400_000;

/// `GET /api/v3/order` (weight 4): **symbol**, `orderId` and/or `origClientOrderId`.
pub async fn query_order(State(state): State<Arc<EmulatorState>>, signed: Signed) -> Result<Json<Queried>, ApiError> {
    signed.allow_only(&["symbol", "orderId", "origClientOrderId"])?;
    let inst = instrument(&state, &signed.params)?;
    let (order_id, client_id) = order_ids(&signed.params)?;
    with_orders(&state, &signed, |orders| {
        match lookup(orders, &inst.spec.symbol, order_id, client_id.as_deref()) {
            Lookup::Found(i) => Ok(Json(queried(&orders[i]))),
            Lookup::Mismatch => Err(ApiError::bad_request(
                code::CLIENT_ORDER_ID_INVALID,
                "Client order ID is not correct for this order ID.",
            )),
            Lookup::Missing => Err(ApiError::bad_request(code::NO_SUCH_ORDER, "Order does not exist.")),
        }
    })
}

/// `GET /api/v3/openOrders` (weight 6 with `symbol`, 80 without): open orders, oldest first.
pub async fn open_orders(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<Queried>>, ApiError> {
    signed.allow_only(&["symbol"])?;
    let symbol = match signed.params.optional("symbol")? {
        Some(_) => Some(instrument(&state, &signed.params)?.spec.symbol.clone()),
        None => None,
    };
    with_orders(&state, &signed, |orders| {
        Ok(Json(
            orders
                .iter()
                .filter(|o| o.status.is_open() && symbol.as_ref().is_none_or(|s| *s == o.symbol))
                .map(queried)
                .collect(),
        ))
    })
}

/// `GET /api/v3/allOrders` (weight 20): **symbol**, `orderId` (orders ≥ it), `startTime`,
/// `endTime` (at most 24 h apart), `limit` (default 500, max 1000).
pub async fn all_orders(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<Queried>>, ApiError> {
    signed.allow_only(&["symbol", "orderId", "startTime", "endTime", "limit"])?;
    let params = &signed.params;
    let inst = instrument(&state, params)?;
    let order_id = params.optional_u64("orderId")?;
    let (start, end) = time_range(params)?;
    let limit = params.limit(500, 1000)?;
    with_orders(&state, &signed, |orders| {
        let rows: Vec<Queried> = orders
            .iter()
            .filter(|o| o.symbol == inst.spec.symbol)
            .filter(|o| order_id.is_none_or(|id| o.order_id >= id))
            .filter(|o| start.is_none_or(|s| o.time >= s) && end.is_none_or(|e| o.time <= e))
            .map(queried)
            .collect();
        Ok(Json(window(rows, order_id.is_some() || start.is_some(), limit)))
    })
}

/// `GET /api/v3/myTrades` (weight 20, 5 with `orderId`): **symbol** with one of the documented
/// combinations of `orderId`, `startTime`, `endTime`, `fromId` (else -1128); `limit` 500/1000.
pub async fn my_trades(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<TradeRow>>, ApiError> {
    signed.allow_only(&["symbol", "orderId", "startTime", "endTime", "fromId", "limit"])?;
    let params = &signed.params;
    let inst = instrument(&state, params)?;
    let order_id = params.optional_u64("orderId")?;
    let from_id = params.optional_u64("fromId")?;
    let (start, end) = time_range(params)?;
    let combination = (order_id.is_some(), start.is_some(), end.is_some(), from_id.is_some());
    let allowed = matches!(
        combination,
        (false, false, false, false)
            | (true, false, false, _)
            | (false, true, _, false)
            | (false, false, true, false)
            | (false, false, false, true)
    );
    if !allowed {
        return Err(ApiError::bad_combination());
    }
    let limit = params.limit(500, 1000)?;
    with_orders(&state, &signed, |orders| {
        let mut rows: Vec<(u64, i64, TradeRow)> = orders
            .iter()
            .filter(|o| o.symbol == inst.spec.symbol && order_id.is_none_or(|id| o.order_id == id))
            .flat_map(trade_rows)
            .filter(|(id, time, _)| {
                from_id.is_none_or(|f| *id >= f) && start.is_none_or(|s| *time >= s) && end.is_none_or(|e| *time <= e)
            })
            .collect();
        rows.sort_by_key(|(id, _, _)| *id);
        let rows = rows.into_iter().map(|(_, _, row)| row).collect();
        Ok(Json(window(rows, from_id.is_some() || start.is_some(), limit)))
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRateLimit {
    rate_limit_type: &'static str,
    interval: &'static str,
    interval_num: u32,
    limit: u32,
    count: u32,
}

/// `GET /api/v3/rateLimit/order` (weight 40): the account's unfilled order counts.
pub async fn rate_limit_order(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<OrderRateLimit>>, ApiError> {
    signed.allow_only(&[])?;
    let now = state.clock.now_ms();
    let limits = state.order_limits();
    let mut exchange = state.settled(&signed.api_key, now);
    let account = exchange.account_mut(&signed.api_key).ok_or_else(unknown_key)?;
    let (ten_seconds, day) = account.order_count.counts(now);
    let row = |interval, interval_num, limit, count| OrderRateLimit {
        rate_limit_type: "ORDERS",
        interval,
        interval_num,
        limit,
        count,
    };
    Ok(Json(vec![
        row("SECOND", 10, limits.per_10s, ten_seconds),
        row("DAY", 1, limits.per_day, day),
    ]))
}

/// Settles the account, then answers from its orders.
fn with_orders<T>(
    state: &EmulatorState,
    signed: &Signed,
    answer: impl FnOnce(&[Order]) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let exchange = state.settled(&signed.api_key, state.clock.now_ms());
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    answer(&account.orders)
}

/// `startTime`/`endTime` in ms; more than 24 h apart is -1127.
pub fn time_range(params: &Params) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let start = params.optional_time_ms("startTime")?;
    let end = params.optional_time_ms("endTime")?;
    if let (Some(s), Some(e)) = (start, end)
        && e - s > DAY_MS
    {
        return Err(ApiError::bad_request(
            code::MORE_THAN_XX_HOURS,
            "More than 24 hours between startTime and endTime.",
        ));
    }
    Ok((start, end))
}

/// The documented paging: from a lower bound, the oldest `limit`; otherwise the newest `limit`;
/// always oldest first.
pub fn window<T>(mut rows: Vec<T>, from_lower_bound: bool, limit: usize) -> Vec<T> {
    if from_lower_bound {
        rows.truncate(limit);
        rows
    } else {
        let skip = rows.len().saturating_sub(limit);
        rows.split_off(skip)
    }
}
