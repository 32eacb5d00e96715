//! The order lifecycle through a real MCP client against the emulator: user-data events in
//! the journal (`order_events`, `order_status`'s agreement check), reconciliation after a
//! dropped event connection, brackets (OCO) whose one fill ends the other leg, timed cancels
//! (also across a restart), and market stream sampling.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

async fn subscribed(mcp: &Mcp) -> Value {
    eventually(
        "the testnet user-data subscription",
        Duration::from_secs(15),
        || async {
            let status = mcp.ok("server_status", json!({})).await;
            let testnet = status["environments"]
                .as_array()?
                .iter()
                .find(|e| e["environment"] == "testnet")?
                .clone();
            (testnet["user_stream"]["state"] == "subscribed").then_some(testnet["user_stream"].clone())
        },
    )
    .await
}

async fn events_of(mcp: &Mcp, order_id: u64) -> Vec<Value> {
    let out = mcp
        .ok(
            "order_events",
            json!({"order_id": order_id, "environment": "testnet", "limit": 200}),
        )
        .await;
    out["events"].as_array().cloned().unwrap_or_default()
}

/// Fills an open order at its price through the emulator's test hook, as the market would.
async fn fill(base_url: &str, order_id: u64) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/emulator/fill"))
        .json(&json!({"orderId": order_id}))
        .send()
        .await
        .expect("fill hook");
    assert!(
        response.status().is_success(),
        "fill hook answered {}",
        response.status()
    );
    response.json().await.expect("order json")
}

fn resting_buy(price: &str, extra: Value) -> Value {
    let mut order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": price, "environment": "testnet"});
    if let (Value::Object(o), Value::Object(e)) = (&mut order, extra) {
        o.extend(e);
    }
    order
}

#[tokio::test]
async fn a_filled_order_shows_in_order_events_and_order_status_agrees() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let stream = subscribed(&mcp).await;
    assert_eq!(stream["method"], "userDataStream.subscribe.signature", "{stream}");

    let order =
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001", "environment": "testnet"});
    let placed = mcp.test_and_place(order).await;
    assert_eq!(placed["status"], "FILLED", "{placed}");
    let order_id = placed["order_id"].as_u64().expect("order id");

    let events = eventually("the fill event", Duration::from_secs(10), || async {
        let events = events_of(&mcp, order_id).await;
        events
            .iter()
            .any(|e| e["execution_type"] == "TRADE" && e["status"] == "FILLED")
            .then_some(events)
    })
    .await;
    assert_eq!(events[0]["execution_type"], "NEW", "NEW comes first: {events:?}");
    assert!(events.iter().all(|e| e["kind"] == "executionReport"), "{events:?}");

    let status = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": order_id, "environment": "testnet"}),
        )
        .await;
    assert_eq!(status["order"]["status"], "FILLED");
    assert_eq!(status["journal"]["agrees"], true, "{status}");
    let fills = status["journal"]["fills"].as_array().expect("fills");
    assert!(!fills.is_empty(), "the final fills are shown: {status}");
    let filled: rust_decimal::Decimal = fills
        .iter()
        .map(|f| {
            f["qty"]
                .as_str()
                .expect("qty")
                .parse::<rust_decimal::Decimal>()
                .expect("decimal")
        })
        .sum();
    assert_eq!(filled, "0.001".parse().expect("decimal"));

    // The human sees the same in the memory folder.
    let ledger = journal(mcp.home.path());
    assert!(
        ledger.contains("\"event\":\"exchange_event\"") && ledger.contains(&format!("\"order_id\":{order_id}")),
        "events are journaled in state.db"
    );
    let balances = mcp
        .ok("order_events", json!({"environment": "testnet", "limit": 200}))
        .await;
    assert!(
        balances["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "outboundAccountPosition" && e["balances"].is_array()),
        "balance changes are journaled too: {balances}"
    );
}

#[tokio::test]
async fn a_dropped_event_connection_reconnects_and_reconciliation_finds_the_missed_fill() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    subscribed(&mcp).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let placed = mcp
        .test_and_place(resting_buy(&price_near(&bid, "0.9", "0.01"), json!({})))
        .await;
    assert_eq!(placed["status"], "NEW");
    let order_id = placed["order_id"].as_u64().expect("order id");
    eventually("the NEW event", Duration::from_secs(10), || async {
        events_of(&mcp, order_id)
            .await
            .iter()
            .any(|e| e["execution_type"] == "NEW")
            .then_some(())
    })
    .await;

    // The event connection goes down; the order fills while nobody listens.
    set_faults(&ex.testnet.base_url, json!({"ws_down_ms": 2500})).await;
    let filled = fill(&ex.testnet.base_url, order_id).await;
    assert_eq!(filled["status"], "FILLED", "{filled}");

    let events = eventually("the reconciled fill", Duration::from_secs(20), || async {
        let events = events_of(&mcp, order_id).await;
        events
            .iter()
            .any(|e| e["kind"] == "reconciliation" && e["status"] == "FILLED")
            .then_some(events)
    })
    .await;
    assert!(
        !events
            .iter()
            .any(|e| e["kind"] == "executionReport" && e["status"] == "FILLED"),
        "the fill happened while disconnected: only the REST reconciliation can know it: {events:?}"
    );
    let stream = subscribed(&mcp).await;
    assert!(stream["subscriptions"].as_u64().expect("count") >= 2, "{stream}");
    assert!(stream["reconciled_orders"].as_u64().expect("count") >= 1, "{stream}");
    let status = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": order_id, "environment": "testnet"}),
        )
        .await;
    assert_eq!(status["journal"]["agrees"], true, "{status}");
}

/// An OCO take-profit/stop-loss pair around the book, sized at 40% of the per-order limit.
fn bracket(bid: &str, ask: &str, test_only: bool) -> Value {
    let quantity = qty_within_limit(&price_near(ask, "1.05", "0.01"), "0.4", "0.00001");
    json!({
        "list_type": "oco", "symbol": "BTCUSDT", "side": "SELL", "quantity": quantity,
        "environment": "testnet", "list_client_order_id": "bracket-test-1", "test_only": test_only,
        "legs": [
            {"role": "above", "type": "LIMIT_MAKER", "price": price_near(ask, "1.05", "0.01"), "client_order_id": "tp-1"},
            {"role": "below", "type": "STOP_LOSS_LIMIT", "stop_price": price_near(bid, "0.95", "0.01"),
             "price": price_near(bid, "0.94", "0.01"), "time_in_force": "GTC", "client_order_id": "sl-1"}
        ]
    })
}

#[tokio::test]
async fn a_bracket_is_validated_tested_placed_and_one_fill_ends_the_other_leg() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    subscribed(&mcp).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;

    // A leg off the tick size is refused locally, naming the leg.
    let mut bad = bracket(&bid, &ask, true);
    bad["legs"][1]["price"] = json!(format!("{}.001", price_near(&bid, "0.94", "1")));
    let err = mcp.err("order_list_place", bad).await;
    assert!(err.contains("below order") && err.contains("PRICE_FILTER"), "{err}");
    // No test, no list.
    let err = mcp.err("order_list_place", bracket(&bid, &ask, false)).await;
    assert!(err.contains("test_before_real"), "{err}");

    let tested = mcp.ok("order_list_place", bracket(&bid, &ask, true)).await;
    assert_eq!(tested["mode"], "test", "{tested}");
    let placed = mcp.ok("order_list_place", bracket(&bid, &ask, false)).await;
    assert_eq!(placed["mode"], "live", "{placed}");
    assert_eq!(placed["list_status"], "EXECUTING", "{placed}");
    let legs = placed["legs"].as_array().expect("legs");
    assert_eq!(legs.len(), 2);
    assert!(legs.iter().all(|l| l["status"] == "NEW"), "{placed}");
    let leg_id = |role: &str| {
        legs.iter()
            .find(|l| l["role"] == role)
            .and_then(|l| l["order_id"].as_u64())
            .expect("leg id")
    };
    let (take_profit, stop_loss) = (leg_id("above"), leg_id("below"));
    // The same list cannot go twice on one test: not under its own ids (an id never names two
    // lists) and not under new ones (the test was used up).
    let err = mcp.err("order_list_place", bracket(&bid, &ask, false)).await;
    assert!(err.contains("client_order_id_reused"), "{err}");
    let mut renamed = bracket(&bid, &ask, false);
    renamed["list_client_order_id"] = json!("bracket-test-2");
    renamed["legs"][0]["client_order_id"] = json!("tp-2");
    renamed["legs"][1]["client_order_id"] = json!("sl-2");
    let err = mcp.err("order_list_place", renamed).await;
    assert!(err.contains("test_before_real"), "{err}");

    fill(&ex.testnet.base_url, take_profit).await;
    let stop_events = eventually("the stop leg's end", Duration::from_secs(10), || async {
        let events = events_of(&mcp, stop_loss).await;
        events
            .iter()
            .any(|e| e["status"] == "EXPIRED" || e["status"] == "CANCELED")
            .then_some(events)
    })
    .await;
    assert!(!stop_events.is_empty());
    let stop = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": stop_loss, "environment": "testnet"}),
        )
        .await;
    assert!(
        stop["order"]["status"] == "EXPIRED" || stop["order"]["status"] == "CANCELED",
        "{stop}"
    );
    assert_eq!(stop["order"]["orderListId"], placed["order_list_id"]);
    let tp = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": take_profit, "environment": "testnet"}),
        )
        .await;
    assert_eq!(tp["order"]["status"], "FILLED");
    let lists = mcp
        .ok(
            "order_events",
            json!({"symbol": "BTCUSDT", "environment": "testnet", "limit": 200}),
        )
        .await;
    assert!(
        lists["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "listStatus" && e["status"] == "ALL_DONE"),
        "the list's end is journaled: {lists}"
    );
    assert!(mcp.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await["count"] == 0);
}

#[tokio::test]
async fn an_order_list_can_be_canceled_whole() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    mcp.ok("order_list_place", bracket(&bid, &ask, true)).await;
    let placed = mcp.ok("order_list_place", bracket(&bid, &ask, false)).await;
    let canceled = mcp
        .ok(
            "order_list_cancel",
            json!({"symbol": "BTCUSDT", "list_client_order_id": "bracket-test-1", "environment": "testnet"}),
        )
        .await;
    assert_eq!(canceled["order_list_id"], placed["order_list_id"]);
    assert_eq!(canceled["list_status"], "ALL_DONE", "{canceled}");
    assert_eq!(canceled["list_type"], "oco", "{canceled}");
    let mut roles: Vec<&str> = canceled["legs"]
        .as_array()
        .expect("legs")
        .iter()
        .filter_map(|l| l["role"].as_str())
        .collect();
    roles.sort_unstable();
    assert_eq!(roles, ["above", "below"], "{canceled}");
    assert!(
        canceled["legs"]
            .as_array()
            .expect("legs")
            .iter()
            .all(|l| l["status"] == "CANCELED"),
        "{canceled}"
    );
    assert_eq!(
        mcp.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await["count"],
        0
    );
}

#[tokio::test]
async fn a_timed_cancel_fires_and_is_reported() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = resting_buy(&price_near(&bid, "0.9", "0.01"), json!({"cancel_after_seconds": 2}));
    let placed = mcp.test_and_place(order).await;
    assert_eq!(placed["cancel_timer"]["running"], true, "{placed}");
    let order_id = placed["order_id"].as_u64().expect("order id");
    let done = eventually("the timer's cancel", Duration::from_secs(15), || async {
        events_of(&mcp, order_id)
            .await
            .into_iter()
            .find(|e| e["kind"] == "cancel_timer_done")
    })
    .await;
    assert_eq!(done["status"], "canceled (CANCELED)", "{done}");
    let status = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": order_id, "environment": "testnet"}),
        )
        .await;
    assert_eq!(status["order"]["status"], "CANCELED");

    // A timer is only for orders that rest on the book.
    let err = mcp
        .err(
            "order_test",
            json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001",
                   "environment": "testnet", "cancel_after_seconds": 5}),
        )
        .await;
    assert!(err.contains("rest on the book"), "{err}");
}

#[tokio::test]
async fn a_cancel_timer_survives_a_restart() {
    let ex = Exchanges::start().await;
    let first = connect(&ex.env(), &[]).await;
    let (bid, _) = first.book("BTCUSDT", "testnet").await;
    let order = resting_buy(&price_near(&bid, "0.9", "0.01"), json!({"cancel_after_seconds": 3}));
    let placed = first.test_and_place(order).await;
    let order_id = placed["order_id"].as_u64().expect("order id");
    let home = first.home;
    let _ = first.client.cancel().await;

    let second = connect_with_home(&ex.env(), home.path()).await;
    let done = eventually("the resumed timer", Duration::from_secs(20), || async {
        events_of(&second, order_id)
            .await
            .into_iter()
            .find(|e| e["kind"] == "cancel_timer_done")
    })
    .await;
    assert_eq!(done["status"], "canceled (CANCELED)", "{done}");
    let open = second.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(open["count"], 0, "{open}");
}

#[tokio::test]
async fn market_streams_are_sampled_without_rest_weight() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let before = emulator_requests(&ex.production.base_url).await.len();
    let sample = mcp
        .ok(
            "market_stream_sample",
            json!({"streams": ["BTCUSDT@bookTicker", "btcusdt@trade"], "seconds": 2, "last": 3}),
        )
        .await;
    assert_eq!(sample["environment"], "production");
    let streams = sample["streams"].as_array().expect("streams");
    assert_eq!(streams[0]["stream"], "btcusdt@bookTicker");
    assert!(streams[0]["events"].as_u64().expect("count") > 0, "{sample}");
    assert!(
        streams[0]["best_bid"].is_string() && streams[0]["best_ask"].is_string(),
        "{sample}"
    );
    assert!(streams[0]["last_events"].as_array().expect("events").len() <= 3);
    let rest_after: Vec<Value> = emulator_requests(&ex.production.base_url)
        .await
        .into_iter()
        .skip(before)
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/")))
        .collect();
    assert!(rest_after.is_empty(), "no REST request: {rest_after:?}");

    let err = mcp
        .err("market_stream_sample", json!({"streams": ["btcusdt@everything"]}))
        .await;
    assert!(err.contains("not a supported market stream"), "{err}");
    let err = mcp
        .err(
            "market_stream_sample",
            json!({"streams": ["btcusdt@trade"], "seconds": 31}),
        )
        .await;
    assert!(err.contains("1 to 30"), "{err}");
}

#[tokio::test]
async fn production_events_wait_for_the_first_order_the_human_confirmed() {
    let ex = Exchanges::start().await;
    let mut env = ex.env_with_production_keys();
    env.push(("BINANCE_PRODUCTION_APPROVAL".into(), "auto".into()));
    let mcp = connect(&env, &[]).await;
    subscribed(&mcp).await;
    let production = |status: &Value| {
        status["environments"]
            .as_array()
            .and_then(|envs| envs.iter().find(|e| e["environment"] == "production"))
            .map(|e| e["user_stream"].clone())
            .expect("production status")
    };
    let before = production(&mcp.ok("server_status", json!({})).await);
    assert_eq!(before["state"], "off", "{before}");
    assert!(
        before["detail"].as_str().is_some_and(|d| d.contains("confirms")),
        "{before}"
    );
    let signed_ws = |requests: Vec<Value>| requests.into_iter().filter(|r| r["path"] == "/ws-api/v3").count();
    assert_eq!(signed_ws(emulator_requests(&ex.production.base_url).await), 0);

    // Rehearse the shape on testnet, then the confirmed production order.
    let (bid, _) = mcp.book("BTCUSDT", "production").await;
    let price = price_near(&bid, "0.9", "0.01");
    mcp.test_and_place(resting_buy(&price, json!({}))).await;
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": price, "environment": "production", "confirm_production": true});
    mcp.test_and_place(order).await;
    let after = eventually("the production subscription", Duration::from_secs(15), || async {
        let stream = production(&mcp.ok("server_status", json!({})).await);
        (stream["state"] == "subscribed").then_some(stream)
    })
    .await;
    assert_eq!(after["subscriptions"], 1, "{after}");
}

#[tokio::test]
async fn an_otoco_entry_puts_its_bracket_on_the_book_when_the_entry_fills() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    subscribed(&mcp).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    // Entry and exit can both execute: each at 40% of the per-order limit.
    let quantity = qty_within_limit(&price_near(&ask, "1.05", "0.01"), "0.4", "0.00001");
    let list = |test_only: bool| {
        json!({
            "list_type": "otoco", "symbol": "BTCUSDT", "side": "SELL", "quantity": quantity,
            "environment": "testnet", "test_only": test_only,
            "legs": [
                {"role": "working", "type": "LIMIT", "side": "BUY", "quantity": quantity,
                 "price": price_near(&bid, "0.99", "0.01"), "time_in_force": "GTC"},
                {"role": "above", "type": "LIMIT_MAKER", "price": price_near(&ask, "1.05", "0.01")},
                {"role": "below", "type": "STOP_LOSS", "stop_price": price_near(&bid, "0.9", "0.01")}
            ]
        })
    };
    mcp.ok("order_list_place", list(true)).await;
    let placed = mcp.ok("order_list_place", list(false)).await;
    let legs = placed["legs"].as_array().expect("legs");
    let id = |role: &str| {
        legs.iter()
            .find(|l| l["role"] == role)
            .and_then(|l| l["order_id"].as_u64())
            .expect("leg id")
    };
    let (working, above, below) = (id("working"), id("above"), id("below"));
    let status_of = |role: &str| {
        legs.iter()
            .find(|l| l["role"] == role)
            .map(|l| l["status"].clone())
            .expect("leg")
    };
    assert_eq!(status_of("working"), "NEW", "{placed}");
    assert_eq!(status_of("above"), "PENDING_NEW", "{placed}");

    fill(&ex.testnet.base_url, working).await;
    let live = eventually("the bracket going live", Duration::from_secs(10), || async {
        let events = events_of(&mcp, above).await;
        events
            .iter()
            .any(|e| e["execution_type"] == "NEW" && e["status"] == "NEW")
            .then_some(events)
    })
    .await;
    assert_eq!(live[0]["status"], "PENDING_NEW", "placed as pending first: {live:?}");

    fill(&ex.testnet.base_url, above).await;
    eventually("the stop leg's expiry", Duration::from_secs(10), || async {
        events_of(&mcp, below)
            .await
            .iter()
            .any(|e| e["status"] == "EXPIRED")
            .then_some(())
    })
    .await;
    let stop = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "order_id": below, "environment": "testnet"}),
        )
        .await;
    assert_eq!(stop["order"]["status"], "EXPIRED", "{stop}");
    assert_eq!(stop["journal"]["agrees"], true, "{stop}");
}

#[tokio::test]
async fn a_list_whose_answer_is_lost_is_found_by_its_client_id_and_not_sent_again() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    mcp.ok("order_list_place", bracket(&bid, &ask, true)).await;
    set_faults(&ex.testnet.base_url, json!({"execute_then_503": 1})).await;
    let placed = mcp.ok("order_list_place", bracket(&bid, &ask, false)).await;
    assert_eq!(placed["list_status"], "EXECUTING", "{placed}");
    assert_eq!(placed["provisional"], false, "{placed}");
    assert!(
        placed["next_step"]
            .as_str()
            .is_some_and(|s| s.contains("found by its client id")),
        "{placed}"
    );
    let posts = count_requests(&ex.testnet.base_url, "POST", "/api/v3/orderList/oco").await;
    assert_eq!(posts, 1, "the list was sent once, never again");
    let open = mcp.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(open["count"], 2, "{open}");
    let incidents = std::fs::read_to_string(mcp.home.path().join("incidents.md")).expect("incidents");
    assert!(incidents.contains("did NOT resend the oco list"), "{incidents}");
}

#[tokio::test]
async fn a_subscription_the_exchange_ends_is_journaled_and_taken_up_again() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    subscribed(&mcp).await;
    set_faults(&ex.testnet.base_url, json!({"end_user_streams": true})).await;
    let again = eventually("a new subscription", Duration::from_secs(15), || async {
        let stream = subscribed(&mcp).await;
        (stream["subscriptions"].as_u64() >= Some(2)).then_some(stream)
    })
    .await;
    assert_eq!(again["state"], "subscribed", "{again}");
    let journal = mcp
        .ok("order_events", json!({"environment": "testnet", "limit": 200}))
        .await;
    assert!(
        journal["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "eventStreamTerminated"),
        "{journal}"
    );
}
