//! `validate` and `normalize`: a new order checked against its symbol's filters (filters.md), on
//! top of the order rules in `order_rules`. The min/max/step filters live in `bounds`, the
//! notional ones in `notional`.

use rust_decimal::{Decimal, RoundingStrategy};

use super::bounds::Bounds;
use super::prices::{FilterPrice, PriceQuotes, ReferenceQuote};
use super::step::{round_to_step_down, round_to_step_up, show};
use super::{Findings, OpenOrderCounts, SymbolFilter, Validation, ValidationContext, Violation, order_rules};
use spot_types::model::{NewOrder, OrderType, Side, SymbolInfo};

/// Checks `order` against its symbol: status, order type and its fields, then every filter in
/// exchangeInfo order, then the account's asset filters. Never sends anything; `valid` is true
/// only with no violation.
pub fn validate(order: &NewOrder, ctx: &ValidationContext<'_>) -> Validation {
    let mut out = Findings::default();
    order_rules::check_order_rules(order, ctx.symbol, &mut out);
    let check = Check {
        order,
        symbol: ctx.symbol,
        open_orders: ctx.open_orders,
        prices: ctx.prices,
        steps: Steps::of(ctx.symbol),
    };
    for filter in &ctx.symbol.filters {
        check.filter(filter, &mut out);
    }
    check.asset_filters(ctx.asset_filters, &mut out);
    let filter_price = check.symbol_price();
    if let (ReferenceQuote::Unknown(why), Some(used)) = (&ctx.prices.reference, &filter_price) {
        out.unchecked(format!(
            "REFERENCE_PRICE: the symbol's reference price could not be read ({why}); the price rules used the {} instead, which Binance uses only when the symbol has no reference price",
            used.source.label()
        ));
    }
    Validation {
        valid: out.violations.is_empty(),
        violations: out.violations,
        unchecked: out.unchecked,
        filter_price,
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
pub(super) struct Steps {
    pub(super) tick: Decimal,
    pub(super) lot: Decimal,
    pub(super) market_lot: Decimal,
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

/// One order checked against the filters of its symbol.
pub(super) struct Check<'a> {
    pub(super) order: &'a NewOrder,
    pub(super) symbol: &'a SymbolInfo,
    pub(super) open_orders: Option<OpenOrderCounts>,
    pub(super) prices: &'a PriceQuotes,
    pub(super) steps: Steps,
}

impl Check<'_> {
    /// The price a filter with `avg_price_mins` values the order at (see `prices`).
    pub(super) fn price_for(&self, avg_price_mins: u32) -> Option<FilterPrice> {
        self.prices.for_filter(avg_price_mins)
    }

    /// The price of the symbol's price rules as a whole.
    pub(super) fn symbol_price(&self) -> Option<FilterPrice> {
        self.prices.for_symbol(self.symbol)
    }

    fn filter(&self, filter: &SymbolFilter, out: &mut Findings) {
        use SymbolFilter as F;
        match filter {
            F::PriceFilter { .. } | F::LotSize { .. } | F::MarketLotSize { .. } => self.bounds(filter, out),
            F::PercentPrice { .. } | F::PercentPriceBySide { .. } => self.percent_price(filter, out),
            F::MinNotional { .. } | F::Notional { .. } => self.notional(filter, out),
            F::IcebergParts { limit } => self.iceberg_parts(*limit, out),
            F::MaxNumOrders { .. } | F::MaxNumAlgoOrders { .. } | F::MaxNumIcebergOrders { .. } => {
                self.open_orders(filter, out)
            }
            // Order lists and amendments: a single new order is not subject to them.
            F::MaxNumOrderLists { .. } | F::MaxNumOrderAmends { .. } => {}
            F::MaxPosition { max_position } => self.max_position(*max_position, out),
            F::TrailingDelta { .. } => self.trailing_delta(filter, out),
            F::Unknown { name, .. } => out.unchecked(format!(
                "{name}: a filter type this server does not know; not checked locally"
            )),
            F::Unparsed { name, error, .. } => {
                let message = format!("{name} could not be parsed ({error}): it cannot be checked locally");
                out.violation(Violation::new(
                    name,
                    "the filter can be read",
                    format!("filterType={name}"),
                    message,
                ));
            }
        }
    }

    /// PRICE_FILTER on `price` (types with a limit price) and `stopPrice` (stop types); LOT_SIZE on
    /// `quantity` (every type, MARKET included) and `icebergQty`; MARKET_LOT_SIZE on the quantity
    /// of MARKET orders.
    fn bounds(&self, filter: &SymbolFilter, out: &mut Findings) {
        let Some(bounds) = Bounds::of(filter) else { return };
        let order = self.order;
        let market = order.order_type == OrderType::Market;
        let fields = match filter {
            SymbolFilter::PriceFilter { .. } => vec![
                ("price", order.price.filter(|_| order.order_type.has_limit_price())),
                ("stop_price", order.stop_price.filter(|_| order.order_type.is_algo())),
            ],
            SymbolFilter::LotSize { .. } => vec![("quantity", order.quantity), ("iceberg_qty", order.iceberg_qty)],
            _ => vec![("quantity", order.quantity.filter(|_| market))],
        };
        for (field, value) in fields {
            if let Some(value) = value {
                bounds.check_value(field, value, out);
            }
        }
    }

    /// PERCENT_PRICE and PERCENT_PRICE_BY_SIDE (bid multipliers for BUY, ask for SELL):
    /// `reference × down <= price <= reference × up`, on the limit price.
    fn percent_price(&self, filter: &SymbolFilter, out: &mut Findings) {
        let order = self.order;
        let Some(band) = Band::of(filter, order.side) else {
            return;
        };
        let Some(price) = order.price.filter(|_| order.order_type.has_limit_price()) else {
            return;
        };
        let Some(used) = self.price_for(band.avg_price_mins) else {
            out.unchecked(format!(
                "{}: no price to check price {price} against (reference price, average price and last trade unknown)",
                band.filter
            ));
            return;
        };
        let (reference, source) = (used.price, used.source.label());
        let (Some(low), Some(high)) = (reference.checked_mul(band.down), reference.checked_mul(band.up)) else {
            out.unchecked(format!(
                "{}: the price bounds overflow; not checked locally",
                band.filter
            ));
            return;
        };
        let [down_name, up_name] = band.names;
        let tick = self.steps.tick;
        let sent = format!("price={price}");
        if price > high {
            let limit = format!("{} ({source} {reference} × {up_name} {})", show(high, tick), band.up);
            let rule = format!("price <= reference × {up_name}");
            let violation = Violation::new(
                band.filter,
                rule,
                sent.clone(),
                format!("price {price} is above {limit}"),
            );
            out.violation(violation.nearest(vec![show(round_to_step_down(high, tick), tick)]));
        }
        if price < low {
            let limit = format!("{} ({source} {reference} × {down_name} {})", show(low, tick), band.down);
            let rule = format!("price >= reference × {down_name}");
            let violation = Violation::new(band.filter, rule, sent, format!("price {price} is below {limit}"));
            out.violation(violation.nearest(vec![show(round_to_step_up(low, tick), tick)]));
        }
    }

    /// ICEBERG_PARTS: `ceil(quantity / icebergQty) <= limit`, tested exactly as
    /// `quantity <= icebergQty × limit`.
    fn iceberg_parts(&self, limit: u32, out: &mut Findings) {
        let (Some(quantity), Some(iceberg_qty)) = (self.order.quantity, self.order.iceberg_qty) else {
            return;
        };
        let parts_allowed = Decimal::from(limit);
        let Some(most) = iceberg_qty.checked_mul(parts_allowed) else {
            return;
        };
        if iceberg_qty <= Decimal::ZERO || quantity <= most {
            return;
        }
        let parts = quantity
            .checked_div(iceberg_qty)
            .map_or_else(|| "too many".into(), |p| p.ceil().to_string());
        let step = self.steps.lot;
        // The smallest iceberg_qty on the step that needs no more than `limit` parts.
        let mut smallest = quantity.checked_div(parts_allowed).map(|q| round_to_step_up(q, step));
        if let Some(s) = smallest
            && s.checked_mul(parts_allowed).is_some_and(|m| m < quantity)
        {
            smallest = s.checked_add(step);
        }
        let message =
            format!("quantity {quantity} in parts of {iceberg_qty} makes {parts} parts; the limit is {limit}");
        let rule = "ceil(quantity / iceberg_qty) <= limit";
        let violation = Violation::new("ICEBERG_PARTS", rule, format!("iceberg_qty={iceberg_qty}"), message);
        out.violation(violation.nearest(smallest.map(|s| vec![show(s, step)]).unwrap_or_default()));
    }

    /// MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS (stop types) and MAX_NUM_ICEBERG_ORDERS (icebergQty
    /// set): the open orders of that kind plus this one must not exceed the maximum.
    fn open_orders(&self, filter: &SymbolFilter, out: &mut Findings) {
        type Count = fn(OpenOrderCounts) -> u32;
        let order = self.order;
        let (name, max_name, max, applies, count): (&str, &str, u32, bool, Count) = match *filter {
            SymbolFilter::MaxNumOrders { max_num_orders } => {
                ("MAX_NUM_ORDERS", "maxNumOrders", max_num_orders, true, |c| c.total)
            }
            SymbolFilter::MaxNumAlgoOrders { max_num_algo_orders } => {
                let applies = order.order_type.is_algo();
                (
                    "MAX_NUM_ALGO_ORDERS",
                    "maxNumAlgoOrders",
                    max_num_algo_orders,
                    applies,
                    |c| c.algo,
                )
            }
            SymbolFilter::MaxNumIcebergOrders { max_num_iceberg_orders } => {
                let applies = order.iceberg_qty.is_some_and(|q| q > Decimal::ZERO);
                (
                    "MAX_NUM_ICEBERG_ORDERS",
                    "maxNumIcebergOrders",
                    max_num_iceberg_orders,
                    applies,
                    |c| c.iceberg,
                )
            }
            _ => return,
        };
        if !applies {
            return;
        }
        let Some(open) = self.open_orders.map(count) else {
            out.unchecked(format!(
                "{name}: the open orders on the symbol are unknown; not checked locally"
            ));
            return;
        };
        if u64::from(open) + 1 > u64::from(max) {
            let message = format!("{open} such orders are open and {name} allows {max}: cancel one first");
            let rule = format!("open orders + 1 <= {max_name}");
            out.violation(Violation::new(name, rule, format!("open_orders={open}"), message));
        }
    }

    /// MAX_POSITION depends on the account (balance and open BUY orders), which is not known here.
    fn max_position(&self, max_position: Decimal, out: &mut Findings) {
        if self.order.side == Side::Buy {
            let max = max_position.normalize();
            out.unchecked(format!(
                "MAX_POSITION: maxPosition {max} depends on the account; not checked locally"
            ));
        }
    }

    /// TRAILING_DELTA: "above" bounds for STOP_LOSS(_LIMIT) BUY and TAKE_PROFIT(_LIMIT) SELL,
    /// "below" bounds for STOP_LOSS(_LIMIT) SELL and TAKE_PROFIT(_LIMIT) BUY.
    fn trailing_delta(&self, filter: &SymbolFilter, out: &mut Findings) {
        let order = self.order;
        let SymbolFilter::TrailingDelta {
            min_trailing_above_delta,
            max_trailing_above_delta,
            min_trailing_below_delta,
            max_trailing_below_delta,
        } = *filter
        else {
            return;
        };
        let Some(delta) = order.trailing_delta.filter(|_| order.order_type.is_algo()) else {
            return;
        };
        let above = matches!(
            (order.order_type, order.side),
            (OrderType::StopLoss | OrderType::StopLossLimit, Side::Buy)
                | (OrderType::TakeProfit | OrderType::TakeProfitLimit, Side::Sell)
        );
        let (min, max, which) = match above {
            true => (min_trailing_above_delta, max_trailing_above_delta, "Above"),
            false => (min_trailing_below_delta, max_trailing_below_delta, "Below"),
        };
        let sent = format!("trailing_delta={delta}");
        let kind = format!("{} {}", order.order_type.as_str(), order.side.as_str());
        if delta < min {
            let message = format!("trailing_delta {delta} BIPS is below minTrailing{which}Delta {min} for {kind}");
            let rule = format!("trailing_delta >= minTrailing{which}Delta");
            out.violation(Violation::new("TRAILING_DELTA", rule, sent.clone(), message).nearest(vec![min.to_string()]));
        }
        if delta > max {
            let message = format!("trailing_delta {delta} BIPS is above maxTrailing{which}Delta {max} for {kind}");
            let rule = format!("trailing_delta <= maxTrailing{which}Delta");
            out.violation(Violation::new("TRAILING_DELTA", rule, sent, message).nearest(vec![max.to_string()]));
        }
    }
}

/// The price band of PERCENT_PRICE, or of PERCENT_PRICE_BY_SIDE for one side.
struct Band {
    filter: &'static str,
    down: Decimal,
    up: Decimal,
    names: [&'static str; 2],
    avg_price_mins: u32,
}

impl Band {
    fn of(filter: &SymbolFilter, side: Side) -> Option<Band> {
        let (filter, down, up, names, avg_price_mins) = match (filter, side) {
            (
                SymbolFilter::PercentPrice {
                    multiplier_up,
                    multiplier_down,
                    avg_price_mins,
                },
                _,
            ) => (
                "PERCENT_PRICE",
                *multiplier_down,
                *multiplier_up,
                ["multiplierDown", "multiplierUp"],
                *avg_price_mins,
            ),
            (
                SymbolFilter::PercentPriceBySide {
                    bid_multiplier_up,
                    bid_multiplier_down,
                    avg_price_mins,
                    ..
                },
                Side::Buy,
            ) => (
                "PERCENT_PRICE_BY_SIDE",
                *bid_multiplier_down,
                *bid_multiplier_up,
                ["bidMultiplierDown", "bidMultiplierUp"],
                *avg_price_mins,
            ),
            (
                SymbolFilter::PercentPriceBySide {
                    ask_multiplier_up,
                    ask_multiplier_down,
                    avg_price_mins,
                    ..
                },
                Side::Sell,
            ) => (
                "PERCENT_PRICE_BY_SIDE",
                *ask_multiplier_down,
                *ask_multiplier_up,
                ["askMultiplierDown", "askMultiplierUp"],
                *avg_price_mins,
            ),
            _ => return None,
        };
        Some(Band {
            filter,
            down,
            up,
            names,
            avg_price_mins,
        })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod price_source_tests;
