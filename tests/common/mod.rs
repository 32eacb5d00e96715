//! Shared test harness: the real binary, the emulator as a child process, an rmcp client over stdio.
#![allow(dead_code)]

pub mod installed;

use std::process::Stdio;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_binance-mcp");
/// Made-up credentials the test emulators are told about.
pub const TEST_KEY: &str = "testkey0000000000000000000000000000000000000000000000000000000001";
pub const TEST_SECRET: &str = "testsecret000000000000000000000000000000000000000000000000000001";

/// Every test step is bounded; nothing waits forever.
pub const STEP: Duration = Duration::from_secs(20);

pub struct EmulatorProcess {
    pub child: Child,
    pub base_url: String,
}

/// Starts `binance-mcp emulator` on 127.0.0.1:0 and reads its base URL from the first stdout line.
pub async fn start_emulator(seed: u64) -> EmulatorProcess {
    start_emulator_with(seed, &["--api-key", TEST_KEY, "--api-secret", TEST_SECRET]).await
}

/// Like [`start_emulator`], with the account given by `account_args` (e.g. `--api-key K
/// --ed25519-public-key-file PATH`).
pub async fn start_emulator_with(seed: u64, account_args: &[&str]) -> EmulatorProcess {
    let (seed, market_start) = market_of(seed);
    let mut child = Command::new(BIN)
        .args(["emulator", "--addr", "127.0.0.1:0", "--seed", &seed.to_string()])
        .args(market_start.iter().flat_map(|day| ["--market-start", day.as_str()]))
        .args(account_args)
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base_url = tokio::time::timeout(STEP, lines.next_line())
        .await
        .expect("emulator printed its URL in time")
        .expect("read")
        .expect("a line");
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "unexpected first line {base_url:?}"
    );
    EmulatorProcess { child, base_url }
}

/// Polls `probe` every 200 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The seed and market day a test emulator runs with. By default the test's own seed and the
/// emulator's default market day; CI runs the money tests again with the market started on
/// other days and other seeds (`BINANCE_TEST_MARKET_START=YYYY-MM-DD`,
/// `BINANCE_TEST_SEED_SALT=N`), so that no test holds only at one price level.
fn market_of(seed: u64) -> (u64, Option<String>) {
    let salt = std::env::var("BINANCE_TEST_SEED_SALT")
        .ok()
        .map(|s| s.parse::<u64>().expect("BINANCE_TEST_SEED_SALT is a whole number"))
        .unwrap_or(0);
    let day = std::env::var("BINANCE_TEST_MARKET_START")
        .ok()
        .filter(|d| !d.is_empty());
    (seed.wrapping_add(salt), day)
}

/// The template's per-order limit in USDT (`max_order_notional: USDT:` in
/// memory-template/memory.md): the limit a test's orders are held to by default.
pub fn template_order_limit_usdt() -> rust_decimal::Decimal {
    use std::str::FromStr;
    let template = include_str!("../../memory-template/memory.md");
    let block = template
        .split("max_order_notional:")
        .nth(1)
        .expect("the template names max_order_notional");
    let line = block
        .lines()
        .find(|l| l.trim_start().starts_with("USDT:"))
        .expect("the template limits USDT per order");
    let value = line
        .split(':')
        .nth(1)
        .expect("a value")
        .split('#')
        .next()
        .expect("value");
    rust_decimal::Decimal::from_str(value.trim()).expect("a decimal limit")
}

/// A quantity (on `step`) whose notional at `price` is `share` of the template's per-order
/// USDT limit: amounts follow from the limit the test is held to, never from today's price.
pub fn qty_within_limit(price: &str, share: &str, step: &str) -> String {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let budget = template_order_limit_usdt() * Decimal::from_str(share).expect("share");
    let step = Decimal::from_str(step).expect("step");
    let qty = (budget / Decimal::from_str(price).expect("price") / step).floor() * step;
    assert!(qty > Decimal::ZERO, "{share} of the limit buys nothing at {price}");
    qty.normalize().to_string()
}

/// `binance-mcp memory ARGS` on a memory folder, as the human runs it; its stdout.
pub fn memory_cli(home: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(BIN)
        .arg("memory")
        .args(args)
        .env_clear()
        .env("BINANCE_HOME", home)
        .output()
        .expect("binance-mcp memory");
    assert!(
        out.status.success(),
        "memory {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The order journal of a memory folder as the human reads it (`binance-mcp memory journal`):
/// one JSON object per line.
pub fn journal(home: &std::path::Path) -> String {
    memory_cli(home, &["journal", "--limit", "100000"])
}

/// Three emulated exchanges (one per environment, different seeds) and the env vars pointing at them.
pub struct Exchanges {
    pub production: EmulatorProcess,
    pub testnet: EmulatorProcess,
    pub demo: EmulatorProcess,
}

impl Exchanges {
    pub async fn start() -> Exchanges {
        Exchanges {
            production: start_emulator(1).await,
            testnet: start_emulator(2).await,
            demo: start_emulator(3).await,
        }
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("BINANCE_BASE_URL".into(), self.production.base_url.clone()),
            ("BINANCE_TESTNET_BASE_URL".into(), self.testnet.base_url.clone()),
            ("BINANCE_DEMO_BASE_URL".into(), self.demo.base_url.clone()),
            ("BINANCE_TESTNET_API_KEY".into(), TEST_KEY.into()),
            ("BINANCE_TESTNET_API_SECRET".into(), TEST_SECRET.into()),
        ]
    }
}

pub struct Mcp {
    pub client: RunningService<RoleClient, ()>,
    pub home: tempfile::TempDir,
}

/// The server binary as a child process with a clean environment, spoken to by rmcp's client.
pub async fn connect(extra_env: &[(String, String)], args: &[&str]) -> Mcp {
    let home = tempfile::tempdir().expect("temp home");
    let client = start_client(extra_env, args, home.path()).await;
    Mcp { client, home }
}

/// Another server process on an existing memory folder (a restart).
pub async fn connect_with_home(extra_env: &[(String, String)], home: &std::path::Path) -> Mcp {
    let client = start_client(extra_env, &[], home).await;
    // The TempDir here is an empty stand-in; the real folder belongs to the first connection.
    Mcp {
        client,
        home: tempfile::tempdir().expect("stand-in"),
    }
}

async fn start_client(
    extra_env: &[(String, String)],
    args: &[&str],
    home: &std::path::Path,
) -> RunningService<RoleClient, ()> {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("BINANCE_HOME", home)
        .env("RUST_LOG", "warn")
        .env("BINANCE_HTTP_TIMEOUT_MS", "5000");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let transport = TokioChildProcess::new(cmd).expect("spawn server");
    tokio::time::timeout(STEP, ().serve(transport))
        .await
        .expect("initialize in time")
        .expect("initialize")
}

impl Mcp {
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(map) = args else {
            panic!("arguments must be an object")
        };
        tokio::time::timeout(
            STEP,
            self.client
                .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(map)),
        )
        .await
        .expect("tool answered in time")
        .expect("tool call transported")
    }

    /// Calls a tool that must succeed and returns its structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let r = self.call(tool, args.clone()).await;
        assert_ne!(r.is_error, Some(true), "{tool} {args} failed: {}", text(&r));
        r.structured_content.clone().expect("structured content")
    }

    /// Calls a tool that must fail and returns the error text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let r = self.call(tool, args.clone()).await;
        assert_eq!(r.is_error, Some(true), "{tool} {args} should have failed: {}", text(&r));
        text(&r)
    }
}

pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every request an emulator received (its `/emulator/requests` test hook).
pub async fn emulator_requests(base_url: &str) -> Vec<Value> {
    let body = reqwest::get(format!("{base_url}/emulator/requests"))
        .await
        .expect("request log")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&body).expect("request log is JSON")
}

/// Requests to `path` with `method` in an emulator's log.
pub async fn count_requests(base_url: &str, method: &str, path: &str) -> usize {
    emulator_requests(base_url)
        .await
        .iter()
        .filter(|r| r["method"] == method && r["path"] == path)
        .count()
}

/// Sets an emulator fault, e.g. `{"execute_then_503": 1}`.
pub async fn set_faults(base_url: &str, faults: Value) {
    let status = reqwest::Client::new()
        .post(format!("{base_url}/emulator/faults"))
        .json(&faults)
        .send()
        .await
        .expect("faults hook")
        .status();
    assert!(status.is_success(), "faults hook answered {status}");
}

impl Exchanges {
    /// Keys for production too (the gate, not missing keys, must be what refuses).
    pub fn env_with_production_keys(&self) -> Vec<(String, String)> {
        let mut env = self.env();
        env.push(("BINANCE_API_KEY".into(), TEST_KEY.into()));
        env.push(("BINANCE_API_SECRET".into(), TEST_SECRET.into()));
        env.push(("BINANCE_DEMO_API_KEY".into(), TEST_KEY.into()));
        env.push(("BINANCE_DEMO_API_SECRET".into(), TEST_SECRET.into()));
        env
    }
}

/// A price `factor` away from `reference`, on a tick of `tick` (decimal strings).
pub fn price_near(reference: &str, factor: &str, tick: &str) -> String {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let r = Decimal::from_str(reference).expect("reference") * Decimal::from_str(factor).expect("factor");
    let t = Decimal::from_str(tick).expect("tick");
    ((r / t).floor() * t).normalize().to_string()
}

impl Mcp {
    /// Best bid and ask of a symbol in an environment.
    pub async fn book(&self, symbol: &str, env: &str) -> (String, String) {
        let b = self
            .ok(
                "market_book_ticker",
                serde_json::json!({"symbols": [symbol], "environment": env}),
            )
            .await;
        let top = &b["books"][0];
        (
            top["bid_price"].as_str().expect("bid").to_owned(),
            top["ask_price"].as_str().expect("ask").to_owned(),
        )
    }

    /// order_test then order_place of the same payload; returns the placement result.
    pub async fn test_and_place(&self, order: Value) -> Value {
        self.ok("order_test", order.clone()).await;
        self.ok("order_place", order).await
    }
}
