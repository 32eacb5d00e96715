//! Symbol filters from `exchangeInfo`, parsed once into typed rules, and the exact local
//! validation of a new order against them; the account's asset filters (`myFilters`), the price
//! the price and notional filters use (`prices`) and the Price Range Execution Rule
//! (`execution_rule`). Pure: every quote, book and filter list is fetched by the caller.
//!
//! Unknown filter types are kept (Binance adds filters over time) and a known filter whose
//! fields do not parse is kept as `Unparsed`, never silently dropped: the validator treats it
//! as a rule it cannot check and refuses the order.

mod asset;
mod bounds;
pub mod execution_rule;
mod notional;
mod order_rules;
pub mod prices;
mod step;
mod validate;

#[cfg(test)]
mod fixtures;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::binance::model::{NewOrder, SymbolInfo};

pub use asset::{AssetFilter, AssetFilters};
pub use prices::{FilterPrice, PriceQuotes, PriceSource, ReferenceQuote};
pub use step::{is_step_multiple, round_to_step_down, round_to_step_up};
pub use validate::{normalize, validate};

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
    /// Price within multipliers of the reference price (see `prices`).
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

// ---- validation -------------------------------------------------------------------------

/// Open orders on the symbol right now, for the MAX_NUM_* filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOrderCounts {
    /// All open orders on the symbol.
    pub total: u32,
    /// Open STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT orders.
    pub algo: u32,
    /// Open orders with an icebergQty.
    pub iceberg: u32,
}

/// What the validator needs besides the order.
#[derive(Clone, Copy, Debug)]
pub struct ValidationContext<'a> {
    pub symbol: &'a SymbolInfo,
    /// The quotes PERCENT_PRICE(_BY_SIDE) and the notional of MARKET orders choose their price
    /// from (reference price, average, last trade); a missing one leaves its rules unchecked.
    pub prices: &'a PriceQuotes,
    /// Open orders on the symbol; `None` when unknown (MAX_NUM_* reported as unchecked).
    pub open_orders: Option<OpenOrderCounts>,
    /// The account's asset filters (MAX_ASSET).
    pub asset_filters: AssetFilters<'a>,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Violation {
    /// The filter name as Binance spells it (e.g. `LOT_SIZE`), or for rules outside the filters:
    /// `MAX_ASSET` (an asset filter), `SYMBOL_STATUS`, `ORDER_TYPE`, `REQUIRED_FIELD`, `PARAM_NOT_REQUIRED`, `ICEBERG`,
    /// `TRAILING_STOP`, `QUOTE_ORDER_QTY`, `SELF_TRADE_PREVENTION`, `POSITIVE_AMOUNT`,
    /// `BAD_PRECISION`.
    pub filter: String,
    /// The rule, e.g. `quantity % stepSize == 0`.
    pub rule: String,
    /// The field (by its tool argument name) and the value sent, e.g. `quantity=0.000015`.
    pub value: String,
    /// The nearest valid values of that field (price to the tick both ways, quantity down to the
    /// step, the bound itself when out of bounds); empty when there is no single answer.
    pub nearest_valid: Vec<String>,
    /// One readable sentence.
    pub message: String,
}

/// The verdict of local validation.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Validation {
    pub valid: bool,
    pub violations: Vec<Violation>,
    /// Rules that could not be checked locally (no price to check against, unknown filter types ...).
    pub unchecked: Vec<String>,
    /// The price the percent-price and notional rules used, and where it came from.
    pub filter_price: Option<FilterPrice>,
    /// The order with price/stop price rounded to the tick (BUY down, SELL up) and quantities
    /// rounded down to the step: offered to the agent, never applied silently.
    pub normalized: NewOrder,
}

impl Violation {
    fn new(filter: &str, rule: impl Into<String>, value: String, message: String) -> Violation {
        Violation {
            filter: filter.to_owned(),
            rule: rule.into(),
            value,
            nearest_valid: Vec::new(),
            message,
        }
    }

    fn nearest(mut self, values: Vec<String>) -> Violation {
        self.nearest_valid = values;
        self
    }
}

/// What the checks found so far: broken rules and rules that could not be checked.
#[derive(Debug, Default)]
struct Findings {
    violations: Vec<Violation>,
    unchecked: Vec<String>,
}

impl Findings {
    fn violation(&mut self, violation: Violation) {
        self.violations.push(violation);
    }

    fn unchecked(&mut self, line: String) {
        self.unchecked.push(line);
    }
}

/// Deserializes a `filters` array leniently: unknown and malformed filters are kept, not errors.
pub fn deserialize_filters<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SymbolFilter>, D::Error> {
    let raw = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(raw.into_iter().map(SymbolFilter::from_value).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn known_filters_parse_into_typed_rules() {
        let f = SymbolFilter::from_value(
            json!({"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"}),
        );
        assert_eq!(
            f,
            SymbolFilter::LotSize {
                min_qty: dec("0.00001"),
                max_qty: dec("9000"),
                step_size: dec("0.00001")
            }
        );
        assert_eq!(f.describe(), "LOT_SIZE: quantity 0.00001..9000, step 0.00001");
        let f = SymbolFilter::from_value(
            json!({"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true,"maxNotional":"9000000.00000000","applyMaxToMarket":false,"avgPriceMins":5}),
        );
        assert!(matches!(
            f,
            SymbolFilter::Notional {
                apply_min_to_market: true,
                avg_price_mins: 5,
                ..
            }
        ));
    }

    #[test]
    fn unknown_filter_types_are_kept() {
        let f = SymbolFilter::from_value(json!({"filterType":"SOMETHING_NEW","x":1}));
        assert_eq!(f.name(), "SOMETHING_NEW");
        assert!(matches!(f, SymbolFilter::Unknown { .. }));
    }

    #[test]
    fn malformed_known_filters_are_flagged_not_dropped() {
        let f = SymbolFilter::from_value(json!({"filterType":"PRICE_FILTER","minPrice":"abc"}));
        assert!(matches!(f, SymbolFilter::Unparsed { .. }));
        assert!(f.describe().contains("cannot be checked"));
    }

    #[test]
    fn zero_bounds_read_as_no_rule() {
        let f = SymbolFilter::from_value(
            json!({"filterType":"MARKET_LOT_SIZE","minQty":"0.00000000","maxQty":"97.92836420","stepSize":"0.00000000"}),
        );
        assert_eq!(f.describe(), "MARKET_LOT_SIZE: MARKET quantity <= 97.9283642, no step");
    }

    /// Every `/exchangeInfo format` example of filters.md (binance-spot-api-docs a5e0bc3).
    #[test]
    fn every_documented_symbol_filter_parses_into_a_typed_rule() {
        let examples = [
            json!({"filterType":"PRICE_FILTER","minPrice":"0.00000100","maxPrice":"100000.00000000","tickSize":"0.00000100"}),
            json!({"filterType":"PERCENT_PRICE","multiplierUp":"1.3000","multiplierDown":"0.7000","avgPriceMins":5}),
            json!({"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"1.2","bidMultiplierDown":"0.2","askMultiplierUp":"5","askMultiplierDown":"0.8","avgPriceMins":1}),
            json!({"filterType":"LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"}),
            json!({"filterType":"MIN_NOTIONAL","minNotional":"0.00100000","applyToMarket":true,"avgPriceMins":5}),
            json!({"filterType":"NOTIONAL","minNotional":"10.00000000","applyMinToMarket":false,"maxNotional":"10000.00000000","applyMaxToMarket":false,"avgPriceMins":5}),
            json!({"filterType":"ICEBERG_PARTS","limit":10}),
            json!({"filterType":"MARKET_LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"}),
            json!({"filterType":"MAX_NUM_ORDERS","maxNumOrders":25}),
            json!({"filterType":"MAX_NUM_ALGO_ORDERS","maxNumAlgoOrders":5}),
            json!({"filterType":"MAX_NUM_ICEBERG_ORDERS","maxNumIcebergOrders":5}),
            json!({"filterType":"MAX_POSITION","maxPosition":"10.00000000"}),
            json!({"filterType":"TRAILING_DELTA","minTrailingAboveDelta":10,"maxTrailingAboveDelta":2000,"minTrailingBelowDelta":10,"maxTrailingBelowDelta":2000}),
            json!({"filterType":"MAX_NUM_ORDER_AMENDS","maxNumOrderAmends":10}),
            json!({"filterType":"MAX_NUM_ORDER_LISTS","maxNumOrderLists":20}),
        ];
        for raw in examples {
            let name = raw["filterType"].as_str().unwrap_or_default().to_owned();
            let filter = SymbolFilter::from_value(raw);
            assert_eq!(filter.name(), name);
            assert!(
                !matches!(filter, SymbolFilter::Unknown { .. } | SymbolFilter::Unparsed { .. }),
                "{filter:?}"
            );
        }
        // Exchange filters never appear among a symbol's filters; if one did, it would be unknown.
        let exchange = SymbolFilter::from_value(json!({"filterType":"EXCHANGE_MAX_NUM_ORDERS","maxNumOrders":1000}));
        assert!(matches!(exchange, SymbolFilter::Unknown { .. }));
    }
}
