//! Opt-in smoke test against the real Spot testnet: market → validate → test → place → status →
//! cancel, through the same MCP client and code path as the emulator tests; only the base URL
//! differs. Runs only with BINANCE_LIVE_TESTS=1 and testnet keys in BINANCE_TESTNET_API_KEY /
//! BINANCE_TESTNET_API_SECRET; otherwise it says why and does nothing. CI never sets these.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn live_testnet_workflow() {
    let live = std::env::var("BINANCE_LIVE_TESTS").is_ok_and(|v| v == "1");
    let key = std::env::var("BINANCE_TESTNET_API_KEY").ok();
    let secret = std::env::var("BINANCE_TESTNET_API_SECRET").ok();
    let (Some(key), Some(secret), true) = (key, secret, live) else {
        eprintln!(
            "live_testnet_workflow: not run. It needs BINANCE_LIVE_TESTS=1, BINANCE_TESTNET_API_KEY and BINANCE_TESTNET_API_SECRET (Spot testnet keys from testnet.binance.vision)."
        );
        return;
    };
    let mut env = vec![
        ("BINANCE_TESTNET_API_KEY".to_owned(), key),
        ("BINANCE_TESTNET_API_SECRET".to_owned(), secret),
    ];
    if let Ok(url) = std::env::var("BINANCE_TESTNET_BASE_URL") {
        env.push(("BINANCE_TESTNET_BASE_URL".into(), url));
    }
    let mcp = connect(&env, &[]).await;
    let info = mcp
        .ok(
            "market_exchange_info",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        )
        .await;
    let tick = info["symbols"][0]["filters"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["filterType"] == "PRICE_FILTER"))
        .and_then(|f| f["tickSize"].as_str())
        .expect("tick size")
        .to_owned();
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    // Far below the market so it rests, and small enough for the default limits in memory.md.
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.0002", "price": price_near(&bid, "0.8", &tick), "environment": "testnet"});
    let v = mcp.ok("order_validate", order.clone()).await;
    assert_eq!(v["valid"], true, "{v}");
    let placed = mcp.test_and_place(order).await;
    let reference =
        json!({"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"], "environment": "testnet"});
    let status = mcp.ok("order_status", reference.clone()).await;
    assert_eq!(status["order"]["status"], "NEW", "{status}");
    let canceled = mcp.ok("order_cancel", reference).await;
    assert_eq!(canceled["order"]["status"], "CANCELED", "{canceled}");
    eprintln!("live_testnet_workflow: passed against the real Spot testnet");
}
