//! Test fixtures: a BTCUSDT-like symbol (values from the 2024-03-24 capture in
//! shared/reference/samples, ICEBERG_PARTS at today's 100, all seven order types) and orders.

use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

use spot_types::model::{NewOrder, OrderType, Side, SymbolInfo, TimeInForce};

pub(super) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// Tick 0.01, step 0.00001, min notional 5, PERCENT_PRICE_BY_SIDE 0.2..5, ICEBERG_PARTS 100,
/// TRAILING_DELTA 10..2000, MAX_NUM_ORDERS 200, MAX_NUM_ALGO_ORDERS 5.
pub(super) fn btcusdt() -> SymbolInfo {
    serde_json::from_value(json!({
        "symbol": "BTCUSDT", "status": "TRADING",
        "baseAsset": "BTC", "baseAssetPrecision": 8, "quoteAsset": "USDT", "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": true, "ocoAllowed": true, "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true,
        "isSpotTradingAllowed": true,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "maxPrice": "1000000.00000000", "tickSize": "0.01000000"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.00000000", "stepSize": "0.00001000"},
            {"filterType": "ICEBERG_PARTS", "limit": 100},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "97.92836420", "stepSize": "0.00000000"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
             "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
             "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true,
             "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5}
        ],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"]
    }))
    .expect("symbol")
}

/// An order with only symbol, side and type set.
pub(super) fn order(order_type: OrderType, side: Side) -> NewOrder {
    NewOrder {
        symbol: "BTCUSDT".into(),
        side,
        order_type,
        time_in_force: None,
        quantity: None,
        quote_order_qty: None,
        price: None,
        stop_price: None,
        trailing_delta: None,
        iceberg_qty: None,
        new_client_order_id: None,
        self_trade_prevention_mode: None,
    }
}

/// A valid order of each type around a reference price of 95,000 (quantity 0.01, notional 950).
/// Stop prices sit on the side Binance expects: above the market for STOP_LOSS BUY and
/// TAKE_PROFIT SELL, below it otherwise.
pub(super) fn happy(order_type: OrderType, side: Side) -> NewOrder {
    let above = matches!(
        (order_type, side),
        (OrderType::StopLoss | OrderType::StopLossLimit, Side::Buy)
            | (OrderType::TakeProfit | OrderType::TakeProfitLimit, Side::Sell)
    );
    let stop = if above { dec("96000.00") } else { dec("94000.00") };
    let base = NewOrder {
        quantity: Some(dec("0.01")),
        ..order(order_type, side)
    };
    let gtc = Some(TimeInForce::Gtc);
    match order_type {
        OrderType::Limit => NewOrder {
            time_in_force: gtc,
            price: Some(dec("95000.00")),
            ..base
        },
        OrderType::Market => base,
        OrderType::StopLoss | OrderType::TakeProfit => NewOrder {
            stop_price: Some(stop),
            ..base
        },
        OrderType::StopLossLimit | OrderType::TakeProfitLimit => NewOrder {
            time_in_force: gtc,
            price: Some(stop),
            stop_price: Some(stop),
            ..base
        },
        OrderType::LimitMaker => NewOrder {
            price: Some(dec("95000.00")),
            ..base
        },
    }
}
