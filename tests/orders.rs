//! Order and account tools through a real MCP client against the emulator (testnet).

mod common;

use common::*;
use serde_json::{Value, json};

fn with_env(mut order: Value) -> Value {
    order["environment"] = json!("testnet");
    order
}

#[tokio::test]
async fn validate_test_place_status_cancel_on_testnet() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let order = with_env(
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
        "quantity": "0.00100", "price": price_near(&bid, "0.98", "0.01")}),
    );

    let v = mcp.ok("order_validate", order.clone()).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["environment"], "testnet");
    let t = mcp.ok("order_test", order.clone()).await;
    assert_eq!(t["passed"], true);
    assert!(t["estimated_fee"]["asset"] == "BTC", "{t}");
    let p = mcp.ok("order_place", order.clone()).await;
    assert_eq!(p["status"], "NEW");
    let id = p["client_order_id"].as_str().expect("client id").to_owned();
    assert!(id.starts_with("bmcp-"));

    let s = mcp
        .ok(
            "order_status",
            json!({"symbol": "BTCUSDT", "client_order_id": id, "environment": "testnet"}),
        )
        .await;
    assert_eq!(s["order"]["status"], "NEW");
    assert_eq!(s["order"]["origQty"], "0.00100000");
    let open = mcp.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(open["environment"], "testnet", "signed calls default to testnet");
    assert_eq!(open["count"], 1);
    let bal = mcp.ok("account_balances", json!({})).await;
    let usdt = bal["balances"]
        .as_array()
        .expect("balances")
        .iter()
        .find(|b| b["asset"] == "USDT")
        .expect("USDT")
        .clone();
    assert_ne!(usdt["locked"], "0", "the resting buy locks quote funds: {usdt}");

    let c = mcp
        .ok("order_cancel", json!({"symbol": "BTCUSDT", "client_order_id": id}))
        .await;
    assert_eq!(c["order"]["status"], "CANCELED");
    let h = mcp.ok("order_history", json!({"symbol": "BTCUSDT"})).await;
    assert!(
        h["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .any(|o| o["status"] == "CANCELED")
    );
    let err = mcp
        .err("order_cancel", json!({"symbol": "BTCUSDT", "client_order_id": id}))
        .await;
    assert!(err.contains("-2011"), "{err}");
}

#[tokio::test]
async fn every_order_type_has_a_happy_path() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let p = |f: &str, r: &str| price_near(r, f, "0.01");
    // Half the per-order limit at the highest price below, whatever the market's level.
    let qty = qty_within_limit(&p("1.051", &ask), "0.5", "0.00001");
    let iceberg = qty_within_limit(&p("1.051", &ask), "0.25", "0.00001");
    let orders = vec![
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": qty, "price": p("0.98", &bid)}),
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": qty}),
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quote_order_qty": "50"}),
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT_MAKER", "quantity": qty, "price": p("1.02", &ask)}),
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS", "quantity": qty, "stop_price": p("0.95", &bid)}),
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "STOP_LOSS_LIMIT", "time_in_force": "GTC", "quantity": qty,
               "stop_price": p("0.95", &bid), "price": p("0.949", &bid)}),
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "TAKE_PROFIT", "quantity": qty, "stop_price": p("1.05", &ask)}),
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "TAKE_PROFIT_LIMIT", "time_in_force": "GTC", "quantity": qty,
               "stop_price": p("1.05", &ask), "price": p("1.051", &ask)}),
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": qty,
               "iceberg_qty": iceberg, "price": p("0.97", &bid)}),
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": qty,
               "price": p("0.96", &bid), "self_trade_prevention_mode": "EXPIRE_BOTH"}),
    ];
    for order in orders {
        let placed = mcp.test_and_place(with_env(order.clone())).await;
        let status = placed["status"].as_str().expect("status");
        assert!(
            ["NEW", "FILLED", "PARTIALLY_FILLED"].contains(&status),
            "{order} -> {placed}"
        );
        if order["type"] == "MARKET" {
            assert_eq!(status, "FILLED", "{placed}");
            assert!(placed["avg_price"].is_string(), "{placed}");
        }
    }
    let trades = mcp.ok("account_trades", json!({"symbol": "BTCUSDT"})).await;
    assert!(trades["count"].as_u64().expect("count") >= 2, "{trades}");
    let all = mcp.ok("order_cancel_all", json!({"symbol": "BTCUSDT"})).await;
    assert!(all["count"].as_u64().expect("count") >= 7, "{all}");
    let open = mcp.ok("order_open_list", json!({"symbol": "BTCUSDT"})).await;
    assert_eq!(open["count"], 0);
}

#[tokio::test]
async fn each_filter_failure_is_named_with_the_nearest_valid_value() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, ask) = mcp.book("BTCUSDT", "testnet").await;
    let p = |f: &str, r: &str| price_near(r, f, "0.01");
    let cases = vec![
        (
            "LOT_SIZE",
            json!({"side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.000015", "price": p("0.98", &bid)}),
        ),
        (
            "PRICE_FILTER",
            json!({"side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001", "price": format!("{}.005", price_near(&bid, "0.98", "1"))}),
        ),
        (
            "NOTIONAL",
            json!({"side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.00001", "price": p("0.98", &bid)}),
        ),
        (
            "PERCENT_PRICE_BY_SIDE",
            json!({"side": "SELL", "type": "LIMIT", "time_in_force": "GTC", "quantity": "0.001", "price": p("6", &ask)}),
        ),
        (
            "TRAILING_DELTA",
            json!({"side": "SELL", "type": "STOP_LOSS", "quantity": "0.001", "trailing_delta": 5}),
        ),
        (
            "ICEBERG_PARTS",
            json!({"side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": "1", "iceberg_qty": "0.001", "price": p("0.5", &bid)}),
        ),
        (
            "MARKET_LOT_SIZE",
            json!({"side": "BUY", "type": "MARKET", "quantity": "5000"}),
        ),
        (
            "REQUIRED_FIELD",
            json!({"side": "BUY", "type": "LIMIT", "quantity": "0.001"}),
        ),
    ];
    for (filter, mut order) in cases {
        order["symbol"] = json!("BTCUSDT");
        let v = mcp.ok("order_validate", with_env(order.clone())).await;
        assert_eq!(v["valid"], false, "{filter}: {v}");
        let names: Vec<&str> = v["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .filter_map(|x| x["filter"].as_str())
            .collect();
        assert!(names.contains(&filter), "{filter} not among {names:?} for {order}");
    }
    let v = mcp
        .ok(
            "order_validate",
            with_env(
                json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "quantity": "0.000015", "price": p("0.98", &bid)}),
            ),
        )
        .await;
    let lot = v["violations"]
        .as_array()
        .expect("v")
        .iter()
        .find(|x| x["filter"] == "LOT_SIZE")
        .expect("LOT_SIZE")
        .clone();
    assert!(
        lot["nearest_valid"]
            .as_array()
            .expect("nearest")
            .iter()
            .any(|n| n == "0.00001"),
        "{lot}"
    );
    assert_eq!(v["normalized"]["quantity"], "0.00001");
}

#[tokio::test]
#[allow(clippy::excessive_precision)] // the point: a float literal with more digits than f64 keeps
async fn numbers_are_exact_or_refused() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let (bid, _) = mcp.book("BTCUSDT", "testnet").await;
    let price: f64 = price_near(&bid, "0.98", "1").parse().expect("price");
    // A short JSON number is accepted and kept exact.
    let v = mcp
        .ok("order_validate", with_env(json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": 0.001, "price": price})))
        .await;
    assert_eq!(v["order"]["quantity"], "0.001");
    // A number whose value needs more digits than a float keeps is refused with a request for a string.
    let text = mcp
        .err("order_validate", with_env(json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC", "quantity": 0.30000000000000004, "price": "90000"})))
        .await;
    assert!(text.contains("as a string"), "{text}");
}

#[tokio::test]
async fn account_reads_work_on_testnet() {
    let ex = Exchanges::start().await;
    let mcp = connect(&ex.env(), &[]).await;
    let bal = mcp.ok("account_balances", json!({"environment": "testnet"})).await;
    assert_eq!(bal["can_trade"], true);
    assert!(bal["warning"].is_null());
    let c = mcp.ok("account_commission", json!({"symbol": "BTCUSDT"})).await;
    assert!(c["standard"]["maker"].is_string(), "{c}");
    let r = mcp.ok("account_rate_limits", json!({})).await;
    assert!(!r["order_limits"].as_array().expect("limits").is_empty());
    let text = mcp.err("account_balances", json!({"environment": "demo"})).await;
    assert!(text.contains("BINANCE_DEMO_API_KEY"), "{text}");
}
