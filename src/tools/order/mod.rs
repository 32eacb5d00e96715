//! Order tools: validate locally, test at Binance, place through the gate, then reconcile;
//! cancel, status, open orders, history. This file holds the shared order arguments and the
//! local checks; each group of tools has its own file.

mod amend;
mod events;
mod list;
mod list_cancel;
mod list_plan;
mod manage;
mod outcome;
mod place;
mod pretrade;

pub use amend::*;
pub use events::*;
pub use list::*;
pub use list_cancel::*;
pub use list_plan::*;
pub use manage::*;
pub use outcome::*;
pub use place::*;
pub use pretrade::*;

use crate::tools::target::SignedTarget;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Environment;
use crate::guard;
use crate::memory::preferences::Preferences;
use crate::tools::amount::Amount;
use crate::tools::{ToolError, Toolbox, normalize_symbol, utc};
use spot_client::clock::local_now_ms;
use spot_filters::{
    AssetFilter, AssetFilters, OpenOrderCounts, PriceQuotes, ReferenceQuote, Validation, ValidationContext, validate,
};
use spot_types::model::{NewOrder, OrderType, Side, StpMode, SymbolInfo, TimeInForce};

/// The order payload shared by order_validate, order_test and order_place: the identical
/// arguments go through all three.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderArgs {
    pub symbol: String,
    pub side: Side,
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// for LIMIT, STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    /// base, e.g. "0.001"
    #[serde(default)]
    pub quantity: Option<Amount>,
    /// MARKET: quote amount instead
    #[serde(default)]
    pub quote_order_qty: Option<Amount>,
    #[serde(default)]
    pub price: Option<Amount>,
    #[serde(default)]
    pub stop_price: Option<Amount>,
    /// BIPS (100 = 1%)
    #[serde(default)]
    pub trailing_delta: Option<u32>,
    #[serde(default)]
    pub iceberg_qty: Option<Amount>,
    /// ^[a-zA-Z0-9-_]{1,36}$
    #[serde(default)]
    pub client_order_id: Option<String>,
    #[serde(default)]
    pub self_trade_prevention_mode: Option<StpMode>,
    #[serde(flatten)]
    pub target: SignedTarget,
    /// order_place, resting LIMIT(_MAKER): cancel the rest after 1-604800 s
    #[serde(default)]
    pub cancel_after_seconds: Option<u32>,
}

impl OrderArgs {
    /// The timer of `cancel_after_seconds`, checked: only for orders that rest on the book.
    pub fn cancel_after(&self) -> Result<Option<u32>, ToolError> {
        let Some(seconds) = self.cancel_after_seconds else {
            return Ok(None);
        };
        use crate::tools::timers::{MAX_CANCEL_AFTER_SECS, MIN_CANCEL_AFTER_SECS};
        if !(MIN_CANCEL_AFTER_SECS..=MAX_CANCEL_AFTER_SECS).contains(&seconds) {
            return Err(ToolError::invalid(format!(
                "cancel_after_seconds {seconds} is out of range: give {MIN_CANCEL_AFTER_SECS} to {MAX_CANCEL_AFTER_SECS} (7 days)"
            )));
        }
        let rests = match self.order_type {
            OrderType::Limit => matches!(self.time_in_force, Some(TimeInForce::Gtc)),
            OrderType::LimitMaker => true,
            _ => false,
        };
        if !rests {
            return Err(ToolError::invalid(
                "cancel_after_seconds is for orders that rest on the book: a LIMIT with time_in_force GTC, or LIMIT_MAKER (IOC/FOK and market orders end at once)",
            ));
        }
        Ok(Some(seconds))
    }

    /// The order exactly as it would be sent (client id as given, possibly none).
    pub fn to_order(&self) -> Result<NewOrder, ToolError> {
        Ok(NewOrder {
            symbol: normalize_symbol(&self.symbol)?,
            side: self.side,
            order_type: self.order_type,
            time_in_force: self.time_in_force,
            quantity: self.quantity.map(|a| a.0),
            quote_order_qty: self.quote_order_qty.map(|a| a.0),
            price: self.price.map(|a| a.0),
            stop_price: self.stop_price.map(|a| a.0),
            trailing_delta: self.trailing_delta,
            iceberg_qty: self.iceberg_qty.map(|a| a.0),
            new_client_order_id: self.client_order_id.clone(),
            self_trade_prevention_mode: self.self_trade_prevention_mode,
        })
    }
}

/// A one-line description a human can approve, e.g. `BUY 0.001 BTCUSDT LIMIT GTC @ 95000`.
pub fn describe_order(order: &NewOrder) -> String {
    let mut s = format!("{} ", order.side.as_str());
    match (order.quantity, order.quote_order_qty) {
        (Some(q), _) => s.push_str(&format!("{} {}", q.normalize(), order.symbol)),
        (None, Some(q)) => s.push_str(&format!("{} worth of {}", q.normalize(), order.symbol)),
        (None, None) => s.push_str(&order.symbol),
    }
    s.push_str(&format!(" {}", order.order_type.as_str()));
    if let Some(t) = order.time_in_force {
        s.push_str(&format!(" {}", t.as_str()));
    }
    if let Some(p) = order.price {
        s.push_str(&format!(" @ {}", p.normalize()));
    }
    if let Some(p) = order.stop_price {
        s.push_str(&format!(" stop {}", p.normalize()));
    }
    if let Some(d) = order.trailing_delta {
        s.push_str(&format!(" trailing {d} bips"));
    }
    if let Some(q) = order.iceberg_qty {
        s.push_str(&format!(" iceberg {}", q.normalize()));
    }
    s
}

/// The order's worst-case notional in its quote asset (DESIGN §4.1).
fn notional(order: &NewOrder, reference: Option<Decimal>) -> Option<Decimal> {
    guard::worst_case_notional(order, reference)
}

pub(super) struct Checked {
    validation: Validation,
    symbol: SymbolInfo,
    /// The price the filters valued the order at (the reference price, else the average, else
    /// the last trade): also the worst-case notional's price for MARKET and stop orders.
    reference_price: Option<Decimal>,
    /// The symbol's rules changed since its last snapshot (seen by this call's fresh fetch),
    /// e.g. `BTCUSDT LOT_SIZE.minQty: 0.00001 -> 0.001`.
    filter_changes: Vec<String>,
    /// The quotes it was chosen from.
    quotes: PriceQuotes,
    /// The account's asset filters, when they were read.
    asset_filters: Option<Vec<AssetFilter>>,
}

/// A paper order named like an exchange order (paper ids are far above the exchange's).
pub(crate) fn paper_ref(order: &spot_client::OrderRef) -> crate::store::PaperRef {
    match order {
        spot_client::OrderRef::Id(id) => crate::store::PaperRef::Id(*id),
        spot_client::OrderRef::ClientId(c) => crate::store::PaperRef::ClientId(c.clone()),
    }
}

/// A paper order in one line, like [`describe_order`].
pub(crate) fn describe_paper(o: &crate::paper_engine::PaperOrder) -> String {
    describe_order(&NewOrder {
        symbol: o.symbol.clone(),
        side: o.side,
        order_type: o.order_type,
        time_in_force: o.time_in_force,
        quantity: Some(o.quantity),
        quote_order_qty: None,
        price: o.price,
        stop_price: o.stop_price,
        trailing_delta: o.trailing_delta,
        iceberg_qty: o.iceberg_qty,
        new_client_order_id: None,
        self_trade_prevention_mode: None,
    })
}

/// The human's limits from memory.md, checked against an order (or a list) of this worst-case
/// notional and today's orders in the store; nothing is reserved.
fn check_limits(
    toolbox: &Toolbox,
    prefs: &Preferences,
    env: Environment,
    symbol: &SymbolInfo,
    worst_case_notional: Option<Decimal>,
) -> Result<(), ToolError> {
    toolbox.store()?.check_limits(
        env,
        &symbol.symbol,
        &symbol.quote_asset,
        worst_case_notional,
        prefs,
        local_now_ms(),
    )??;
    Ok(())
}

/// The symbol's rules and the price its filters use (the reference price when it has one,
/// else the average price or last trade; None when none can be had), from the caches.
async fn rules_and_reference(
    toolbox: &Toolbox,
    env: Environment,
    symbol: &str,
) -> Result<(SymbolInfo, Option<Decimal>), ToolError> {
    rules_reference_and_changes(toolbox, env, symbol)
        .await
        .map(|(info, reference, _)| (info, reference))
}

/// [`rules_and_reference`], and the rule changes a fresh fetch found since the symbol's last
/// snapshot (the fetch records them as an incident, once).
async fn rules_reference_and_changes(
    toolbox: &Toolbox,
    env: Environment,
    symbol: &str,
) -> Result<(SymbolInfo, Option<Decimal>, Vec<String>), ToolError> {
    let (info, changes) = symbol_and_changes(toolbox, env, symbol).await?;
    let price = toolbox
        .price_quotes(env, &info)
        .await
        .for_symbol(&info)
        .map(|p| p.price);
    Ok((info, price, changes))
}

/// The symbol's rules, and what a fresh fetch found changed since its last snapshot (each
/// `SYMBOL FILTER.field: old -> new`; the fetch records them as an incident, once).
async fn symbol_and_changes(
    toolbox: &Toolbox,
    env: Environment,
    symbol: &str,
) -> Result<(SymbolInfo, Vec<String>), ToolError> {
    let mut fetch = toolbox.symbols(env, &[symbol.to_owned()]).await?;
    let changes = fetch
        .changes
        .iter()
        .filter(|c| c.symbol == symbol)
        .flat_map(|c| c.changes.iter().map(|change| format!("{} {change}", c.symbol)))
        .collect();
    let info = fetch
        .infos
        .pop()
        .ok_or_else(|| ToolError::internal("exchangeInfo returned no symbol"))?;
    Ok((info, changes))
}

/// Which signed reads a check may make (each fills in rules that are otherwise unchecked).
#[derive(Clone, Copy, Debug)]
struct SignedReads {
    /// `GET /api/v3/openOrders`: the MAX_NUM_* filters.
    open_orders: bool,
    /// `GET /api/v3/myFilters` (cached): MAX_ASSET.
    account_filters: bool,
}

/// Local filter validation, captured in snapshots/. `with_open_orders` adds the signed reads
/// (open orders for MAX_NUM_*, the account's filters for MAX_ASSET).
async fn validate_and_capture(
    toolbox: &Toolbox,
    tool: &str,
    env: Environment,
    order: &NewOrder,
    with_open_orders: bool,
) -> Result<Checked, ToolError> {
    let reads = SignedReads {
        open_orders: with_open_orders,
        account_filters: with_open_orders,
    };
    validate_and_capture_with(toolbox, tool, env, order, reads).await
}

async fn validate_and_capture_with(
    toolbox: &Toolbox,
    tool: &str,
    env: Environment,
    order: &NewOrder,
    reads: SignedReads,
) -> Result<Checked, ToolError> {
    let (symbol, filter_changes) = symbol_and_changes(toolbox, env, &order.symbol).await?;
    let quotes = toolbox.price_quotes(env, &symbol).await;
    let open_orders = if reads.open_orders {
        let mut open = toolbox.client(env).open_orders(Some(&order.symbol)).await?;
        // On paper, open paper orders count too: a paper run rehearses the MAX_NUM_* filters.
        // A live order is held to the exchange's own book only (no store read on that path).
        if toolbox.config().trade_mode == crate::config::TradeMode::Paper {
            open.extend(
                toolbox
                    .store()?
                    .paper_orders(env, Some(&order.symbol), true, 10_000)?
                    .iter()
                    .filter(|o| o.is_working())
                    .map(crate::tools::paper::report),
            );
        }
        Some(OpenOrderCounts {
            total: open.len() as u32,
            algo: open
                .iter()
                .filter(|o| {
                    matches!(
                        o.order_type.as_deref(),
                        Some("STOP_LOSS" | "STOP_LOSS_LIMIT" | "TAKE_PROFIT" | "TAKE_PROFIT_LIMIT")
                    )
                })
                .count() as u32,
            iceberg: open
                .iter()
                .filter(|o| o.iceberg_qty.is_some_and(|q| !q.is_zero()))
                .count() as u32,
        })
    } else {
        None
    };
    let account_filters = account_filters(toolbox, env, &order.symbol, reads.account_filters).await;
    let asset_filters = match &account_filters {
        Ok(filters) => AssetFilters::Known(filters),
        Err(why) => AssetFilters::Unknown(why),
    };
    let validation = validate(
        order,
        &ValidationContext {
            symbol: &symbol,
            prices: &quotes,
            open_orders,
            asset_filters,
        },
    );
    let capture = serde_json::json!({
        "tool": tool,
        "environment": env,
        "at": utc(local_now_ms()),
        "order": order,
        "verdict": if validation.valid { "valid" } else { "invalid" },
        "violations": validation.violations,
        "unchecked": validation.unchecked,
        "filter_price": validation.filter_price,
        "quotes": quotes_json(&quotes),
        "open_orders": open_orders.map(|o| serde_json::json!({"total": o.total, "algo": o.algo, "iceberg": o.iceberg})),
        "filters_used": symbol.filters,
        "filter_changes": filter_changes,
        "asset_filters": account_filters.as_ref().ok(),
    });
    if let Err(e) = toolbox.snapshots().record_check(env, &order.symbol, tool, &capture) {
        tracing::warn!(error = %e, "could not write the validation capture");
    }
    Ok(Checked {
        reference_price: validation.filter_price.as_ref().map(|p| p.price),
        validation,
        symbol,
        filter_changes,
        quotes,
        asset_filters: account_filters.ok(),
    })
}

/// The account's asset filters on `symbol`, or why they are unknown.
async fn account_filters(
    toolbox: &Toolbox,
    env: Environment,
    symbol: &str,
    allowed: bool,
) -> Result<Vec<AssetFilter>, String> {
    if !allowed {
        return Err(
            "a signed read; in production it needs confirm_production: true (it is cached once read)".to_owned(),
        );
    }
    if !toolbox.client(env).has_credentials() {
        return Err(format!("no API key for {env}"));
    }
    toolbox.asset_filters(env, symbol).await.map_err(|e| {
        let text = e.to_string();
        text.lines().next().unwrap_or(&text).chars().take(200).collect()
    })
}

/// The quotes a check chose from, for its capture.
fn quotes_json(quotes: &PriceQuotes) -> serde_json::Value {
    let reference = match &quotes.reference {
        ReferenceQuote::Set { price, at_ms } => serde_json::json!({"price": price, "timestamp": at_ms}),
        ReferenceQuote::Null => serde_json::json!(null),
        ReferenceQuote::NeverSet => serde_json::json!("never set (-2043)"),
        ReferenceQuote::Unknown(why) => serde_json::json!(format!("unknown: {why}")),
    };
    serde_json::json!({
        "reference_price": reference,
        "average_price": quotes.average.map(|(p, mins)| serde_json::json!({"price": p, "mins": mins})),
        "last_trade": quotes.last_trade,
    })
}

/// The line a result adds when the symbol's rules changed since they were last seen.
fn filter_change_note(changes: &[String]) -> String {
    if changes.is_empty() {
        String::new()
    } else {
        format!(
            ". FILTERS CHANGED since last seen (recorded in incidents.md): {}",
            changes.join("; ")
        )
    }
}

/// [`refuse_invalid`], saying which rules changed when the symbol's filters moved.
fn refuse_checked(c: &Checked) -> ToolError {
    match refuse_invalid(&c.validation) {
        ToolError::InvalidArgument(why) if !c.filter_changes.is_empty() => ToolError::InvalidArgument(format!(
            "{why}\nThe symbol's FILTERS CHANGED since last seen (recorded in incidents.md): {}",
            c.filter_changes.join("; ")
        )),
        other => other,
    }
}

fn refuse_invalid(validation: &Validation) -> ToolError {
    let lines: Vec<String> = validation
        .violations
        .iter()
        .map(|v| {
            if v.nearest_valid.is_empty() {
                format!("- {}: {} ({})", v.filter, v.message, v.value)
            } else {
                format!(
                    "- {}: {} ({}; nearest valid: {})",
                    v.filter,
                    v.message,
                    v.value,
                    v.nearest_valid.join(" or ")
                )
            }
        })
        .collect();
    ToolError::invalid(format!(
        "the order breaks the symbol's filters, so it was not sent:\n{}\nFix the values (order_validate shows a normalized payload) and try again.",
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_read_like_a_trader_says_them() {
        let args: OrderArgs = serde_json::from_value(serde_json::json!({
            "symbol": "btcusdt", "side": "BUY", "type": "LIMIT", "time_in_force": "GTC",
            "quantity": "0.0010", "price": "95000.00"
        }))
        .expect("args");
        assert_eq!(
            describe_order(&args.to_order().expect("order")),
            "BUY 0.001 BTCUSDT LIMIT GTC @ 95000"
        );
    }
}
