//! The 2026 price-side rules through the router: `referencePrice` and its calculation (-2043
//! for a symbol that never had one), `executionRules`, `myFilters` with the testnet's MAX_ASSET,
//! filters that use the reference price, MAX_ASSET refusals, and takers the Price Range
//! Execution Rule expires. Expected values come from the documented shapes and from other
//! endpoints' answers (the book, the reference price), never from the engine's code.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::testkit::send;
use super::support::trading::*;

const RULE_EXPIRY: &str = "EXECUTION_RULE_PRICE_RANGE_EXCEEDED";

async fn public(ex: &Ex, uri: &str) -> Answer {
    send(&ex.app, Method::GET, uri, &[], None).await
}

async fn set_reference(ex: &Ex, body: Value) -> Answer {
    let json = [("content-type", "application/json")];
    send(
        &ex.app,
        Method::POST,
        "/emulator/reference_price",
        &json,
        Some(&body.to_string()),
    )
    .await
}

async fn reference(ex: &Ex, symbol: &str) -> Decimal {
    let (status, _, body) = public(ex, &format!("/api/v3/referencePrice?symbol={symbol}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    dec(&body["referencePrice"])
}

#[tokio::test]
async fn reference_price_answers_in_the_documented_shapes() {
    let ex = Ex::new();
    let (status, headers, set) = public(&ex, "/api/v3/referencePrice?symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-mbx-used-weight-1m"], "2");
    assert_keys(&set, &["symbol", "referencePrice", "timestamp"]);
    assert_eq!((&set["symbol"], &set["timestamp"]), (&json!("BTCUSDT"), &json!(T0)));
    // The engine's 10-second mean of the trades sits near the market.
    let mean = dec(&set["referencePrice"]);
    assert!(
        (mean - ex.last("BTCUSDT")).abs() < ex.last("BTCUSDT") * d("0.001"),
        "{mean}"
    );

    let (_, _, null) = public(&ex, "/api/v3/referencePrice?symbol=BNBUSDT").await;
    assert_eq!(
        null,
        json!({"symbol": "BNBUSDT", "referencePrice": null, "timestamp": T0})
    );
    let (status, _, never) = public(&ex, "/api/v3/referencePrice?symbol=ETHBTC").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        never,
        json!({"code": -2043, "msg": "This symbol doesn't have a reference price."})
    );
    let (_, _, unknown) = public(&ex, "/api/v3/referencePrice?symbol=NOPE").await;
    assert_eq!(error(&unknown), (-1121, "Invalid symbol."));

    let calc = |s: &str| format!("/api/v3/referencePrice/calculation?symbol={s}");
    let (_, headers, mean) = public(&ex, &calc("BTCUSDT")).await;
    assert_eq!(headers["x-mbx-used-weight-1m"], "10");
    assert_eq!(
        mean,
        json!({"symbol": "BTCUSDT", "calculationType": "ARITHMETIC_MEAN", "bucketCount": 10, "bucketWidthMs": 1000})
    );
    let (_, _, external) = public(&ex, &calc("ETHUSDT")).await;
    assert_eq!(
        external,
        json!({"symbol": "ETHUSDT", "calculationType": "EXTERNAL", "externalCalculationId": 3})
    );
    for symbol in ["BNBUSDT", "XRPUSDT"] {
        let (_, _, body) = public(&ex, &calc(symbol)).await;
        assert_eq!(error(&body).0, -2043, "{symbol}");
    }
    let (_, _, status_mismatch) = public(&ex, &format!("{}&symbolStatus=HALT", calc("BTCUSDT"))).await;
    assert_eq!(error(&status_mismatch).0, -1220);
}

#[tokio::test]
async fn an_operator_sets_clears_and_nulls_a_reference_price() {
    let ex = Ex::new();
    let (status, _, set) = set_reference(&ex, json!({"symbol": "ETHBTC", "referencePrice": "0.05"})).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(set["referencePrice"], "0.05");
    let (_, _, calc) = public(&ex, "/api/v3/referencePrice/calculation?symbol=ETHBTC").await;
    assert_eq!(calc["externalCalculationId"], 0);
    set_reference(&ex, json!({"symbol": "ETHBTC", "referencePrice": null})).await;
    let (_, _, null) = public(&ex, "/api/v3/referencePrice?symbol=ETHBTC").await;
    assert_eq!(null["referencePrice"], Value::Null);
    let (_, _, cleared) = set_reference(&ex, json!({"symbol": "ETHBTC", "clear": true})).await;
    assert_eq!(error(&cleared).0, -2043);
    let (status, _, _) = set_reference(&ex, json!({"symbol": "ETHBTC", "referencePrice": "-1"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn execution_rules_list_the_price_range_of_each_symbol() {
    let ex = Ex::new();
    let (status, headers, one) = public(&ex, "/api/v3/executionRules?symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-mbx-used-weight-1m"], "2");
    let rule = json!({"ruleType": "PRICE_RANGE", "bidLimitMultUp": "1.0500", "bidLimitMultDown": "0.9500",
        "askLimitMultUp": "1.0500", "askLimitMultDown": "0.9500"});
    assert_eq!(one, json!({"symbolRules": [{"symbol": "BTCUSDT", "rules": [rule]}]}));
    let (_, headers, two) = public(
        &ex,
        "/api/v3/executionRules?symbols=%5B%22ETHBTC%22,%22BROCCOLI714USDC%22%5D",
    )
    .await;
    assert_eq!(headers["x-mbx-used-weight-1m"], "6");
    assert_eq!(two["symbolRules"][0], json!({"symbol": "ETHBTC", "rules": []}));
    assert_eq!(two["symbolRules"][1]["rules"][0]["ruleType"], "PRICE_RANGE");
    let (_, headers, all) = public(&ex, "/api/v3/executionRules").await;
    assert_eq!(headers["x-mbx-used-weight-1m"], "46");
    let with_rules: Vec<&Value> = all["symbolRules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["rules"].as_array().unwrap().is_empty())
        .map(|s| &s["symbol"])
        .collect();
    assert_eq!(with_rules, [&json!("BTCUSDT"), &json!("BROCCOLI714USDC")]);
    let (_, _, combo) = public(&ex, "/api/v3/executionRules?symbol=BTCUSDT&symbolStatus=TRADING").await;
    assert_eq!(error(&combo).0, -1128);
}

#[tokio::test]
async fn my_filters_show_the_testnet_max_asset_and_orders_obey_it() {
    let ex = Ex::new();
    let (status, headers, jpy) = ex.get("/api/v3/myFilters", "symbol=BTCJPY").await;
    assert_eq!(status, StatusCode::OK, "{jpy}");
    assert_eq!(headers["x-mbx-used-weight-1m"], "40");
    assert_keys(&jpy, &["exchangeFilters", "symbolFilters", "assetFilters"]);
    assert_eq!(
        jpy["assetFilters"],
        json!([{"filterType": "MAX_ASSET", "asset": "JPY", "limit": "1000000.00000000"}])
    );
    assert!(
        jpy["symbolFilters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["filterType"] == "MAX_NUM_ORDER_LISTS")
    );
    let (_, _, usdt) = ex.get("/api/v3/myFilters", "symbol=BTCUSDT").await;
    assert_eq!(usdt["assetFilters"], json!([]));
    let (status, _, unsigned) = public(&ex, "/api/v3/myFilters?symbol=BTCJPY").await;
    assert_ne!(status, StatusCode::OK, "{unsigned}");

    // 0.1 BTC at about 14,000,000 JPY is about 1,400,000 JPY: above the limit, test and order alike.
    let price = ex.tick("BTCJPY", ex.bid("BTCJPY") * d("1.01"));
    let big = format!("symbol=BTCJPY&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.1&price={price}");
    for path in ["/api/v3/order/test", "/api/v3/order"] {
        let (status, _, body) = ex.signed(Method::POST, path, &big).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error(&body), (-1013, "Filter failure: MAX_ASSET"), "{path}");
    }
    let small = big.replace("quantity=0.1", "quantity=0.05");
    let (status, _, body) = ex.signed(Method::POST, "/api/v3/order/test", &small).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn percent_price_uses_the_reference_price_when_the_symbol_has_one() {
    let ex = Ex::new();
    // PERCENT_PRICE_BY_SIDE lets a BUY go down to 0.2 × the filter price. Set ETHUSDT's
    // reference price well above the market: a price that passes on the average fails on it.
    let (_, _, avg) = public(&ex, "/api/v3/avgPrice?symbol=ETHUSDT").await;
    let average = dec(&avg["price"]);
    let reference_price = ex.tick("ETHUSDT", average * d("1.5"));
    set_reference(
        &ex,
        json!({"symbol": "ETHUSDT", "referencePrice": reference_price.to_string()}),
    )
    .await;
    let price = ex.tick("ETHUSDT", average * d("0.25"));
    assert!(price >= average * d("0.2") && price < reference_price * d("0.2"));
    let order = format!("symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}");
    for path in ["/api/v3/order/test", "/api/v3/order"] {
        let (_, _, body) = ex.signed(Method::POST, path, &order).await;
        assert_eq!(error(&body), (-1013, "Filter failure: PERCENT_PRICE_BY_SIDE"), "{path}");
    }
    // Null again: the filters fall back to the average, and the same order passes.
    set_reference(&ex, json!({"symbol": "ETHUSDT", "referencePrice": null})).await;
    let (status, _, body) = ex.signed(Method::POST, "/api/v3/order/test", &order).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The asks a BUY taker would take now, best first, from `GET /api/v3/depth`.
async fn asks(ex: &Ex, symbol: &str) -> Vec<(Decimal, Decimal)> {
    let (_, _, book) = public(ex, &format!("/api/v3/depth?symbol={symbol}&limit=100")).await;
    book["asks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (dec(&l[0]), dec(&l[1])))
        .collect()
}

#[tokio::test]
async fn a_market_order_into_a_thin_book_expires_at_the_edge_of_the_price_range() {
    let ex = Ex::new();
    let high = reference(&ex, "BROCCOLI714USDC").await * d("1.05");
    let asks = asks(&ex, "BROCCOLI714USDC").await;
    assert!(
        asks.len() <= 20 && asks.iter().any(|(p, _)| *p > high),
        "a thin book: {asks:?}"
    );
    let within: Decimal = asks.iter().filter(|(p, _)| *p <= high).map(|(_, q)| *q).sum();
    assert!(within < d("3000"));

    let (status, _, placed) = ex
        .order("symbol=BROCCOLI714USDC&side=BUY&type=MARKET&quantity=3000&newClientOrderId=thin-1")
        .await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    assert_eq!(placed["status"], "EXPIRED");
    assert_eq!(placed["expiryReason"], RULE_EXPIRY);
    assert_eq!(dec(&placed["executedQty"]), within);
    let fills = placed["fills"].as_array().unwrap();
    assert!(fills.iter().all(|f| dec(&f["price"]) <= high), "{fills:?}");
    let (_, _, queried) = ex
        .get("/api/v3/order", "symbol=BROCCOLI714USDC&origClientOrderId=thin-1")
        .await;
    assert_eq!(
        (&queried["status"], &queried["expiryReason"]),
        (&json!("EXPIRED"), &json!(RULE_EXPIRY))
    );

    // A small order stays inside the range and fills.
    assert!(within >= d("100"));
    let (_, _, small) = ex
        .order("symbol=BROCCOLI714USDC&side=BUY&type=MARKET&quantity=100")
        .await;
    assert_eq!(small["status"], "FILLED", "{small}");
    assert!(small.get("expiryReason").is_none());
    // Without a reference price the rule is not enforced: the book runs out instead.
    set_reference(&ex, json!({"symbol": "BROCCOLI714USDC", "referencePrice": null})).await;
    let (_, _, unbounded) = ex
        .order("symbol=BROCCOLI714USDC&side=BUY&type=MARKET&quantity=30000")
        .await;
    assert_eq!(unbounded["expiryReason"], "INSUFFICIENT_LIQUIDITY", "{unbounded}");
}

#[tokio::test]
async fn a_crossing_limit_order_expires_instead_of_resting_past_the_range() {
    let ex = Ex::new();
    let high = reference(&ex, "BROCCOLI714USDC").await * d("1.05");
    let asks = asks(&ex, "BROCCOLI714USDC").await;
    let within: Decimal = asks.iter().filter(|(p, _)| *p <= high).map(|(_, q)| *q).sum();
    // Its limit reaches beyond the range: it takes what lies inside, then expires.
    let limit = ex.tick("BROCCOLI714USDC", high * d("1.1"));
    let (_, _, placed) = ex
        .order(&format!(
            "symbol=BROCCOLI714USDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=3000&price={limit}"
        ))
        .await;
    assert_eq!(
        (&placed["status"], &placed["expiryReason"]),
        (&json!("EXPIRED"), &json!(RULE_EXPIRY))
    );
    assert_eq!(dec(&placed["executedQty"]), within);
    // Nothing stays locked: only what filled was paid.
    let (free, locked) = ex.balance("USDC").await;
    assert_eq!(locked, Decimal::ZERO);
    assert_eq!(free, d("10000") - dec(&placed["cummulativeQuoteQty"]));
}
