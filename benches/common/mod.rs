//! What the benchmarks share: the emulator and the server as child processes, a raw JSON-RPC
//! client over stdio, and percentiles.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_binance-mcp");
pub const KEY: &str = "benchkey00000000000000000000000000000000000000000000000000000001";
pub const SECRET: &str = "benchsecret0000000000000000000000000000000000000000000000000001";

pub struct Emulator {
    pub child: Child,
    pub url: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn emulator() -> Emulator {
    let mut child = Command::new(BIN)
        // A weight limit far above Binance's, so the benchmark measures speed, not the governor.
        .args([
            "emulator",
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
            "--weight-limit",
            "10000000",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("url");
    Emulator {
        child,
        url: line.trim().to_owned(),
    }
}

pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    _home: tempfile::TempDir,
}

impl Server {
    /// `binary` as the server, in a fresh memory folder.
    pub fn spawn_binary(binary: &std::path::Path, emulator_url: &str) -> (Server, Instant) {
        let home = tempfile::tempdir().expect("home");
        Server::spawn_command(Command::new(binary), emulator_url, home)
    }

    /// A server whose memory folder is `home` (kept as long as the server).
    pub fn spawn_in(emulator_url: &str, home: tempfile::TempDir) -> (Server, Instant) {
        Server::spawn_command(Command::new(BIN), emulator_url, home)
    }

    /// A server started by `command` (a binary, or a tool wrapping one), with the benchmarks'
    /// environment: the emulator for every environment, testnet keys, `home` as its memory folder.
    pub fn spawn_command(mut command: Command, emulator_url: &str, home: tempfile::TempDir) -> (Server, Instant) {
        let started = Instant::now();
        let mut child = command
            .env_clear()
            .env("BINANCE_HOME", home.path())
            .env("RUST_LOG", "warn")
            .env("BINANCE_BASE_URL", emulator_url)
            .env("BINANCE_TESTNET_BASE_URL", emulator_url)
            .env("BINANCE_DEMO_BASE_URL", emulator_url)
            .env("BINANCE_TESTNET_API_KEY", KEY)
            .env("BINANCE_TESTNET_API_SECRET", SECRET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        (
            Server {
                child,
                stdin: Some(stdin),
                stdout,
                next_id: 1,
                _home: home,
            },
            started,
        )
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{msg}").expect("write");
        stdin.flush().expect("flush");
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).expect("read") > 0,
                "server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).expect("JSON-RPC line");
            if v["id"] == id {
                return v;
            }
        }
    }

    pub fn initialize(&mut self) -> Value {
        let r = self.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}),
        );
        writeln!(
            self.stdin.as_mut().expect("stdin open"),
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .expect("write");
        r
    }

    /// Closes stdin, as a client does when it is done, and waits up to `limit` for the server
    /// to exit by itself (so a tool wrapping it can write its report); true if it did.
    pub fn finish(&mut self, limit: Duration) -> bool {
        self.stdin = None;
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert_eq!(r["result"]["isError"], false, "{tool} failed: {r}");
        r
    }

    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The order the benchmarks validate and test: a testnet LIMIT buy, checked locally and by the
/// emulator's test endpoint only, never placed.
pub fn bench_order() -> Value {
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.001", "price": "50000", "environment": "testnet"})
}

pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[idx]
}

pub fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

pub fn time_calls(n: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99))
}

/// The binary as `cargo build --release --locked` ships it, built into `target/<dir>`.
///
/// `cargo bench` builds `BIN` with the dev-dependencies' features (tokio's test-util, rmcp's
/// child-process transport), so its code, its size and its symbols differ from what users run;
/// resident memory is measured on this one instead. `keep_symbols` builds the same code with its
/// symbol table, for tools that name functions. The first build takes minutes.
pub fn release_build(dir: &str, keep_symbols: bool) -> std::path::PathBuf {
    let target = std::path::Path::new(BIN)
        .ancestors()
        .nth(2)
        .expect("BIN lives in <target>/<profile>/")
        .join(dir);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building the shipped binary into {} ...", target.display());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--release", "--locked", "--bin", "binance-mcp", "--target-dir"])
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // What `cargo bench` sets for this process is not the builder's environment: build scripts
    // that watch these (ring watches CARGO_MANIFEST_DIR) would rebuild for nothing.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_by_cargo_bench = name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref());
        if set_by_cargo_bench {
            build.env_remove(name.as_ref());
        }
    }
    if keep_symbols {
        build.env("CARGO_PROFILE_RELEASE_STRIP", "false");
    }
    let status = build.status().expect("cargo");
    assert!(status.success(), "cargo build --release failed: {status}");
    target.join("release/binance-mcp")
}
