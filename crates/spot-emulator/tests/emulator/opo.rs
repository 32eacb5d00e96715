//! One-Pays-the-Other lists through the router (`faqs/opo.md`, `rest-api.md` New Order List -
//! OPO / OPOCO): placement shapes (the pending legs have no quantity), the pending legs going
//! live with what the working leg received once it fills, cancel, queries, and the refusals
//! (-1222, -1223, -1224, -1225, a symbol without `opoAllowed`, amending a pending OPO leg).

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::support::trading::*;

const OPO_PATH: &str = "/api/v3/orderList/opo";
const OPOCO_PATH: &str = "/api/v3/orderList/opoco";

/// An OPO on BTCUSDT: LIMIT BUY 0.01 working 1% under the bid, LIMIT_MAKER SELL pending 5%
/// above the last price, no pending quantity.
fn opo(ex: &Ex, extra: &str) -> String {
    let working = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"));
    let pending = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("1.05"));
    format!(
        "symbol=BTCUSDT&workingType=LIMIT&workingSide=BUY&workingPrice={working}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingType=LIMIT_MAKER&pendingSide=SELL&pendingPrice={pending}{extra}"
    )
}

#[tokio::test]
async fn an_opo_sells_what_its_working_leg_bought_once_it_fills() {
    let ex = Ex::new();
    let params = opo(
        &ex,
        "&listClientOrderId=opo-1&workingClientOrderId=w-1&pendingClientOrderId=p-1",
    );
    let (status, headers, list) = ex.signed(Method::POST, OPO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(headers["x-mbx-order-count-10s"], "2", "an OPO counts 2 orders");
    assert_eq!(headers["x-mbx-used-weight-1m"], "0");
    assert_eq!(
        (
            &list["contingencyType"],
            &list["listStatusType"],
            &list["listOrderStatus"]
        ),
        (&json!("OTO"), &json!("EXEC_STARTED"), &json!("EXECUTING"))
    );
    let reports = &list["orderReports"];
    assert_eq!(reports[0]["origQty"], "0.01000000");
    assert_eq!(
        (&reports[0]["side"], &reports[0]["status"]),
        (&json!("BUY"), &json!("NEW"))
    );
    // As documented: a pending OPO leg is reported without origQty until it goes live.
    assert!(reports[1].get("origQty").is_none(), "{}", reports[1]);
    assert_eq!(
        (&reports[1]["status"], &reports[1]["side"], &reports[1]["workingTime"]),
        (&json!("PENDING_NEW"), &json!("SELL"), &json!(-1))
    );
    let [working, pending] = [ids(&list)[0].clone(), ids(&list)[1].clone()];
    let amend = ex
        .signed(
            Method::PUT,
            "/api/v3/order/amend/keepPriority",
            &format!("symbol=BTCUSDT&orderId={pending}&newQty=0.005"),
        )
        .await;
    assert_eq!(
        error(&amend.2),
        (-2038, "Order amend (pending OPO order) is not supported.")
    );

    ex.at(T0 + 1_000);
    let (status, _, filled) = ex.fill_hook(&format!(r#"{{"orderId": {working}}}"#)).await;
    assert_eq!(
        (status, &filled["status"]),
        (StatusCode::OK, &json!("FILLED")),
        "{filled}"
    );
    let live = ex.btc_order(&pending).await;
    // The account holds 1 BTC besides what it bought, so the 0.00001 BTC commission is taken
    // from the free balance and the whole 0.01 is sold.
    assert_eq!(
        (&live["status"], &live["origQty"], &live["workingTime"]),
        (&json!("NEW"), &json!("0.01000000"), &json!(T0 + 1_000))
    );
    let (btc_free, btc_locked) = ex.balance("BTC").await;
    assert_eq!(btc_locked, d("0.01"), "the pending SELL holds what was bought");
    assert_eq!(
        btc_free,
        d("1") - d("0.00001"),
        "the commission came out of the free BTC"
    );
    let (_, _, done) = ex.get("/api/v3/orderList", "origClientOrderId=opo-1").await;
    assert_eq!(done["listOrderStatus"], "ALL_DONE", "{done}");
}

#[tokio::test]
async fn without_other_funds_the_pending_leg_sells_what_was_received_net_of_commission() {
    let ex = Ex::with(|config| {
        let account = &mut config.accounts[0];
        account.balances.retain(|(asset, _)| asset != "BTC");
    });
    let (status, _, list) = ex.signed(Method::POST, OPO_PATH, &opo(&ex, "")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let [working, pending] = [ids(&list)[0].clone(), ids(&list)[1].clone()];
    ex.fill_hook(&format!(r#"{{"orderId": {working}}}"#)).await;
    let live = ex.btc_order(&pending).await;
    // 0.01 bought, 0.00001 commission: 0.00999 rounded down to the 0.00001 step.
    assert_eq!(
        (&live["status"], &live["origQty"]),
        (&json!("NEW"), &json!("0.00999000"))
    );
    assert_eq!(ex.balance("BTC").await, (d("0"), d("0.00999")));
}

#[tokio::test]
async fn an_opoco_places_its_sell_pair_and_a_cancel_ends_the_whole_list() {
    let ex = Ex::new();
    let working = ex.tick("BTCUSDT", ex.bid("BTCUSDT") * d("0.99"));
    let take = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("1.05"));
    let stop = ex.tick("BTCUSDT", ex.last("BTCUSDT") * d("0.95"));
    let params = format!(
        "symbol=BTCUSDT&workingType=LIMIT&workingSide=BUY&workingPrice={working}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingSide=SELL&pendingAboveType=LIMIT_MAKER&pendingAbovePrice={take}\
         &pendingBelowType=STOP_LOSS&pendingBelowStopPrice={stop}&listClientOrderId=opoco-1"
    );
    let (status, headers, list) = ex.signed(Method::POST, OPOCO_PATH, &params).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(headers["x-mbx-order-count-10s"], "3");
    let reports = list["orderReports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert!(
        reports[1..]
            .iter()
            .all(|r| r["status"] == "PENDING_NEW" && r.get("origQty").is_none())
    );
    assert_eq!(
        reports[1]["type"], "STOP_LOSS",
        "the stop-loss leg comes first, as documented"
    );
    let (_, _, open) = ex.get("/api/v3/openOrderList", "").await;
    assert_eq!(open[0]["listClientOrderId"], "opoco-1");
    let (status, _, canceled) = ex
        .signed(
            Method::DELETE,
            "/api/v3/orderList",
            "symbol=BTCUSDT&listClientOrderId=opoco-1",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_eq!(canceled["listOrderStatus"], "ALL_DONE");
    let statuses: Vec<&str> = canceled["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELED"; 3]);
    assert_eq!(ex.balance("USDT").await.1, d("0"), "the working BUY's lock is released");
}

#[tokio::test]
async fn opo_refusals_name_the_documented_codes() {
    let ex = Ex::new();
    let base = opo(&ex, "");
    let refused = |params: String, path: &'static str| {
        let ex = &ex;
        async move {
            let (status, _, body) = ex.signed(Method::POST, path, &params).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let (code, msg) = error(&body);
            (code, msg.to_owned())
        }
    };
    assert_eq!(
        refused(base.replace("workingSide=BUY", "workingSide=SELL"), OPO_PATH).await,
        (-1222, "Working order in an OPO list must be a bid.".to_owned())
    );
    assert_eq!(
        refused(base.replace("pendingSide=SELL", "pendingSide=BUY"), OPO_PATH).await,
        (-1223, "Pending orders in an OPO list must be asks.".to_owned())
    );
    assert_eq!(
        refused(base.replace("&workingQuantity=0.01", ""), OPO_PATH).await,
        (
            -1224,
            "Working order must include the 'workingQuantity' tag.".to_owned()
        )
    );
    assert_eq!(
        refused(format!("{base}&pendingQuantity=0.01"), OPO_PATH).await,
        (
            -1225,
            "Pending orders should not include the 'pendingQuantity' tag.".to_owned()
        )
    );
    // BTCEUR is listed with opoAllowed false.
    let (_, _, info) = super::support::testkit::get(&ex.app, "/api/v3/exchangeInfo?symbol=BTCEUR").await;
    assert_eq!(info["symbols"][0]["opoAllowed"], false);
    let working = ex.tick("BTCEUR", ex.bid("BTCEUR") * d("0.99"));
    let eur = format!(
        "symbol=BTCEUR&workingType=LIMIT&workingSide=BUY&workingPrice={working}&workingQuantity=0.01\
         &workingTimeInForce=GTC&pendingType=MARKET&pendingSide=SELL"
    );
    assert_eq!(
        refused(eur, OPO_PATH).await,
        (-2010, "OPO orders are not supported for this symbol.".to_owned())
    );
}
