//! MIN_NOTIONAL and NOTIONAL: `price × quantity` within bounds. Limit types use their own price;
//! MARKET orders are checked only as `applyToMarket` / `applyMinToMarket` / `applyMaxToMarket`
//! say, valued at the price `prices` chooses (the reference price when the symbol has one, else
//! the average or the last trade), or by `quoteOrderQty` itself.

use rust_decimal::Decimal;

use super::step::{round_to_step_down, round_to_step_up, show};
use super::validate::Check;
use super::{Findings, SymbolFilter, Violation};
use spot_types::model::OrderType;

/// NOTIONAL, or MIN_NOTIONAL as a NOTIONAL without a maximum; a zero bound is off.
struct NotionalRule {
    filter: &'static str,
    min: Decimal,
    max: Decimal,
    min_to_market: bool,
    max_to_market: bool,
    avg_price_mins: u32,
}

impl NotionalRule {
    fn of(filter: &SymbolFilter) -> Option<NotionalRule> {
        match *filter {
            SymbolFilter::MinNotional {
                min_notional,
                apply_to_market,
                avg_price_mins,
            } => Some(NotionalRule {
                filter: "MIN_NOTIONAL",
                min: min_notional,
                max: Decimal::ZERO,
                min_to_market: apply_to_market,
                max_to_market: false,
                avg_price_mins,
            }),
            SymbolFilter::Notional {
                min_notional,
                apply_min_to_market,
                max_notional,
                apply_max_to_market,
                avg_price_mins,
            } => Some(NotionalRule {
                filter: "NOTIONAL",
                min: min_notional,
                max: max_notional,
                min_to_market: apply_min_to_market,
                max_to_market: apply_max_to_market,
                avg_price_mins,
            }),
            _ => None,
        }
    }
}

/// What an order's notional is computed from.
#[derive(Clone, Copy, Debug)]
enum Basis {
    /// `price × quantity`, with the order's price or (MARKET) the filters' price, whose source
    /// `reference` names (e.g. `average price`).
    PerUnit {
        price: Decimal,
        quantity: Decimal,
        reference: Option<&'static str>,
    },
    /// A MARKET order by `quoteOrderQty`: that amount is the notional.
    Quote(Decimal),
}

impl Basis {
    /// The notional, or `None` on overflow.
    fn notional(self) -> Option<Decimal> {
        match self {
            Basis::PerUnit { price, quantity, .. } => price.checked_mul(quantity),
            Basis::Quote(quote) => Some(quote),
        }
    }

    /// The sent field that carries the amount: `quantity=…` or `quote_order_qty=…`.
    fn sent(self) -> String {
        match self {
            Basis::PerUnit { quantity, .. } => format!("quantity={quantity}"),
            Basis::Quote(quote) => format!("quote_order_qty={quote}"),
        }
    }

    /// The left side of the rule, e.g. `price × quantity`.
    fn formula(self) -> &'static str {
        match self {
            Basis::PerUnit { reference: Some(_), .. } => "reference price × quantity",
            Basis::PerUnit { .. } => "price × quantity",
            Basis::Quote(_) => "quote_order_qty",
        }
    }

    /// The computation in words, e.g. `price 95000 × quantity 0.00005`.
    fn describe(self) -> String {
        match self {
            Basis::PerUnit {
                price,
                quantity,
                reference,
            } => {
                let source = reference.unwrap_or("price");
                format!("{source} {price} × quantity {quantity}")
            }
            Basis::Quote(quote) => format!("quote_order_qty {quote}"),
        }
    }
}

impl Check<'_> {
    /// MIN_NOTIONAL or NOTIONAL.
    pub(super) fn notional(&self, filter: &SymbolFilter, out: &mut Findings) {
        let Some(rule) = NotionalRule::of(filter) else { return };
        let market = self.order.order_type == OrderType::Market;
        let check_min = !rule.min.is_zero() && (!market || rule.min_to_market);
        let check_max = !rule.max.is_zero() && (!market || rule.max_to_market);
        if !check_min && !check_max {
            return;
        }
        let Some(basis) = self.notional_basis(rule.filter, rule.avg_price_mins, out) else {
            return;
        };
        let Some(notional) = basis.notional() else {
            out.unchecked(format!("{}: the notional overflows; not checked locally", rule.filter));
            return;
        };
        let shown = notional.normalize();
        if check_min && notional < rule.min {
            let message = format!(
                "notional {} = {shown} is below minNotional {}",
                basis.describe(),
                rule.min.normalize()
            );
            let violation = Violation::new(
                rule.filter,
                format!("{} >= minNotional", basis.formula()),
                basis.sent(),
                message,
            );
            out.violation(violation.nearest(self.notional_nearest(basis, rule.min, true)));
        }
        if check_max && notional > rule.max {
            let message = format!(
                "notional {} = {shown} is above maxNotional {}",
                basis.describe(),
                rule.max.normalize()
            );
            let violation = Violation::new(
                rule.filter,
                format!("{} <= maxNotional", basis.formula()),
                basis.sent(),
                message,
            );
            out.violation(violation.nearest(self.notional_nearest(basis, rule.max, false)));
        }
    }

    /// What the notional is computed from, or `None` (with an unchecked line when that is a gap
    /// in what we know, not a missing field) when it cannot be computed.
    fn notional_basis(&self, filter: &str, avg_price_mins: u32, out: &mut Findings) -> Option<Basis> {
        let order = self.order;
        match order.order_type {
            t if t.has_limit_price() => Some(Basis::PerUnit {
                price: order.price?,
                quantity: order.quantity?,
                reference: None,
            }),
            OrderType::Market => {
                if let Some(quote) = order.quote_order_qty {
                    return Some(Basis::Quote(quote));
                }
                let quantity = order.quantity?;
                let Some(used) = self.price_for(avg_price_mins) else {
                    out.unchecked(format!(
                        "{filter}: no price to value a MARKET order at (reference price, average price and last trade unknown)"
                    ));
                    return None;
                };
                Some(Basis::PerUnit {
                    price: used.price,
                    quantity,
                    reference: Some(used.source.label()),
                })
            }
            t => {
                let name = t.as_str();
                out.unchecked(format!(
                    "{filter}: {name} orders have no limit price and the docs do not say what they are valued at; \
                     not checked locally"
                ));
                None
            }
        }
    }

    /// The nearest quantity on the lot step (or quote amount) that meets the bound `limit`.
    fn notional_nearest(&self, basis: Basis, limit: Decimal, at_least: bool) -> Vec<String> {
        let step = self.steps.lot;
        let Basis::PerUnit { price, .. } = basis else {
            return vec![show(limit, Decimal::ZERO)];
        };
        let Some(exact) = limit.checked_div(price) else {
            return Vec::new();
        };
        let mut quantity = if at_least {
            round_to_step_up(exact, step)
        } else {
            round_to_step_down(exact, step)
        };
        // The division may have rounded in its 28th digit: settle on the safe side of the bound.
        let notional = price.checked_mul(quantity);
        if at_least && notional.is_some_and(|n| n < limit) {
            quantity = quantity.checked_add(step).unwrap_or(quantity);
        } else if !at_least && notional.is_some_and(|n| n > limit) {
            quantity = quantity.checked_sub(step).unwrap_or(quantity);
        }
        vec![show(quantity, step)]
    }
}
