//! The min/max/step rules shared by PRICE_FILTER, LOT_SIZE and MARKET_LOT_SIZE, with the nearest
//! valid values offered when one breaks.

use rust_decimal::Decimal;

use super::step::{is_step_multiple, round_to_step_down, round_to_step_up, show};
use super::{Findings, SymbolFilter, Violation};

/// One min/max/step filter; each rule is off when its value is zero.
pub(super) struct Bounds {
    filter: &'static str,
    min: Decimal,
    max: Decimal,
    step: Decimal,
    /// The filter's own field names, e.g. `["minPrice", "maxPrice", "tickSize"]`.
    names: [&'static str; 3],
    /// Prices get both neighbours on the tick; quantities are rounded down.
    both_ways: bool,
}

const PRICE_NAMES: [&str; 3] = ["minPrice", "maxPrice", "tickSize"];
const QTY_NAMES: [&str; 3] = ["minQty", "maxQty", "stepSize"];

impl Bounds {
    /// The rules of a PRICE_FILTER, LOT_SIZE or MARKET_LOT_SIZE filter.
    pub(super) fn of(filter: &SymbolFilter) -> Option<Bounds> {
        let (name, (min, max, step), names, both_ways) = match *filter {
            SymbolFilter::PriceFilter {
                min_price,
                max_price,
                tick_size,
            } => ("PRICE_FILTER", (min_price, max_price, tick_size), PRICE_NAMES, true),
            SymbolFilter::LotSize {
                min_qty,
                max_qty,
                step_size,
            } => ("LOT_SIZE", (min_qty, max_qty, step_size), QTY_NAMES, false),
            SymbolFilter::MarketLotSize {
                min_qty,
                max_qty,
                step_size,
            } => ("MARKET_LOT_SIZE", (min_qty, max_qty, step_size), QTY_NAMES, false),
            _ => return None,
        };
        Some(Bounds {
            filter: name,
            min,
            max,
            step,
            names,
            both_ways,
        })
    }

    /// One violation per broken rule of `field` (a tool argument name) sent as `value`.
    pub(super) fn check_value(&self, field: &str, value: Decimal, out: &mut Findings) {
        let [min_name, max_name, step_name] = self.names;
        let sent = format!("{field}={value}");
        if !self.min.is_zero() && value < self.min {
            let message = format!("{field} {value} is below {min_name} {}", self.show(self.min));
            let violation = Violation::new(self.filter, format!("{field} >= {min_name}"), sent.clone(), message);
            out.violation(violation.nearest(vec![self.show(self.lowest())]));
        }
        if !self.max.is_zero() && value > self.max {
            let message = format!("{field} {value} is above {max_name} {}", self.show(self.max));
            let violation = Violation::new(self.filter, format!("{field} <= {max_name}"), sent.clone(), message);
            out.violation(violation.nearest(vec![self.show(self.highest())]));
        }
        if !is_step_multiple(value, self.step) {
            let message = format!(
                "{field} {value} is not a multiple of {step_name} {}",
                self.show(self.step)
            );
            let violation = Violation::new(self.filter, format!("{field} % {step_name} == 0"), sent, message);
            out.violation(violation.nearest(self.nearest_on_step(value)));
        }
    }

    /// The neighbours of `value` on the step that pass the bounds too, or else the nearest bound.
    fn nearest_on_step(&self, value: Decimal) -> Vec<String> {
        let down = round_to_step_down(value, self.step);
        let up = round_to_step_up(value, self.step);
        let candidates = if self.both_ways { vec![down, up] } else { vec![down] };
        let valid: Vec<String> = candidates
            .into_iter()
            .filter(|c| self.within(*c))
            .map(|c| self.show(c))
            .collect();
        match valid.is_empty() {
            false => valid,
            true if value < self.lowest() => vec![self.show(self.lowest())],
            true => vec![self.show(self.highest())],
        }
    }

    fn within(&self, value: Decimal) -> bool {
        value > Decimal::ZERO && (self.min.is_zero() || value >= self.min) && (self.max.is_zero() || value <= self.max)
    }

    /// The smallest positive value on the step that is at least `min`.
    fn lowest(&self) -> Decimal {
        let floor = if self.min.is_zero() { self.step } else { self.min };
        round_to_step_up(floor, self.step)
    }

    /// The largest value on the step that is at most `max`.
    fn highest(&self) -> Decimal {
        round_to_step_down(self.max, self.step)
    }

    fn show(&self, value: Decimal) -> String {
        show(value, self.step)
    }
}
