//! The safety gate. Every refusal here happens before anything is sent to Binance.
//!
//! Rules: signed production calls need `confirm_production: true`; no order while the kill
//! switch is on; an order needs a passed `order_test` of the identical payload in the same
//! environment within five minutes, and each test licenses one order; in production its shape
//! must have passed on testnet or demo before; every order carries a valid client order id
//! never used before; its worst-case notional stays within the human's limits. The store
//! (`crate::store`) applies the stateful rules in one transaction.

use std::time::Duration;

use rand::Rng;
use rand::distr::Alphanumeric;

use rust_decimal::Decimal;

use crate::config::{Config, Environment};
use crate::memory::Memory;
use spot_types::model::NewOrder;

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

/// No unused passed test of the identical payload within [`TEST_VALIDITY`].
pub fn no_recent_test(env: Environment, what: &str) -> Refusal {
    let (test, again) = if what == "list" {
        (
            "order_list_place with test_only: true",
            "Call order_list_place with the same arguments and test_only: true, then again without it within 5 minutes.",
        )
    } else {
        (
            "order_test",
            "Call order_test with exactly the same order fields (same symbol, side, type, quantities, prices) and environment, then order_place again within 5 minutes.",
        )
    };
    Refusal::new(
        "test_before_real",
        format!(
            "no unused {test} of this exact {what} passed on {env} in the last 5 minutes (each passed test allows one {what}, once)"
        ),
        format!(
            "{again} If a placement of this {what} already ran, check order_open_list first: it may have been placed."
        ),
    )
}

/// In production, the payload's shape must have passed a test on testnet or demo before.
pub fn not_rehearsed(shape: &str, what: &str) -> Refusal {
    Refusal::new(
        "rehearse_on_testnet",
        format!("this {what} shape ({shape}) has never passed a test on testnet or demo"),
        "Test the same symbol, side, type, time in force and the same fields set on environment \"testnet\" first (the amounts may differ), then repeat on production.",
    )
}

/// The most quote asset an order can commit (DESIGN §4.1): `quoteOrderQty`; price × quantity
/// for orders with a limit price; for market orders the reference price; for stop-market and
/// take-profit-market orders the trigger or the reference price, whichever is higher; for
/// trailing stops that price moved by the trailing delta. None when no price is known.
pub fn worst_case_notional(order: &NewOrder, reference: Option<Decimal>) -> Option<Decimal> {
    if let Some(q) = order.quote_order_qty {
        return Some(q.normalize());
    }
    let quantity = order.quantity?;
    let price = if order.order_type.has_limit_price() {
        order.price?
    } else {
        let base = match (order.stop_price, reference) {
            (Some(stop), Some(r)) => stop.max(r),
            (Some(stop), None) => stop,
            (None, Some(r)) => r,
            (None, None) => return None,
        };
        match order.trailing_delta {
            // A trailing stop triggers `delta` BIPS away from the best price it has seen.
            Some(delta) => base * (Decimal::ONE + Decimal::new(i64::from(delta), 4)),
            None => base,
        }
    };
    Some((quantity * price).normalize())
}

/// What the limits allowed: the daily limit in force for the order's environment and quote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub order_limit: Decimal,
    pub daily_limit: Option<Decimal>,
}

/// The client order id to send: the agent's, when it matches Binance's pattern and holds no
/// SQL keyword (Binance's firewall answers those with 403), else a new one, which never holds one.
pub fn client_order_id(given: Option<&str>) -> Result<String, Refusal> {
    match given {
        Some(id) => {
            let ok =
                (1..=36).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(Refusal::new(
                    "client_order_id",
                    format!("client_order_id {id:?} does not match ^[a-zA-Z0-9-_]{{1,36}}$"),
                    "Use 1 to 36 letters, digits, '-' or '_', or leave it out and one is generated.",
                ));
            }
            if let Some(keyword) = spot_client::waf::sql_keyword(id) {
                return Err(Refusal::new(
                    "client_order_id_sql_keyword",
                    format!(
                        "client_order_id {id:?} contains the SQL keyword {keyword}: Binance's firewall blocks such requests with HTTP 403 (nothing executes, and repeated blocks can ban the IP)"
                    ),
                    "Choose an id without SQL keywords (SELECT, INSERT, UPDATE, DELETE, DROP, UNION, ALTER, CREATE, TRUNCATE, EXEC, DECLARE, SLEEP, WAITFOR, BENCHMARK, in any case), or leave it out and one is generated.",
                ));
            }
            Ok(id.to_owned())
        }
        None => Ok(generated_client_order_id()),
    }
}

/// `bmcp-` and 22 random letters and digits, drawn again in the rare case they spell a SQL
/// keyword (e.g. "drop" or "exec" by chance).
fn generated_client_order_id() -> String {
    loop {
        let id = format!(
            "bmcp-{}",
            rand::rng()
                .sample_iter(&Alphanumeric)
                .take(22)
                .map(char::from)
                .collect::<String>()
        );
        if spot_client::waf::sql_keyword(&id).is_none() {
            return id;
        }
    }
}

/// The human's limits from memory.md: allowed symbols, per-order notional, per-day notional.
/// `notional` is the order's worst-case notional in `quote_asset` (None when it cannot be
/// computed); `placed_today` is what this environment already sent today in that asset. A quote
/// asset that no limit names is refused: no line means no permission, not no limit.
pub fn require_within_limits(
    prefs: &crate::memory::preferences::Preferences,
    env: Environment,
    symbol: &str,
    quote_asset: &str,
    notional: Option<Decimal>,
    placed_today: Decimal,
) -> Result<Limits, Refusal> {
    const FIX: &str = "Only the human can change the limits, by editing the front matter of memory.md. Ask them, or make the order smaller.";
    if !prefs.symbol_allowed(symbol) {
        return Err(Refusal::new(
            "symbol_not_allowed",
            format!(
                "{symbol} is not in allowed_symbols of memory.md ({})",
                prefs.allowed_symbols.join(", ")
            ),
            "Only the human can change allowed_symbols, in the front matter of memory.md. Ask them, or trade one of the allowed symbols.",
        ));
    }
    let Some(order_limit) = prefs.order_limit(quote_asset) else {
        return Err(Refusal::new(
            "quote_asset_unlimited",
            format!(
                "memory.md sets no max_order_notional for {quote_asset}, the quote asset of {symbol}, so the server cannot keep this order within the human's limits"
            ),
            format!(
                "Ask the human to add a line under max_order_notional in the front matter of memory.md, e.g. `  {quote_asset}: 100` (the most {quote_asset} one order may commit); orders in {quote_asset} stay refused until then."
            ),
        ));
    };
    let daily_limit = prefs.daily_limit(env, quote_asset);
    let Some(notional) = notional else {
        return Err(Refusal::new(
            "limit_unverifiable",
            format!(
                "memory.md limits {quote_asset} orders, but this order's notional cannot be computed (no price and no reference price)"
            ),
            "Give a price, or retry when the average price is available.",
        ));
    };
    if notional > order_limit {
        return Err(Refusal::new(
            "max_order_notional",
            format!(
                "the order's worst-case notional {} {quote_asset} exceeds max_order_notional {} {quote_asset} in memory.md",
                notional.normalize(),
                order_limit.normalize()
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
    Ok(Limits {
        order_limit,
        daily_limit,
    })
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
    use spot_types::model::{OrderType, Side, TimeInForce};
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
    fn worst_case_notional_takes_the_worse_of_trigger_and_reference() {
        let d = |s: &str| Decimal::from_str(s).expect("dec");
        let mut stop = order("0.0015");
        stop.order_type = OrderType::StopLoss;
        stop.time_in_force = None;
        stop.price = None;
        stop.stop_price = Some(d("70000"));
        // A BUY stop at 70,000 with the market at 65,000 commits 105 USDT, not 97.5.
        assert_eq!(worst_case_notional(&stop, Some(d("65000"))), Some(d("105")));
        assert_eq!(worst_case_notional(&stop, Some(d("80000"))), Some(d("120")));
        let mut trailing = stop.clone();
        trailing.stop_price = None;
        trailing.trailing_delta = Some(200);
        assert_eq!(worst_case_notional(&trailing, Some(d("65000"))), Some(d("99.45")));
        let mut market = order("0.001");
        market.order_type = OrderType::Market;
        market.price = None;
        market.time_in_force = None;
        assert_eq!(worst_case_notional(&market, None), None);
        market.quantity = None;
        market.quote_order_qty = Some(d("50"));
        assert_eq!(worst_case_notional(&market, None), Some(d("50")));
        assert_eq!(worst_case_notional(&order("0.001"), Some(d("1"))), Some(d("95")));
    }

    #[test]
    fn a_quote_asset_no_limit_names_is_refused() {
        let prefs =
            crate::memory::preferences::Preferences::defaults(crate::memory::preferences::Profile::Conservative);
        let refused = require_within_limits(
            &prefs,
            Environment::Testnet,
            "BTCEUR",
            "EUR",
            Some(Decimal::ONE),
            Decimal::ZERO,
        )
        .expect_err("EUR has no limit");
        assert_eq!(refused.rule, "quote_asset_unlimited");
        assert!(refused.what_to_do.contains("EUR: 100"), "{}", refused.what_to_do);
        assert!(
            require_within_limits(
                &prefs,
                Environment::Testnet,
                "BTCUSDT",
                "USDT",
                Some(Decimal::ONE),
                Decimal::ZERO
            )
            .is_ok()
        );
    }

    #[test]
    fn client_order_ids_follow_binance_pattern() {
        let id = client_order_id(None).expect("generated");
        assert!(id.len() <= 36);
        assert!(client_order_id(Some("my-order_1")).is_ok());
        assert!(client_order_id(Some("has space")).is_err());
        assert!(client_order_id(Some(&"x".repeat(37))).is_err());
    }

    #[test]
    fn sql_keywords_never_leave_in_a_client_order_id() {
        let refused = client_order_id(Some("grid-Select-1")).expect_err("a SQL keyword");
        assert_eq!(refused.rule, "client_order_id_sql_keyword");
        assert!(
            refused.to_string().contains("SELECT") && refused.to_string().contains("403"),
            "{refused}"
        );
        // Enough draws that a generator without the check would have spelled one by now.
        for _ in 0..100_000 {
            let id = client_order_id(None).expect("generated");
            assert!(spot_client::waf::sql_keyword(&id).is_none(), "{id}");
        }
    }
}
