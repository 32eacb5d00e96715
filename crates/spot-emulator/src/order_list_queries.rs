//! Order-list queries (USER_DATA, signed): `GET /api/v3/orderList` (weight 4),
//! `GET /api/v3/openOrderList` (6), `GET /api/v3/allOrderList` (20). Each first settles the
//! account (see `settlement`); answers carry no `orderReports`; lists come oldest first (the
//! general rule of `rest-api.md`: data is returned in chronological order).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::EmulatorState;
use super::auth::{Signed, unknown_key};
use super::error::{ApiError, code};
use super::exchange::Account;
use super::order_list_json::{ListStatus, list_status};
use super::order_queries::{time_range, window};

/// `GET /api/v3/orderList`: `orderListId` and/or `origClientOrderId` (the list's
/// `listClientOrderId`); with both, the id is looked up and the client id must match it.
pub async fn query_order_list(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<ListStatus>, ApiError> {
    signed.allow_only(&["orderListId", "origClientOrderId"])?;
    let list_id = signed.params.optional_u64("orderListId")?;
    let client_id = signed.params.optional("origClientOrderId")?.map(str::to_owned);
    if list_id.is_none() && client_id.is_none() {
        return Err(ApiError::either("orderListId", "origClientOrderId"));
    }
    with_account(&state, &signed, |account| {
        let lists = &account.order_lists;
        let matches_client = |id: &str| client_id.as_deref().is_none_or(|c| c == id);
        let found = match list_id {
            Some(id) => match lists.iter().find(|l| l.order_list_id == id) {
                Some(list) if !matches_client(&list.list_client_order_id) => {
                    return Err(ApiError::bad_request(
                        code::CLIENT_ORDER_ID_INVALID,
                        "Client order ID is not correct for this order ID.",
                    ));
                }
                found => found,
            },
            // The open list with that id first, else the most recent one.
            None => lists
                .iter()
                .find(|l| l.is_open() && matches_client(&l.list_client_order_id))
                .or_else(|| lists.iter().rev().find(|l| matches_client(&l.list_client_order_id))),
        };
        let list = found.ok_or_else(|| ApiError::bad_request(code::NO_SUCH_ORDER, "Order does not exist."))?;
        Ok(Json(list_status(list, &account.orders)))
    })
}

/// `GET /api/v3/openOrderList`: every executing list of the account.
pub async fn open_order_lists(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<ListStatus>>, ApiError> {
    signed.allow_only(&[])?;
    with_account(&state, &signed, |account| {
        Ok(Json(
            account
                .order_lists
                .iter()
                .filter(|l| l.is_open())
                .map(|l| list_status(l, &account.orders))
                .collect(),
        ))
    })
}

/// `GET /api/v3/allOrderList`: `fromId` (lists with an id at or above it; not with a time
/// range, -1128), `startTime`/`endTime` on the placement time (at most 24 h apart, -1127),
/// `limit` (default 500, max 1000).
pub async fn all_order_lists(
    State(state): State<Arc<EmulatorState>>,
    signed: Signed,
) -> Result<Json<Vec<ListStatus>>, ApiError> {
    signed.allow_only(&["fromId", "startTime", "endTime", "limit"])?;
    let params = &signed.params;
    let from_id = params.optional_u64("fromId")?;
    let (start, end) = time_range(params)?;
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad_combination());
    }
    let limit = params.limit(500, 1000)?;
    with_account(&state, &signed, |account| {
        let rows: Vec<ListStatus> = account
            .order_lists
            .iter()
            .filter(|l| from_id.is_none_or(|id| l.order_list_id >= id))
            .filter(|l| start.is_none_or(|s| l.created_ms >= s) && end.is_none_or(|e| l.created_ms <= e))
            .map(|l| list_status(l, &account.orders))
            .collect();
        Ok(Json(window(rows, from_id.is_some() || start.is_some(), limit)))
    })
}

/// Settles the account, then answers from it.
fn with_account<T>(
    state: &EmulatorState,
    signed: &Signed,
    answer: impl FnOnce(&Account) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let exchange = state.settled(&signed.api_key, state.clock.now_ms());
    let account = exchange.account(&signed.api_key).ok_or_else(unknown_key)?;
    answer(account)
}
