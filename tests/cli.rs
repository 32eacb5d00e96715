//! The command line: --help, call, doctor, emulator.

mod common;

use std::process::{Command, Output};

use common::*;

fn run(args: &[&str], env: &[(String, String)]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("BINANCE_HOME", home.path())
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run binance-mcp")
}

#[test]
fn help_explains_every_environment_variable() {
    let out = run(&["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "BINANCE_TESTNET_API_KEY",
        "BINANCE_TESTNET_API_SECRET",
        "BINANCE_DEMO_API_KEY",
        "BINANCE_DEMO_API_SECRET",
        "BINANCE_BASE_URL",
        "BINANCE_TESTNET_BASE_URL",
        "BINANCE_DEMO_BASE_URL",
        "BINANCE_TESTNET",
        "BINANCE_HOME",
        "BINANCE_RECV_WINDOW",
        "BINANCE_HTTP_TIMEOUT_MS",
        "BINANCE_READ_ONLY",
        "BINANCE_TOOLSETS",
        "BINANCE_PRODUCTION_APPROVAL",
        "BINANCE_TRADE_MODE",
        "BINANCE_SNAPSHOT_MAX_AGE_SECS",
        "RUST_LOG",
    ] {
        assert!(help.contains(var), "--help does not mention {var}");
    }
    let version = run(&["--version"], &[]);
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn call_runs_a_tool_against_the_embedded_emulator() {
    let out = run(
        &[
            "call",
            "--emulator",
            "market_ticker_price",
            r#"{"symbols":["BTCUSDT","ETHUSDT"]}"#,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON result");
    assert_eq!(v["environment"], "production");
    assert_eq!(v["prices"].as_array().expect("prices").len(), 2);
}

#[test]
fn call_reports_tool_errors_and_bad_json() {
    let out = run(&["call", "--emulator", "market_avg_price", r#"{"symbol":"NOPE"}"#], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("-1121"));
    let out = run(&["call", "market_avg_price", "{not json"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[tokio::test]
async fn doctor_describes_the_configuration_without_secrets() {
    let ex = Exchanges::start().await;
    let mut env = ex.env();
    // The seeds' name for the WebSocket base: not ours, so doctor says so.
    env.push(("BINANCE_WS_BASE".into(), "wss://example.invalid".into()));
    env.push(("BINANCE_TRADE_MODE".into(), "paper".into()));
    let out = tokio::task::spawn_blocking(move || run(&["doctor"], &env))
        .await
        .expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "production",
        "testnet",
        "demo",
        "memory folder",
        "clock offset",
        "keys set",
        "no keys (set BINANCE_API_KEY and BINANCE_API_SECRET)",
        "trade mode: PAPER",
        "unknown variable: BINANCE_WS_BASE is set but binance-mcp does not read it",
    ] {
        assert!(text.contains(needle), "doctor output lacks {needle:?}:\n{text}");
    }
    assert!(text.contains(&ex.testnet.base_url));
    assert!(
        !text.contains(TEST_SECRET) && !text.contains(TEST_KEY),
        "doctor leaked a credential:\n{text}"
    );
}

#[test]
fn the_seeds_trade_mode_variable_is_refused_not_ignored() {
    let out = run(&["doctor"], &[("TRADE_MODE".into(), "paper".into())]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("TRADE_MODE") && err.contains("BINANCE_TRADE_MODE"),
        "{err}"
    );
}

#[test]
fn bad_configuration_is_named() {
    let out = run(&["doctor"], &[("BINANCE_RECV_WINDOW".into(), "999999".into())]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BINANCE_RECV_WINDOW"));
}
