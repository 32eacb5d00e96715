//! What the human reads back: the audit log and the orders the desk reserved, one readable line
//! each, filtered by environment, symbol and UTC day. Shared by `binance-mcp memory audit|orders`
//! and the `binance://audit` and `binance://orders` resources.

use serde_json::Value;

use crate::config::Environment;
use crate::memory::audit::AUDIT_FILE;
use crate::memory::{Memory, MemoryError};
use crate::store::{OrderFilter, ReservedOrder, Store};

/// Which records to show.
#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    pub environment: Option<Environment>,
    /// Uppercase symbol.
    pub symbol: Option<String>,
    /// A UTC day, `YYYY-MM-DD`.
    pub day: Option<String>,
    /// The newest this many.
    pub limit: usize,
}

/// The audit log's lines that match, oldest first, one readable line each.
pub fn audit_lines(memory: &Memory, filter: &ReviewFilter) -> Result<Vec<String>, MemoryError> {
    let records: Vec<Value> = memory.read_jsonl(AUDIT_FILE)?;
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let matching: Vec<String> = records
        .iter()
        .filter(|r| {
            filter.environment.is_none_or(|env| {
                r.get("environment")
                    .and_then(Value::as_str)
                    .is_none_or(|e| e == env.as_str())
            }) && filter
                .day
                .as_ref()
                .is_none_or(|day| text(r, "at").starts_with(day.as_str()))
                && filter
                    .symbol
                    .as_ref()
                    .is_none_or(|symbol| r.to_string().contains(symbol.as_str()))
        })
        .map(|r| {
            let at = text(r, "at");
            let detail = match text(r, "kind").as_str() {
                "signed_request" => format!(
                    "{} request {} {} -> HTTP {}{}",
                    text(r, "environment"),
                    text(r, "method"),
                    text(r, "path"),
                    r.get("http_status")
                        .map(Value::to_string)
                        .unwrap_or_else(|| "none".into()),
                    r.get("binance_code")
                        .filter(|c| !c.is_null())
                        .map(|c| format!(" (code {c})"))
                        .unwrap_or_default()
                ),
                "confirmation" => format!(
                    "{} confirmation of {}: {} — {}",
                    text(r, "environment"),
                    text(r, "tool"),
                    text(r, "confirmation"),
                    text(r, "action")
                ),
                "refusal" => format!(
                    "refused {} ({}): {}",
                    text(r, "tool"),
                    text(r, "rule"),
                    text(r, "reason")
                ),
                "kill_switch" => format!("kill switch {}: {}", text(r, "action"), text(r, "reason")),
                other => format!("{other}: {r}"),
            };
            format!("{at}  {detail}")
        })
        .collect();
    let skip = matching.len().saturating_sub(filter.limit);
    Ok(matching.into_iter().skip(skip).collect())
}

/// The orders and lists the desk reserved that match, oldest first, one readable line each.
pub fn order_lines(store: &Store, filter: &ReviewFilter) -> Result<Vec<String>, MemoryError> {
    Ok(reserved_orders(store, filter)?.iter().map(order_line).collect())
}

/// The reserved orders that match, as data.
pub fn reserved_orders(store: &Store, filter: &ReviewFilter) -> Result<Vec<ReservedOrder>, MemoryError> {
    let between_ms = match &filter.day {
        Some(day) => Some(day_bounds(day)?),
        None => None,
    };
    store.reserved_orders(&OrderFilter {
        environment: filter.environment,
        symbol: filter.symbol.clone(),
        between_ms,
        limit: filter.limit,
    })
}

fn order_line(o: &ReservedOrder) -> String {
    let what = match o.payload.get("list_type").and_then(Value::as_str) {
        Some(list) => format!(
            "{} list of {} legs",
            list.to_uppercase(),
            o.payload.get("legs").and_then(Value::as_array).map_or(0, Vec::len)
        ),
        None => serde_json::from_value::<spot_types::model::NewOrder>(o.payload.clone())
            .map(|order| crate::tools::order::describe_order(&order))
            .unwrap_or_else(|_| o.symbol.clone()),
    };
    format!(
        "{}  {:<10} {:<8} {:<9} worst case {} {}  [{}]  {what}",
        spot_types::time::utc(o.at_ms),
        o.environment.as_str(),
        o.symbol,
        o.outcome.as_deref().unwrap_or("sending"),
        o.worst_case_notional.as_deref().unwrap_or("?"),
        o.quote_asset.as_deref().unwrap_or(""),
        o.client_order_id,
    )
}

/// `YYYY-MM-DD` as [its UTC midnight, the next) in ms since epoch.
fn day_bounds(day: &str) -> Result<(i64, i64), MemoryError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day.trim(), format)
        .map_err(|e| MemoryError::Invalid(format!("--day {day:?}: expected a date like 2026-12-05 ({e})")))?;
    let start = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok((start, start + 86_400_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_its_utc_midnight_to_the_next() {
        assert_eq!(
            day_bounds("2026-01-01").expect("day"),
            (1_767_225_600_000, 1_767_312_000_000)
        );
        assert!(day_bounds("01/01/2026").is_err());
    }

    #[test]
    fn refusals_and_halts_read_as_sentences() {
        let dir = tempfile::tempdir().expect("dir");
        let memory = Memory::new(dir.path());
        let audit = crate::memory::audit::Audit::new(memory.clone());
        audit.refusal(
            "order_place",
            "max_order_notional",
            "the order's worst-case notional 120 USDT exceeds 100",
        );
        audit.kill_switch("halt", "runaway agent");
        let lines = audit_lines(
            &memory,
            &ReviewFilter {
                limit: 10,
                ..ReviewFilter::default()
            },
        )
        .expect("audit");
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains("refused order_place (max_order_notional)"),
            "{lines:?}"
        );
        assert!(lines[1].contains("kill switch halt: runaway agent"), "{lines:?}");
        let only_btc = ReviewFilter {
            symbol: Some("ETHUSDT".into()),
            limit: 10,
            ..ReviewFilter::default()
        };
        assert!(audit_lines(&memory, &only_btc).expect("audit").is_empty());
    }
}
