//! The order desk under attack: an agent trying to get more orders out of one passed test, or
//! orders past the human's limits (DESIGN.md §4). Each test counts what reached the emulated
//! exchange (its request log) and reads the rule the refusal names.

mod common;

use std::str::FromStr;

use common::*;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const ORDER: &str = "/api/v3/order";

fn limit_buy(price: &str, qty: &str) -> Value {
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": qty, "price": price, "environment": "testnet"})
}

fn market_buy(qty: &str) -> Value {
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": qty, "environment": "testnet"})
}

fn with(mut order: Value, key: &str, value: Value) -> Value {
    order[key] = value;
    order
}

/// `POST /api/v3/order` requests the exchange accepted (HTTP 200) whose parameters contain
/// `needle` (e.g. `type=MARKET`): the orders that actually exist there.
async fn accepted_orders(base_url: &str, needle: &str) -> usize {
    emulator_requests(base_url)
        .await
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == ORDER && r["status"] == 200)
        .filter(|r| {
            r["query"].as_str().unwrap_or("").contains(needle) || r["body"].as_str().unwrap_or("").contains(needle)
        })
        .count()
}

/// Calls `tool` with `args` once per peer, all at once; every answer, in no particular order.
async fn call_at_once(peers: Vec<rmcp::Peer<rmcp::RoleClient>>, tool: &str, args: Value) -> Vec<CallToolResult> {
    let Value::Object(map) = args else {
        panic!("arguments must be an object")
    };
    let mut calls = tokio::task::JoinSet::new();
    for peer in peers {
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(map.clone());
        calls.spawn(async move { tokio::time::timeout(STEP, peer.call_tool(params)).await });
    }
    let mut results = Vec::new();
    while let Some(done) = calls.join_next().await {
        let answer = done
            .expect("call task")
            .expect("tool answered in time")
            .expect("tool call transported");
        results.push(answer);
    }
    results
}

fn refused(r: &CallToolResult) -> bool {
    r.is_error == Some(true)
}

/// Every refused call of a burst was refused because the one test was used up, not for
/// another reason.
fn refused_as_used_up(results: &[CallToolResult]) {
    for r in results.iter().filter(|r| refused(r)) {
        assert!(text(r).contains("test_before_real"), "{}", text(r));
    }
}

fn texts(results: &[CallToolResult]) -> Vec<String> {
    results.iter().map(text).collect()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// memory.md: the template, plus `extra` lines under `max_daily_notional:`.
fn memory_md_with_daily(extra: &str) -> String {
    let template = include_str!("../memory-template/memory.md");
    let at = template
        .find("max_daily_notional:")
        .expect("the template names max_daily_notional");
    let line_end = at + template[at..].find('\n').expect("a line");
    format!("{}\n{extra}{}", &template[..line_end], &template[line_end + 1..])
}

// Attack: reuse a client id the exchange once refused as a duplicate, so that every later
// attempt under that id counts as "rejected" and gives the one test back again and again.
#[tokio::test]
async fn a_reused_client_order_id_never_buys_more_than_one_order() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let base = &ex.testnet.base_url;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let below = price_near(&bid, "0.9", "0.01");
    let resting = with(
        limit_buy(&below, &qty_within_limit(&below, "0.3", "0.00001")),
        "client_order_id",
        json!("X2"),
    );
    let placed = mcp.test_and_place(resting).await;
    let resting_id = placed["order_id"].as_u64().expect("order id");

    let market = market_buy(&qty_within_limit(&price_near(&ask, "1.05", "0.01"), "0.3", "0.00001"));
    mcp.ok("order_test", market.clone()).await;
    let reused = with(market, "client_order_id", json!("X2"));
    // A test under an id that already names an order is refused at once: no test is spent.
    let early = mcp.err("order_test", reused.clone()).await;
    assert!(early.contains("client_order_id_reused"), "{early}");
    // Binance answers -2010 (duplicate among open orders), or the gate refuses the reused id.
    let first = mcp.call("order_place", reused.clone()).await;
    mcp.ok(
        "order_cancel",
        json!({"symbol": "BTCUSDT", "order_id": resting_id, "environment": "testnet"}),
    )
    .await;
    let mut again = Vec::new();
    for _ in 0..3 {
        again.push(mcp.call("order_place", reused.clone()).await);
    }

    let markets = accepted_orders(base, "type=MARKET").await;
    assert!(
        markets <= 1,
        "{markets} MARKET orders reached the exchange on one passed test: {:?}",
        texts(&again)
    );
    assert!(refused(&first), "the duplicate id was accepted: {}", text(&first));
    assert!(
        again.iter().all(refused),
        "a placement without a new test went through: {:?}",
        texts(&again)
    );
    for t in texts(&again) {
        assert!(
            t.contains("client_order_id_reused") || t.contains("test_before_real"),
            "{t}"
        );
    }
}

// Attack: fire the same order_place six times at once, so each call reads "test unused" before
// any of them records its reservation.
#[tokio::test]
async fn six_simultaneous_places_on_one_test_send_one_order() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = limit_buy(&price, &qty_within_limit(&price, "0.3", "0.00001"));
    mcp.ok("order_test", order.clone()).await;

    let peers = (0..6).map(|_| mcp.client.peer().clone()).collect();
    let results = call_at_once(peers, "order_place", order).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert_eq!(posts, 1, "one test, {posts} orders sent: {:?}", texts(&results));
    let accepted = results.iter().filter(|r| !refused(r)).count();
    assert_eq!(accepted, 1, "{:?}", texts(&results));
    refused_as_used_up(&results);
}

// Attack: the same, on production, where the gate awaits a look-up on testnet (is the symbol
// listed there?) between reading the test as unused and reserving it: a slow testnet holds the
// door open for every simultaneous call.
#[tokio::test]
async fn six_simultaneous_production_places_on_one_test_send_one_order() {
    let ex = Exchanges::start().await;
    let env = ex.env_with_production_keys();
    // Filters snapshots off (a documented setting): A asks testnet itself.
    let mut env_a = env.clone();
    env_a.push(("BINANCE_SNAPSHOT_MAX_AGE_SECS".into(), "0".into()));
    let a = connect(&env_a, &[]).await;
    // The shape is rehearsed on testnet through another server on the same memory folder, so
    // that A has not looked testnet's symbol up yet.
    let rehearsal = connect_with_home(&env, a.home.path()).await;
    let (test_bid, _) = rehearsal.book("BTCUSDT", "testnet").await;
    let test_price = price_near(&test_bid, "0.9", "0.01");
    rehearsal
        .ok(
            "order_test",
            limit_buy(&test_price, &qty_within_limit(&test_price, "0.3", "0.00001")),
        )
        .await;
    let (bid, _) = a.book("BTCUSDT", "production").await;
    let price = price_near(&bid, "0.9", "0.01");
    let mut order = limit_buy(&price, &qty_within_limit(&price, "0.3", "0.00001"));
    order["environment"] = json!("production");
    order["confirm_production"] = json!(true);
    a.ok("order_test", order.clone()).await;
    set_faults(&ex.testnet.base_url, json!({"latency_ms": 300})).await;

    let peers = (0..6).map(|_| a.client.peer().clone()).collect();
    let results = call_at_once(peers, "order_place", order).await;

    let posts = count_requests(&ex.production.base_url, "POST", ORDER).await;
    assert_eq!(
        posts,
        1,
        "one production test, {posts} production orders sent: {:?}",
        texts(&results)
    );
    let accepted = results.iter().filter(|r| !refused(r)).count();
    assert_eq!(accepted, 1, "{:?}", texts(&results));
    refused_as_used_up(&results);
}

// Attack: run two server processes on one memory folder and place through both at once, so
// neither sees the other's reservation of the one test.
#[tokio::test]
async fn two_servers_on_one_memory_folder_share_one_test() {
    let ex = Exchanges::start().await;
    let a = connect(&ex.env(), &[]).await;
    let b = connect_with_home(&ex.env(), a.home.path()).await;
    let (bid, _) = a.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = limit_buy(&price, &qty_within_limit(&price, "0.3", "0.00001"));
    a.ok("order_test", order.clone()).await;

    let peers = (0..3)
        .map(|_| a.client.peer().clone())
        .chain((0..3).map(|_| b.client.peer().clone()))
        .collect();
    let results = call_at_once(peers, "order_place", order).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert!(
        posts <= 1,
        "one test, {posts} orders sent by two servers: {:?}",
        texts(&results)
    );
    let accepted = results.iter().filter(|r| !refused(r)).count();
    assert_eq!(accepted, posts, "{:?}", texts(&results));
    refused_as_used_up(&results);
}

// Attack: split a big position into the two legs of an OTO, each under the per-order limit,
// though both execute (the pending leg once the working one fills).
#[tokio::test]
async fn an_oto_is_sized_as_the_sum_of_its_legs() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let base = &ex.testnet.base_url;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let (working_price, pending_price) = (price_near(&bid, "0.95", "0.01"), price_near(&bid, "0.9", "0.01"));
    let list = |test_only: bool| {
        json!({
            "list_type": "oto", "symbol": "BTCUSDT", "environment": "testnet", "test_only": test_only,
            "legs": [
                {"role": "working", "type": "LIMIT", "side": "BUY", "time_in_force": "GTC",
                 "quantity": qty_within_limit(&working_price, "0.6", "0.00001"), "price": working_price},
                {"role": "pending", "type": "LIMIT", "side": "BUY", "time_in_force": "GTC",
                 "quantity": qty_within_limit(&pending_price, "0.6", "0.00001"), "price": pending_price}
            ]
        })
    };
    let tested = mcp.call("order_list_place", list(true)).await;
    let placed = mcp.call("order_list_place", list(false)).await;

    let lists = count_requests(base, "POST", "/api/v3/orderList/oto").await;
    assert_eq!(
        lists,
        0,
        "an OTO worth ~120% of the per-order limit reached the exchange: {}",
        text(&placed)
    );
    assert_eq!(count_requests(base, "POST", "/api/v3/order/test").await, 0);
    assert!(refused(&tested), "the list's test passed: {}", text(&tested));
    assert!(text(&tested).contains("max_order_notional"), "{}", text(&tested));
    assert!(refused(&placed), "{}", text(&placed));
}

// Attack: a BUY STOP_LOSS is a market order at its trigger; sized at today's price it looks
// small, but it buys at the stop, above the market.
#[tokio::test]
async fn a_buy_stop_is_sized_at_its_trigger() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    // 90% of the limit at the ask; 108% at a stop 1.2 x the ask.
    let qty = qty_within_limit(&ask, "0.9", "0.00001");
    // A BUY TAKE_PROFIT triggers below the market: sized at the reference price, it fits.
    let take_profit = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "TAKE_PROFIT", "quantity": qty,
        "stop_price": price_near(&bid, "0.9", "0.01"), "environment": "testnet"});
    mcp.ok("order_test", take_profit).await;

    let stop = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": qty,
        "stop_price": price_near(&ask, "1.2", "0.01"), "environment": "testnet"});
    let tested = mcp.call("order_test", stop.clone()).await;
    let placed = mcp.call("order_place", stop).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert_eq!(
        posts,
        0,
        "a stop worth ~108% of the limit at its trigger reached the exchange: {}",
        text(&placed)
    );
    assert!(refused(&tested), "its test passed: {}", text(&tested));
    assert!(text(&tested).contains("max_order_notional"), "{}", text(&tested));
}

// Attack: trade a pair whose quote asset no limit line names (EUR): the gate has nothing to
// compare it with and lets any size through.
#[tokio::test]
async fn a_quote_asset_no_limit_names_is_refused() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (_, ask) = mcp.book("BTCEUR", "testnet").await;
    // 0.0002 BTC: some 18 EUR, above the 5 EUR minimum; no limit line says how much is too much.
    let order = json!({"symbol": "BTCEUR", "side": "SELL", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.0002", "price": price_near(&ask, "1.02", "0.01"), "environment": "testnet"});
    let tested = mcp.call("order_test", order.clone()).await;
    let placed = mcp.call("order_place", order).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert_eq!(
        posts,
        0,
        "an order in a quote asset without limits reached the exchange: {}",
        text(&placed)
    );
    let t = text(&tested);
    assert!(refused(&tested), "its test passed: {t}");
    assert!(t.contains("quote_asset_unlimited"), "{t}");
    assert!(t.contains("EUR:"), "the line to add to memory.md: {t}");
}

// Attack: after the exchange rejects an order under an agent-given client id, keep placing under
// that id (each attempt counts as the rejected one) and then without one.
#[tokio::test]
async fn a_rejection_gives_back_only_its_own_test() {
    let ex = Exchanges::start().await;
    let a = connect(&ex.env(), &[]).await;
    let (bid, ask) = a.book("BTCUSDT", "testnet").await;
    let market = market_buy(&qty_within_limit(&price_near(&ask, "1.05", "0.01"), "0.5", "0.00001"));
    a.ok("order_test", market.clone()).await;

    // Another server, allowed a big order, locks nearly all of the account's 10,000 USDT.
    let big_home = tempfile::tempdir().expect("home");
    std::fs::write(
        big_home.path().join("memory.md"),
        "---\nprofile: conservative\nmax_order_notional:\n  USDT: 20000\n---\n",
    )
    .expect("memory.md");
    let b = connect_with_home(&ex.env(), big_home.path()).await;
    let price = price_near(&bid, "0.9", "0.01");
    let lock_qty = ((dec("9990") / dec(&price) / dec("0.00001")).floor() * dec("0.00001"))
        .normalize()
        .to_string();
    let lock = b.test_and_place(limit_buy(&price, &lock_qty)).await;

    let under_r7 = with(market.clone(), "client_order_id", json!("R7"));
    let rejected = a.err("order_place", under_r7.clone()).await;
    assert!(rejected.contains("-2010"), "insufficient balance: {rejected}");
    b.ok(
        "order_cancel",
        json!({"symbol": "BTCUSDT", "order_id": lock["order_id"], "environment": "testnet"}),
    )
    .await;
    let mut later = Vec::new();
    later.push(a.call("order_place", under_r7).await);
    for _ in 0..2 {
        later.push(a.call("order_place", market.clone()).await);
    }

    let markets = accepted_orders(&ex.testnet.base_url, "type=MARKET").await;
    assert_eq!(
        markets,
        1,
        "one test and one rejection, {markets} MARKET orders at the exchange: {:?}",
        texts(&later)
    );
    assert_eq!(later.iter().filter(|r| !refused(r)).count(), 1, "{:?}", texts(&later));
}

// Attack: the human halts trading between the agent's passed test and its order_place.
#[tokio::test]
async fn the_kill_switch_holds_at_the_moment_of_sending() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = limit_buy(&price, &qty_within_limit(&price, "0.3", "0.00001"));
    mcp.ok("order_test", order.clone()).await;
    std::fs::write(mcp.home.path().join("HALT"), "halted by the human").expect("HALT");
    let placed = mcp.call("order_place", order).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert_eq!(posts, 0, "an order went out under HALT: {}", text(&placed));
    assert!(text(&placed).contains("kill_switch"), "{}", text(&placed));
}

// Attack: restart the server to start the day's notional from zero.
#[tokio::test]
async fn a_restart_keeps_the_days_notional() {
    let ex = Exchanges::start().await;
    let home = tempfile::tempdir().expect("home");
    // Each order is 30% of the per-order limit; the day allows 2.5 of them on testnet.
    let daily = (template_order_limit_usdt() * dec("0.75")).normalize();
    std::fs::write(
        home.path().join("memory.md"),
        memory_md_with_daily(&format!("  testnet:\n    USDT: {daily}\n")),
    )
    .expect("memory.md");
    let first = connect_with_home(&ex.env(), home.path()).await;
    let (bid, _) = first.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let qty = qty_within_limit(&price, "0.3", "0.00001");
    let order = limit_buy(&price, &qty);
    first.test_and_place(order.clone()).await;
    first.test_and_place(order.clone()).await;
    first.client.cancel().await.expect("stop the first server");

    let second = connect_with_home(&ex.env(), home.path()).await;
    let tested = second.call("order_test", order.clone()).await;
    let placed = second.call("order_place", order).await;

    let posts = count_requests(&ex.testnet.base_url, "POST", ORDER).await;
    assert_eq!(
        posts,
        2,
        "a third order past {daily} USDT a day went out after a restart: {}",
        text(&placed)
    );
    let refusal = if refused(&tested) { text(&tested) } else { text(&placed) };
    assert!(refusal.contains("max_daily_notional"), "{refusal}");
}
