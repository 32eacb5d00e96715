//! End-to-end tests of the trading endpoints through the router (`oneshot`, no socket) with a
//! frozen server clock, so the seeded market is the same on every run. Expected values come
//! from the responses and the market model (the test input), never from the engine's code.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;

use super::testkit::send;
use super::wire::{fixed8, floor_to_step};
use super::{EmulatorConfig, EmulatorState, router};

const KEY: &str = "orderTestKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
const SECRET: &str = "orderTestSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM";
/// 2026-01-01T00:00:00.250Z: the frozen start of every test.
const T0: i64 = 1_767_225_600_250;

const PLACED_FULL_KEYS: [&str; 17] = [
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
const QUERY_KEYS: [&str; 20] = [
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
const CANCEL_KEYS: [&str; 16] = [
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

struct Ex {
    app: Router,
    state: Arc<EmulatorState>,
}

type Answer = (StatusCode, HeaderMap, Value);

impl Ex {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(change: impl FnOnce(&mut EmulatorConfig)) -> Self {
        let mut config = EmulatorConfig::new(7).with_account(KEY, SECRET);
        change(&mut config);
        let state = Arc::new(EmulatorState::new(config));
        state.clock.freeze_at_ms(T0);
        Self {
            app: router(state.clone()),
            state,
        }
    }

    fn at(&self, t_ms: i64) {
        self.state.clock.freeze_at_ms(t_ms);
    }

    fn now(&self) -> i64 {
        self.state.clock.now_ms()
    }

    /// A signed request: `params` + timestamp, signed with the hmac crate; POST and DELETE send
    /// them as a form body, GET in the query string.
    async fn signed(&self, method: Method, path: &str, params: &str) -> Answer {
        let sep = if params.is_empty() { "" } else { "&" };
        let payload = format!("{params}{sep}timestamp={}", self.now());
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(payload.as_bytes());
        let signed = format!("{payload}&signature={}", hex::encode(mac.finalize().into_bytes()));
        let headers = [("X-MBX-APIKEY", KEY)];
        if method == Method::GET {
            send(&self.app, method, &format!("{path}?{signed}"), &headers, None).await
        } else {
            send(&self.app, method, path, &headers, Some(&signed)).await
        }
    }

    async fn order(&self, params: &str) -> Answer {
        self.signed(Method::POST, "/api/v3/order", params).await
    }

    async fn get(&self, path: &str, params: &str) -> Answer {
        self.signed(Method::GET, path, params).await
    }

    /// (free, locked) of `asset` from `GET /api/v3/account`.
    async fn balance(&self, asset: &str) -> (Decimal, Decimal) {
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

    fn bid(&self, symbol: &str) -> Decimal {
        let inst = self.state.market.instrument(symbol).unwrap();
        self.state.market.best_bid(inst, self.now())
    }

    fn ask(&self, symbol: &str) -> Decimal {
        self.bid(symbol)
            + self
                .state
                .market
                .instrument(symbol)
                .unwrap()
                .spec
                .price_filter
                .tick_size
    }

    fn last(&self, symbol: &str) -> Decimal {
        let market = &self.state.market;
        let inst = market.instrument(symbol).unwrap();
        market
            .trade(inst, market.last_trade_at_or_before(inst, self.now()).unwrap())
            .price
    }

    /// `value` floored to the symbol's tick.
    fn tick(&self, symbol: &str, value: Decimal) -> Decimal {
        let tick = self
            .state
            .market
            .instrument(symbol)
            .unwrap()
            .spec
            .price_filter
            .tick_size;
        floor_to_step(value, tick).normalize()
    }

    /// Time of the first synthetic trade after now (within 6 h) whose price satisfies `pred`.
    fn first_trade_when(&self, symbol: &str, pred: impl Fn(Decimal) -> bool) -> (i64, Decimal) {
        let market = &self.state.market;
        let inst = market.instrument(symbol).unwrap();
        let first = market.first_trade_at_or_after(inst, self.now() + 1);
        (first..first + 6 * 3600 * 4)
            .map(|id| market.trade(inst, id))
            .find(|t| pred(t.price))
            .map(|t| (t.time, t.price))
            .expect("the seeded market gets there within 6 hours")
    }
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

fn assert_keys(v: &Value, expected: &[&str]) {
    let mut got: Vec<String> = keys(v).into_iter().map(str::to_owned).collect();
    got.sort();
    assert_eq!(got, sorted(expected), "{v}");
}

fn error(body: &Value) -> (i64, &str) {
    (body["code"].as_i64().unwrap(), body["msg"].as_str().unwrap())
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn limit_rests_locks_then_cancel_releases_exactly() {
    let ex = Ex::new();
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let params = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=rest-1"
    );
    let (status, headers, placed) = ex.order(&params).await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    assert_keys(&placed, &PLACED_FULL_KEYS);
    assert_eq!(placed["status"], "NEW");
    assert_eq!(placed["fills"], json!([]));
    assert_eq!(placed["clientOrderId"], "rest-1");
    assert_eq!(placed["orderListId"], -1);
    assert_eq!(placed["transactTime"], T0);
    assert_eq!(placed["workingTime"], T0);
    assert_eq!(placed["price"], fixed8(price));
    assert_eq!(placed["origQty"], "0.01000000");
    assert_eq!(placed["executedQty"], "0.00000000");
    assert_eq!(placed["origQuoteOrderQty"], "0.00000000");
    assert_eq!(placed["selfTradePreventionMode"], "EXPIRE_MAKER");
    assert_eq!(headers["x-mbx-order-count-10s"], "1");
    assert_eq!(headers["x-mbx-order-count-1d"], "1");
    assert_eq!(headers["x-mbx-used-weight-1m"], "0");
    let locked = price * d("0.01");
    assert_eq!(ex.balance("USDT").await, (d("10000") - locked, locked));

    let id = placed["orderId"].as_u64().unwrap();
    let (status, headers, queried) = ex.get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_keys(&queried, &QUERY_KEYS);
    assert_eq!(headers["x-mbx-used-weight-1m"], "24"); // account 20 + order 4
    assert_eq!(queried["isWorking"], true);
    assert_eq!(queried["stopPrice"], "0.00000000");
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["orderId"], id);

    let (status, headers, canceled) = ex
        .signed(
            Method::DELETE,
            "/api/v3/order",
            "symbol=BTCUSDT&origClientOrderId=rest-1&newClientOrderId=cancel-1",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_keys(&canceled, &CANCEL_KEYS);
    assert_eq!(headers["x-mbx-used-weight-1m"], "30"); // + openOrders 6, + 0 for the cancel
    assert_eq!(canceled["status"], "CANCELED");
    assert_eq!(canceled["origClientOrderId"], "rest-1");
    assert_eq!(canceled["clientOrderId"], "cancel-1");
    assert_eq!(ex.balance("USDT").await, (d("10000"), Decimal::ZERO));

    let (status, headers, again) = ex
        .signed(Method::DELETE, "/api/v3/order", &format!("symbol=BTCUSDT&orderId={id}"))
        .await;
    assert_eq!(
        (status, error(&again)),
        (StatusCode::BAD_REQUEST, (-2011, "Unknown order sent."))
    );
    assert_eq!(headers["x-mbx-used-weight-1m"], "51"); // + account 20, + 1 for the failed cancel
    let (_, _, queried) = ex.get("/api/v3/order", "symbol=BTCUSDT&origClientOrderId=rest-1").await;
    assert_eq!(queried["status"], "CANCELED");
}

#[tokio::test]
async fn order_lookup_errors() {
    let ex = Ex::new();
    let (status, _, body) = ex.get("/api/v3/order", "symbol=BTCUSDT&orderId=999").await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, (-2013, "Order does not exist."))
    );
    let (_, _, body) = ex.get("/api/v3/order", "symbol=BTCUSDT").await;
    assert_eq!(
        error(&body),
        (
            -1102,
            "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    );
    let (_, _, body) = ex.signed(Method::DELETE, "/api/v3/order", "symbol=BTCUSDT").await;
    assert_eq!(error(&body).0, -1102);
    let (_, _, body) = ex
        .signed(Method::DELETE, "/api/v3/order", "symbol=BTCUSDT&orderId=5")
        .await;
    assert_eq!(error(&body), (-2011, "Unknown order sent."));
    let (_, _, body) = ex.signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(error(&body), (-2011, "Unknown order sent."));
    let (_, _, body) = ex.get("/api/v3/order", "symbol=NOPEUSDT&orderId=1").await;
    assert_eq!(error(&body), (-1121, "Invalid symbol."));

    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let (_, _, placed) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=a1"
        ))
        .await;
    let id = placed["orderId"].as_u64().unwrap();
    let (_, _, body) = ex
        .get(
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}&origClientOrderId=other"),
        )
        .await;
    assert_eq!(
        error(&body),
        (-2039, "Client order ID is not correct for this order ID.")
    );
    let (_, _, body) = ex.get("/api/v3/order", &format!("symbol=ETHUSDT&orderId={id}")).await;
    assert_eq!(error(&body).0, -2013);
    let (_, _, body) = ex
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}&cancelRestrictions=ONLY_PARTIALLY_FILLED"),
        )
        .await;
    assert_eq!(
        error(&body),
        (-2011, "Order was not canceled due to cancel restrictions.")
    );
    let (_, _, body) = ex
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={id}&cancelRestrictions=NEVER"),
        )
        .await;
    assert_eq!(error(&body), (-1145, "Invalid cancelRestrictions"));
}

#[tokio::test]
async fn market_buy_walks_the_book_and_settles_with_taker_commission() {
    let ex = Ex::new();
    let ask = ex.ask("BTCUSDT");
    let (status, _, placed) = ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.2").await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    assert_keys(&placed, &PLACED_FULL_KEYS);
    assert_eq!(placed["status"], "FILLED");
    assert_eq!(placed["price"], "0.00000000");
    assert_eq!(placed["timeInForce"], "GTC");
    assert_eq!(placed["executedQty"], "0.20000000");
    let fills = placed["fills"].as_array().unwrap();
    assert!(fills.len() > 1, "0.2 BTC takes several levels: {placed}");
    assert_eq!(dec(&fills[0]["price"]), ask);
    let (mut qty, mut quote, mut commission) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (i, fill) in fills.iter().enumerate() {
        let (p, q, c) = (dec(&fill["price"]), dec(&fill["qty"]), dec(&fill["commission"]));
        assert_eq!(fill["commissionAsset"], "BTC");
        assert_eq!(c, (q * d("0.001")).round_dp(8));
        if i > 0 {
            assert!(p > dec(&fills[i - 1]["price"]));
        }
        qty += q;
        quote += p * q;
        commission += c;
    }
    assert_eq!(qty, d("0.2"));
    assert_eq!(dec(&placed["cummulativeQuoteQty"]), quote);
    assert_eq!(ex.balance("BTC").await, (d("1.2") - commission, Decimal::ZERO));
    assert_eq!(ex.balance("USDT").await, (d("10000") - quote, Decimal::ZERO));

    let id = placed["orderId"].as_u64().unwrap();
    let (status, headers, trades) = ex
        .get("/api/v3/myTrades", &format!("symbol=BTCUSDT&orderId={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-mbx-used-weight-1m"], "45"); // 2 × account 20 + myTrades by orderId 5
    let trades = trades.as_array().unwrap();
    assert_eq!(trades.len(), fills.len());
    assert_eq!(trades[0]["id"], fills[0]["tradeId"]);
    assert_eq!(trades[0]["isBuyer"], true);
    assert_eq!(trades[0]["isMaker"], false);
    assert_eq!(trades[0]["isBestMatch"], true);
    assert_eq!(trades[0]["orderListId"], -1);
    assert_eq!(
        dec(&trades[0]["quoteQty"]),
        dec(&fills[0]["price"]) * dec(&fills[0]["qty"])
    );
}

#[tokio::test]
async fn quote_quantity_market_orders() {
    let ex = Ex::new();
    let step = d("0.00001");
    let (status, _, buy) = ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100").await;
    assert_eq!(status, StatusCode::OK, "{buy}");
    assert_eq!(buy["origQuoteOrderQty"], "100.00000000");
    let spent = dec(&buy["cummulativeQuoteQty"]);
    let qty = dec(&buy["executedQty"]);
    assert_eq!(buy["origQty"], buy["executedQty"]);
    assert!((qty % step).is_zero());
    assert!(
        spent <= d("100") && d("100") - spent < ex.ask("BTCUSDT") * step,
        "{spent}"
    );

    let (status, _, sell) = ex.order("symbol=BTCUSDT&side=SELL&type=MARKET&quoteOrderQty=100").await;
    assert_eq!(status, StatusCode::OK, "{sell}");
    let received = dec(&sell["cummulativeQuoteQty"]);
    assert!(
        (received - d("100")).abs() * d("2") <= ex.bid("BTCUSDT") * step,
        "{received}"
    );
    let commission = dec(&sell["fills"][0]["commission"]);
    assert_eq!(sell["fills"][0]["commissionAsset"], "USDT");
    assert!(commission > Decimal::ZERO);
}

#[tokio::test]
async fn limit_crossing_the_book_fills_as_taker_up_to_its_price() {
    let ex = Ex::new();
    let limit = ex.tick("BTCUSDT", ex.ask("BTCUSDT") + d("0.5"));
    let (status, _, placed) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.05&price={limit}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    assert_eq!(placed["status"], "FILLED");
    let fills = placed["fills"].as_array().unwrap();
    assert!(fills.iter().all(|f| dec(&f["price"]) <= limit));
    let spent = dec(&placed["cummulativeQuoteQty"]);
    assert_eq!(ex.balance("USDT").await, (d("10000") - spent, Decimal::ZERO));
}

#[tokio::test]
async fn ioc_and_fok_expire_what_the_book_cannot_fill() {
    let ex = Ex::new();
    let bid = ex.bid("BTCUSDT");
    let inst = ex.state.market.instrument("BTCUSDT").unwrap();
    let top = ex.state.market.book(inst, T0, 1).bids[0].1;
    assert!(top < d("0.5"));

    let (status, _, fok) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=FOK&quantity=0.5&price={bid}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{fok}");
    assert_eq!(fok["status"], "EXPIRED");
    assert_eq!(fok["executedQty"], "0.00000000");
    assert_eq!(fok["fills"], json!([]));
    assert_eq!(ex.balance("BTC").await, (d("1"), Decimal::ZERO));

    let (_, _, ioc) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=IOC&quantity=0.5&price={bid}&newOrderRespType=RESULT"
        ))
        .await;
    assert_eq!(ioc["status"], "EXPIRED");
    assert_eq!(ioc["expiryReason"], "UNFILLED_IOC_QUANTITY_EXPIRED");
    assert!(ioc.get("fills").is_none());
    assert_eq!(dec(&ioc["executedQty"]), top);
    assert_eq!(ex.balance("BTC").await, (d("1") - top, Decimal::ZERO));
    let (_, _, queried) = ex
        .get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={}", fok["orderId"]))
        .await;
    assert_eq!(queried["expiryReason"], "UNFILLED_FOK_ORDER_EXPIRED");
}

#[tokio::test]
async fn limit_maker_rests_or_is_rejected_when_it_would_take() {
    let ex = Ex::new();
    let ask = ex.ask("BTCUSDT");
    let (status, _, body) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price={ask}"
        ))
        .await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::BAD_REQUEST,
            (-2010, "Order would immediately match and take.")
        )
    );
    let bid = ex.bid("BTCUSDT");
    let (status, _, ack) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.001&price={bid}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_keys(
        &ack,
        &["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"],
    );
    assert_eq!(ack["clientOrderId"].as_str().unwrap().len(), 22);
    let (_, _, queried) = ex
        .get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={}", ack["orderId"]))
        .await;
    assert_eq!(
        (queried["type"].as_str(), queried["status"].as_str()),
        (Some("LIMIT_MAKER"), Some("NEW"))
    );
}

#[tokio::test]
async fn resting_limit_fills_as_maker_when_the_price_moves_through_it() {
    let ex = Ex::new();
    let limit = ex.tick("BTCUSDT", ex.bid("BTCUSDT") - d("5"));
    let (_, _, placed) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={limit}"
        ))
        .await;
    assert_eq!(placed["status"], "NEW");
    let (time, _) = ex.first_trade_when("BTCUSDT", |p| p < limit);
    ex.at(time - 1);
    let (_, _, still) = ex
        .get(
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={}", placed["orderId"]),
        )
        .await;
    assert_eq!(still["status"], "NEW", "no trade below {limit} yet");
    ex.at(time + 1);
    let (_, _, filled) = ex
        .get(
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={}", placed["orderId"]),
        )
        .await;
    assert_eq!(filled["status"], "FILLED");
    assert_eq!(filled["updateTime"], time);
    assert_eq!(filled["cummulativeQuoteQty"], fixed8(limit * d("0.01")));
    let commission = d("0.01") * d("0.001");
    assert_eq!(ex.balance("BTC").await, (d("1.01") - commission, Decimal::ZERO));
    assert_eq!(
        ex.balance("USDT").await,
        (d("10000") - limit * d("0.01"), Decimal::ZERO)
    );
    let (_, _, trades) = ex.get("/api/v3/myTrades", "symbol=BTCUSDT").await;
    assert_eq!(trades[0]["isMaker"], true);
    assert_eq!(trades[0]["time"], time);
}

#[tokio::test]
async fn stop_loss_waits_then_triggers_as_market() {
    let ex = Ex::new();
    let last = ex.last("BTCUSDT");
    let above = ex.tick("BTCUSDT", last + d("1"));
    let (status, _, body) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.01&stopPrice={above}"
        ))
        .await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, (-2010, "Order would trigger immediately."))
    );

    let stop = ex.tick("BTCUSDT", last - d("3"));
    let (status, _, ack) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.01&stopPrice={stop}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(keys(&ack).len(), 5, "STOP_LOSS answers ACK by default");
    let uri = format!("symbol=BTCUSDT&orderId={}", ack["orderId"]);
    let (_, _, waiting) = ex.get("/api/v3/order", &uri).await;
    assert_eq!(waiting["isWorking"], false);
    assert_eq!(waiting["workingTime"], -1);
    assert_eq!(waiting["stopPrice"], fixed8(stop));
    assert_eq!(ex.balance("BTC").await, (d("0.99"), d("0.01")));

    let (time, _) = ex.first_trade_when("BTCUSDT", |p| p <= stop);
    ex.at(time + 500);
    let (_, _, done) = ex.get("/api/v3/order", &uri).await;
    assert_eq!(done["status"], "FILLED", "{done}");
    assert_eq!(done["isWorking"], true);
    assert_eq!(done["workingTime"], time);
    let received = dec(&done["cummulativeQuoteQty"]);
    let commission = (received * d("0.001")).round_dp(8);
    let (_, _, trades) = ex.get("/api/v3/myTrades", "symbol=BTCUSDT").await;
    let charged: Decimal = trades.as_array().unwrap().iter().map(|t| dec(&t["commission"])).sum();
    assert!((charged - commission).abs() <= d("0.00000010"));
    assert_eq!(ex.balance("BTC").await, (d("0.99"), Decimal::ZERO));
    assert_eq!(
        ex.balance("USDT").await,
        (d("10000") + received - charged, Decimal::ZERO)
    );
}

#[tokio::test]
async fn stop_limit_and_take_profit_types() {
    let ex = Ex::new();
    let last = ex.last("BTCUSDT");
    let stop = ex.tick("BTCUSDT", last + d("3"));
    let limit = ex.tick("BTCUSDT", last + d("10"));
    let (status, _, sll) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=0.01&price={limit}&stopPrice={stop}&newOrderRespType=RESULT"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{sll}");
    assert_eq!(sll["workingTime"], -1);
    assert_eq!(sll["stopPrice"], fixed8(stop));
    assert_eq!(ex.balance("USDT").await.1, limit * d("0.01"));

    let tp_stop = ex.tick("BTCUSDT", last + d("2"));
    let (status, _, tp) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT&quantity=0.01&stopPrice={tp_stop}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{tp}");
    let tpl_stop = ex.tick("BTCUSDT", last - d("2"));
    let (status, _, tpl) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT_LIMIT&timeInForce=GTC&quantity=0.01&price={tpl_stop}&stopPrice={tpl_stop}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{tpl}");
    let (_, _, wrong_side) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT&quantity=0.01&stopPrice={tp_stop}"
        ))
        .await;
    assert_eq!(error(&wrong_side), (-2010, "Order would trigger immediately."));

    let (time, _) = ex.first_trade_when("BTCUSDT", |p| p >= stop);
    ex.at(time + 1);
    let (_, _, triggered) = ex
        .get("/api/v3/order", &format!("symbol=BTCUSDT&orderId={}", sll["orderId"]))
        .await;
    assert_eq!(triggered["workingTime"], time);
    assert_ne!(
        triggered["status"], "NEW",
        "a limit above the market fills once triggered: {triggered}"
    );
}

#[tokio::test]
async fn trailing_stop_tracks_then_triggers() {
    let ex = Ex::new();
    let (status, _, ack) = ex
        .order("symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.01&trailingDelta=10&newOrderRespType=RESULT")
        .await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!(ack["trailingDelta"], 10);
    assert_eq!(ack["trailingTime"], -1);
    // 10 BIPS below the highest trade since tracking began: within hours on the seeded market.
    let uri = format!("symbol=BTCUSDT&orderId={}", ack["orderId"]);
    ex.at(T0 + 6 * 3_600_000);
    let (_, _, done) = ex.get("/api/v3/order", &uri).await;
    assert_eq!(done["status"], "FILLED", "{done}");
    assert!(done["trailingTime"].as_i64().unwrap() > T0);
    assert!(done["workingTime"].as_i64().unwrap() >= done["trailingTime"].as_i64().unwrap());
}

#[tokio::test]
async fn insufficient_balance_and_duplicate_client_ids() {
    let ex = Ex::new();
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let (status, _, body) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price={price}"
        ))
        .await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::BAD_REQUEST,
            (-2010, "Account has insufficient balance for requested action.")
        )
    );
    let (_, _, body) = ex.order("symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1.5").await;
    assert_eq!(error(&body).1, "Account has insufficient balance for requested action.");

    let params =
        format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=dup");
    assert_eq!(ex.order(&params).await.0, StatusCode::OK);
    let (status, _, body) = ex.order(&params).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, (-2010, "Duplicate order sent."))
    );
    ex.signed(Method::DELETE, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=dup")
        .await;
    assert_eq!(
        ex.order(&params).await.0,
        StatusCode::OK,
        "reusable once the first is closed"
    );
    assert_eq!(ex.balance("USDT").await.1, price * d("0.01"));
}

#[tokio::test]
async fn filter_failures_name_their_filter() {
    let ex = Ex::new();
    let bid = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let limit = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC";
    let cases = [
        (
            format!("{limit}&quantity=0.01&price={bid}.001"),
            "Filter failure: PRICE_FILTER",
        ),
        (
            format!("{limit}&quantity=0.000011&price={bid}"),
            "Filter failure: LOT_SIZE",
        ),
        (
            format!("{limit}&quantity=0.00001&price={bid}"),
            "Filter failure: NOTIONAL",
        ),
        (
            format!("{limit}&quantity=0.01&price=1000"),
            "Filter failure: PERCENT_PRICE_BY_SIDE",
        ),
        (
            format!("{limit}&quantity=1&price={bid}&icebergQty=0.001"),
            "Filter failure: ICEBERG_PARTS",
        ),
        (
            "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=100".to_owned(),
            "Filter failure: MARKET_LOT_SIZE",
        ),
        (
            "symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.01&trailingDelta=3000".to_owned(),
            "Filter failure: TRAILING_DELTA",
        ),
        (
            format!("{limit}&quantity=0.01&price={bid}&selfTradePreventionMode=NONE"),
            "This symbol does not allow the specified self-trade prevention mode.",
        ),
    ];
    for (params, msg) in cases {
        let (status, headers, body) = ex.order(&params).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, (-1013, msg)),
            "{params}"
        );
        assert!(headers.get("x-mbx-order-count-10s").is_none());
    }
    let (_, _, test) = ex.signed(Method::POST, "/api/v3/order/test", &cases[0].0).await;
    assert_eq!(error(&test), (-1013, "Filter failure: PRICE_FILTER"));
    let (_, _, open) = ex.get("/api/v3/openOrders", "").await;
    assert_eq!(open, json!([]));
}

#[tokio::test]
async fn max_num_algo_orders_and_max_num_orders() {
    let ex = Ex::with(|c| c.orders_per_10s = 1000);
    let stop = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("0.9"));
    let params = format!("symbol=BTCUSDT&side=SELL&type=STOP_LOSS&quantity=0.001&stopPrice={stop}");
    for _ in 0..5 {
        assert_eq!(ex.order(&params).await.0, StatusCode::OK);
    }
    let (_, _, body) = ex.order(&params).await;
    assert_eq!(error(&body), (-1013, "Filter failure: MAX_NUM_ALGO_ORDERS"));
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let limit = format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0001&price={price}");
    for _ in 0..195 {
        let (status, _, body) = ex.order(&limit).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, _, body) = ex.order(&limit).await;
    assert_eq!(error(&body), (-1013, "Filter failure: MAX_NUM_ORDERS"));
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 200);
    let (status, _, all) = ex.signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::OK);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 200);
    assert!(
        all.iter()
            .all(|o| o["status"] == "CANCELED" && o["clientOrderId"] == all[0]["clientOrderId"])
    );
    assert_eq!(ex.balance("USDT").await, (d("10000"), Decimal::ZERO));
    assert_eq!(ex.balance("BTC").await, (d("1"), Decimal::ZERO));
}

#[tokio::test]
async fn parameter_errors_come_before_filters() {
    let ex = Ex::new();
    let cases: [(&str, i64, &str); 5] = [
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&timeInForce=GTC",
            -1106,
            "Parameter 'timeInForce' sent when not required.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&price=1",
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01&price=1",
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&foo=1",
            -1104,
            "Not all sent parameters were read; read '5' parameter(s) but was sent '6'.",
        ),
        (
            "symbol=BTCUSDT&side=HOLD&type=MARKET&quantity=0.01",
            -1117,
            "Invalid side.",
        ),
    ];
    for (params, code, msg) in cases {
        let (status, headers, body) = ex.order(params).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, (code, msg)),
            "{params}"
        );
        assert_eq!(headers["x-mbx-used-weight-1m"], "1", "a failed order costs 1");
        ex.at(ex.now() + 60_000); // next weight window
    }
}

#[tokio::test]
async fn test_order_validates_without_acting() {
    let ex = Ex::new();
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let params = format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price={price}");
    let (status, headers, body) = ex.signed(Method::POST, "/api/v3/order/test", &params).await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({})), "no balance needed");
    assert_eq!(headers["x-mbx-used-weight-1m"], "1");
    let (status, headers, body) = ex
        .signed(
            Method::POST,
            "/api/v3/order/test",
            &format!("{params}&computeCommissionRates=true"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-mbx-used-weight-1m"], "21");
    assert_eq!(
        body,
        json!({
            "standardCommissionForOrder": {"maker": "0.00100000", "taker": "0.00100000"},
            "specialCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
            "taxCommissionForOrder": {"maker": "0.00000000", "taker": "0.00000000"},
            "discount": {"enabledForAccount": false, "enabledForSymbol": true, "discountAsset": "BNB", "discount": "0.25000000"}
        })
    );
    let (_, _, body) = ex
        .signed(
            Method::POST,
            "/api/v3/order/test",
            "symbol=BTCUSDT&side=BUY&type=MARKET",
        )
        .await;
    assert_eq!(error(&body).0, -1102);
    assert_eq!(ex.get("/api/v3/openOrders", "").await.2, json!([]));
    assert_eq!(ex.balance("USDT").await, (d("10000"), Decimal::ZERO));
    let (_, _, limits) = ex.get("/api/v3/rateLimit/order", "").await;
    assert_eq!(limits[0]["count"], 0);

    let (_, _, commission) = ex.get("/api/v3/account/commission", "symbol=BTCUSDT").await;
    assert_eq!(commission["symbol"], "BTCUSDT");
    assert_eq!(commission["standardCommission"]["taker"], "0.00100000");
    assert_eq!(commission["standardCommission"]["seller"], "0.00000000");
    assert_eq!(commission["taxCommission"]["maker"], "0.00000000");
}

#[tokio::test]
async fn unfilled_order_count_headers_limit_and_decrement() {
    let ex = Ex::with(|c| c.orders_per_10s = 2);
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let limit = format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price={price}");
    let (_, first, _) = ex.order(&limit).await;
    assert_eq!(
        (&first["x-mbx-order-count-10s"], &first["x-mbx-order-count-1d"]),
        (&"1".parse().unwrap(), &"1".parse().unwrap())
    );
    let (_, second, _) = ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001").await;
    assert_eq!(second["x-mbx-order-count-10s"], "2");
    let (_, _, limits) = ex.get("/api/v3/rateLimit/order", "").await;
    assert_eq!(
        limits,
        json!([
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 2, "count": 1},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000, "count": 1}
        ]),
        "the filled MARKET order no longer counts"
    );
    assert_eq!(ex.order(&limit).await.0, StatusCode::OK);
    let (status, headers, body) = ex.order(&limit).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        error(&body),
        (-1015, "Too many new orders; current limit is 2 orders per 10 SECOND.")
    );
    assert_eq!(headers["retry-after"], "10");
    ex.at(T0 + 10_000);
    assert_eq!(ex.order(&limit).await.0, StatusCode::OK);
    let (_, _, info) = send(&ex.app, Method::GET, "/api/v3/exchangeInfo?symbol=BTCUSDT", &[], None).await;
    assert_eq!(info["rateLimits"][1]["limit"], 2);
}

#[tokio::test]
async fn all_orders_and_my_trades_paging_and_combinations() {
    let ex = Ex::new();
    for _ in 0..3 {
        ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001").await;
        ex.at(ex.now() + 1000);
    }
    let (_, _, all) = ex.get("/api/v3/allOrders", "symbol=BTCUSDT").await;
    let ids: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let (_, _, newest) = ex.get("/api/v3/allOrders", "symbol=BTCUSDT&limit=1").await;
    assert_eq!(newest[0]["orderId"], ids[2]);
    let (_, _, from) = ex
        .get(
            "/api/v3/allOrders",
            &format!("symbol=BTCUSDT&orderId={}&limit=1", ids[1]),
        )
        .await;
    assert_eq!(from[0]["orderId"], ids[1]);
    let (_, _, window) = ex
        .get(
            "/api/v3/allOrders",
            &format!("symbol=BTCUSDT&startTime={}&endTime={}", T0 + 1000, T0 + 1000),
        )
        .await;
    assert_eq!(window.as_array().unwrap().len(), 1);
    let (_, _, body) = ex
        .get(
            "/api/v3/allOrders",
            &format!("symbol=BTCUSDT&startTime={T0}&endTime={}", T0 + 86_400_001),
        )
        .await;
    assert_eq!(
        error(&body),
        (-1127, "More than 24 hours between startTime and endTime.")
    );

    let (_, _, trades) = ex.get("/api/v3/myTrades", "symbol=BTCUSDT").await;
    let trades = trades.as_array().unwrap();
    assert!(trades.len() >= 3);
    let first_id = trades[1]["id"].as_u64().unwrap();
    let (_, _, from) = ex
        .get("/api/v3/myTrades", &format!("symbol=BTCUSDT&fromId={first_id}&limit=1"))
        .await;
    assert_eq!(from[0]["id"], first_id);
    let (_, _, body) = ex
        .get("/api/v3/myTrades", &format!("symbol=BTCUSDT&orderId=1&startTime={T0}"))
        .await;
    assert_eq!(error(&body), (-1128, "Combination of optional parameters invalid."));
    let (_, _, none) = ex.get("/api/v3/myTrades", "symbol=ETHUSDT").await;
    assert_eq!(none, json!([]));
}
