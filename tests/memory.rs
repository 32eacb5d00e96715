//! The memory folder through the MCP client: files, snapshots, incidents, audit, runbooks,
//! resources and prompts; plus concurrent appends from two processes.

mod common;

use common::*;
use std::collections::HashMap;

use rmcp::model::{CompletionContext, GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::json;

#[tokio::test]
async fn a_workflow_leaves_a_complete_reviewable_record() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    // Market data (snapshot), a filter failure (capture), a test order, an order, a Binance error.
    let info = mcp
        .ok(
            "market_exchange_info",
            json!({"symbols": ["BTCUSDT"], "environment": "testnet"}),
        )
        .await;
    assert_eq!(info["source"], "exchange");
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.98", "0.01");
    let bad = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.000015", "price": price, "environment": "testnet"});
    mcp.err("order_test", bad).await;
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001", "price": price, "environment": "testnet"});
    mcp.test_and_place(order).await;
    mcp.err("market_avg_price", json!({"symbol": "NOPEUSDT"})).await;
    // A production order (the emulator plays production) writes the first runbook of its shape.
    let (pbid, _) = mcp.book("BTCUSDT", "production").await;
    let prod = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001",
        "price": price_near(&pbid, "0.98", "0.01"), "environment": "production", "confirm_production": true});
    mcp.test_and_place(prod).await;

    let home = mcp.home.path();
    let snaps = mcp.ok("snapshot_list", json!({"symbol": "BTCUSDT"})).await;
    let list = snaps["snapshots"].as_array().expect("snapshots");
    assert!(
        list.iter()
            .any(|s| s["kind"] == "filters" && s["environment"] == "testnet"),
        "{snaps}"
    );
    let capture = list
        .iter()
        .find(|s| s["kind"] == "check")
        .expect("a validation capture");
    let read = mcp.ok("snapshot_read", json!({"name": capture["name"]})).await;
    assert!(
        read["content"]["verdict"].is_string() && read["content"]["filters_used"].is_array(),
        "{read}"
    );
    mcp.err("snapshot_read", json!({"name": "../memory.md"})).await;

    let incidents = mcp
        .ok("memory_read", json!({"file": "incidents", "search": "-1121"}))
        .await;
    let text = incidents["text"].as_str().expect("text");
    assert!(text.contains("-1121"), "{text}");
    let full = std::fs::read_to_string(home.join("incidents.md")).expect("incidents.md");
    assert!(
        full.contains("- tool: market_avg_price") && full.contains("- fix hint: Unknown symbol"),
        "{full}"
    );

    let audit = std::fs::read_to_string(home.join("audit.jsonl")).expect("audit");
    assert!(
        audit.lines().any(|l| l.contains("\"path\":\"/api/v3/order/test\"")),
        "{audit}"
    );
    assert!(
        audit.lines().all(|l| !l.contains("signature=")),
        "signature in the audit log"
    );
    let runbooks = std::fs::read_to_string(home.join("runbooks.md")).expect("runbooks");
    assert!(runbooks.contains("first production order of this shape"), "{runbooks}");
    // No secret anywhere in the folder.
    for entry in walk(home) {
        let bytes = std::fs::read(&entry).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(TEST_SECRET), "secret in {}", entry.display());
    }

    // The same files as resources, and through the CLI.
    let resources = mcp.client.list_all_resources().await.expect("resources");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert!(
        uris.contains(&"binance://incidents") && uris.contains(&"binance://memory"),
        "{uris:?}"
    );
    let read = mcp
        .client
        .read_resource(ReadResourceRequestParams::new("binance://runbooks"))
        .await
        .expect("read resource");
    assert!(format!("{read:?}").contains("first production order"));
    let out = std::process::Command::new(BIN)
        .args(["memory", "show", "incidents", "--since", "1d"])
        .env_clear()
        .env("BINANCE_HOME", home)
        .output()
        .expect("cli");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("-1121"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn filter_changes_are_reported_after_a_restart() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    mcp.ok("market_exchange_info", json!({"symbols": ["ETHUSDT"]})).await;
    let home = mcp.home.path().to_owned();
    // Pretend the last snapshot had another tick size, then fetch again from a new process.
    let snaps = mcp
        .ok(
            "snapshot_list",
            json!({"symbol": "ETHUSDT", "environment": "production"}),
        )
        .await;
    let name = snaps["snapshots"][0]["name"].as_str().expect("name").to_owned();
    let path = home.join("snapshots").join(&name);
    let old = std::fs::read_to_string(&path)
        .expect("snapshot")
        .replace("\"tickSize\": \"0.01000000\"", "\"tickSize\": \"0.10000000\"");
    std::fs::write(&path, old).expect("write");
    let mut env = ex.env();
    env.push(("BINANCE_SNAPSHOT_MAX_AGE_SECS".into(), "0".into()));
    let again = connect_with_home(&env, &home).await;
    let info = again.ok("market_exchange_info", json!({"symbols": ["ETHUSDT"]})).await;
    let changes = info["filter_changes"][0]["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c.as_str().unwrap_or("").contains("PRICE_FILTER.tickSize")),
        "{info}"
    );

    // With snapshots allowed, a restart reads the rules from the folder and costs no exchangeInfo weight.
    let mut env = ex.env();
    env.push(("BINANCE_SNAPSHOT_MAX_AGE_SECS".into(), "900".into()));
    let third = connect_with_home(&env, &home).await;
    let before = count_requests(&ex.production.base_url, "GET", "/api/v3/exchangeInfo").await;
    let info = third.ok("market_exchange_info", json!({"symbols": ["ETHUSDT"]})).await;
    assert_eq!(info["source"], "snapshot");
    assert_eq!(
        count_requests(&ex.production.base_url, "GET", "/api/v3/exchangeInfo").await,
        before
    );
}

#[tokio::test]
async fn prompts_are_listed_and_filled() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let prompts = mcp.client.list_all_prompts().await.expect("prompts");
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    for n in ["safe_order", "review_incidents", "market_brief"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let args = |v: serde_json::Value| v.as_object().cloned().expect("object");
    let p = mcp
        .client
        .get_prompt(
            GetPromptRequestParams::new("safe_order").with_arguments(args(json!({"order": "buy 0.001 BTC at 90000"}))),
        )
        .await
        .expect("safe_order");
    let text = format!("{p:?}");
    assert!(
        text.contains("order_validate") && text.contains("order_test") && text.contains("order_status"),
        "{text}"
    );
    let p = mcp
        .client
        .get_prompt(GetPromptRequestParams::new("market_brief").with_arguments(args(json!({"symbol": "BTCUSDT"}))))
        .await
        .expect("market_brief");
    let text = format!("{p:?}");
    assert!(text.contains("BTCUSDT") && text.contains("PRICE_FILTER"), "{text}");
    mcp.client
        .get_prompt(GetPromptRequestParams::new("review_incidents"))
        .await
        .expect("review_incidents");
}

#[tokio::test]
async fn a_client_that_reads_the_capabilities_finds_the_prompts_and_completes_their_arguments() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let info = mcp.client.peer_info().expect("the initialize result");
    let capabilities = &info.capabilities;
    assert!(capabilities.prompts.is_some(), "{capabilities:?}");
    assert!(capabilities.completions.is_some(), "{capabilities:?}");
    let prompts = mcp.client.list_all_prompts().await.expect("prompts/list");
    let mut names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["market_brief", "review_incidents", "safe_order"]);

    let before = count_requests(&ex.production.base_url, "GET", "/api/v3/exchangeInfo").await;
    let symbols = mcp
        .client
        .complete_prompt_argument("market_brief", "symbol", "BT", None)
        .await
        .expect("completion/complete");
    assert!(symbols.values.iter().any(|v| v == "BTCUSDT"), "{symbols:?}");
    assert!(symbols.values.iter().all(|v| v.starts_with("BT")), "{symbols:?}");
    assert!(symbols.values.len() <= 100, "{symbols:?}");
    // Keystrokes cost no weight: the listing was fetched once.
    for typed in ["B", "BTC", "btcu", ""] {
        let found = mcp
            .client
            .complete_prompt_simple("market_brief", "symbol", typed)
            .await
            .expect("completion/complete");
        assert!(found.len() <= 100 && !found.is_empty(), "{typed:?}: {found:?}");
    }
    assert_eq!(
        count_requests(&ex.production.base_url, "GET", "/api/v3/exchangeInfo").await,
        before + 1
    );
    let environments = mcp
        .client
        .complete_prompt_simple("market_brief", "environment", "te")
        .await
        .expect("completion/complete");
    assert_eq!(environments, ["testnet"]);
    // An environment already given picks the listing the symbols come from.
    let testnet_before = count_requests(&ex.testnet.base_url, "GET", "/api/v3/exchangeInfo").await;
    let on_testnet = mcp
        .client
        .complete_prompt_argument(
            "market_brief",
            "symbol",
            "eth",
            Some(CompletionContext::with_arguments(HashMap::from([(
                "environment".to_owned(),
                "testnet".to_owned(),
            )]))),
        )
        .await
        .expect("completion/complete");
    assert!(on_testnet.values.iter().any(|v| v == "ETHUSDT"), "{on_testnet:?}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "GET", "/api/v3/exchangeInfo").await,
        testnet_before + 1
    );
    // Free text completes to nothing; a prompt that does not exist is an error.
    let free = mcp
        .client
        .complete_prompt_simple("safe_order", "order", "buy")
        .await
        .expect("completion/complete");
    assert!(free.is_empty(), "{free:?}");
    assert!(
        mcp.client
            .complete_prompt_simple("no_such_prompt", "symbol", "BT")
            .await
            .is_err()
    );
}

#[test]
fn two_processes_appending_at_once_lose_nothing() {
    const PER_PROCESS: usize = 300;
    if let Ok(dir) = std::env::var("BINANCE_MCP_TEST_WRITER_DIR") {
        // Child mode: append as one of the two writers.
        let who = std::env::var("BINANCE_MCP_TEST_WRITER_ID").expect("id");
        let memory = binance_mcp::memory::Memory::new(dir);
        for i in 0..PER_PROCESS {
            memory
                .append_jsonl("audit.jsonl", &json!({"writer": who, "i": i, "pad": "x".repeat(200)}))
                .expect("append");
        }
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let exe = std::env::current_exe().expect("exe");
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|id| {
            std::process::Command::new(&exe)
                .args(["--exact", "two_processes_appending_at_once_lose_nothing", "--nocapture"])
                .env("BINANCE_MCP_TEST_WRITER_DIR", dir.path())
                .env("BINANCE_MCP_TEST_WRITER_ID", id)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn writer")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success());
    }
    let text = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("audit");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line intact"))
        .collect();
    assert_eq!(rows.len(), 2 * PER_PROCESS);
    for id in ["a", "b"] {
        let mut seen: Vec<u64> = rows
            .iter()
            .filter(|r| r["writer"] == id)
            .map(|r| r["i"].as_u64().expect("i"))
            .collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..PER_PROCESS as u64).collect::<Vec<_>>(),
            "writer {id} lost entries"
        );
    }
}

#[tokio::test]
async fn an_unusable_memory_folder_gives_clear_errors_and_the_server_keeps_serving() {
    let ex = Exchanges::start().await;
    // A memory folder below a regular file can never be created (root ignores permissions, this not).
    let blocker = tempfile::NamedTempFile::new().expect("file");
    let home = blocker.path().join("binance");
    let mcp = connect_with_home(&ex.env(), &home).await;
    // Market data does not need the folder: snapshots fail quietly (logged), the answer comes.
    let info = mcp.ok("market_exchange_info", json!({"symbols": ["BTCUSDT"]})).await;
    assert_eq!(info["symbols"][0]["symbol"], "BTCUSDT");
    let text = mcp.err("memory_read", json!({"file": "incidents"})).await;
    assert!(text.contains("memory folder"), "{text}");
    // Orders need the ledger: refused with a clear reason, nothing sent.
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001",
        "price": price_near(&bid, "0.98", "0.01"), "environment": "testnet"});
    let text = mcp.err("order_test", order).await;
    assert!(text.contains("memory folder"), "{text}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0
    );
    let status = mcp.ok("server_status", json!({})).await;
    assert_eq!(status["memory_folder"], home.display().to_string());
}
