//! A connection to Binance's WebSocket API (`/ws-api/v3`): JSON requests with ids, their
//! answers, and the user-data events pushed on the same socket. Signing follows the WebSocket
//! rule, not the REST one: every parameter but `signature`, sorted by name, joined as `k=v`
//! with `&`, no percent-encoding (reference §2.6).

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::sign::Credentials;

/// Why a WebSocket API exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum WsApiError {
    #[error("not sent: {0}")]
    Refused(String),
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the WebSocket connection ended: {0}")]
    Closed(String),
    #[error("no answer to {method} within {seconds} s")]
    Timeout { method: String, seconds: u64 },
    #[error("{method} failed: HTTP-like status {status}, code {code}: {msg}")]
    Rejected {
        method: String,
        status: u16,
        code: i64,
        msg: String,
    },
}

impl WsApiError {
    /// The Binance error code, when Binance answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            WsApiError::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// One frame's meaning.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The answer to the request with this id.
    Response { id: Value, status: u16, body: Value },
    /// A user-data event of a subscription.
    Event { subscription_id: Option<i64>, event: Value },
    /// Anything else (kept for the log, never acted on).
    Other(Value),
}

/// Classifies one text frame of the WebSocket API.
pub fn parse_frame(text: &str) -> Incoming {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Incoming::Other(Value::String(text.to_owned()));
    };
    if let Some(event) = value.get("event") {
        return Incoming::Event {
            subscription_id: value.get("subscriptionId").and_then(Value::as_i64),
            event: event.clone(),
        };
    }
    if let (Some(id), Some(status)) = (value.get("id"), value.get("status").and_then(Value::as_u64)) {
        let body = value
            .get("result")
            .or_else(|| value.get("error"))
            .cloned()
            .unwrap_or(Value::Null);
        return Incoming::Response {
            id: id.clone(),
            status: u16::try_from(status).unwrap_or(u16::MAX),
            body,
        };
    }
    // A bare event (the unwrapped form some sessions and streams use).
    if value.get("e").is_some() {
        return Incoming::Event {
            subscription_id: None,
            event: value,
        };
    }
    Incoming::Other(value)
}

/// `params` with `apiKey`, `timestamp`, optional `recvWindow` and `signature` over the sorted
/// parameters.
pub fn signed_params(
    credentials: &Credentials,
    timestamp_ms: i64,
    recv_window_ms: Option<u64>,
    extra: &[(&str, String)],
) -> Map<String, Value> {
    let mut params: BTreeMap<String, String> = extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    params.insert("apiKey".into(), credentials.api_key().to_owned());
    params.insert("timestamp".into(), timestamp_ms.to_string());
    if let Some(window) = recv_window_ms {
        params.insert("recvWindow".into(), window.to_string());
    }
    let payload = signature_payload(&params);
    let signature = credentials.sign(&payload);
    let mut out: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| {
            // Numbers travel as JSON numbers, as Binance's examples send them.
            let value = match (k.as_str(), v.parse::<i64>()) {
                ("timestamp" | "recvWindow", Ok(n)) => json!(n),
                _ => Value::String(v),
            };
            (k, value)
        })
        .collect();
    out.insert("signature".into(), Value::String(signature));
    out
}

/// The bytes that are signed: sorted `k=v` joined with `&`, values as they are.
pub fn signature_payload(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// An open WebSocket API connection.
pub struct WsApiConnection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl std::fmt::Debug for WsApiConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsApiConnection")
            .field("next_id", &self.next_id)
            .finish()
    }
}

impl WsApiConnection {
    /// Opens `url` within `timeout`.
    pub async fn connect(url: &str, timeout: Duration) -> Result<WsApiConnection, WsApiError> {
        // User-data events are small: a 16 KiB read buffer instead of tungstenite's eager
        // 128 KiB keeps an idle server lean (a larger frame still grows it as needed).
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let connecting = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (socket, _) = tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| WsApiError::Connect {
                url: url.to_owned(),
                reason: format!("no handshake within {} ms", timeout.as_millis()),
            })?
            .map_err(|e| WsApiError::Connect {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(WsApiConnection { socket, next_id: 1 })
    }

    /// Sends `method` with `params` and waits up to `timeout` for its answer. Events that arrive
    /// meanwhile are handed to `on_event` so none is lost.
    pub async fn request(
        &mut self,
        method: &str,
        params: Option<Map<String, Value>>,
        timeout: Duration,
        on_event: &mut impl FnMut(Option<i64>, Value),
    ) -> Result<Value, WsApiError> {
        let id = format!("binance-mcp-{}", self.next_id);
        self.next_id += 1;
        let mut request = json!({"id": id, "method": method});
        if let Some(params) = params {
            request["params"] = Value::Object(params);
        }
        self.socket
            .send(Message::text(request.to_string()))
            .await
            .map_err(|e| WsApiError::Closed(e.to_string()))?;
        let waiting = async {
            loop {
                match self.next().await? {
                    Incoming::Response { id: got, status, body } if got == Value::String(id.clone()) => {
                        return if status == 200 {
                            Ok(body)
                        } else {
                            Err(WsApiError::Rejected {
                                method: method.to_owned(),
                                status,
                                code: body.get("code").and_then(Value::as_i64).unwrap_or(0),
                                msg: body.get("msg").and_then(Value::as_str).unwrap_or("").to_owned(),
                            })
                        };
                    }
                    Incoming::Event { subscription_id, event } => on_event(subscription_id, event),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(timeout, waiting)
            .await
            .map_err(|_| WsApiError::Timeout {
                method: method.to_owned(),
                seconds: timeout.as_secs(),
            })?
    }

    /// The next meaningful frame. Pings are answered here (tungstenite queues the pong; the
    /// flush sends it at once so a quiet connection is not dropped by the server).
    pub async fn next(&mut self) -> Result<Incoming, WsApiError> {
        loop {
            let frame = self
                .socket
                .next()
                .await
                .ok_or_else(|| WsApiError::Closed("closed by the server".into()))?
                .map_err(|e| WsApiError::Closed(e.to_string()))?;
            match frame {
                Message::Text(text) => return Ok(parse_frame(text.as_str())),
                Message::Binary(_) => continue,
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                    self.socket
                        .flush()
                        .await
                        .map_err(|e| WsApiError::Closed(e.to_string()))?;
                }
                Message::Close(frame) => {
                    let reason = frame.map_or_else(
                        || "closed by the server".to_owned(),
                        |f| format!("closed by the server ({} {})", f.code, f.reason),
                    );
                    return Err(WsApiError::Closed(reason));
                }
            }
        }
    }

    /// Closes politely; errors are irrelevant at that point.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.socket.close(None)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_signature_covers_the_sorted_parameters() {
        // reference samples/wsapi_request_order_place_hmac_signed_ascii.json: the documented
        // payload and key.
        let credentials = Credentials::new(
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        );
        let params = signed_params(
            &credentials,
            1_645_423_376_532,
            Some(100),
            &[
                ("symbol", "BTCUSDT".into()),
                ("side", "SELL".into()),
                ("type", "LIMIT".into()),
                ("timeInForce", "GTC".into()),
                ("quantity", "0.01000000".into()),
                ("price", "52000.00".into()),
            ],
        );
        assert_eq!(
            params["signature"],
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        );
        assert_eq!(params["timestamp"], 1_645_423_376_532_i64);
    }

    #[test]
    fn frames_are_told_apart() {
        let event = r#"{"subscriptionId":0,"event":{"e":"executionReport","i":5}}"#;
        assert_eq!(
            parse_frame(event),
            Incoming::Event {
                subscription_id: Some(0),
                event: json!({"e":"executionReport","i":5})
            }
        );
        let answer = r#"{"id":"a","status":200,"result":{"subscriptionId":3},"rateLimits":[]}"#;
        assert_eq!(
            parse_frame(answer),
            Incoming::Response {
                id: json!("a"),
                status: 200,
                body: json!({"subscriptionId":3})
            }
        );
        let error = r#"{"id":"b","status":400,"error":{"code":-1021,"msg":"late"}}"#;
        assert!(matches!(parse_frame(error), Incoming::Response { status: 400, .. }));
        assert!(matches!(parse_frame("not json"), Incoming::Other(_)));
    }
}
