//! End-to-end numbers for the README: cold start to the `initialize` reply, resident memory,
//! `tools/list` size, and tool-call latency through stdio against the local emulator, next to
//! the same requests sent straight to the emulator (the difference is the server's overhead).
//!
//! Run: `cargo bench --bench stdio` (BENCH_RUNS sets the cold-start sample, default 30).
//! Loopback only; every process it starts is stopped before it returns.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use binance_mcp::binance::sign::{Credentials, encode_params, signed_query};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_binance-mcp");
const KEY: &str = "benchkey00000000000000000000000000000000000000000000000000000001";
const SECRET: &str = "benchsecret0000000000000000000000000000000000000000000000000001";

struct Emulator {
    child: Child,
    url: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn emulator() -> Emulator {
    let mut child = Command::new(BIN)
        // A weight limit far above Binance's, so the benchmark measures speed, not the governor.
        .args([
            "emulator",
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
            "--weight-limit",
            "10000000",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("url");
    Emulator {
        child,
        url: line.trim().to_owned(),
    }
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    _home: tempfile::TempDir,
}

impl Server {
    fn spawn(emulator_url: &str) -> (Server, Instant) {
        let home = tempfile::tempdir().expect("home");
        let started = Instant::now();
        let mut child = Command::new(BIN)
            .env_clear()
            .env("BINANCE_HOME", home.path())
            .env("RUST_LOG", "warn")
            .env("BINANCE_BASE_URL", emulator_url)
            .env("BINANCE_TESTNET_BASE_URL", emulator_url)
            .env("BINANCE_DEMO_BASE_URL", emulator_url)
            .env("BINANCE_TESTNET_API_KEY", KEY)
            .env("BINANCE_TESTNET_API_SECRET", SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        (
            Server {
                child,
                stdin,
                stdout,
                next_id: 1,
                _home: home,
            },
            started,
        )
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{msg}").expect("write");
        self.stdin.flush().expect("flush");
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).expect("read") > 0,
                "server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).expect("JSON-RPC line");
            if v["id"] == id {
                return v;
            }
        }
    }

    fn initialize(&mut self) -> Value {
        let r = self.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}),
        );
        writeln!(
            self.stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .expect("write");
        r
    }

    fn call(&mut self, tool: &str, args: Value) -> Value {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert_eq!(r["result"]["isError"], false, "{tool} failed: {r}");
        r
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn time_calls(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99))
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) only checks it builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let emu = emulator();
    let mut rows: Vec<(String, String)> = Vec::new();

    // Cold start: process spawn to the initialize reply.
    let mut starts = Vec::new();
    for _ in 0..runs {
        let (mut server, started) = Server::spawn(&emu.url);
        server.initialize();
        starts.push(started.elapsed());
    }
    let start_p50 = percentile(&mut starts, 0.5);
    rows.push((
        format!("cold start to `initialize` reply (median of {runs})"),
        ms(start_p50),
    ));

    let (mut server, _) = Server::spawn(&emu.url);
    server.initialize();
    let list = server.request("tools/list", json!({}));
    let list_json = serde_json::to_string(&list["result"]["tools"]).expect("json");
    std::thread::sleep(Duration::from_millis(200));
    rows.push((
        "idle RSS after `tools/list`".into(),
        format!("{:.1} MB", server.rss_kib() as f64 / 1024.0),
    ));
    rows.push((
        "`tools/list` size".into(),
        format!(
            "{} tools, {} bytes, ~{} tokens",
            list["result"]["tools"].as_array().map_or(0, Vec::len),
            list_json.len(),
            list_json.len() / 4
        ),
    ));

    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001", "price": "50000", "environment": "testnet"});
    let price = json!({"symbols": ["BTCUSDT"]});
    let n = 200;
    server.call("order_validate", order.clone()); // warm the rules cache
    // One emulator serves all three environments here and reports its per-IP weight to each;
    // reading production's exchangeInfo gives production the emulator's (high) limits too.
    server.call("market_exchange_info", json!({"symbols": ["BTCUSDT"]}));
    let (p_price, p99_price) = time_calls(n, || {
        server.call("market_ticker_price", price.clone());
    });
    let (p_val, p99_val) = time_calls(n, || {
        server.call("order_validate", order.clone());
    });
    let (p_test, p99_test) = time_calls(n, || {
        server.call("order_test", order.clone());
    });
    for i in 0..(1000 - 3 * n - 1) {
        if i % 2 == 0 {
            server.call("market_ticker_price", price.clone());
        } else {
            server.call("order_validate", order.clone());
        }
    }
    rows.push((
        "RSS after 1,000 tool calls".into(),
        format!("{:.1} MB", server.rss_kib() as f64 / 1024.0),
    ));
    drop(server);

    // The same requests straight to the emulator with a plain HTTP client.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let creds = Credentials::new(KEY, SECRET);
    let (d_price, d99_price) = time_calls(n, || {
        runtime.block_on(async {
            http.get(format!("{}/api/v3/ticker/price?symbol=BTCUSDT", emu.url))
                .send()
                .await
                .expect("get")
                .bytes()
                .await
                .expect("body");
        });
    });
    let (d_test, d99_test) = time_calls(n, || {
        let params: Vec<(&str, String)> = vec![
            ("symbol", "BTCUSDT".into()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "0.001".into()),
            ("price", "50000".into()),
            ("computeCommissionRates", "true".into()),
            ("recvWindow", "5000".into()),
            ("timestamp", binance_mcp::binance::clock::local_now_ms().to_string()),
        ];
        let query = signed_query(&creds, &encode_params(&params));
        runtime.block_on(async {
            http.post(format!("{}/api/v3/order/test?{query}", emu.url))
                .header("X-MBX-APIKEY", KEY)
                .send()
                .await
                .expect("post")
                .bytes()
                .await
                .expect("body");
        });
    });
    let overhead = |a: Duration, b: Duration| ms(a.saturating_sub(b));
    rows.push((
        "`market_ticker_price` via stdio, p50 / p99".into(),
        format!("{} / {}", ms(p_price), ms(p99_price)),
    ));
    rows.push((
        "`GET /api/v3/ticker/price` direct, p50 / p99".into(),
        format!("{} / {}", ms(d_price), ms(d99_price)),
    ));
    rows.push((
        "server overhead, `market_ticker_price` p50".into(),
        overhead(p_price, d_price),
    ));
    rows.push((
        "`order_validate` via stdio (local only), p50 / p99".into(),
        format!("{} / {}", ms(p_val), ms(p99_val)),
    ));
    rows.push((
        "`order_test` via stdio, p50 / p99".into(),
        format!("{} / {}", ms(p_test), ms(p99_test)),
    ));
    rows.push((
        "`POST /api/v3/order/test` direct, p50 / p99".into(),
        format!("{} / {}", ms(d_test), ms(d99_test)),
    ));
    rows.push((
        "server overhead, `order_test` p50 (includes its openOrders check)".into(),
        overhead(p_test, d_test),
    ));

    println!("| measure | value |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
