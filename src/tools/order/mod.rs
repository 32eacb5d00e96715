//! Order tools: validate locally, test at Binance, place through the gate, then reconcile;
//! cancel, status, open orders, history. This file holds the shared order arguments and the
//! local checks; each group of tools has its own file.

mod amend;
mod events;
mod list;
mod list_plan;
mod manage;
mod place;
mod pretrade;

pub use amend::*;
pub use events::*;
pub use list::*;
pub use list_plan::*;
pub use manage::*;
pub use place::*;
pub use pretrade::*;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::binance::clock::local_now_ms;
use crate::binance::model::{NewOrder, OrderType, Side, StpMode, SymbolInfo, TimeInForce};
use crate::config::Environment;
use crate::filters::{OpenOrderCounts, Validation, ValidationContext, validate};
use crate::guard;
use crate::memory::preferences::Preferences;
use crate::tools::amount::Amount;
use crate::tools::{ToolError, Toolbox, normalize_symbol, utc};

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
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
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
        use crate::timers::{MAX_CANCEL_AFTER_SECS, MIN_CANCEL_AFTER_SECS};
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
    reference_price: Option<Decimal>,
}

/// The human's limits from memory.md, checked against an order (or a list) of this worst-case
/// notional and today's orders in the store; nothing is reserved.
fn check_limits(
    tb: &Toolbox,
    prefs: &Preferences,
    env: Environment,
    symbol: &SymbolInfo,
    worst_case_notional: Option<Decimal>,
) -> Result<(), ToolError> {
    tb.store()?.check_limits(
        env,
        &symbol.symbol,
        &symbol.quote_asset,
        worst_case_notional,
        prefs,
        local_now_ms(),
    )??;
    Ok(())
}

/// The symbol's rules and its reference price (None when it cannot be had), from the caches.
async fn rules_and_reference(
    tb: &Toolbox,
    env: Environment,
    symbol: &str,
) -> Result<(SymbolInfo, Option<Decimal>), ToolError> {
    let mut fetch = tb.symbols(env, &[symbol.to_owned()]).await?;
    let info = fetch
        .infos
        .pop()
        .ok_or_else(|| ToolError::internal("exchangeInfo returned no symbol"))?;
    let reference_price = match tb.reference_price(env, symbol).await {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!(error = %e, "no reference price; PERCENT_PRICE and MARKET notional stay unchecked");
            None
        }
    };
    Ok((info, reference_price))
}

/// Local filter validation, captured in snapshots/. `with_open_orders` adds the MAX_NUM_*
/// checks (a signed read).
async fn check(
    tb: &Toolbox,
    tool: &str,
    env: Environment,
    order: &NewOrder,
    with_open_orders: bool,
) -> Result<Checked, ToolError> {
    let (symbol, reference_price) = rules_and_reference(tb, env, &order.symbol).await?;
    let open_orders = if with_open_orders {
        let open = tb.client(env).open_orders(Some(&order.symbol)).await?;
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
    let validation = validate(
        order,
        &ValidationContext {
            symbol: &symbol,
            reference_price,
            open_orders,
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
        "reference_price": reference_price,
        "open_orders": open_orders.map(|o| serde_json::json!({"total": o.total, "algo": o.algo, "iceberg": o.iceberg})),
        "filters_used": symbol.filters,
    });
    if let Err(e) = tb.snapshots().record_check(env, &order.symbol, tool, &capture) {
        tracing::warn!(error = %e, "could not write the validation capture");
    }
    Ok(Checked {
        validation,
        symbol,
        reference_price,
    })
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
