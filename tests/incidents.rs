//! Incidents name what happened, and alerts reach every protocol revision: through the binary
//! against emulator processes, a failed cancel timer, a dropped user-data stream and a ban each
//! land in incidents.md under their own cause, endpoint and fix (none of them as a clock
//! problem), and a 2026-07-28 client that asks for log messages in a request's `_meta` hears of
//! the alerts, while a request that does not ask hears nothing.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Every environment pointed at one emulator, testnet keys set; `user_stream` keeps testnet's
/// user-data subscription (off, it cannot take the REST faults meant for a tool call).
fn env_for(base_url: &str, user_stream: bool) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("BINANCE_BASE_URL", base_url),
        ("BINANCE_TESTNET_BASE_URL", base_url),
        ("BINANCE_DEMO_BASE_URL", base_url),
        ("BINANCE_TESTNET_API_KEY", TEST_KEY),
        ("BINANCE_TESTNET_API_SECRET", TEST_SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.push(("BINANCE_USER_STREAM".into(), if user_stream { "1" } else { "0" }.into()));
    env
}

fn incidents(home: &Path) -> String {
    std::fs::read_to_string(home.join("incidents.md")).unwrap_or_default()
}

/// The incidents.md entry whose heading contains `heading`, once it is there (at most 20 s).
async fn entry(home: &Path, heading: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = incidents(home);
        if let Some(found) = text
            .split("\n## ")
            .find(|e| e.lines().next().is_some_and(|h| h.contains(heading)))
        {
            return found.to_owned();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no incident \"{heading}\" in incidents.md:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A clock incident's marks: none of them belongs on another cause's entry.
fn assert_not_a_clock_incident(entry: &str) {
    for clock in ["-1021", "GET /api/v3/time", "system clock", "NTP"] {
        assert!(!entry.contains(clock), "filed as a clock problem ({clock}):\n{entry}");
    }
}

#[tokio::test]
async fn a_failed_cancel_timer_is_filed_as_one_with_its_request_and_fix() {
    let emu = start_emulator(41).await;
    let mcp = connect(&env_for(&emu.base_url, false), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.9", "0.01");
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": price, "environment": "testnet", "cancel_after_seconds": 2});
    let placed = mcp.test_and_place(order).await;
    assert_eq!(placed["cancel_timer"]["running"], true, "{placed}");
    // Binance refuses the timer's cancel itself (a 400 no retry can change).
    set_faults(&emu.base_url, json!({"reject_all": {"status": 400}})).await;

    let timer = entry(mcp.home.path(), "cancel timer failed").await;
    assert!(timer.contains("· testnet · cancel timer failed · HTTP 400"), "{timer}");
    assert!(timer.contains("- endpoint: DELETE /api/v3/order (HTTP 400)"), "{timer}");
    assert!(timer.contains("may still be open"), "{timer}");
    assert!(
        timer.contains(
            "- fix hint: The order may still be open: query it and cancel it; see the endpoint and code for why the cancel failed. order_status shows the order; order_cancel cancels it."
        ),
        "{timer}"
    );
    assert!(timer.contains("did not retry"), "{timer}");
    assert_not_a_clock_incident(&timer);
}

#[tokio::test]
async fn a_dropped_user_data_stream_is_filed_as_one_with_its_channel_and_fix() {
    let emu = start_emulator(42).await;
    let mcp = connect(&env_for(&emu.base_url, true), &[]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let status = mcp.ok("server_status", json!({})).await;
        let testnet = status["environments"]
            .as_array()
            .and_then(|envs| envs.iter().find(|e| e["environment"] == "testnet").cloned())
            .expect("testnet");
        if testnet["user_stream"]["state"] == "subscribed" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never subscribed: {testnet}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    set_faults(&emu.base_url, json!({"ws_down_ms": 1500})).await;

    let stream = entry(mcp.home.path(), "user-data stream interrupted").await;
    assert!(
        stream.contains("· testnet · user-data stream interrupted\n"),
        "{stream}"
    );
    assert!(stream.contains("- endpoint: WebSocket API ws://127.0.0.1:"), "{stream}");
    assert!(stream.contains("user-data events on testnet interrupted"), "{stream}");
    assert!(stream.contains("reconnecting with backoff"), "{stream}");
    assert!(
        stream.contains("- fix hint: Nothing to do if it reconnects"),
        "{stream}"
    );
    assert_not_a_clock_incident(&stream);
}

#[tokio::test]
async fn a_ban_is_filed_with_its_code_status_and_fix() {
    let emu = start_emulator(43).await;
    let mcp = connect(&env_for(&emu.base_url, false), &[]).await;
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 418, "retry_after_secs": 600}}),
    )
    .await;
    let banned = mcp
        .err(
            "market_ticker_price",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        )
        .await;
    assert!(banned.contains("HTTP 418"), "{banned}");

    let ban = entry(mcp.home.path(), "Binance -1003").await;
    assert!(ban.contains("· testnet · Binance -1003"), "{ban}");
    assert!(ban.contains("- endpoint: GET /api/v3/ticker/price (HTTP 418)"), "{ban}");
    assert!(ban.contains("refused further requests to testnet until"), "{ban}");
    assert!(ban.contains("- fix hint: This IP is banned by Binance"), "{ban}");
    assert_not_a_clock_incident(&ban);
    // The refusal that follows names the ban's end on the same clock, with the time left.
    let refused = mcp
        .err(
            "market_book_ticker",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        )
        .await;
    assert!(
        refused.contains("banned this IP on testnet (HTTP 418) until"),
        "{refused}"
    );
    assert!(refused.contains(" UTC (in 6"), "about 600 s left: {refused}");
}

/// The binary spoken to line by line, as a 2026-07-28 client does (no initialize).
struct Raw {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Raw {
    fn spawn(env: &[(String, String)], home: &Path) -> Raw {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("BINANCE_HOME", home)
            .env("RUST_LOG", "warn")
            .env("BINANCE_HTTP_TIMEOUT_MS", "5000")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Raw {
            _child: child,
            stdin,
            stdout,
        }
    }

    /// `tools/call` with the 2026-07-28 request `_meta`, plus `logLevel` when given; returns
    /// the logging notifications that came before the response, and the response.
    async fn call(&mut self, id: i64, tool: &str, args: Value, log_level: Option<&str>) -> (Vec<Value>, Value) {
        let mut meta = json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": {"name": "incidents-test", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {}
        });
        if let Some(level) = log_level {
            meta["io.modelcontextprotocol/logLevel"] = json!(level);
        }
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": args, "_meta": meta}});
        self.stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .expect("write");
        self.stdin.flush().await.expect("flush");
        let mut notes = Vec::new();
        loop {
            let line = tokio::time::timeout(STEP, self.stdout.next_line())
                .await
                .expect("answer in time")
                .expect("read")
                .expect("a line");
            let message: Value = serde_json::from_str(&line).expect("JSON-RPC on stdout");
            if message["id"] == id {
                return (notes, message);
            }
            if message["method"] == "notifications/message" {
                notes.push(message["params"].clone());
            }
        }
    }
}

#[tokio::test]
async fn a_2026_07_28_request_that_asks_for_log_messages_hears_of_alerts() {
    let emu = start_emulator(44).await;
    let home = tempfile::tempdir().expect("home");
    let mut raw = Raw::spawn(&env_for(&emu.base_url, false), home.path());
    let prices = |env: &str| json!({"symbols": ["BTCUSDT"], "environment": env});

    // A request that does not ask gets no log message, though its call raises an alert (a 429
    // it then waits out).
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 429, "retry_after_secs": 1}}),
    )
    .await;
    let (notes, answer) = raw.call(1, "market_ticker_price", prices("production"), None).await;
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert!(
        notes.is_empty(),
        "log messages for a request that did not ask: {notes:?}"
    );

    // A request that asks at `error` hears the ban its own call causes, before its answer, but
    // not the held rate-limit warning.
    set_faults(
        &emu.base_url,
        json!({"status_once": {"status": 418, "retry_after_secs": 600}}),
    )
    .await;
    let (notes, answer) = raw
        .call(2, "market_ticker_price", prices("testnet"), Some("error"))
        .await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["level"], "error", "{notes:?}");
    assert_eq!(notes[0]["logger"], "binance.testnet", "{notes:?}");
    let data = notes[0]["data"].as_str().expect("message");
    assert!(data.contains("banned this IP on testnet (HTTP 418)"), "{data}");

    // The alert raised while no request asked is held for the next one that asks at its level,
    // and each alert goes out once.
    let (notes, _) = raw.call(3, "server_status", json!({}), Some("warning")).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["level"], "warning", "{notes:?}");
    assert!(
        notes[0]["data"]
            .as_str()
            .is_some_and(|d| d.contains("rate-limited production (HTTP 429")),
        "{notes:?}"
    );
    let (notes, _) = raw.call(4, "server_status", json!({}), Some("debug")).await;
    assert!(notes.is_empty(), "delivered twice: {notes:?}");
}
