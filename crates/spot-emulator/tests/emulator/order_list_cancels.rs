//! Order lists through the router, after placement: cancels by list, by leg and all, the list
//! queries and their paging, order-count room for every leg, and the `/emulator/fill` hook's
//! refusals.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::trading::*;

#[tokio::test]
async fn cancel_by_list_by_leg_and_all() {
    let ex = Ex::new();
    let (params, _, _) = sell_bracket(&ex, "");
    let (_, _, first) = ex.signed(Method::POST, OCO_PATH, &params).await;
    let cancel = format!(
        "symbol=BTCUSDT&orderListId={}&newClientOrderId=cancel-1",
        first["orderListId"]
    );
    let (status, headers, canceled) = ex.signed(Method::DELETE, "/api/v3/orderList", &cancel).await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_eq!(headers["x-mbx-used-weight-1m"], "0");
    assert_eq!(
        (&canceled["listStatusType"], &canceled["listOrderStatus"]),
        (&json!("ALL_DONE"), &json!("ALL_DONE"))
    );
    for (i, report) in canceled["orderReports"].as_array().unwrap().iter().enumerate() {
        let mut keys = CANCEL_KEYS.to_vec();
        if i == 0 {
            keys.push("stopPrice");
        }
        assert_keys(report, &keys);
        assert_eq!(report["status"], "CANCELED");
        assert_eq!(report["clientOrderId"], "cancel-1");
        assert_eq!(report["origClientOrderId"], first["orders"][i]["clientOrderId"]);
    }
    assert_eq!(ex.balance("BTC").await, (d("1"), Decimal::ZERO));
    let (_, _, body) = ex.signed(Method::DELETE, "/api/v3/orderList", &cancel).await;
    assert_eq!(error(&body), (-2011, "Unknown order sent."));
    let (_, _, body) = ex.signed(Method::DELETE, "/api/v3/orderList", "symbol=BTCUSDT").await;
    assert_eq!(
        error(&body),
        (
            -1102,
            "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!"
        )
    );

    let (_, _, second) = ex.signed(Method::POST, OCO_PATH, &params).await;
    let leg = &second["orders"][1]["orderId"];
    let (status, _, by_leg) = ex
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={leg}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{by_leg}");
    assert_eq!(by_leg["orderListId"], second["orderListId"], "the whole list answers");
    assert_eq!(by_leg["orderReports"].as_array().unwrap().len(), 2);

    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    ex.order(&format!(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price={price}"
    ))
    .await;
    let (_, _, third) = ex.signed(Method::POST, OCO_PATH, &params).await;
    let (oto_params, _, _) = oto(&ex, "");
    let (_, _, fourth) = ex.signed(Method::POST, OTO_PATH, &oto_params).await;
    let (status, _, rows) = ex.signed(Method::DELETE, "/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (&rows[0]["orderListId"], &rows[0]["status"]),
        (&json!(-1), &json!("CANCELED"))
    );
    assert_eq!(rows[1]["orderListId"], third["orderListId"]);
    assert_eq!(rows[2]["orderListId"], fourth["orderListId"]);
    assert_eq!(rows[2]["orderReports"][1]["status"], "CANCELED", "pending legs too");
    assert_eq!(ex.balance("USDT").await, (d("10000"), Decimal::ZERO));
    assert_eq!(ex.balance("BTC").await, (d("1"), Decimal::ZERO));
}

#[tokio::test]
async fn list_queries_page_and_reject_bad_combinations() {
    let ex = Ex::new();
    let (params, _, _) = sell_bracket(&ex, "");
    let mut list_ids = Vec::new();
    for n in 0..3 {
        ex.at(T0 + n * 1_000);
        let (_, _, list) = ex
            .signed(Method::POST, OCO_PATH, &format!("{params}&listClientOrderId=q-{n}"))
            .await;
        list_ids.push(list["orderListId"].as_u64().unwrap());
    }
    let listed = |body: &Value| -> Vec<u64> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|l| l["orderListId"].as_u64().unwrap())
            .collect()
    };
    let (_, headers, all) = ex.get("/api/v3/allOrderList", "").await;
    assert_eq!(headers["x-mbx-used-weight-1m"], "20");
    assert_eq!(listed(&all), list_ids, "oldest first");
    assert_keys(&all[0], &LIST_KEYS);
    assert_eq!(
        listed(&ex.get("/api/v3/allOrderList", "limit=1").await.2),
        [list_ids[2]]
    );
    let from = format!("fromId={}", list_ids[1]);
    assert_eq!(listed(&ex.get("/api/v3/allOrderList", &from).await.2), &list_ids[1..]);
    let window = format!("startTime={}&endTime={}", T0 + 1_000, T0 + 1_000);
    assert_eq!(listed(&ex.get("/api/v3/allOrderList", &window).await.2), [list_ids[1]]);
    let (_, _, body) = ex.get("/api/v3/allOrderList", &format!("{from}&startTime={T0}")).await;
    assert_eq!(error(&body), (-1128, "Combination of optional parameters invalid."));
    let (_, _, body) = ex
        .get(
            "/api/v3/allOrderList",
            &format!("startTime={T0}&endTime={}", T0 + 86_400_001),
        )
        .await;
    assert_eq!(error(&body).0, -1127);

    let (status, _, by_client) = ex.get("/api/v3/orderList", "origClientOrderId=q-2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_client["orderListId"], list_ids[2]);
    let (_, _, body) = ex.get("/api/v3/orderList", "orderListId=999").await;
    assert_eq!(error(&body), (-2013, "Order does not exist."));
    let (_, _, body) = ex
        .get(
            "/api/v3/orderList",
            &format!("orderListId={}&origClientOrderId=q-0", list_ids[1]),
        )
        .await;
    assert_eq!(error(&body).0, -2039);
    let (_, _, body) = ex.get("/api/v3/orderList", "").await;
    assert_eq!(error(&body).0, -1102);
    assert_eq!(listed(&ex.get("/api/v3/openOrderList", "").await.2), list_ids);
}

#[tokio::test]
async fn a_list_needs_order_count_room_for_every_leg() {
    let ex = Ex::with(|c| c.orders_per_10s = 4);
    let (params, _, _) = sell_bracket(&ex, "");
    let (status, _, _) = ex.signed(Method::POST, OCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = ex.signed(Method::POST, OTOCO_PATH, "symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "parameters are checked first: {body}");
    let (oto_params, _, _) = oto(&ex, "");
    assert_eq!(ex.signed(Method::POST, OTO_PATH, &oto_params).await.0, StatusCode::OK);
    let (status, headers, body) = ex.signed(Method::POST, OCO_PATH, &params).await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::TOO_MANY_REQUESTS,
            (-1015, "Too many new orders; current limit is 4 orders per 10 SECOND.")
        )
    );
    assert!(headers.contains_key("retry-after"));
}

#[tokio::test]
async fn fill_hook_refusals() {
    let ex = Ex::new();
    let (status, _, body) = ex.fill_hook(r#"{"orderId": 424242}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no order 424242 on any account");
    assert_eq!(ex.fill_hook(r#"{"order": 1}"#).await.0, StatusCode::BAD_REQUEST);
    let price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.9"));
    let (_, _, placed) = ex
        .order(&format!(
            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price={price}"
        ))
        .await;
    let id = &placed["orderId"];
    let (status, _, body) = ex
        .fill_hook(&format!(r#"{{"orderId": {id}, "quantity": "0.000001"}}"#))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("LOT_SIZE"), "{body}");
    let (status, _, body) = ex.fill_hook(&format!(r#"{{"orderId": {id}, "quantity": "1"}}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, filled) = ex.fill_hook(&format!(r#"{{"orderId": {id}}}"#)).await;
    assert_eq!((status, &filled["status"]), (StatusCode::OK, &json!("FILLED")));
    assert_eq!(
        ex.balance("USDT").await,
        (d("10000") - price * d("0.01"), Decimal::ZERO)
    );
    let (status, _, body) = ex.fill_hook(&format!(r#"{{"orderId": {id}}}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], format!("order {id} is FILLED, not open"));
}
