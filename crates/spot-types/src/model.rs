//! Typed Binance Spot REST responses. Every price and quantity is a `Decimal`; unknown fields are
//! ignored so new fields Binance adds never break parsing.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::filter::SymbolFilter;

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
    /// One-Pays-the-Other lists (`orderList/opo`, `/opoco`), since 2025-12-18.
    #[serde(default)]
    pub opo_allowed: bool,
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
    #[serde(default, deserialize_with = "crate::filter::deserialize_filters")]
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

/// `GET /api/v3/referencePrice` (2026-03). A symbol that never had a reference price answers
/// -2043 instead.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePrice {
    pub symbol: String,
    /// `null` when the symbol has no reference price now.
    #[serde(default)]
    pub reference_price: Option<Decimal>,
    /// ms since epoch when the reference price was valid
    #[serde(default)]
    pub timestamp: i64,
}

/// `GET /api/v3/executionRules` (2026-03): `{"symbolRules":[{"symbol","rules":[…]}]}`.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRules {
    #[serde(default)]
    pub symbol_rules: Vec<SymbolRules>,
}

/// One symbol's execution rules as Binance sent them (`ruleType` `PRICE_RANGE` today); typed by
/// `spot_filters::execution_rule::rules_of`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SymbolRules {
    pub symbol: String,
    #[serde(default)]
    pub rules: Vec<serde_json::Value>,
}

/// `GET /api/v3/myFilters` (signed, 2025-09): the filters relevant to the account on a symbol;
/// the only place `MAX_ASSET` shows. Kept as Binance sent them (for snapshots); typed by
/// `spot_filters::asset_filters_of`.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MyFilters {
    #[serde(default)]
    pub exchange_filters: Vec<serde_json::Value>,
    #[serde(default)]
    pub symbol_filters: Vec<serde_json::Value>,
    #[serde(default)]
    pub asset_filters: Vec<serde_json::Value>,
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
        let body =
            r#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#;
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

// ---- orders ---------------------------------------------------------------------------------

// Order side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schemars(inline)]
pub enum Side {
    Buy,
    Sell,
}

// Spot order types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(inline)]
pub enum OrderType {
    Limit,
    Market,
    StopLoss,
    StopLossLimit,
    TakeProfit,
    TakeProfitLimit,
    LimitMaker,
}

impl OrderType {
    /// The Binance wire name, e.g. `STOP_LOSS_LIMIT`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::Market => "MARKET",
            OrderType::StopLoss => "STOP_LOSS",
            OrderType::StopLossLimit => "STOP_LOSS_LIMIT",
            OrderType::TakeProfit => "TAKE_PROFIT",
            OrderType::TakeProfitLimit => "TAKE_PROFIT_LIMIT",
            OrderType::LimitMaker => "LIMIT_MAKER",
        }
    }

    /// Stop and take-profit types ("algo" orders for MAX_NUM_ALGO_ORDERS).
    pub fn is_algo(self) -> bool {
        matches!(
            self,
            OrderType::StopLoss | OrderType::StopLossLimit | OrderType::TakeProfit | OrderType::TakeProfitLimit
        )
    }

    /// Types that carry a limit price.
    pub fn has_limit_price(self) -> bool {
        matches!(
            self,
            OrderType::Limit | OrderType::StopLossLimit | OrderType::TakeProfitLimit | OrderType::LimitMaker
        )
    }

    /// Types that execute as a market order (now or when triggered).
    pub fn is_market_like(self) -> bool {
        matches!(self, OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit)
    }
}

// Time in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[schemars(inline)]
pub enum TimeInForce {
    /// Good till canceled.
    Gtc,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

impl TimeInForce {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
        }
    }
}

// Self-trade prevention mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schemars(inline)]
pub enum StpMode {
    None,
    ExpireMaker,
    ExpireTaker,
    ExpireBoth,
    Decrement,
    Transfer,
}

impl StpMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StpMode::None => "NONE",
            StpMode::ExpireMaker => "EXPIRE_MAKER",
            StpMode::ExpireTaker => "EXPIRE_TAKER",
            StpMode::ExpireBoth => "EXPIRE_BOTH",
            StpMode::Decrement => "DECREMENT",
            StpMode::Transfer => "TRANSFER",
        }
    }
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

/// A new Spot order, exactly as it would be sent to `POST /api/v3/order` (or `order/test`).
/// Every amount is an exact decimal. Serialized with the tool argument names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct NewOrder {
    pub symbol: String,
    pub side: Side,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<TimeInForce>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_order_qty: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    /// BIPS (100 = 1%).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_delta: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iceberg_qty: Option<Decimal>,
    /// `^[a-zA-Z0-9-_]{1,36}$`; the store's key of the order.
    #[serde(rename = "client_order_id", skip_serializing_if = "Option::is_none")]
    pub new_client_order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_mode: Option<StpMode>,
}

/// An order as Binance reports it: placement (ACK/RESULT/FULL), query and cancel responses.
/// Fields absent from a response type are `None`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderReport {
    pub symbol: String,
    pub order_id: u64,
    #[serde(default)]
    pub order_list_id: i64,
    pub client_order_id: String,
    /// On cancel responses: the client id of the canceled order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_client_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transact_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executed_qty: Option<Decimal>,
    /// Binance's own spelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cummulative_quote_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_quote_order_qty: Option<Decimal>,
    /// NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED, EXPIRED_IN_MATCH, PENDING_NEW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iceberg_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailing_delta: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_working: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fills: Vec<Fill>,
}

/// `PUT /api/v3/order/amend/keepPriority` answer. Unknown fields (e.g. `listStatus` for an order
/// in a list) are ignored.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmendResult {
    pub transact_time: i64,
    pub execution_id: u64,
    pub amended_order: AmendedOrder,
}

/// The order after a keep-priority amend. Note `cumulativeQuoteQty`: spelled correctly here,
/// unlike `cummulativeQuoteQty` everywhere else.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AmendedOrder {
    pub symbol: String,
    pub order_id: u64,
    #[serde(default)]
    pub order_list_id: i64,
    /// The client id before this amend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orig_client_order_id: Option<String>,
    pub client_order_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// The quantity after the amend.
    pub qty: Decimal,
    #[serde(default)]
    pub executed_qty: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevented_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_order_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative_quote_qty: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_trade_prevention_mode: Option<String>,
}

impl OrderReport {
    /// True for statuses after which the order can no longer change.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_deref(),
            Some("FILLED" | "CANCELED" | "REJECTED" | "EXPIRED" | "EXPIRED_IN_MATCH")
        )
    }
}

/// One fill of a FULL placement response.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    #[serde(default)]
    pub trade_id: i64,
}

/// Commission rates as fractions (0.001 = 0.1%).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
pub struct CommissionRates {
    #[serde(default)]
    pub maker: Decimal,
    #[serde(default)]
    pub taker: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<Decimal>,
}

/// BNB discount on commissions.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommissionDiscount {
    #[serde(default)]
    pub enabled_for_account: bool,
    #[serde(default)]
    pub enabled_for_symbol: bool,
    #[serde(default)]
    pub discount_asset: String,
    #[serde(default)]
    pub discount: Decimal,
}

/// `POST /api/v3/order/test` with `computeCommissionRates=true` (empty `{}` without it).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOrderResult {
    #[serde(default)]
    pub standard_commission_for_order: Option<CommissionRates>,
    #[serde(default)]
    pub special_commission_for_order: Option<CommissionRates>,
    #[serde(default)]
    pub tax_commission_for_order: Option<CommissionRates>,
    #[serde(default)]
    pub discount: Option<CommissionDiscount>,
}

/// `GET /api/v3/account/commission`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountCommission {
    pub symbol: String,
    pub standard_commission: CommissionRates,
    #[serde(default)]
    pub special_commission: Option<CommissionRates>,
    #[serde(default)]
    pub tax_commission: Option<CommissionRates>,
    #[serde(default)]
    pub discount: Option<CommissionDiscount>,
}

/// One entry of `GET /api/v3/myTrades`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    pub symbol: String,
    pub id: u64,
    pub order_id: u64,
    pub price: Decimal,
    pub qty: Decimal,
    pub quote_qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub time: i64,
    pub is_buyer: bool,
    pub is_maker: bool,
}

/// One entry of `GET /api/v3/rateLimit/order`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRateLimit {
    pub rate_limit_type: String,
    pub interval: String,
    pub interval_num: u32,
    pub limit: u64,
    pub count: u64,
}

/// An order list (OCO, OTO, OTOCO, OPO, OPOCO) as `POST /api/v3/orderList/*`, `DELETE /api/v3/orderList`
/// and `GET /api/v3/orderList` return it; queries omit `orderReports`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderListReport {
    pub order_list_id: i64,
    /// `OCO` or `OTO` (OTOCO, OPO and OPOCO lists report `OTO`).
    pub contingency_type: String,
    /// RESPONSE, EXEC_STARTED, UPDATED, ALL_DONE.
    pub list_status_type: String,
    /// EXECUTING, ALL_DONE, REJECT.
    pub list_order_status: String,
    pub list_client_order_id: String,
    pub transaction_time: i64,
    pub symbol: String,
    pub orders: Vec<OrderListMember>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_reports: Vec<OrderReport>,
}

/// One order of a list, by id.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderListMember {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
}

/// A decimal field of a raw Binance JSON object (events, stream payloads): Binance sends
/// prices and quantities as strings, which parse exactly.
pub fn decimal_field(value: &serde_json::Value, key: &str) -> Option<Decimal> {
    value.get(key)?.as_str()?.parse().ok()
}
