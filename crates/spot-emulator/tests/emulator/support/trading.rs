//! Harness for the trading-endpoint tests: a router over a fresh emulator with one account and
//! a frozen server clock (so the seeded market is the same on every run), signed requests, and
//! small JSON helpers. Expected values come from responses and the market model (the test
//! input), never from the engine's code.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use spot_emulator::{EmulatorConfig, EmulatorState, router};

use super::decimals::floor_to_step;
use super::testkit::{fixed_market, send, sign};

pub const KEY: &str = "orderTestKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
pub const SECRET: &str = "orderTestSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM";
/// 2026-01-01T00:00:00.250Z: the frozen start of every test.
pub const T0: i64 = 1_767_225_600_250;

pub const PLACED_FULL_KEYS: [&str; 17] = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    "price",
    "origQty",
    "executedQty",
    "origQuoteOrderQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "workingTime",
    "selfTradePreventionMode",
    "fills",
];
pub const QUERY_KEYS: [&str; 20] = [
    "symbol",
    "orderId",
    "orderListId",
    "clientOrderId",
    "price",
    "origQty",
    "executedQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "stopPrice",
    "icebergQty",
    "time",
    "updateTime",
    "isWorking",
    "workingTime",
    "origQuoteOrderQty",
    "selfTradePreventionMode",
];
pub const CANCEL_KEYS: [&str; 16] = [
    "symbol",
    "origClientOrderId",
    "orderId",
    "orderListId",
    "clientOrderId",
    "transactTime",
    "price",
    "origQty",
    "executedQty",
    "origQuoteOrderQty",
    "cummulativeQuoteQty",
    "status",
    "timeInForce",
    "type",
    "side",
    "selfTradePreventionMode",
];

pub const OCO_PATH: &str = "/api/v3/orderList/oco";
pub const OTO_PATH: &str = "/api/v3/orderList/oto";
pub const OTOCO_PATH: &str = "/api/v3/orderList/otoco";

/// Keys of a list status object (`GET /api/v3/orderList`).
pub const LIST_KEYS: [&str; 8] = [
    "orderListId",
    "contingencyType",
    "listStatusType",
    "listOrderStatus",
    "listClientOrderId",
    "transactionTime",
    "symbol",
    "orders",
];

pub struct Ex {
    pub app: Router,
    pub state: Arc<EmulatorState>,
}

pub type Answer = (StatusCode, HeaderMap, Value);

impl Ex {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(change: impl FnOnce(&mut EmulatorConfig)) -> Self {
        let mut config = fixed_market(EmulatorConfig::new(7).with_account(KEY, SECRET));
        change(&mut config);
        let state = Arc::new(EmulatorState::new(config));
        state.clock.freeze_at_ms(T0);
        Self {
            app: router(state.clone()),
            state,
        }
    }

    pub fn at(&self, t_ms: i64) {
        self.state.clock.freeze_at_ms(t_ms);
    }

    pub fn now(&self) -> i64 {
        self.state.clock.now_ms()
    }

    /// A signed request: `params` + timestamp, signed with the hmac crate; POST and DELETE send
    /// them as a form body, GET in the query string.
    pub async fn signed(&self, method: Method, path: &str, params: &str) -> Answer {
        let sep = if params.is_empty() { "" } else { "&" };
        let payload = format!("{params}{sep}timestamp={}", self.now());
        let signed = sign(&payload, SECRET);
        let headers = [("X-MBX-APIKEY", KEY)];
        if method == Method::GET {
            send(&self.app, method, &format!("{path}?{signed}"), &headers, None).await
        } else {
            send(&self.app, method, path, &headers, Some(&signed)).await
        }
    }

    pub async fn order(&self, params: &str) -> Answer {
        self.signed(Method::POST, "/api/v3/order", params).await
    }

    pub async fn get(&self, path: &str, params: &str) -> Answer {
        self.signed(Method::GET, path, params).await
    }

    /// `POST /emulator/fill` with the JSON `body`.
    pub async fn fill_hook(&self, body: &str) -> Answer {
        let json = [("content-type", "application/json")];
        send(&self.app, Method::POST, "/emulator/fill", &json, Some(body)).await
    }

    /// `GET /api/v3/order` of `order_id` on BTCUSDT.
    pub async fn btc_order(&self, order_id: &Value) -> Value {
        let (status, _, body) = self
            .get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={order_id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// (free, locked) of `asset` from `GET /api/v3/account`.
    pub async fn balance(&self, asset: &str) -> (Decimal, Decimal) {
        let (status, _, body) = self.get("/api/v3/account", "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let row = body["balances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["asset"] == asset)
            .cloned()
            .unwrap_or_else(|| json!({"free": "0", "locked": "0"}));
        (dec(&row["free"]), dec(&row["locked"]))
    }

    pub fn bid(&self, symbol: &str) -> Decimal {
        self.state.market().best_bid(symbol, self.now()).unwrap()
    }

    pub fn ask(&self, symbol: &str) -> Decimal {
        self.bid(symbol) + self.state.market().tick_size(symbol).unwrap()
    }

    pub fn last(&self, symbol: &str) -> Decimal {
        let market = self.state.market();
        let id = market.last_trade_at_or_before(symbol, self.now()).unwrap();
        market.trade(symbol, id).unwrap().price
    }

    /// `value` floored to the symbol's tick.
    pub fn tick(&self, symbol: &str, value: Decimal) -> Decimal {
        let tick = self.state.market().tick_size(symbol).unwrap();
        floor_to_step(value, tick).normalize()
    }

    /// Time of the first synthetic trade after now (within 6 h) whose price satisfies `pred`.
    pub fn first_trade_when(&self, symbol: &str, pred: impl Fn(Decimal) -> bool) -> (i64, Decimal) {
        let market = self.state.market();
        let first = market.first_trade_at_or_after(symbol, self.now() + 1).unwrap();
        (first..first + 6 * 3600 * 4)
            .map(|id| market.trade(symbol, id).unwrap())
            .find(|t| pred(t.price))
            .map(|t| (t.time, t.price))
            .expect("the seeded market gets there within 6 hours")
    }
}

pub fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

pub fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

pub fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

pub fn assert_keys(v: &Value, expected: &[&str]) {
    let mut got: Vec<String> = keys(v).into_iter().map(str::to_owned).collect();
    got.sort();
    assert_eq!(got, sorted(expected), "{v}");
}

pub fn error(body: &Value) -> (i64, &str) {
    (body["code"].as_i64().unwrap(), body["msg"].as_str().unwrap())
}

pub fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A SELL bracket of 0.01 BTC: take-profit LIMIT_MAKER 1% above the last price, STOP_LOSS_LIMIT
/// 1% below (limit 1.5% below): (params, take-profit price, stop price).
pub fn sell_bracket(ex: &Ex, extra: &str) -> (String, Decimal, Decimal) {
    let last = ex.last("BTCUSDT");
    let take = ex.tick("BTCUSDT", last * d("1.01"));
    let stop = ex.tick("BTCUSDT", last * d("0.99"));
    let limit = ex.tick("BTCUSDT", last * d("0.985"));
    let params = format!(
        "symbol=BTCUSDT&side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice={take}\
         &belowType=STOP_LOSS_LIMIT&belowPrice={limit}&belowStopPrice={stop}&belowTimeInForce=GTC{extra}"
    );
    (params, take, stop)
}

/// The `orderId`s of a list's `orders[]`.
pub fn ids(list: &Value) -> Vec<Value> {
    list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].clone())
        .collect()
}

/// An OTO: LIMIT BUY 0.01 working 1% under the bid, LIMIT_MAKER SELL pending 5% above the last
/// price: (params, working price, pending price).
pub fn oto(ex: &Ex, extra: &str) -> (String, Decimal, Decimal) {
    let working = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"));
    let pending = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("1.05"));
    let params = format!(
        "symbol=BTCUSDT&workingType=LIMIT&workingSide=BUY&workingPrice={working}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingType=LIMIT_MAKER&pendingSide=SELL&pendingPrice={pending}\
         &pendingQuantity=0.01{extra}"
    );
    (params, working, pending)
}
