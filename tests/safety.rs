//! The safety gate through a real MCP client: every refusal sends nothing to the exchange.

mod common;

use common::*;
use serde_json::json;

fn limit_buy(price: &str, qty: &str, env: &str) -> serde_json::Value {
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": qty, "price": price, "environment": env})
}

#[tokio::test]
async fn production_signed_calls_without_confirmation_send_nothing() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "production").await;
    let order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "production");
    for tool in ["order_test", "order_place"] {
        let text = mcp.err(tool, order.clone()).await;
        assert!(text.contains("confirm_production"), "{text}");
        assert!(text.contains("Nothing was sent"), "{text}");
    }
    mcp.err("account_balances", json!({"environment": "production"})).await;
    // A misspelt confirmation is no confirmation, and the error names the argument to use.
    let mut typo_order = order.clone();
    typo_order["confirm_prodution"] = json!(true);
    let typo_read = json!({"environment": "production", "confirm_prodution": true});
    for (tool, typo) in [("account_balances", typo_read), ("order_place", typo_order)] {
        let text = mcp.err(tool, typo).await;
        assert!(text.contains("unknown field `confirm_prodution`"), "{text}");
        assert!(text.contains("confirm_production"), "{text}");
    }
    mcp.err("order_open_list", json!({"environment": "production"})).await;
    mcp.err(
        "order_cancel",
        json!({"symbol": "BTCUSDT", "order_id": 1, "environment": "production"}),
    )
    .await;
    let signed: Vec<_> = emulator_requests(&ex.production.base_url)
        .await
        .into_iter()
        .filter(|r| {
            r["query"].as_str().unwrap_or("").contains("signature")
                || r["body"].as_str().unwrap_or("").contains("signature")
        })
        .collect();
    assert!(signed.is_empty(), "signed requests reached production: {signed:?}");
}

#[tokio::test]
async fn order_place_needs_an_identical_recent_test() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let text = mcp.err("order_place", limit_buy(&price, "0.001", "testnet")).await;
    assert!(text.contains("order_test"), "{text}");
    // A test of a different quantity does not license this one.
    mcp.ok("order_test", limit_buy(&price, "0.0005", "testnet")).await;
    let text = mcp.err("order_place", limit_buy(&price, "0.001", "testnet")).await;
    assert!(text.contains("test_before_real"), "{text}");
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);
    // The identical payload (0.0010 == 0.001) passes once tested.
    mcp.ok("order_test", limit_buy(&price, "0.0010", "testnet")).await;
    let placed = mcp.ok("order_place", limit_buy(&price, "0.001", "testnet")).await;
    assert_eq!(placed["status"], "NEW", "{placed}");
    assert_eq!(placed["provisional"], false);
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 1);
}

#[tokio::test]
async fn invalid_orders_never_leave_the_machine() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let text = mcp.err("order_test", limit_buy(&price, "0.000015", "testnet")).await;
    assert!(text.contains("LOT_SIZE") && text.contains("0.00001"), "{text}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0
    );
}

#[tokio::test]
async fn production_needs_a_testnet_rehearsal_of_the_shape() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "production").await;
    let mut order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "production");
    order["confirm_production"] = json!(true);
    mcp.ok("order_test", order.clone()).await;
    let text = mcp.err("order_place", order.clone()).await;
    assert!(text.contains("rehearse_on_testnet"), "{text}");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        0
    );

    // Same shape (different amounts) rehearsed on testnet: production may go ahead.
    let (tbid, _) = mcp.book("BTCUSDT", "testnet").await;
    mcp.ok(
        "order_test",
        limit_buy(&price_near(&tbid, "0.97", "0.01"), "0.0005", "testnet"),
    )
    .await;
    let placed = mcp.ok("order_place", order).await;
    assert_eq!(placed["environment"], "production");
    assert_eq!(placed["status"], "NEW", "{placed}");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        1
    );
    let audit = std::fs::read_to_string(mcp.home.path().join("audit.jsonl")).expect("audit");
    assert!(
        audit.contains("\"confirmation\"") && audit.contains("order_place"),
        "{audit}"
    );
    assert!(!audit.contains(TEST_SECRET), "secret in the audit log");
}

#[tokio::test]
async fn kill_switch_stops_orders_but_not_cancels() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "testnet");
    let placed = mcp.test_and_place(order.clone()).await;
    std::fs::write(mcp.home.path().join("HALT"), "stop").expect("halt");
    mcp.ok("order_test", order.clone()).await;
    let text = mcp.err("order_place", order).await;
    assert!(text.contains("kill_switch"), "{text}");
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 1);
    let canceled = mcp
        .ok(
            "order_cancel",
            json!({"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"], "environment": "testnet"}),
        )
        .await;
    assert_eq!(canceled["order"]["status"], "CANCELED");
}

#[tokio::test]
async fn paper_mode_sends_no_order() {
    let ex = Exchanges::start().await;
    let mut env = ex.env();
    env.push(("BINANCE_TRADE_MODE".into(), "paper".into()));
    let mcp = connect(&env, &[]).await;
    let order =
        json!({"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "environment": "testnet"});
    let placed = mcp.test_and_place(order.clone()).await;
    let order_again = order;
    assert_eq!(placed["mode"], "paper");
    // A MARKET order fills at once at the mirrored touch, on paper.
    assert_eq!(placed["status"], "FILLED", "{placed}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        1
    );
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);
    let ledger = journal(mcp.home.path());
    assert!(ledger.contains("paper_event"), "{ledger}");
    // A paper fill uses up its test like a real order does.
    let text = mcp.err("order_place", order_again).await;
    assert!(text.contains("test_before_real"), "{text}");
}

#[tokio::test]
async fn unknown_outcome_is_reconciled_and_never_resent() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "testnet");
    mcp.ok("order_test", order.clone()).await;
    set_faults(&ex.testnet.base_url, json!({"execute_then_503": 1})).await;
    let placed = mcp.ok("order_place", order).await;
    assert_eq!(placed["outcome"], "reconciled_after_unknown_outcome", "{placed}");
    assert_eq!(placed["status"], "NEW");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await,
        1,
        "the order POST was re-sent"
    );
    let open = mcp
        .ok(
            "order_open_list",
            json!({"symbol": "BTCUSDT", "environment": "testnet"}),
        )
        .await;
    let same: Vec<_> = open["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter(|o| o["clientOrderId"] == placed["client_order_id"])
        .collect();
    assert_eq!(same.len(), 1, "exactly one order at the exchange: {open}");
    let ledger = journal(mcp.home.path());
    assert!(
        ledger.contains("order_unknown") && ledger.contains("reconciled"),
        "{ledger}"
    );
}

#[tokio::test]
async fn read_only_mode_lists_no_state_changing_tool() {
    let ex = Exchanges::start().await;
    let mut env = ex.env();
    env.push(("BINANCE_READ_ONLY".into(), "1".into()));
    let mcp = connect(&env, &[]).await;
    let tools = mcp.client.list_all_tools().await.expect("list");
    for tool in &tools {
        assert_eq!(
            tool.annotations.as_ref().and_then(|a| a.read_only_hint),
            Some(true),
            "{} listed in read-only mode",
            tool.name
        );
    }
    assert!(!tools.iter().any(|t| t.name == "order_place"));
}

#[tokio::test]
async fn limits_in_memory_md_are_enforced_and_a_broken_front_matter_refuses_orders() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "testnet");
    let memory_md = mcp.home.path().join("memory.md");
    let tests_before = count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await;
    assert_eq!(tests_before, 0);
    // The first call creates memory.md from the template.
    mcp.ok("memory_read", json!({"file": "memory"})).await;
    let template = std::fs::read_to_string(&memory_md).expect("template");
    assert!(template.contains("max_order_notional"), "{template}");

    // A passed test, then the human lowers the limit: the placement is refused.
    mcp.ok("order_test", order.clone()).await;
    std::fs::write(
        &memory_md,
        "---\nprofile: conservative\nmax_order_notional:\n  USDT: 50\n---\n",
    )
    .expect("write");
    let text = mcp.err("order_place", order.clone()).await;
    assert!(text.contains("max_order_notional"), "{text}");
    // And a test the limits would refuse is refused before anything is sent.
    let text = mcp.err("order_test", order.clone()).await;
    assert!(text.contains("max_order_notional"), "{text}");

    std::fs::write(
        &memory_md,
        "---\nprofile: conservative\nallowed_symbols: [ETHUSDT]\n---\n",
    )
    .expect("write");
    let text = mcp.err("order_place", order.clone()).await;
    assert!(text.contains("symbol_not_allowed"), "{text}");

    let broken = "---\nprofile: conservative\nmax_order_notionl:\n  USDT: 50\n---\nnotes\n";
    std::fs::write(&memory_md, broken).expect("write");
    let text = mcp.err("order_place", order.clone()).await;
    assert!(text.contains("memory_md_broken") && text.contains("line 3"), "{text}");
    assert_eq!(
        std::fs::read_to_string(&memory_md).expect("read"),
        broken,
        "memory.md was rewritten"
    );
    // The agent cannot write around it either.
    mcp.err("memory_append", json!({"file": "memory", "text": "raise my limits"}))
        .await;
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);
}

#[tokio::test]
async fn one_passed_test_allows_one_order() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = limit_buy(&price_near(&bid, "0.98", "0.01"), "0.001", "testnet");
    mcp.test_and_place(order.clone()).await;
    // A retry of the same call (a timeout on the agent's side, say) must not place a duplicate.
    let text = mcp.err("order_place", order).await;
    assert!(text.contains("test_before_real"), "{text}");
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 1);
}
