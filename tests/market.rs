//! Market tools and server_status through a real MCP client over stdio, against three emulators.

mod common;

use common::*;
use serde_json::{Value, json};

const MARKET_TOOLS: [&str; 9] = [
    "market_server_time",
    "market_exchange_info",
    "market_ticker_price",
    "market_ticker_24h",
    "market_book_ticker",
    "market_order_book",
    "market_recent_trades",
    "market_klines",
    "market_avg_price",
];

#[tokio::test]
async fn tools_are_listed_with_titles_annotations_and_portable_schemas() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let info = mcp.client.peer_info().expect("server info");
    let implementation = info.server_info.as_ref().expect("serverInfo");
    assert_eq!(implementation.name, "binance-mcp");
    assert_eq!(implementation.version, env!("CARGO_PKG_VERSION"));
    assert!(
        info.instructions
            .as_deref()
            .unwrap_or("")
            .contains("confirm_production")
    );

    let tools = mcp.client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for expected in MARKET_TOOLS.iter().chain(["server_status"].iter()) {
        assert!(names.contains(expected), "{expected} missing from {names:?}");
    }
    for tool in &tools {
        let schema = serde_json::to_string(&tool.input_schema).expect("schema");
        assert!(
            !schema.contains("$ref") && !schema.contains("\"null\""),
            "{}: {schema}",
            tool.name
        );
        assert_eq!(tool.input_schema.get("type"), Some(&json!("object")));
        assert!(tool.output_schema.is_some(), "{} has no output schema", tool.name);
        let a = tool.annotations.as_ref().expect("annotations");
        let destructive = [
            "order_place",
            "order_list_place",
            "order_list_cancel",
            "order_cancel",
            "order_cancel_all",
            "order_amend",
        ]
        .contains(&tool.name.as_ref());
        let changes_state = destructive || tool.name == "memory_append";
        assert_eq!(a.read_only_hint, Some(!changes_state), "{} readOnlyHint", tool.name);
        // A read-only tool's destructive hint means nothing in MCP and is left out; a tool that
        // changes state says whether it destroys.
        let expected_destructive = changes_state.then_some(destructive);
        assert_eq!(
            a.destructive_hint, expected_destructive,
            "{} destructiveHint",
            tool.name
        );
        assert_ne!(a.open_world_hint, Some(true), "{}: the default is left out", tool.name);
        assert!(tool.title.is_some());
        assert!(tool.description.as_deref().unwrap_or("").len() > 20);
    }
    // The budget of the whole tool list (JSON characters / 4).
    let size = serde_json::to_string(&tools).expect("json").len();
    assert!(size / 4 < 6000, "tools/list is {} tokens", size / 4);
}

#[tokio::test]
async fn every_market_tool_answers_in_every_environment_and_names_it() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let mut btc_prices = Vec::new();
    for env in ["production", "testnet", "demo"] {
        let calls: Vec<(&str, Value)> = vec![
            ("market_server_time", json!({"environment": env})),
            (
                "market_exchange_info",
                json!({"symbols": ["BTCUSDT", "ethbtc"], "environment": env}),
            ),
            (
                "market_ticker_price",
                json!({"symbols": ["BTCUSDT"], "environment": env}),
            ),
            (
                "market_ticker_24h",
                json!({"symbols": ["BTCUSDT", "ETHUSDT"], "environment": env}),
            ),
            (
                "market_ticker_24h",
                json!({"symbols": ["BNBUSDT"], "window_size": "4h", "environment": env}),
            ),
            (
                "market_book_ticker",
                json!({"symbols": ["XRPUSDT"], "environment": env}),
            ),
            (
                "market_order_book",
                json!({"symbol": "BTCUSDT", "limit": 5000, "environment": env}),
            ),
            (
                "market_recent_trades",
                json!({"symbol": "ETHUSDT", "limit": 1000, "environment": env}),
            ),
            (
                "market_klines",
                json!({"symbol": "BTCUSDT", "interval": "1h", "limit": 1000, "environment": env}),
            ),
            ("market_avg_price", json!({"symbol": "BTCUSDT", "environment": env})),
        ];
        for (tool, args) in calls {
            let out = mcp.ok(tool, args).await;
            assert_eq!(out["environment"], env, "{tool} in {env}: {out}");
        }
        let price = mcp
            .ok(
                "market_ticker_price",
                json!({"symbols": ["BTCUSDT"], "environment": env}),
            )
            .await;
        btc_prices.push(price["prices"][0]["price"].as_str().expect("price string").to_owned());
    }
    // Each environment really answered from its own exchange (different seeds, different prices).
    assert_ne!(btc_prices[0], btc_prices[1]);
    assert_ne!(btc_prices[1], btc_prices[2]);
}

#[tokio::test]
async fn market_tools_default_to_production_and_summarise_large_answers() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;

    let book = mcp
        .ok("market_order_book", json!({"symbol": "BTCUSDT", "limit": 5000}))
        .await;
    assert_eq!(book["environment"], "production");
    assert_eq!(book["truncated"], true);
    assert_eq!(book["bids"].as_array().expect("bids").len(), 50);
    assert!(book["bid_levels_fetched"].as_u64().expect("count") > 50);
    let bid: f64 = book["best_bid"].as_str().expect("bid").parse().expect("number");
    let ask: f64 = book["best_ask"].as_str().expect("ask").parse().expect("number");
    assert!(bid < ask, "crossed book {bid} / {ask}");

    let klines = mcp
        .ok(
            "market_klines",
            json!({"symbol": "BTCUSDT", "interval": "1m", "limit": 1000}),
        )
        .await;
    assert_eq!(klines["fetched"], 1000);
    assert_eq!(klines["truncated"], true);
    assert_eq!(klines["klines"].as_array().expect("rows").len(), 100);
    let s = &klines["summary"];
    let high: f64 = s["high"].as_str().expect("high").parse().expect("n");
    let low: f64 = s["low"].as_str().expect("low").parse().expect("n");
    assert!(low <= high);

    let info = mcp.ok("market_exchange_info", json!({"symbols": ["BTCUSDT"]})).await;
    let rules = info["symbols"][0]["rules"].as_array().expect("rules");
    assert!(
        rules.iter().any(|r| r.as_str().unwrap_or("").starts_with("LOT_SIZE")),
        "{rules:?}"
    );
    assert!(
        info["symbols"][0]["filters"]
            .as_array()
            .expect("filters")
            .iter()
            .any(|f| f["filterType"] == "PRICE_FILTER")
    );
    let again = mcp.ok("market_exchange_info", json!({"symbols": ["BTCUSDT"]})).await;
    assert_eq!(again["source"], "cache", "second call is served from the cache");
}

#[tokio::test]
async fn unknown_symbol_is_a_clear_error_with_binance_code() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let text = mcp.err("market_ticker_price", json!({"symbols": ["NOPEUSDT"]})).await;
    assert!(text.contains("-1121"), "{text}");
    assert!(text.contains("Invalid symbol"), "{text}");
    assert!(text.contains("What to do"), "{text}");
    let text = mcp.err("market_order_book", json!({"symbol": "BTC/USDT"})).await;
    assert!(text.contains("Nothing was sent"), "{text}");
}

#[tokio::test]
async fn bad_arguments_are_errors_and_the_server_keeps_serving() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    // Wrong types, unknown fields, out-of-range values, unknown enum values.
    mcp.err("market_order_book", json!({"symbol": 42})).await;
    mcp.err("market_order_book", json!({"symbol": "BTCUSDT", "limit": "lots"}))
        .await;
    mcp.err("market_order_book", json!({"symbol": "BTCUSDT", "limit": 6000}))
        .await;
    mcp.err("market_ticker_price", json!({"pair": "BTCUSDT"})).await;
    mcp.err("market_klines", json!({"symbol": "BTCUSDT", "interval": "2m"}))
        .await;
    mcp.err(
        "market_klines",
        json!({"symbol": "BTCUSDT", "interval": "1m", "start_time": 5}),
    )
    .await;
    mcp.err(
        "market_ticker_24h",
        json!({"symbols": ["BTCUSDT"], "window_size": "9d"}),
    )
    .await;
    mcp.err(
        "market_avg_price",
        json!({"symbol": "BTCUSDT", "environment": "mainnet"}),
    )
    .await;
    let unknown = mcp
        .client
        .call_tool(rmcp::model::CallToolRequestParams::new("order_teleport"))
        .await;
    assert!(unknown.is_err(), "unknown tool is a protocol error");
    // Still serving.
    let out = mcp.ok("market_avg_price", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(out["symbol"], "BTCUSDT");
}

#[tokio::test]
async fn list_tools_take_one_symbol_or_a_list_as_binance_does() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    for (tool, list_field) in [
        ("market_ticker_price", "prices"),
        ("market_book_ticker", "books"),
        ("market_ticker_24h", "tickers"),
        ("market_exchange_info", "symbols"),
    ] {
        let one = mcp.ok(tool, json!({"symbol": "btcusdt"})).await;
        let listed = one[list_field].as_array().unwrap_or_else(|| panic!("{tool}: {one}"));
        assert_eq!(listed.len(), 1, "{tool}: {one}");
        assert_eq!(listed[0]["symbol"], "BTCUSDT", "{tool}: {one}");
        let many = mcp.ok(tool, json!({"symbols": ["BTCUSDT", "ETHUSDT"]})).await;
        assert_eq!(many[list_field].as_array().map(Vec::len), Some(2), "{tool}: {many}");
        let both = mcp
            .err(tool, json!({"symbol": "BTCUSDT", "symbols": ["ETHUSDT"]}))
            .await;
        assert!(both.contains("not both"), "{tool}: {both}");
    }
    // The schema shows both spellings.
    let tools = mcp.client.list_all_tools().await.expect("tools/list");
    for name in [
        "market_ticker_price",
        "market_book_ticker",
        "market_ticker_24h",
        "market_exchange_info",
    ] {
        let tool = tools.iter().find(|t| t.name == name).expect("listed");
        let props = tool.input_schema.get("properties").expect("properties");
        assert_eq!(props["symbol"]["type"], "string", "{name}");
        assert_eq!(props["symbols"]["type"], "array", "{name}");
    }
}

#[tokio::test]
async fn server_status_reports_keys_without_values() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let r = mcp.call("server_status", json!({})).await;
    let all = format!(
        "{} {}",
        text(&r),
        serde_json::to_string(&r.structured_content).expect("json")
    );
    assert!(!all.contains(TEST_SECRET), "secret leaked");
    assert!(!all.contains(TEST_KEY), "full key shown");
    let s = r.structured_content.expect("structured");
    let envs = s["environments"].as_array().expect("environments");
    let testnet = envs.iter().find(|e| e["environment"] == "testnet").expect("testnet");
    assert_eq!(testnet["keys_present"], true);
    let production = envs
        .iter()
        .find(|e| e["environment"] == "production")
        .expect("production");
    assert_eq!(production["keys_present"], false);
    assert_eq!(production["base_url"], ex.production.base_url.as_str());
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["read_only"], false);
}

#[tokio::test]
async fn toolsets_and_read_only_shrink_the_tool_list() {
    let ex = Exchanges::start().await;
    let mut env = ex.env();
    env.push(("BINANCE_TOOLSETS".into(), "diagnostics".into()));
    let mcp = connect(&env, &[]).await;
    let names: Vec<String> = mcp
        .client
        .list_all_tools()
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(names, vec!["server_status"]);
}
