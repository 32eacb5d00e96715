//! The Python wheel (pyproject.toml, maturin `bindings = "bin"`): built here, installed into a
//! fresh venv, and its `binance-mcp serve --emulator` driven by the official Python MCP SDK,
//! so `uvx binance-mcp` / `pipx install binance-mcp` run the same binary the tests do.
//!
//! The build uses its own target folder (`target/tmp/wheel/target`), so it never waits on the
//! build lock `cargo test` holds, and the dev profile without debug info: the wheel only has to
//! carry a working binary, not a fast one (releases build with `--release`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::installed;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn work() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheel")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Builds the wheel with the pinned maturin; returns its path.
fn build_wheel() -> PathBuf {
    let out_dir = work().join("dist");
    let _ = std::fs::remove_dir_all(&out_dir);
    let started = Instant::now();
    run(Command::new(installed::maturin())
        .args(["build", "--locked", "--profile", "dev", "--strip", "--out"])
        .arg(&out_dir)
        .current_dir(repo())
        .env("CARGO_TARGET_DIR", work().join("target"))
        .env("CARGO_PROFILE_DEV_DEBUG", "0"));
    eprintln!("wheel built in {:.0?}", started.elapsed());
    let wheels: Vec<PathBuf> = std::fs::read_dir(&out_dir)
        .expect("wheel folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    assert_eq!(
        wheels.len(),
        1,
        "one wheel expected in {}: {wheels:?}",
        out_dir.display()
    );
    let name = wheels[0].file_name().expect("name").to_string_lossy().into_owned();
    let prefix = format!("binance_mcp-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(name.starts_with(&prefix), "{name}: the version must be Cargo.toml's");
    wheels[0].clone()
}

#[test]
fn the_wheel_installs_into_a_fresh_venv_and_serves_the_emulator_to_the_python_sdk() {
    let wheel = build_wheel();

    let venv = work().join("venv");
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
        ])
        .arg(&wheel));
    let binary = venv.join("bin/binance-mcp");
    assert!(binary.is_file(), "the wheel installed no {}", binary.display());

    let version = run(Command::new(&binary).arg("--version"));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "--version: {version}");

    // The official SDK from the test clients' venv (tests/clients/requirements.txt) drives the
    // binary the wheel installed.
    let out = run(Command::new(installed::python())
        .arg(repo().join("tests/clients/wheel_smoke.py"))
        .arg(&binary));
    assert!(out.contains("BTCUSDT"), "{out}");
    eprintln!("{}", out.trim());
}
