//! Rate limits and faults through a real MCP client against emulator processes: Retry-After,
//! bans that outlive the server, clock re-sync, a storm of agent calls against a small weight
//! limit, dropped connections, and the circuit breaker. Loopback only; every step is bounded.
#![allow(deprecated)] // MCP logging notifications (SEP-2577) are what the server sends alerts as.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use rmcp::model::{CallToolRequestParams, CallToolResult, LoggingMessageNotificationParam};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// An emulator process with extra arguments (e.g. `--weight-limit 300`).
async fn emulator(seed: u64, extra: &[&str]) -> EmulatorProcess {
    let seed = seed.to_string();
    let mut args = vec![
        "emulator",
        "--addr",
        "127.0.0.1:0",
        "--seed",
        &seed,
        "--api-key",
        TEST_KEY,
        "--api-secret",
        TEST_SECRET,
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .env_clear()
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn emulator");
    let stdout = child.stdout.take().expect("stdout");
    let base_url = tokio::time::timeout(STEP, BufReader::new(stdout).lines().next_line())
        .await
        .expect("emulator printed its URL in time")
        .expect("read")
        .expect("a line");
    EmulatorProcess { child, base_url }
}

/// Every environment pointed at one emulator, with keys (signed calls go to testnet).
fn env_for(base_url: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("BINANCE_BASE_URL", base_url),
        ("BINANCE_TESTNET_BASE_URL", base_url),
        ("BINANCE_DEMO_BASE_URL", base_url),
        ("BINANCE_TESTNET_API_KEY", TEST_KEY),
        ("BINANCE_TESTNET_API_SECRET", TEST_SECRET),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.push(("RUST_LOG".into(), "error".into()));
    // One emulator stands for all three environments here: testnet's user-data subscription
    // (its clock sync, its WebSocket upgrade) would take the REST faults meant for production.
    env.push(("BINANCE_USER_STREAM".into(), "0".into()));
    env
}

/// Logging notifications a client received.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<Vec<LoggingMessageNotificationParam>>>);

impl ClientHandler for Notes {
    async fn on_logging_message(&self, params: LoggingMessageNotificationParam, _: NotificationContext<RoleClient>) {
        self.0.lock().expect("notes").push(params);
    }
}

/// A server process on `home` spoken to by an MCP client with `handler`.
async fn server<H: ClientHandler>(handler: H, env: &[(String, String)], home: &Path) -> RunningService<RoleClient, H> {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("BINANCE_HOME", home)
        .env("BINANCE_HTTP_TIMEOUT_MS", "5000");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let transport = TokioChildProcess::new(cmd).expect("spawn server");
    tokio::time::timeout(STEP, handler.serve(transport))
        .await
        .expect("initialize in time")
        .expect("initialize")
}

async fn call<H: ClientHandler>(client: &RunningService<RoleClient, H>, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(map) = args else {
        panic!("arguments must be an object")
    };
    tokio::time::timeout(
        STEP,
        client.call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map)),
    )
    .await
    .expect("tool answered in time")
    .expect("tool call transported")
}

async fn ok<H: ClientHandler>(client: &RunningService<RoleClient, H>, tool: &str, args: Value) -> Value {
    let r = call(client, tool, args.clone()).await;
    assert_ne!(r.is_error, Some(true), "{tool} {args} failed: {}", text(&r));
    r.structured_content.clone().expect("structured content")
}

async fn err<H: ClientHandler>(client: &RunningService<RoleClient, H>, tool: &str, args: Value) -> String {
    let r = call(client, tool, args.clone()).await;
    assert_eq!(r.is_error, Some(true), "{tool} {args} should have failed: {}", text(&r));
    text(&r)
}

/// `/api/` requests in an emulator's log (the hooks themselves are not logged).
async fn api_requests(base_url: &str) -> Vec<Value> {
    emulator_requests(base_url)
        .await
        .into_iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/")))
        .collect()
}

async fn clear(base_url: &str, hook: &str) {
    let status = reqwest::Client::new()
        .delete(format!("{base_url}/emulator/{hook}"))
        .send()
        .await
        .expect("hook")
        .status();
    assert!(status.is_success(), "DELETE /emulator/{hook}: {status}");
}

fn incidents(home: &Path) -> String {
    std::fs::read_to_string(home.join("incidents.md")).unwrap_or_default()
}

fn env_status<'a>(status: &'a Value, env: &str) -> &'a Value {
    status["environments"]
        .as_array()
        .and_then(|envs| envs.iter().find(|e| e["environment"] == env))
        .expect("environment in server_status")
}

#[allow(non_snake_case)]
fn BTC() -> Value {
    json!({"symbols": ["BTCUSDT"]})
}

#[tokio::test]
async fn nothing_is_sent_inside_a_retry_after_window() {
    let emu = emulator(11, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let mcp = server((), &env_for(&emu.base_url, &[]), home.path()).await;
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 429, "retry_after_secs": 30}}),
    )
    .await;

    let first = err(&mcp, "market_ticker_price", BTC()).await;
    assert!(first.contains("-1003") && first.contains("HTTP 429"), "{first}");
    for _ in 0..3 {
        let refused = err(&mcp, "market_ticker_price", BTC()).await;
        assert!(refused.contains("no request was sent, retry after"), "{refused}");
    }
    assert_eq!(
        api_requests(&emu.base_url).await.len(),
        1,
        "only the request that got the 429"
    );
    let status = ok(&mcp, "server_status", json!({})).await;
    assert!(
        env_status(&status, "production")["retry_after_until"].is_string(),
        "{status}"
    );
    let log = incidents(home.path());
    assert!(log.contains("no request to production until"), "{log}");
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out_and_the_read_retried() {
    let emu = emulator(12, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let mcp = server((), &env_for(&emu.base_url, &[]), home.path()).await;
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 429, "retry_after_secs": 2}}),
    )
    .await;

    ok(&mcp, "market_ticker_price", BTC()).await;
    let log = api_requests(&emu.base_url).await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[0]["status"].as_u64(), log[1]["status"].as_u64()),
        (Some(429), Some(200))
    );
    let gap = log[1]["time"].as_i64().expect("time") - log[0]["time"].as_i64().expect("time");
    assert!(gap >= 1_990, "retried {gap} ms after a Retry-After of 2 s");
    let incidents = incidents(home.path());
    assert!(
        incidents.contains("backed off") && incidents.contains("and retried"),
        "{incidents}"
    );
}

#[tokio::test]
async fn a_ban_halts_the_environment_even_after_a_restart() {
    let emu = emulator(13, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let env = env_for(&emu.base_url, &[]);
    let notes = Notes::default();
    let first = server(notes.clone(), &env, home.path()).await;
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 418, "retry_after_secs": 600}}),
    )
    .await;

    let banned = err(&first, "market_ticker_price", BTC()).await;
    assert!(
        banned.contains("HTTP 418") && banned.contains("IP banned until"),
        "{banned}"
    );
    let refused = err(&first, "market_book_ticker", BTC()).await;
    assert!(
        refused.contains("banned this IP on production (HTTP 418) until"),
        "{refused}"
    );
    assert!(refused.contains("no request was sent"), "{refused}");
    // The client hears about it as a logging notification.
    let deadline = Instant::now() + Duration::from_secs(5);
    let alert = loop {
        let found = notes
            .0
            .lock()
            .expect("notes")
            .iter()
            .find(|n| n.data.to_string().contains("banned"))
            .cloned();
        if let Some(n) = found {
            break n;
        }
        assert!(Instant::now() < deadline, "no logging notification about the ban");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(serde_json::to_value(alert.level).expect("level"), "error");
    assert_eq!(alert.logger.as_deref(), Some("binance.production"));
    assert!(incidents(home.path()).contains("refused further requests to production until"));
    // Other environments are not banned (another host).
    drop(first);

    let second = server((), &env, home.path()).await;
    let refused = err(&second, "market_ticker_price", BTC()).await;
    assert!(refused.contains("banned this IP on production"), "{refused}");
    let status = ok(&second, "server_status", json!({})).await;
    assert!(
        env_status(&status, "production")["banned_until"].is_string(),
        "{status}"
    );
    assert_eq!(
        api_requests(&emu.base_url).await.len(),
        1,
        "the restarted server sent nothing"
    );
}

#[tokio::test]
async fn a_timestamp_rejection_resyncs_the_clock_and_succeeds() {
    let emu = emulator(14, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let mcp = server((), &env_for(&emu.base_url, &[]), home.path()).await;
    let balances = json!({"environment": "testnet"});
    ok(&mcp, "account_balances", balances.clone()).await;
    set_faults(&emu.base_url, json!({"clock_skew_ms": 20_000})).await;
    clear(&emu.base_url, "requests").await;

    ok(&mcp, "account_balances", balances).await;
    let log = api_requests(&emu.base_url).await;
    let seen: Vec<(String, Option<u64>)> = log
        .iter()
        .map(|r| (r["path"].as_str().unwrap_or("").to_owned(), r["status"].as_u64()))
        .collect();
    assert_eq!(
        seen,
        [
            ("/api/v3/account".to_owned(), Some(400)),
            ("/api/v3/time".to_owned(), Some(200)),
            ("/api/v3/account".to_owned(), Some(200)),
        ]
    );
    let status = ok(&mcp, "server_status", json!({})).await;
    let testnet = env_status(&status, "testnet");
    let offset = testnet["clock_offset_ms"].as_i64().expect("offset");
    assert!((19_000..=21_000).contains(&offset), "{offset}");
    assert!(
        testnet["clock_warning"]
            .as_str()
            .is_some_and(|w| w.contains("sync the system clock"))
    );
    let log = incidents(home.path());
    assert!(log.contains("re-synced the clock"), "{log}");
    assert!(log.contains("clock drift on testnet"), "{log}");
}

/// Weight of the endpoints the storm uses (rest-api.md), to add up the emulator's log.
fn weight(path: &str) -> i64 {
    match path {
        "/api/v3/exchangeInfo" => 20,
        "/api/v3/ticker/price" => 2,
        _ => 1,
    }
}

#[tokio::test]
async fn an_agent_storm_is_throttled_before_binance_says_429() {
    let emu = emulator(15, &["--weight-limit", "300"]).await;
    let home = tempfile::tempdir().expect("home");
    let env = env_for(&emu.base_url, &[]);
    // Two agents on one machine share one IP, hence one budget.
    let (a, b) = (server((), &env, home.path()).await, server((), &env, home.path()).await);
    ok(&a, "market_exchange_info", BTC()).await;
    let status = ok(&b, "server_status", json!({})).await;
    let production = env_status(&status, "production");
    assert_eq!(production["limits_source"], "exchangeInfo", "{production}");
    assert_eq!(
        production["limits"][0]["limit"], 300,
        "the other server learned the limit"
    );

    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..300 {
        let peer = if i % 2 == 0 { a.peer().clone() } else { b.peer().clone() };
        calls.spawn(async move {
            let args = BTC().as_object().cloned().unwrap_or_default();
            let call = peer.call_tool(CallToolRequestParams::new("market_ticker_price").with_arguments(args));
            tokio::time::timeout(STEP, call)
                .await
                .expect("in time")
                .expect("transported")
        });
    }
    let (mut answered, mut refused) = (0, 0);
    while let Some(result) = calls.join_next().await {
        let result = result.expect("task");
        if result.is_error != Some(true) {
            answered += 1;
        } else {
            let message = text(&result);
            assert!(message.contains("no request was sent, retry after"), "{message}");
            refused += 1;
        }
    }
    let elapsed = started.elapsed();

    let log = api_requests(&emu.base_url).await;
    let limited = log
        .iter()
        .filter(|r| matches!(r["status"].as_u64(), Some(429 | 418)))
        .count();
    let mut per_window = std::collections::BTreeMap::<i64, i64>::new();
    for r in &log {
        let window = r["time"].as_i64().expect("time").div_euclid(60_000);
        *per_window.entry(window).or_default() += weight(r["path"].as_str().unwrap_or(""));
    }
    let peak = per_window.values().copied().max().unwrap_or(0);
    eprintln!(
        "storm: 300 calls from 2 servers in {elapsed:?}: {answered} answered, {refused} refused before sending; \
         {} requests reached the emulator, {limited} got 429/418, peak weight {peak} of 300 in a minute window",
        log.len()
    );
    assert_eq!(limited, 0, "the governor let Binance answer 429/418");
    assert!(peak <= 270, "peak weight {peak} crossed the 90% margin");
    assert!(refused > 0, "the storm never reached the limit, so it tested nothing");
    assert_eq!(
        answered + 1,
        log.len(),
        "every answered call is one request; refused ones sent nothing"
    );
}

#[tokio::test]
async fn a_read_survives_a_dropped_connection() {
    let emu = emulator(16, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let mcp = server((), &env_for(&emu.base_url, &[]), home.path()).await;
    set_faults(&emu.base_url, json!({"drop_connections": 1})).await;

    let prices = ok(&mcp, "market_ticker_price", BTC()).await;
    assert!(prices.to_string().contains("BTCUSDT"));
    let log = api_requests(&emu.base_url).await;
    let statuses: Vec<Option<u64>> = log.iter().map(|r| r["status"].as_u64()).collect();
    assert_eq!(statuses, [None, Some(200)], "dropped once, then retried");
    let status = ok(&mcp, "server_status", json!({})).await;
    assert_eq!(env_status(&status, "production")["retries"], 1);
}

/// The first logging notification whose text contains `needle` (waits up to 5 s).
async fn alert_containing(notes: &Notes, needle: &str) -> LoggingMessageNotificationParam {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = notes
            .0
            .lock()
            .expect("notes")
            .iter()
            .find(|n| n.data.to_string().contains(needle))
            .cloned();
        if let Some(n) = found {
            return n;
        }
        let seen: Vec<String> = notes
            .0
            .lock()
            .expect("notes")
            .iter()
            .map(|n| n.data.to_string())
            .collect();
        assert!(
            Instant::now() < deadline,
            "no logging notification with {needle:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_order_is_never_resent_after_a_5xx() {
    let emu = emulator(17, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let notes = Notes::default();
    let mcp = server(notes.clone(), &env_for(&emu.base_url, &[]), home.path()).await;
    let order =
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001", "environment": "testnet"});
    ok(&mcp, "order_test", order.clone()).await;
    set_faults(&emu.base_url, json!({"execute_then_503": 1})).await;

    // The outcome is unknown to the client; the order tool reconciles, the client never resends.
    let _ = call(&mcp, "order_place", order).await;
    let log = api_requests(&emu.base_url).await;
    let posts: Vec<&Value> = log
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"] == "/api/v3/order")
        .collect();
    assert_eq!(posts.len(), 1, "{log:?}");
    assert_eq!(posts[0]["status"], 503);
    assert!(
        log.iter().any(|r| r["method"] == "GET" && r["path"] == "/api/v3/order"),
        "reconciled by a query"
    );
    // The client hears of the lost answer as an error.
    let alert = alert_containing(&notes, "order placement answer lost on testnet").await;
    assert_eq!(serde_json::to_value(alert.level).expect("level"), "error");
    assert!(alert.data.to_string().contains("did NOT resend"), "{:?}", alert.data);
}

#[tokio::test]
async fn a_lost_list_answer_raises_the_same_error_as_a_lost_order() {
    let emu = emulator(19, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let notes = Notes::default();
    let mcp = server(notes.clone(), &env_for(&emu.base_url, &[]), home.path()).await;
    let book = ok(
        &mcp,
        "market_book_ticker",
        json!({"symbol": "BTCUSDT", "environment": "testnet"}),
    )
    .await;
    let (bid, ask) = (
        book["books"][0]["bid_price"].as_str().expect("bid"),
        book["books"][0]["ask_price"].as_str().expect("ask"),
    );
    let above = price_near(ask, "1.05", "0.01");
    let bracket = |test_only: bool| {
        json!({
            "list_type": "oco", "symbol": "BTCUSDT", "side": "SELL", "environment": "testnet",
            "quantity": qty_within_limit(&above, "0.4", "0.00001"),
            "list_client_order_id": "lost-list-1", "test_only": test_only,
            "legs": [
                {"role": "above", "type": "LIMIT_MAKER", "price": above},
                {"role": "below", "type": "STOP_LOSS_LIMIT", "stop_price": price_near(bid, "0.95", "0.01"),
                 "price": price_near(bid, "0.94", "0.01"), "time_in_force": "GTC"}
            ]
        })
    };
    ok(&mcp, "order_list_place", bracket(true)).await;
    set_faults(&emu.base_url, json!({"execute_then_503": 1})).await;

    let placed = ok(&mcp, "order_list_place", bracket(false)).await;
    assert_eq!(placed["list_status"], "EXECUTING", "{placed}");
    let alert = alert_containing(&notes, "order list placement answer lost on testnet").await;
    assert_eq!(serde_json::to_value(alert.level).expect("level"), "error");
    assert_eq!(alert.logger.as_deref(), Some("binance.testnet"));
    assert!(
        alert.data.to_string().contains("did NOT resend the oco list"),
        "{:?}",
        alert.data
    );
    assert!(incidents(home.path()).contains("did NOT resend the oco list"));
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures_and_closes_after_the_cooldown() {
    let emu = emulator(18, &[]).await;
    let home = tempfile::tempdir().expect("home");
    let mcp = server(
        (),
        &env_for(&emu.base_url, &[("BINANCE_CIRCUIT_COOLDOWN_MS", "1500")]),
        home.path(),
    )
    .await;
    set_faults(&emu.base_url, json!({"reject_all": {"status": 503}})).await;

    // A read is tried up to 4 times, so the second call makes the fifth failure in a row.
    err(&mcp, "market_ticker_price", BTC()).await;
    err(&mcp, "market_ticker_price", BTC()).await;
    let refused = err(&mcp, "market_ticker_price", BTC()).await;
    assert!(
        refused.contains("binance production unreachable 5 times in a row; not trying again until"),
        "{refused}"
    );
    assert_eq!(api_requests(&emu.base_url).await.len(), 5, "nothing sent while open");
    let status = ok(&mcp, "server_status", json!({})).await;
    assert_eq!(env_status(&status, "production")["circuit"], "open");

    clear(&emu.base_url, "faults").await;
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    ok(&mcp, "market_ticker_price", BTC()).await;
    assert_eq!(
        api_requests(&emu.base_url).await.len(),
        6,
        "one trial request closed it"
    );
    let status = ok(&mcp, "server_status", json!({})).await;
    let production = env_status(&status, "production");
    assert_eq!(
        (&production["circuit"], &production["consecutive_failures"]),
        (&json!("closed"), &json!(0))
    );
}
