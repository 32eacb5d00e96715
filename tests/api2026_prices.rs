//! The 2026 price-side rules through a real MCP client against the emulator (testnet): the
//! reference price the filters use (and which one order_validate says it used), MAX_ASSET from
//! myFilters, and the Price Range Execution Rule: a warning before a MARKET order walks a thin
//! book out of the range, and the expiry (`expiryReason`) when it is placed anyway. Each refusal
//! is checked twice: locally (nothing sent) and by the emulator itself through the raw client.
//! Amounts follow from the market each test reads, so any seed or market day gives the same
//! verdicts.

mod common;

use std::str::FromStr;
use std::time::Duration;

use binance_mcp::config::{Environment, EnvironmentConfig, credential_names};
use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use spot_client::BinanceClient;
use spot_client::sign::Credentials;
use spot_types::model::{NewOrder, OrderType, Side, TimeInForce};

const RULE_EXPIRY: &str = "EXECUTION_RULE_PRICE_RANGE_EXCEEDED";

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).expect("decimal")
}

/// The project's raw client on an emulator: it sends what it is given, with no local checks.
fn raw_client(base_url: &str) -> BinanceClient {
    let config = EnvironmentConfig {
        environment: Environment::Testnet,
        base_url: base_url.to_owned(),
        ws_api_url: String::new(),
        stream_url: String::new(),
        credentials: Some(Credentials::new(TEST_KEY, TEST_SECRET)),
        credentials_incomplete: false,
        credential_names: credential_names(Environment::Testnet),
        enabled: true,
    };
    BinanceClient::new(&config, 5000, Duration::from_secs(5))
}

fn limit(symbol: &str, side: Side, price: &str, quantity: &str) -> NewOrder {
    NewOrder {
        symbol: symbol.into(),
        side,
        order_type: OrderType::Limit,
        time_in_force: Some(TimeInForce::Gtc),
        quantity: Some(Decimal::from_str(quantity).expect("qty")),
        quote_order_qty: None,
        price: Some(Decimal::from_str(price).expect("price")),
        stop_price: None,
        trailing_delta: None,
        iceberg_qty: None,
        new_client_order_id: None,
        self_trade_prevention_mode: None,
    }
}

fn as_args(order: &NewOrder) -> Value {
    let mut args = json!({"symbol": order.symbol, "side": order.side, "type": order.order_type,
        "quantity": order.quantity.map(|q| q.to_string()), "environment": "testnet"});
    if let (Some(price), Some(tif)) = (order.price, order.time_in_force) {
        args["price"] = json!(price.to_string());
        args["time_in_force"] = json!(tif);
    }
    args
}

async fn set_reference(base_url: &str, body: Value) {
    let status = reqwest::Client::new()
        .post(format!("{base_url}/emulator/reference_price"))
        .json(&body)
        .send()
        .await
        .expect("reference price hook")
        .status();
    assert!(status.is_success(), "the hook answered {status}");
}

#[tokio::test]
async fn order_validate_says_which_price_the_filters_used() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let btc = limit("BTCUSDT", Side::Buy, &price_near(&bid, "0.98", "0.01"), "0.0005");
    let v = mcp.ok("order_validate", as_args(&btc)).await;
    assert_eq!(v["valid"], true, "{v}");
    // BTCUSDT has a reference price (the engine's moving average): the filters use it.
    assert_eq!(v["filter_price"]["source"], "reference_price", "{v}");
    let used = dec(&v["filter_price"]["price"]);
    let bid = Decimal::from_str(&bid).expect("bid");
    assert!((used - bid).abs() < bid * Decimal::new(1, 2), "{used} vs {bid}");

    // XRPUSDT never had one (-2043), BNBUSDT's is null: the average price, said so.
    for (symbol, tick, qty, why) in [
        ("XRPUSDT", "0.0001", "10", "never set"),
        ("BNBUSDT", "0.01", "0.01", "null"),
    ] {
        let (bid, _) = mcp.book(symbol, "testnet").await;
        let order = limit(symbol, Side::Buy, &price_near(&bid, "0.98", tick), qty);
        let v = mcp.ok("order_validate", as_args(&order)).await;
        assert_eq!(v["filter_price"]["source"], "average_price", "{symbol}: {v}");
        let text = v["filter_price"]["why"].as_str().expect("why");
        assert!(text.contains(why), "{symbol}: {text}");
    }
    // The -2043 answers are not failures: no incident was written for them.
    let incidents = std::fs::read_to_string(mcp.home.path().join("incidents.md")).unwrap_or_default();
    assert!(!incidents.contains("-2043"), "{incidents}");
}

#[tokio::test]
async fn percent_price_on_the_reference_price_is_refused_locally_and_by_the_exchange_alike() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let avg = mcp
        .ok(
            "market_avg_price",
            json!({"symbol": "ETHUSDT", "environment": "testnet"}),
        )
        .await;
    let average = dec(&avg["price"]);
    // An operator sets ETHUSDT's reference price 50% above the average: a BUY at a quarter of
    // the average clears PERCENT_PRICE_BY_SIDE's 0.2 × average, not 0.2 × the reference price.
    let reference = (average * Decimal::new(15, 1)).round_dp(2);
    set_reference(
        &ex.testnet.base_url,
        json!({"symbol": "ETHUSDT", "referencePrice": reference.to_string()}),
    )
    .await;
    let price = (average * Decimal::new(25, 2)).round_dp(2);
    let order = limit("ETHUSDT", Side::Buy, &price.to_string(), "0.01");

    let v = mcp.ok("order_validate", as_args(&order)).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["filter_price"]["source"], "reference_price");
    assert_eq!(dec(&v["filter_price"]["price"]), reference);
    let violation = &v["violations"][0];
    assert_eq!(violation["filter"], "PERCENT_PRICE_BY_SIDE", "{v}");
    assert!(
        violation["message"]
            .as_str()
            .expect("message")
            .contains("reference price"),
        "{violation}"
    );
    let text = mcp.err("order_test", as_args(&order)).await;
    assert!(
        text.contains("PERCENT_PRICE_BY_SIDE") && text.contains("not sent"),
        "{text}"
    );
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0
    );

    // The exchange refuses the same payload on its own.
    let err = raw_client(&ex.testnet.base_url)
        .test_order(&order, false)
        .await
        .expect_err("the emulator refuses it too");
    assert_eq!(err.code(), Some(-1013), "{err}");
    assert!(
        err.to_string().contains("Filter failure: PERCENT_PRICE_BY_SIDE"),
        "{err}"
    );
    assert!(err.hint().contains("reference price"), "{}", err.hint());
}

#[tokio::test]
async fn max_asset_from_my_filters_is_refused_locally_and_by_the_exchange_alike() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (_, ask) = mcp.book("BTCJPY", "testnet").await;
    let price = price_near(&ask, "1.01", "1");
    // About 14,000,000 JPY a bitcoin (±25%): 0.1 BTC is above the testnet's 1,000,000 JPY.
    let big = limit("BTCJPY", Side::Sell, &price, "0.1");
    let v = mcp.ok("order_validate", as_args(&big)).await;
    assert_eq!(v["valid"], false, "{v}");
    let violation = v["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .find(|x| x["filter"] == "MAX_ASSET")
        .unwrap_or_else(|| panic!("a MAX_ASSET violation: {v}"))
        .clone();
    assert!(
        violation["message"].as_str().expect("message").contains("1000000 JPY"),
        "{violation}"
    );
    let nearest = dec(&violation["nearest_valid"][0]);
    assert!(nearest * Decimal::from_str(&price).expect("price") <= Decimal::from(1_000_000));
    assert!(
        v["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .any(|r| r == "MAX_ASSET: at most 1000000 JPY per order"),
        "{v}"
    );
    let text = mcp.err("order_test", as_args(&big)).await;
    assert!(text.contains("MAX_ASSET"), "{text}");
    assert_eq!(
        count_requests(&ex.testnet.base_url, "POST", "/api/v3/order/test").await,
        0
    );
    // myFilters was read once (signed), then cached and kept in the filter snapshot.
    assert_eq!(
        count_requests(&ex.testnet.base_url, "GET", "/api/v3/myFilters").await,
        1
    );
    let snapshots = std::fs::read_dir(mcp.home.path().join("snapshots/testnet/BTCJPY"))
        .expect("BTCJPY snapshots")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| std::fs::read_to_string(e.path()).expect("snapshot"))
        .collect::<Vec<_>>();
    assert!(
        snapshots
            .iter()
            .any(|s| s.contains("my_filters") && s.contains("MAX_ASSET")),
        "{snapshots:?}"
    );

    let err = raw_client(&ex.testnet.base_url)
        .test_order(&big, false)
        .await
        .expect_err("the emulator refuses it too");
    assert!(err.to_string().contains("Filter failure: MAX_ASSET"), "{err}");
    assert!(err.hint().contains("MAX_ASSET"), "{}", err.hint());
    // Half of it passes both.
    let half = limit("BTCJPY", Side::Sell, &price, "0.05");
    assert_eq!(mcp.ok("order_validate", as_args(&half)).await["valid"], true);
    raw_client(&ex.testnet.base_url)
        .test_order(&half, false)
        .await
        .expect("within MAX_ASSET");
}

#[tokio::test]
async fn the_raw_client_reads_the_2026_endpoints() {
    let emu = start_emulator(11).await;
    let client = raw_client(&emu.base_url);
    let set = client.reference_price("BTCUSDT").await.expect("a reference price");
    assert!(set.reference_price.is_some() && set.timestamp > 0);
    assert_eq!(
        client.reference_price("BNBUSDT").await.expect("null").reference_price,
        None
    );
    let never = client.reference_price("ETHBTC").await.expect_err("-2043");
    assert_eq!(never.code(), Some(-2043));
    let rules = client
        .execution_rules(&["BROCCOLI714USDC".into()])
        .await
        .expect("rules");
    assert_eq!(rules.symbol_rules[0].rules[0]["ruleType"], "PRICE_RANGE");
    let mine = client.my_filters("BTCJPY").await.expect("myFilters");
    assert_eq!(
        mine.asset_filters,
        vec![json!({"filterType": "MAX_ASSET", "asset": "JPY", "limit": "1000000.00000000"})]
    );
}

/// Polls `probe` every 200 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the testnet user-data subscription is up (events before it would be missed).
async fn subscribed(mcp: &Mcp) {
    eventually(
        "the testnet user-data subscription",
        Duration::from_secs(15),
        || async {
            let status = mcp.ok("server_status", json!({})).await;
            let testnet = status["environments"]
                .as_array()?
                .iter()
                .find(|e| e["environment"] == "testnet")?
                .clone();
            (testnet["user_stream"]["state"] == "subscribed").then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_market_order_into_a_thin_book_is_warned_about_and_expires_with_its_reason() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    subscribed(&mcp).await;
    // BROCCOLI714USDC: 20 levels a side, 1% apart, under a ±5% price range. 3000 is more than
    // the levels inside the range hold, and (at about 0.02 USDC) within the 100 USDC limit.
    let order = json!({"symbol": "BROCCOLI714USDC", "side": "BUY", "type": "MARKET", "quantity": "3000",
        "environment": "testnet"});
    let v = mcp.call("order_validate", order.clone()).await;
    assert_ne!(v.is_error, Some(true), "{}", text(&v));
    let out = v.structured_content.clone().expect("structured");
    assert_eq!(out["valid"], true, "{out}");
    let rule = &out["execution_rule"];
    assert_eq!(rule["verdict"], "would_expire", "{out}");
    assert!(
        rule["message"].as_str().expect("message").contains(RULE_EXPIRY),
        "{rule}"
    );
    let high = dec(&rule["range"]["high"]);
    assert!(dec(&rule["first_price_outside"]) > high);
    assert!(text(&v).contains("WARNING"), "{}", text(&v));

    // The test passes (Binance's test endpoint never matches) and warns the same way.
    let tested = mcp.ok("order_test", order.clone()).await;
    assert_eq!(tested["execution_rule"]["verdict"], "would_expire", "{tested}");

    // Placed anyway: the exchange expires it at the edge of the range, keeping what filled.
    let placed = mcp.ok("order_place", order).await;
    assert_eq!(placed["status"], "EXPIRED", "{placed}");
    assert_eq!(placed["report"]["expiryReason"], RULE_EXPIRY, "{placed}");
    assert!(
        placed["next_step"].as_str().expect("next step").contains("Price Range"),
        "{placed}"
    );
    let order_id = placed["order_id"].as_u64().expect("order id");
    let status = mcp
        .call(
            "order_status",
            json!({"symbol": "BROCCOLI714USDC", "order_id": order_id, "environment": "testnet"}),
        )
        .await;
    let shown = status.structured_content.clone().expect("structured");
    assert_eq!(shown["order"]["expiryReason"], RULE_EXPIRY, "{shown}");
    assert!(text(&status).contains(RULE_EXPIRY), "{}", text(&status));
    assert!(dec(&shown["order"]["executedQty"]) < Decimal::from(3000));

    // The user-data executionReport carries it as `eR`; order_events shows it.
    let expired = eventually("the EXPIRED event", Duration::from_secs(15), || async {
        let events = mcp
            .ok(
                "order_events",
                json!({"order_id": order_id, "environment": "testnet", "limit": 50}),
            )
            .await;
        events["events"]
            .as_array()?
            .iter()
            .find(|e| e["status"] == "EXPIRED")
            .cloned()
    })
    .await;
    assert_eq!(expired["expiry_reason"], RULE_EXPIRY, "{expired}");
}
