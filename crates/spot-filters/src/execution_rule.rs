//! The Price Range Execution Rule (`GET /api/v3/executionRules`, 2026-03;
//! faqs/price_range_execution_rules.md): a taker may execute only within
//! `[reference × …LimitMultDown, reference × …LimitMultUp]` (bid multipliers for BUY, ask for
//! SELL). An execution outside is not rejected: the order EXPIRES with `expiryReason`
//! `EXECUTION_RULE_PRICE_RANGE_EXCEEDED`, keeping what it filled before. Not enforced without
//! the rule, without a reference price, or (per side and direction) without the multiplier.
//!
//! Pure: [`assess`] walks a book the caller fetched.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use spot_types::model::{NewOrder, OrderType, Side, SymbolRules};

/// The expiry reason of an order stopped by the rule.
pub const PRICE_RANGE_EXCEEDED: &str = "EXECUTION_RULE_PRICE_RANGE_EXCEEDED";

/// A `PRICE_RANGE` rule; a missing multiplier leaves that side and direction unbounded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PriceRangeRule {
    #[serde(default)]
    pub bid_limit_mult_up: Option<Decimal>,
    #[serde(default)]
    pub bid_limit_mult_down: Option<Decimal>,
    #[serde(default)]
    pub ask_limit_mult_up: Option<Decimal>,
    #[serde(default)]
    pub ask_limit_mult_down: Option<Decimal>,
}

/// One rule of a symbol's `rules` array.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum ExecutionRule {
    PriceRange(PriceRangeRule),
    /// A `ruleType` this server does not know, kept by name.
    Unknown(String),
}

impl ExecutionRule {
    /// Parses one rule object; never fails.
    pub fn from_value(raw: &serde_json::Value) -> ExecutionRule {
        let rule_type = raw.get("ruleType").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        match rule_type.as_str() {
            "PRICE_RANGE" => serde_json::from_value(raw.clone())
                .map(ExecutionRule::PriceRange)
                .unwrap_or(ExecutionRule::Unknown(rule_type)),
            _ => ExecutionRule::Unknown(rule_type),
        }
    }
}

/// The prices a taker on one side may execute at; `None` is unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PriceRange {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

impl PriceRange {
    pub fn contains(&self, price: Decimal) -> bool {
        self.low.is_none_or(|l| price >= l) && self.high.is_none_or(|h| price <= h)
    }
}

impl PriceRangeRule {
    /// The range for a taker on `side` around `reference`.
    pub fn range(&self, side: Side, reference: Decimal) -> PriceRange {
        let (down, up) = match side {
            Side::Buy => (self.bid_limit_mult_down, self.bid_limit_mult_up),
            Side::Sell => (self.ask_limit_mult_down, self.ask_limit_mult_up),
        };
        PriceRange {
            low: down.and_then(|m| reference.checked_mul(m)),
            high: up.and_then(|m| reference.checked_mul(m)),
        }
    }
}

/// What the rule would do to an order taking from the book now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RangeCheck {
    /// `would_expire`, `within_range`, `does_not_take` or `unknown`.
    pub verdict: String,
    pub reference_price: Decimal,
    pub range: PriceRange,
    /// Base quantity the walk fills inside the range before stopping.
    pub fills_within_range: Decimal,
    /// The first book price outside the range the order would reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_price_outside: Option<Decimal>,
    pub message: String,
}

/// One side of the book as the caller fetched it: (price, quantity) best first, and whether
/// the book has levels beyond the last one given.
#[derive(Clone, Copy, Debug)]
pub struct BookSide<'a> {
    pub levels: &'a [(Decimal, Decimal)],
    pub truncated: bool,
}

/// Whether `order` takes liquidity (a MARKET, or a LIMIT crossing the book) and, walking
/// `book` (the side it takes from), whether it reaches a price outside `rule`'s range around
/// `reference`. `None` for order types the rule cannot be judged for now (stops trigger later;
/// LIMIT_MAKER never takes).
pub fn assess(order: &NewOrder, rule: &PriceRangeRule, reference: Decimal, book: BookSide<'_>) -> Option<RangeCheck> {
    let limit = match order.order_type {
        OrderType::Market => None,
        OrderType::Limit => Some(order.price?),
        _ => return None,
    };
    let range = rule.range(order.side, reference);
    let within_limit = |price: Decimal| {
        limit.is_none_or(|l| match order.side {
            Side::Buy => price <= l,
            Side::Sell => price >= l,
        })
    };
    // Base quantity, or quote to spend (quote_order_qty MARKET).
    let (mut left_base, mut left_quote) = (order.quantity, order.quote_order_qty);
    let mut filled = Decimal::ZERO;
    let mut first_outside = None;
    let mut took = false;
    let mut stopped_at_limit = false;
    for &(price, qty) in book.levels {
        let done = left_base.is_some_and(|q| q <= Decimal::ZERO) || left_quote.is_some_and(|q| q <= Decimal::ZERO);
        if done {
            break;
        }
        if !within_limit(price) {
            stopped_at_limit = true;
            break;
        }
        took = true;
        if !range.contains(price) {
            first_outside = Some(price);
            break;
        }
        let take = match (left_base, left_quote) {
            (Some(base), _) => qty.min(base),
            (None, Some(quote)) => match quote.checked_div(price) {
                Some(affordable) => qty.min(affordable),
                None => break,
            },
            (None, None) => break,
        };
        filled += take;
        left_base = left_base.map(|b| b - take);
        left_quote = left_quote.map(|q| q - take * price);
    }
    let complete = left_base.is_some_and(|q| q <= Decimal::ZERO) || left_quote.is_some_and(|q| q <= Decimal::ZERO);
    let shown = |p: Option<Decimal>| p.map_or_else(|| "unbounded".to_owned(), |p| p.normalize().to_string());
    let bounds = format!("[{}, {}]", shown(range.low), shown(range.high));
    let reference_n = reference.normalize();
    let (verdict, message) = if !took {
        (
            "does_not_take",
            format!(
                "the order does not take liquidity now, so the price range {bounds} (reference {reference_n}) does not bind it"
            ),
        )
    } else if let Some(outside) = first_outside {
        (
            "would_expire",
            format!(
                "walking the book, the order reaches {} outside the execution price range {bounds} (reference price {reference_n}) after filling {}: Binance would EXPIRE it there with expiryReason {PRICE_RANGE_EXCEEDED}, not fill the rest. Use a smaller quantity, or a LIMIT price inside the range",
                outside.normalize(),
                filled.normalize()
            ),
        )
    } else if complete || stopped_at_limit || !book.truncated {
        (
            "within_range",
            format!(
                "its taker executions stay inside the execution price range {bounds} (reference price {reference_n})"
            ),
        )
    } else {
        (
            "unknown",
            format!(
                "the fetched book fills only {} inside the execution price range {bounds} (reference price {reference_n}); deeper levels were not read, so it may still expire with {PRICE_RANGE_EXCEEDED}",
                filled.normalize()
            ),
        )
    };
    Some(RangeCheck {
        verdict: verdict.into(),
        reference_price: reference_n,
        range: PriceRange {
            low: range.low.map(|p| p.normalize()),
            high: range.high.map(|p| p.normalize()),
        },
        fills_within_range: filled.normalize(),
        first_price_outside: first_outside.map(|p| p.normalize()),
        message,
    })
}

/// A symbol's execution rules, typed (unknown rule types kept by name).
pub fn rules_of(symbol: &SymbolRules) -> Vec<ExecutionRule> {
    symbol.rules.iter().map(ExecutionRule::from_value).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spot_types::model::TimeInForce;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    /// The FAQ's example: 0.5..2 around a reference of 10 on both sides.
    fn faq_rule() -> PriceRangeRule {
        PriceRangeRule {
            bid_limit_mult_up: Some(d("2.0000")),
            bid_limit_mult_down: Some(d("0.5000")),
            ask_limit_mult_up: Some(d("2.0000")),
            ask_limit_mult_down: Some(d("0.5000")),
        }
    }

    fn order(order_type: OrderType, side: Side, qty: &str, price: Option<&str>) -> NewOrder {
        NewOrder {
            symbol: "BAZUSD".into(),
            side,
            order_type,
            time_in_force: price.map(|_| TimeInForce::Ioc),
            quantity: Some(d(qty)),
            quote_order_qty: None,
            price: price.map(d),
            stop_price: None,
            trailing_delta: None,
            iceberg_qty: None,
            new_client_order_id: None,
            self_trade_prevention_mode: None,
        }
    }

    /// Asks of a thin book: 12, 18, 25 (the last beyond 2 × 10).
    fn asks() -> Vec<(Decimal, Decimal)> {
        vec![(d("12"), d("1")), (d("18"), d("2")), (d("25"), d("5"))]
    }

    fn walk(o: &NewOrder, truncated: bool) -> RangeCheck {
        let levels = asks();
        assess(
            o,
            &faq_rule(),
            d("10"),
            BookSide {
                levels: &levels,
                truncated,
            },
        )
        .expect("judged")
    }

    #[test]
    fn the_range_follows_the_side_and_the_multipliers() {
        let rule = faq_rule();
        assert_eq!(
            rule.range(Side::Buy, d("10")),
            PriceRange {
                low: Some(d("5")),
                high: Some(d("20"))
            }
        );
        let one_sided = PriceRangeRule {
            ask_limit_mult_down: Some(d("0.9")),
            ..PriceRangeRule::default()
        };
        let sell = one_sided.range(Side::Sell, d("10"));
        assert!(sell.contains(d("1000")) && !sell.contains(d("8.99")));
        assert!(one_sided.range(Side::Buy, d("10")).contains(d("0.0001")));
    }

    #[test]
    fn a_market_order_walking_past_the_range_would_expire() {
        let big = walk(&order(OrderType::Market, Side::Buy, "5", None), false);
        assert_eq!(big.verdict, "would_expire");
        assert_eq!(big.fills_within_range, d("3"));
        assert_eq!(big.first_price_outside, Some(d("25")));
        assert!(big.message.contains(PRICE_RANGE_EXCEEDED), "{}", big.message);
        let small = walk(&order(OrderType::Market, Side::Buy, "2", None), false);
        assert_eq!(
            (small.verdict.as_str(), small.fills_within_range),
            ("within_range", d("2"))
        );
        // A quote amount walks the same book: 12 + 36 fills 3, then 25 is outside.
        let mut quote = order(OrderType::Market, Side::Buy, "1", None);
        quote.quantity = None;
        quote.quote_order_qty = Some(d("60"));
        assert_eq!(walk(&quote, false).verdict, "would_expire");
        quote.quote_order_qty = Some(d("30"));
        let within = walk(&quote, false);
        assert_eq!(
            (within.verdict.as_str(), within.fills_within_range),
            ("within_range", d("2"))
        );
    }

    #[test]
    fn a_limit_order_stops_at_its_price_and_the_book_may_run_out() {
        // Up to 18: fills 3 and the rest would rest on the book, never reaching 25.
        let capped = walk(&order(OrderType::Limit, Side::Buy, "5", Some("18")), false);
        assert_eq!(capped.verdict, "within_range");
        let beyond = walk(&order(OrderType::Limit, Side::Buy, "5", Some("30")), false);
        assert_eq!(beyond.verdict, "would_expire");
        let resting = walk(&order(OrderType::Limit, Side::Buy, "5", Some("11")), false);
        assert_eq!(resting.verdict, "does_not_take");
        // More than the fetched levels hold inside the range, with more levels unread.
        let levels = vec![(d("12"), d("1"))];
        let deep = assess(
            &order(OrderType::Market, Side::Buy, "5", None),
            &faq_rule(),
            d("10"),
            BookSide {
                levels: &levels,
                truncated: true,
            },
        )
        .expect("judged");
        assert_eq!(deep.verdict, "unknown");
        let stop = order(OrderType::StopLoss, Side::Buy, "1", None);
        assert!(
            assess(
                &stop,
                &faq_rule(),
                d("10"),
                BookSide {
                    levels: &levels,
                    truncated: false
                }
            )
            .is_none()
        );
    }

    #[test]
    fn rules_parse_from_the_documented_shape() {
        let raw = serde_json::json!({"ruleType":"PRICE_RANGE","bidLimitMultUp":"1.0001","bidLimitMultDown":"0.9999",
            "askLimitMultUp":"1.0001","askLimitMultDown":"0.9999"});
        let ExecutionRule::PriceRange(rule) = ExecutionRule::from_value(&raw) else {
            panic!("a price range rule")
        };
        assert_eq!(rule.bid_limit_mult_up, Some(d("1.0001")));
        assert_eq!(
            ExecutionRule::from_value(&serde_json::json!({"ruleType":"SOMETHING"})),
            ExecutionRule::Unknown("SOMETHING".into())
        );
    }
}
