//! Order life after placement through the router: resting fills, stop triggers, trailing stops,
//! test orders, unfilled order counts, history queries, and the test hooks.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;

use super::support::decimals::fixed8;
use super::support::testkit::send;
use super::support::trading::*;

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
    ex.at(T0 + 1);
    let (_, _, still) = ex
        .get(
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={}", placed["orderId"]),
        )
        .await;
    assert_eq!(still["status"], "NEW", "the market has not reached {limit} yet");
    ex.at(time + 1);
    let (_, _, filled) = ex
        .get(
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={}", placed["orderId"]),
        )
        .await;
    assert_eq!(filled["status"], "FILLED");
    // The best ask may reach the limit before a trade prints below it: filled by then at the latest.
    let fill_time = filled["updateTime"].as_i64().unwrap();
    assert!(fill_time > T0 && fill_time <= time, "{fill_time}");
    assert_eq!(filled["cummulativeQuoteQty"], fixed8(limit * d("0.01")));
    let commission = d("0.01") * d("0.001");
    assert_eq!(ex.balance("BTC").await, (d("1.01") - commission, Decimal::ZERO));
    assert_eq!(
        ex.balance("USDT").await,
        (d("10000") - limit * d("0.01"), Decimal::ZERO)
    );
    let (_, _, trades) = ex.get("/api/v3/myTrades", "symbol=BTCUSDT").await;
    assert_eq!(trades[0]["isMaker"], true);
    assert_eq!(trades[0]["time"], fill_time);
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

#[tokio::test]
async fn execute_then_503_places_the_order_exactly_once() {
    let ex = Ex::new();
    let (status, _, faults) = send(
        &ex.app,
        Method::POST,
        "/emulator/faults",
        &[("content-type", "application/json")],
        Some(r#"{"execute_then_503": 1}"#),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(faults["execute_then_503"], 1);
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let params = format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}&newClientOrderId=unknown-1"
    );
    let (status, headers, body) = ex.order(&params).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.is_string(), "not JSON: {body}");
    assert!(headers.get("x-mbx-order-count-10s").is_none());
    let (status, _, found) = ex
        .get("/api/v3/order", "symbol=BTCUSDT&origClientOrderId=unknown-1")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["status"], "NEW");
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(ex.balance("USDT").await.1, price * d("0.01"));
    // The credit is used up: the next order answers normally (and is a duplicate here).
    let (status, _, body) = ex.order(&params).await;
    assert_eq!(
        (status, error(&body)),
        (StatusCode::BAD_REQUEST, (-2010, "Duplicate order sent."))
    );
}

#[tokio::test]
async fn request_log_records_everything_with_signatures_redacted() {
    let ex = Ex::new();
    ex.get("/api/v3/account", "omitZeroBalances=true").await;
    ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001").await;
    send(&ex.app, Method::GET, "/api/v3/nope", &[], None).await;
    let (status, _, log) = send(&ex.app, Method::GET, "/emulator/requests", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3, "hook calls are not logged: {log:?}");
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["path"], "/api/v3/account");
    assert_eq!(
        log[0]["query"],
        format!("omitZeroBalances=true&timestamp={T0}&signature=…")
    );
    assert_eq!(log[0]["body"], "");
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["time"], T0);
    assert_eq!(log[1]["method"], "POST");
    assert_eq!(
        log[1]["body"],
        format!("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp={T0}&signature=…")
    );
    assert_eq!(log[2]["status"], 404);
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(SECRET) && text.matches("signature=").count() == 2);

    let (status, _, _) = send(&ex.app, Method::DELETE, "/emulator/requests", &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, log) = send(&ex.app, Method::GET, "/emulator/requests", &[], None).await;
    assert_eq!(log, json!([]));
}

#[tokio::test]
async fn reject_all_answers_without_acting_and_latency_delays() {
    let ex = Ex::new();
    let json_header = [("content-type", "application/json")];
    let set = |body: &'static str| send(&ex.app, Method::POST, "/emulator/faults", &json_header, Some(body));
    assert_eq!(set(r#"{"reject_all": {"status": 503}}"#).await.0, StatusCode::OK);
    let (status, _, body) = ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.is_string());
    assert_eq!(set(r#"{"reject_all": {"status": 429}}"#).await.0, StatusCode::OK);
    let (status, headers, body) = send(&ex.app, Method::GET, "/api/v3/ping", &[], None).await;
    assert_eq!((status, error(&body).0), (StatusCode::TOO_MANY_REQUESTS, -1003));
    assert_eq!(headers["retry-after"], "60");
    assert_eq!(
        set(r#"{"reject_all": {"status": 200}}"#).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(set(r#"{"unknown": 1}"#).await.0, StatusCode::BAD_REQUEST);

    let (status, _, _) = send(&ex.app, Method::DELETE, "/emulator/faults", &[], None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ex.balance("BTC").await, (d("1"), Decimal::ZERO), "nothing executed");
    let (_, _, open) = ex.get("/api/v3/allOrders", "symbol=BTCUSDT").await;
    assert_eq!(open, json!([]));

    assert_eq!(set(r#"{"latency_ms": 60}"#).await.0, StatusCode::OK);
    let started = std::time::Instant::now();
    let (status, _, _) = send(&ex.app, Method::GET, "/api/v3/ping", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
    let (_, _, faults) = send(&ex.app, Method::GET, "/emulator/faults", &[], None).await;
    assert_eq!(
        faults,
        json!({"execute_then_503": 0, "latency_ms": 60, "reject_all": null, "status_once": null, "drop_connections": 0, "clock_skew_ms": 0, "ws_down_ms": 0})
    );
}
