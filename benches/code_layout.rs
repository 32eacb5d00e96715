//! Records which functions the server runs and writes them, in link order, to
//! `packaging/symbol-order.txt`, which `build.rs` hands to the linker in release builds (issue 17).
//!
//! The shipped binary is built with its symbols kept (`target/layout`: same code, same symbol
//! names) and run under valgrind's callgrind three times, each workload extending the last:
//! 1. start: `initialize`, `tools/list`, the testnet user-data subscription;
//! 2. the calls `cargo bench --bench stdio` times (`market_ticker_price`, `order_validate`,
//!    `order_test`, `market_exchange_info`);
//! 3. the other tools a session commonly uses, an order placed, amended and cancelled included.
//!
//! The file lists phase 1's functions, then those phase 2 added, then phase 3's: what an idle
//! server runs sits in the fewest 64 KB windows, and each phase after it only extends them.
//!
//! Run after changing the toolchain, `Cargo.lock` or the code on these paths:
//! `cargo bench --bench code_layout` (needs valgrind; about five minutes, longer when the release
//! build in `target/layout` starts from nothing).
//! Then `cargo bench --bench stdio` shows the effect. Loopback only; every process it starts is
//! stopped before it returns.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use serde_json::{Value, json};

mod common;

use common::{Server, bench_order, emulator, release_build};

const ORDER_FILE: &str = "packaging/symbol-order.txt";

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let valgrind = Command::new("valgrind").arg("--version").output();
    assert!(
        valgrind.is_ok_and(|o| o.status.success()),
        "valgrind is needed (apt-get install valgrind)"
    );
    let binary = release_build("layout", true);
    let sizes = symbol_sizes(&binary);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(ORDER_FILE);
    report_stale(&path, &sizes);
    let emu = emulator();
    let out = tempfile::tempdir().expect("temp dir");

    let mut seen: HashSet<String> = HashSet::new();
    let mut order: Vec<String> = Vec::new();
    for (phase, name) in ["start", "the timed calls", "the common tools"].iter().enumerate() {
        let profile = out.path().join(format!("callgrind.{phase}"));
        let mut command = Command::new("valgrind");
        command
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", profile.display()))
            .args(["--demangle=no", "--compress-strings=no", "--compress-pos=no"])
            .arg(&binary);
        let home = tempfile::tempdir().expect("home");
        let (mut server, _) = Server::spawn_command(command, &emu.url, home);
        server.initialize();
        server.request("tools/list", json!({}));
        // The user-data subscription opens in the background; give it time under valgrind.
        std::thread::sleep(Duration::from_secs(3));
        if phase >= 1 {
            timed_calls(&mut server);
        }
        if phase >= 2 {
            common_tools(&mut server);
        }
        assert!(
            server.finish(Duration::from_secs(60)),
            "the server did not exit after stdin closed"
        );
        let ran = functions_in(&profile, &binary);
        let added: BTreeSet<&String> = ran.iter().filter(|f| !seen.contains(*f)).collect();
        eprintln!("{name}: {} functions, {} new", ran.len(), added.len());
        order.extend(added.into_iter().cloned());
        seen.extend(ran);
    }

    let hot: u64 = order.iter().filter_map(|f| sizes.get(f)).sum();
    let all: u64 = sizes.values().sum();
    let mut text = format!(
        "# Functions the server runs, in link order: written by `cargo bench --bench code_layout`,\n\
         # read by build.rs. The names carry the hashes of this build:\n\
         {}\n",
        recorded_for()
    );
    for f in &order {
        text.push_str(f);
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write the order file");
    println!(
        "{ORDER_FILE}: {} functions, {} KB of the {} KB of code",
        order.len(),
        hot / 1024,
        all / 1024
    );
}

/// The header line naming what the names' hashes depend on; `tests/packaging.rs` checks the
/// version and the lockfile against the tree (the toolchain is the builder's).
fn recorded_for() -> String {
    use sha2::{Digest, Sha256};
    let lock = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).expect("Cargo.lock");
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "# recorded for: binance-mcp {}, Cargo.lock sha256 {}, {rustc}",
        env!("CARGO_PKG_VERSION"),
        hex::encode(Sha256::digest(lock))
    )
}

/// How many of the functions the current file lists this build still has: names whose hashes
/// changed (another toolchain, lockfile or version) are silently skipped by the linker.
fn report_stale(path: &Path, present: &HashMap<String, u64>) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let listed: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    let found = listed.iter().filter(|f| present.contains_key(**f)).count();
    eprintln!(
        "the current {ORDER_FILE}: {found} of its {} functions are in this build",
        listed.len()
    );
}

/// The calls `benches/stdio.rs` times, a few of each (callgrind counts what runs, not how often).
fn timed_calls(server: &mut Server) {
    let order = bench_order();
    server.call("order_validate", order.clone());
    server.call("market_exchange_info", json!({"symbols": ["BTCUSDT"]}));
    for _ in 0..5 {
        server.call("market_ticker_price", json!({"symbols": ["BTCUSDT"]}));
        server.call("order_validate", order.clone());
        server.call("order_test", order.clone());
    }
}

/// The other tools of a session on testnet. Their answers are not checked (a refusal runs the
/// code an agent meets as much as a success does), only reported when they are errors.
fn common_tools(server: &mut Server) {
    let testnet = |mut args: Value| {
        args["environment"] = json!("testnet");
        args
    };
    let calls = [
        ("server_status", json!({})),
        ("market_server_time", json!({})),
        ("market_book_ticker", json!({"symbol": "BTCUSDT"})),
        ("market_order_book", json!({"symbol": "BTCUSDT", "limit": 5})),
        ("market_recent_trades", json!({"symbol": "BTCUSDT", "limit": 5})),
        (
            "market_klines",
            json!({"symbol": "BTCUSDT", "interval": "1m", "limit": 5}),
        ),
        ("market_avg_price", json!({"symbol": "BTCUSDT"})),
        ("market_ticker_24h", json!({"symbol": "BTCUSDT"})),
        ("account_balances", testnet(json!({}))),
        ("account_commission", testnet(json!({"symbol": "BTCUSDT"}))),
        ("account_rate_limits", testnet(json!({}))),
        ("account_trades", testnet(json!({"symbol": "BTCUSDT", "limit": 5}))),
        ("memory_read", json!({"file": "memory", "tail": 5})),
        ("snapshot_list", json!({})),
    ];
    for (tool, args) in calls {
        run(server, tool, args);
    }

    // A resting buy two percent under the bid, on the book's own tick: tested, placed, looked
    // at, amended, cancelled.
    let book = server.request(
        "tools/call",
        json!({"name": "market_book_ticker", "arguments": {"symbol": "BTCUSDT"}}),
    );
    let bid = book["result"]["structuredContent"]["books"][0]["bid_price"]
        .as_str()
        .and_then(|p| Decimal::from_str(p).ok())
        .unwrap_or_else(|| panic!("market_book_ticker gave no books[0].bid_price: {book}"));
    let price = (bid * Decimal::new(98, 2)).round_dp(2).normalize().to_string();
    let order = testnet(json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "time_in_force": "GTC", "quantity": "0.001", "price": price, "client_order_id": "layout-1"}));
    let id = json!({"symbol": "BTCUSDT", "client_order_id": "layout-1"});
    let steps = [
        ("order_test", order.clone()),
        ("order_place", order),
        ("order_status", testnet(id.clone())),
        ("order_open_list", testnet(json!({"symbol": "BTCUSDT"}))),
        ("order_events", json!({"symbol": "BTCUSDT", "limit": 5})),
        (
            "order_amend",
            testnet(json!({"symbol": "BTCUSDT", "client_order_id": "layout-1", "new_quantity": "0.0005"})),
        ),
        ("order_cancel", testnet(id)),
        ("order_history", testnet(json!({"symbol": "BTCUSDT", "limit": 5}))),
        ("order_cancel_all", testnet(json!({"symbol": "BTCUSDT"}))),
        (
            "memory_append",
            json!({"file": "memory", "title": "layout", "text": "recorded a run"}),
        ),
    ];
    for (tool, args) in steps {
        run(server, tool, args);
    }
}

/// One call whose answer is not checked, but said when it is an error, so a workload that no
/// longer does what it says (a renamed argument, a refused order) shows in the output.
fn run(server: &mut Server, tool: &str, args: Value) {
    let answer = server.request("tools/call", json!({"name": tool, "arguments": args}));
    if answer["result"]["isError"] != false {
        let said = answer["result"]["content"][0]["text"]
            .as_str()
            .map_or_else(|| answer.to_string(), str::to_owned);
        eprintln!("  {tool} answered with an error: {said}");
    }
}

/// The functions of `binary` that callgrind saw run, by their mangled names.
fn functions_in(profile: &Path, binary: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(profile).expect("callgrind output");
    let ours = binary.to_str().expect("utf-8 path");
    let mut in_binary = false;
    let mut ran = HashSet::new();
    for line in text.lines() {
        if let Some(object) = line.strip_prefix("ob=") {
            in_binary = object == ours;
        } else if let Some(function) = line.strip_prefix("fn=")
            && in_binary
        {
            // Callgrind marks recursion depth with a quote suffix (`f'2`); addresses without a
            // symbol and its own pseudo-functions (`(below main)`) cannot be ordered.
            let name = function.split('\'').next().unwrap_or(function);
            if !name.starts_with("0x") && !name.starts_with('(') {
                ran.insert(name.to_owned());
            }
        }
    }
    ran
}

/// Each function's size in bytes, from the symbol table (`nm`).
fn symbol_sizes(binary: &Path) -> HashMap<String, u64> {
    let out = Command::new("nm")
        .args(["--size-sort", "--defined-only"])
        .arg(binary)
        .output()
        .expect("nm (binutils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let size = u64::from_str_radix(parts.next()?, 16).ok()?;
            let kind = parts.next()?;
            let name = parts.next()?;
            matches!(kind, "t" | "T").then(|| (name.to_owned(), size))
        })
        .collect()
}
