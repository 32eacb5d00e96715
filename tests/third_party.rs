//! A real third-party client against the emulator: the official Python connector
//! (binance-connector 3.13.0, unchanged, only its base URL pointed at `binance-mcp emulator`)
//! runs `tests/third_party/binance_connector_check.py`. Fails, never skips, when python3 or the
//! package is missing: `pip install -r tests/third_party/requirements.txt`.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_binance-mcp");
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/third_party/binance_connector_check.py"
);
const INSTALL: &str = "pip install -r tests/third_party/requirements.txt";
/// Made-up credentials: the emulator accepts exactly these.
const KEY: &str = "thirdPartyKey000000000000000000000000000000000000000000000000001";
const SECRET: &str = "thirdPartySecret00000000000000000000000000000000000000000000001";
const STEP: Duration = Duration::from_secs(60);

/// python3 must exist and import binance-connector 3.13.0.
async fn require_connector() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "from binance.spot import Spot; from binance.__version__ import __version__; print(__version__)",
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
        output.status.success() && version == "3.13.0",
        "binance-connector==3.13.0 is required (found {version:?}; {}); run: {INSTALL}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

#[tokio::test]
async fn official_python_connector_works_unchanged_against_the_emulator() {
    require_connector().await;

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
        .expect("the connector check finished within 60 s")
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python connector check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all 16 steps passed"), "{stdout}");

    // The emulator saw exactly the connector's requests: two real orders, signatures redacted.
    let log: serde_json::Value = reqwest::get(format!("{base_url}/emulator/requests"))
        .await
        .expect("GET /emulator/requests")
        .json()
        .await
        .expect("request log JSON");
    let log = log.as_array().expect("an array");
    let order_posts = log
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/api/v3/order")
        .count();
    assert_eq!(order_posts, 2, "{log:?}");
    assert!(log.iter().all(|e| !e.to_string().contains(SECRET)));
    assert!(
        log.iter()
            .filter(|e| e["path"] != "/api/v3/ping" && e["path"] != "/api/v3/time")
            .filter(|e| e["path"] != "/api/v3/exchangeInfo" && e["path"] != "/api/v3/ticker/price")
            .all(|e| format!("{}{}", e["query"], e["body"]).contains("signature=…")),
        "{log:?}"
    );
    emulator.kill().await.expect("stop the emulator");
}
