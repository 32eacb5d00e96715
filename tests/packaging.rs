//! The install paths besides `cargo install`, checked so they cannot drift from the server:
//! the MCP Bundle (packaging/mcpb/manifest.json: `mcpb validate` and `mcpb pack` with the pinned
//! CLI, and its tool list against the real `tools/list`), the Claude Code plugin
//! (.claude-plugin/plugin.json) and the MCP registry entry (server.json), each against its
//! published schema (vendored in tests/schemas/, see SOURCES.md).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{BIN, connect, installed};
use serde_json::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every violation of `schema` by `document`, one per line.
fn assert_valid(schema_path: &str, document_path: &str) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&json(schema_path))
        .unwrap_or_else(|e| panic!("{schema_path} does not compile: {e}"));
    let document = json(document_path);
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{document_path} does not match {schema_path}:\n  {}",
        errors.join("\n  ")
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    text
}

/// The variables the server reads (src/config.rs is their only reader).
fn server_reads(variable: &str) -> bool {
    let config = std::fs::read_to_string(repo("src/config.rs")).expect("src/config.rs");
    config.contains(&format!("\"{variable}\""))
}

const MANIFEST: &str = "packaging/mcpb/manifest.json";

#[test]
fn the_bundle_manifest_passes_mcpb_validate_and_its_schema() {
    assert_valid("tests/schemas/mcpb-manifest-v0.4.schema.json", MANIFEST);
    let out = run(Command::new(installed::mcpb()).arg("validate").arg(repo(MANIFEST)));
    assert!(out.contains("passes"), "{out}");
}

#[test]
fn the_bundle_packs_for_this_platform_and_its_binary_runs() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcpb");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("mcpb work folder");
    // The release packs a stripped release binary; this packs the test build, stripped too.
    let binary = work.join("binance-mcp");
    std::fs::copy(BIN, &binary).expect("copy the binary");
    run(Command::new("strip").arg(&binary));
    let bundle = work.join("binance-mcp-linux-x86_64.mcpb");
    run(Command::new(repo("packaging/mcpb/pack.sh"))
        .arg(&binary)
        .arg(&bundle)
        .arg("linux")
        .env("MCPB", installed::mcpb()));

    let unpacked = work.join("unpacked");
    run(Command::new(installed::mcpb())
        .arg("unpack")
        .arg(&bundle)
        .arg(&unpacked));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(unpacked.join("manifest.json")).expect("manifest"))
            .expect("json");
    let mut expected = json(MANIFEST);
    expected["compatibility"]["platforms"] = serde_json::json!(["linux"]);
    assert_eq!(
        manifest, expected,
        "the bundle carries the manifest, for this platform only"
    );
    let entry = manifest["server"]["entry_point"].as_str().expect("entry_point");
    let version = run(Command::new(unpacked.join(entry)).arg("--version"));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
}

#[tokio::test]
async fn the_bundle_lists_exactly_the_servers_tools() {
    let mcp = connect(&[], &[]).await;
    let real: BTreeMap<String, String> = mcp
        .client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| (t.name.to_string(), t.description.unwrap_or_default().to_string()))
        .collect();
    let mut manifest = json(MANIFEST);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        // Deliberate changes to the tools are copied in, the way the tool contract snapshot is.
        let tools: Vec<serde_json::Value> = real
            .iter()
            .map(|(name, description)| serde_json::json!({"name": name, "description": description}))
            .collect();
        manifest["tools"] = serde_json::Value::Array(tools);
        let text = serde_json::to_string_pretty(&manifest).expect("manifest") + "\n";
        std::fs::write(repo(MANIFEST), text).expect("write the manifest");
    }
    let listed: BTreeMap<String, String> = manifest["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| {
            let text = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            (text("name"), text("description"))
        })
        .collect();
    let real_names: Vec<&String> = real.keys().collect();
    let listed_names: Vec<&String> = listed.keys().collect();
    assert_eq!(
        listed_names, real_names,
        "{MANIFEST}: the tool names must be the server's"
    );
    for (name, description) in &listed {
        assert_eq!(
            description, &real[name],
            "{MANIFEST}: the description of {name} drifted"
        );
    }
}

#[test]
fn the_bundle_plugin_and_registry_entry_carry_cargo_s_version_and_real_variables() {
    let version = env!("CARGO_PKG_VERSION");
    let manifest = json(MANIFEST);
    let plugin = json(".claude-plugin/plugin.json");
    let server = json("server.json");
    assert_eq!(manifest["version"], version, "{MANIFEST}");
    assert_eq!(plugin["version"], version, ".claude-plugin/plugin.json");
    assert_eq!(server["version"], version, "server.json");
    assert_eq!(server["packages"][0]["version"], version, "server.json package");

    // Keys are sensitive wherever they are asked for, and every variable is one the server reads.
    for config in [&manifest["user_config"], &plugin["userConfig"]] {
        for (key, field) in config.as_object().expect("user config") {
            assert_eq!(field["sensitive"], true, "{key} must be marked sensitive");
        }
    }
    let env = [
        &manifest["server"]["mcp_config"]["env"],
        &plugin["mcpServers"]["binance"]["env"],
    ];
    for (variable, _) in env.iter().flat_map(|e| e.as_object().expect("env")) {
        assert!(server_reads(variable), "{variable} is not read by the server");
    }
    for variable in server["packages"][0]["environmentVariables"]
        .as_array()
        .expect("environmentVariables")
    {
        let name = variable["name"].as_str().expect("name");
        assert!(server_reads(name), "server.json: {name} is not read by the server");
        assert_eq!(variable["isSecret"], true, "server.json: {name} must be secret");
    }
}

#[test]
fn the_claude_code_plugin_matches_its_schema_and_carries_the_skill() {
    assert_valid(
        "tests/schemas/claude-code-plugin-manifest.json",
        ".claude-plugin/plugin.json",
    );
    // The repository is its own marketplace, so `/plugin marketplace add` + `/plugin install`.
    assert_valid(
        "tests/schemas/claude-code-marketplace.json",
        ".claude-plugin/marketplace.json",
    );
    // No `skills` field and no skills/ folder: Claude Code loads the root SKILL.md as the
    // plugin's one skill, and its pages (skill/*.md) are read relative to it.
    let plugin = json(".claude-plugin/plugin.json");
    assert!(plugin.get("skills").is_none() && !repo("skills").exists());
    let skill = std::fs::read_to_string(repo("SKILL.md")).expect("SKILL.md");
    assert!(skill.starts_with("---\nname: binance-mcp\n"), "SKILL.md front matter");
    let server = &plugin["mcpServers"]["binance"];
    assert_eq!(server["command"], "binance-mcp");
    assert_eq!(server["args"][0], "serve");
}

/// Claude Code's own validator (the pinned CLI from tests/clients/), offline with a temporary
/// HOME: it also checks what no schema says, such as every `${user_config.…}` being declared.
#[test]
fn claude_code_validates_the_plugin_and_its_marketplace() {
    let claude = installed::node_clients().join("node_modules/.bin/claude");
    let home = tempfile::tempdir().expect("temp home");
    let out = run(Command::new(claude)
        .args(["plugin", "validate", "."])
        .current_dir(repo(""))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_TELEMETRY", "1"));
    assert!(out.contains("Validation passed"), "{out}");
}

#[test]
fn the_registry_entry_matches_the_published_server_schema() {
    assert_valid("tests/schemas/registry/server.schema.json", "server.json");
    let server = json("server.json");
    let package = &server["packages"][0];
    assert_eq!(package["registryType"], "pypi");
    // The identifier is the wheel's project name (pyproject.toml).
    let pyproject = std::fs::read_to_string(repo("pyproject.toml")).expect("pyproject.toml");
    let name = format!("name = {}", package["identifier"]);
    assert!(pyproject.contains(&name), "pyproject.toml has no `{name}`");
    // The registry checks that the PyPI description names the server (the README is the wheel's).
    let readme = std::fs::read_to_string(repo("README.md")).expect("README.md");
    let marker = format!("mcp-name: {}", server["name"].as_str().expect("name"));
    assert!(readme.contains(&marker), "README.md lacks `{marker}`");
}

/// build.rs hands packaging/symbol-order.txt to the linker in release builds. Its names carry
/// hashes that follow the package's version, Cargo.lock and the toolchain: after a change to
/// one, a stale list is silently skipped by the linker and the server's resident memory grows
/// back (about 6 to 11 MB idle, `cargo bench --bench stdio`).
#[test]
fn the_symbol_order_was_recorded_for_this_version_lockfile_and_release_toolchain() {
    use sha2::{Digest, Sha256};
    let order = std::fs::read_to_string(repo("packaging/symbol-order.txt")).expect("packaging/symbol-order.txt");
    let recorded = order
        .lines()
        .find_map(|l| l.strip_prefix("# recorded for: "))
        .expect("a `# recorded for:` line");
    let lock = std::fs::read(repo("Cargo.lock")).expect("Cargo.lock");
    let tree = format!(
        "binance-mcp {}, Cargo.lock sha256 {}",
        env!("CARGO_PKG_VERSION"),
        hex::encode(Sha256::digest(lock))
    );
    assert!(
        recorded.starts_with(&tree),
        "packaging/symbol-order.txt was recorded for `{recorded}`, this tree is `{tree}`: \
         record it again with `cargo bench --bench code_layout` (needs valgrind) and commit it"
    );
    // The release workflow builds with the toolchain the names were recorded with.
    let workflow = std::fs::read_to_string(repo(".github/workflows/release.yml")).expect("release.yml");
    let pinned = workflow
        .lines()
        .find_map(|l| l.trim().strip_prefix("rust-toolchain:"))
        .map(str::trim)
        .expect("release.yml pins `rust-toolchain:`");
    assert!(
        recorded.contains(&format!("rustc {pinned} ")),
        "release.yml builds with Rust {pinned}, packaging/symbol-order.txt was recorded with `{recorded}`"
    );
    let functions = order
        .lines()
        .filter(|l| l.starts_with("_ZN") || l.starts_with("_R"))
        .count();
    assert!(functions > 1000, "only {functions} functions listed");
}
