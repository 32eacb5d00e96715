//! Order lists through the router: OCO/OTO/OTOCO placement, shapes, locks and order counts,
//! the contingency rules (one OCO leg executing expires the other; a filled working leg puts
//! its pending legs on the book), cancels by list, by leg and all, the list queries, and the
//! `/emulator/fill` hook.

use axum::http::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::trading_harness::*;
use super::wire::fixed8;

const OCO: &str = "/api/v3/orderList/oco";
const OTO: &str = "/api/v3/orderList/oto";
const OTOCO: &str = "/api/v3/orderList/otoco";

/// A SELL bracket of 0.01 BTC: take-profit LIMIT_MAKER 1% above the last price, STOP_LOSS_LIMIT
/// 1% below (limit 1.5% below): (params, take-profit price, stop price).
fn sell_bracket(ex: &Ex, extra: &str) -> (String, Decimal, Decimal) {
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

fn ids(list: &Value) -> Vec<Value> {
    list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].clone())
        .collect()
}

#[tokio::test]
async fn sell_oco_bracket_locks_once_and_a_filled_take_profit_expires_the_stop() {
    let ex = Ex::new();
    let (params, take, stop) = sell_bracket(
        &ex,
        "&listClientOrderId=bracket-1&aboveClientOrderId=tp-1&belowClientOrderId=sl-1&newOrderRespType=RESULT",
    );
    let (status, headers, list) = ex.signed(Method::POST, OCO, &params).await;
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
    let (status, _, list) = ex.signed(Method::POST, OCO, &params).await;
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
    let (status, _, list) = ex.signed(Method::POST, OCO, &params).await;
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
    let (status, headers, body) = ex.signed(Method::POST, OCO, &swapped).await;
    assert_eq!(
        (status, error(&body)),
        (
            StatusCode::BAD_REQUEST,
            (-2010, "The relationship of the prices for the orders is not correct.")
        )
    );
    assert_eq!(headers["x-mbx-used-weight-1m"], "1", "a failed placement pays 1");
    let (_, _, body) = ex
        .signed(Method::POST, OCO, &params.replace("quantity=0.01", "quantity=2"))
        .await;
    assert_eq!(
        error(&body),
        (-2010, "Account has insufficient balance for requested action.")
    );
    let (_, _, body) = ex
        .signed(Method::POST, OCO, &params.replace("LIMIT_MAKER", "LIMIT"))
        .await;
    assert_eq!(error(&body), (-1158, "Order type not supported in OCO."));
    let (_, _, body) = ex
        .signed(Method::POST, OCO, &format!("{params}&belowStopPrice2=1"))
        .await;
    assert_eq!(error(&body).0, -1104);
    let off_tick = params.replace(&format!("belowStopPrice={stop}"), &format!("belowStopPrice={stop}1"));
    let (_, _, body) = ex.signed(Method::POST, OCO, &off_tick).await;
    assert_eq!(
        error(&body),
        (-1013, "Filter failure: PRICE_FILTER"),
        "filters apply to every leg"
    );

    let named = format!("{params}&listClientOrderId=dup-list&aboveClientOrderId=a-1&belowClientOrderId=b-1");
    assert_eq!(ex.signed(Method::POST, OCO, &named).await.0, StatusCode::OK);
    let again = named.replace("a-1", "a-2").replace("b-1", "b-2");
    let (_, _, body) = ex.signed(Method::POST, OCO, &again).await;
    assert_eq!(
        error(&body),
        (-2010, "Duplicate order sent."),
        "listClientOrderId of an open list"
    );
    let leg_dup = named.replace("dup-list", "other-list").replace("b-1", "b-3");
    let (_, _, body) = ex.signed(Method::POST, OCO, &leg_dup).await;
    assert_eq!(
        error(&body),
        (-2010, "Duplicate order sent."),
        "aboveClientOrderId of an open order"
    );
    let (_, _, open) = ex.get("/api/v3/openOrders", "symbol=BTCUSDT").await;
    assert_eq!(open.as_array().unwrap().len(), 2, "failed lists leave nothing behind");
}

/// An OTO: LIMIT BUY 0.01 working 1% under the bid, LIMIT_MAKER SELL pending 5% above the last
/// price: (params, working price, pending price).
fn oto(ex: &Ex, extra: &str) -> (String, Decimal, Decimal) {
    let working = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"));
    let pending = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("1.05"));
    let params = format!(
        "symbol=BTCUSDT&workingType=LIMIT&workingSide=BUY&workingPrice={working}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingType=LIMIT_MAKER&pendingSide=SELL&pendingPrice={pending}\
         &pendingQuantity=0.01{extra}"
    );
    (params, working, pending)
}

#[tokio::test]
async fn oto_pending_leg_waits_for_the_working_leg_to_fill_completely() {
    let ex = Ex::new();
    let (params, working_price, _) = oto(&ex, "&newOrderRespType=RESULT&listClientOrderId=oto-1");
    let (status, headers, list) = ex.signed(Method::POST, OTO, &params).await;
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
    let (status, _, list) = ex.signed(Method::POST, OTO, &params).await;
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
    let (status, headers, list) = ex.signed(Method::POST, OTOCO, &params).await;
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
async fn cancel_by_list_by_leg_and_all() {
    let ex = Ex::new();
    let (params, _, _) = sell_bracket(&ex, "");
    let (_, _, first) = ex.signed(Method::POST, OCO, &params).await;
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

    let (_, _, second) = ex.signed(Method::POST, OCO, &params).await;
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
    let (_, _, third) = ex.signed(Method::POST, OCO, &params).await;
    let (oto_params, _, _) = oto(&ex, "");
    let (_, _, fourth) = ex.signed(Method::POST, OTO, &oto_params).await;
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
            .signed(Method::POST, OCO, &format!("{params}&listClientOrderId=q-{n}"))
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
    let (status, _, _) = ex.signed(Method::POST, OCO, &params).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = ex.signed(Method::POST, OTOCO, "symbol=BTCUSDT").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "parameters are checked first: {body}");
    let (oto_params, _, _) = oto(&ex, "");
    assert_eq!(ex.signed(Method::POST, OTO, &oto_params).await.0, StatusCode::OK);
    let (status, headers, body) = ex.signed(Method::POST, OCO, &params).await;
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

#[tokio::test]
async fn a_pending_leg_the_engine_cannot_place_expires_rejected() {
    let ex = Ex::new();
    let (params, _, _) = oto(&ex, "");
    let too_big = params.replace("pendingQuantity=0.01", "pendingQuantity=2");
    let (status, _, list) = ex.signed(Method::POST, OTO, &too_big).await;
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
        .signed(Method::POST, OTO, &format!("{ioc}&newOrderRespType=RESULT"))
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
