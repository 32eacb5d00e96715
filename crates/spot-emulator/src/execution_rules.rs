//! The Price Range Execution Rule (2026-03; faqs/price_range_execution_rules.md):
//! `GET /api/v3/executionRules`, and the limits it puts on taker executions. When an order
//! enters its taker phase, the reference price at that instant sets the range for the whole
//! phase: `[reference × bidLimitMultDown, reference × bidLimitMultUp]` for a BUY (ask
//! multipliers for a SELL). The taker executes level by level until a price falls outside;
//! there it stops and the order EXPIRES with `expiryReason`
//! `EXECUTION_RULE_PRICE_RANGE_EXCEEDED` (kept fills stay). Not enforced without the rule, with
//! no (or a null) reference price, or on a side and direction without a multiplier.

use std::ops::Deref;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;

use super::EmulatorState;
use super::error::ApiError;
use super::market::{Instrument, Market};
use super::order_model::Side;
use super::params::{Params, SymbolSelection};
use super::reference::reference;
use super::symbol_param::status_matches;
use super::symbols::{PriceRange, STATUS_FILTERS};

/// `expiryReason` of a taker stopped by the rule.
pub const PRICE_RANGE_EXCEEDED: &str = "EXECUTION_RULE_PRICE_RANGE_EXCEEDED";

/// A taker's fills after the rule: the levels it executes, and whether the rule stopped it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakerFills {
    pub fills: Vec<(Decimal, Decimal)>,
    /// True when the next level it would have taken lies outside the price range.
    pub range_exceeded: bool,
}

impl Deref for TakerFills {
    type Target = Vec<(Decimal, Decimal)>;

    fn deref(&self) -> &Self::Target {
        &self.fills
    }
}

/// The prices a taker on `side` of `inst` may execute at from `t_ms` (`None` bounds are open),
/// or `None` when the rule is not enforced.
pub fn price_limits(
    market: &Market,
    inst: &Instrument,
    side: Side,
    t_ms: i64,
) -> Option<(Option<Decimal>, Option<Decimal>)> {
    let range = inst.spec.price_range.as_ref()?;
    let reference = reference(market, inst, t_ms).price()?;
    let (down, up) = match side {
        Side::Buy => (range.bid_down, range.bid_up),
        Side::Sell => (range.ask_down, range.ask_up),
    };
    Some((down.map(|m| reference * m), up.map(|m| reference * m)))
}

/// `fills` (best first) as the rule lets a taker on `side` execute them at `t_ms`.
pub fn within_range(
    market: &Market,
    inst: &Instrument,
    side: Side,
    t_ms: i64,
    fills: Vec<(Decimal, Decimal)>,
) -> TakerFills {
    let Some((low, high)) = price_limits(market, inst, side, t_ms) else {
        return TakerFills {
            fills,
            range_exceeded: false,
        };
    };
    let inside = |price: Decimal| low.is_none_or(|l| price >= l) && high.is_none_or(|h| price <= h);
    let kept = fills.iter().take_while(|(price, _)| inside(*price)).count();
    let range_exceeded = kept < fills.len();
    let mut fills = fills;
    fills.truncate(kept);
    TakerFills { fills, range_exceeded }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionRulesAnswer {
    symbol_rules: Vec<SymbolRules>,
}

#[derive(Serialize)]
struct SymbolRules {
    symbol: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    rule_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bid_limit_mult_up: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bid_limit_mult_down: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ask_limit_mult_up: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ask_limit_mult_down: Option<String>,
}

/// A multiplier as the docs write them: four decimals (`"1.0001"`).
fn multiplier(m: Option<Decimal>) -> Option<String> {
    m.map(|mut m| {
        m.rescale(4);
        m.to_string()
    })
}

fn rule(range: &PriceRange) -> Rule {
    Rule {
        rule_type: "PRICE_RANGE",
        bid_limit_mult_up: multiplier(range.bid_up),
        bid_limit_mult_down: multiplier(range.bid_down),
        ask_limit_mult_up: multiplier(range.ask_up),
        ask_limit_mult_down: multiplier(range.ask_down),
    }
}

/// `GET /api/v3/executionRules`: `symbol` | `symbols` | `symbolStatus` (no combination:
/// -1128); every selected symbol with its rules (an empty list when it has none).
pub async fn execution_rules(
    State(state): State<Arc<EmulatorState>>,
    params: Params,
) -> Result<Json<ExecutionRulesAnswer>, ApiError> {
    params.allow_only(&["symbol", "symbols", "symbolStatus"])?;
    let selection = params.symbol_selection()?;
    let status = params.optional("symbolStatus")?;
    if status.is_some() && selection != SymbolSelection::All {
        return Err(ApiError::bad_combination());
    }
    if status.is_some_and(|s| !STATUS_FILTERS.contains(&s)) {
        return Err(ApiError::bad_request(
            super::error::code::INVALID_SYMBOLSTATUS,
            "Invalid symbolStatus.",
        ));
    }
    let market = &state.market;
    let instruments: Vec<&Instrument> = match &selection {
        SymbolSelection::One(s) => vec![market.instrument(s).ok_or_else(ApiError::invalid_symbol)?],
        SymbolSelection::Many(list) => list
            .iter()
            .map(|s| market.instrument(s).ok_or_else(ApiError::invalid_symbol))
            .collect::<Result<_, _>>()?,
        SymbolSelection::All => {
            let mut all = Vec::new();
            for inst in market.instruments() {
                if status_matches(&params, inst)? {
                    all.push(inst);
                }
            }
            all
        }
    };
    Ok(Json(ExecutionRulesAnswer {
        symbol_rules: instruments
            .into_iter()
            .map(|inst| SymbolRules {
                symbol: inst.spec.symbol.clone(),
                rules: inst.spec.price_range.iter().map(rule).collect(),
            })
            .collect(),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    const T: i64 = 1_767_225_600_000;

    #[test]
    fn a_taker_stops_before_the_first_price_outside_the_range() {
        let market = Market::new(7, default_symbols());
        let inst = market.instrument("BTCUSDT").unwrap();
        let reference = reference(&market, inst, T).price().unwrap();
        let (low, high) = price_limits(&market, inst, Side::Buy, T).unwrap();
        assert_eq!(
            (low, high),
            (
                Some(reference * Decimal::new(95, 2)),
                Some(reference * Decimal::new(105, 2))
            )
        );
        let fills = vec![
            (reference, Decimal::ONE),
            (high.unwrap(), Decimal::ONE),
            (high.unwrap() + Decimal::ONE, Decimal::ONE),
        ];
        let taken = within_range(&market, inst, Side::Buy, T, fills.clone());
        assert_eq!((taken.len(), taken.range_exceeded), (2, true));
        // A null reference price lifts the rule; a symbol without the rule ignores it.
        market.set_operator_reference("BTCUSDT", Some(None));
        assert_eq!(within_range(&market, inst, Side::Buy, T, fills.clone()).len(), 3);
        let eth = market.instrument("ETHUSDT").unwrap();
        assert!(price_limits(&market, eth, Side::Sell, T).is_none());
    }
}
