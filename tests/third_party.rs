//! Real third-party clients against the emulator, unchanged, only their base URLs pointed at
//! `binance-mcp emulator`:
//! * the official Python connector (binance-connector 3.13.0) runs
//!   `tests/third_party/binance_connector_check.py` over REST;
//! * python-binance 1.0.37 runs `tests/third_party/python_binance_ws_check.py`: its user data
//!   socket over the WebSocket API, a trade stream, a combined stream and its depth cache.
//!
//! The pinned packages are installed by the test itself, once, into a venv under `target/`
//! (`common::installed`); each fails, never skips, when that cannot be done, with the command
//! that would do it.

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Made-up credentials: the emulator accepts exactly these.
const KEY: &str = "thirdPartyKey000000000000000000000000000000000000000000000000001";
const SECRET: &str = "thirdPartySecret00000000000000000000000000000000000000000000001";
const STEP: Duration = Duration::from_secs(60);

/// One pinned Python client and the check script it runs.
struct PythonClient {
    package: &'static str,
    version: &'static str,
    /// Python that imports what the check needs and prints the installed version.
    probe: &'static str,
    install: &'static str,
    script: &'static str,
}

const CONNECTOR: PythonClient = PythonClient {
    package: "binance-connector",
    version: "3.13.0",
    probe: "from binance.spot import Spot; from binance.__version__ import __version__; print(__version__)",
    install: "pip install -r tests/third_party/requirements.txt",
    script: concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/third_party/binance_connector_check.py"
    ),
};

const PYTHON_BINANCE: PythonClient = PythonClient {
    package: "python-binance",
    version: "1.0.37",
    probe: "import importlib.metadata as m; import binance.ws.depthcache; print(m.version('python-binance'))",
    install: "pip install -r tests/third_party/ws_requirements.txt",
    script: concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/third_party/python_binance_ws_check.py"
    ),
};

impl PythonClient {
    /// python3 must exist and import the pinned version.
    async fn require(&self) {
        let install = self.install;
        let probe = Command::new(common::installed::python())
            .args(["-c", self.probe])
            .stdin(Stdio::null())
            .output()
            .await;
        let output = match probe {
            Ok(output) => output,
            Err(error) => panic!("python3 is required for this test ({error}); then run: {install}"),
        };
        let found = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(
            output.status.success() && found == self.version,
            "{}=={} is required (found {found:?}; {}); run: {install}",
            self.package,
            self.version,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }

    /// Runs the check script against `base_url` and returns its stdout; it must succeed.
    async fn check(&self, base_url: &str) -> String {
        let run = Command::new(common::installed::python())
            .args([self.script, base_url, KEY, SECRET])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(STEP, run)
            .await
            .unwrap_or_else(|_| panic!("the {} check finished within 60 s", self.package))
            .expect("run python3");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the {} check failed ({}):\n{stdout}\n{stderr}",
            self.package,
            output.status
        );
        stdout
    }
}

/// `binance-mcp emulator` with the made-up account, and its base URL.
async fn emulator() -> (Child, String) {
    let mut emulator = Command::new(common::BIN)
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
    (emulator, base_url)
}

/// Every request the emulator saw; none may carry the secret.
async fn request_log(base_url: &str) -> Vec<Value> {
    let log: Value = reqwest::get(format!("{base_url}/emulator/requests"))
        .await
        .expect("GET /emulator/requests")
        .json()
        .await
        .expect("request log JSON");
    let log = log.as_array().expect("an array").clone();
    assert!(log.iter().all(|e| !e.to_string().contains(SECRET)));
    log
}

#[tokio::test]
async fn official_python_connector_works_unchanged_against_the_emulator() {
    CONNECTOR.require().await;
    let (mut emulator, base_url) = emulator().await;
    let stdout = CONNECTOR.check(&base_url).await;
    assert!(stdout.contains("all 16 steps passed"), "{stdout}");

    // The emulator saw exactly the connector's requests: two real orders, signatures redacted.
    let log = request_log(&base_url).await;
    let order_posts = log
        .iter()
        .filter(|e| e["method"] == "POST" && e["path"] == "/api/v3/order")
        .count();
    assert_eq!(order_posts, 2, "{log:?}");
    assert!(
        log.iter()
            .filter(|e| e["path"] != "/api/v3/ping" && e["path"] != "/api/v3/time")
            .filter(|e| e["path"] != "/api/v3/exchangeInfo" && e["path"] != "/api/v3/ticker/price")
            .all(|e| format!("{}{}", e["query"], e["body"]).contains("signature=…")),
        "{log:?}"
    );
    emulator.kill().await.expect("stop the emulator");
}

#[tokio::test]
async fn python_binance_websockets_work_unchanged_against_the_emulator() {
    PYTHON_BINANCE.require().await;
    let (mut emulator, base_url) = emulator().await;
    let stdout = PYTHON_BINANCE.check(&base_url).await;
    assert!(stdout.contains("all 6 steps passed"), "{stdout}");

    // The WebSocket API log: the client's signed subscription verified as HMAC, no signature.
    let log = request_log(&base_url).await;
    let subscription = log
        .iter()
        .find(|e| e["path"] == "/ws-api/v3" && e["method"] == "userDataStream.subscribe.signature")
        .unwrap_or_else(|| panic!("no subscription in {log:?}"));
    assert_eq!(subscription["status"], 200);
    assert_eq!(subscription["verified_key_type"], "HMAC");
    assert!(
        log.iter()
            .any(|e| e["path"] == "/ws/ethbtc@depth" && e["status"] == 101),
        "{log:?}"
    );
    emulator.kill().await.expect("stop the emulator");
}
