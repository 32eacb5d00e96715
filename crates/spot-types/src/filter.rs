//! Symbol filters as `exchangeInfo` sends them, parsed once into typed rules.
//!
//! Unknown filter types are kept (Binance adds filters over time) and a known filter whose
//! fields do not parse is kept as `Unparsed`, never silently dropped: a validator treats it
//! as a rule it cannot check.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// One symbol filter, in Binance's own field names. Decimal fields are decimal strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "filterType", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SymbolFilter {
    /// Price and stopPrice: `>= minPrice`, `<= maxPrice`, multiple of `tickSize` (each off when 0).
    #[serde(rename_all = "camelCase")]
    PriceFilter {
        min_price: Decimal,
        max_price: Decimal,
        tick_size: Decimal,
    },
    /// Price within multipliers of the reference price (see `spot_filters::prices`).
    #[serde(rename_all = "camelCase")]
    PercentPrice {
        multiplier_up: Decimal,
        multiplier_down: Decimal,
        avg_price_mins: u32,
    },
    /// Like PERCENT_PRICE with separate bounds for BUY (bid) and SELL (ask).
    #[serde(rename_all = "camelCase")]
    PercentPriceBySide {
        bid_multiplier_up: Decimal,
        bid_multiplier_down: Decimal,
        ask_multiplier_up: Decimal,
        ask_multiplier_down: Decimal,
        avg_price_mins: u32,
    },
    /// Quantity and icebergQty: bounds and step.
    #[serde(rename_all = "camelCase")]
    LotSize {
        min_qty: Decimal,
        max_qty: Decimal,
        step_size: Decimal,
    },
    /// Quantity of MARKET orders: bounds and step (zero means no rule).
    #[serde(rename_all = "camelCase")]
    MarketLotSize {
        min_qty: Decimal,
        max_qty: Decimal,
        step_size: Decimal,
    },
    /// Legacy minimum notional.
    #[serde(rename_all = "camelCase")]
    MinNotional {
        min_notional: Decimal,
        apply_to_market: bool,
        avg_price_mins: u32,
    },
    /// Notional (price × quantity) bounds.
    #[serde(rename_all = "camelCase")]
    Notional {
        min_notional: Decimal,
        apply_min_to_market: bool,
        max_notional: Decimal,
        apply_max_to_market: bool,
        avg_price_mins: u32,
    },
    /// `ceil(quantity / icebergQty) <= limit`.
    IcebergParts { limit: u32 },
    /// Open orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumOrders { max_num_orders: u32 },
    /// Open stop/take-profit orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumAlgoOrders { max_num_algo_orders: u32 },
    /// Open iceberg orders on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumIcebergOrders { max_num_iceberg_orders: u32 },
    /// Open order lists on the symbol.
    #[serde(rename_all = "camelCase")]
    MaxNumOrderLists { max_num_order_lists: u32 },
    /// Keep-priority amendments of one order.
    #[serde(rename_all = "camelCase")]
    MaxNumOrderAmends { max_num_order_amends: u32 },
    /// Largest base-asset position a BUY may build.
    #[serde(rename_all = "camelCase")]
    MaxPosition { max_position: Decimal },
    /// trailingDelta bounds in BIPS (100 = 1%).
    #[serde(rename_all = "camelCase")]
    TrailingDelta {
        min_trailing_above_delta: u32,
        max_trailing_above_delta: u32,
        min_trailing_below_delta: u32,
        max_trailing_below_delta: u32,
    },
    /// A filter type this server does not know yet, kept as Binance sent it.
    #[serde(rename = "UNKNOWN")]
    Unknown { name: String, raw: serde_json::Value },
    /// A known filter type whose fields did not parse: a rule that cannot be checked locally.
    #[serde(rename = "UNPARSED")]
    Unparsed {
        name: String,
        error: String,
        raw: serde_json::Value,
    },
}

const KNOWN: &[&str] = &[
    "PRICE_FILTER",
    "PERCENT_PRICE",
    "PERCENT_PRICE_BY_SIDE",
    "LOT_SIZE",
    "MARKET_LOT_SIZE",
    "MIN_NOTIONAL",
    "NOTIONAL",
    "ICEBERG_PARTS",
    "MAX_NUM_ORDERS",
    "MAX_NUM_ALGO_ORDERS",
    "MAX_NUM_ICEBERG_ORDERS",
    "MAX_NUM_ORDER_LISTS",
    "MAX_NUM_ORDER_AMENDS",
    "MAX_POSITION",
    "TRAILING_DELTA",
];

impl SymbolFilter {
    /// Parses one filter object from `exchangeInfo`; never fails.
    pub fn from_value(raw: serde_json::Value) -> SymbolFilter {
        let name = raw.get("filterType").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        if !KNOWN.contains(&name.as_str()) {
            return SymbolFilter::Unknown { name, raw };
        }
        match serde_json::from_value::<SymbolFilter>(raw.clone()) {
            Ok(filter) => filter,
            Err(e) => SymbolFilter::Unparsed {
                name,
                error: e.to_string(),
                raw,
            },
        }
    }

    /// The Binance `filterType` name.
    pub fn name(&self) -> &str {
        match self {
            SymbolFilter::PriceFilter { .. } => "PRICE_FILTER",
            SymbolFilter::PercentPrice { .. } => "PERCENT_PRICE",
            SymbolFilter::PercentPriceBySide { .. } => "PERCENT_PRICE_BY_SIDE",
            SymbolFilter::LotSize { .. } => "LOT_SIZE",
            SymbolFilter::MarketLotSize { .. } => "MARKET_LOT_SIZE",
            SymbolFilter::MinNotional { .. } => "MIN_NOTIONAL",
            SymbolFilter::Notional { .. } => "NOTIONAL",
            SymbolFilter::IcebergParts { .. } => "ICEBERG_PARTS",
            SymbolFilter::MaxNumOrders { .. } => "MAX_NUM_ORDERS",
            SymbolFilter::MaxNumAlgoOrders { .. } => "MAX_NUM_ALGO_ORDERS",
            SymbolFilter::MaxNumIcebergOrders { .. } => "MAX_NUM_ICEBERG_ORDERS",
            SymbolFilter::MaxNumOrderLists { .. } => "MAX_NUM_ORDER_LISTS",
            SymbolFilter::MaxNumOrderAmends { .. } => "MAX_NUM_ORDER_AMENDS",
            SymbolFilter::MaxPosition { .. } => "MAX_POSITION",
            SymbolFilter::TrailingDelta { .. } => "TRAILING_DELTA",
            SymbolFilter::Unknown { name, .. } | SymbolFilter::Unparsed { name, .. } => name,
        }
    }

    /// One line a human or an agent can read, e.g. `LOT_SIZE: quantity 0.00001..9000, step 0.00001`.
    pub fn describe(&self) -> String {
        let n = |d: &Decimal| d.normalize().to_string();
        let bound = |min: &Decimal, max: &Decimal| match (min.is_zero(), max.is_zero()) {
            (true, true) => "any".to_owned(),
            (false, true) => format!(">= {}", n(min)),
            (true, false) => format!("<= {}", n(max)),
            (false, false) => format!("{}..{}", n(min), n(max)),
        };
        let step = |s: &Decimal| {
            if s.is_zero() {
                "no step".to_owned()
            } else {
                format!("step {}", n(s))
            }
        };
        match self {
            SymbolFilter::PriceFilter {
                min_price,
                max_price,
                tick_size,
            } => {
                format!(
                    "PRICE_FILTER: price {}, tick {}",
                    bound(min_price, max_price),
                    if tick_size.is_zero() {
                        "none".into()
                    } else {
                        n(tick_size)
                    }
                )
            }
            SymbolFilter::PercentPrice {
                multiplier_up,
                multiplier_down,
                avg_price_mins,
            } => format!(
                "PERCENT_PRICE: price within {}x..{}x of the reference price (else the {avg_price_mins}-minute average)",
                n(multiplier_down),
                n(multiplier_up)
            ),
            SymbolFilter::PercentPriceBySide {
                bid_multiplier_up,
                bid_multiplier_down,
                ask_multiplier_up,
                ask_multiplier_down,
                avg_price_mins,
            } => format!(
                "PERCENT_PRICE_BY_SIDE: BUY price within {}x..{}x, SELL within {}x..{}x of the reference price (else the {avg_price_mins}-minute average)",
                n(bid_multiplier_down),
                n(bid_multiplier_up),
                n(ask_multiplier_down),
                n(ask_multiplier_up)
            ),
            SymbolFilter::LotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                format!("LOT_SIZE: quantity {}, {}", bound(min_qty, max_qty), step(step_size))
            }
            SymbolFilter::MarketLotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                format!(
                    "MARKET_LOT_SIZE: MARKET quantity {}, {}",
                    bound(min_qty, max_qty),
                    step(step_size)
                )
            }
            SymbolFilter::MinNotional {
                min_notional,
                apply_to_market,
                ..
            } => format!(
                "MIN_NOTIONAL: price × quantity >= {}{}",
                n(min_notional),
                if *apply_to_market { " (MARKET orders too)" } else { "" }
            ),
            SymbolFilter::Notional {
                min_notional,
                apply_min_to_market,
                max_notional,
                apply_max_to_market,
                ..
            } => format!(
                "NOTIONAL: price × quantity {} (MARKET orders: min {}, max {})",
                bound(min_notional, max_notional),
                if *apply_min_to_market { "applies" } else { "not applied" },
                if *apply_max_to_market { "applies" } else { "not applied" }
            ),
            SymbolFilter::IcebergParts { limit } => format!("ICEBERG_PARTS: at most {limit} iceberg parts"),
            SymbolFilter::MaxNumOrders { max_num_orders } => {
                format!("MAX_NUM_ORDERS: at most {max_num_orders} open orders")
            }
            SymbolFilter::MaxNumAlgoOrders { max_num_algo_orders } => {
                format!("MAX_NUM_ALGO_ORDERS: at most {max_num_algo_orders} open stop/take-profit orders")
            }
            SymbolFilter::MaxNumIcebergOrders { max_num_iceberg_orders } => {
                format!("MAX_NUM_ICEBERG_ORDERS: at most {max_num_iceberg_orders} open iceberg orders")
            }
            SymbolFilter::MaxNumOrderLists { max_num_order_lists } => {
                format!("MAX_NUM_ORDER_LISTS: at most {max_num_order_lists} open order lists")
            }
            SymbolFilter::MaxNumOrderAmends { max_num_order_amends } => {
                format!("MAX_NUM_ORDER_AMENDS: at most {max_num_order_amends} amendments per order")
            }
            SymbolFilter::MaxPosition { max_position } => format!("MAX_POSITION: base position <= {}", n(max_position)),
            SymbolFilter::TrailingDelta {
                min_trailing_above_delta,
                max_trailing_above_delta,
                min_trailing_below_delta,
                max_trailing_below_delta,
            } => format!(
                "TRAILING_DELTA: above {min_trailing_above_delta}..{max_trailing_above_delta} BIPS, below {min_trailing_below_delta}..{max_trailing_below_delta} BIPS"
            ),
            SymbolFilter::Unknown { name, raw } => format!("{name}: not known to this server: {raw}"),
            SymbolFilter::Unparsed { name, error, .. } => {
                format!("{name}: could not be parsed ({error}); it cannot be checked locally")
            }
        }
    }
}

/// Deserializes a `filters` array leniently: unknown and malformed filters are kept, not errors.
pub fn deserialize_filters<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SymbolFilter>, D::Error> {
    let raw = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(raw.into_iter().map(SymbolFilter::from_value).collect())
}
