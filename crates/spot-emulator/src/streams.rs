//! Market streams on the REST port (`web-socket-streams.md`): raw `GET /ws/<stream>[/<stream>…]`
//! (payloads bare) and combined `GET /stream?streams=<a>/<b>` (payloads wrapped as
//! `{"stream","data"}`), plus the live control messages `SUBSCRIBE`, `UNSUBSCRIBE`,
//! `LIST_SUBSCRIPTIONS`, `SET_PROPERTY` / `GET_PROPERTY` (`combined`) with their documented
//! answers `{"result","id"}` and errors `{"error":{"code","msg"},"id"}`.
//!
//! * Names in the URL that are not streams the emulator serves are ignored (the docs say
//!   nothing; the connection opens with the valid ones); in `SUBSCRIBE` they are refused with
//!   code 2 "Invalid request: invalid stream" (what Binance answers).
//! * At most 1024 streams per connection (more: code 2 "Invalid request: too many streams",
//!   an inferred message) and 5 incoming messages per second (pings, pongs, control messages;
//!   more closes the connection, as documented).
//! * `timeUnit=MICROSECOND` in the URL gives µs timestamps. Ping/pong, lifetime and the
//!   `ws_down_ms` fault work as for the WebSocket API (`ws_conn`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};

use super::EmulatorState;
use super::params::Params;
use super::stream_feeds::Feed;
use super::stream_names::StreamName;
use super::time_unit::TimeUnit;
use super::ws_conn::{Ending, Keepalive, act, close, refusal_while_down, server_shutdown_event};

/// Streams one connection may listen to.
const MAX_STREAMS: usize = 1024;
/// Incoming messages per second a connection may send.
const MAX_INCOMING_PER_SECOND: u32 = 5;
/// How often a connection looks for payloads to send.
const POLL: Duration = Duration::from_millis(100);
/// Close code for a client over the incoming message limit (1008, policy violation).
const CLOSE_TOO_MANY_MESSAGES: u16 = 1008;

/// `GET /ws`: a raw connection with no stream yet (streams come by `SUBSCRIBE`).
pub async fn raw_empty(State(state): State<Arc<EmulatorState>>, request: Request) -> Response {
    open(state, request, Vec::new(), false).await
}

/// `GET /ws/<stream>[/<stream>…]`: raw payloads.
pub async fn raw(State(state): State<Arc<EmulatorState>>, Path(names): Path<String>, request: Request) -> Response {
    let names = names.split('/').filter(|n| !n.is_empty()).map(str::to_owned).collect();
    open(state, request, names, false).await
}

/// `GET /stream?streams=<a>/<b>`: combined payloads.
pub async fn combined(State(state): State<Arc<EmulatorState>>, request: Request) -> Response {
    let names = Params::parse(request.uri().query())
        .ok()
        .and_then(|p| p.get("streams").map(str::to_owned))
        .map(|s| s.split('/').filter(|n| !n.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    open(state, request, names, true).await
}

async fn open(state: Arc<EmulatorState>, request: Request, names: Vec<String>, combined: bool) -> Response {
    if let Some(refused) = refusal_while_down(&state.ws) {
        return refused;
    }
    let (mut parts, _) = request.into_parts();
    let unit = match Params::parse(parts.uri.query()).and_then(|p| TimeUnit::from_query(&p)) {
        Ok(unit) => unit,
        Err(error) => return error.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    upgrade.on_upgrade(move |socket| serve(state, socket, names, combined, unit))
}

/// One stream connection: its feeds in subscription order and its settings.
struct Connection {
    state: Arc<EmulatorState>,
    feeds: Vec<Feed>,
    combined: bool,
    unit: TimeUnit,
}

async fn serve(state: Arc<EmulatorState>, mut socket: WebSocket, names: Vec<String>, combined: bool, unit: TimeUnit) {
    let mut connection = Connection {
        state: state.clone(),
        feeds: Vec::new(),
        combined,
        unit,
    };
    let now_ms = state.clock.now_ms();
    for name in names {
        match StreamName::parse(&name) {
            Some(stream) if connection.feeds.len() < MAX_STREAMS => connection.add(stream, now_ms),
            _ => tracing::debug!(%name, "ignored stream name in the URL"),
        }
    }
    let mut keepalive = Keepalive::new(&state.config, &state.ws);
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut incoming_rate = IncomingRate::default();
    let ending = loop {
        tokio::select! {
            incoming = socket.recv() => {
                let message = match incoming {
                    None | Some(Err(_)) => break Ending::Client,
                    Some(Ok(message)) => message,
                };
                if !matches!(message, Message::Close(_)) && !incoming_rate.allow() {
                    close(&mut socket, CLOSE_TOO_MANY_MESSAGES, "too many messages").await;
                    break Ending::Server;
                }
                let answer = match message {
                    Message::Text(text) => Some(connection.control(text.as_str())),
                    Message::Binary(bytes) => Some(connection.control(&String::from_utf8_lossy(&bytes))),
                    Message::Pong(payload) => {
                        keepalive.on_pong(&payload);
                        None
                    }
                    Message::Ping(_) | Message::Close(_) => None,
                };
                if let Some(answer) = answer
                    && socket.send(Message::Text(answer.into())).await.is_err()
                {
                    break Ending::Client;
                }
            }
            _ = poll.tick() => {
                if send_due(&mut connection, &mut socket).await.is_err() {
                    break Ending::Client;
                }
            }
            timer = keepalive.next() => {
                let notice = |at_ms| {
                    let event = server_shutdown_event(connection.unit.stamp(at_ms));
                    if connection.combined {
                        combined_frame("!serverShutdown", &event)
                    } else {
                        event
                    }
                };
                if let Err(ending) = act(&mut socket, timer, notice).await {
                    break ending;
                }
            }
        }
    };
    tracing::debug!(?ending, "market stream connection ended");
}

/// Sends every payload the connection's feeds owe now.
async fn send_due(connection: &mut Connection, socket: &mut WebSocket) -> Result<(), axum::Error> {
    let now_ms = connection.state.clock.now_ms();
    let market = &connection.state.market;
    let mut frames = Vec::new();
    for feed in &mut connection.feeds {
        for payload in feed.poll(market, now_ms, connection.unit) {
            frames.push(if connection.combined {
                combined_frame(&feed.stream.name, &payload)
            } else {
                payload
            });
        }
    }
    for frame in frames {
        socket.send(Message::Text(frame.into())).await?;
    }
    Ok(())
}

/// `{"stream":"<name>","data":<payload>}`.
fn combined_frame(name: &str, payload: &str) -> String {
    let name = serde_json::to_string(name).unwrap_or_default();
    format!(r#"{{"stream":{name},"data":{payload}}}"#)
}

/// Counts incoming messages per one-second window.
#[derive(Debug)]
struct IncomingRate {
    window_start: Instant,
    count: u32,
}

impl Default for IncomingRate {
    fn default() -> Self {
        Self {
            window_start: Instant::now(),
            count: 0,
        }
    }
}

impl IncomingRate {
    /// Counts one message; false when it is over the limit.
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.count = 0;
        }
        self.count += 1;
        self.count <= MAX_INCOMING_PER_SECOND
    }
}

/// A control message as documented.
#[derive(Debug, Deserialize)]
struct Control {
    method: ControlMethod,
    #[serde(default)]
    params: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
}

/// Keeps `null` apart from a missing field.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ControlMethod {
    Subscribe,
    Unsubscribe,
    ListSubscriptions,
    SetProperty,
    GetProperty,
}

#[derive(Serialize)]
struct Success<'a> {
    result: Value,
    id: &'a Value,
}

#[derive(Serialize)]
struct Failure<'a> {
    error: ControlError,
    id: &'a Value,
}

#[derive(Debug, Serialize)]
struct ControlError {
    code: i32,
    msg: String,
}

fn invalid(msg: &str) -> ControlError {
    ControlError {
        code: 2,
        msg: format!("Invalid request: {msg}"),
    }
}

impl Connection {
    fn add(&mut self, stream: StreamName, now_ms: i64) {
        if !self.feeds.iter().any(|f| f.stream.name == stream.name) {
            self.feeds.push(Feed::new(stream, &self.state.market, now_ms));
        }
    }

    /// Answers one control message.
    fn control(&mut self, text: &str) -> String {
        let (id, outcome) = match serde_json::from_str::<Control>(text) {
            Ok(control) if !id_ok(control.id.as_ref()) => {
                (Value::Null, Err(invalid("request ID must be an unsigned integer")))
            }
            Ok(control) => {
                let id = control.id.clone().unwrap_or(Value::Null);
                (id, self.run(control))
            }
            Err(error) => {
                let error = if error.is_syntax() || error.is_eof() {
                    ControlError {
                        code: 3,
                        msg: format!("Invalid JSON: {error}"),
                    }
                } else {
                    invalid(&error.to_string())
                };
                (loose_id(text), Err(error))
            }
        };
        let frame = match outcome {
            Ok(result) => serde_json::to_string(&Success { result, id: &id }),
            Err(error) => serde_json::to_string(&Failure { error, id: &id }),
        };
        frame.unwrap_or_default()
    }

    fn run(&mut self, control: Control) -> Result<Value, ControlError> {
        let params = control.params.unwrap_or_default();
        match control.method {
            ControlMethod::Subscribe => {
                let streams = stream_params(&params)?;
                let now_ms = self.state.clock.now_ms();
                let new = streams
                    .iter()
                    .filter(|s| !self.feeds.iter().any(|f| f.stream.name == s.name))
                    .count();
                if self.feeds.len() + new > MAX_STREAMS {
                    return Err(invalid("too many streams"));
                }
                for stream in streams {
                    self.add(stream, now_ms);
                }
                Ok(Value::Null)
            }
            ControlMethod::Unsubscribe => {
                let streams = stream_params(&params)?;
                self.feeds.retain(|f| !streams.iter().any(|s| s.name == f.stream.name));
                Ok(Value::Null)
            }
            ControlMethod::ListSubscriptions => {
                if !params.is_empty() {
                    return Err(invalid("too many parameters"));
                }
                let names = self
                    .feeds
                    .iter()
                    .map(|f| Value::String(f.stream.name.clone()))
                    .collect();
                Ok(Value::Array(names))
            }
            ControlMethod::SetProperty => {
                property_name(&params)?;
                if params.len() > 2 {
                    return Err(invalid("too many parameters"));
                }
                let Some(Value::Bool(combined)) = params.get(1) else {
                    return Err(ControlError {
                        code: 1,
                        msg: "Invalid value type: expected Boolean".to_owned(),
                    });
                };
                self.combined = *combined;
                Ok(Value::Null)
            }
            ControlMethod::GetProperty => {
                property_name(&params)?;
                if params.len() > 1 {
                    return Err(invalid("too many parameters"));
                }
                Ok(Value::Bool(self.combined))
            }
        }
    }
}

/// The documented `id` forms: a 64-bit signed integer, an alphanumeric string of at most 36
/// characters, or `null` (a missing `id` is refused).
fn id_ok(id: Option<&Value>) -> bool {
    match id {
        Some(Value::Null) => true,
        Some(Value::Number(n)) => n.is_i64(),
        Some(Value::String(s)) => s.len() <= 36 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    }
}

/// `SUBSCRIBE` / `UNSUBSCRIBE` params: stream names the emulator serves.
fn stream_params(params: &[Value]) -> Result<Vec<StreamName>, ControlError> {
    params
        .iter()
        .map(|p| {
            p.as_str()
                .and_then(StreamName::parse)
                .ok_or_else(|| invalid("invalid stream"))
        })
        .collect()
}

/// The property name of `SET_PROPERTY` / `GET_PROPERTY`: only `combined` exists.
fn property_name(params: &[Value]) -> Result<(), ControlError> {
    match params.first() {
        Some(Value::String(name)) if name == "combined" => Ok(()),
        Some(Value::String(_)) => Err(ControlError {
            code: 0,
            msg: "Unknown property".to_owned(),
        }),
        _ => Err(invalid("property name must be a string")),
    }
}

/// The `id` of a message that failed to parse as a control message, when it has a usable one.
fn loose_id(text: &str) -> Value {
    serde_json::from_str::<HashMap<String, Value>>(text)
        .ok()
        .and_then(|mut m| m.remove("id"))
        .filter(|id| matches!(id, Value::Number(_) | Value::String(_)))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{EmulatorConfig, EmulatorState};
    use super::*;

    fn connection() -> Connection {
        Connection {
            state: Arc::new(EmulatorState::new(EmulatorConfig::new(1))),
            feeds: Vec::new(),
            combined: false,
            unit: TimeUnit::Millisecond,
        }
    }

    #[test]
    fn documented_control_messages() {
        let mut c = connection();
        assert_eq!(
            c.control(r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#),
            r#"{"result":null,"id":1}"#
        );
        assert_eq!(
            c.control(r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":312}"#),
            r#"{"result":null,"id":312}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#),
            r#"{"result":["btcusdt@aggTrade"],"id":3}"#
        );
        assert_eq!(
            c.control(r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#),
            r#"{"result":null,"id":5}"#
        );
        assert_eq!(
            c.control(r#"{"method":"GET_PROPERTY","params":["combined"],"id":2}"#),
            r#"{"result":true,"id":2}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS","id":"abc"}"#),
            r#"{"result":["btcusdt@aggTrade"],"id":"abc"}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS","id":null}"#),
            r#"{"result":["btcusdt@aggTrade"],"id":null}"#
        );
    }

    #[test]
    fn documented_errors() {
        let mut c = connection();
        assert_eq!(
            c.control(r#"{"method":"SET_PROPERTY","params":["nope",true],"id":5}"#),
            r#"{"error":{"code":0,"msg":"Unknown property"},"id":5}"#
        );
        assert_eq!(
            c.control(r#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":5}"#),
            r#"{"error":{"code":1,"msg":"Invalid value type: expected Boolean"},"id":5}"#
        );
        assert_eq!(
            c.control(r#"{"method":"GET_PROPERTY","params":[1],"id":2}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: property name must be a string"},"id":2}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS","id":1.5}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS"}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: request ID must be an unsigned integer"},"id":null}"#
        );
        assert_eq!(
            c.control(r#"{"method":"SUBSCRIBES","params":["btcusdt@trade"],"id":1}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIBES`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 22"},"id":1}"#
        );
        let missing = c.control(r#"{"params":["btcusdt@trade"],"id":1}"#);
        assert!(
            missing
                .starts_with(r#"{"error":{"code":2,"msg":"Invalid request: missing field `method` at line 1 column"#),
            "{missing}"
        );
        assert_eq!(
            c.control(r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1"#),
            r#"{"error":{"code":3,"msg":"Invalid JSON: EOF while parsing an object at line 1 column 55"},"id":null}"#
        );
        assert_eq!(
            c.control("hello"),
            r#"{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}"#
        );
        assert_eq!(
            c.control(r#"{"method":"SUBSCRIBE","params":["BTCUSDT@trade"],"id":9}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":9}"#
        );
        assert_eq!(
            c.control(r#"{"method":"LIST_SUBSCRIPTIONS","params":["x"],"id":4}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: too many parameters"},"id":4}"#
        );
        assert!(c.feeds.is_empty());
    }

    #[test]
    fn stream_limits() {
        let mut c = connection();
        let many: Vec<String> = (0..MAX_STREAMS).map(|i| format!("s{i}usdt@trade")).collect();
        let subscribe = serde_json::json!({"method":"SUBSCRIBE","params":many,"id":1}).to_string();
        assert_eq!(c.control(&subscribe), r#"{"result":null,"id":1}"#);
        assert_eq!(
            c.control(r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":2}"#),
            r#"{"error":{"code":2,"msg":"Invalid request: too many streams"},"id":2}"#
        );
        let mut rate = IncomingRate::default();
        assert!((0..5).all(|_| rate.allow()));
        assert!(!rate.allow());
        assert_eq!(combined_frame("a@trade", "{}"), r#"{"stream":"a@trade","data":{}}"#);
    }
}
