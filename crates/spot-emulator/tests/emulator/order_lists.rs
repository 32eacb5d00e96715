//! Order lists through the router: OCO/OTO/OTOCO placement, shapes, locks and order counts,
//! and the contingency rules (one OCO leg executing expires the other; a filled working leg
//! puts its pending legs on the book), driven by the market and by `/emulator/fill`.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::decimals::fixed8;
use super::support::trading::*;

#[tokio::test]
async fn sell_oco_bracket_locks_once_and_a_filled_take_profit_expires_the_stop() {
    let ex = Ex::new();
    let (params, take, stop) = sell_bracket(
        &ex,
        "&listClientOrderId=bracket-1&aboveClientOrderId=tp-1&belowClientOrderId=sl-1&newOrderRespType=RESULT",
    );
    let (status, headers, list) = ex.signed(Method::POST, OCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(headers["x-mbx-used-weight-1m"], "0");
    assert_eq!(headers["x-mbx-order-count-10s"], "2", "an OCO counts 2 orders");
    let mut keys = LIST_KEYS.to_vec();
    keys.push("orderReports");
    assert_keys(&list, &keys);
    assert_eq!(list["contingencyType"], "OCO");
    assert_eq!(list["listStatusType"], "EXEC_STARTED");
    assert_eq!(list["listOrderStatus"], "EXECUTING");
    assert_eq!(list["listClientOrderId"], "bracket-1");
    assert_eq!(list["transactionTime"], T0);
    let list_id = list["orderListId"].clone();
    let [sl, tp] = [ids(&list)[0].clone(), ids(&list)[1].clone()];
    assert_eq!(
        list["orders"][0],
        json!({"symbol": "BTCUSDT", "orderId": sl, "clientOrderId": "sl-1"})
    );
    assert_eq!(list["orders"][1]["clientOrderId"], "tp-1");
    let reports = &list["orderReports"];
    let mut result_keys: Vec<&str> = PLACED_FULL_KEYS.iter().copied().filter(|k| *k != "fills").collect();
    assert_keys(&reports[1], &result_keys);
    result_keys.push("stopPrice");
    assert_keys(&reports[0], &result_keys);
    assert_eq!(reports[0]["type"], "STOP_LOSS_LIMIT");
    assert_eq!(reports[0]["stopPrice"], fixed8(stop));
    assert_eq!(reports[0]["workingTime"], -1);
    assert_eq!(reports[0]["orderListId"], list_id);
    assert_eq!(reports[1]["type"], "LIMIT_MAKER");
    assert_eq!(reports[1]["price"], fixed8(take));
    assert_eq!(reports[1]["workingTime"], T0);
    assert_eq!(reports[1]["status"], "NEW");
    assert_eq!(
        ex.balance("BTC").await,
        (d("0.99"), d("0.01")),
        "locked once for both legs"
    );

    let (_, headers, open_lists) = ex.get("/api/v3/openOrderList", "").await;
    assert_eq!(headers["x-mbx-used-weight-1m"], "26"); // account 20 + openOrderList 6
    assert_eq!(open_lists.as_array().unwrap().len(), 1);
    assert_keys(&open_lists[0], &LIST_KEYS);
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert!(open.as_array().unwrap().iter().all(|o| o["orderListId"] == list_id));

    ex.at(T0 + 1_000);
    let (status, _, filled) = ex.fill_hook(&format!(r#"{{"orderId": {tp}}}"#)).await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_keys(&filled, &QUERY_KEYS);
    assert_eq!(filled["status"], "FILLED");
    assert_eq!(filled["orderListId"], list_id);
    let expired = ex.btc_order(&sl).await;
    assert_eq!(expired["status"], "EXPIRED");
    assert_eq!(expired["expiryReason"], "OCO_TRIGGER");
    assert_eq!(expired["updateTime"], T0 + 1_000);
    let (status, headers, done) = ex.get("/api/v3/orderList", &format!("orderListId={list_id}")).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    // + openOrders 6, order 4, orderList 4; the hook is free.
    assert_eq!(headers["x-mbx-used-weight-1m"], "40");
    assert_keys(&done, &LIST_KEYS);
    assert_eq!(
        (
            &done["listStatusType"],
            &done["listOrderStatus"],
            &done["transactionTime"]
        ),
        (&json!("ALL_DONE"), &json!("ALL_DONE"), &json!(T0 + 1_000))
    );
    assert_eq!(ex.get("/api/v3/openOrderList", "").await.2, json!([]));
    let proceeds = take * d("0.01");
    assert_eq!(ex.balance("BTC").await, (d("0.99"), Decimal::ZERO));
    assert_eq!(
        ex.balance("USDT").await,
        (
            d("10000") + proceeds - (proceeds * d("0.001")).round_dp(8),
            Decimal::ZERO
        )
    );
    let (_, _, trades) = ex.get("/api/v3/myTrades", "symbol=BTCUSDT").await;
    assert_eq!(trades[0]["orderListId"], list_id);
    assert_eq!(trades[0]["isMaker"], true);
    let (_, _, limits) = ex.get("/api/v3/rateLimit/order", "").await;
    assert_eq!(limits[0]["count"], 1, "2 placed, one first fill");
}

#[tokio::test]
async fn the_market_triggering_the_stop_leg_expires_the_limit_maker() {
    let ex = Ex::new();
    let last = ex.last("BTCUSDT");
    let stop = ex.tick("BTCUSDT", last - d("3"));
    let take = ex.tick("BTCUSDT", last * d("1.05"));
    let params = format!(
        "symbol=BTCUSDT&side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice={take}\
         &belowType=STOP_LOSS&belowStopPrice={stop}"
    );
    let (status, _, list) = ex.signed(Method::POST, OCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["orderReports"][0]["fills"], json!([]), "FULL by default");
    let [sl, tp] = [ids(&list)[0].clone(), ids(&list)[1].clone()];
    let (time, _) = ex.first_trade_when("BTCUSDT", |p| p <= stop);
    ex.at(time + 500);
    let triggered = ex.btc_order(&sl).await;
    assert_eq!(triggered["workingTime"], time);
    assert_eq!(triggered["status"], "FILLED", "{triggered}");
    let maker = ex.btc_order(&tp).await;
    assert_eq!(
        (&maker["status"], &maker["expiryReason"]),
        (&json!("EXPIRED"), &json!("OCO_TRIGGER"))
    );
    assert_eq!(maker["updateTime"], time);
    let (_, _, done) = ex
        .get("/api/v3/orderList", &format!("orderListId={}", list["orderListId"]))
        .await;
    assert_eq!(
        (&done["listOrderStatus"], &done["transactionTime"]),
        (&json!("ALL_DONE"), &json!(time))
    );
    assert_eq!(ex.balance("BTC").await, (d("0.99"), Decimal::ZERO));
}

#[tokio::test]
async fn buy_oco_locks_the_larger_leg_and_the_filled_leg_takes_the_lock_over() {
    let ex = Ex::new();
    let last = ex.last("BTCUSDT");
    let take = ex.tick("BTCUSDT", last * d("0.98"));
    let stop = ex.tick("BTCUSDT", last * d("1.01"));
    let limit = ex.tick("BTCUSDT", last * d("1.02"));
    let params = format!(
        "symbol=BTCUSDT&side=BUY&quantity=0.01&aboveType=STOP_LOSS_LIMIT&abovePrice={limit}&aboveStopPrice={stop}\
         &aboveTimeInForce=GTC&belowType=LIMIT_MAKER&belowPrice={take}&newOrderRespType=ACK"
    );
    let (status, _, list) = ex.signed(Method::POST, OCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_keys(
        &list["orderReports"][0],
        &["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"],
    );
    assert_eq!(list["orderReports"][1]["orderListId"], list["orderListId"]);
    let locked = limit * d("0.01");
    assert_eq!(ex.balance("USDT").await, (d("10000") - locked, locked));
    let maker = ids(&list)[1].clone();
    let (status, _, body) = ex
        .fill_hook(&format!(r#"{{"orderId": {maker}, "quantity": "0.004"}}"#))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "PARTIALLY_FILLED");
    let still = take * d("0.006");
    assert_eq!(
        ex.balance("USDT").await,
        (d("10000") - take * d("0.004") - still, still),
        "the stop leg's larger lock came back to free"
    );
    assert_eq!(ex.btc_order(&ids(&list)[0]).await["status"], "EXPIRED");
}

#[tokio::test]
async fn oco_rejections() {
    let ex = Ex::new();
    let (params, take, stop) = sell_bracket(&ex, "");
    let swapped = params
        .replace(&format!("abovePrice={take}"), &format!("abovePrice={stop}"))
        .replace(&format!("belowStopPrice={stop}"), &format!("belowStopPrice={take}"));
    let (status, headers, body) = ex.signed(Method::POST, OCO_PATH, &swapped).await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::BAD_REQUEST,
            (-2010, "The relationship of the prices for the orders is not correct.")
        )
    );
    assert_eq!(headers["x-mbx-used-weight-1m"], "1", "a failed placement pays 1");
    let (_, _, body) = ex
        .signed(Method::POST, OCO_PATH, &params.replace("quantity=0.01", "quantity=2"))
        .await;
    assert_eq!(
        error(&body),
        (-2010, "Account has insufficient balance for requested action.")
    );
    let (_, _, body) = ex
        .signed(Method::POST, OCO_PATH, &params.replace("LIMIT_MAKER", "LIMIT"))
        .await;
    assert_eq!(error(&body), (-1158, "Order type not supported in OCO."));
    let (_, _, body) = ex
        .signed(Method::POST, OCO_PATH, &format!("{params}&belowStopPrice2=1"))
        .await;
    assert_eq!(error(&body).0, -1104);
    let off_tick = params.replace(&format!("belowStopPrice={stop}"), &format!("belowStopPrice={stop}1"));
    let (_, _, body) = ex.signed(Method::POST, OCO_PATH, &off_tick).await;
    assert_eq!(
        error(&body),
        (-1013, "Filter failure: PRICE_FILTER"),
        "filters apply to every leg"
    );

    let named = format!("{params}&listClientOrderId=dup-list&aboveClientOrderId=a-1&belowClientOrderId=b-1");
    assert_eq!(ex.signed(Method::POST, OCO_PATH, &named).await.0, StatusCode::OK);
    let again = named.replace("a-1", "a-2").replace("b-1", "b-2");
    let (_, _, body) = ex.signed(Method::POST, OCO_PATH, &again).await;
    assert_eq!(
        error(&body),
        (-2010, "Duplicate order sent."),
        "listClientOrderId of an open list"
    );
    let leg_dup = named.replace("dup-list", "other-list").replace("b-1", "b-3");
    let (_, _, body) = ex.signed(Method::POST, OCO_PATH, &leg_dup).await;
    assert_eq!(
        error(&body),
        (-2010, "Duplicate order sent."),
        "aboveClientOrderId of an open order"
    );
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 2, "failed lists leave nothing behind");
}

#[tokio::test]
async fn oto_pending_leg_waits_for_the_working_leg_to_fill_completely() {
    let ex = Ex::new();
    let (params, working_price, _) = oto(&ex, "&newOrderRespType=RESULT&listClientOrderId=oto-1");
    let (status, headers, list) = ex.signed(Method::POST, OTO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(headers["x-mbx-order-count-10s"], "2");
    assert_eq!(list["contingencyType"], "OTO");
    let [working, pending] = [ids(&list)[0].clone(), ids(&list)[1].clone()];
    let reports = &list["orderReports"];
    assert_eq!(
        (&reports[0]["status"], &reports[0]["workingTime"]),
        (&json!("NEW"), &json!(T0))
    );
    assert_eq!(
        (&reports[1]["status"], &reports[1]["workingTime"]),
        (&json!("PENDING_NEW"), &json!(-1))
    );
    let locked = working_price * d("0.01");
    assert_eq!(ex.balance("USDT").await, (d("10000") - locked, locked));
    assert_eq!(
        ex.balance("BTC").await,
        (d("1"), Decimal::ZERO),
        "a pending leg locks nothing"
    );
    let waiting = ex.btc_order(&pending).await;
    assert_eq!(
        (&waiting["status"], &waiting["isWorking"]),
        (&json!("PENDING_NEW"), &json!(false))
    );

    // Keep priority on the pending leg: the documented list-leg answer.
    let (status, _, amended) = ex
        .signed(
            Method::PUT,
            "/api/v3/order/amend/keepPriority",
            &format!("symbol=BTCUSDT&orderId={pending}&newQty=0.008&newClientOrderId=pending-2"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{amended}");
    assert_keys(&amended, &["transactTime", "executionId", "amendedOrder", "listStatus"]);
    assert_eq!(amended["amendedOrder"]["status"], "PENDING_NEW");
    assert!(amended["amendedOrder"].get("workingTime").is_none());
    assert_eq!(amended["amendedOrder"]["orderListId"], list["orderListId"]);
    assert_keys(
        &amended["listStatus"],
        &[
            "orderListId",
            "contingencyType",
            "listOrderStatus",
            "listClientOrderId",
            "symbol",
            "orders",
        ],
    );
    assert_eq!(amended["listStatus"]["orders"][1]["clientOrderId"], "pending-2");
    assert_eq!(amended["listStatus"]["listOrderStatus"], "EXECUTING");

    let (status, _, body) = ex.fill_hook(&format!(r#"{{"orderId": {pending}}}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("PENDING_NEW"), "{body}");
    ex.at(T0 + 1_000);
    let (_, _, part) = ex
        .fill_hook(&format!(r#"{{"orderId": {working}, "quantity": "0.004"}}"#))
        .await;
    assert_eq!(part["status"], "PARTIALLY_FILLED");
    assert_eq!(
        ex.btc_order(&pending).await["status"],
        "PENDING_NEW",
        "only a full fill releases it"
    );
    ex.at(T0 + 2_000);
    let (_, _, full) = ex.fill_hook(&format!(r#"{{"orderId": {working}}}"#)).await;
    assert_eq!(full["status"], "FILLED");
    let live = ex.btc_order(&pending).await;
    assert_eq!(
        (&live["status"], &live["workingTime"]),
        (&json!("NEW"), &json!(T0 + 2_000))
    );
    assert_eq!(live["origQty"], "0.00800000");
    let received = d("0.01") - d("0.00001");
    assert_eq!(ex.balance("BTC").await, (d("1") + received - d("0.008"), d("0.008")));
    let (_, _, done) = ex.get("/api/v3/orderList", "origClientOrderId=oto-1").await;
    assert_eq!(done["listOrderStatus"], "ALL_DONE", "nothing left to trigger: {done}");
    assert_eq!(done["transactionTime"], T0 + 2_000);
    // The list is done: canceling the live pending leg cancels that order alone.
    let (status, _, canceled) = ex
        .signed(
            Method::DELETE,
            "/api/v3/order",
            &format!("symbol=BTCUSDT&orderId={pending}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_keys(&canceled, &CANCEL_KEYS);
}

#[tokio::test]
async fn oto_working_leg_filled_at_placement_still_shows_its_pending_leg_pending() {
    let ex = Ex::new();
    let crossing = ex.tick("BTCUSDT", ex.ask("BTCUSDT") * d("1.001"));
    let (params, _, _) = oto(&ex, "");
    let params = params.replace(
        &format!("workingPrice={}", ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"))),
        &format!("workingPrice={crossing}"),
    );
    let (status, _, list) = ex.signed(Method::POST, OTO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["orderReports"][0]["status"], "FILLED");
    assert_eq!(list["orderReports"][1]["status"], "PENDING_NEW", "as documented");
    assert_eq!(list["listOrderStatus"], "EXECUTING");
    let pending = ex.btc_order(&ids(&list)[1]).await;
    assert_eq!(pending["status"], "NEW", "querying again shows it live");
}

#[tokio::test]
async fn otoco_places_its_pair_when_the_working_leg_fills_then_runs_as_an_oco() {
    let ex = Ex::new();
    let working_price = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"));
    let last = ex.last("BTCUSDT");
    let take = ex.tick("BTCUSDT", last * d("1.05"));
    let stop = ex.tick("BTCUSDT", last * d("0.9"));
    let params = format!(
        "symbol=BTCUSDT&workingType=LIMIT&workingSide=BUY&workingPrice={working_price}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingSide=SELL&pendingQuantity=0.01\
         &pendingAboveType=LIMIT_MAKER&pendingAbovePrice={take}&pendingBelowType=STOP_LOSS&pendingBelowStopPrice={stop}"
    );
    let (status, headers, list) = ex.signed(Method::POST, OTOCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(headers["x-mbx-order-count-10s"], "3", "an OTOCO counts 3 orders");
    assert_eq!(list["contingencyType"], "OTO");
    let order_ids = ids(&list);
    let types: Vec<&Value> = list["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["type"])
        .collect();
    assert_eq!(types, [&json!("LIMIT"), &json!("STOP_LOSS"), &json!("LIMIT_MAKER")]);
    let statuses: Vec<&Value> = list["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!("NEW"), &json!("PENDING_NEW"), &json!("PENDING_NEW")]);

    ex.at(T0 + 1_000);
    let (status, _, _) = ex.fill_hook(&format!(r#"{{"orderId": {}}}"#, order_ids[0])).await;
    assert_eq!(status, StatusCode::OK);
    for id in &order_ids[1..] {
        assert_eq!(ex.btc_order(id).await["status"], "NEW");
    }
    let (_, _, running) = ex
        .get("/api/v3/orderList", &format!("orderListId={}", list["orderListId"]))
        .await;
    assert_eq!(
        (
            &running["listStatusType"],
            &running["listOrderStatus"],
            &running["transactionTime"]
        ),
        (&json!("EXEC_STARTED"), &json!("EXECUTING"), &json!(T0 + 1_000))
    );
    let bought = d("0.01") - d("0.00001");
    assert_eq!(
        ex.balance("BTC").await,
        (d("1") + bought - d("0.01"), d("0.01")),
        "one lock for the pair"
    );

    ex.at(T0 + 2_000);
    let (status, _, stopped) = ex.fill_hook(&format!(r#"{{"orderId": {}}}"#, order_ids[1])).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(
        (&stopped["status"], &stopped["workingTime"]),
        (&json!("FILLED"), &json!(T0 + 2_000))
    );
    let maker = ex.btc_order(&order_ids[2]).await;
    assert_eq!(
        (&maker["status"], &maker["expiryReason"]),
        (&json!("EXPIRED"), &json!("OCO_TRIGGER"))
    );
    let (_, _, done) = ex.get("/api/v3/openOrderList", "").await;
    assert_eq!(done, json!([]));
    let (_, _, trades) = ex
        .get("/api/v3/myTrades", &format!("symbol=BTCUSDT&orderId={}", order_ids[1]))
        .await;
    assert_eq!(
        (&trades[0]["price"], &trades[0]["isMaker"]),
        (&json!(fixed8(stop)), &json!(false))
    );
    let proceeds = stop * d("0.01");
    let (usdt, _) = ex.balance("USDT").await;
    assert_eq!(
        usdt,
        d("10000") - working_price * d("0.01") + proceeds - (proceeds * d("0.001")).round_dp(8)
    );
    assert_eq!(ex.balance("BTC").await, (d("1") + bought - d("0.01"), Decimal::ZERO));
}

#[tokio::test]
async fn a_pending_leg_the_engine_cannot_place_expires_rejected() {
    let ex = Ex::new();
    let (params, _, _) = oto(&ex, "");
    let too_big = params.replace("pendingQuantity=0.01", "pendingQuantity=2");
    let (status, _, list) = ex.signed(Method::POST, OTO_PATH, &too_big).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the pending leg's balance is checked when it goes live: {list}"
    );
    let (status, _, _) = ex.fill_hook(&format!(r#"{{"orderId": {}}}"#, ids(&list)[0])).await;
    assert_eq!(status, StatusCode::OK);
    let pending = ex.btc_order(&ids(&list)[1]).await;
    assert_eq!(
        (&pending["status"], &pending["expiryReason"]),
        (&json!("EXPIRED"), &json!("REJECTED"))
    );
    let (_, _, done) = ex
        .get("/api/v3/orderList", &format!("orderListId={}", list["orderListId"]))
        .await;
    assert_eq!(done["listOrderStatus"], "ALL_DONE");
    assert_eq!(ex.balance("BTC").await.1, Decimal::ZERO);
}

#[tokio::test]
async fn a_working_leg_that_expires_unfilled_expires_its_pending_leg() {
    let ex = Ex::new();
    let (params, _, _) = oto(&ex, "");
    let ioc = params.replace("workingTimeInForce=GTC", "workingTimeInForce=IOC");
    let (status, _, list) = ex
        .signed(Method::POST, OTO_PATH, &format!("{ioc}&newOrderRespType=RESULT"))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["orderReports"][0]["status"], "EXPIRED");
    let pending = ex.btc_order(&ids(&list)[1]).await;
    assert_eq!(
        (&pending["status"], &pending["expiryReason"]),
        (&json!("EXPIRED"), &json!("OTO_PHASE_ONE_EXPIRED"))
    );
    assert_eq!(ex.get("/api/v3/openOrderList", "").await.2, json!([]));
    assert_eq!(ex.balance("USDT").await, (d("10000"), Decimal::ZERO));
}
