//! Typed Binance Spot REST responses. Every price and quantity is a `Decimal`; unknown fields are
//! ignored so new fields Binance adds never break parsing.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::filters::SymbolFilter;

/// `GET /api/v3/time`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// ms since epoch
    pub server_time: i64,
}

/// One entry of `exchangeInfo.rateLimits`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    pub rate_limit_type: String,
    pub interval: String,
    pub interval_num: u32,
    pub limit: u64,
}

/// `GET /api/v3/exchangeInfo`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    #[serde(default)]
    pub timezone: String,
    /// ms since epoch
    pub server_time: i64,
    #[serde(default)]
    pub rate_limits: Vec<RateLimit>,
    #[serde(default)]
    pub exchange_filters: Vec<serde_json::Value>,
    #[serde(default)]
    pub symbols: Vec<SymbolInfo>,
}

/// One symbol of `exchangeInfo`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    pub symbol: String,
    pub status: String,
    pub base_asset: String,
    #[serde(default)]
    pub base_asset_precision: u32,
    pub quote_asset: String,
    #[serde(default)]
    pub quote_asset_precision: u32,
    #[serde(default)]
    pub order_types: Vec<String>,
    #[serde(default)]
    pub iceberg_allowed: bool,
    #[serde(default)]
    pub oco_allowed: bool,
    #[serde(default)]
    pub oto_allowed: bool,
    #[serde(default)]
    pub quote_order_qty_market_allowed: bool,
    #[serde(default)]
    pub allow_trailing_stop: bool,
    #[serde(default)]
    pub cancel_replace_allowed: bool,
    #[serde(default)]
    pub amend_allowed: bool,
    #[serde(default)]
    pub is_spot_trading_allowed: bool,
    #[serde(default, deserialize_with = "crate::filters::deserialize_filters")]
    pub filters: Vec<SymbolFilter>,
    #[serde(default)]
    pub permission_sets: Vec<Vec<String>>,
    #[serde(default)]
    pub default_self_trade_prevention_mode: Option<String>,
    #[serde(default)]
    pub allowed_self_trade_prevention_modes: Vec<String>,
}

/// `GET /api/v3/depth`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBook {
    pub last_update_id: u64,
    pub bids: Vec<PriceLevel>,
    pub asks: Vec<PriceLevel>,
}

/// One `[price, quantity]` level of a book.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct PriceLevel(pub Decimal, pub Decimal);

/// One entry of `GET /api/v3/trades`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    pub id: u64,
    pub price: Decimal,
    pub qty: Decimal,
    pub quote_qty: Decimal,
    /// ms since epoch
    pub time: i64,
    pub is_buyer_maker: bool,
    #[serde(default)]
    pub is_best_match: bool,
}

/// One row of `GET /api/v3/klines` (sent as an array by Binance).
#[derive(Clone, Debug, PartialEq)]
pub struct Kline {
    pub open_time: i64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub close_time: i64,
    pub quote_volume: Decimal,
    pub trades: u64,
    pub taker_buy_base_volume: Decimal,
    pub taker_buy_quote_volume: Decimal,
}

impl<'de> Deserialize<'de> for Kline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Row(
            i64,
            Decimal,
            Decimal,
            Decimal,
            Decimal,
            Decimal,
            i64,
            Decimal,
            u64,
            Decimal,
            Decimal,
            #[serde(default)] serde::de::IgnoredAny,
        );
        let Row(open_time, open, high, low, close, volume, close_time, quote_volume, trades, tb, tq, _) =
            Row::deserialize(deserializer)?;
        Ok(Kline {
            open_time,
            open,
            high,
            low,
            close,
            volume,
            close_time,
            quote_volume,
            trades,
            taker_buy_base_volume: tb,
            taker_buy_quote_volume: tq,
        })
    }
}

/// `GET /api/v3/avgPrice`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvgPrice {
    pub mins: u32,
    pub price: Decimal,
    /// ms since epoch of the last trade
    #[serde(default)]
    pub close_time: Option<i64>,
}

/// `GET /api/v3/ticker/24hr` and `GET /api/v3/ticker` (FULL or MINI; MINI lacks the optional fields).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24h {
    pub symbol: String,
    #[serde(default)]
    pub price_change: Option<Decimal>,
    #[serde(default)]
    pub price_change_percent: Option<Decimal>,
    #[serde(default)]
    pub weighted_avg_price: Option<Decimal>,
    #[serde(default)]
    pub prev_close_price: Option<Decimal>,
    pub last_price: Decimal,
    #[serde(default)]
    pub bid_price: Option<Decimal>,
    #[serde(default)]
    pub ask_price: Option<Decimal>,
    pub open_price: Decimal,
    pub high_price: Decimal,
    pub low_price: Decimal,
    pub volume: Decimal,
    pub quote_volume: Decimal,
    pub open_time: i64,
    pub close_time: i64,
    #[serde(default)]
    pub count: u64,
}

/// `GET /api/v3/ticker/price`.
#[derive(Clone, Debug, Deserialize)]
pub struct TickerPrice {
    pub symbol: String,
    pub price: Decimal,
}

/// `GET /api/v3/ticker/bookTicker`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    pub symbol: String,
    pub bid_price: Decimal,
    pub bid_qty: Decimal,
    pub ask_price: Decimal,
    pub ask_qty: Decimal,
}

/// `GET /api/v3/account`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(default)]
    pub can_trade: bool,
    #[serde(default)]
    pub can_withdraw: bool,
    #[serde(default)]
    pub can_deposit: bool,
    #[serde(default)]
    pub account_type: String,
    #[serde(default)]
    pub update_time: i64,
    #[serde(default)]
    pub balances: Vec<Balance>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// One asset of an account.
#[derive(Clone, Debug, Deserialize)]
pub struct Balance {
    pub asset: String,
    pub free: Decimal,
    pub locked: Decimal,
}

/// Binance's error body.
#[derive(Clone, Debug, Deserialize)]
pub struct ApiErrorBody {
    pub code: i64,
    pub msg: String,
}

/// An endpoint that answers with one object for `symbol` and an array otherwise.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn kline_rows_parse_exactly() {
        let row = r#"[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]"#;
        let k: Kline = serde_json::from_str(row).expect("kline");
        assert_eq!(k.open, Decimal::from_str("0.01634790").expect("dec"));
        assert_eq!(k.trades, 308);
        assert_eq!(k.close_time, 1499644799999);
    }

    #[test]
    fn depth_levels_are_decimals() {
        let body = r#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;
        let book: OrderBook = serde_json::from_str(body).expect("book");
        assert_eq!(book.asks[0].0, Decimal::from_str("4.000002").expect("dec"));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let body = r#"{"symbol":"BTCUSDT","price":"1.5","somethingNew":[1,2]}"#;
        let t: TickerPrice = serde_json::from_str(body).expect("ticker");
        assert_eq!(t.symbol, "BTCUSDT");
    }
}
