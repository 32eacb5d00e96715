//! The exact local validation and normalisation of a new order against its symbol's filters;
//! the account's asset filters (`myFilters`), the price the percent-price and notional filters
//! use (`prices`) and the Price Range Execution Rule (`execution_rule`). Pure: no I/O, no
//! runtime; every quote, book and filter list is fetched by the caller.
//!
//! A filter kept as `Unknown` or `Unparsed` (see `spot_types::filter`) is a rule the validator
//! cannot check: it is reported, and the order is refused rather than passed on a guess.

mod asset;
mod bounds;
pub mod execution_rule;
#[cfg(test)]
mod fixtures;
mod notional;
mod order_rules;
pub mod prices;
mod step;
mod validate;

use schemars::JsonSchema;
use serde::Serialize;

use spot_types::model::{NewOrder, SymbolInfo};

pub use asset::{AssetFilter, AssetFilters, asset_filters_of};
pub use prices::{FilterPrice, PriceQuotes, PriceSource, ReferenceQuote};
pub use spot_types::filter::{SymbolFilter, deserialize_filters};
pub use step::{is_step_multiple, round_to_step_down, round_to_step_up};
pub use validate::{normalize, validate};

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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
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
