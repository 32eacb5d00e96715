//! The pinned third-party clients the tests drive, installed by the tests themselves, once, into
//! `target/`: a Python venv from the pinned requirements, and the Node clients from the lock
//! file (`npm ci`). A file lock keeps parallel test binaries from installing twice; a marker
//! named after the pins' hash says the install is complete and current. Offline with nothing
//! installed, a test fails with the exact command that would install it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

const REQUIREMENTS: [&str; 3] = [
    "tests/third_party/requirements.txt",
    "tests/third_party/ws_requirements.txt",
    "tests/clients/requirements.txt",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-clients")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// FNV-1a of the pin files, so a changed pin means a new install.
fn pins_hash(files: &[PathBuf]) -> String {
    let hash = files.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, f| {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        bytes
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    });
    format!("{hash:016x}")
}

/// Runs `install` once per pin set under an exclusive lock on `dir`; returns `dir`.
fn installed_once(
    dir: &Path,
    pins: &[PathBuf],
    what: &str,
    install: impl FnOnce(&Path) -> Result<(), String>,
) -> PathBuf {
    std::fs::create_dir_all(root()).expect("target/tmp/test-clients");
    let marker = dir.with_extension(format!("installed-{}", pins_hash(pins)));
    if marker.exists() {
        return dir.to_owned();
    }
    let lock = File::create(dir.with_extension("lock")).expect("lock file");
    lock.lock().expect("lock");
    // Another test binary may have installed it while this one waited.
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        if let Err(why) = install(dir) {
            panic!("{what} could not be installed into {}: {why}", dir.display());
        }
        std::fs::write(&marker, b"").expect("marker");
    }
    drop(lock);
    dir.to_owned()
}

fn run(cmd: &mut Command, fix: &str) -> Result<(), String> {
    match cmd.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{} ({}); to install by hand: {fix}",
            String::from_utf8_lossy(&out.stderr).trim(),
            out.status
        )),
        Err(e) => Err(format!("cannot run {cmd:?} ({e}); to install by hand: {fix}")),
    }
}

/// The Python of a venv holding the pinned Python clients (the official MCP SDK, Binance's
/// connector, python-binance).
pub fn python() -> PathBuf {
    venv_with("venv", &REQUIREMENTS, "the pinned Python test clients").join("bin/python")
}

/// The Python of a venv of its own holding Binance's current official SDK, binance-sdk-spot
/// (tests/third_party/sdk_requirements.txt): apart from the older clients, whose dependencies
/// it need not agree with.
pub fn sdk_python() -> PathBuf {
    venv_with(
        "venv-sdk",
        &["tests/third_party/sdk_requirements.txt"],
        "the pinned binance-sdk-spot",
    )
    .join("bin/python")
}

/// A folder whose `node_modules` holds the pinned Node clients (the MCP Inspector CLI, Claude
/// Code), installed by `npm ci` from tests/clients/package-lock.json.
pub fn node_clients() -> PathBuf {
    npm_ci_once("node", "tests/clients", "the pinned Node test clients")
}

/// `npm ci` of `source`'s package.json and lock into `root()/name`, once per lock.
fn npm_ci_once(name: &str, source: &str, what: &str) -> PathBuf {
    let pins = vec![
        repo(&format!("{source}/package.json")),
        repo(&format!("{source}/package-lock.json")),
    ];
    let dir = root().join(name);
    let fix = format!(
        "mkdir -p {0} && cp {source}/package.json {source}/package-lock.json {0}/ && npm ci --prefix {0}",
        dir.display()
    );
    installed_once(&dir, &pins, what, |dir| {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        for pin in &pins {
            let name = pin.file_name().expect("file name");
            std::fs::copy(pin, dir.join(name)).map_err(|e| e.to_string())?;
        }
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(dir),
            &fix,
        )
    })
}

/// A venv at `root()/name` with the packages of the pinned `requirements` files installed.
fn venv_with(name: &str, requirements: &[&str], what: &str) -> PathBuf {
    let pins: Vec<PathBuf> = requirements.iter().map(|r| repo(r)).collect();
    let venv = root().join(name);
    let fix = format!(
        "python3 -m venv {0} && {0}/bin/python -m pip install -r {1}",
        venv.display(),
        requirements.join(" -r ")
    );
    installed_once(&venv, &pins, what, |dir| {
        run(Command::new("python3").arg("-m").arg("venv").arg(dir), &fix)?;
        let mut pip = Command::new(dir.join("bin/python"));
        pip.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]);
        for r in &pins {
            pip.arg("-r").arg(r);
        }
        run(&mut pip, &fix)
    })
}

/// The pinned maturin (packaging/requirements.txt), which builds the Python wheel.
pub fn maturin() -> PathBuf {
    venv_with("maturin", &["packaging/requirements.txt"], "the pinned maturin").join("bin/maturin")
}

/// The pinned MCP Bundle CLI (`mcpb`, from packaging/package-lock.json, by `npm ci`).
pub fn mcpb() -> PathBuf {
    npm_ci_once("mcpb", "packaging", "the pinned MCP Bundle CLI").join("node_modules/.bin/mcpb")
}
