//! The safety gate. Every refusal here happens before anything is sent to Binance.
//!
//! Rules: signed production calls need `confirm_production: true`; no order while the kill
//! switch is on; an order needs a passed `order_test` of the identical payload in the same
//! environment within five minutes; in production its shape must have passed on testnet or
//! demo before; every order carries a valid client order id.

use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;

use crate::binance::model::NewOrder;
use crate::config::{Config, Environment};
use crate::memory::ledger::{Ledger, LedgerView};
use crate::memory::{Memory, MemoryError};

/// How long a passed `order_test` licenses the identical `order_place`.
pub const TEST_VALIDITY: Duration = Duration::from_secs(5 * 60);

/// Why the gate refused, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    /// The rule that refused, e.g. `confirmation_required`.
    pub rule: &'static str,
    pub reason: String,
    pub what_to_do: String,
}

impl Refusal {
    pub(crate) fn new(rule: &'static str, reason: impl Into<String>, what_to_do: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            reason: reason.into(),
            what_to_do: what_to_do.into(),
        }
    }
}

/// Signed production calls need the explicit argument.
pub fn require_confirmation(env: Environment, confirm_production: bool, tool: &str) -> Result<(), Refusal> {
    if env == Environment::Production && !confirm_production {
        return Err(Refusal::new(
            "confirmation_required",
            format!(
                "{tool} on production touches a real-money account and was called without confirm_production: true"
            ),
            "Ask the human in the conversation whether to do exactly this on production. Only if they say yes, call again with confirm_production: true. Otherwise use environment \"testnet\".",
        ));
    }
    Ok(())
}

/// No order while `~/binance/HALT` exists or the server is read-only.
pub fn require_trading_allowed(config: &Config, memory: &Memory) -> Result<(), Refusal> {
    if config.read_only {
        return Err(Refusal::new(
            "read_only",
            "the server runs with BINANCE_READ_ONLY=1: no order can be placed",
            "Only reads are available. The human can unset BINANCE_READ_ONLY and restart the server.",
        ));
    }
    if memory.is_halted() {
        return Err(Refusal::new(
            "kill_switch",
            format!(
                "trading is halted: {} exists",
                memory.home().join(crate::memory::HALT_FILE).display()
            ),
            "Cancels and reads still work. Only the human lifts the halt (`binance-mcp resume` or deleting the file).",
        ));
    }
    Ok(())
}

/// The order fields that make two payloads "identical": exact decimals normalised (`0.0010`
/// equals `0.001`), client order id and confirmation excluded.
pub fn order_identity(order: &NewOrder) -> String {
    let dec = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    format!(
        "{}|{}|{}|tif={}|qty={}|quote={}|price={}|stop={}|trail={}|iceberg={}|stp={}",
        order.symbol,
        order.side.as_str(),
        order.order_type.as_str(),
        order.time_in_force.map(|t| t.as_str()).unwrap_or(""),
        dec(order.quantity),
        dec(order.quote_order_qty),
        dec(order.price),
        dec(order.stop_price),
        order.trailing_delta.map(|t| t.to_string()).unwrap_or_default(),
        dec(order.iceberg_qty),
        order.self_trade_prevention_mode.map(|m| m.as_str()).unwrap_or(""),
    )
}

/// The payload's shape: symbol, side, type, time in force and which fields are set.
pub fn order_shape(order: &NewOrder) -> String {
    let mut fields = Vec::new();
    for (name, set) in [
        ("quantity", order.quantity.is_some()),
        ("quote_order_qty", order.quote_order_qty.is_some()),
        ("price", order.price.is_some()),
        ("stop_price", order.stop_price.is_some()),
        ("trailing_delta", order.trailing_delta.is_some()),
        ("iceberg_qty", order.iceberg_qty.is_some()),
        ("self_trade_prevention_mode", order.self_trade_prevention_mode.is_some()),
    ] {
        if set {
            fields.push(name);
        }
    }
    format!(
        "{}|{}|{}|tif={}|{}",
        order.symbol,
        order.side.as_str(),
        order.order_type.as_str(),
        order.time_in_force.map(|t| t.as_str()).unwrap_or(""),
        fields.join(",")
    )
}

/// An `order_test` of the identical payload must have passed in `env` within [`TEST_VALIDITY`].
pub fn require_recent_test(
    ledger: &LedgerView,
    env: Environment,
    order: &NewOrder,
    now_ms: i64,
) -> Result<(), Refusal> {
    let since = now_ms - TEST_VALIDITY.as_millis() as i64;
    match ledger.test_passed_since(env, &order_identity(order), since) {
        Some(_) => Ok(()),
        None => Err(Refusal::new(
            "test_before_real",
            format!(
                "no unused order_test of this exact payload passed on {env} in the last 5 minutes (each passed test allows one order)"
            ),
            "Call order_test with exactly the same order fields (same symbol, side, type, quantities, prices) and environment, then order_place again within 5 minutes. If an order_place of this payload already ran, check order_open_list first: it may have been placed.",
        )),
    }
}

/// In production, the payload's shape must have passed `order_test` on testnet or demo before,
/// unless the symbol is not listed on either.
pub fn require_rehearsed_shape(
    ledger: &LedgerView,
    order: &NewOrder,
    listed_on_testnet_or_demo: bool,
) -> Result<(), Refusal> {
    if !listed_on_testnet_or_demo
        || ledger.shape_passed(&[Environment::Testnet, Environment::Demo], &order_shape(order))
    {
        return Ok(());
    }
    Err(Refusal::new(
        "rehearse_on_testnet",
        format!(
            "this order shape ({}) has never passed order_test on testnet or demo",
            order_shape(order)
        ),
        "Run order_test with the same symbol, side, type, time in force and the same fields set on environment \"testnet\" first (the amounts may differ), then repeat on production.",
    ))
}

/// The ledger, read once for the gate's questions; unreadable means every order is refused.
pub fn ledger_view(ledger: &Ledger) -> Result<LedgerView, Refusal> {
    ledger.view().map_err(ledger_unreadable)
}

fn ledger_unreadable(e: MemoryError) -> Refusal {
    Refusal::new(
        "ledger_unreadable",
        format!("the ledger cannot be read, so the gate cannot verify prior tests: {e}"),
        "Ask the human to check the memory folder (permissions, disk space); orders stay refused until it is readable.",
    )
}

/// The client order id to send: the agent's, when it matches Binance's pattern, else a new one.
pub fn client_order_id(given: Option<&str>) -> Result<String, Refusal> {
    match given {
        Some(id) => {
            let ok =
                (1..=36).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if ok {
                Ok(id.to_owned())
            } else {
                Err(Refusal::new(
                    "client_order_id",
                    format!("client_order_id {id:?} does not match ^[a-zA-Z0-9-_]{{1,36}}$"),
                    "Use 1 to 36 letters, digits, '-' or '_', or leave it out and one is generated.",
                ))
            }
        }
        None => Ok(format!(
            "bmcp-{}",
            rand::rng()
                .sample_iter(&Alphanumeric)
                .take(22)
                .map(char::from)
                .collect::<String>()
        )),
    }
}

/// The human's limits from memory.md: allowed symbols, per-order notional, per-day notional.
/// `notional` is price × quantity in the quote asset (None when it cannot be computed).
pub fn require_within_limits(
    prefs: &crate::memory::preferences::Preferences,
    env: Environment,
    order: &NewOrder,
    quote_asset: &str,
    notional: Option<rust_decimal::Decimal>,
    placed_today: rust_decimal::Decimal,
) -> Result<(), Refusal> {
    const FIX: &str = "Only the human can change the limits, by editing the front matter of memory.md. Ask them, or make the order smaller.";
    if !prefs.symbol_allowed(&order.symbol) {
        return Err(Refusal::new(
            "symbol_not_allowed",
            format!(
                "{} is not in allowed_symbols of memory.md ({})",
                order.symbol,
                prefs.allowed_symbols.join(", ")
            ),
            "Only the human can change allowed_symbols, in the front matter of memory.md. Ask them, or trade one of the allowed symbols.",
        ));
    }
    let order_limit = prefs.order_limit(quote_asset);
    let daily_limit = prefs.daily_limit(env, quote_asset);
    if order_limit.is_none() && daily_limit.is_none() {
        return Ok(());
    }
    let Some(notional) = notional else {
        return Err(Refusal::new(
            "limit_unverifiable",
            format!(
                "memory.md limits {quote_asset} orders, but this order's notional cannot be computed (no price and no reference price)"
            ),
            "Give a price, or retry when the average price is available.",
        ));
    };
    if let Some(max) = order_limit
        && notional > max
    {
        return Err(Refusal::new(
            "max_order_notional",
            format!(
                "the order's notional {} {quote_asset} exceeds max_order_notional {} {quote_asset} in memory.md",
                notional.normalize(),
                max.normalize()
            ),
            FIX,
        ));
    }
    if let Some(max) = daily_limit
        && placed_today + notional > max
    {
        return Err(Refusal::new(
            "max_daily_notional",
            format!(
                "{} {quote_asset} already sent on {env} today (UTC) plus this order's {} exceeds max_daily_notional {} {quote_asset} in memory.md",
                placed_today.normalize(),
                notional.normalize(),
                max.normalize()
            ),
            FIX,
        ));
    }
    Ok(())
}

/// Orders are refused while memory.md's front matter is broken; the error names the line.
pub fn broken_preferences(error: &crate::memory::preferences::FrontMatterError) -> Refusal {
    Refusal::new(
        "memory_md_broken",
        format!("the limits in memory.md cannot be read: {error}"),
        "Ask the human to fix that line of the front matter in memory.md (the file is never rewritten by the server). Orders stay refused until then; reads and cancels still work.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binance::model::{OrderType, Side, TimeInForce};
    use crate::memory::ledger::LedgerEvent;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn order(qty: &str) -> NewOrder {
        NewOrder {
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            time_in_force: Some(TimeInForce::Gtc),
            quantity: Some(Decimal::from_str(qty).expect("dec")),
            quote_order_qty: None,
            price: Some(Decimal::from_str("95000").expect("dec")),
            stop_price: None,
            trailing_delta: None,
            iceberg_qty: None,
            new_client_order_id: None,
            self_trade_prevention_mode: None,
        }
    }

    #[test]
    fn production_needs_the_argument() {
        assert!(require_confirmation(Environment::Production, false, "order_place").is_err());
        assert!(require_confirmation(Environment::Production, true, "order_place").is_ok());
        assert!(require_confirmation(Environment::Testnet, false, "order_place").is_ok());
    }

    #[test]
    fn identity_ignores_trailing_zeros_and_client_ids() {
        let mut a = order("0.0010");
        let b = order("0.001");
        a.new_client_order_id = Some("x".into());
        assert_eq!(order_identity(&a), order_identity(&b));
        assert_ne!(order_identity(&order("0.002")), order_identity(&b));
        assert_eq!(order_shape(&order("0.002")), order_shape(&b));
    }

    #[test]
    fn recent_test_is_required() {
        let dir = tempfile::tempdir().expect("dir");
        let ledger = Ledger::new(Memory::new(dir.path()));
        let o = order("0.001");
        assert!(require_recent_test(&ledger.view().expect("view"), Environment::Testnet, &o, 1_000_000).is_err());
        ledger
            .record(&LedgerEvent::TestPassed {
                at: String::new(),
                at_ms: 1_000_000,
                environment: Environment::Testnet,
                symbol: "BTCUSDT".into(),
                identity: order_identity(&o),
                shape: order_shape(&o),
            })
            .expect("record");
        assert!(
            require_recent_test(
                &ledger.view().expect("view"),
                Environment::Testnet,
                &o,
                1_000_000 + 299_000
            )
            .is_ok()
        );
        assert!(
            require_recent_test(
                &ledger.view().expect("view"),
                Environment::Testnet,
                &o,
                1_000_000 + 301_000
            )
            .is_err(),
            "expired"
        );
        assert!(
            require_recent_test(&ledger.view().expect("view"), Environment::Demo, &o, 1_000_001).is_err(),
            "other environment"
        );
        assert!(require_rehearsed_shape(&ledger.view().expect("view"), &order("0.5"), true).is_ok());
    }

    #[test]
    fn client_order_ids_follow_binance_pattern() {
        let id = client_order_id(None).expect("generated");
        assert!(id.len() <= 36);
        assert!(client_order_id(Some("my-order_1")).is_ok());
        assert!(client_order_id(Some("has space")).is_err());
        assert!(client_order_id(Some(&"x".repeat(37))).is_err());
    }
}
