//! End-to-end numbers for the README, each beside its target (issue 17): cold start to the
//! `initialize` reply, resident memory idle and after 1,000 calls, the `tools/list` size in
//! tokens, and the server's overhead per call over the same request sent straight to the
//! emulator, measured in the same run (the two are timed alternately, so both see the same
//! machine).
//!
//! The server measured is the binary `cargo build --release --locked` ships, built into
//! `target/shipped` (the first run takes minutes): the one `cargo bench` builds carries the
//! dev-dependencies' features and is laid out differently. `BENCH_BINARY` names another.
//!
//! Run: `cargo bench --bench stdio` (BENCH_RUNS sets the cold-start sample, default 30;
//! BENCH_CALLS the timed calls of each kind, default 400). `BENCH_UPDATE_README=1` also writes
//! the table into README.md between its `bench:stdio` markers. Loopback only; every process it
//! starts is stopped before it returns.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spot_client::sign::{Credentials, encode_params, signed_query};

mod common;

use common::{KEY, SECRET, Server, bench_order, emulator, ms, percentile, release_build};

/// One row: what, the value, the target (empty when there is none) and whether it is met.
struct Row {
    measure: String,
    value: String,
    target: String,
    met: Option<bool>,
}

fn row(measure: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        measure: measure.into(),
        value: value.into(),
        target: String::new(),
        met: None,
    }
}

fn checked(measure: impl Into<String>, value: impl Into<String>, target: impl Into<String>, met: bool) -> Row {
    Row {
        measure: measure.into(),
        value: value.into(),
        target: target.into(),
        met: Some(met),
    }
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The tool list's size as the project counts it: compact JSON characters / 4.
fn tokens(tools: &Value) -> usize {
    serde_json::to_string(tools).expect("json").len() / 4
}

/// The tools costing most, for the lead to recheck after merging other branches.
fn costliest(tools: &Value, n: usize) -> String {
    let mut sizes: Vec<(usize, String)> = tools
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let size = serde_json::to_string(t).expect("json").len() / 4;
            (size, t["name"].as_str().unwrap_or("?").to_owned())
        })
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
        .iter()
        .take(n)
        .map(|(size, name)| format!("{name} {size}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One tool call through the server, counted.
fn call(server: &mut Server, calls: &mut usize, tool: &str, args: &Value) {
    server.call(tool, args.clone());
    *calls += 1;
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) only checks it builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let env_number =
        |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let runs = env_number("BENCH_RUNS", 30).max(1);
    let n = env_number("BENCH_CALLS", 400).max(10);
    let binary = std::env::var_os("BENCH_BINARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| release_build("shipped", false));
    let emu = emulator();
    let mut rows: Vec<Row> = Vec::new();

    // Cold start: process spawn to the initialize reply; then the first tools/list, whose
    // schemas are built on first use.
    let mut starts = Vec::new();
    let mut lists = Vec::new();
    for _ in 0..runs {
        let (mut server, started) = Server::spawn_binary(&binary, &emu.url);
        server.initialize();
        starts.push(started.elapsed());
        let asked = Instant::now();
        server.request("tools/list", json!({}));
        lists.push(asked.elapsed());
    }
    let start_p50 = percentile(&mut starts, 0.5);
    rows.push(checked(
        format!("cold start to the `initialize` reply (median of {runs})"),
        ms(start_p50),
        "< 5 ms",
        start_p50 < Duration::from_millis(5),
    ));
    rows.push(row(
        "the first `tools/list` reply after it (median)",
        ms(percentile(&mut lists, 0.5)),
    ));

    let (mut server, _) = Server::spawn_binary(&binary, &emu.url);
    server.initialize();
    let list = server.request("tools/list", json!({}));
    let tools = &list["result"]["tools"];
    std::thread::sleep(Duration::from_millis(300));
    let idle = server.rss_kib();
    rows.push(checked(
        "idle RSS after `tools/list`, with the testnet user-data subscription open",
        format!("{:.1} MB", mb(idle)),
        "< 8 MB",
        mb(idle) < 8.0,
    ));
    let count = tools.as_array().map_or(0, Vec::len);
    let size = serde_json::to_string(tools).expect("json").len();
    let token_count = tokens(tools);
    rows.push(checked(
        format!("`tools/list` size ({count} tools, compact JSON, characters / 4)"),
        format!("{size} bytes, {token_count} tokens"),
        "< 6,000 tokens",
        token_count < 6000,
    ));

    let order = bench_order();
    let price = json!({"symbols": ["BTCUSDT"]});
    let mut calls = 0;
    call(&mut server, &mut calls, "order_validate", &order); // warm the rules cache
    // One emulator serves all three environments here and reports its per-IP weight to each;
    // reading production's exchangeInfo gives production the emulator's (high) limits too.
    call(
        &mut server,
        &mut calls,
        "market_exchange_info",
        &json!({"symbols": ["BTCUSDT"]}),
    );

    // The same GET straight to the emulator with a plain HTTP client, alternating with the
    // calls through the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let direct_get = || {
        runtime.block_on(async {
            http.get(format!("{}/api/v3/ticker/price?symbol=BTCUSDT", emu.url))
                .send()
                .await
                .expect("get")
                .bytes()
                .await
                .expect("body");
        })
    };
    direct_get();
    let (mut via, mut direct) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let t = Instant::now();
        call(&mut server, &mut calls, "market_ticker_price", &price);
        via.push(t.elapsed());
        let t = Instant::now();
        direct_get();
        direct.push(t.elapsed());
    }
    let (p_price, p99_price) = (percentile(&mut via, 0.5), percentile(&mut via, 0.99));
    let (d_price, d99_price) = (percentile(&mut direct, 0.5), percentile(&mut direct, 0.99));
    let mut val = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        call(&mut server, &mut calls, "order_validate", &order);
        val.push(t.elapsed());
    }
    let creds = Credentials::new(KEY, SECRET);
    let direct_test = || {
        let params: Vec<(&str, String)> = vec![
            ("symbol", "BTCUSDT".into()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "0.001".into()),
            ("price", "50000".into()),
            ("computeCommissionRates", "true".into()),
            ("recvWindow", "5000".into()),
            ("timestamp", spot_client::clock::local_now_ms().to_string()),
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
    };
    let tests = (n / 2).max(10);
    let (mut via_test, mut direct_tests) = (Vec::with_capacity(tests), Vec::with_capacity(tests));
    for _ in 0..tests {
        let t = Instant::now();
        call(&mut server, &mut calls, "order_test", &order);
        via_test.push(t.elapsed());
        let t = Instant::now();
        direct_test();
        direct_tests.push(t.elapsed());
    }
    let mut i = 0;
    while calls < 1000 {
        if i % 2 == 0 {
            call(&mut server, &mut calls, "market_ticker_price", &price);
        } else {
            call(&mut server, &mut calls, "order_validate", &order);
        }
        i += 1;
    }
    std::thread::sleep(Duration::from_millis(300));
    let after = server.rss_kib();
    rows.push(checked(
        "RSS after 1,000 tool calls",
        format!("{:.1} MB", mb(after)),
        "< 10 MB",
        mb(after) < 10.0,
    ));
    let listed_tokens = token_count;
    let top = costliest(tools, 5);
    drop(server);

    let overhead = p_price.saturating_sub(d_price);
    rows.push(row(
        "`market_ticker_price` through stdio, p50 / p99",
        format!("{} / {}", ms(p_price), ms(p99_price)),
    ));
    rows.push(row(
        "the same `GET /api/v3/ticker/price` straight to the emulator, p50 / p99",
        format!("{} / {}", ms(d_price), ms(d99_price)),
    ));
    rows.push(checked(
        "server overhead per call, `market_ticker_price` p50 (ratio to the direct GET)",
        format!(
            "{} ({:.1}× the direct GET)",
            ms(overhead),
            p_price.as_secs_f64() / d_price.as_secs_f64().max(1e-9)
        ),
        "< 0.2 ms",
        overhead < Duration::from_micros(200),
    ));
    rows.push(row(
        "`order_validate` through stdio (local only), p50 / p99",
        format!("{} / {}", ms(percentile(&mut val, 0.5)), ms(percentile(&mut val, 0.99))),
    ));
    let (p_test, d_test) = (percentile(&mut via_test, 0.5), percentile(&mut direct_tests, 0.5));
    rows.push(row(
        "`order_test` through stdio, p50 / p99",
        format!("{} / {}", ms(p_test), ms(percentile(&mut via_test, 0.99))),
    ));
    rows.push(row(
        "the same `POST /api/v3/order/test` straight to the emulator, p50 / p99",
        format!("{} / {}", ms(d_test), ms(percentile(&mut direct_tests, 0.99))),
    ));
    rows.push(row(
        "server overhead, `order_test` p50 (its openOrders check and durable writes)",
        ms(p_test.saturating_sub(d_test)),
    ));
    if let Ok(meta) = std::fs::metadata(&binary) {
        rows.push(row(
            "binary size (as shipped)",
            format!("{:.1} MB", meta.len() as f64 / 1_048_576.0),
        ));
    }

    let mut table = String::from("| measure | value | target |\n|---|---|---|\n");
    for r in &rows {
        let target = match r.met {
            Some(true) => format!("{} ✓", r.target),
            Some(false) => format!("{} ✗", r.target),
            None => String::new(),
        };
        table.push_str(&format!("| {} | {} | {target} |\n", r.measure, r.value));
    }
    print!("{table}");
    println!("\ntools/list: {listed_tokens} tokens; costliest tools (tokens): {top}");
    if std::env::var("BENCH_UPDATE_README").is_ok_and(|v| v == "1") {
        update_readme(&table);
    }
}

/// Replaces the table between `<!-- bench:stdio -->` and `<!-- /bench:stdio -->` in README.md.
fn update_readme(table: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).expect("README.md");
    let (open, close) = ("<!-- bench:stdio -->\n", "<!-- /bench:stdio -->");
    let (Some(start), Some(end)) = (text.find(open), text.find(close)) else {
        eprintln!("README.md has no bench:stdio markers; not updated");
        return;
    };
    let updated = format!("{}{open}{table}{}", &text[..start], &text[end..]);
    std::fs::write(&path, updated).expect("write README.md");
    eprintln!("README.md: bench:stdio table updated");
}
