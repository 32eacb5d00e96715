//! Placement and matching through the router: every order type's happy path, rejections
//! (filters, balance, duplicates, LIMIT_MAKER), IOC/FOK, exact balance moves.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;

use super::support::decimals::fixed8;
use super::support::trading::*;

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
    let (status, _, placed) = ex.order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.05").await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    assert_keys(&placed, &PLACED_FULL_KEYS);
    assert_eq!(placed["status"], "FILLED");
    assert_eq!(placed["price"], "0.00000000");
    assert_eq!(placed["timeInForce"], "GTC");
    assert_eq!(placed["executedQty"], "0.05000000");
    let fills = placed["fills"].as_array().unwrap();
    assert!(fills.len() > 1, "0.05 BTC takes several levels: {placed}");
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
    assert_eq!(qty, d("0.05"));
    assert_eq!(dec(&placed["cummulativeQuoteQty"]), quote);
    assert_eq!(ex.balance("BTC").await, (d("1.05") - commission, Decimal::ZERO));
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
    let top = ex.state.market().book("BTCUSDT", T0, 1).unwrap().bids[0].1;
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
    assert_eq!(queried["icebergQty"], "0.00000000");

    let iceberg = format!(
        "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.01&price={}&icebergQty=0.002&newOrderRespType=RESULT",
        ex.ask("BTCUSDT")
    );
    let (status, _, result) = ex.order(&iceberg).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["icebergQty"], "0.00200000");
    assert_eq!(result["timeInForce"], "GTC");
    assert_eq!(ex.balance("BTC").await, (d("0.99"), d("0.01")));
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
            format!("{limit}&quantity=0.01&price={}", bid + d("0.001")),
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
    for (params, msg) in &cases {
        let (status, headers, body) = ex.order(params).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, (-1013, *msg)),
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
            "Not all sent parameters were read; read '6' parameter(s) but was sent '7'.",
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
async fn a_test_order_does_not_count_open_orders_that_have_filled_since() {
    let ex = Ex::with(|c| c.orders_per_10s = 1000);
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.999"));
    let limit = format!("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.0001&price={price}");
    for _ in 0..200 {
        let (status, _, body) = ex.order(&limit).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, _, full) = ex.signed(Method::POST, "/api/v3/order/test", &limit).await;
    assert_eq!(error(&full), (-1013, "Filter failure: MAX_NUM_ORDERS"));
    // The market trades through the price: every one of the 200 has filled by then.
    let (time, _) = ex.first_trade_when("BTCUSDT", |p| p < price);
    ex.at(time + 1);
    let (status, _, test) = ex.signed(Method::POST, "/api/v3/order/test", &limit).await;
    assert_eq!((status, test), (StatusCode::OK, json!({})));
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open, json!([]));
}
