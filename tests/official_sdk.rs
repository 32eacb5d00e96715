//! Binance's current official Python SDK, binance-sdk-spot 13.3.0 (binance-connector 3.13,
//! which `tests/third_party.rs` drives, is deprecated in its favour), against
//! `binance-mcp emulator`, unchanged: `tests/third_party/binance_sdk_spot_check.py` configures
//! it with `ConfigurationRestAPI(base_path=<emulator>)` and
//! `ConfigurationWebSocketAPI(stream_url=<emulator>/ws-api/v3)`, the SDK's own way to point at
//! another host. The pinned SDK is installed by the test itself, once, into its own venv under
//! `target/` (`common::installed::sdk_python`); the test fails, never skips, when that cannot be
//! done, with the command that would do it.

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::Command;

/// Made-up credentials: the emulator accepts exactly these.
const KEY: &str = "officialSdkKey00000000000000000000000000000000000000000000000001";
const SECRET: &str = "officialSdkSecret0000000000000000000000000000000000000000000001";
const STEP: Duration = Duration::from_secs(90);
const VERSION: &str = "13.3.0";
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/third_party/binance_sdk_spot_check.py"
);

/// The pinned SDK must import at its pinned version.
async fn require_sdk() {
    let probe = Command::new(common::installed::sdk_python())
        .args([
            "-c",
            "import importlib.metadata as m; import binance_sdk_spot.spot; print(m.version('binance-sdk-spot'))",
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("python3 is required for this test");
    let found = String::from_utf8_lossy(&probe.stdout).trim().to_owned();
    assert!(
        probe.status.success() && found == VERSION,
        "binance-sdk-spot=={VERSION} is required (found {found:?}; {}); run: pip install -r tests/third_party/sdk_requirements.txt",
        String::from_utf8_lossy(&probe.stderr).trim()
    );
}

/// Runs the check script in `mode`; returns its JSON line, which must say ok.
async fn check(base_url: &str, mode: &str) -> Value {
    let run = Command::new(common::installed::sdk_python())
        .args([SCRIPT, base_url, KEY, SECRET, mode])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(STEP, run)
        .await
        .unwrap_or_else(|_| panic!("the binance-sdk-spot {mode} check finished in time"))
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the binance-sdk-spot {mode} check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let line = stdout.lines().last().unwrap_or_default();
    let result: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(result["ok"], true, "{result}");
    result
}

async fn request_log(base_url: &str) -> Vec<Value> {
    let log: Value = reqwest::get(format!("{base_url}/emulator/requests"))
        .await
        .expect("GET /emulator/requests")
        .json()
        .await
        .expect("request log JSON");
    let log = log.as_array().expect("an array").clone();
    assert!(
        log.iter().all(|e| !e.to_string().contains(SECRET)),
        "the secret travelled"
    );
    log
}

#[tokio::test]
async fn the_official_sdk_places_and_cancels_an_opo_and_follows_its_events() {
    require_sdk().await;
    let mut emulator = common::start_emulator_with(4, &["--api-key", KEY, "--api-secret", SECRET]).await;
    let base_url = emulator.base_url.clone();
    let result = check(&base_url, "opo").await;
    let events: Vec<&str> = result["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for kind in ["executionReport", "listStatus", "outboundAccountPosition"] {
        assert!(events.contains(&kind), "{kind} missing from {result}");
    }
    let log = request_log(&base_url).await;
    let called = |method: &str, path: &str| {
        log.iter()
            .any(|e| e["method"] == method && e["path"] == path && e["status"] == 200)
    };
    assert!(called("POST", "/api/v3/orderList/opo"), "{log:?}");
    assert!(called("DELETE", "/api/v3/orderList"), "{log:?}");
    let subscription = log
        .iter()
        .find(|e| e["path"] == "/ws-api/v3" && e["method"] == "userDataStream.subscribe.signature")
        .unwrap_or_else(|| panic!("no subscription in {log:?}"));
    assert_eq!(
        (&subscription["status"], &subscription["verified_key_type"]),
        (&Value::from(200), &Value::from("HMAC"))
    );
    emulator.child.kill().await.expect("stop the emulator");
}

/// The 2026 reads (issue 15 items 1, 2 and 4) through the SDK's own request code.
#[tokio::test]
async fn the_official_sdk_reads_reference_prices_filters_and_execution_rules() {
    require_sdk().await;
    let mut emulator = common::start_emulator_with(4, &["--api-key", KEY, "--api-secret", SECRET]).await;
    let result = check(&emulator.base_url, "prices").await;
    assert_eq!(result["referencePrice"]["symbol"], "BTCUSDT", "{result}");
    emulator.child.kill().await.expect("stop the emulator");
}
