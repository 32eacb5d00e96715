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

/// The top-level modules of a crate and which others each names (`crate::x`), with comments and
/// test code left out.
fn module_graph(src: &std::path::Path) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut all = Vec::new();
    files(src, &mut all);
    let top = |path: &std::path::Path| -> String {
        let rel = path.strip_prefix(src).expect("inside src");
        let first = rel.components().next().expect("a component");
        first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = all
        .iter()
        .map(|p| top(p))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: std::collections::BTreeMap<String, BTreeSet<String>> = std::collections::BTreeMap::new();
    for path in &all {
        let from = top(path);
        if from == "lib"
            || from == "main"
            || path
                .file_name()
                .is_some_and(|n| n == "tests.rs" || n.to_string_lossy().ends_with("_tests.rs"))
        {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("source");
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]\n").next().unwrap_or("");
        // In `src/x.rs` and `src/x/mod.rs`, `super::` is the crate root too.
        let rel = path.strip_prefix(src).expect("inside src");
        let at_top = rel.components().count() == 1
            || rel.file_name().is_some_and(|n| n == "mod.rs") && rel.components().count() == 2;
        let prefixes: &[&str] = if at_top { &["crate::", "super::"] } else { &["crate::"] };
        for line in code.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
            for prefix in prefixes {
                let mut rest = line;
                while let Some(at) = rest.find(prefix) {
                    rest = &rest[at + prefix.len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != from && modules.contains(&name) {
                        graph.entry(from.clone()).or_default().insert(name);
                    }
                }
            }
        }
    }
    graph
}

#[test]
fn no_two_modules_of_a_crate_import_each_other_in_a_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [
        "src",
        "crates/spot-types/src",
        "crates/spot-filters/src",
        "crates/spot-client/src",
        "crates/spot-emulator/src",
    ] {
        let graph = module_graph(&root.join(src));
        for start in graph.keys() {
            // Depth-first from `start`: reaching it again is a circle.
            let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
            let mut seen = BTreeSet::new();
            while let Some(path) = stack.pop() {
                let last = path.last().expect("non-empty").clone();
                for next in graph.get(&last).into_iter().flatten() {
                    assert!(
                        next != start,
                        "{src}: modules import each other in a circle: {} -> {next}",
                        path.join(" -> ")
                    );
                    if seen.insert(next.clone()) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push(longer);
                    }
                }
            }
        }
    }
}
