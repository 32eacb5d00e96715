//! Paper mode through the MCP client over stdio against the emulators: resting limits that fill
//! when the mirrored market crosses them, stops, OCO lists, cancels, the daily limit; and the
//! filter-change report and the first-session setup hint.

mod common;

use common::*;
use serde_json::{Value, json};

/// The paper account every paper test starts with.
const PAPER_BALANCE: &str = "USDT:10000,BTC:0.5";

fn paper_env(ex: &Exchanges) -> Vec<(String, String)> {
    let mut env = ex.env();
    env.push(("BINANCE_TRADE_MODE".into(), "paper".into()));
    env.push(("BINANCE_PAPER_BALANCE".into(), PAPER_BALANCE.into()));
    env
}

/// Moves a symbol's prices on an emulator by `factor` from now on (its `/emulator/market` hook).
async fn move_market(base_url: &str, symbol: &str, factor: &str) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("{base_url}/emulator/market"))
        .json(&json!({"symbol": symbol, "factor": factor}))
        .send()
        .await
        .expect("market hook");
    assert!(answer.status().is_success(), "market hook answered {}", answer.status());
    answer.json().await.expect("market hook JSON")
}

fn limit(side: &str, price: &str, qty: &str) -> Value {
    json!({"symbol": "BTCUSDT", "side": side, "type": "LIMIT", "time_in_force": "GTC",
           "quantity": qty, "price": price, "environment": "testnet"})
}

/// order_status until the paper order has `status` (trades print a few times a second, and a
/// stop triggers on a trade), for at most a few seconds.
async fn status_until(mcp: &Mcp, client_order_id: &Value, status: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let now = status_of(mcp, client_order_id).await;
        if now["order"]["status"] == status || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

async fn status_of(mcp: &Mcp, client_order_id: &Value) -> Value {
    mcp.ok(
        "order_status",
        json!({"symbol": "BTCUSDT", "client_order_id": client_order_id, "environment": "testnet"}),
    )
    .await
}

/// The paper BTC and USDT totals of the testnet paper account.
async fn paper_balance(mcp: &Mcp, asset: &str) -> rust_decimal::Decimal {
    let b = mcp.ok("account_balances", json!({"environment": "testnet"})).await;
    b["paper_balances"]
        .as_array()
        .expect("paper balances in paper mode")
        .iter()
        .find(|x| x["asset"] == asset)
        .map(|x| x["total"].as_str().expect("total").parse().expect("decimal"))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_paper_limit_rests_then_fills_when_the_mirrored_market_crosses_it() {
    let ex = Exchanges::start().await;
    let mcp = connect(&paper_env(&ex), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let qty = qty_within_limit(&price, "0.5", "0.00001");
    let placed = mcp.test_and_place(limit("BUY", &price, &qty)).await;
    assert_eq!(placed["mode"], "paper", "{placed}");
    assert_eq!(placed["status"], "NEW", "a limit below the market rests: {placed}");
    assert!(placed["order_id"].as_u64().expect("paper order id") >= 1_000_000_000_000_000);
    // The test went to the exchange; the order did not.
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        1
    );
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);

    let client_id = placed["client_order_id"].clone();
    let resting = status_of(&mcp, &client_id).await;
    assert_eq!(
        (resting["mode"].as_str(), resting["order"]["status"].as_str()),
        (Some("paper"), Some("NEW"))
    );
    let open = mcp
        .ok(
            "order_open_list",
            json!({"symbol": "BTCUSDT", "environment": "testnet"}),
        )
        .await;
    assert_eq!(open["mode"], "paper");
    assert!(
        open["paper_orders"]
            .as_array()
            .expect("paper orders")
            .iter()
            .any(|o| o["clientOrderId"] == client_id),
        "{open}"
    );
    let usdt_before = paper_balance(&mcp, "USDT").await;

    // The mirrored market falls 5%: the ask goes through the limit.
    move_market(&ex.testnet.base_url, "BTCUSDT", "0.95").await;
    let filled = status_of(&mcp, &client_id).await;
    assert_eq!(filled["order"]["status"], "FILLED", "{filled}");
    assert_eq!(filled["mode"], "paper");
    // A resting limit fills at its own price.
    assert_eq!(filled["avg_price"].as_str(), Some(price.as_str()), "{filled}");
    let events = mcp
        .ok(
            "order_events",
            json!({"client_order_id": client_id, "environment": "testnet"}),
        )
        .await;
    let kinds: Vec<(&str, &str)> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or(""),
                e["execution_type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(kinds, vec![("paper", "NEW"), ("paper", "TRADE")], "{events}");
    let cost: rust_decimal::Decimal =
        price.parse::<rust_decimal::Decimal>().unwrap() * qty.parse::<rust_decimal::Decimal>().unwrap();
    assert_eq!(paper_balance(&mcp, "USDT").await, usdt_before - cost);
    assert_eq!(
        paper_balance(&mcp, "BTC").await,
        "0.5".parse::<rust_decimal::Decimal>().unwrap() + qty.parse::<rust_decimal::Decimal>().unwrap()
    );
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);
}

#[tokio::test]
async fn a_paper_stop_waits_for_its_trigger_and_a_paper_cancel_ends_a_resting_order() {
    let ex = Exchanges::start().await;
    let mcp = connect(&paper_env(&ex), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let stop = price_near(&bid, "0.97", "0.01");
    let qty = qty_within_limit(&bid, "0.4", "0.00001");
    let order = json!({"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": qty,
                       "stop_price": stop, "environment": "testnet"});
    let placed = mcp.test_and_place(order).await;
    assert_eq!(
        (placed["mode"].as_str(), placed["status"].as_str()),
        (Some("paper"), Some("NEW")),
        "{placed}"
    );

    // A resting limit, canceled on paper.
    let far = price_near(&bid, "0.9", "0.01");
    let resting = mcp
        .test_and_place(limit("BUY", &far, &qty_within_limit(&far, "0.3", "0.00001")))
        .await;
    let canceled = mcp
        .ok(
            "order_cancel",
            json!({"symbol": "BTCUSDT", "order_id": resting["order_id"], "environment": "testnet"}),
        )
        .await;
    assert_eq!(
        (canceled["mode"].as_str(), canceled["order"]["status"].as_str()),
        (Some("paper"), Some("CANCELED"))
    );
    let again = mcp
        .err(
            "order_cancel",
            json!({"symbol": "BTCUSDT", "order_id": resting["order_id"], "environment": "testnet"}),
        )
        .await;
    assert!(again.contains("already CANCELED"), "{again}");

    let waiting = status_of(&mcp, &placed["client_order_id"]).await;
    assert_eq!(waiting["order"]["status"], "NEW", "{waiting}");
    move_market(&ex.testnet.base_url, "BTCUSDT", "0.95").await;
    let fired = status_until(&mcp, &placed["client_order_id"], "FILLED").await;
    assert_eq!(fired["order"]["status"], "FILLED", "{fired}");
    // A triggered market stop fills at its stop price.
    assert_eq!(fired["avg_price"].as_str(), Some(stop.as_str()), "{fired}");
    let open = mcp
        .ok(
            "order_open_list",
            json!({"symbol": "BTCUSDT", "environment": "testnet"}),
        )
        .await;
    assert!(open.get("paper_orders").is_none(), "nothing open on paper: {open}");
    assert_eq!(count_requests(&ex.testnet.base_url, "POST", "/api/v3/order").await, 0);
}

fn oco(bid: &str, ask: &str) -> Value {
    let qty = qty_within_limit(ask, "0.4", "0.00001");
    json!({
        "list_type": "oco", "symbol": "BTCUSDT", "side": "SELL", "quantity": qty, "environment": "testnet",
        "legs": [
            {"role": "above", "type": "LIMIT_MAKER", "price": price_near(ask, "1.03", "0.01")},
            {"role": "below", "type": "STOP_LOSS_LIMIT", "stop_price": price_near(bid, "0.97", "0.01"),
             "price": price_near(bid, "0.965", "0.01"), "time_in_force": "GTC"}
        ]
    })
}

async fn place_list(mcp: &Mcp, list: Value) -> Value {
    let mut test = list.clone();
    test["test_only"] = json!(true);
    mcp.ok("order_list_place", test).await;
    mcp.ok("order_list_place", list).await
}

#[tokio::test]
async fn a_paper_oco_fills_one_leg_and_expires_the_other_and_a_paper_list_cancels() {
    let ex = Exchanges::start().await;
    let mcp = connect(&paper_env(&ex), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;

    // One list canceled whole.
    let first = place_list(&mcp, oco(&bid, &ask)).await;
    assert_eq!(
        (first["mode"].as_str(), first["list_status"].as_str()),
        (Some("paper"), Some("EXECUTING")),
        "{first}"
    );
    let canceled = mcp
        .ok(
            "order_list_cancel",
            json!({"symbol": "BTCUSDT", "list_client_order_id": first["list_client_order_id"], "environment": "testnet"}),
        )
        .await;
    assert_eq!(canceled["mode"], "paper", "{canceled}");
    assert_eq!(canceled["list_status"], "ALL_DONE");
    assert!(
        canceled["legs"]
            .as_array()
            .expect("legs")
            .iter()
            .all(|l| l["status"] == "CANCELED"),
        "{canceled}"
    );

    // Another, whose above leg the market reaches.
    let list = place_list(&mcp, oco(&bid, &ask)).await;
    let legs = list["legs"].as_array().expect("legs").clone();
    assert!(legs.iter().all(|l| l["status"] == "NEW"), "{list}");
    move_market(&ex.testnet.base_url, "BTCUSDT", "1.06").await;
    let above = status_of(&mcp, &legs[0]["client_order_id"]).await;
    let below = status_of(&mcp, &legs[1]["client_order_id"]).await;
    assert_eq!(above["order"]["status"], "FILLED", "{above}");
    assert_eq!(below["order"]["status"], "EXPIRED", "{below}");
    assert_eq!(below["order"]["expiryReason"], "OCO_TRIGGER", "{below}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/orderList/oco").await,
        0
    );
}

#[tokio::test]
async fn paper_orders_count_toward_the_daily_limit() {
    let ex = Exchanges::start().await;
    let home = tempfile::tempdir().expect("home");
    // 150 USDT a day on testnet: one order of about 90 USDT passes, a second does not.
    std::fs::write(
        home.path().join("memory.md"),
        "---\nprofile: conservative\nmax_daily_notional:\n  testnet:\n    USDT: 150\n---\n",
    )
    .expect("memory.md");
    let mcp = connect_with_home(&paper_env(&ex), home.path()).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let qty = qty_within_limit(&price, "0.9", "0.00001");
    let first = mcp.test_and_place(limit("BUY", &price, &qty)).await;
    assert_eq!(first["mode"], "paper");
    let second = limit("BUY", &price_near(&bid, "0.97", "0.01"), &qty);
    let refused = mcp.err("order_test", second).await;
    assert!(refused.contains("max_daily_notional"), "{refused}");
    let audit = std::fs::read_to_string(home.path().join("audit.jsonl")).unwrap_or_default();
    assert!(audit.contains("max_daily_notional"), "the refusal is audited: {audit}");
}

/// Changes a filter as an emulator's exchangeInfo shows it.
async fn change_filter(base_url: &str, change: Value) {
    let status = reqwest::Client::new()
        .post(format!("{base_url}/emulator/filters"))
        .json(&change)
        .send()
        .await
        .expect("filters hook")
        .status();
    assert!(status.is_success(), "filters hook answered {status}");
}

#[tokio::test]
async fn a_filter_change_is_reported_in_the_result_and_recorded_once() {
    let ex = Exchanges::start().await;
    let home = tempfile::tempdir().expect("home");
    let mut env = ex.env();
    // Every server process fetches exchangeInfo afresh (no snapshot stands in for it).
    env.push(("BINANCE_SNAPSHOT_MAX_AGE_SECS".into(), "0".into()));
    let (bid, _) = {
        let first = connect_with_home(&env, home.path()).await;
        let book = first.book("BTCUSDT", "testnet").await;
        let price = price_near(&book.0, "0.98", "0.01");
        let seen = first.ok("order_validate", limit("BUY", &price, "0.001")).await;
        assert!(seen.get("filter_changes").is_none(), "first sight is no change: {seen}");
        let eth =
            json!({"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "environment": "testnet"});
        first.ok("order_validate", eth).await;
        book
    };
    change_filter(
        &ex.testnet.base_url,
        json!({"symbol": "BTCUSDT", "filterType": "LOT_SIZE", "minQty": "0.00100000"}),
    )
    .await;
    change_filter(
        &ex.testnet.base_url,
        json!({"symbol": "ETHUSDT", "filterType": "PRICE_FILTER", "tickSize": "0.10000000"}),
    )
    .await;

    let second = connect_with_home(&env, home.path()).await;
    let price = price_near(&bid, "0.98", "0.01");
    let validated = second.call("order_validate", limit("BUY", &price, "0.0005")).await;
    let text = text(&validated);
    assert!(text.contains("FILTERS CHANGED"), "{text}");
    let out = validated.structured_content.expect("structured");
    let changes: Vec<&str> = out["filter_changes"]
        .as_array()
        .expect("filter_changes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        changes
            .iter()
            .any(|c| c.contains("BTCUSDT LOT_SIZE.minQty") && c.ends_with("-> 0.00100000")),
        "{changes:?}"
    );
    assert_eq!(out["valid"], false, "the new minQty refuses 0.0005: {out}");
    // The test path reports too (ETHUSDT's first fresh fetch in this process is order_test's).
    let eth =
        json!({"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01", "environment": "testnet"});
    let tested = second.ok("order_test", eth).await;
    let eth_changes = tested["filter_changes"]
        .as_array()
        .expect("order_test reports the change");
    assert!(
        eth_changes
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("PRICE_FILTER.tickSize"))),
        "{tested}"
    );
    // Seen once: not reported again in this process, nor by the next one.
    let again = second.ok("order_validate", limit("BUY", &price, "0.002")).await;
    assert!(again.get("filter_changes").is_none(), "{again}");
    drop(second);
    let third = connect_with_home(&env, home.path()).await;
    let later = third.ok("order_validate", limit("BUY", &price, "0.002")).await;
    assert!(later.get("filter_changes").is_none(), "{later}");
    let incidents = std::fs::read_to_string(home.path().join("incidents.md")).expect("incidents.md");
    assert_eq!(incidents.matches("BTCUSDT rules changed").count(), 1, "{incidents}");
    assert_eq!(incidents.matches("ETHUSDT rules changed").count(), 1, "{incidents}");
    assert_eq!(incidents.matches("· filters changed").count(), 2, "{incidents}");
    assert!(
        !incidents.contains("count=2"),
        "each change is recorded once: {incidents}"
    );
}

#[tokio::test]
async fn the_first_session_is_told_what_is_not_set_up_yet() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let instructions = mcp
        .client
        .peer_info()
        .and_then(|i| i.instructions.clone())
        .unwrap_or_default();
    assert!(instructions.contains("server_status"), "{instructions}");
    let r = mcp.call("server_status", json!({})).await;
    let summary = text(&r);
    assert!(summary.contains("SETUP (first session)"), "{summary}");
    assert!(summary.contains("LIVE mode"), "{summary}");
    let status = r.structured_content.expect("structured");
    let setup = &status["setup"];
    assert_eq!(setup["first_session"], true);
    let not_set: Vec<&str> = setup["not_set"]
        .as_array()
        .expect("not_set")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "production keys",
        "demo keys",
        "trading limits",
        "production approval",
        "trade mode live",
    ] {
        assert!(
            not_set.iter().any(|n| n.starts_with(expected)),
            "{expected} missing from {not_set:?}"
        );
    }
    let configured = setup["configured"].to_string();
    assert!(configured.contains("testnet keys set"), "{configured}");
    assert!(setup["next_step"].as_str().unwrap_or("").contains("skill/setup.md"));

    // The human sets the mode and reviews the limits: a later session is not the first, and
    // what was set is reported as set.
    std::fs::write(mcp.home.path().join("memory.md"), "---\nprofile: balanced\n---\n").expect("memory.md");
    let mut env = ex.env();
    env.push(("BINANCE_TRADE_MODE".into(), "paper".into()));
    let later = connect_with_home(&env, mcp.home.path()).await;
    let instructions = later
        .client
        .peer_info()
        .and_then(|i| i.instructions.clone())
        .unwrap_or_default();
    assert!(instructions.contains("PAPER MODE"), "{instructions}");
    let status = later.ok("server_status", json!({})).await;
    assert_eq!(status["setup"]["first_session"], false);
    let configured = status["setup"]["configured"].to_string();
    assert!(configured.contains("trade mode paper"), "{configured}");
    assert!(configured.contains("profile Balanced"), "{configured}");
}

#[tokio::test]
async fn a_production_paper_order_mirrors_production_and_sends_nothing() {
    let ex = Exchanges::start().await;
    let mut env = ex.env_with_production_keys();
    env.push(("BINANCE_TRADE_MODE".into(), "paper".into()));
    let mcp = connect(&env, &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "production").await;
    let price = price_near(&bid, "0.98", "0.01");
    let qty = qty_within_limit(&price, "0.5", "0.00001");
    // The shape is rehearsed on testnet first, as for a live production order.
    let mut rehearsal = limit("BUY", &price, &qty);
    rehearsal["environment"] = json!("testnet");
    mcp.ok("order_test", rehearsal).await;
    let mut order = limit("BUY", &price, &qty);
    order["environment"] = json!("production");
    order["confirm_production"] = json!(true);
    let placed = mcp.test_and_place(order).await;
    assert_eq!(
        (placed["mode"].as_str(), placed["status"].as_str()),
        (Some("paper"), Some("NEW")),
        "{placed}"
    );
    move_market(&ex.production.base_url, "BTCUSDT", "0.95").await;
    let filled = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"],
                   "environment": "production", "confirm_production": true}),
        )
        .await;
    assert_eq!(filled["order"]["status"], "FILLED", "{filled}");
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order/test").await,
        1
    );
    assert_eq!(
        count_requests(&ex.production.base_url, "POST", "/api/v3/order").await,
        0
    );
}

#[tokio::test]
async fn the_emergency_stop_cancels_open_paper_orders_too() {
    let ex = Exchanges::start().await;
    let env = paper_env(&ex);
    let mcp = connect(&env, &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.95", "0.01");
    mcp.test_and_place(limit("BUY", &price, &qty_within_limit(&price, "0.4", "0.00001")))
        .await;
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
    assert!(
        stdout.contains("testnet: canceled 1 open order(s) on BTCUSDT (paper)"),
        "{stdout}"
    );
    let open = mcp
        .ok(
            "order_open_list",
            json!({"symbol": "BTCUSDT", "environment": "testnet"}),
        )
        .await;
    assert!(open.get("paper_orders").is_none(), "{open}");
}

#[tokio::test]
async fn a_paper_opo_puts_its_pending_sell_on_paper_when_the_working_buy_fills() {
    let ex = Exchanges::start().await;
    let mcp = connect(&paper_env(&ex), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let working_price = price_near(&bid, "0.98", "0.01");
    let pending_price = price_near(&ask, "1.05", "0.01");
    let qty = qty_within_limit(&pending_price, "0.4", "0.00001");
    let list = json!({
        "list_type": "opo", "symbol": "BTCUSDT", "environment": "testnet",
        "legs": [
            {"role": "working", "type": "LIMIT", "side": "BUY", "quantity": qty,
             "price": working_price, "time_in_force": "GTC"},
            {"role": "pending", "type": "LIMIT_MAKER", "price": pending_price}
        ]
    });
    let placed = place_list(&mcp, list).await;
    assert_eq!(
        (placed["mode"].as_str(), placed["list_status"].as_str()),
        (Some("paper"), Some("EXECUTING")),
        "{placed}"
    );
    let legs = placed["legs"].as_array().expect("legs").clone();
    let (working, pending) = (&legs[0]["client_order_id"], &legs[1]["client_order_id"]);
    assert_eq!(status_of(&mcp, pending).await["order"]["status"], "PENDING_NEW");

    // The mirrored market falls through the working BUY: it fills, and the pending SELL goes live.
    move_market(&ex.testnet.base_url, "BTCUSDT", "0.95").await;
    assert_eq!(status_of(&mcp, working).await["order"]["status"], "FILLED");
    assert_eq!(status_of(&mcp, pending).await["order"]["status"], "NEW");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/orderList/opo").await,
        0,
        "nothing but the tests reached the exchange"
    );
}
