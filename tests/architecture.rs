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

type Graph = std::collections::BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file below `dir`.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules declared in folder `dir` of a crate (`src` itself, or a module's folder such as
/// `src/tools`) and which of them each names, as `crate::path::x` or, from the module's own
/// file, `super::x`; with comments and test code left out. A child naming its parent is not
/// an edge: only siblings can make a circle here.
fn module_graph(src: &std::path::Path, dir: &std::path::Path) -> Graph {
    let path_of_dir: String = dir
        .strip_prefix(src)
        .expect("inside src")
        .components()
        .map(|c| format!("{}::", c.as_os_str().to_string_lossy()))
        .collect();
    let mut children: std::collections::BTreeMap<String, Vec<std::path::PathBuf>> = Default::default();
    for entry in std::fs::read_dir(dir).expect("module folder").flatten() {
        let path = entry.path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            if ["mod", "lib", "main"].contains(&stem) {
                continue;
            }
            let mut files = vec![path.clone()];
            if dir.join(stem).is_dir() {
                rust_files(&dir.join(stem), &mut files);
            }
            children.insert(stem.to_owned(), files);
        } else if path.join("mod.rs").is_file() {
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            children.insert(name, files);
        }
    }
    let absolute = format!("crate::{path_of_dir}");
    let mut graph = Graph::new();
    for (from, files) in &children {
        for path in files {
            let name = path.file_name().expect("name").to_string_lossy();
            if name == "tests.rs" || name.ends_with("_tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(path).expect("source");
            // Unit tests sit at the end of a file, after `#[cfg(test)]`.
            let code = text.split("#[cfg(test)]\n").next().unwrap_or("");
            // In `dir/x.rs` and `dir/x/mod.rs`, `super::` is `dir`'s module.
            let parent = path.parent();
            let own_file = parent == Some(dir) || name == "mod.rs" && parent.and_then(|p| p.parent()) == Some(dir);
            let mut prefixes = vec![absolute.as_str()];
            if own_file {
                prefixes.push("super::");
            }
            for line in code.lines().map(str::trim_start).filter(|l| !l.starts_with("//")) {
                for prefix in &prefixes {
                    let mut rest = line;
                    while let Some(at) = rest.find(prefix) {
                        rest = &rest[at + prefix.len()..];
                        let named: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if named != *from && children.contains_key(&named) {
                            graph.entry(from.clone()).or_default().insert(named);
                        }
                    }
                }
            }
        }
    }
    graph
}

/// Every folder of `src` that holds modules: `src` and each module's folder.
fn module_folders(src: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut folders = vec![src.to_path_buf()];
    let mut i = 0;
    while i < folders.len() {
        for entry in std::fs::read_dir(&folders[i]).expect("folder").flatten() {
            if entry.path().is_dir() {
                folders.push(entry.path());
            }
        }
        i += 1;
    }
    folders
}

/// A circle in `graph`, as the modules along it, if there is one.
fn circle(graph: &Graph) -> Option<String> {
    for start in graph.keys() {
        // Depth-first from `start`: reaching it again is a circle.
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = path.last().expect("non-empty").clone();
            for next in graph.get(&last).into_iter().flatten() {
                if next == start {
                    return Some(format!("{} -> {next}", path.join(" -> ")));
                }
                if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push(longer);
                }
            }
        }
    }
    None
}

#[test]
fn no_two_modules_of_a_crate_import_each_other_in_a_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut folders_checked = 0;
    for src in [
        "src",
        "crates/spot-types/src",
        "crates/spot-filters/src",
        "crates/spot-client/src",
        "crates/spot-emulator/src",
    ] {
        let src = root.join(src);
        for folder in module_folders(&src) {
            if let Some(circle) = circle(&module_graph(&src, &folder)) {
                panic!("{}: modules import each other in a circle: {circle}", folder.display());
            }
            folders_checked += 1;
        }
    }
    // The crate roots and their module folders (tools/, tools/order/, store/, memory/ ...): a
    // walk that found only the roots would check nothing below them.
    assert!(folders_checked > 10, "only {folders_checked} module folders found");
}

#[test]
fn the_circle_check_sees_siblings_by_absolute_and_relative_paths() {
    let dir = tempfile::tempdir().expect("dir");
    let src = dir.path();
    let write = |path: &str, text: &str| std::fs::write(src.join(path), text).expect("write");
    std::fs::create_dir_all(src.join("tools/order")).expect("folders");
    write("tools/mod.rs", "pub mod order;\npub mod paper;\n");
    write("tools/paper.rs", "use super::order::place;\n");
    write("tools/order/mod.rs", "pub mod place;\n");
    write("tools/order/place.rs", "use crate::tools::paper::fill;\n");
    let tools = src.join("tools");
    assert_eq!(
        circle(&module_graph(src, &tools)).as_deref(),
        Some("order -> paper -> order")
    );
    // A child reaching up to its parent's own items is not a circle.
    write("tools/order/place.rs", "use super::super::Toolbox;\n");
    assert_eq!(circle(&module_graph(src, &tools)), None);
}
