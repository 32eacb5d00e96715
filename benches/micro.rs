//! Micro-benchmarks: HMAC signing of an order payload and exact filter validation.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::Decimal;
use spot_client::sign::{Credentials, encode_params, signed_query};
use spot_filters::{AssetFilters, OpenOrderCounts, PriceQuotes, ValidationContext, validate};
use spot_types::model::{NewOrder, OrderType, Side, SymbolInfo, TimeInForce};

fn symbol() -> SymbolInfo {
    serde_json::from_value(serde_json::json!({
        "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "baseAssetPrecision": 8,
        "quoteAsset": "USDT", "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": true, "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true,
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
            {"filterType": "ICEBERG_PARTS", "limit": 100},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "97.92836420", "stepSize": "0.00000000"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000, "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2", "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}
        ]
    }))
    .expect("symbol")
}

fn order() -> NewOrder {
    NewOrder {
        symbol: "BTCUSDT".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        time_in_force: Some(TimeInForce::Gtc),
        quantity: Some(Decimal::from_str("0.00123").expect("qty")),
        quote_order_qty: None,
        price: Some(Decimal::from_str("93500.12").expect("price")),
        stop_price: None,
        trailing_delta: None,
        iceberg_qty: None,
        new_client_order_id: Some("bench-order-1".into()),
        self_trade_prevention_mode: None,
    }
}

fn benches(c: &mut Criterion) {
    let creds = Credentials::new(
        "benchkey",
        "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
    );
    let params = spot_client::client::order_params(&order());
    c.bench_function("sign an order payload (encode + HMAC-SHA256)", |b| {
        b.iter(|| signed_query(&creds, &encode_params(black_box(&params))))
    });
    let info = symbol();
    let o = order();
    let prices = PriceQuotes::average_only(Some(Decimal::from_str("93600").expect("ref")), 5);
    let ctx = ValidationContext {
        symbol: &info,
        prices: &prices,
        asset_filters: AssetFilters::Known(&[]),
        open_orders: Some(OpenOrderCounts {
            total: 3,
            algo: 1,
            iceberg: 0,
        }),
    };
    c.bench_function("validate a LIMIT order against every filter", |b| {
        b.iter(|| validate(black_box(&o), black_box(&ctx)))
    });
}

criterion_group!(micro, benches);
criterion_main!(micro);
