//! Test hooks under `/emulator/` (not Binance paths; unauthenticated; loopback clients only,
//! others get 403): the request log, fault injection and forced fills, and the routes of the
//! market and reference-price hooks (`market_hooks`, `reference`).
//!
//! * `GET /emulator/requests` → `[{"method","path","query","body","status","time","weight"}]`:
//!   every request received outside `/emulator/`, oldest first (at most 10,000 kept); the value
//!   of `signature` in `query` and `body` is replaced by `…`; `status` is `null` while the answer
//!   is pending (or was never sent); `time` is ms since epoch at receipt; `weight` is the request
//!   weight charged. WebSocket upgrades appear as `GET /ws-api/v3`, `GET /ws/…` or
//!   `GET /stream` with status 101 (503 when refused by `ws_down_ms`). Each WebSocket API
//!   request is an entry of its own: `path` `/ws-api/v3`, `method` the WebSocket method name
//!   (`session.logon`; empty for a frame that was not a request), `body` its `params` as JSON
//!   (signature redacted), `status` the answer's status, and `verified_key_type` (`HMAC` or
//!   `Ed25519`) when its signature verified.
//! * `DELETE /emulator/requests` clears the log (204).
//! * `POST /emulator/faults` with a JSON object; each field present changes that fault, absent
//!   fields stay as they were; the answer is the fault state:
//!   * `{"execute_then_503": N}`: the next N `POST /api/v3/order` or `POST /api/v3/orderList/*`
//!     requests are processed normally (the order or list executes if valid) and answered HTTP
//!     503 with a plain-text body;
//!   * `{"latency_ms": M}`: every answer outside `/emulator/` is delayed by M ms after the request
//!     was processed (0 turns it off);
//!   * `{"reject_all": {"status": S}}`: every `/api/` request is answered with status S (400–599)
//!     without acting: 429 and 418 carry Binance's -1003 bodies and `Retry-After: 60`, other
//!     statuses a plain-text body;
//!   * `{"status_once": {"status": S, "retry_after_secs": N, "count": K}}`: the next K
//!     `/api/` requests (default one) are answered with status S (400–599) without acting: 429
//!     and 418 carry Binance's -1003 bodies (the 418 one with "IP banned until <ms>") and
//!     `Retry-After: N` (default 60), other statuses a plain-text body;
//!   * `{"drop_connections": K}`: the next K requests have their connection closed without an
//!     answer (their `status` stays `null`; needs a served emulator, not an in-process router);
//!   * `{"clock_skew_ms": K}`: the server clock runs K ms ahead (negative: behind);
//!   * `{"ws_down_ms": M}`: every open WebSocket (WebSocket API and market streams) is dropped
//!     at once, without a close frame, and WebSocket upgrades are answered HTTP 503 for the next
//!     M ms (0 lifts the refusal early); REST is not affected.
//!   * `{"end_user_streams": true}`: every user-data subscription is sent the events still owed,
//!     then `eventStreamTerminated`, and ends; the WebSocket connections stay open (a one-off
//!     action, not a lasting fault).
//!   * `{"server_shutdown": true}`: every open WebSocket is sent the `serverShutdown` event that
//!     precedes a Binance restart (WebSocket API `{"event":{"e":"serverShutdown","E":…}}`, raw
//!     streams `{"e":"serverShutdown","E":…}`, combined streams under `"stream":"!serverShutdown"`);
//!     the connections stay open, as Binance's do until the restart (a one-off action).
//! * `GET /emulator/faults` shows the fault state; `DELETE /emulator/faults` clears every fault
//!   (and lifts `ws_down_ms`).
//! * `POST /emulator/fill` with `{"orderId": N, "quantity": "0.001"}` (`quantity` optional, a
//!   decimal string) fills open order N of whichever account holds it (order ids are global) now,
//!   by `quantity` or all that is left, exactly as a fill by the market would: same balance
//!   moves, commission, trade ids, unfilled-order count and order-list effects (one OCO leg
//!   filled expires the other, a filled OTO working leg puts its pending legs on the book). A
//!   limit price fills as maker; a waiting stop is first triggered as if the last price had
//!   crossed its stop (a STOP_LOSS/TAKE_PROFIT then fills completely at its stop price as taker).
//!   A partial `quantity` must pass `LOT_SIZE`. The answer is the order as `GET /api/v3/order`
//!   shows it; errors are `{"error": "<message>"}` with 404 (no such order) or 400 (bad body,
//!   an order not open or still `PENDING_NEW`, a bad quantity).
//! * `POST /emulator/market` (move a symbol's prices by a factor) and `POST`/`DELETE
//!   /emulator/filters` (change a filter as exchangeInfo shows it): see `market_hooks`.
//! * `POST /emulator/reference_price` with `{"symbol": "ETHUSDT", "referencePrice": "5000.00"}`
//!   sets a symbol's reference price as an operator would (`referencePrice/calculation` then
//!   shows `EXTERNAL` method 0; `null` makes it null), `{"symbol": …, "clear": true}` gives
//!   the symbol back its own calculation; the answer is the new `GET /api/v3/referencePrice`.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::EmulatorState;
use super::error::ApiError;
use super::weight::{MAX_BODY_BYTES, Weight};

const MAX_LOG: usize = 10_000;
const REDACTED: &str = "…";

/// One logged request.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    #[serde(skip)]
    seq: u64,
    method: String,
    path: String,
    query: String,
    body: String,
    status: Option<u16>,
    time: i64,
    /// The request weight the emulator charged for it (known once answered), so a test can add
    /// up what a workflow costs.
    weight: Option<u32>,
    #[serde(skip)]
    weight_rule: Option<Weight>,
    /// WebSocket API requests only: the key type whose signature verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_key_type: Option<&'static str>,
}

/// `reject_all` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectAll {
    status: u16,
}

/// `status_once` setting: answer the next `count` requests with `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusOnce {
    status: u16,
    #[serde(default = "default_retry_after")]
    retry_after_secs: u64,
    #[serde(default = "one")]
    count: u32,
}

fn default_retry_after() -> u64 {
    60
}

fn one() -> u32 {
    1
}

/// Current faults.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Faults {
    execute_then_503: u32,
    latency_ms: u64,
    reject_all: Option<RejectAll>,
    status_once: Option<StatusOnce>,
    drop_connections: u32,
    clock_skew_ms: i64,
    /// The last `ws_down_ms` set (0: none); the refusal itself ends after that many ms.
    ws_down_ms: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsPatch {
    execute_then_503: Option<u32>,
    latency_ms: Option<u64>,
    reject_all: Option<RejectAll>,
    status_once: Option<StatusOnce>,
    drop_connections: Option<u32>,
    clock_skew_ms: Option<i64>,
    ws_down_ms: Option<u64>,
    end_user_streams: Option<bool>,
    server_shutdown: Option<bool>,
}

/// Request log and faults of one emulator.
#[derive(Debug, Default)]
pub struct Hooks {
    log: Mutex<(u64, VecDeque<LoggedRequest>)>,
    faults: Mutex<Faults>,
}

impl Hooks {
    fn log(&self) -> MutexGuard<'_, (u64, VecDeque<LoggedRequest>)> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, entry: LoggedRequest) -> u64 {
        let mut log = self.log();
        log.0 += 1;
        let seq = log.0;
        if log.1.len() >= MAX_LOG {
            log.1.pop_front();
        }
        log.1.push_back(LoggedRequest { seq, ..entry });
        seq
    }

    fn set_status(&self, seq: u64, status: StatusCode) {
        if let Some(entry) = self.log().1.iter_mut().rev().find(|e| e.seq == seq) {
            entry.status = Some(status.as_u16());
            // Rejections made before the route ran (the firewall's 403, 429/418, faults) charge
            // nothing.
            let reached_route = !matches!(status.as_u16(), 403 | 418 | 429) || entry.weight_rule.is_none();
            entry.weight = entry.weight_rule.map(|rule| match rule {
                _ if !reached_route => 0,
                Weight::Fixed(w) => w,
                Weight::OnFailure(w) if status.is_client_error() || status.is_server_error() => w,
                Weight::OnFailure(_) => 0,
            });
        }
    }

    /// Logs one WebSocket API request, already answered with `status` at a cost of `weight`.
    pub fn record_ws(
        &self,
        method: &str,
        params_json: String,
        status: u16,
        weight: u32,
        verified_key_type: Option<&'static str>,
        time: i64,
    ) {
        self.record(LoggedRequest {
            seq: 0,
            method: method.to_owned(),
            path: super::weight::WS_API_PATH.to_owned(),
            query: String::new(),
            body: params_json,
            status: Some(status),
            time,
            weight: Some(weight),
            weight_rule: None,
            verified_key_type,
        });
    }

    /// Takes one `drop_connections` credit, if any is left.
    fn take_drop(&self) -> bool {
        let mut faults = self.faults();
        if faults.drop_connections == 0 {
            return false;
        }
        faults.drop_connections -= 1;
        true
    }

    /// Takes one `status_once` credit, if any is left: (status, Retry-After seconds).
    fn take_status_once(&self) -> Option<(u16, u64)> {
        let mut faults = self.faults();
        let once = faults.status_once.as_mut()?;
        once.count = once.count.saturating_sub(1);
        let taken = (once.status, once.retry_after_secs);
        if once.count == 0 {
            faults.status_once = None;
        }
        Some(taken)
    }

    /// Takes one `execute_then_503` credit, if any is left.
    fn take_execute_then_503(&self) -> bool {
        let mut faults = self.faults();
        if faults.execute_then_503 == 0 {
            return false;
        }
        faults.execute_then_503 -= 1;
        true
    }
}

/// The `/emulator/` routes.
pub fn routes() -> Router<Arc<EmulatorState>> {
    Router::new()
        .route("/emulator/requests", get(list_requests).delete(clear_requests))
        .route(
            "/emulator/faults",
            get(show_faults).post(set_faults).delete(clear_faults),
        )
        .route("/emulator/fill", post(super::fill_hook::fill))
        .route("/emulator/market", post(super::market_hooks::set_market))
        .route(
            "/emulator/filters",
            post(super::market_hooks::set_filter).delete(super::market_hooks::clear_filters),
        )
        .route("/emulator/reference_price", post(super::reference::set_reference_price))
}

async fn list_requests(State(state): State<Arc<EmulatorState>>) -> Json<Vec<LoggedRequest>> {
    Json(state.hooks.log().1.iter().cloned().collect())
}

async fn clear_requests(State(state): State<Arc<EmulatorState>>) -> StatusCode {
    state.hooks.log().1.clear();
    StatusCode::NO_CONTENT
}

async fn show_faults(State(state): State<Arc<EmulatorState>>) -> Json<Faults> {
    Json(state.hooks.faults().clone())
}

async fn set_faults(State(state): State<Arc<EmulatorState>>, body: axum::body::Bytes) -> Response {
    let patch: FaultsPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("bad faults JSON: {e}")).into_response(),
    };
    if let Some(RejectAll { status }) = patch.reject_all
        && !(400..=599).contains(&status)
    {
        return (StatusCode::BAD_REQUEST, "reject_all.status must be 400..=599").into_response();
    }
    if let Some(StatusOnce { status, .. }) = patch.status_once
        && !(400..=599).contains(&status)
    {
        return (StatusCode::BAD_REQUEST, "status_once.status must be 400..=599").into_response();
    }
    let mut faults = state.hooks.faults();
    if let Some(n) = patch.execute_then_503 {
        faults.execute_then_503 = n;
    }
    if let Some(ms) = patch.latency_ms {
        faults.latency_ms = ms;
    }
    if let Some(reject) = patch.reject_all {
        faults.reject_all = Some(reject);
    }
    if let Some(once) = patch.status_once {
        faults.status_once = (once.count > 0).then_some(once);
    }
    if let Some(n) = patch.drop_connections {
        faults.drop_connections = n;
    }
    if let Some(skew) = patch.clock_skew_ms {
        faults.clock_skew_ms = skew;
        state.clock.set_skew_ms(skew);
    }
    if let Some(ms) = patch.ws_down_ms {
        faults.ws_down_ms = ms;
        state.ws.take_down(Duration::from_millis(ms));
    }
    let answer = Json(faults.clone()).into_response();
    drop(faults);
    if patch.end_user_streams == Some(true) {
        state.user_data.terminate_all(&state);
    }
    if patch.server_shutdown == Some(true) {
        state.ws.announce_shutdown(state.clock.now_ms());
    }
    answer
}

async fn clear_faults(State(state): State<Arc<EmulatorState>>) -> StatusCode {
    *state.hooks.faults() = Faults::default();
    state.clock.set_skew_ms(0);
    state.ws.bring_up();
    StatusCode::NO_CONTENT
}

/// Outermost layer: hooks answer only loopback clients; every other request is logged (with
/// its final status) and subjected to the faults.
pub async fn middleware(State(state): State<Arc<EmulatorState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    if path.starts_with("/emulator/") {
        let loopback = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none_or(|c| c.0.ip().is_loopback() || is_mapped_loopback(c.0.ip()));
        if !loopback {
            return (StatusCode::FORBIDDEN, "emulator hooks answer loopback clients only").into_response();
        }
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let seq = state.hooks.record(LoggedRequest {
        seq: 0,
        method: parts.method.to_string(),
        path: path.clone(),
        query: redact(parts.uri.query().unwrap_or("")),
        body: redact(&String::from_utf8_lossy(&bytes)),
        status: None,
        time: state.clock.now_ms(),
        weight: None,
        weight_rule: super::weight::request_weight(&parts.method, &path, parts.uri.query(), &bytes),
        verified_key_type: None,
    });
    let is_order_post =
        parts.method == Method::POST && (path == "/api/v3/order" || path.starts_with("/api/v3/orderList/"));
    let request = Request::from_parts(parts, Body::from(bytes));
    let (reject, latency) = {
        let faults = state.hooks.faults();
        (faults.reject_all, faults.latency_ms)
    };
    if state.hooks.take_drop() {
        // The answer below is never written: the connection closes first.
        if let Some(peer) = peer
            && state.connections.cut(peer)
        {
            return plain(StatusCode::BAD_GATEWAY, "emulator: connection dropped");
        }
    }
    let once = if path.starts_with("/api/") {
        state.hooks.take_status_once()
    } else {
        None
    };
    let now_ms = state.clock.now_ms();
    let response = match (once, reject) {
        (Some((status, retry_after)), _) => rejection(status, retry_after, now_ms),
        (None, Some(RejectAll { status })) if path.starts_with("/api/") => rejection(status, 60, now_ms),
        _ => {
            let mut response = next.run(request).await;
            if path == "/api/v3/exchangeInfo" {
                response = super::market_hooks::patch_exchange_info(&state, response).await;
            }
            if is_order_post && state.hooks.take_execute_then_503() {
                plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "503 Service Unavailable (emulator: executed, then failed)",
                )
            } else {
                response
            }
        }
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    state.hooks.set_status(seq, response.status());
    response
}

/// The answer of `reject_all` and `status_once`: Binance bodies for 429/418 with `Retry-After`,
/// plain text otherwise.
fn rejection(status: u16, retry_after_secs: u64, now_ms: i64) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    match status.as_u16() {
        429 => ApiError::too_much_weight(6000, retry_after_secs).into_response(),
        418 => ApiError::banned(now_ms + retry_after_secs as i64 * 1000, retry_after_secs).into_response(),
        _ => plain(status, "emulator: injected fault"),
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `k=v&...` with the value of every `signature` pair replaced by `…`.
pub fn redact(raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    raw.split('&')
        .map(|pair| {
            if pair.starts_with("signature=") {
                format!("signature={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_mapped_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        IpAddr::V4(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn redacts_only_the_signature_value() {
        assert_eq!(redact("a=1&signature=abc&b=2"), "a=1&signature=…&b=2");
        assert_eq!(redact("signature=abc"), "signature=…");
        assert_eq!(redact("a=1"), "a=1");
        assert_eq!(redact(""), "");
    }
}
