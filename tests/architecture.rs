//! DESIGN §1's arrows, checked from the workspace's own manifests (`cargo metadata`): which crate
//! may depend on which, and which outside crates the pure ones must never pull in.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// The workspace's normal (non-dev, non-build) dependencies of `package`.
fn normal_dependencies(metadata: &Value, package: &str) -> BTreeSet<String> {
    let found = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == package)
        .unwrap_or_else(|| panic!("{package} is not a workspace member"));
    found["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().expect("name").to_owned())
        .collect()
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

const OURS: [&str; 5] = [
    "spot-types",
    "spot-filters",
    "spot-client",
    "spot-emulator",
    "binance-mcp",
];

fn ours(deps: &BTreeSet<String>) -> BTreeSet<&str> {
    OURS.iter().copied().filter(|c| deps.contains(*c)).collect()
}

#[test]
fn the_crates_depend_on_each_other_only_along_the_designed_arrows() {
    let metadata = metadata();
    let expected: [(&str, &[&str]); 5] = [
        ("spot-types", &[]),
        ("spot-filters", &["spot-types"]),
        ("spot-client", &["spot-types"]),
        // The emulator is written from the docs alone: sharing code with the client or the
        // filters would let one bug hide itself on both sides of the wire.
        ("spot-emulator", &[]),
        (
            "binance-mcp",
            &["spot-types", "spot-filters", "spot-client", "spot-emulator"],
        ),
    ];
    for (package, allowed) in expected {
        let deps = normal_dependencies(&metadata, package);
        assert_eq!(
            ours(&deps),
            allowed.iter().copied().collect::<BTreeSet<_>>(),
            "{package}'s workspace dependencies"
        );
    }
}

#[test]
fn the_pure_crates_do_no_io_and_the_client_knows_no_mcp() {
    let metadata = metadata();
    let io = [
        "tokio",
        "reqwest",
        "tokio-tungstenite",
        "axum",
        "rusqlite",
        "directories",
    ];
    for package in ["spot-types", "spot-filters"] {
        let deps = normal_dependencies(&metadata, package);
        for crate_name in io {
            assert!(
                !deps.contains(crate_name),
                "{package} must stay pure but depends on {crate_name}"
            );
        }
    }
    for package in ["spot-types", "spot-filters", "spot-client", "spot-emulator"] {
        let deps = normal_dependencies(&metadata, package);
        for crate_name in ["rmcp", "rusqlite", "directories"] {
            assert!(
                !deps.contains(crate_name),
                "{package} must know nothing of MCP or the memory folder but depends on {crate_name}"
            );
        }
    }
}
