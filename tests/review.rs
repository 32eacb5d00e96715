//! The human's side of the record: every gate refusal and halt is in the audit, readable in a
//! terminal (`binance-mcp memory audit|orders`) and as resources; a production ban halts
//! trading until the human resumes.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn refusals_and_orders_are_readable_from_the_terminal() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty_within_limit(&price, "0.3", "0.00001"), "price": price, "environment": "testnet"});
    // No test: refused, and the refusal is audited.
    let refused = mcp.err("order_place", order.clone()).await;
    assert!(refused.contains("test_before_real"), "{refused}");
    let placed = mcp.test_and_place(order).await;
    let client = placed["client_order_id"].as_str().expect("client id");

    let audit = memory_cli(mcp.home.path(), &["audit"]);
    assert!(audit.contains("refused order_place (test_before_real)"), "{audit}");
    assert!(
        audit.contains("testnet request POST /api/v3/order -> HTTP 200"),
        "{audit}"
    );
    let orders = memory_cli(
        mcp.home.path(),
        &["orders", "--environment", "testnet", "--symbol", "btcusdt"],
    );
    assert!(orders.contains(client) && orders.contains("accepted"), "{orders}");
    assert!(orders.contains("BUY") && orders.contains("LIMIT GTC"), "{orders}");
    let elsewhere = memory_cli(mcp.home.path(), &["orders", "--environment", "production"]);
    assert!(!elsewhere.contains(client), "{elsewhere}");
    let other_day = memory_cli(mcp.home.path(), &["orders", "--day", "2020-01-01"]);
    assert!(other_day.contains("nothing recorded yet"), "{other_day}");

    // The same, as resources.
    let read = |uri: &'static str| {
        let client = &mcp.client;
        async move {
            client
                .read_resource(rmcp::model::ReadResourceRequestParams::new(uri))
                .await
                .expect("read resource")
        }
    };
    let text = |r: rmcp::model::ReadResourceResult| format!("{:?}", r.contents);
    assert!(text(read("binance://audit").await).contains("test_before_real"));
    assert!(text(read("binance://orders").await).contains(client));
}

#[tokio::test]
async fn a_production_ban_halts_trading_until_the_human_resumes() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    set_faults(
        &ex.production.base_url,
        json!({"status_once": {"status": 418, "retry_after_secs": 600}}),
    )
    .await;
    let banned = mcp
        .err(
            "market_ticker_price",
            json!({"symbols": ["BTCUSDT"], "environment": "production"}),
        )
        .await;
    assert!(banned.contains("418"), "{banned}");
    assert!(
        mcp.home.path().join("HALT").exists(),
        "a production 418 sets the kill switch"
    );
    let audit = memory_cli(mcp.home.path(), &["audit"]);
    assert!(audit.contains("kill switch halt: production IP ban"), "{audit}");
    // Testnet orders stop too, until the human resumes.
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty_within_limit(&price, "0.3", "0.00001"), "price": price, "environment": "testnet"});
    mcp.ok("order_test", order.clone()).await;
    let halted = mcp.err("order_place", order).await;
    assert!(halted.contains("kill_switch"), "{halted}");
}

#[tokio::test]
async fn a_testnet_ban_does_not_halt() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    set_faults(
        &ex.testnet.base_url,
        json!({"status_once": {"status": 418, "retry_after_secs": 600}}),
    )
    .await;
    let banned = mcp
        .err(
            "market_ticker_price",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        )
        .await;
    assert!(banned.contains("418"), "{banned}");
    assert!(!mcp.home.path().join("HALT").exists());
}

#[tokio::test]
async fn halt_cancel_open_leaves_no_open_order_and_asks_before_production() {
    let ex = Exchanges::start().await;
    let env = ex.env_with_production_keys();
    let mcp = connect(&env, &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    for factor in ["0.9", "0.85"] {
        let price = price_near(&bid, factor, "0.01");
        mcp.test_and_place(
            json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "quantity": qty_within_limit(&price, "0.2", "0.00001"), "price": price, "environment": "testnet"}),
        )
        .await;
    }
    let (eth_bid, _) = mcp.book("ETHUSDT", "testnet").await;
    let eth_price = price_near(&eth_bid, "0.9", "0.01");
    mcp.test_and_place(
        json!({"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty_within_limit(&eth_price, "0.2", "0.0001"), "price": eth_price, "environment": "testnet"}),
    )
    .await;
    let open = mcp.ok("order_open_list", json!({"environment": "testnet"})).await;
    assert_eq!(open["count"], 3, "{open}");

    let out = std::process::Command::new(BIN)
        .args(["halt", "runaway agent", "--cancel-open"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("BINANCE_HOME", mcp.home.path())
        .env("BINANCE_USER_STREAM", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("halt --cancel-open");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(mcp.home.path().join("HALT").exists(), "{stdout}");
    assert!(
        stdout.contains("testnet: canceled 2 open order(s) on BTCUSDT"),
        "{stdout}"
    );
    assert!(
        stdout.contains("testnet: canceled 1 open order(s) on ETHUSDT"),
        "{stdout}"
    );
    // Without a terminal nobody confirmed production: it is left alone, and the exit says so.
    assert!(stdout.contains("production: nothing canceled"), "{stdout}");
    assert!(!out.status.success());
    let open = mcp.ok("order_open_list", json!({"environment": "testnet"})).await;
    assert_eq!(open["count"], 0, "{open}");
    let audit = memory_cli(mcp.home.path(), &["audit"]);
    assert!(audit.contains("kill switch halt: runaway agent"), "{audit}");
}

#[tokio::test]
async fn the_first_production_list_of_a_shape_gets_a_runbook_entry() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    let bracket = |env: &str, bid: &str, ask: &str, test_only: bool| {
        let quantity = qty_within_limit(&price_near(ask, "1.05", "0.01"), "0.4", "0.00001");
        json!({
            "list_type": "oco", "symbol": "BTCUSDT", "side": "SELL", "quantity": quantity,
            "environment": env, "test_only": test_only, "confirm_production": env == "production",
            "legs": [
                {"role": "above", "type": "LIMIT_MAKER", "price": price_near(ask, "1.05", "0.01")},
                {"role": "below", "type": "STOP_LOSS_LIMIT", "stop_price": price_near(bid, "0.95", "0.01"),
                 "price": price_near(bid, "0.94", "0.01"), "time_in_force": "GTC"}
            ]
        })
    };
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    mcp.ok("order_list_place", bracket("testnet", &bid, &ask, true)).await;
    let (bid, ask) = mcp.book("BTCUSDT", "production").await;
    mcp.ok("order_list_place", bracket("production", &bid, &ask, true))
        .await;
    let placed = mcp
        .ok("order_list_place", bracket("production", &bid, &ask, false))
        .await;
    assert_eq!(placed["list_status"], "EXECUTING", "{placed}");
    let runbooks = std::fs::read_to_string(mcp.home.path().join("runbooks.md")).expect("runbooks");
    assert!(
        runbooks.contains("first production OCO list of this shape"),
        "{runbooks}"
    );
    assert!(runbooks.contains("reconcile: the list is EXECUTING"), "{runbooks}");
    assert!(runbooks.contains("Filters used:"), "{runbooks}");
}
