//! Third-party MCP clients against the real binary: the official Python MCP SDK, the MCP
//! Inspector CLI and Claude Code's `claude mcp list` health check. All are pinned in
//! tests/clients/ and installed by the tests themselves, once, under `target/`
//! (`common::installed`); an install that cannot be done fails with the command to run, never
//! skips.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::BIN;

/// Where the pinned Node clients are installed (their `node_modules`).
fn node_dir() -> std::path::PathBuf {
    common::installed::node_clients()
}

/// The pinned clients' sources: scripts and pins.
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
    let python = common::installed::python();
    let probe = Command::new(&python).args(["-c", "import mcp"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "the Python MCP SDK is missing from {}",
        python.display()
    );
    let mut cmd = Command::new(&python);
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
    let dir = node_dir();
    let cli = dir.join("node_modules/@modelcontextprotocol/inspector-cli/build/index.js");
    assert!(cli.exists(), "the MCP Inspector CLI is missing from {}", dir.display());
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
        resources["resources"].as_array().is_some_and(|r| r.len() == 5),
        "{resources}"
    );
    assert!(
        home.path().join("binance/memory.md").exists(),
        "the memory folder went somewhere else"
    );
}

/// Claude Code's native binary from the pinned npm package. Its postinstall copies the platform
/// package's binary over `bin/claude.exe`; should an npm that runs no install scripts leave the
/// placeholder there, the platform package's own binary is the same program.
fn claude_code() -> std::path::PathBuf {
    let modules = node_dir().join("node_modules/@anthropic-ai");
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "claude-code-linux-x64/claude",
        ("linux", "aarch64") => "claude-code-linux-arm64/claude",
        ("macos", "aarch64") => "claude-code-darwin-arm64/claude",
        ("macos", "x86_64") => "claude-code-darwin-x64/claude",
        _ => "claude-code/bin/claude.exe",
    };
    [modules.join("claude-code/bin/claude.exe"), modules.join(platform)]
        .into_iter()
        .find(|bin| {
            Command::new(bin)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("Claude Code"))
        })
        .unwrap_or_else(|| panic!("Claude Code is missing from {}", modules.display()))
}

/// `claude` in a temporary project with a temporary HOME, offline: no login, no telemetry, no
/// update check (with these settings it opens no connection at all; only the server it checks
/// talks to its own loopback emulator).
fn claude(bin: &Path, home: &Path, project: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(bin);
    cmd.current_dir(project)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_TELEMETRY", "1")
        .args(args);
    let out = run_bounded(cmd, Duration::from_secs(90), "claude");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "claude {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Claude Code's own MCP connection log of a server, for failure messages.
fn claude_mcp_logs(home: &Path, server: &str) -> String {
    let mut logs = String::new();
    let cache = home.join(".cache/claude-cli-nodejs");
    for project in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
        let dir = project.path().join(format!("mcp-logs-{server}"));
        for file in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            logs.push_str(&std::fs::read_to_string(file.path()).unwrap_or_default());
        }
    }
    logs
}

#[test]
fn claude_code_health_check_shows_the_server_connected() {
    let bin = claude_code();
    let home = tempfile::tempdir().expect("home");
    let project = tempfile::tempdir().expect("project");
    // Registered as users do (`claude mcp add`, local scope: ~/.claude.json under this project).
    // A project .mcp.json would show as "Pending approval" and never be connected to.
    claude(
        &bin,
        home.path(),
        project.path(),
        &[
            "mcp",
            "add",
            "--scope",
            "local",
            "binance",
            "--",
            BIN,
            "serve",
            "--emulator",
        ],
    );
    // A server that cannot start, so that "Connected" is known to be a real check.
    claude(
        &bin,
        home.path(),
        project.path(),
        &[
            "mcp",
            "add",
            "--scope",
            "local",
            "broken",
            "--",
            BIN,
            "no-such-subcommand",
        ],
    );
    let list = claude(&bin, home.path(), project.path(), &["mcp", "list"]);
    let line = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("`claude mcp list` does not show {name}:\n{list}"))
            .to_owned()
    };
    let binance = line("binance");
    assert!(
        binance.ends_with("Connected") && !binance.contains("Failed"),
        "Claude Code does not see binance-mcp connected:\n{list}\nits MCP log:\n{}",
        claude_mcp_logs(home.path(), "binance")
    );
    assert!(line("broken").contains("Failed to connect"), "{list}");

    let get = claude(&bin, home.path(), project.path(), &["mcp", "get", "binance"]);
    assert!(get.contains("Status: ✔ Connected"), "{get}");
    // The server got the temporary HOME: its memory folder is there, not in the real home.
    assert!(
        home.path().join("binance/memory.md").exists(),
        "the memory folder went somewhere else"
    );
}
