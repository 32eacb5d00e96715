//! WebSocket tests against a served emulator on 127.0.0.1:0 with a real client
//! (tokio-tungstenite): the WebSocket API and its User Data Stream events, the market streams,
//! keepalive and the `ws_down_ms` fault. Every wait is bounded; expected values come from REST
//! answers and the market model, never from the event code.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::auth::{AccountKey, verify_hmac};
use super::testkit::sign;
use super::{EmulatorConfig, EmulatorHandle, spawn};

const KEY: &str = "wsHmacKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";
const SECRET: &str = "wsHmacSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
const ED_KEY: &str = "wsEdKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";
const WAIT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn ed_signing_key() -> SigningKey {
    SigningKey::from_bytes(&[9u8; 32])
}

fn config() -> EmulatorConfig {
    super::testkit::fixed_market(
        EmulatorConfig::new(11)
            .with_account(KEY, SECRET)
            .with_keyed_account(ED_KEY, AccountKey::Ed25519(ed_signing_key().verifying_key())),
    )
}

/// A served emulator and an HTTP client for its REST side.
struct Emu {
    handle: EmulatorHandle,
    http: reqwest::Client,
}

impl Emu {
    async fn start(config: EmulatorConfig) -> Emu {
        let handle = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
        Emu {
            handle,
            http: reqwest::Client::builder().timeout(WAIT).build().unwrap(),
        }
    }

    fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.handle.local_addr())
    }

    fn now(&self) -> i64 {
        self.handle.state().clock.now_ms()
    }

    async fn connect(&self, path: &str) -> Socket {
        let (socket, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(self.ws_url(path)))
            .await
            .expect("connect in time")
            .expect("upgrade accepted");
        socket
    }

    /// A signed REST request with the HMAC account: (status, JSON body).
    async fn rest(&self, method: reqwest::Method, path: &str, query: &str) -> (u16, Value) {
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

    async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.handle.base_url());
        self.http.get(url).send().await.unwrap().json().await.unwrap()
    }

    async fn post_faults(&self, faults: Value) {
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
async fn next_json(socket: &mut Socket) -> Value {
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
async fn until(socket: &mut Socket, done: impl Fn(&Value) -> bool) -> Vec<Value> {
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
async fn call(socket: &mut Socket, id: &str, method: &str, params: Value) -> (Vec<Value>, Value) {
    let request = json!({"id": id, "method": method, "params": params});
    socket.send(Message::text(request.to_string())).await.unwrap();
    let mut frames = until(socket, |f| f["id"] == id).await;
    let answer = frames.pop().unwrap();
    (frames, answer)
}

/// `userDataStream.subscribe.signature` params for the HMAC account.
fn hmac_subscription(timestamp: i64) -> Value {
    let payload = format!("apiKey={KEY}&timestamp={timestamp}");
    let signed = sign(&payload, SECRET);
    let signature = signed.rsplit_once("signature=").unwrap().1;
    json!({"apiKey": KEY, "timestamp": timestamp, "signature": signature})
}

/// Ed25519-signed params: sorted `name=value` pairs, base64 signature.
fn ed_signed(mut params: serde_json::Map<String, Value>) -> Value {
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

fn event(frame: &Value) -> &Value {
    &frame["event"]
}

fn is_event(frame: &Value, kind: &str) -> bool {
    frame["event"]["e"] == kind
}

#[tokio::test]
async fn subscribe_signature_then_a_market_order_gives_new_trade_and_position() {
    let emu = Emu::start(config()).await;
    let mut socket = emu.connect("/ws-api/v3").await;
    let (_, answer) = call(
        &mut socket,
        "s1",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now()),
    )
    .await;
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["result"], json!({"subscriptionId": 0}));
    let limits = &answer["rateLimits"][0];
    assert_eq!(
        (
            limits["rateLimitType"].as_str(),
            limits["interval"].as_str(),
            limits["limit"].as_u64()
        ),
        (Some("REQUEST_WEIGHT"), Some("MINUTE"), Some(6000))
    );
    // 2 for connecting + 2 for the subscription (unless a new minute began in between).
    assert!(matches!(limits["count"].as_u64(), Some(4 | 2)), "{limits}");

    let (status, placed) = emu
        .rest(
            reqwest::Method::POST,
            "/api/v3/order",
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002&newClientOrderId=ws-market-1",
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    let reports: Vec<&Value> = frames
        .iter()
        .map(event)
        .filter(|e| e["e"] == "executionReport")
        .collect();
    let kinds: Vec<(&str, &str)> = reports
        .iter()
        .map(|r| (r["x"].as_str().unwrap(), r["X"].as_str().unwrap()))
        .collect();
    let fills = placed["fills"].as_array().unwrap();
    assert_eq!(kinds.first(), Some(&("NEW", "NEW")), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&("TRADE", "FILLED")), "{kinds:?}");
    assert_eq!(kinds.len(), 1 + fills.len());
    for (report, fill) in reports[1..].iter().zip(fills) {
        assert_eq!(report["t"], fill["tradeId"]);
        assert_eq!(report["L"], fill["price"]);
        assert_eq!(report["l"], fill["qty"]);
        assert_eq!(report["n"], fill["commission"]);
        assert_eq!(report["N"], fill["commissionAsset"]);
    }
    for report in &reports {
        assert_eq!(report["i"], placed["orderId"]);
        assert_eq!(report["c"], "ws-market-1");
        assert_eq!(report["C"], "");
        assert_eq!(report["g"], -1);
        assert_eq!(report["s"], "BTCUSDT");
        assert_eq!(report["o"], "MARKET");
        assert_eq!(report["q"], "0.00200000");
        assert_eq!(report["O"], placed["transactTime"]);
    }
    assert_eq!(reports.last().unwrap()["z"], placed["executedQty"]);
    assert_eq!(reports.last().unwrap()["Z"], placed["cummulativeQuoteQty"]);
    assert!(frames.iter().all(|f| f["subscriptionId"] == 0));

    // The position holds the balances REST shows.
    let position = event(frames.last().unwrap());
    let (_, account) = emu
        .rest(reqwest::Method::GET, "/api/v3/account", "omitZeroBalances=true")
        .await;
    for asset in ["BTC", "USDT"] {
        let sent = position["B"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["a"] == asset)
            .unwrap();
        let rest = account["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["asset"] == asset)
            .unwrap();
        assert_eq!((&sent["f"], &sent["l"]), (&rest["free"], &rest["locked"]), "{asset}");
    }

    // The log shows the WebSocket request, its verification and no signature.
    let log = emu.get("/emulator/requests").await;
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "userDataStream.subscribe.signature")
        .unwrap();
    assert_eq!(entry["path"], "/ws-api/v3");
    assert_eq!(
        (entry["status"].as_u64(), entry["weight"].as_u64()),
        (Some(200), Some(2))
    );
    assert_eq!(entry["verified_key_type"], "HMAC");
    assert!(entry["body"].as_str().unwrap().contains(r#""signature":"…""#));
    let upgrade = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "/ws-api/v3" && e["method"] == "GET");
    assert_eq!(upgrade.unwrap()["status"], 101);
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn ed25519_logon_subscribe_then_logout_ends_the_subscription() {
    let emu = Emu::start(config()).await;
    let mut socket = emu.connect("/ws-api/v3").await;
    let (_, answer) = call(&mut socket, "x1", "userDataStream.subscribe", json!({})).await;
    assert_eq!(
        (answer["status"].as_u64(), answer["error"]["code"].as_i64()),
        (Some(401), Some(-1002))
    );

    let mut params = serde_json::Map::new();
    params.insert("apiKey".into(), ED_KEY.into());
    params.insert("timestamp".into(), emu.now().into());
    let (_, logon) = call(&mut socket, "l1", "session.logon", ed_signed(params)).await;
    assert_eq!(logon["status"], 200, "{logon}");
    let result = &logon["result"];
    assert_eq!(result["apiKey"], ED_KEY);
    assert_eq!(result["userDataStream"], false);
    assert_eq!(result["returnRateLimits"], true);
    assert!(result["authorizedSince"].as_i64().unwrap() >= result["connectedSince"].as_i64().unwrap());

    let (_, subscribed) = call(&mut socket, "u1", "userDataStream.subscribe", json!({})).await;
    assert_eq!(subscribed["result"], json!({"subscriptionId": 0}), "{subscribed}");
    let (_, status) = call(&mut socket, "st", "session.status", json!({})).await;
    assert_eq!(
        (
            status["result"]["userDataStream"].as_bool(),
            status["result"]["apiKey"].as_str()
        ),
        (Some(true), Some(ED_KEY))
    );
    let (_, list) = call(&mut socket, "ls", "session.subscriptions", json!({})).await;
    assert_eq!(list["result"], json!([{"subscriptionId": 0}]));
    let (_, again) = call(&mut socket, "u2", "userDataStream.subscribe", json!({})).await;
    assert_eq!(again["error"]["code"], -2035);

    // A REST order signed with the same Ed25519 key reaches the subscription.
    let price = {
        let state = emu.handle.state();
        let inst = state.market.instrument("ETHUSDT").unwrap();
        state.market.best_bid(inst, emu.now()) * rust_decimal::Decimal::new(9, 1)
    };
    let price = price.round_dp(2);
    let query = format!(
        "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=ed-1&timestamp={}",
        emu.now()
    );
    let signature = BASE64.encode(ed_signing_key().sign(query.as_bytes()).to_bytes());
    let encoded: String =
        percent_encoding::utf8_percent_encode(&signature, percent_encoding::NON_ALPHANUMERIC).to_string();
    let response = emu
        .http
        .post(format!(
            "{}/api/v3/order?{query}&signature={encoded}",
            emu.handle.base_url()
        ))
        .header("X-MBX-APIKEY", ED_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    let new = event(&frames[0]);
    assert_eq!(
        (new["x"].as_str(), new["c"].as_str(), new["w"].as_bool()),
        (Some("NEW"), Some("ed-1"), Some(true))
    );
    let locked = event(frames.last().unwrap())["B"][0].clone();
    assert_eq!(locked["a"], "USDT");

    let (before, logout) = call(&mut socket, "lo", "session.logout", json!({})).await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0]["subscriptionId"], 0);
    assert_eq!(event(&before[0])["e"], "eventStreamTerminated");
    assert_eq!(
        (
            logout["result"]["apiKey"].clone(),
            logout["result"]["authorizedSince"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(logout["result"]["userDataStream"], false);

    // An HMAC key cannot log on: Binance answers its signature as invalid.
    let payload = format!("apiKey={KEY}&timestamp={}", emu.now());
    let signature = sign(&payload, SECRET).rsplit_once("signature=").unwrap().1.to_owned();
    assert!(verify_hmac(SECRET, payload.as_bytes(), &signature));
    let params = json!({"apiKey": KEY, "timestamp": emu.now(), "signature": signature});
    let (_, refused) = call(&mut socket, "l2", "session.logon", params).await;
    assert_eq!(
        (refused["status"].as_u64(), refused["error"]["code"].as_i64()),
        (Some(400), Some(-1022))
    );

    let log = emu.get("/emulator/requests").await;
    let logons: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["method"] == "session.logon")
        .collect();
    assert_eq!(logons.len(), 2);
    assert_eq!(
        (logons[0]["status"].as_u64(), logons[0]["verified_key_type"].as_str()),
        (Some(200), Some("Ed25519"))
    );
    assert_eq!(logons[1]["status"], 400);
    assert!(logons[1].get("verified_key_type").is_none());
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_documented_errors() {
    let emu = Emu::start(config()).await;
    let mut socket = emu.connect("/ws-api/v3?returnRateLimits=false").await;
    let mut params = hmac_subscription(emu.now());
    params["signature"] = json!("00".repeat(32));
    let (_, answer) = call(&mut socket, "b1", "userDataStream.subscribe.signature", params).await;
    assert_eq!(
        answer,
        json!({"id":"b1","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}})
    );
    let mut params = hmac_subscription(emu.now());
    params["apiKey"] = json!("nobody");
    let (_, answer) = call(&mut socket, "b2", "userDataStream.subscribe.signature", params).await;
    assert_eq!(
        (answer["status"].as_u64(), answer["error"]["code"].as_i64()),
        (Some(401), Some(-2015))
    );
    let (_, answer) = call(
        &mut socket,
        "b3",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now() - 6_000),
    )
    .await;
    assert_eq!(
        answer["error"]["msg"],
        "Timestamp for this request is outside of the recvWindow."
    );
    let (_, answer) = call(&mut socket, "b4", "order.place", json!({})).await;
    assert_eq!(
        answer["error"],
        json!({"code":-1020,"msg":"This operation is not supported."})
    );
    let (_, answer) = call(&mut socket, "b5", "ping", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(answer["error"]["code"], -1104);
    let (_, answer) = call(&mut socket, "b6", "time", json!({"returnRateLimits": true})).await;
    assert!(
        answer["result"]["serverTime"].is_i64() && answer["rateLimits"].is_array(),
        "{answer}"
    );
    let (_, answer) = call(&mut socket, "b7", "userDataStream.unsubscribe", json!({})).await;
    assert_eq!(
        answer["error"],
        json!({"code":-2036,"msg":"User Data Stream subscription not active."})
    );
    socket.send(Message::text("{not json")).await.unwrap();
    let answer = next_json(&mut socket).await;
    assert_eq!(
        answer,
        json!({"id":null,"status":400,"error":{"code":-1135,"msg":"Invalid JSON Request"}})
    );
    let (_, answer) = call(&mut socket, "b8", "ping", json!(null)).await;
    assert_eq!(answer, json!({"id":"b8","status":200,"result":{}}));

    // timeUnit: microseconds when asked, HTTP 400 -1194 for anything else.
    let mut micros = emu.connect("/ws-api/v3?timeUnit=MICROSECOND").await;
    let (_, time) = call(&mut micros, "t", "time", json!({})).await;
    assert!(
        time["result"]["serverTime"].as_i64().unwrap() > 1_000_000_000_000_000,
        "{time}"
    );
    match tokio_tungstenite::connect_async(emu.ws_url("/ws-api/v3?timeUnit=SECOND")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], -1194);
        }
        other => panic!("expected HTTP 400, got {other:?}"),
    }
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn request_weight_is_shared_with_rest_and_a_ban_closes_the_connection() {
    let mut config = config();
    config.weight_limit_per_minute = 10;
    let emu = Emu::start(config).await;
    let mut socket = emu.connect("/ws-api/v3").await; // 2
    let mut answers = Vec::new();
    for n in 0..12 {
        let (_, answer) = call(&mut socket, &format!("p{n}"), "ping", json!({})).await;
        let status = answer["status"].as_u64().unwrap();
        answers.push(answer);
        if status == 418 {
            break;
        }
    }
    let statuses: Vec<u64> = answers.iter().map(|a| a["status"].as_u64().unwrap()).collect();
    if statuses.iter().filter(|s| **s == 200).count() != 8 {
        return; // a new minute began in between
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 200, 200, 200, 429, 429, 429, 418],
        "{statuses:?}"
    );
    let limited = &answers[8];
    assert_eq!(limited["error"]["code"], -1003);
    assert_eq!(limited["rateLimits"][0]["count"], 11);
    let retry_after = limited["error"]["data"]["retryAfter"].as_i64().unwrap();
    assert!(retry_after > limited["error"]["data"]["serverTime"].as_i64().unwrap());
    let banned = &answers[11];
    assert!(
        banned["error"]["msg"]
            .as_str()
            .unwrap()
            .starts_with("Way too much request weight used; IP banned until")
    );
    assert!(ends(&mut socket).await, "a banned client is disconnected");
    // REST from the same IP is banned too.
    let url = format!("{}/api/v3/ping", emu.handle.base_url());
    assert_eq!(emu.http.get(url).send().await.unwrap().status(), 418);
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn a_resting_limit_fills_on_the_background_tick_without_any_rest_call() {
    let emu = Emu::start(config()).await;
    let state = emu.handle.state().clone();
    let t0 = state.clock.now_ms();
    state.clock.freeze_at_ms(t0);
    // The bid now, and the first synthetic trade after now that prints below it.
    let inst = state.market.instrument("BTCUSDT").unwrap();
    let price = state.market.best_bid(inst, t0);
    let mut id = state.market.last_trade_at_or_before(inst, t0).unwrap() + 1;
    let through = loop {
        let trade = state.market.trade(inst, id);
        if trade.price < price {
            break trade;
        }
        assert!(trade.time < t0 + 3_600_000, "no trade below {price} within an hour");
        id += 1;
    };

    let mut socket = emu.connect("/ws-api/v3").await;
    let (_, answer) = call(
        &mut socket,
        "s",
        "userDataStream.subscribe.signature",
        hmac_subscription(t0),
    )
    .await;
    assert_eq!(answer["status"], 200, "{answer}");
    let (status, placed) = emu
        .rest(
            reqwest::Method::POST,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price={price}"),
        )
        .await;
    assert_eq!((status, placed["status"].as_str()), (200, Some("NEW")), "{placed}");
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    assert_eq!(event(&frames[0])["x"], "NEW");

    let clear = format!("{}/emulator/requests", emu.handle.base_url());
    emu.http.delete(clear).send().await.unwrap();
    state.clock.freeze_at_ms(through.time + 1);
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    let trade = event(&frames[0]);
    assert_eq!(
        (trade["x"].as_str(), trade["X"].as_str()),
        (Some("TRADE"), Some("FILLED")),
        "{frames:?}"
    );
    assert_eq!(trade["i"], placed["orderId"]);
    assert_eq!(trade["L"], placed["price"]);
    assert_eq!(trade["l"], "0.00100000");
    assert_eq!(trade["m"], true);
    assert_eq!(trade["w"], false);
    assert_eq!(trade["T"], through.time);
    let log = emu.get("/emulator/requests").await;
    assert_eq!(log, json!([]), "the fill came with no request at all");
    state.clock.freeze_at_ms(0);
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn amend_and_cancel_give_replaced_then_canceled() {
    let emu = Emu::start(config()).await;
    let mut socket = emu.connect("/ws-api/v3").await;
    call(
        &mut socket,
        "s",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now()),
    )
    .await;
    let price = {
        let state = emu.handle.state();
        let inst = state.market.instrument("BTCUSDT").unwrap();
        (state.market.best_bid(inst, emu.now()) * rust_decimal::Decimal::new(9, 1)).round_dp(2)
    };
    let (status, placed) = emu
        .rest(
            reqwest::Method::POST,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price={price}&newClientOrderId=first-id"),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    let id = placed["orderId"].as_u64().unwrap();
    until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;

    let (status, amended) = emu
        .rest(
            reqwest::Method::PUT,
            "/api/v3/order/amend/keepPriority",
            &format!("symbol=BTCUSDT&orderId={id}&newQty=0.001&newClientOrderId=second-id"),
        )
        .await;
    assert_eq!(status, 200, "{amended}");
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    let replaced = event(&frames[0]);
    assert_eq!(
        (replaced["x"].as_str(), replaced["X"].as_str()),
        (Some("REPLACED"), Some("NEW"))
    );
    assert_eq!(
        (replaced["c"].as_str(), replaced["C"].as_str()),
        (Some("second-id"), Some("first-id"))
    );
    assert_eq!(replaced["q"], "0.00100000");
    assert_eq!(replaced["i"], id);

    let (status, canceled) = emu
        .rest(
            reqwest::Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}&newClientOrderId=cancel-id"),
        )
        .await;
    assert_eq!(status, 200, "{canceled}");
    let frames = until(&mut socket, |f| is_event(f, "outboundAccountPosition")).await;
    let report = event(&frames[0]);
    assert_eq!(
        (report["x"].as_str(), report["X"].as_str()),
        (Some("CANCELED"), Some("CANCELED"))
    );
    assert_eq!(
        (&report["c"], &report["C"]),
        (&canceled["clientOrderId"], &canceled["origClientOrderId"])
    );
    assert_eq!(
        (report["c"].as_str(), report["C"].as_str()),
        (Some("cancel-id"), Some("second-id"))
    );
    assert_eq!(report["T"], canceled["transactTime"]);
    assert_eq!(report["w"], false);
    let usdt = event(&frames[1])["B"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["a"] == "USDT")
        .unwrap()
        .clone();
    assert_eq!(usdt["l"], "0.00000000", "the lock is released");
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn unsubscribe_sends_event_stream_terminated_before_its_answer() {
    let emu = Emu::start(config()).await;
    let mut socket = emu.connect("/ws-api/v3").await;
    call(
        &mut socket,
        "s1",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now()),
    )
    .await;
    let (_, again) = call(
        &mut socket,
        "s2",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now()),
    )
    .await;
    assert_eq!(
        again["error"],
        json!({"code":-2035,"msg":"User Data Stream subscription already active."})
    );
    let (_, answer) = call(
        &mut socket,
        "u9",
        "userDataStream.unsubscribe",
        json!({"subscriptionId": 9}),
    )
    .await;
    assert_eq!(answer["error"]["code"], -2036);
    let (before, answer) = call(
        &mut socket,
        "u0",
        "userDataStream.unsubscribe",
        json!({"subscriptionId": 0}),
    )
    .await;
    assert_eq!(answer["result"], json!({}));
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["subscriptionId"], 0);
    let terminated = event(&before[0]);
    assert_eq!(terminated["e"], "eventStreamTerminated");
    assert!(terminated["E"].as_i64().unwrap() > 0);
    assert_eq!(terminated.as_object().unwrap().len(), 2);
    let (_, list) = call(&mut socket, "ls", "session.subscriptions", json!({})).await;
    assert_eq!(list["result"], json!([]));
    // A new subscription gets the next id.
    let (_, answer) = call(
        &mut socket,
        "s3",
        "userDataStream.subscribe.signature",
        hmac_subscription(emu.now()),
    )
    .await;
    assert_eq!(answer["result"], json!({"subscriptionId": 1}));
    emu.handle.shutdown().await;
}

/// True when the connection ends (closed, reset or EOF) within [`WAIT`], reading past any
/// frames still in flight.
async fn ends(socket: &mut Socket) -> bool {
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

#[tokio::test]
async fn ws_down_drops_every_websocket_and_refuses_upgrades() {
    let emu = Emu::start(config()).await;
    let mut api = emu.connect("/ws-api/v3").await;
    let mut stream = emu.connect("/ws/btcusdt@trade").await;
    emu.post_faults(json!({"ws_down_ms": 1_500})).await;
    assert!(ends(&mut api).await && ends(&mut stream).await);
    let refused = tokio_tungstenite::connect_async(emu.ws_url("/ws-api/v3")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected HTTP 503, got {other:?}"),
    }
    // REST is unaffected.
    assert!(emu.get("/api/v3/time").await["serverTime"].is_i64());
    let log = emu.get("/emulator/requests").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["method"] == "GET" && e["path"] == "/ws-api/v3" && e["status"] == 503),
        "{log}"
    );
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let mut back = emu.connect("/ws-api/v3").await;
    let (_, pong) = call(&mut back, "p", "ping", json!({})).await;
    assert_eq!(pong["status"], 200);

    emu.post_faults(json!({"ws_down_ms": 60_000})).await;
    assert!(ends(&mut back).await);
    let url = format!("{}/emulator/faults", emu.handle.base_url());
    emu.http.delete(url).send().await.unwrap();
    emu.connect("/stream?streams=btcusdt@trade").await;
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn raw_and_combined_streams_deliver_documented_payloads() {
    let emu = Emu::start(config()).await;
    let mut raw = emu.connect("/ws/btcusdt@trade").await;
    let trade = next_json(&mut raw).await;
    let keys: Vec<&str> = trade.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 9, "{trade}");
    for key in ["e", "E", "s", "t", "p", "q", "T", "m", "M"] {
        assert!(trade.get(key).is_some(), "{key} in {trade}");
    }
    assert_eq!(
        (trade["e"].as_str(), trade["s"].as_str()),
        (Some("trade"), Some("BTCUSDT"))
    );
    let rest = emu.get("/api/v3/trades?symbol=BTCUSDT&limit=1000").await;
    let same = rest
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == trade["t"])
        .expect("REST shows the trade");
    assert_eq!(
        (&same["price"], &same["qty"], &same["time"]),
        (&trade["p"], &trade["q"], &trade["T"])
    );
    assert_eq!(same["isBuyerMaker"], trade["m"]);

    raw.send(Message::text(
        r#"{"method":"SUBSCRIBE","params":["ethusdt@miniTicker"],"id":1}"#,
    ))
    .await
    .unwrap();
    let answer = until(&mut raw, |f| f.get("id").is_some()).await.pop().unwrap();
    assert_eq!(answer, json!({"result": null, "id": 1}));
    raw.send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#))
        .await
        .unwrap();
    let answer = until(&mut raw, |f| f.get("id").is_some()).await.pop().unwrap();
    assert_eq!(
        answer,
        json!({"result": ["btcusdt@trade", "ethusdt@miniTicker"], "id": 3})
    );
    let mini = until(&mut raw, |f| f["e"] == "24hrMiniTicker").await.pop().unwrap();
    assert_eq!(mini["s"], "ETHUSDT");
    for key in ["E", "c", "o", "h", "l", "v", "q"] {
        assert!(mini.get(key).is_some(), "{key} in {mini}");
    }

    let mut combined = emu
        .connect("/stream?streams=btcusdt@bookTicker/ethbtc@depth5/bnbusdt@kline_1s")
        .await;
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        let frame = next_json(&mut combined).await;
        let stream = frame["stream"].as_str().unwrap().to_owned();
        let data = &frame["data"];
        match stream.as_str() {
            "btcusdt@bookTicker" => {
                assert_eq!(data["s"], "BTCUSDT");
                for key in ["u", "b", "B", "a", "A"] {
                    assert!(data.get(key).is_some(), "{key} in {data}");
                }
            }
            "ethbtc@depth5" => {
                assert!(data["lastUpdateId"].is_u64());
                assert_eq!(data["bids"].as_array().unwrap().len(), 5);
                assert_eq!(data["asks"].as_array().unwrap().len(), 5);
            }
            "bnbusdt@kline_1s" => {
                assert_eq!(
                    (data["e"].as_str(), data["k"]["i"].as_str()),
                    (Some("kline"), Some("1s"))
                );
                assert_eq!(data["k"]["T"].as_i64().unwrap() - data["k"]["t"].as_i64().unwrap(), 999);
            }
            other => panic!("unexpected stream {other}"),
        }
        seen.insert(stream);
    }
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn server_pings_and_closes_at_the_configured_lifetime() {
    let mut config = config();
    config.ws_ping_interval = Duration::from_millis(100);
    config.ws_pong_timeout = Duration::from_millis(400);
    config.ws_max_lifetime = Duration::from_millis(1_200);
    let emu = Emu::start(config).await;

    // A client that reads (and so answers pings) lives until the lifetime ends.
    let mut socket = emu.connect("/ws-api/v3").await;
    let (mut pings, close) = tokio::time::timeout(WAIT, async {
        let mut pings = 0;
        loop {
            match socket.next().await {
                Some(Ok(Message::Ping(_))) => pings += 1,
                Some(Ok(Message::Close(frame))) => return (pings, frame),
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(pings >= 5, "{pings} pings");
    assert_eq!(close.unwrap().code, CloseCode::Normal);

    emu.handle.shutdown().await;

    // A client that never reads never answers pings: closed after the pong timeout, long
    // before its lifetime. (The close frame may be lost: reading it, the client first tries
    // to answer the pings on a socket the server has already closed.)
    let mut config = self::config();
    config.ws_ping_interval = Duration::from_millis(100);
    config.ws_pong_timeout = Duration::from_millis(300);
    config.ws_max_lifetime = Duration::from_secs(600);
    let emu = Emu::start(config).await;
    let mut silent = emu.connect("/ws/btcusdt@trade").await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match silent.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                None | Some(Err(_)) => return Some(CloseCode::Policy),
                Some(Ok(_)) => pings += 1,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(ended, Some(CloseCode::Policy));
    emu.handle.shutdown().await;
}

#[tokio::test]
async fn server_shutdown_is_announced_on_every_websocket_which_stays_open() {
    let emu = Emu::start(config()).await;
    let mut api = emu.connect("/ws-api/v3").await;
    let mut raw = emu.connect("/ws/btcusdt@trade").await;
    // A Unicode symbol's stream, its name percent-encoded in the URL as clients send it.
    let mut combined = emu
        .connect("/stream?streams=%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456@trade")
        .await;
    let first = next_json(&mut combined).await;
    assert_eq!(first["stream"], "这是测试币456@trade", "{first}");
    assert_eq!(first["data"]["s"], super::symbols::UNICODE_SYMBOL);
    let before = emu.now();
    emu.post_faults(json!({"server_shutdown": true})).await;
    let notice = until(&mut api, |f| f.get("event").is_some()).await.pop().unwrap();
    assert_eq!(notice["event"]["e"], "serverShutdown", "{notice}");
    assert!(notice["event"]["E"].as_i64().unwrap() >= before);
    assert!(notice.get("subscriptionId").is_none(), "a connection event: {notice}");
    let notice = until(&mut raw, |f| f["e"] == "serverShutdown").await.pop().unwrap();
    assert!(notice["E"].is_i64(), "{notice}");
    let notice = until(&mut combined, |f| f["stream"] == "!serverShutdown")
        .await
        .pop()
        .unwrap();
    assert_eq!(notice["data"]["e"], "serverShutdown", "{notice}");
    // The connections stay open until the client moves: the API still answers.
    let (_, pong) = call(&mut api, "p", "ping", json!({})).await;
    assert_eq!(pong["status"], 200);
    emu.handle.shutdown().await;
}
