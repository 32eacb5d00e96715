//! Binance as it is since the end of 2025, through a real MCP client against the emulator:
//! a Unicode symbol (testnet's `这是测试币456`, 2025-12) end to end (market tools, a stream,
//! validate, test, place, events, snapshots under a safe folder name, the percent-encoded
//! signed request), and the web application firewall (2025-12-09): a client order id with a SQL
//! keyword is refused before sending, and a 403 from the firewall is classified and explained.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const UNICODE: &str = "这是测试币456";

/// The memory template with a per-order limit for the Unicode symbol's quote asset `456`.
fn memory_with_456_limit() -> String {
    let template = include_str!("../memory-template/memory.md");
    let limited = template.replacen("  USDT: 100\n", "  USDT: 100\n  456: 20\n", 1);
    assert_ne!(limited, template, "the template's USDT limit line moved");
    limited
}

#[tokio::test]
async fn a_unicode_symbol_works_end_to_end() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    std::fs::write(mcp.home.path().join("memory.md"), memory_with_456_limit()).expect("memory.md");

    let rules = mcp
        .ok(
            "market_exchange_info",
            json!({"symbol": UNICODE, "environment": "testnet"}),
        )
        .await;
    let info = &rules["symbols"][0];
    assert_eq!(
        (&info["symbol"], &info["base_asset"], &info["quote_asset"]),
        (&json!(UNICODE), &json!("这是测试币"), &json!("456")),
        "{rules}"
    );
    let price = mcp
        .ok(
            "market_ticker_price",
            json!({"symbol": UNICODE, "environment": "testnet"}),
        )
        .await;
    assert!(price.to_string().contains(UNICODE), "{price}");
    let sample = mcp
        .ok(
            "market_stream_sample",
            json!({"streams": [format!("{UNICODE}@trade")], "seconds": 2, "environment": "testnet"}),
        )
        .await;
    assert!(sample["streams"][0]["events"].as_u64().unwrap_or(0) > 0, "{sample}");

    let (bid, _) = mcp.book(UNICODE, "testnet").await;
    let order = json!({"symbol": UNICODE, "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "10", "price": price_near(&bid, "0.95", "0.0001"), "environment": "testnet"});
    let validated = mcp.ok("order_validate", order.clone()).await;
    assert_eq!(validated["valid"], true, "{validated}");
    let placed = mcp.test_and_place(order).await;
    assert_eq!(placed["status"], "NEW", "{placed}");
    let order_id = placed["order_id"].as_u64().expect("order id");

    // Signed with the symbol percent-encoded, exactly as sent (REST signing since 2026-01).
    let log = emulator_requests(&ex.testnet.base_url).await;
    let post = log
        .iter()
        .find(|r| r["method"] == "POST" && r["path"] == "/api/v3/order" && r["status"] == 200)
        .unwrap_or_else(|| panic!("no accepted order in {log:?}"));
    let sent = format!("{}{}", post["query"], post["body"]);
    assert!(
        sent.contains("symbol=%E8%BF%99%E6%98%AF%E6%B5%8B%E8%AF%95%E5%B8%81456"),
        "{sent}"
    );

    eventually("the order's user-data event", Duration::from_secs(15), || async {
        let out = mcp
            .ok(
                "order_events",
                json!({"symbol": UNICODE, "environment": "testnet", "limit": 20}),
            )
            .await;
        let events = out["events"].as_array().cloned().unwrap_or_default();
        events.iter().any(|e| e["order_id"] == order_id).then_some(())
    })
    .await;

    let snapshots = mcp.ok("snapshot_list", json!({"symbol": UNICODE})).await;
    let entries = snapshots["snapshots"].as_array().expect("snapshots");
    assert!(!entries.is_empty(), "{snapshots}");
    let name = entries[0]["name"].as_str().expect("name");
    assert_eq!(entries[0]["symbol"], UNICODE);
    let folder = name.split('/').nth(1).expect("folder");
    assert!(
        folder.starts_with("x-") && folder.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "{name}"
    );
    let read = mcp.ok("snapshot_read", json!({"name": name})).await;
    assert!(read["content"].to_string().contains(UNICODE), "{read}");
}

#[tokio::test]
async fn sql_keywords_are_refused_locally_and_a_firewall_block_is_explained() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty_within_limit(&price, "0.3", "0.00001"), "price": price,
        "client_order_id": "grid-Select-7", "environment": "testnet"});
    for tool in ["order_test", "order_place"] {
        let err = mcp.err(tool, order.clone()).await;
        assert!(
            err.contains("client_order_id_sql_keyword") && err.contains("SELECT"),
            "{tool}: {err}"
        );
    }
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0
    );
    // A symbol argument the firewall blocks reaches Binance (symbols are not ids): the 403 is
    // classified as the firewall's, with the parameter that caused it.
    let err = mcp
        .err(
            "market_ticker_price",
            json!({"symbol": "SELECT-1", "environment": "testnet"}),
        )
        .await;
    assert!(
        err.contains("web application firewall") && err.contains("symbol contains the SQL keyword SELECT"),
        "{err}"
    );
    let log = emulator_requests(&ex.testnet.base_url).await;
    let blocked: Vec<&Value> = log.iter().filter(|r| r["status"] == 403).collect();
    assert_eq!(blocked.len(), 1, "{log:?}");
    assert_eq!(blocked[0]["weight"], 0, "the firewall answers before the API charges");
}

#[tokio::test]
async fn a_server_shutdown_notice_reconnects_the_user_data_subscription_without_an_alert() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let testnet = |status: &Value| {
        status["environments"]
            .as_array()
            .and_then(|all| all.iter().find(|e| e["environment"] == "testnet"))
            .cloned()
            .unwrap_or_default()
    };
    let user_stream = |status: &Value| testnet(status)["user_stream"].clone();
    eventually("the subscription", Duration::from_secs(15), || async {
        let status = mcp.ok("server_status", json!({})).await;
        (user_stream(&status)["state"] == "subscribed").then_some(())
    })
    .await;
    set_faults(&ex.testnet.base_url, json!({"server_shutdown": true})).await;
    let status = eventually("the planned reconnect", Duration::from_secs(15), || async {
        let status = mcp.ok("server_status", json!({})).await;
        let stream = user_stream(&status);
        (stream["subscriptions"].as_u64() >= Some(2) && stream["state"] == "subscribed").then_some(status)
    })
    .await;
    let alerts = testnet(&status)["alerts"].clone();
    assert!(alerts.is_array(), "{status}");
    assert!(
        !alerts.to_string().contains("interrupted"),
        "a planned reconnect is not an interruption: {alerts}"
    );
    let subscribes = emulator_requests(&ex.testnet.base_url)
        .await
        .into_iter()
        .filter(|r| r["method"] == "userDataStream.subscribe.signature" && r["status"] == 200)
        .count();
    assert_eq!(subscribes, 2);
}
