//! Third-party MCP clients against the real binary: the official Python MCP SDK and the MCP
//! Inspector CLI. Both are pinned in tests/clients/ and installed by .ci/run; a missing install
//! fails with the command to run, never skips.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::BIN;

fn clients_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Runs a command with a deadline; panics with its output when it fails or hangs.
fn run_bounded(mut cmd: Command, limit: Duration, what: &str) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{what}: no result within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn official_python_sdk_runs_the_whole_workflow() {
    let probe = Command::new("python3").args(["-c", "import mcp"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "the Python MCP SDK is missing: run `python3 -m pip install -r tests/clients/requirements.txt`"
    );
    let mut cmd = Command::new("python3");
    cmd.arg(clients_dir().join("python_smoke.py")).arg(BIN);
    let out = run_bounded(cmd, Duration::from_secs(180), "python_smoke.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python smoke failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("[auto] production gate: refused, declined, approved"),
        "{stdout}"
    );
    assert!(stdout.contains("[legacy] testnet workflow"), "{stdout}");
}

fn inspector(args: &[&str], home: &Path) -> serde_json::Value {
    let dir = clients_dir();
    let cli = dir.join("node_modules/@modelcontextprotocol/inspector-cli/build/index.js");
    assert!(
        cli.exists(),
        "the MCP Inspector CLI is missing: run `npm ci --prefix tests/clients`"
    );
    let mut cmd = Command::new("node");
    // The CLI looks for ../package.json relative to its working directory. It passes the server
    // only a default environment (HOME, PATH, ...), so a temporary HOME keeps the memory folder
    // (~/binance) out of the real home.
    cmd.current_dir(dir.join("node_modules"))
        .env("HOME", home)
        .arg(&cli)
        .args([BIN, "serve", "--emulator"])
        .args(args);
    let out = run_bounded(cmd, Duration::from_secs(60), "inspector-cli");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "inspector-cli {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("inspector-cli printed no JSON ({e}):\n{stdout}"))
}

#[test]
fn mcp_inspector_cli_lists_and_calls_tools() {
    let home = tempfile::tempdir().expect("home");
    let tools = inspector(&["--method", "tools/list"], home.path());
    let tools = tools["tools"].as_array().expect("tools");
    assert!(tools.len() >= 20, "{} tools", tools.len());
    for t in tools {
        assert_eq!(t["inputSchema"]["type"], "object", "{}", t["name"]);
        assert!(t["annotations"].is_object(), "{} has no annotations", t["name"]);
    }
    let result = inspector(
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "market_ticker_price",
            "--tool-arg",
            r#"symbols=["BTCUSDT","ETHUSDT"]"#,
        ],
        home.path(),
    );
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(
        result["structuredContent"]["prices"].as_array().map(Vec::len),
        Some(2),
        "{result}"
    );
    // The Inspector sends `quantity=0.001` as a JSON number: accepted exactly.
    let result = inspector(
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "order_validate",
            "--tool-arg",
            "symbol=BTCUSDT",
            "side=BUY",
            "type=LIMIT",
            "time_in_force=GTC",
            "quantity=0.001",
            "price=50000",
        ],
        home.path(),
    );
    assert_eq!(result["structuredContent"]["order"]["quantity"], "0.001", "{result}");
    let resources = inspector(&["--method", "resources/list"], home.path());
    assert!(
        resources["resources"].as_array().is_some_and(|r| r.len() == 3),
        "{resources}"
    );
    assert!(
        home.path().join("binance/memory.md").exists(),
        "the memory folder went somewhere else"
    );
}
