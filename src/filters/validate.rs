//! `validate` and `normalize`: a new order checked against its symbol's filters (filters.md), on
//! top of the order rules in `order_rules`.

use rust_decimal::{Decimal, RoundingStrategy};

use super::step::{is_step_multiple, round_to_step_down, round_to_step_up, show};
use super::{Findings, OpenOrderCounts, SymbolFilter, Validation, ValidationContext, Violation, order_rules};
use crate::binance::model::{NewOrder, OrderType, Side, SymbolInfo};

/// Checks `order` against its symbol: status, order type and its fields, then every filter in
/// exchangeInfo order. Never sends anything; `valid` is true only with no violation.
pub fn validate(order: &NewOrder, ctx: &ValidationContext<'_>) -> Validation {
    let mut out = Findings::default();
    order_rules::check(order, ctx.symbol, &mut out);
    let check = Check {
        order,
        open_orders: ctx.open_orders,
        // A reference price of zero or less cannot value anything: treat it as unknown.
        reference: ctx.reference_price.filter(|p| *p > Decimal::ZERO),
        steps: Steps::of(ctx.symbol),
    };
    for filter in &ctx.symbol.filters {
        check.filter(filter, &mut out);
    }
    Validation {
        valid: out.violations.is_empty(),
        violations: out.violations,
        unchecked: out.unchecked,
        normalized: normalize(order, ctx.symbol),
    }
}

/// Rounds price/stop_price to the tick (BUY down, SELL up), quantity/iceberg_qty/quote_order_qty
/// down to their steps (quote to the quote asset precision); leaves the rest.
///
/// MARKET quantities are also rounded down to a non-zero MARKET_LOT_SIZE step. Bounds are not
/// clamped: an order below a minimum stays below it.
pub fn normalize(order: &NewOrder, symbol: &SymbolInfo) -> NewOrder {
    let steps = Steps::of(symbol);
    let to_tick = |price: Decimal| match order.side {
        Side::Buy => round_to_step_down(price, steps.tick),
        Side::Sell => round_to_step_up(price, steps.tick),
    };
    let market = order.order_type == OrderType::Market;
    let to_lot = |qty: Decimal| {
        let qty = round_to_step_down(qty, steps.lot);
        if market {
            round_to_step_down(qty, steps.market_lot)
        } else {
            qty
        }
    };
    let to_quote_precision = |quote: Decimal| match symbol.quote_asset_precision {
        0 => quote,
        decimals => quote.round_dp_with_strategy(decimals, RoundingStrategy::ToZero),
    };
    NewOrder {
        price: order.price.map(to_tick),
        stop_price: order.stop_price.map(to_tick),
        quantity: order.quantity.map(to_lot),
        iceberg_qty: order.iceberg_qty.map(|qty| round_to_step_down(qty, steps.lot)),
        quote_order_qty: order.quote_order_qty.map(to_quote_precision),
        ..order.clone()
    }
}

/// The tick and steps of a symbol (zero when its filter is absent).
#[derive(Clone, Copy, Debug, Default)]
struct Steps {
    tick: Decimal,
    lot: Decimal,
    market_lot: Decimal,
}

impl Steps {
    fn of(symbol: &SymbolInfo) -> Steps {
        let mut steps = Steps::default();
        for filter in &symbol.filters {
            match filter {
                SymbolFilter::PriceFilter { tick_size, .. } => steps.tick = *tick_size,
                SymbolFilter::LotSize { step_size, .. } => steps.lot = *step_size,
                SymbolFilter::MarketLotSize { step_size, .. } => steps.market_lot = *step_size,
                _ => {}
            }
        }
        steps
    }
}

/// min/max/step rules of PRICE_FILTER, LOT_SIZE and MARKET_LOT_SIZE; each is off when zero.
struct Bounds {
    filter: &'static str,
    min: Decimal,
    max: Decimal,
    step: Decimal,
    /// The filter's own field names, e.g. `["minPrice", "maxPrice", "tickSize"]`.
    names: [&'static str; 3],
    /// Prices get both neighbours on the tick; quantities are rounded down.
    both_ways: bool,
}

impl Bounds {
    fn check(&self, field: &str, value: Decimal, out: &mut Findings) {
        let [min_name, max_name, step_name] = self.names;
        let sent = format!("{field}={value}");
        if !self.min.is_zero() && value < self.min {
            let message = format!("{field} {value} is below {min_name} {}", show(self.min, self.step));
            let violation = Violation::new(self.filter, format!("{field} >= {min_name}"), sent.clone(), message);
            out.violation(violation.nearest(vec![show(self.lowest(), self.step)]));
        }
        if !self.max.is_zero() && value > self.max {
            let message = format!("{field} {value} is above {max_name} {}", show(self.max, self.step));
            let violation = Violation::new(self.filter, format!("{field} <= {max_name}"), sent.clone(), message);
            out.violation(violation.nearest(vec![show(self.highest(), self.step)]));
        }
        if !is_step_multiple(value, self.step) {
            let message = format!(
                "{field} {value} is not a multiple of {step_name} {}",
                show(self.step, self.step)
            );
            let violation = Violation::new(self.filter, format!("{field} % {step_name} == 0"), sent, message);
            out.violation(violation.nearest(self.nearest_on_step(value)));
        }
    }

    /// The neighbours of `value` on the step that pass the bounds too, or the nearest bound.
    fn nearest_on_step(&self, value: Decimal) -> Vec<String> {
        let down = round_to_step_down(value, self.step);
        let up = round_to_step_up(value, self.step);
        let candidates = if self.both_ways { vec![down, up] } else { vec![down] };
        let valid: Vec<String> = candidates
            .into_iter()
            .filter(|c| self.within(*c))
            .map(|c| show(c, self.step))
            .collect();
        match valid.is_empty() {
            false => valid,
            true if value < self.lowest() => vec![show(self.lowest(), self.step)],
            true => vec![show(self.highest(), self.step)],
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
}

/// NOTIONAL, or MIN_NOTIONAL with `max` zero; a zero bound is off.
struct NotionalRule {
    filter: &'static str,
    min: Decimal,
    max: Decimal,
    min_to_market: bool,
    max_to_market: bool,
}

/// What an order's notional is computed from.
#[derive(Clone, Copy, Debug)]
enum Basis {
    /// `price × quantity`; `price` is the order's own, or the reference price for MARKET orders.
    PerUnit {
        price: Decimal,
        quantity: Decimal,
        reference: bool,
    },
    /// A MARKET order by `quoteOrderQty`: that amount is the notional.
    Quote(Decimal),
}

/// One order checked against the filters of its symbol.
struct Check<'a> {
    order: &'a NewOrder,
    open_orders: Option<OpenOrderCounts>,
    reference: Option<Decimal>,
    steps: Steps,
}

impl Check<'_> {
    fn filter(&self, filter: &SymbolFilter, out: &mut Findings) {
        let order = self.order;
        match filter {
            SymbolFilter::PriceFilter {
                min_price,
                max_price,
                tick_size,
            } => self.price_filter(
                Bounds {
                    filter: "PRICE_FILTER",
                    min: *min_price,
                    max: *max_price,
                    step: *tick_size,
                    names: ["minPrice", "maxPrice", "tickSize"],
                    both_ways: true,
                },
                out,
            ),
            SymbolFilter::PercentPrice {
                multiplier_up,
                multiplier_down,
                ..
            } => {
                let names = ["multiplierDown", "multiplierUp"];
                self.percent_price("PERCENT_PRICE", (*multiplier_down, *multiplier_up), names, out)
            }
            SymbolFilter::PercentPriceBySide {
                bid_multiplier_up,
                bid_multiplier_down,
                ask_multiplier_up,
                ask_multiplier_down,
                ..
            } => match order.side {
                Side::Buy => self.percent_price(
                    "PERCENT_PRICE_BY_SIDE",
                    (*bid_multiplier_down, *bid_multiplier_up),
                    ["bidMultiplierDown", "bidMultiplierUp"],
                    out,
                ),
                Side::Sell => self.percent_price(
                    "PERCENT_PRICE_BY_SIDE",
                    (*ask_multiplier_down, *ask_multiplier_up),
                    ["askMultiplierDown", "askMultiplierUp"],
                    out,
                ),
            },
            SymbolFilter::LotSize {
                min_qty,
                max_qty,
                step_size,
            } => self.lot_size(
                Bounds {
                    filter: "LOT_SIZE",
                    min: *min_qty,
                    max: *max_qty,
                    step: *step_size,
                    names: ["minQty", "maxQty", "stepSize"],
                    both_ways: false,
                },
                out,
            ),
            SymbolFilter::MarketLotSize {
                min_qty,
                max_qty,
                step_size,
            } => {
                if let (OrderType::Market, Some(quantity)) = (order.order_type, order.quantity) {
                    let bounds = Bounds {
                        filter: "MARKET_LOT_SIZE",
                        min: *min_qty,
                        max: *max_qty,
                        step: *step_size,
                        names: ["minQty", "maxQty", "stepSize"],
                        both_ways: false,
                    };
                    bounds.check("quantity", quantity, out);
                }
            }
            SymbolFilter::MinNotional {
                min_notional,
                apply_to_market,
                ..
            } => {
                let rule = NotionalRule {
                    filter: "MIN_NOTIONAL",
                    min: *min_notional,
                    max: Decimal::ZERO,
                    min_to_market: *apply_to_market,
                    max_to_market: false,
                };
                self.notional(&rule, out)
            }
            SymbolFilter::Notional {
                min_notional,
                apply_min_to_market,
                max_notional,
                apply_max_to_market,
                ..
            } => {
                let rule = NotionalRule {
                    filter: "NOTIONAL",
                    min: *min_notional,
                    max: *max_notional,
                    min_to_market: *apply_min_to_market,
                    max_to_market: *apply_max_to_market,
                };
                self.notional(&rule, out)
            }
            SymbolFilter::IcebergParts { limit } => self.iceberg_parts(*limit, out),
            SymbolFilter::MaxNumOrders { max_num_orders } => self.open_orders(
                "MAX_NUM_ORDERS",
                "maxNumOrders",
                true,
                |c| c.total,
                *max_num_orders,
                out,
            ),
            SymbolFilter::MaxNumAlgoOrders { max_num_algo_orders } => {
                let applies = order.order_type.is_algo();
                self.open_orders(
                    "MAX_NUM_ALGO_ORDERS",
                    "maxNumAlgoOrders",
                    applies,
                    |c| c.algo,
                    *max_num_algo_orders,
                    out,
                )
            }
            SymbolFilter::MaxNumIcebergOrders { max_num_iceberg_orders } => {
                let applies = order.iceberg_qty.is_some_and(|q| q > Decimal::ZERO);
                let max = *max_num_iceberg_orders;
                self.open_orders(
                    "MAX_NUM_ICEBERG_ORDERS",
                    "maxNumIcebergOrders",
                    applies,
                    |c| c.iceberg,
                    max,
                    out,
                )
            }
            // Order lists and amendments: a single new order is not subject to them.
            SymbolFilter::MaxNumOrderLists { .. } | SymbolFilter::MaxNumOrderAmends { .. } => {}
            SymbolFilter::MaxPosition { max_position } => {
                if order.side == Side::Buy {
                    out.unchecked(format!(
                        "MAX_POSITION: maxPosition {} depends on the account's base balance and open BUY orders; not checked locally",
                        max_position.normalize()
                    ));
                }
            }
            SymbolFilter::TrailingDelta {
                min_trailing_above_delta,
                max_trailing_above_delta,
                min_trailing_below_delta,
                max_trailing_below_delta,
            } => self.trailing_delta(
                (*min_trailing_above_delta, *max_trailing_above_delta),
                (*min_trailing_below_delta, *max_trailing_below_delta),
                out,
            ),
            SymbolFilter::Unknown { name, .. } => out.unchecked(format!(
                "{name}: a filter type this server does not know; not checked locally"
            )),
            SymbolFilter::Unparsed { name, error, .. } => {
                let message =
                    format!("{name} could not be parsed ({error}): it cannot be checked locally, so nothing is sent");
                out.violation(Violation::new(
                    name,
                    "the filter can be read",
                    format!("filterType={name}"),
                    message,
                ));
            }
        }
    }

    /// PRICE_FILTER on `price` (types with a limit price) and `stopPrice` (stop types).
    fn price_filter(&self, bounds: Bounds, out: &mut Findings) {
        let order = self.order;
        if let Some(price) = order.price.filter(|_| order.order_type.has_limit_price()) {
            bounds.check("price", price, out);
        }
        if let Some(stop_price) = order.stop_price.filter(|_| order.order_type.is_algo()) {
            bounds.check("stop_price", stop_price, out);
        }
    }

    /// LOT_SIZE on `quantity` (every type, MARKET included) and `icebergQty`.
    fn lot_size(&self, bounds: Bounds, out: &mut Findings) {
        if let Some(quantity) = self.order.quantity {
            bounds.check("quantity", quantity, out);
        }
        if let Some(iceberg_qty) = self.order.iceberg_qty {
            bounds.check("iceberg_qty", iceberg_qty, out);
        }
    }

    /// `reference × down <= price <= reference × up`, on the limit price.
    fn percent_price(&self, filter: &str, (down, up): (Decimal, Decimal), names: [&str; 2], out: &mut Findings) {
        let order = self.order;
        let Some(price) = order.price.filter(|_| order.order_type.has_limit_price()) else {
            return;
        };
        let Some(reference) = self.reference else {
            out.unchecked(format!(
                "{filter}: no reference price (avgPrice) to check price {price} against"
            ));
            return;
        };
        let (Some(low), Some(high)) = (reference.checked_mul(down), reference.checked_mul(up)) else {
            out.unchecked(format!("{filter}: the price bounds overflow; not checked locally"));
            return;
        };
        let [down_name, up_name] = names;
        let tick = self.steps.tick;
        let sent = format!("price={price}");
        if price > high {
            let message = format!(
                "price {price} is above {} (reference {reference} × {up_name} {up})",
                show(high, tick)
            );
            let violation = Violation::new(filter, format!("price <= reference × {up_name}"), sent.clone(), message);
            out.violation(violation.nearest(vec![show(round_to_step_down(high, tick), tick)]));
        }
        if price < low {
            let message = format!(
                "price {price} is below {} (reference {reference} × {down_name} {down})",
                show(low, tick)
            );
            let violation = Violation::new(filter, format!("price >= reference × {down_name}"), sent, message);
            out.violation(violation.nearest(vec![show(round_to_step_up(low, tick), tick)]));
        }
    }

    fn notional(&self, rule: &NotionalRule, out: &mut Findings) {
        let market = self.order.order_type == OrderType::Market;
        let check_min = !rule.min.is_zero() && (!market || rule.min_to_market);
        let check_max = !rule.max.is_zero() && (!market || rule.max_to_market);
        if !check_min && !check_max {
            return;
        }
        let Some(basis) = self.notional_basis(rule.filter, out) else {
            return;
        };
        let (notional, field, sent, formula) = match basis {
            Basis::PerUnit {
                price,
                quantity,
                reference,
            } => {
                let Some(notional) = price.checked_mul(quantity) else {
                    out.unchecked(format!(
                        "{}: price × quantity overflows; not checked locally",
                        rule.filter
                    ));
                    return;
                };
                let source = if reference { "reference price" } else { "price" };
                (
                    notional,
                    "quantity",
                    quantity,
                    format!("{source} {price} × quantity {quantity}"),
                )
            }
            Basis::Quote(quote) => (quote, "quote_order_qty", quote, format!("quote_order_qty {quote}")),
        };
        let lhs = match basis {
            Basis::PerUnit { reference: true, .. } => "reference price × quantity",
            Basis::PerUnit { .. } => "price × quantity",
            Basis::Quote(_) => "quote_order_qty",
        };
        let sent = format!("{field}={sent}");
        if check_min && notional < rule.min {
            let message = format!(
                "notional {formula} = {} is below minNotional {}",
                notional.normalize(),
                rule.min.normalize()
            );
            let violation = Violation::new(rule.filter, format!("{lhs} >= minNotional"), sent.clone(), message);
            out.violation(violation.nearest(self.notional_nearest(&basis, rule.min, true)));
        }
        if check_max && notional > rule.max {
            let message = format!(
                "notional {formula} = {} is above maxNotional {}",
                notional.normalize(),
                rule.max.normalize()
            );
            let violation = Violation::new(rule.filter, format!("{lhs} <= maxNotional"), sent, message);
            out.violation(violation.nearest(self.notional_nearest(&basis, rule.max, false)));
        }
    }

    /// The price the notional is computed with, or `None` (with an unchecked line) when unknown.
    fn notional_basis(&self, filter: &str, out: &mut Findings) -> Option<Basis> {
        let order = self.order;
        match order.order_type {
            t if t.has_limit_price() => Some(Basis::PerUnit {
                price: order.price?,
                quantity: order.quantity?,
                reference: false,
            }),
            OrderType::Market => {
                if let Some(quote) = order.quote_order_qty {
                    return Some(Basis::Quote(quote));
                }
                let quantity = order.quantity?;
                if self.reference.is_none() {
                    out.unchecked(format!(
                        "{filter}: no reference price (avgPrice) to value a MARKET order"
                    ));
                }
                Some(Basis::PerUnit {
                    price: self.reference?,
                    quantity,
                    reference: true,
                })
            }
            t => {
                out.unchecked(format!(
                    "{filter}: {} orders have no limit price and Binance does not document the price it values them at; not checked locally",
                    t.as_str()
                ));
                None
            }
        }
    }

    /// The nearest quantity on the lot step (or quote amount) that meets the bound `limit`.
    fn notional_nearest(&self, basis: &Basis, limit: Decimal, at_least: bool) -> Vec<String> {
        let step = self.steps.lot;
        let Basis::PerUnit { price, .. } = *basis else {
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
        // The division may have rounded in the last of 28 digits: settle on the safe side.
        let notional = price.checked_mul(quantity);
        if at_least && notional.is_some_and(|n| n < limit) {
            quantity += step;
        } else if !at_least && notional.is_some_and(|n| n > limit) {
            quantity -= step;
        }
        vec![show(quantity, step)]
    }

    /// `ceil(quantity / icebergQty) <= limit`, tested exactly as `quantity <= icebergQty × limit`.
    fn iceberg_parts(&self, limit: u32, out: &mut Findings) {
        let (Some(quantity), Some(iceberg_qty)) = (self.order.quantity, self.order.iceberg_qty) else {
            return;
        };
        let limit_dec = Decimal::from(limit);
        let Some(most) = iceberg_qty.checked_mul(limit_dec) else {
            return;
        };
        if iceberg_qty <= Decimal::ZERO || quantity <= most {
            return;
        }
        let parts = quantity
            .checked_div(iceberg_qty)
            .map(|p| p.ceil().to_string())
            .unwrap_or_else(|| "too many".into());
        let step = self.steps.lot;
        let mut smallest = quantity.checked_div(limit_dec).map(|q| round_to_step_up(q, step));
        if let Some(s) = smallest
            && s.checked_mul(limit_dec).is_some_and(|m| m < quantity)
        {
            smallest = Some(s + step);
        }
        let message =
            format!("quantity {quantity} in parts of {iceberg_qty} makes {parts} parts; ICEBERG_PARTS allows {limit}");
        let violation = Violation::new(
            "ICEBERG_PARTS",
            "ceil(quantity / iceberg_qty) <= limit",
            format!("iceberg_qty={iceberg_qty}"),
            message,
        );
        out.violation(violation.nearest(smallest.map(|s| vec![show(s, step)]).unwrap_or_default()));
    }

    /// MAX_NUM_*: the open orders of that kind plus this one must not exceed the maximum.
    fn open_orders(
        &self,
        filter: &str,
        max_name: &str,
        applies: bool,
        count: fn(OpenOrderCounts) -> u32,
        max: u32,
        out: &mut Findings,
    ) {
        if !applies {
            return;
        }
        let Some(open) = self.open_orders.map(count) else {
            out.unchecked(format!(
                "{filter}: the open orders on the symbol are unknown; not checked locally"
            ));
            return;
        };
        if u64::from(open) + 1 > u64::from(max) {
            let message =
                format!("{open} such orders are open and {filter} allows {max}: cancel one before placing another");
            out.violation(Violation::new(
                filter,
                format!("open orders + 1 <= {max_name}"),
                format!("open_orders={open}"),
                message,
            ));
        }
    }

    /// TRAILING_DELTA: "above" bounds for STOP_LOSS(_LIMIT) BUY and TAKE_PROFIT(_LIMIT) SELL,
    /// "below" bounds for STOP_LOSS(_LIMIT) SELL and TAKE_PROFIT(_LIMIT) BUY.
    fn trailing_delta(&self, above: (u32, u32), below: (u32, u32), out: &mut Findings) {
        let order = self.order;
        let Some(delta) = order.trailing_delta.filter(|_| order.order_type.is_algo()) else {
            return;
        };
        let is_above = matches!(
            (order.order_type, order.side),
            (OrderType::StopLoss | OrderType::StopLossLimit, Side::Buy)
                | (OrderType::TakeProfit | OrderType::TakeProfitLimit, Side::Sell)
        );
        let ((min, max), which) = if is_above { (above, "Above") } else { (below, "Below") };
        let sent = format!("trailing_delta={delta}");
        let kind = format!("{} {}", order.order_type.as_str(), order.side.as_str());
        if delta < min {
            let message = format!("trailing_delta {delta} BIPS is below minTrailing{which}Delta {min} for {kind}");
            let violation = Violation::new(
                "TRAILING_DELTA",
                format!("trailing_delta >= minTrailing{which}Delta"),
                sent.clone(),
                message,
            );
            out.violation(violation.nearest(vec![min.to_string()]));
        }
        if delta > max {
            let message = format!("trailing_delta {delta} BIPS is above maxTrailing{which}Delta {max} for {kind}");
            let violation = Violation::new(
                "TRAILING_DELTA",
                format!("trailing_delta <= maxTrailing{which}Delta"),
                sent,
                message,
            );
            out.violation(violation.nearest(vec![max.to_string()]));
        }
    }
}

#[cfg(test)]
mod tests;
