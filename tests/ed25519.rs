//! Ed25519 API keys end to end: the real binary signs with a PKCS#8 PEM file
//! (`BINANCE_TESTNET_PRIVATE_KEY_PATH`), the emulator verifies with the matching public key.

mod common;

use std::process::Command;

use common::*;
use serde_json::json;

/// The Ed25519 private key published in the official FIX API docs (illustrative only).
const DOC_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u
-----END PRIVATE KEY-----
";
/// Its public key, as published with the vector (reference §2.5).
const DOC_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=
-----END PUBLIC KEY-----
";
/// Another Ed25519 key (`openssl genpkey -algorithm ED25519`), unknown to the emulator.
const OTHER_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIB64yV3dpJF914siVSex70hZIWZbiNaiKswxa27EAsXn
-----END PRIVATE KEY-----
";
/// Base64 of the two private keys' bodies: must never be printed.
const SECRET_FRAGMENTS: [&str; 2] = ["MC4CAQAwBQYDK2VwBCIEIIJEYWtG", "MC4CAQAwBQYDK2VwBCIEIB64yV3d"];
const ED_KEY: &str = "edkey0000000000000000000000000000000000000000000000000000000001";

struct Setup {
    emulator: EmulatorProcess,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("public.pem"), DOC_PUBLIC_PEM).expect("public pem");
        std::fs::write(dir.path().join("private.pem"), DOC_PRIVATE_PEM).expect("private pem");
        std::fs::write(dir.path().join("other.pem"), OTHER_PRIVATE_PEM).expect("other pem");
        let public = dir.path().join("public.pem").to_string_lossy().into_owned();
        let emulator =
            start_emulator_with(2, &["--api-key", ED_KEY, "--ed25519-public-key-file", public.as_str()]).await;
        Setup { emulator, dir }
    }

    /// Testnet pointed at the emulator, signing with the private key file `file`.
    fn env(&self, file: &str) -> Vec<(String, String)> {
        vec![
            ("BINANCE_TESTNET_BASE_URL".into(), self.emulator.base_url.clone()),
            ("BINANCE_TESTNET_API_KEY".into(), ED_KEY.into()),
            (
                "BINANCE_TESTNET_PRIVATE_KEY_PATH".into(),
                self.dir.path().join(file).to_string_lossy().into_owned(),
            ),
        ]
    }
}

fn assert_no_key_material(what: &str, text: &str) {
    for fragment in SECRET_FRAGMENTS {
        assert!(!text.contains(fragment), "{what} printed private key material:\n{text}");
    }
    assert!(!text.contains(ED_KEY), "{what} printed the full API key:\n{text}");
}

#[tokio::test]
async fn balances_and_a_test_order_are_signed_with_ed25519() {
    let setup = Setup::start().await;
    let mcp = connect(&setup.env("private.pem"), &[]).await;

    let balances = mcp.ok("account_balances", json!({"environment": "testnet"})).await;
    assert!(balances.to_string().contains("USDT"), "{balances}");

    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.00100", "price": price_near(&bid, "0.98", "0.01"), "environment": "testnet"});
    let t = mcp.ok("order_test", order).await;
    assert_eq!(t["passed"], true, "{t}");

    // Both went out signed (the request log redacts the signature value itself; its
    // percent-encoding is pinned by the unit vectors in crates/spot-client/src/sign.rs).
    let requests = emulator_requests(&setup.emulator.base_url).await;
    let signed = requests
        .iter()
        .filter(|r| r["query"].as_str().is_some_and(|q| q.contains("&signature=")))
        .count();
    assert!(signed >= 2, "expected signed requests in the log: {requests:?}");

    let status = mcp.ok("server_status", json!({})).await;
    assert_no_key_material("server_status", &status.to_string());
}

/// The testnet `user_stream` block of `server_status`, once `done` says it settled.
async fn user_stream(mcp: &Mcp, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let status = mcp.ok("server_status", json!({})).await;
        let stream = status["environments"]
            .as_array()
            .and_then(|envs| envs.iter().find(|e| e["environment"] == "testnet"))
            .map(|e| e["user_stream"].clone())
            .expect("testnet status");
        if done(&stream) {
            return stream;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "user stream never settled: {stream}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_event_subscription_logs_on_with_ed25519_over_the_websocket_api() {
    let setup = Setup::start().await;
    let mcp = connect(&setup.env("private.pem"), &[]).await;
    let stream = user_stream(&mcp, |s| s["state"] == "subscribed").await;
    assert_eq!(stream["method"], "session.logon", "{stream}");
    // The emulator verified the WebSocket signatures with the public key.
    let requests = emulator_requests(&setup.emulator.base_url).await;
    let ws: Vec<&serde_json::Value> = requests.iter().filter(|r| r["path"] == "/ws-api/v3").collect();
    let logon = ws
        .iter()
        .find(|r| r["method"] == "session.logon")
        .unwrap_or_else(|| panic!("no session.logon in {ws:?}"));
    assert_eq!(logon["status"], 200, "{logon}");
    assert_eq!(logon["verified_key_type"], "Ed25519", "{logon}");
    assert!(
        ws.iter()
            .any(|r| r["method"] == "userDataStream.subscribe" && r["status"] == 200),
        "{ws:?}"
    );
    // The API key travels in the params, as Binance wants; the private key never does.
    let log = serde_json::to_string(&ws).expect("json");
    for fragment in SECRET_FRAGMENTS {
        assert!(!log.contains(fragment), "private key material in the request log");
    }

    // An order's events come back over that session.
    let order =
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001", "environment": "testnet"});
    let placed = mcp.test_and_place(order).await;
    let order_id = placed["order_id"].as_u64().expect("order id");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = mcp
            .ok("order_events", json!({"order_id": order_id, "environment": "testnet"}))
            .await;
        if events["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["status"] == "FILLED"))
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no fill event: {events}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_wrong_ed25519_key_cannot_log_on_and_the_stream_says_why() {
    let setup = Setup::start().await;
    let mcp = connect(&setup.env("other.pem"), &[]).await;
    let stream = user_stream(&mcp, |s| s["detail"].as_str().is_some_and(|d| d.contains("-1022"))).await;
    assert_ne!(stream["state"], "subscribed", "{stream}");
    assert_no_key_material("the stream status", &stream.to_string());
}

#[tokio::test]
async fn a_key_the_exchange_does_not_know_gets_1022() {
    let setup = Setup::start().await;
    let mcp = connect(&setup.env("other.pem"), &[]).await;
    let text = mcp.err("account_balances", json!({"environment": "testnet"})).await;
    assert!(text.contains("-1022"), "{text}");
    assert_no_key_material("the -1022 error", &text);
}

#[tokio::test]
async fn doctor_names_the_key_type_and_never_prints_the_key() {
    let setup = Setup::start().await;
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(BIN);
    cmd.arg("doctor")
        .env_clear()
        .env("BINANCE_HOME", home.path())
        .env("RUST_LOG", "warn");
    for (k, v) in setup.env("private.pem") {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("doctor"))
        .await
        .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("keys set (Ed25519"), "{stdout}");
    assert!(stdout.contains("BINANCE_PRIVATE_KEY_PATH"), "{stdout}");
    assert_no_key_material("doctor", &format!("{stdout}{stderr}"));
}

#[test]
fn a_non_ed25519_key_file_is_a_configuration_error_naming_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "rsa.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAMpIydJgOpoCt+kafZMQ7wsy\n-----END RSA PRIVATE KEY-----\n",
            "RSA",
        ),
        ("public.pem", DOC_PUBLIC_PEM, "PUBLIC KEY"),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let out = Command::new(BIN)
            .arg("doctor")
            .env_clear()
            .env("BINANCE_HOME", dir.path())
            .env("BINANCE_TESTNET_API_KEY", ED_KEY)
            .env("BINANCE_TESTNET_PRIVATE_KEY_PATH", &path)
            .output()
            .expect("doctor");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("BINANCE_TESTNET_PRIVATE_KEY_PATH") && stderr.contains(expected),
            "{stderr}"
        );
        assert!(!stderr.contains("MIIBOg") && !stderr.contains("MCowBQ"), "{stderr}");
    }
    // A secret and a key file for the same environment: refused, not guessed between.
    let pem = dir.path().join("private.pem");
    std::fs::write(&pem, DOC_PRIVATE_PEM).expect("write");
    let out = Command::new(BIN)
        .arg("doctor")
        .env_clear()
        .env("BINANCE_HOME", dir.path())
        .env("BINANCE_TESTNET_API_KEY", ED_KEY)
        .env("BINANCE_TESTNET_API_SECRET", "s")
        .env("BINANCE_TESTNET_PRIVATE_KEY_PATH", &pem)
        .output()
        .expect("doctor");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("BINANCE_TESTNET_API_SECRET"), "{stderr}");
}
