//! Request weight: per-endpoint weights (rest-api.md; order endpoints 0 when successful since
//! 2026-04-02), per-IP clock-aligned 1-minute windows, the `X-MBX-USED-WEIGHT-1M` header,
//! HTTP 429 `-1003` with `Retry-After`, and, for a client that keeps sending inside that
//! window, an IP ban: HTTP 418 `-1003` "IP banned until <ms>" with `Retry-After`, 2 minutes
//! for the first ban, doubling for each further one up to 3 days.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::EmulatorState;
use super::error::ApiError;
use super::params::{Params, SymbolSelection};

/// Header carrying the weight used by the client IP in the current minute.
pub const USED_WEIGHT_HEADER: &str = "x-mbx-used-weight-1m";
const WINDOW_MS: i64 = 60_000;

/// Requests a client may still send inside its Retry-After window (they may have been in
/// flight when the 429 went out) before it is banned.
pub const TOLERATED_AFTER_429: u32 = 2;
/// The first ban lasts 2 minutes; each further one twice as long, up to 3 days.
const FIRST_BAN_MS: i64 = 2 * 60_000;
const MAX_BAN_MS: i64 = 3 * 24 * 3_600_000;

/// One client IP: its window, and any Retry-After or ban in force.
#[derive(Debug, Default, Clone, Copy)]
struct IpState {
    window: i64,
    used: u32,
    limited_until_ms: i64,
    strikes: u32,
    banned_until_ms: i64,
    bans: u32,
}

/// Whether a request from an IP may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Inside the Retry-After window of a 429: answer 429 again.
    Limited {
        retry_after_secs: u64,
    },
    /// Banned until then: answer 418.
    Banned {
        until_ms: i64,
    },
}

/// Weight used per client IP in the current clock-aligned minute, and the penalties in force.
#[derive(Debug, Default)]
pub struct WeightWindows {
    by_ip: HashMap<IpAddr, IpState>,
}

impl WeightWindows {
    fn state(&mut self, ip: IpAddr, now_ms: i64) -> &mut IpState {
        let window = now_ms.div_euclid(WINDOW_MS);
        if self.by_ip.len() > 4096 {
            self.by_ip
                .retain(|_, s| s.window == window || s.banned_until_ms > now_ms || s.limited_until_ms > now_ms);
        }
        let state = self.by_ip.entry(ip).or_default();
        if state.window != window {
            state.window = window;
            state.used = 0;
        }
        state
    }

    /// Adds `weight` to `ip`'s window at `now_ms` and returns the weight used in that window.
    pub fn charge(&mut self, ip: IpAddr, weight: u32, now_ms: i64) -> u32 {
        let state = self.state(ip, now_ms);
        state.used = state.used.saturating_add(weight);
        state.used
    }

    /// Before serving: a banned IP is refused; a request inside a 429's Retry-After window is a
    /// strike, and more than [`TOLERATED_AFTER_429`] of them earn a ban.
    pub fn gate(&mut self, ip: IpAddr, now_ms: i64) -> Gate {
        let state = self.state(ip, now_ms);
        if state.banned_until_ms > now_ms {
            return Gate::Banned {
                until_ms: state.banned_until_ms,
            };
        }
        if state.limited_until_ms <= now_ms {
            state.strikes = 0;
            return Gate::Open;
        }
        state.strikes += 1;
        if state.strikes <= TOLERATED_AFTER_429 {
            let left = state.limited_until_ms - now_ms;
            return Gate::Limited {
                retry_after_secs: u64::try_from((left + 999) / 1000).unwrap_or(1).max(1),
            };
        }
        let length = FIRST_BAN_MS.saturating_mul(1 << state.bans.min(20)).min(MAX_BAN_MS);
        state.bans += 1;
        state.strikes = 0;
        state.limited_until_ms = 0;
        state.banned_until_ms = now_ms + length;
        Gate::Banned {
            until_ms: state.banned_until_ms,
        }
    }

    /// After a 429: no request from `ip` before `until_ms`.
    pub fn limit(&mut self, ip: IpAddr, until_ms: i64, now_ms: i64) {
        let state = self.state(ip, now_ms);
        state.limited_until_ms = state.limited_until_ms.max(until_ms);
    }
}

/// Seconds from `now_ms` to the start of the next minute window (at least 1).
pub fn seconds_to_next_window(now_ms: i64) -> u64 {
    let remaining = WINDOW_MS - now_ms.rem_euclid(WINDOW_MS);
    u64::try_from((remaining + 999) / 1000).unwrap_or(1).max(1)
}

/// What a request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// Charged before the request runs.
    Fixed(u32),
    /// Order placement and cancel endpoints (since 2026-04-02): 0 when successful, this when failed.
    OnFailure(u32),
}

/// The documented request weight of `method path?query` (+ form `body`); `None` for routes the
/// emulator does not serve. Parameters are read leniently: a request that fails validation still
/// pays its base weight.
pub fn request_weight(method: &Method, path: &str, query: Option<&str>, body: &[u8]) -> Option<Weight> {
    if method == Method::GET && path == WS_API_PATH {
        // "Connecting to WebSocket API costs 2 weight" (web-socket-api.md, IP limits).
        return Some(Weight::Fixed(2));
    }
    let params = Params::parse(query).unwrap_or_default();
    let selection = params.symbol_selection().ok();
    let symbol_count = match &selection {
        Some(SymbolSelection::Many(list)) => Some(list.len()),
        _ => None,
    };
    let has = |name: &str| params.get(name).is_some();
    let route = path.strip_prefix("/api/v3/")?;
    let weight = match (method.as_str(), route) {
        ("POST" | "DELETE", "order" | "openOrders") => return Some(Weight::OnFailure(1)),
        ("POST", "orderList/oco" | "orderList/oto" | "orderList/otoco" | "orderList/opo" | "orderList/opoco")
        | ("DELETE", "orderList") => {
            return Some(Weight::OnFailure(1));
        }
        ("PUT", "order/amend/keepPriority") => 4,
        ("POST", "order/test") => {
            let body = Params::parse(std::str::from_utf8(body).ok()).unwrap_or_default();
            let compute = params
                .get("computeCommissionRates")
                .or(body.get("computeCommissionRates"));
            if compute.is_some_and(|v| v.eq_ignore_ascii_case("true")) {
                20
            } else {
                1
            }
        }
        ("GET", route) => match route {
            "ping" | "time" => 1,
            "exchangeInfo" => 20,
            "depth" => match params.limit(100, 5000).unwrap_or(100) {
                0..=100 => 5,
                101..=500 => 25,
                501..=1000 => 50,
                _ => 250,
            },
            "trades" => 25,
            "klines" | "uiKlines" | "avgPrice" => 2,
            "ticker/24hr" => match (params.get("symbol"), symbol_count) {
                (Some(_), _) => 2,
                (None, Some(0..=20)) => 2,
                (None, Some(21..=100)) => 40,
                _ => 80,
            },
            "ticker/price" | "ticker/bookTicker" => {
                if has("symbol") {
                    2
                } else {
                    4
                }
            }
            "ticker" => {
                let n = symbol_count.unwrap_or(1).max(1);
                if n > 50 { 200 } else { 4 * n as u32 }
            }
            "account" | "allOrders" | "account/commission" => 20,
            "order" => 4,
            "openOrders" => {
                if has("symbol") {
                    6
                } else {
                    80
                }
            }
            "myTrades" => {
                if has("orderId") {
                    5
                } else {
                    20
                }
            }
            "rateLimit/order" | "myFilters" => 40,
            "referencePrice" | "referencePrice/calculation" => 2,
            "executionRules" => match (params.get("symbol"), symbol_count) {
                (Some(_), _) => 2,
                (None, Some(n)) => (2 * n as u32).min(40),
                (None, None) => 40,
            },
            "orderList" => 4,
            "openOrderList" => 6,
            "allOrderList" => 20,
            _ => return None,
        },
        _ => return None,
    };
    Some(Weight::Fixed(weight))
}

/// Largest request body the emulator reads (form bodies are small).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Path of the WebSocket API (its upgrade request is charged like a REST request).
pub const WS_API_PATH: &str = "/ws-api/v3";

/// A request refused for its IP's weight: the Binance error, when the client may retry (ms
/// since epoch: the end of the ban or of the Retry-After window) and the weight used.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error: ApiError,
    pub retry_at_ms: i64,
    pub used: u32,
}

/// Admits one request from `ip` costing `weight` at `now_ms`, for REST and the WebSocket API
/// alike (weight is per IP, shared by every connection): a banned IP gets 418, a client inside
/// a 429's Retry-After window gets 429 again (and a ban when it keeps sending), a request that
/// spends the window gets 429. Returns the weight used in the window.
pub fn admit(state: &EmulatorState, ip: IpAddr, weight: u32, now_ms: i64) -> Result<u32, Refusal> {
    let limit = state.config.weight_limit_per_minute;
    let gate = state.weights().gate(ip, now_ms);
    let upfront = if gate == Gate::Open { weight } else { 0 };
    let used = state.weights().charge(ip, upfront, now_ms);
    match gate {
        Gate::Banned { until_ms } => {
            tracing::warn!(%ip, until_ms, "IP banned");
            let secs = u64::try_from((until_ms - now_ms + 999) / 1000).unwrap_or(1);
            Err(Refusal {
                error: ApiError::banned(until_ms, secs),
                retry_at_ms: until_ms,
                used,
            })
        }
        Gate::Limited { retry_after_secs } => Err(Refusal {
            error: ApiError::too_much_weight(limit, retry_after_secs),
            retry_at_ms: now_ms + i64::try_from(retry_after_secs).unwrap_or(60) * 1000,
            used,
        }),
        Gate::Open if used > limit => {
            tracing::warn!(%ip, used, limit, "request weight exhausted");
            let window_end = now_ms - now_ms.rem_euclid(WINDOW_MS) + WINDOW_MS;
            state.weights().limit(ip, window_end, now_ms);
            Err(Refusal {
                error: ApiError::too_much_weight(limit, seconds_to_next_window(now_ms)),
                retry_at_ms: window_end,
                used,
            })
        }
        Gate::Open => Ok(used),
    }
}

/// Adds `weight` to `ip`'s current window after the fact (failure-only weights); returns the
/// weight used.
pub fn charge_after(state: &EmulatorState, ip: IpAddr, weight: u32) -> u32 {
    state.weights().charge(ip, weight, state.clock.now_ms())
}

/// The client IP of a request: from `ConnectInfo` when served, else loopback (in-process tests).
pub fn client_ip(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip())
}

/// Charges every request to its client IP: fixed weights before it runs (429 when the window
/// is spent), failure-only weights after it ran.
pub async fn middleware(State(state): State<Arc<EmulatorState>>, request: Request, next: Next) -> Response {
    let ip = client_ip(request.extensions());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let weight = request_weight(&parts.method, parts.uri.path(), parts.uri.query(), &bytes);
    let request = Request::from_parts(parts, Body::from(bytes));
    let upfront = match weight {
        Some(Weight::Fixed(w)) => w,
        _ => 0,
    };
    let (mut response, used) = match admit(&state, ip, upfront, state.clock.now_ms()) {
        Err(refusal) => (refusal.error.into_response(), refusal.used),
        Ok(used) => {
            let response = next.run(request).await;
            match weight {
                Some(Weight::OnFailure(w)) if !response.status().is_success() => {
                    let used = charge_after(&state, ip, w);
                    (response, used)
                }
                _ => (response, used),
            }
        }
    };
    response
        .headers_mut()
        .insert(USED_WEIGHT_HEADER, HeaderValue::from(used));
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn get(path: &str, query: Option<&str>) -> Option<Weight> {
        request_weight(&Method::GET, path, query, b"")
    }

    #[test]
    fn documented_weights() {
        let cases: [(&str, Option<&str>, u32); 30] = [
            ("/api/v3/ping", None, 1),
            ("/api/v3/exchangeInfo", Some("symbol=BTCUSDT"), 20),
            ("/api/v3/depth", Some("symbol=BTCUSDT"), 5),
            ("/api/v3/depth", Some("symbol=BTCUSDT&limit=500"), 25),
            ("/api/v3/depth", Some("symbol=BTCUSDT&limit=1000"), 50),
            ("/api/v3/depth", Some("symbol=BTCUSDT&limit=99999"), 250),
            ("/api/v3/trades", Some("symbol=BTCUSDT"), 25),
            ("/api/v3/uiKlines", None, 2),
            ("/api/v3/ticker/24hr", Some("symbol=BTCUSDT"), 2),
            ("/api/v3/ticker/24hr", None, 80),
            ("/api/v3/ticker/24hr", Some(r#"symbols=["A","B"]"#), 2),
            ("/api/v3/ticker/price", Some("symbol=BTCUSDT"), 2),
            ("/api/v3/ticker/bookTicker", None, 4),
            ("/api/v3/ticker", Some(r#"symbols=["A","B","C"]"#), 12),
            ("/api/v3/account", Some("timestamp=1"), 20),
            ("/api/v3/avgPrice", None, 2),
            ("/api/v3/order", Some("symbol=BTCUSDT&orderId=1"), 4),
            ("/api/v3/openOrders", Some("symbol=BTCUSDT"), 6),
            ("/api/v3/openOrders", None, 80),
            ("/api/v3/allOrders", Some("symbol=BTCUSDT"), 20),
            ("/api/v3/myTrades", Some("symbol=BTCUSDT"), 20),
            ("/api/v3/myTrades", Some("symbol=BTCUSDT&orderId=3"), 5),
            ("/api/v3/rateLimit/order", None, 40),
            ("/api/v3/account/commission", Some("symbol=BTCUSDT"), 20),
            ("/api/v3/myFilters", Some("symbol=BTCUSDT"), 40),
            ("/api/v3/referencePrice", Some("symbol=BTCUSDT"), 2),
            ("/api/v3/referencePrice/calculation", Some("symbol=BTCUSDT"), 2),
            ("/api/v3/executionRules", Some("symbol=BTCUSDT"), 2),
            ("/api/v3/executionRules", Some(r#"symbols=["A","B","C"]"#), 6),
            ("/api/v3/executionRules", None, 40),
        ];
        for (path, query, weight) in cases {
            assert_eq!(get(path, query), Some(Weight::Fixed(weight)), "{path} {query:?}");
        }
        assert_eq!(get("/api/v3/nope", None), None);
        assert_eq!(get("/other", None), None);
        let post = |path, query, body: &[u8]| request_weight(&Method::POST, path, query, body);
        assert_eq!(post("/api/v3/order", None, b""), Some(Weight::OnFailure(1)));
        let delete = request_weight(&Method::DELETE, "/api/v3/openOrders", None, b"");
        assert_eq!(delete, Some(Weight::OnFailure(1)));
        assert_eq!(post("/api/v3/order/test", None, b""), Some(Weight::Fixed(1)));
        let compute = Some("computeCommissionRates=True");
        assert_eq!(post("/api/v3/order/test", compute, b""), Some(Weight::Fixed(20)));
        let body = b"symbol=BTCUSDT&computeCommissionRates=true";
        assert_eq!(post("/api/v3/order/test", None, body), Some(Weight::Fixed(20)));
        assert_eq!(post("/api/v3/ping", None, b""), None);
        assert_eq!(get("/ws-api/v3", None), Some(Weight::Fixed(2)));
        assert_eq!(get("/ws/btcusdt@trade", None), None);
        for path in [
            "/api/v3/orderList/oco",
            "/api/v3/orderList/oto",
            "/api/v3/orderList/otoco",
            "/api/v3/orderList/opo",
            "/api/v3/orderList/opoco",
        ] {
            assert_eq!(post(path, None, b""), Some(Weight::OnFailure(1)));
        }
        let cancel_list = request_weight(&Method::DELETE, "/api/v3/orderList", None, b"");
        assert_eq!(cancel_list, Some(Weight::OnFailure(1)));
        assert_eq!(get("/api/v3/orderList", Some("orderListId=1")), Some(Weight::Fixed(4)));
        assert_eq!(get("/api/v3/openOrderList", None), Some(Weight::Fixed(6)));
        assert_eq!(get("/api/v3/allOrderList", None), Some(Weight::Fixed(20)));
    }

    #[test]
    fn rolling_ticker_caps_at_200() {
        let list: Vec<String> = (0..60).map(|i| format!("\"S{i}\"")).collect();
        let query = format!("symbols=[{}]", list.join(","));
        assert_eq!(get("/api/v3/ticker", Some(&query)), Some(Weight::Fixed(200)));
    }

    #[test]
    fn windows_are_clock_aligned_and_per_ip() {
        let mut w = WeightWindows::default();
        let a = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(w.charge(a, 20, 120_000), 20);
        assert_eq!(w.charge(a, 5, 179_999), 25);
        assert_eq!(w.charge(b, 1, 179_999), 1);
        assert_eq!(w.charge(a, 1, 180_000), 1);
        assert_eq!(seconds_to_next_window(179_001), 1);
        assert_eq!(seconds_to_next_window(120_000), 60);
        assert_eq!(seconds_to_next_window(150_500), 30);
    }

    #[test]
    fn a_client_that_ignores_429_is_banned_longer_each_time() {
        let mut w = WeightWindows::default();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert_eq!(w.gate(ip, 1_000), Gate::Open);
        w.limit(ip, 60_000, 1_000);
        assert_eq!(w.gate(ip, 1_000), Gate::Limited { retry_after_secs: 59 });
        assert_eq!(w.gate(ip, 59_500), Gate::Limited { retry_after_secs: 1 });
        assert_eq!(
            w.gate(ip, 59_600),
            Gate::Banned {
                until_ms: 59_600 + FIRST_BAN_MS
            }
        );
        assert_eq!(
            w.gate(ip, 100_000),
            Gate::Banned {
                until_ms: 59_600 + FIRST_BAN_MS
            }
        );
        let after = 59_600 + FIRST_BAN_MS;
        assert_eq!(w.gate(ip, after), Gate::Open);
        w.limit(ip, after + 10_000, after);
        for _ in 0..TOLERATED_AFTER_429 {
            assert!(matches!(w.gate(ip, after), Gate::Limited { .. }));
        }
        assert_eq!(
            w.gate(ip, after),
            Gate::Banned {
                until_ms: after + 2 * FIRST_BAN_MS
            }
        );
        // A client that waits out the Retry-After is not punished.
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        w.limit(other, 60_000, 1_000);
        assert_eq!(w.gate(other, 60_000), Gate::Open);
    }
}
