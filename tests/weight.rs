//! What a typical agent workflow costs in Binance request weight, counted by the emulator
//! itself, and why a restart is cheaper: the filters come back from the snapshots.

mod common;

use common::*;
use serde_json::{Value, json};

async fn weight_so_far(ex: &Exchanges) -> u64 {
    let mut total = 0;
    for url in [&ex.production.base_url, &ex.testnet.base_url] {
        total += emulator_requests(url)
            .await
            .iter()
            .filter_map(|r| r["weight"].as_u64())
            .sum::<u64>();
    }
    total
}

async fn workflow(mcp: &Mcp, price: &str) {
    mcp.ok("market_ticker_price", json!({"symbols": ["BTCUSDT"]})).await;
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": price, "environment": "testnet"});
    mcp.ok("order_validate", order.clone()).await;
    let placed: Value = mcp.test_and_place(order).await;
    let reference =
        json!({"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"], "environment": "testnet"});
    mcp.ok("order_status", reference.clone()).await;
    mcp.ok("order_cancel", reference).await;
}

#[tokio::test]
async fn a_restarted_server_runs_the_same_workflow_for_less_weight() {
    let ex = Exchanges::start().await;
    let first = connect(&ex.env(), &[]).await;
    // Priced once, outside the measured runs, so both runs send the same order.
    let (bid, _) = first.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let before = weight_so_far(&ex).await;
    workflow(&first, &price).await;
    let first_run = weight_so_far(&ex).await - before;

    let home = first.home.path().to_owned();
    drop(first.client);
    let second = connect_with_home(&ex.env(), &home).await;
    let before = weight_so_far(&ex).await;
    workflow(&second, &price).await;
    let second_run = weight_so_far(&ex).await - before;

    eprintln!(
        "request weight of price check + validate/test/place/status/cancel: first run {first_run}, after a restart {second_run}"
    );
    assert!(first_run > 0, "the emulator counted no weight");
    assert!(
        second_run < first_run,
        "a restart should reuse the filter snapshots: {second_run} >= {first_run}"
    );
}
