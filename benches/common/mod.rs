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
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    _home: tempfile::TempDir,
}

impl Server {
    pub fn spawn(emulator_url: &str) -> (Server, Instant) {
        let home = tempfile::tempdir().expect("home");
        Server::spawn_in(emulator_url, home)
    }

    /// A server whose memory folder is `home` (kept as long as the server).
    pub fn spawn_in(emulator_url: &str, home: tempfile::TempDir) -> (Server, Instant) {
        let started = Instant::now();
        let mut child = Command::new(BIN)
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
                stdin,
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
        writeln!(self.stdin, "{msg}").expect("write");
        self.stdin.flush().expect("flush");
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
            self.stdin,
            r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
        )
        .expect("write");
        r
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
