//! order_amend through a real MCP client against the emulator: keep-priority quantity reduction,
//! local refusals that send nothing, the production gate, Binance's error for an unknown order.

mod common;

use std::str::FromStr;

use common::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const AMEND_PATH: &str = "/api/v3/order/amend/keepPriority";

fn limit_buy(price: &str, quantity: &str) -> Value {
    json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": quantity, "price": price, "environment": "testnet"})
}

async fn locked_usdt(mcp: &Mcp) -> Decimal {
    let bal = mcp.ok("account_balances", json!({"environment": "testnet"})).await;
    let usdt = bal["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["asset"] == "USDT")
        .expect("USDT")
        .clone();
    Decimal::from_str(usdt["locked"].as_str().expect("locked")).expect("decimal")
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("decimal string, got {v}"))).expect("decimal")
}

#[tokio::test]
async fn amend_lowers_quantity_keeps_the_order_id_and_releases_quote() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price = price_near(&bid, "0.5", "0.01");
    let placed = mcp.test_and_place(limit_buy(&price, "0.002")).await;
    assert_eq!(placed["status"], "NEW", "{placed}");
    let order_id = placed["order_id"].as_u64().expect("order id");
    let client_id = placed["client_order_id"].as_str().expect("client id").to_owned();
    let locked_before = locked_usdt(&mcp).await;
    let p = Decimal::from_str(&price).expect("price");
    assert_eq!(locked_before, p * Decimal::from_str("0.002").expect("qty"));

    let a = mcp
        .ok(
            "order_amend",
            json!({"symbol": "BTCUSDT", "order_id": order_id, "new_quantity": "0.001", "environment": "testnet"}),
        )
        .await;
    assert_eq!(a["environment"], "testnet");
    assert_eq!(a["order_id"], order_id);
    assert_eq!(a["status"], "NEW");
    assert_eq!(dec(&a["original_quantity"]), Decimal::from_str("0.002").expect("q"));
    assert_eq!(dec(&a["new_quantity"]), Decimal::from_str("0.001").expect("q"));
    assert_eq!(a["amendments"], 1);
    assert_eq!(a["max_amendments"], 10);
    assert_eq!(a["order"]["orderId"], order_id);
    assert_eq!(
        a["order"]["clientOrderId"], client_id,
        "the client id is kept by default"
    );
    assert_eq!(count_requests(&ex.testnet.base_url, "PUT", AMEND_PATH).await, 1);

    let locked_after = locked_usdt(&mcp).await;
    assert_eq!(locked_after, p * Decimal::from_str("0.001").expect("qty"));
    assert!(locked_after < locked_before);

    let s = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "client_order_id": client_id, "environment": "testnet"}),
        )
        .await;
    assert_eq!(s["order"]["orderId"], order_id);
    assert_eq!(s["order"]["origQty"], "0.00100000");

    let ledger = journal(mcp.home.path());
    assert!(ledger.contains("\"event\":\"order_amended\""), "{ledger}");
}

#[tokio::test]
async fn increases_and_off_step_quantities_are_refused_before_sending() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let placed = mcp
        .test_and_place(limit_buy(&price_near(&bid, "0.5", "0.01"), "0.002"))
        .await;
    let order_id = placed["order_id"].as_u64().expect("order id");
    let amend = |qty: &str| json!({"symbol": "BTCUSDT", "order_id": order_id, "new_quantity": qty});

    let text = mcp.err("order_amend", amend("0.003")).await;
    assert!(text.contains("only allows reductions"), "{text}");
    let text = mcp.err("order_amend", amend("0.002")).await;
    assert!(text.contains("nothing would change"), "{text}");
    let text = mcp.err("order_amend", amend("0.0010005")).await;
    assert!(text.contains("stepSize"), "{text}");
    let text = mcp.err("order_amend", amend("0")).await;
    assert!(text.contains("greater than zero"), "{text}");
    let text = mcp
        .err(
            "order_amend",
            json!({"symbol": "BTCUSDT", "order_id": order_id, "client_order_id": "x", "new_quantity": "0.001"}),
        )
        .await;
    assert!(text.contains("not both"), "{text}");
    assert_eq!(count_requests(&ex.testnet.base_url, "PUT", AMEND_PATH).await, 0);
}

#[tokio::test]
async fn production_needs_confirmation() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env_with_production_keys(), &[]).await;
    let text = mcp
        .err(
            "order_amend",
            json!({"symbol": "BTCUSDT", "order_id": 1, "new_quantity": "0.001", "environment": "production"}),
        )
        .await;
    assert!(text.contains("confirm_production"), "{text}");
    assert!(text.contains("Nothing was sent"), "{text}");
    let signed: Vec<_> = emulator_requests(&ex.production.base_url)
        .await
        .into_iter()
        .filter(|r| {
            r["query"].as_str().unwrap_or("").contains("signature")
                || r["body"].as_str().unwrap_or("").contains("signature")
        })
        .collect();
    assert!(signed.is_empty(), "signed requests reached production: {signed:?}");
}

#[tokio::test]
async fn unknown_order_gives_the_binance_error() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let text = mcp
        .err(
            "order_amend",
            json!({"symbol": "BTCUSDT", "order_id": 987654, "new_quantity": "0.001"}),
        )
        .await;
    assert!(text.contains("-2013"), "{text}");
    assert!(text.contains("Order does not exist."), "{text}");
    assert_eq!(count_requests(&ex.testnet.base_url, "PUT", AMEND_PATH).await, 0);
}

#[tokio::test]
async fn amend_is_allowed_while_halted() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let placed = mcp
        .test_and_place(limit_buy(&price_near(&bid, "0.5", "0.01"), "0.002"))
        .await;
    std::fs::write(mcp.home.path().join("HALT"), "stop").expect("halt");
    let a = mcp
        .ok(
            "order_amend",
            json!({"symbol": "BTCUSDT", "client_order_id": placed["client_order_id"], "new_quantity": "0.001", "new_client_order_id": "amended-1"}),
        )
        .await;
    assert_eq!(a["order"]["clientOrderId"], "amended-1");
    assert_eq!(a["order"]["origClientOrderId"], placed["client_order_id"]);
}
