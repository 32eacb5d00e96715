//! Autocomplete for prompt arguments (MCP `completion/complete`): symbol names from the
//! environment's exchangeInfo listing, and the environment names. Typing costs no request
//! weight: the listing is fetched once per environment and process (one exchangeInfo), and
//! when that fails, the symbols already cached or snapshotted answer alone.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Toolbox;
use super::market::market_env;
use crate::config::Environment;

/// Values one completion returns at most (the MCP limit).
pub const MAX_VALUES: usize = 100;
/// A failed listing fetch is not tried again for this long: keystrokes come fast.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest a keystroke waits for the listing before the known names answer alone.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The values that complete what was typed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Completion {
    /// At most [`MAX_VALUES`], best first.
    pub values: Vec<String>,
    /// How many values match in all.
    pub total: usize,
}

impl Completion {
    /// More values match than were returned.
    pub fn has_more(&self) -> bool {
        self.total > self.values.len()
    }
}

/// The symbol listing of each environment, fetched on the first completion that needs it.
#[derive(Debug, Default)]
pub struct Listings {
    by_env: tokio::sync::Mutex<HashMap<Environment, Listing>>,
}

#[derive(Debug)]
enum Listing {
    /// Every symbol Binance lists as TRADING, sorted.
    Names(Arc<Vec<String>>),
    /// The fetch failed at this moment.
    Failed(Instant),
}

/// Completes a prompt argument from the `typed` prefix (case-insensitive). `context` holds the
/// arguments already given: an `environment` there picks the listing a symbol comes from
/// (else the market tools' default). An argument that names neither a symbol nor an
/// environment gets no values.
pub async fn complete(toolbox: &Toolbox, argument: &str, typed: &str, context: &HashMap<String, String>) -> Completion {
    match argument {
        "symbol" => {
            let env = market_env(toolbox, context.get("environment").and_then(|e| environment_named(e)));
            let names = symbol_names(toolbox, env).await;
            matching(names.iter().map(String::as_str), &typed.trim().to_uppercase())
        }
        "environment" => matching(
            Environment::ALL.iter().map(|e| e.as_str()),
            &typed.trim().to_lowercase(),
        ),
        _ => Completion::default(),
    }
}

fn environment_named(name: &str) -> Option<Environment> {
    let name = name.trim().to_lowercase();
    Environment::ALL.into_iter().find(|e| e.as_str() == name)
}

/// The candidates that start with `prefix`, in the order given, at most [`MAX_VALUES`].
fn matching<'a>(candidates: impl Iterator<Item = &'a str>, prefix: &str) -> Completion {
    let mut values = Vec::new();
    let mut total = 0;
    for candidate in candidates.filter(|c| c.starts_with(prefix)) {
        total += 1;
        if values.len() < MAX_VALUES {
            values.push(candidate.to_owned());
        }
    }
    Completion { values, total }
}

/// The symbols of an environment: its listing, fetched once; while that cannot be had, the
/// symbols cached or snapshotted for it.
async fn symbol_names(toolbox: &Toolbox, env: Environment) -> Arc<Vec<String>> {
    // Held across the fetch: a burst of keystrokes waits for one request instead of sending many.
    let mut listings = toolbox.listings.by_env.lock().await;
    match listings.get(&env) {
        Some(Listing::Names(names)) => return names.clone(),
        Some(Listing::Failed(at)) if at.elapsed() < RETRY_AFTER => return Arc::new(known_names(toolbox, env)),
        _ => {}
    }
    match tokio::time::timeout(FETCH_TIMEOUT, toolbox.client(env).exchange_info_value(&[])).await {
        Ok(Ok(info)) => {
            let names = Arc::new(trading_symbols(&info));
            listings.insert(env, Listing::Names(names.clone()));
            names
        }
        failed => {
            let reason = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => format!("no answer within {} s", FETCH_TIMEOUT.as_secs()),
            };
            tracing::info!(environment = %env, %reason, "symbol completion without the listing");
            listings.insert(env, Listing::Failed(Instant::now()));
            Arc::new(known_names(toolbox, env))
        }
    }
}

/// The TRADING symbols of an exchangeInfo answer, sorted (read from the JSON: one symbol
/// Binance adds with a new field must not cost the whole listing).
fn trading_symbols(info: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = info
        .get("symbols")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("status").and_then(serde_json::Value::as_str) == Some("TRADING"))
        .filter_map(|s| s.get("symbol").and_then(serde_json::Value::as_str).map(str::to_owned))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Symbols this process or an earlier one already knows for `env`: the exchangeInfo cache and
/// the filters snapshots in the memory folder.
fn known_names(toolbox: &Toolbox, env: Environment) -> Vec<String> {
    let mut names: Vec<String> = toolbox
        .exchange_info
        .lock()
        .map(|cache| {
            cache
                .keys()
                .filter(|(e, _)| *e == env)
                .map(|(_, s)| s.clone())
                .collect()
        })
        .unwrap_or_default();
    names.extend(toolbox.snapshots.list(Some(env), None).into_iter().map(|s| s.symbol));
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_start_with_the_prefix_and_stop_at_the_limit() {
        let names: Vec<String> = (0..150)
            .map(|i| format!("BT{i:03}USDT"))
            .chain(["ETHUSDT".to_owned()])
            .collect();
        let found = matching(names.iter().map(String::as_str), "BT");
        assert_eq!((found.values.len(), found.total), (MAX_VALUES, 150));
        assert!(found.has_more());
        assert!(found.values.iter().all(|v| v.starts_with("BT")));
        let eth = matching(names.iter().map(String::as_str), "ETH");
        assert_eq!(
            eth,
            Completion {
                values: vec!["ETHUSDT".into()],
                total: 1
            }
        );
        assert!(!eth.has_more());
        assert_eq!(matching(names.iter().map(String::as_str), "XRP").total, 0);
    }

    #[test]
    fn only_trading_symbols_are_offered() {
        let info = serde_json::json!({"symbols": [
            {"symbol": "ETHUSDT", "status": "TRADING"},
            {"symbol": "BTCUSDT", "status": "TRADING"},
            {"symbol": "LUNAUSDT", "status": "BREAK"},
            {"status": "TRADING"}
        ]});
        assert_eq!(trading_symbols(&info), ["BTCUSDT", "ETHUSDT"]);
        assert!(trading_symbols(&serde_json::json!({})).is_empty());
    }

    #[test]
    fn environments_are_named_as_the_tools_take_them() {
        assert_eq!(environment_named(" Testnet "), Some(Environment::Testnet));
        assert_eq!(environment_named("mainnet"), None);
    }
}
