//! A served emulator (127.0.0.1:0) and a real WebSocket client (tokio-tungstenite) for the
//! WebSocket tests: two accounts (HMAC and Ed25519), signed REST calls, bounded waits for frames,
//! WebSocket API calls and their signed parameters.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::testkit::{fixed_market, sign};
use spot_emulator::{AccountKey, EmulatorConfig, EmulatorHandle, spawn};

pub const KEY: &str = "wsHmacKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";
pub const SECRET: &str = "wsHmacSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
pub const ED_KEY: &str = "wsEdKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
pub const WAIT: Duration = Duration::from_secs(10);

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub fn ed_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

pub fn config() -> EmulatorConfig {
    fixed_market(
        EmulatorConfig::new(11)
            .with_account(KEY, SECRET)
            .with_keyed_account(ED_KEY, AccountKey::Ed25519(ed_signing_key().verifying_key())),
    )
}

/// A served emulator and an HTTP client for its REST side.
pub struct Emu {
    pub handle: EmulatorHandle,
    pub http: reqwest::Client,
}

impl Emu {
    pub async fn start(config: EmulatorConfig) -> Emu {
        let handle = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
        Emu {
            handle,
            http: reqwest::Client::builder().timeout(WAIT).build().unwrap(),
        }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.handle.local_addr())
    }

    pub fn now(&self) -> i64 {
        self.handle.state().clock.now_ms()
    }

    pub async fn connect(&self, path: &str) -> Socket {
        let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(self.ws_url(path)))
            .await
            .expect("connect in time")
            .expect("upgrade accepted");
        socket
    }

    /// A signed REST request with the HMAC account: (status, JSON body).
    pub async fn rest(&self, method: reqwest::Method, path: &str, query: &str) -> (u16, Value) {
        let signed = sign(&format!("{query}&timestamp={}", self.now()), SECRET);
        let url = format!("{}{path}?{signed}", self.handle.base_url());
        let response = self
            .http
            .request(method, url)
            .header("X-MBX-APIKEY", KEY)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.handle.base_url());
        self.http.get(url).send().await.unwrap().json().await.unwrap()
    }

    pub async fn post_faults(&self, faults: Value) {
        let url = format!("{}/emulator/faults", self.handle.base_url());
        assert!(
            self.http
                .post(url)
                .json(&faults)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
}

/// The next text frame as JSON (pings and pongs skipped); panics on close or after [`WAIT`].
pub async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .expect("connection open")
            .expect("no protocol error");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Frames up to and including the first one `done` accepts.
pub async fn until(socket: &mut Socket, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut frames = Vec::new();
    loop {
        let frame = next_json(socket).await;
        let last = done(&frame);
        frames.push(frame);
        if last {
            return frames;
        }
    }
}

/// Sends a request; returns the frames before its answer and the answer.
pub async fn call(socket: &mut Socket, id: &str, method: &str, params: Value) -> (Vec<Value>, Value) {
    let request = json!({"id": id, "method": method, "params": params});
    socket.send(Message::text(request.to_string())).await.unwrap();
    let mut frames = until(socket, |f| f["id"] == id).await;
    let answer = frames.pop().unwrap();
    (frames, answer)
}

/// `userDataStream.subscribe.signature` params for the HMAC account.
pub fn hmac_subscription(timestamp: i64) -> Value {
    let payload = format!("apiKey={KEY}&timestamp={timestamp}");
    let signed = sign(&payload, SECRET);
    let signature = signed.rsplit_once("signature=").unwrap().1;
    json!({"apiKey": KEY, "timestamp": timestamp, "signature": signature})
}

/// Ed25519-signed params: sorted `name=value` pairs, base64 signature.
pub fn ed_signed(mut params: serde_json::Map<String, Value>) -> Value {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    pairs.sort();
    let payload = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let signature = BASE64.encode(ed_signing_key().sign(payload.as_bytes()).to_bytes());
    params.insert("signature".into(), Value::String(signature));
    Value::Object(params)
}

pub fn event(frame: &Value) -> &Value {
    &frame["event"]
}

pub fn is_event(frame: &Value, kind: &str) -> bool {
    frame["event"]["e"] == kind
}

/// True when the connection ends (closed, reset or EOF) within [`WAIT`], reading past any
/// frames still in flight.
pub async fn ends(socket: &mut Socket) -> bool {
    tokio::time::timeout(WAIT, async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap_or(false)
}
