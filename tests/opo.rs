//! One-Pays-the-Other lists (`order_list_place` with `list_type` opo / opoco) through a real MCP
//! client against the emulator: the desk steps every list goes through (each leg validated, the
//! summed legs held to the human's limits, one passed test, then the placement), the pending
//! order going live with what the working order bought, the OPOCO's pending pair and its cancel,
//! and the refusals made before anything is sent.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// An OPO on BTCUSDT: LIMIT BUY working 2% under the bid, LIMIT_MAKER SELL pending 5% over the
/// ask, each leg `share` of the per-order limit at the pending price; no pending quantity.
fn opo(bid: &str, ask: &str, share: &str, test_only: bool) -> Value {
    let pending_price = price_near(ask, "1.05", "0.01");
    let quantity = qty_within_limit(&pending_price, share, "0.00001");
    json!({
        "list_type": "opo", "symbol": "BTCUSDT", "environment": "testnet", "test_only": test_only,
        "list_client_order_id": "opo-test-1",
        "legs": [
            {"role": "working", "type": "LIMIT", "side": "BUY", "quantity": quantity,
             "price": price_near(bid, "0.98", "0.01"), "time_in_force": "GTC", "client_order_id": "opo-w-1"},
            {"role": "pending", "type": "LIMIT_MAKER", "price": pending_price, "client_order_id": "opo-p-1"}
        ]
    })
}

/// One change to a list's arguments.
type Change = fn(&mut Value);

fn leg<'a>(placed: &'a Value, role: &str) -> &'a Value {
    placed["legs"]
        .as_array()
        .expect("legs")
        .iter()
        .find(|l| l["role"] == role)
        .unwrap_or_else(|| panic!("no {role} leg in {placed}"))
}

#[tokio::test]
async fn an_opo_is_tested_placed_and_its_pending_order_goes_live_when_the_working_order_fills() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;

    // No test, no list; the test checks and tests both legs, the pending one at the working
    // quantity (the most it can sell).
    let err = mcp.err("order_list_place", opo(&bid, &ask, "0.45", false)).await;
    assert!(err.contains("test_before_real"), "{err}");
    let tested = mcp.ok("order_list_place", opo(&bid, &ask, "0.45", true)).await;
    assert_eq!(tested["mode"], "test", "{tested}");
    assert_eq!(tested["legs"].as_array().map(Vec::len), Some(2));
    assert!(
        leg(&tested, "pending")["order"].as_str().unwrap_or("").contains("SELL"),
        "{tested}"
    );

    let placed = mcp.ok("order_list_place", opo(&bid, &ask, "0.45", false)).await;
    assert_eq!(
        (&placed["mode"], &placed["list_status"], &placed["list_type"]),
        (&json!("live"), &json!("EXECUTING"), &json!("opo")),
        "{placed}"
    );
    assert_eq!(leg(&placed, "working")["status"], "NEW", "{placed}");
    assert_eq!(leg(&placed, "pending")["status"], "PENDING_NEW", "{placed}");
    // The request Binance got: the documented endpoint, no pending quantity.
    let sent: Vec<Value> = emulator_requests(&ex.testnet.base_url)
        .await
        .into_iter()
        .filter(|r| r["path"] == "/api/v3/orderList/opo")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let body = format!("{}{}", sent[0]["query"], sent[0]["body"]);
    assert!(
        body.contains("pendingSide=SELL") && !body.contains("pendingQuantity"),
        "{body}"
    );

    let working = leg(&placed, "working")["order_id"].as_u64().expect("working id");
    let pending = leg(&placed, "pending")["order_id"].as_u64().expect("pending id");
    let filled = reqwest::Client::new()
        .post(format!("{}/emulator/fill", ex.testnet.base_url))
        .json(&json!({"orderId": working}))
        .send()
        .await
        .expect("fill hook");
    assert!(filled.status().is_success());
    let live = eventually("the pending order to go live", Duration::from_secs(10), || async {
        let status = mcp
            .ok(
                "order_status",
                json!({"symbol": "BTCUSDT", "order_id": pending, "environment": "testnet"}),
            )
            .await;
        (status["order"]["status"] == "NEW").then_some(status)
    })
    .await;
    assert_eq!(live["order"]["side"], "SELL", "{live}");
    let sold: rust_decimal::Decimal = live["order"]["origQty"]
        .as_str()
        .expect("origQty")
        .parse()
        .expect("qty");
    assert!(sold > rust_decimal::Decimal::ZERO, "{live}");
    // The pending order's going live reaches the journal as a user-data event.
    let events = eventually("the pending order's NEW event", Duration::from_secs(10), || async {
        let out = mcp
            .ok(
                "order_events",
                json!({"order_id": pending, "environment": "testnet", "limit": 50}),
            )
            .await;
        let events = out["events"].as_array().cloned().unwrap_or_default();
        events.iter().any(|e| e["status"] == "NEW").then_some(events)
    })
    .await;
    assert!(!events.is_empty());
}

#[tokio::test]
async fn an_opoco_places_a_pending_pair_and_cancels_as_one_list() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let take = price_near(&ask, "1.05", "0.01");
    let quantity = qty_within_limit(&take, "0.45", "0.00001");
    let list = |test_only: bool| {
        json!({
            "list_type": "opoco", "symbol": "BTCUSDT", "environment": "testnet", "test_only": test_only,
            "list_client_order_id": "opoco-test-1",
            "legs": [
                {"role": "working", "type": "LIMIT", "side": "BUY", "quantity": quantity,
                 "price": price_near(&bid, "0.98", "0.01"), "time_in_force": "GTC"},
                {"role": "above", "type": "LIMIT_MAKER", "price": take},
                {"role": "below", "type": "STOP_LOSS", "stop_price": price_near(&bid, "0.95", "0.01")}
            ]
        })
    };
    mcp.ok("order_list_place", list(true)).await;
    let placed = mcp.ok("order_list_place", list(false)).await;
    assert_eq!(placed["list_status"], "EXECUTING", "{placed}");
    for role in ["above", "below"] {
        assert_eq!(leg(&placed, role)["status"], "PENDING_NEW", "{placed}");
    }
    let canceled = mcp
        .ok(
            "order_list_cancel",
            json!({"symbol": "BTCUSDT", "list_client_order_id": "opoco-test-1", "environment": "testnet"}),
        )
        .await;
    assert_eq!(
        (&canceled["list_status"], &canceled["list_type"]),
        (&json!("ALL_DONE"), &json!("opoco")),
        "{canceled}"
    );
    assert!(
        canceled["legs"]
            .as_array()
            .expect("legs")
            .iter()
            .all(|l| l["status"] == "CANCELED"),
        "{canceled}"
    );
}

#[tokio::test]
async fn opo_lists_that_binance_would_refuse_are_refused_before_sending() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let refused = |change: Change| {
        let mut list = opo(&bid, &ask, "0.45", true);
        change(&mut list);
        list
    };
    let cases: [(Change, &str); 4] = [
        (|l| l["legs"][0]["side"] = json!("SELL"), "-1222"),
        (|l| l["legs"][1]["side"] = json!("BUY"), "-1223"),
        (|l| l["legs"][1]["quantity"] = json!("0.001"), "-1225"),
        (|l| l["quantity"] = json!("0.001"), "quantity"),
    ];
    for (change, expected) in cases {
        let err = mcp.err("order_list_place", refused(change)).await;
        assert!(err.contains(expected), "{expected}: {err}");
    }
    // Each leg fits the per-order limit, the two together do not: the summed legs count.
    let err = mcp.err("order_list_place", opo(&bid, &ask, "0.6", true)).await;
    assert!(err.contains("max_order_notional"), "{err}");
    // A symbol listed without opoAllowed.
    let (eur_bid, eur_ask) = mcp.book("BTCEUR", "testnet").await;
    let mut eur = opo(&eur_bid, &eur_ask, "0.45", true);
    eur["symbol"] = json!("BTCEUR");
    let err = mcp.err("order_list_place", eur).await;
    assert!(err.contains("opoAllowed"), "{err}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/orderList/opo").await,
        0
    );
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0,
        "no leg was tested either"
    );
}

#[tokio::test]
async fn an_opo_whose_answer_is_lost_is_found_by_its_client_id_and_not_sent_again() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    mcp.ok("order_list_place", opo(&bid, &ask, "0.45", true)).await;
    set_faults(&ex.testnet.base_url, json!({"execute_then_503": 1})).await;
    let placed = mcp.ok("order_list_place", opo(&bid, &ask, "0.45", false)).await;
    assert_eq!(
        (&placed["list_status"], &placed["provisional"]),
        (&json!("EXECUTING"), &json!(false)),
        "{placed}"
    );
    assert!(
        placed["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("found by its client id")),
        "{placed}"
    );
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/orderList/opo").await,
        1,
        "the list was sent once, never again"
    );
    let incidents = std::fs::read_to_string(mcp.home.path().join("incidents.md")).expect("incidents");
    assert!(incidents.contains("did NOT resend the opo list"), "{incidents}");
}
