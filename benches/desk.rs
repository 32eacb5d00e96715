//! A gate decision must cost the same with a million stored events as with none (DESIGN §9):
//! `order_test` + `order_place` p50 through stdio against the emulator, and the store's
//! reservation alone in-process, with 0, 100k and 1M journaled events in `state.db`.
//!
//! Run: `cargo bench --bench desk` (DESK_BENCH_SIZES, e.g. `0,100000`, picks the sizes).
//! Loopback only; every process it starts is stopped before it returns.

mod common;

use std::time::{Duration, Instant};

use binance_mcp::config::Environment;
use binance_mcp::memory::Memory;
use binance_mcp::memory::ledger::LedgerEvent;
use binance_mcp::memory::preferences::{Preferences, Profile};
use binance_mcp::store::{ReservationRequest, Store};
use common::{Server, emulator, ms};
use rust_decimal::Decimal;
use serde_json::json;

const DAY_MS: i64 = 86_400_000;

/// `n` events of history: a hundred days of orders on testnet, each with its test, reservation,
/// acceptance and a stream of user-data events, as a few weeks of trading leave behind.
fn seed(store: &Store, n: usize, now_ms: i64) {
    let env = Environment::Testnet;
    let mut batch = Vec::with_capacity(10_000);
    let mut written = 0;
    let mut order = 0u64;
    while written < n {
        order += 1;
        let at_ms = now_ms - 100 * DAY_MS + (order as i64 * 7_919) % (99 * DAY_MS);
        let client = format!("hist-{order}");
        batch.push(LedgerEvent::TestPassed {
            at: String::new(),
            at_ms,
            environment: env,
            symbol: "BTCUSDT".into(),
            identity: format!("hist-identity-{}", order % 5_000),
            shape: format!("hist-shape-{}", order % 50),
        });
        batch.push(LedgerEvent::OrderReserved {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id: client.clone(),
            identity: format!("hist-identity-{}", order % 5_000),
            shape: format!("hist-shape-{}", order % 50),
            order: json!({"symbol": "BTCUSDT"}),
            notional: Some(Decimal::from(50)),
            quote_asset: Some("USDT".into()),
        });
        batch.push(LedgerEvent::OrderAccepted {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id: client.clone(),
            order_id: order,
            status: "NEW".into(),
            shape: Some(format!("hist-shape-{}", order % 50)),
            symbol: Some("BTCUSDT".into()),
        });
        for status in [
            "PARTIALLY_FILLED",
            "PARTIALLY_FILLED",
            "PARTIALLY_FILLED",
            "PARTIALLY_FILLED",
            "PARTIALLY_FILLED",
            "FILLED",
        ] {
            batch.push(LedgerEvent::ExchangeEvent {
                at: String::new(),
                at_ms,
                environment: env,
                kind: "executionReport".into(),
                symbol: Some("BTCUSDT".into()),
                order_id: Some(order),
                client_order_id: Some(client.clone()),
                status: Some(status.into()),
                data: json!({"e": "executionReport", "s": "BTCUSDT", "i": order, "c": client, "X": status, "x": "TRADE", "z": "0.0001"}),
            });
        }
        written += 9;
        if batch.len() >= 9_000 {
            store.record_batch(&batch).expect("seed");
            batch.clear();
        }
    }
    store.record_batch(&batch).expect("seed");
}

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The reservation alone: one test, one reservation, 200 times.
fn reserve_p50(store: &Store) -> Duration {
    let prefs = Preferences::defaults(Profile::Aggressive);
    let mut samples = Vec::new();
    for i in 0..200 {
        let now = now_ms();
        let identity = format!("bench-{i}");
        store
            .record(&LedgerEvent::TestPassed {
                at: String::new(),
                at_ms: now,
                environment: Environment::Testnet,
                symbol: "BTCUSDT".into(),
                identity: identity.clone(),
                shape: "bench-shape".into(),
            })
            .expect("test");
        let request = ReservationRequest {
            environment: Environment::Testnet,
            client_order_id: format!("bench-{i}-{now}"),
            leg_client_order_ids: Vec::new(),
            ids_given: false,
            identity,
            shape: "bench-shape".into(),
            symbol: "BTCUSDT".into(),
            quote_asset: "USDT".into(),
            worst_case_notional: Some(Decimal::ONE),
            payload: json!({"symbol": "BTCUSDT"}),
            now_ms: now,
            rehearsal_required: false,
            what: "order",
        };
        let t = Instant::now();
        let decided = store.reserve(&request, &prefs, || Ok(())).expect("store");
        samples.push(t.elapsed());
        assert!(decided.is_ok(), "{decided:?}");
    }
    p50(samples)
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) only checks it builds.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("DESK_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![0, 100_000, 1_000_000]);
    let emu = emulator();
    println!("| stored events | order_test + order_place p50 (stdio) | reservation alone p50 (in-process) | seeding |");
    println!("|---|---|---|---|");
    for n in sizes {
        let home = tempfile::tempdir().expect("home");
        let seeded = Instant::now();
        let store = Store::open(&Memory::new(home.path())).expect("store");
        seed(&store, n, now_ms());
        let seeding = seeded.elapsed();
        let reserve = reserve_p50(&store);
        drop(store);
        let (mut server, _) = Server::spawn_in(&emu.url, home);
        server.initialize();
        // The emulator's (high) weight limit, learnt from its exchangeInfo, so the benchmark
        // measures the desk and not the governor.
        server.call(
            "market_exchange_info",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        );
        let book = server.call(
            "market_book_ticker",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        );
        let bid: Decimal = book["result"]["structuredContent"]["books"][0]["bid_price"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("bid");
        // A resting BUY far below the market, small enough for the conservative limits.
        let price = (bid * Decimal::new(5, 1)).round_dp(2);
        let mut samples = Vec::new();
        for i in 0..200 {
            let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
                "quantity": format!("0.000{}", 20 + i % 60), "price": price.to_string(), "environment": "testnet"});
            let t = Instant::now();
            server.call("order_test", order.clone());
            server.call("order_place", order);
            samples.push(t.elapsed());
            // Below the exchange's 100 new orders per 10 s, so the governor never waits.
            std::thread::sleep(Duration::from_millis(120));
            if i % 20 == 19 {
                server.call(
                    "order_cancel_all",
                    json!({"symbol": "BTCUSDT", "environment": "testnet"}),
                );
            }
        }
        println!(
            "| {n} | {} | {} | {:.1} s |",
            ms(p50(samples)),
            ms(reserve),
            seeding.as_secs_f64()
        );
    }
}
