//! Links the code the server runs next to each other (issue 17).
//!
//! The kernel maps a binary's code in 64 KB windows around each page it touches, so resident
//! memory follows how widely the touched functions are spread, not how much of them there is:
//! unordered, one start and a few tool calls map most of the 8 MB code section. A release build
//! hands the linker `packaging/symbol-order.txt` (the functions the start, the common tools and
//! the user-data stream run, as `cargo bench --bench code_layout` recorded them), so those come
//! first and together.
//!
//! The list names symbols with the hashes of one toolchain and `Cargo.lock`: with another, fewer
//! of them match and the build is as it was without the list, never different in behaviour. Only
//! applied where the linker is known to read it: rustc's own lld (Rust 1.90+ on x86-64 Linux,
//! present in the toolchain) with no linker chosen by the builder.

use std::env;
use std::path::Path;
use std::process::Command;

const ORDER_FILE: &str = "packaging/symbol-order.txt";

fn main() {
    println!("cargo:rerun-if-changed={ORDER_FILE}");
    println!("cargo:rerun-if-env-changed=BINANCE_MCP_NO_SYMBOL_ORDER");
    // Debug builds and other targets: nothing to say.
    if var("PROFILE") != "release" || var("TARGET") != "x86_64-unknown-linux-gnu" {
        return;
    }
    if let Some(reason) = skip_reason() {
        println!("cargo:warning=symbol order not applied: {reason}");
        return;
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join(ORDER_FILE);
    println!(
        "cargo:rustc-link-arg-bin=binance-mcp=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    // Symbols of another toolchain's build are simply not found; that is expected, not news.
    println!("cargo:rustc-link-arg-bin=binance-mcp=-Wl,--no-warn-symbol-ordering");
}

fn var(name: &str) -> String {
    env::var(name).unwrap_or_default()
}

/// Why a release build for x86-64 Linux does not hand the order to the linker, or `None`.
fn skip_reason() -> Option<String> {
    if env::var_os("BINANCE_MCP_NO_SYMBOL_ORDER").is_some() {
        return Some("BINANCE_MCP_NO_SYMBOL_ORDER is set".into());
    }
    if !Path::new(&var("CARGO_MANIFEST_DIR")).join(ORDER_FILE).is_file() {
        return Some(format!("{ORDER_FILE} is missing"));
    }
    if env::var_os("RUSTC_LINKER").is_some() {
        return Some("a linker is configured; only rustc's own lld is known to read the order".into());
    }
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    if ["linker", "fuse-ld", "link-self-contained"]
        .iter()
        .any(|f| flags.contains(f))
    {
        return Some("RUSTFLAGS choose the linker; only rustc's own lld is known to read the order".into());
    }
    match rustc_minor() {
        Some(minor) if minor >= 90 => {}
        _ => return Some("rustc before 1.90 links with the system's linker, which may not read it".into()),
    }
    // Toolchains built without their lld (some distributions' rustc) link with the system's.
    if !own_lld_present() {
        return Some("this rustc ships no lld of its own, so the system's linker links".into());
    }
    None
}

/// Whether the toolchain carries the lld that rustc links with by default (`gcc-ld/ld.lld` in
/// its sysroot, as rustup's toolchains do).
fn own_lld_present() -> bool {
    let Some(sysroot) = rustc(&["--print", "sysroot"]) else {
        return false;
    };
    Path::new(sysroot.trim())
        .join("lib/rustlib")
        .join(var("HOST"))
        .join("bin/gcc-ld/ld.lld")
        .is_file()
}

/// The minor version of the rustc cargo builds with (`1.95.0` gives 95).
fn rustc_minor() -> Option<u32> {
    let text = rustc(&["-vV"])?;
    let release = text.lines().find_map(|l| l.strip_prefix("release: "))?;
    release.split('.').nth(1)?.parse().ok()
}

/// What the rustc cargo builds with prints for `args`.
fn rustc(args: &[&str]) -> Option<String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).args(args).output().ok()?;
    String::from_utf8(out.stdout).ok()
}
