//! End-to-end numbers for the README: cold start to the `initialize` reply, resident memory,
//! `tools/list` size, and tool-call latency through stdio against the local emulator, next to
//! the same requests sent straight to the emulator (the difference is the server's overhead).
//!
//! Run: `cargo bench --bench stdio` (BENCH_RUNS sets the cold-start sample, default 30).
//! Loopback only; every process it starts is stopped before it returns.

use std::time::Duration;

use serde_json::json;
use spot_client::sign::{Credentials, encode_params, signed_query};

mod common;

use common::{KEY, SECRET, Server, emulator, ms, percentile, time_calls};

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
