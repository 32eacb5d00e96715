//! The WebSocket API at `GET /ws-api/v3` (`web-socket-api.md`): one connection, requests
//! `{"id","method","params"}` in text frames, answers `{"id","status","result","rateLimits"}`
//! or `{"id","status","error":{"code","msg"},"rateLimits"}`, and User Data Stream events
//! `{"subscriptionId","event"}` on the same connection. The methods are in `ws_methods`.
//!
//! * URL parameters: `returnRateLimits=false` hides `rateLimits` unless a request asks for them
//!   (`"returnRateLimits": true` in its params); `timeUnit=MICROSECOND` gives timestamps in µs
//!   (any other value: HTTP 400 -1194).
//! * Weight: connecting costs 2 (charged on the upgrade request, see `weight`); each request
//!   costs its documented weight against the same per-IP windows as REST: over the limit a 429
//!   answer, a banned IP a 418 answer (both with `"data":{"serverTime","retryAfter"}`), after
//!   which the server closes the connection.
//! * Malformed requests (the exact codes are not documented; these follow errors.md): text that
//!   is not a JSON object -1135 "Invalid JSON Request"; `params` not an object -1135 "Invalid
//!   'params' in JSON request; expected an object."; `id` or `method` of the wrong type -1135 in
//!   the same form; `id` or `method` missing -1102; a parameter holding an object or array -1135
//!   "JSON sent for parameter '…' is not valid"; parameters a method does not read -1104; a
//!   method the emulator does not serve -1020 "This operation is not supported."
//! * Every request is logged in `/emulator/requests` with path `/ws-api/v3`, the WebSocket
//!   method name in `method`, the params as JSON in `body` (the `signature` value replaced by
//!   `…`), the answer's status, the weight charged, and `verified_key_type` (`HMAC`/`Ed25519`)
//!   when a signature verified.
//! * The connection's frames (answers and events) leave through one queue, in order.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::EmulatorState;
use super::error::{ApiError, code};
use super::params::Params;
use super::time_unit::TimeUnit;
use super::user_data::Outbox;
use super::weight::{admit, charge_after, client_ip};
use super::ws_conn::{Ending, Keepalive, act, close, refusal_while_down, server_shutdown_event};

/// Close code after an IP ban (1008, policy violation).
const CLOSE_BANNED: u16 = 1008;

/// The `GET /ws-api/v3` upgrade: refused with HTTP 503 while `ws_down_ms` is in force, HTTP 400
/// for a bad `timeUnit` or `returnRateLimits`.
pub async fn upgrade(State(state): State<Arc<EmulatorState>>, request: Request) -> Response {
    if let Some(refused) = refusal_while_down(&state.ws) {
        return refused;
    }
    let (mut parts, _) = request.into_parts();
    let ip = client_ip(&parts.extensions);
    let settings = match Settings::from_query(parts.uri.query()) {
        Ok(settings) => settings,
        Err(error) => return error.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let connected_since_ms = state.clock.now_ms();
    upgrade.on_upgrade(move |socket| serve(state, socket, ip, settings, connected_since_ms))
}

/// What the connection URL asked for.
#[derive(Debug, Clone, Copy)]
struct Settings {
    unit: TimeUnit,
    return_rate_limits: bool,
}

impl Settings {
    fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        let params = Params::parse(query)?;
        Ok(Self {
            unit: TimeUnit::from_query(&params)?,
            return_rate_limits: params.optional_bool("returnRateLimits")?.unwrap_or(true),
        })
    }
}

/// One signed-in (or not) WebSocket API connection.
#[derive(Debug)]
pub struct Session {
    pub state: Arc<EmulatorState>,
    pub connection: u64,
    pub ip: IpAddr,
    pub unit: TimeUnit,
    /// The connection's default for `rateLimits` in answers.
    pub return_rate_limits: bool,
    pub connected_since_ms: i64,
    /// The API key of `session.logon`, while logged on.
    pub logon: Option<Logon>,
    /// Active User Data Stream subscriptions, oldest first.
    pub subscriptions: Vec<Subscription>,
    /// Subscriptions started over the connection's life (the next `subscriptionId`).
    pub subscriptions_started: u32,
    pub outbox: Outbox,
    /// The key kind whose signature the current request verified (for the request log).
    pub verified: Option<&'static str>,
}

/// The account a session is logged on with.
#[derive(Debug, Clone)]
pub struct Logon {
    pub api_key: String,
    pub authorized_since_ms: i64,
}

/// One active User Data Stream subscription of a session.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: u32,
    pub api_key: String,
    /// Started by `userDataStream.subscribe` (ended by `session.logout`), not `.signature`.
    pub via_logon: bool,
}

/// What a method did with its answer.
#[derive(Debug)]
pub enum Answer {
    /// Send this `result` with status 200.
    Result(Value),
    /// The method queued its 200 answer itself (it had to come before its first event).
    Queued,
}

/// Whether the connection goes on after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// Banned IP: send what is queued, then close.
    Close,
}

async fn serve(
    state: Arc<EmulatorState>,
    mut socket: WebSocket,
    ip: IpAddr,
    settings: Settings,
    connected_since_ms: i64,
) {
    let connection = state.ws.next_connection_id();
    let (outbox, mut queued) = Outbox::new(connection, settings.unit);
    let mut session = Session {
        state: state.clone(),
        connection,
        ip,
        unit: settings.unit,
        return_rate_limits: settings.return_rate_limits,
        connected_since_ms,
        logon: None,
        subscriptions: Vec::new(),
        subscriptions_started: 0,
        outbox,
        verified: None,
    };
    let mut keepalive = Keepalive::new(&state.config, &state.ws);
    let ending = loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if session.handle(text.as_str()) == Flow::Close {
                        while let Ok(frame) = queued.try_recv() {
                            let _ = socket.send(Message::Text(frame.into())).await;
                        }
                        close(&mut socket, CLOSE_BANNED, "IP banned").await;
                        break Ending::Server;
                    }
                }
                // Requests are text frames; a binary frame is not a JSON request.
                Some(Ok(Message::Binary(_))) => session.refuse_unparsed(),
                Some(Ok(Message::Pong(payload))) => keepalive.on_pong(&payload),
                // tungstenite answers pings and close frames by itself.
                Some(Ok(Message::Ping(_) | Message::Close(_))) => {}
                None | Some(Err(_)) => break Ending::Client,
            },
            Some(frame) = queued.recv() => {
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    break Ending::Client;
                }
            }
            timer = keepalive.next() => {
                // `web-socket-api.md`: {"event":{"e":"serverShutdown","E":…}}, no subscriptionId.
                let notice = |at_ms| format!(r#"{{"event":{}}}"#, server_shutdown_event(settings.unit.stamp(at_ms)));
                if let Err(ending) = act(&mut socket, timer, notice).await {
                    break ending;
                }
            }
        }
    };
    state.user_data.drop_connection(connection);
    tracing::debug!(connection, ?ending, "WebSocket API connection ended");
}

/// A request as parsed from its text frame.
#[derive(Debug)]
struct Parsed {
    id: Value,
    method: String,
    params: Params,
    /// The params as JSON with the signature value redacted (for the request log).
    logged_params: String,
}

/// `rateLimits` entry.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimit {
    rate_limit_type: &'static str,
    interval: &'static str,
    interval_num: u32,
    limit: u32,
    count: u32,
}

#[derive(Serialize)]
struct Frame<'a> {
    id: &'a Value,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody<'a>>,
    #[serde(rename = "rateLimits", skip_serializing_if = "Option::is_none")]
    rate_limits: Option<&'a [RateLimit]>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: i32,
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<RetryData>,
}

/// `data` of a 429/418 answer: when the client may retry.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct RetryData {
    server_time: i64,
    retry_after: i64,
}

/// Builds the answers to one request.
#[derive(Debug)]
pub struct Reply {
    id: Value,
    rate_limits: Option<Vec<RateLimit>>,
}

impl Reply {
    /// The 200 answer carrying `result`.
    pub fn success(&self, result: &Value) -> String {
        self.frame(200, Some(result), None)
    }

    fn failure(&self, error: &ApiError, data: Option<RetryData>) -> String {
        let body = ErrorBody {
            code: error.code,
            msg: &error.msg,
            data,
        };
        self.frame(error.status.as_u16(), None, Some(body))
    }

    fn frame(&self, status: u16, result: Option<&Value>, error: Option<ErrorBody<'_>>) -> String {
        let frame = Frame {
            id: &self.id,
            status,
            result,
            error,
            rate_limits: self.rate_limits.as_deref(),
        };
        serde_json::to_string(&frame).unwrap_or_default()
    }
}

/// The documented weight of a method (1 for the ones the emulator does not serve).
fn method_weight(method: &str) -> u32 {
    match method {
        "session.logon"
        | "session.status"
        | "session.logout"
        | "session.subscriptions"
        | "userDataStream.subscribe"
        | "userDataStream.subscribe.signature"
        | "userDataStream.unsubscribe" => 2,
        _ => 1,
    }
}

impl Session {
    /// Handles one request frame: parse, charge its weight, run the method, queue the answer,
    /// log it.
    fn handle(&mut self, text: &str) -> Flow {
        let now_ms = self.state.clock.now_ms();
        let parsed = match parse_request(text) {
            Ok(parsed) => parsed,
            Err((id, error)) => {
                self.answer_unparsed(id, &error, now_ms);
                return Flow::Continue;
            }
        };
        let weight = method_weight(&parsed.method);
        let admitted = admit(&self.state, self.ip, weight, now_ms);
        let used = match &admitted {
            Ok(used) => *used,
            Err(refusal) => refusal.used,
        };
        let show_limits = match parsed.params.optional_bool("returnRateLimits") {
            Ok(choice) => choice.unwrap_or(self.return_rate_limits),
            Err(_) => self.return_rate_limits,
        };
        let reply = Reply {
            id: parsed.id.clone(),
            rate_limits: show_limits.then(|| self.rate_limits(used)),
        };
        self.verified = None;
        let (status, flow, charged) = match admitted {
            Err(refusal) => {
                let data = RetryData {
                    server_time: self.unit.stamp(now_ms),
                    retry_after: self.unit.stamp(refusal.retry_at_ms),
                };
                self.outbox.push(reply.failure(&refusal.error, Some(data)));
                let flow = if refusal.error.status.as_u16() == 418 {
                    Flow::Close
                } else {
                    Flow::Continue
                };
                (refusal.error.status.as_u16(), flow, 0)
            }
            Ok(_) => {
                let outcome = parsed
                    .params
                    .optional_bool("returnRateLimits")
                    .and_then(|_| self.dispatch(&parsed.method, &parsed.params, &reply));
                let status = match outcome {
                    Ok(Answer::Result(result)) => {
                        self.outbox.push(reply.success(&result));
                        200
                    }
                    Ok(Answer::Queued) => 200,
                    Err(error) => {
                        self.outbox.push(reply.failure(&error, None));
                        error.status.as_u16()
                    }
                };
                (status, Flow::Continue, weight)
            }
        };
        self.state.hooks.record_ws(
            &parsed.method,
            parsed.logged_params,
            status,
            charged,
            self.verified,
            now_ms,
        );
        flow
    }

    /// Answers a binary frame like a request that is not JSON.
    fn refuse_unparsed(&mut self) {
        let error = invalid_json("Invalid JSON Request");
        self.answer_unparsed(Value::Null, &error, self.state.clock.now_ms());
    }

    fn answer_unparsed(&mut self, id: Value, error: &ApiError, now_ms: i64) {
        // A frame that is no request costs nothing (and is no strike after a 429).
        let used = charge_after(&self.state, self.ip, 0);
        let reply = Reply {
            id,
            rate_limits: self.return_rate_limits.then(|| self.rate_limits(used)),
        };
        self.outbox.push(reply.failure(error, None));
        self.state
            .hooks
            .record_ws("", String::new(), error.status.as_u16(), 0, None, now_ms);
    }

    fn rate_limits(&self, used: u32) -> Vec<RateLimit> {
        vec![RateLimit {
            rate_limit_type: "REQUEST_WEIGHT",
            interval: "MINUTE",
            interval_num: 1,
            limit: self.state.config.weight_limit_per_minute,
            count: used,
        }]
    }
}

fn invalid_json(msg: &str) -> ApiError {
    ApiError::bad_request(code::INVALID_JSON, msg)
}

/// Parses a request frame: `Err` carries the `id` to echo (null when unreadable) and the error.
fn parse_request(text: &str) -> Result<Parsed, (Value, ApiError)> {
    let request: Value = serde_json::from_str(text).map_err(|_| (Value::Null, invalid_json("Invalid JSON Request")))?;
    let Value::Object(mut request) = request else {
        return Err((Value::Null, invalid_json("Invalid JSON Request")));
    };
    let id = match request.remove("id") {
        None => return Err((Value::Null, ApiError::mandatory("id"))),
        Some(id @ (Value::Null | Value::String(_))) => id,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n),
        Some(_) => {
            return Err((
                Value::Null,
                invalid_json("Invalid 'id' in JSON request; expected a string, an integer or null."),
            ));
        }
    };
    let method = match request.remove("method") {
        None | Some(Value::Null) => return Err((id, ApiError::mandatory("method"))),
        Some(Value::String(method)) if !method.is_empty() => method,
        Some(Value::String(_)) => return Err((id, ApiError::mandatory("method"))),
        Some(_) => {
            return Err((id, invalid_json("Invalid 'method' in JSON request; expected a string.")));
        }
    };
    // "Request method names may be prefixed with explicit version: e.g., "v3/order.place"."
    let method = method.strip_prefix("v3/").unwrap_or(&method).to_owned();
    let raw_params = match request.remove("params") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Err((
                id,
                invalid_json("Invalid 'params' in JSON request; expected an object."),
            ));
        }
    };
    let mut pairs = Vec::with_capacity(raw_params.len());
    for (name, value) in &raw_params {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            Value::Array(_) | Value::Object(_) => {
                return Err((
                    id,
                    invalid_json(&format!("JSON sent for parameter '{name}' is not valid")),
                ));
            }
        };
        pairs.push((name.clone(), text));
    }
    let params = Params::from_pairs(pairs).map_err(|e| (id.clone(), e))?;
    let mut logged = raw_params;
    if let Some(signature) = logged.get_mut("signature") {
        *signature = Value::String("…".to_owned());
    }
    Ok(Parsed {
        id,
        method,
        params,
        logged_params: Value::Object(logged).to_string(),
    })
}

/// -1104 for parameters `names` (and the always-accepted `returnRateLimits`) do not cover.
pub fn read_only(params: &Params, names: &[&str]) -> Result<(), ApiError> {
    let mut allowed = names.to_vec();
    allowed.push("returnRateLimits");
    params.allow_only(&allowed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> (Value, i32, String) {
        let (id, error) = parse_request(text).unwrap_err();
        (id, error.code, error.msg)
    }

    #[test]
    fn parses_requests_as_documented() {
        let parsed = parse_request(
            r#"{"id":"a1","method":"v3/userDataStream.subscribe.signature","params":{"apiKey":"k","timestamp":1747385641636,"recvWindow":6000.346,"signature":"s"}}"#,
        )
        .unwrap();
        assert_eq!(parsed.id, "a1");
        assert_eq!(parsed.method, "userDataStream.subscribe.signature");
        assert_eq!(parsed.params.get("timestamp"), Some("1747385641636"));
        assert_eq!(parsed.params.get("recvWindow"), Some("6000.346"));
        assert!(parsed.logged_params.contains(r#""signature":"…""#));
        assert!(!parsed.logged_params.contains(r#""s""#));
        let bare = parse_request(r#"{"id":7,"method":"ping"}"#).unwrap();
        assert_eq!((bare.id, bare.params.pairs().len()), (Value::from(7), 0));
        assert_eq!(parse_request(r#"{"id":null,"method":"time"}"#).unwrap().id, Value::Null);
    }

    #[test]
    fn malformed_requests() {
        assert_eq!(error_of("nope").1, -1135);
        assert_eq!(error_of("[1]").1, -1135);
        let (id, code, msg) = error_of(r#"{"id":1,"method":"ping","params":[1]}"#);
        assert_eq!((id, code), (Value::from(1), -1135));
        assert_eq!(msg, "Invalid 'params' in JSON request; expected an object.");
        let (_, code, msg) = error_of(r#"{"id":1}"#);
        assert_eq!(code, -1102);
        assert_eq!(
            msg,
            "Mandatory parameter 'method' was not sent, was empty/null, or malformed."
        );
        assert_eq!(error_of(r#"{"method":"ping"}"#).1, -1102);
        assert_eq!(error_of(r#"{"id":{},"method":"ping"}"#).1, -1135);
        assert_eq!(error_of(r#"{"id":1,"method":5}"#).1, -1135);
        let (_, code, msg) = error_of(r#"{"id":1,"method":"ping","params":{"a":{"b":1}}}"#);
        assert_eq!(
            (code, msg.as_str()),
            (-1135, "JSON sent for parameter 'a' is not valid")
        );
    }

    #[test]
    fn unread_parameters_are_refused_except_return_rate_limits() {
        let parsed = parse_request(r#"{"id":1,"method":"ping","params":{"returnRateLimits":false}}"#).unwrap();
        assert!(read_only(&parsed.params, &[]).is_ok());
        let parsed = parse_request(r#"{"id":1,"method":"ping","params":{"apiKey":"x"}}"#).unwrap();
        let error = read_only(&parsed.params, &[]).unwrap_err();
        assert_eq!(error.code, -1104);
        assert_eq!(
            error.msg,
            "Not all sent parameters were read; read '0' parameter(s) but was sent '1'."
        );
    }

    #[test]
    fn weights() {
        assert_eq!(method_weight("ping"), 1);
        assert_eq!(method_weight("time"), 1);
        assert_eq!(method_weight("session.logon"), 2);
        assert_eq!(method_weight("userDataStream.unsubscribe"), 2);
    }
}
