//! The raw stdio contract: JSON-RPC only on stdout, garbage survived, clean exits, versions.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

struct Raw {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    _home: tempfile::TempDir,
}

async fn spawn_raw(args: &[&str], env: &[(String, String)]) -> Raw {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("BINANCE_HOME", home.path())
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    let stdin = child.stdin.take();
    let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    Raw {
        child,
        stdin,
        stdout,
        _home: home,
    }
}

impl Raw {
    async fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).await.expect("write");
        stdin.write_all(b"\n").await.expect("write");
        stdin.flush().await.expect("flush");
    }

    /// The next stdout line, which must be a JSON-RPC message.
    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(STEP, self.stdout.next_line())
            .await
            .expect("answer in time")
            .expect("read")
            .expect("a line");
        let v: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout carried a non-JSON line {line:?}: {e}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
        v
    }

    /// Waits for the response with this id, skipping notifications.
    async fn response(&mut self, id: i64) -> Value {
        loop {
            let v = self.recv().await;
            if v["id"] == id {
                return v;
            }
            assert!(
                v.get("id").is_none() || v.get("method").is_some(),
                "unexpected response {v}"
            );
        }
    }

    async fn initialize(&mut self, version: &str) -> Value {
        self.send(&json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":version,"capabilities":{},"clientInfo":{"name":"raw-test","version":"0"}}}).to_string()).await;
        let r = self.response(1).await;
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        r
    }

    async fn exit_status_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("process exited in time")
            .expect("wait")
    }
}

#[tokio::test]
async fn initialize_reports_our_name_and_negotiates_each_version() {
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let mut raw = spawn_raw(&[], &[]).await;
        let r = raw.initialize(version).await;
        assert_eq!(r["result"]["protocolVersion"], version);
        assert_eq!(r["result"]["serverInfo"]["name"], "binance-mcp");
        assert_eq!(r["result"]["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
        // Every capability the server has is announced: a client asks only for those.
        for capability in ["tools", "resources", "prompts", "logging", "completions"] {
            assert!(r["result"]["capabilities"][capability].is_object(), "{capability}: {r}");
        }
        assert!(r["result"]["instructions"].as_str().unwrap_or("").contains("testnet"));
    }
}

#[tokio::test]
async fn the_2026_07_28_lifecycle_works_without_initialize() {
    let ex = Exchanges::start().await;
    let mut raw = spawn_raw(&[], &ex.env()).await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "raw-test", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    raw.send(&json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta": meta}}).to_string())
        .await;
    let r = raw.response(1).await;
    let versions = r["result"]["supportedVersions"]
        .as_array()
        .unwrap_or_else(|| panic!("no supportedVersions: {r}"));
    assert!(versions.iter().any(|v| v == "2026-07-28"), "{r}");
    for capability in ["tools", "resources", "prompts", "completions"] {
        assert!(r["result"]["capabilities"][capability].is_object(), "{capability}: {r}");
    }
    raw.send(&json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"market_avg_price","arguments":{"symbol":"BTCUSDT"},"_meta": meta}}).to_string()).await;
    let r = raw.response(2).await;
    assert_eq!(r["result"]["structuredContent"]["environment"], "production", "{r}");
}

#[tokio::test]
async fn malformed_lines_do_not_kill_the_server_and_stdout_stays_json() {
    let ex = Exchanges::start().await;
    let mut raw = spawn_raw(&[], &ex.env()).await;
    raw.initialize("2025-11-25").await;
    raw.send("this is not json").await;
    raw.send(r#"{"jsonrpc":"2.0","id":"#).await;
    raw.send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"market_ticker_price","arguments":"BTCUSDT"}}"#).await;
    let bad = raw.response(7).await;
    assert!(bad.get("error").is_some() || bad["result"]["isError"] == true, "{bad}");
    raw.send(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"market_ticker_price","arguments":{"symbols":["BTCUSDT"]}}}"#).await;
    let ok = raw.response(8).await;
    assert_eq!(ok["result"]["isError"], false, "{ok}");
    assert_eq!(ok["result"]["structuredContent"]["prices"][0]["symbol"], "BTCUSDT");
    raw.send(r#"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#).await;
    let list = raw.response(9).await;
    assert!(list["result"]["tools"].as_array().expect("tools").len() >= 10);
}

#[tokio::test]
async fn stdin_eof_exits_cleanly() {
    let mut raw = spawn_raw(&[], &[]).await;
    raw.initialize("2025-11-25").await;
    raw.stdin = None; // close stdin
    let status = raw.exit_status_within(Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_exits_cleanly_while_stdin_stays_open() {
    let mut raw = spawn_raw(&[], &[]).await;
    raw.initialize("2025-11-25").await;
    let pid = raw.child.id().expect("pid");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = raw.exit_status_within(Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn serve_with_embedded_emulator_is_a_complete_offline_playground() {
    let mut raw = spawn_raw(&["serve", "--emulator"], &[]).await;
    raw.initialize("2025-11-25").await;
    raw.send(r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"server_status","arguments":{}}}"#)
        .await;
    let status = raw.response(2).await;
    let s = &status["result"]["structuredContent"];
    assert_eq!(s["emulated"], true, "{status}");
    for env in s["environments"].as_array().expect("envs") {
        assert_eq!(env["keys_present"], true);
        assert!(env["base_url"].as_str().expect("url").starts_with("http://127.0.0.1:"));
    }
    for env in ["production", "testnet", "demo"] {
        raw.send(&json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"market_book_ticker","arguments":{"symbols":["ETHUSDT"],"environment":env}}}).to_string()).await;
        let r = raw.response(3).await;
        assert_eq!(r["result"]["structuredContent"]["environment"], env, "{r}");
    }
}
