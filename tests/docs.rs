//! Drift guards: the docs name exactly the tools and variables the server has, and every change
//! to the agent-facing contract (tool schemas and annotations) is deliberate.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

const SNAPSHOT: &str = "tests/snapshots/tools.json";

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn skill_pages() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("skill");
    let mut pages: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("skill/")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("page"),
            )
        })
        .collect();
    pages.sort();
    pages
}

/// Words shaped like tool names: `market_x`, `order_x`, `account_x`, `memory_x`, `snapshot_x`, `server_status`.
fn tool_like_words(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let tool_like = ["market_", "order_", "account_", "memory_", "snapshot_"]
            .iter()
            .any(|p| word.starts_with(p) && word.len() > p.len())
            || word == "server_status";
        if tool_like {
            out.insert(word.to_owned());
        }
    }
    out
}

async fn listed_tools() -> Vec<rmcp::model::Tool> {
    let mcp = connect(&[], &[]).await;
    mcp.client.list_all_tools().await.expect("tools/list")
}

/// The first string literal after each occurrence of `marker` in a source file.
fn literals_after(source: &str, marker: &str) -> Vec<String> {
    source
        .match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &source[i + marker.len()..];
            let start = rest.find('"')? + 1;
            let len = rest[start..].find('"')?;
            Some(rest[start..start + len].to_owned())
        })
        .collect()
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out
}

/// Names the docs may use that are not tools: the gate's refusal rules, ledger event names,
/// and the fields of tool results (`pub name:` in src/tools/). A renamed tool is none of these.
fn other_known_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in ["src/guard.rs", "src/approval.rs", "src/tools/order/place.rs"] {
        let source = read(file);
        names.extend(literals_after(&source, "Refusal::new("));
        names.extend(literals_after(&source, "rule: "));
    }
    let ledger = read("src/memory/ledger.rs");
    for line in ledger.lines() {
        let t = line.trim_start();
        let variant: String = t.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if line.starts_with("    ")
            && !line.starts_with("     ")
            && t.starts_with(|c: char| c.is_ascii_uppercase())
            && t[variant.len()..].starts_with(" {")
        {
            let mut snake = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    snake.push('_');
                }
                snake.push(c.to_ascii_lowercase());
            }
            names.insert(snake);
        }
    }
    for path in rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tools")) {
        let source = std::fs::read_to_string(path).expect("source");
        for line in source.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub ")
                && let Some((name, _)) = rest.split_once(':')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

#[tokio::test]
async fn every_tool_is_documented_and_every_documented_tool_exists() {
    let mcp = connect(&[], &[]).await;
    let tools = mcp.client.list_all_tools().await.expect("tools/list");
    let prompts = mcp.client.list_all_prompts().await.expect("prompts/list");
    let names: BTreeSet<String> = tools.iter().map(|t| t.name.to_string()).collect();
    // Argument and field names share the prefixes (order_id, ...): they are not tool names.
    let mut fields: BTreeSet<String> = other_known_names();
    fields.extend(prompts.iter().map(|p| p.name.clone()));
    for t in &tools {
        for schema in [Some(t.input_schema.clone()), t.output_schema.clone()]
            .into_iter()
            .flatten()
        {
            if let Some(props) = schema.get("properties").and_then(|p| p.as_object()) {
                fields.extend(props.keys().cloned());
            }
        }
    }
    let skill = read("SKILL.md");
    let pages = skill_pages();
    assert!(pages.len() >= 9, "skill/ has {} pages", pages.len());
    for name in &names {
        assert!(skill.contains(name.as_str()), "SKILL.md does not mention {name}");
        assert!(
            pages.iter().any(|(_, text)| text.contains(name.as_str())),
            "no skill/ page mentions {name}"
        );
    }
    let mut docs = vec![
        ("SKILL.md".to_owned(), skill),
        ("README.md".to_owned(), read("README.md")),
    ];
    docs.extend(pages);
    for (file, text) in &docs {
        for word in tool_like_words(text) {
            assert!(
                names.contains(&word) || fields.contains(&word),
                "{file} mentions {word}, which is not a tool of this server"
            );
        }
    }
}

#[test]
fn every_variable_read_is_documented_and_every_documented_variable_is_read() {
    let config = read("src/config.rs");
    let variables = |text: &str| -> BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .filter(|w| w.starts_with("BINANCE_") && w.len() > "BINANCE_".len() && !w.ends_with('_'))
            .map(str::to_owned)
            .collect()
    };
    let read_vars = variables(&config);
    let help = std::process::Command::new(BIN).arg("--help").output().expect("--help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let readme = read("README.md");
    for var in &read_vars {
        assert!(readme.contains(var.as_str()), "README.md does not document {var}");
        assert!(help.contains(var.as_str()), "--help does not document {var}");
    }
    // build.rs reads its own at build time: README documents them, `--help` has no reason to.
    let build_vars = variables(&read("build.rs"));
    for var in &build_vars {
        assert!(readme.contains(var.as_str()), "README.md does not document {var}");
    }
    let mut docs = vec![
        ("README.md".to_owned(), readme),
        ("SKILL.md".to_owned(), read("SKILL.md")),
        ("--help".to_owned(), help),
    ];
    docs.extend(skill_pages());
    for (file, text) in &docs {
        // BINANCE_LIVE_TESTS and BINANCE_TEST_* are read by the tests, not by the server.
        let server_variables = variables(text)
            .into_iter()
            .filter(|v| v != "BINANCE_LIVE_TESTS" && !v.starts_with("BINANCE_TEST_"));
        for var in server_variables {
            assert!(
                read_vars.contains(&var) || build_vars.contains(&var),
                "{file} mentions {var}, which neither the server nor build.rs reads"
            );
        }
    }
}

#[tokio::test]
async fn tool_contract_matches_its_snapshot() {
    let tools = listed_tools().await;
    let mut contract: Vec<serde_json::Value> = tools
        .iter()
        .map(|t| serde_json::to_value(t).expect("tool json"))
        .collect();
    contract.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let current = serde_json::to_string_pretty(&contract).expect("json") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SNAPSHOT);
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &current).expect("write snapshot");
        return;
    }
    let saved = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        saved == current,
        "the tool contract (names, descriptions, schemas, annotations) changed. If that is deliberate, \
         update the docs and run `UPDATE_SNAPSHOTS=1 cargo test --test docs` to accept it; then commit {SNAPSHOT}."
    );
    // The budget of the tool list: JSON characters / 4.
    let listed = serde_json::to_string(&tools).expect("json").len();
    assert!(listed / 4 < 6000, "tools/list is about {} tokens", listed / 4);
}

/// What the skill says is not built, and the evidence in the code that it is still absent: a
/// claim that stops being true (or a new claim without evidence) fails here, so the skill never
/// tells the agent the server cannot do what it does.
#[test]
fn what_the_skill_says_is_not_built_is_really_absent() {
    let tools = read(SNAPSHOT);
    let client = read("crates/spot-client/src/client.rs") + &read("crates/spot-client/src/trade.rs");
    let signing = read("crates/spot-client/src/sign.rs");
    let evidence: [(&str, bool); 3] = [
        (
            "cancel-replace",
            !tools.contains("cancel_replace") && !client.contains("cancelReplace"),
        ),
        (
            "SOR orders",
            !tools.contains("order_sor") && !client.contains("/api/v3/sor/"),
        ),
        // An RSA key file is recognised only to be refused with its own error.
        ("RSA keys", signing.contains("return Err(KeyError::Rsa)")),
    ];
    let skill = read("SKILL.md");
    let section = skill
        .split("## Not built yet")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("SKILL.md has a \"Not built yet\" section");
    let listed = section.split_once(':').map(|(_, list)| list).unwrap_or(section);
    let claims: Vec<String> = listed
        .split(',')
        .map(|c| {
            c.split('(')
                .next()
                .unwrap_or(c)
                .trim()
                .trim_end_matches('.')
                .trim()
                .to_owned()
        })
        .filter(|c| !c.is_empty())
        .collect();
    assert!(!claims.is_empty(), "no claims parsed from: {section}");
    for claim in &claims {
        let found = evidence.iter().find(|(name, _)| name == claim);
        let (_, still_absent) = found.unwrap_or_else(|| {
            panic!(
                "SKILL.md says {claim:?} is not built, but tests/docs.rs has no evidence for it: add how to check it"
            )
        });
        assert!(
            still_absent,
            "SKILL.md says {claim:?} is not built, but the code now has it: update the skill"
        );
    }
    // The pages point at that one list instead of keeping their own.
    for (page, text) in skill_pages() {
        for heading in text.lines().filter(|l| l.starts_with('#')) {
            let own_list = ["not supported", "not built"]
                .iter()
                .any(|p| heading.to_lowercase().contains(p));
            assert!(
                !own_list,
                "skill/{page} keeps its own list ({heading}): point at SKILL.md's"
            );
        }
        for line in text.lines().filter(|l| l.contains("does not exist in this server")) {
            assert!(
                claims.iter().any(|c| line.to_lowercase().contains(&c.to_lowercase())),
                "skill/{page} says something does not exist that SKILL.md does not list: {line}"
            );
        }
    }
}
