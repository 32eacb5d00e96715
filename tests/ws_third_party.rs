//! A real third-party WebSocket client against the emulator: python-binance 1.0.37 (unchanged,
//! only its base URLs pointed at `binance-mcp emulator`) runs
//! `tests/third_party/python_binance_ws_check.py`: its user data socket over the WebSocket API,
//! a trade stream, a combined stream and its depth cache. Fails, never skips, when python3 or
//! the package is missing: `pip install -r tests/third_party/ws_requirements.txt`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_binance-mcp");
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/third_party/python_binance_ws_check.py"
);
const INSTALL: &str = "pip install -r tests/third_party/ws_requirements.txt";
/// Made-up credentials: the emulator accepts exactly these.
const KEY: &str = "wsThirdPartyKey0000000000000000000000000000000000000000000000001";
const SECRET: &str = "wsThirdPartySecret000000000000000000000000000000000000000000001";
const STEP: Duration = Duration::from_secs(60);

/// python3 must exist and import python-binance 1.0.37.
async fn require_python_binance() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m; import binance.ws.depthcache; print(m.version('python-binance'))",
        ])
        .stdin(Stdio::null())
        .output()
        .await;
    let output = match probe {
        Ok(output) => output,
        Err(error) => panic!("python3 is required for this test ({error}); then run: {INSTALL}"),
    };
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.success() && version == "1.0.37",
        "python-binance==1.0.37 is required (found {version:?}; {}); run: {INSTALL}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

#[tokio::test]
async fn python_binance_websockets_work_unchanged_against_the_emulator() {
    require_python_binance().await;

    let mut emulator = Command::new(BIN)
        .args(["emulator", "--api-key", KEY, "--api-secret", SECRET])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn binance-mcp emulator");
    let stdout = emulator.stdout.take().expect("emulator stdout");
    let base_url = tokio::time::timeout(STEP, BufReader::new(stdout).lines().next_line())
        .await
        .expect("the emulator printed its base URL in time")
        .expect("read the emulator's stdout")
        .expect("a first line with the base URL");
    assert!(
        base_url.starts_with("http://127.0.0.1:"),
        "unexpected first line {base_url:?}"
    );

    let run = Command::new("python3")
        .args([SCRIPT, &base_url, KEY, SECRET])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(STEP, run)
        .await
        .expect("the WebSocket check finished within 60 s")
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the python-binance WebSocket check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all 6 steps passed"), "{stdout}");

    // The WebSocket API log: the client's signed subscription verified as HMAC, no signature.
    let log: serde_json::Value = reqwest::get(format!("{base_url}/emulator/requests"))
        .await
        .expect("GET /emulator/requests")
        .json()
        .await
        .expect("request log JSON");
    let log = log.as_array().expect("an array");
    let subscription = log
        .iter()
        .find(|e| e["path"] == "/ws-api/v3" && e["method"] == "userDataStream.subscribe.signature")
        .unwrap_or_else(|| panic!("no subscription in {log:?}"));
    assert_eq!(subscription["status"], 200);
    assert_eq!(subscription["verified_key_type"], "HMAC");
    assert!(log.iter().all(|e| !e.to_string().contains(SECRET)));
    assert!(
        log.iter()
            .any(|e| e["path"] == "/ws/ethbtc@depth" && e["status"] == 101),
        "{log:?}"
    );
    emulator.kill().await.expect("stop the emulator");
}
