//! What the order checks need beside exchangeInfo, fetched here and cached: the quotes the price
//! filters choose from (reference price, average price, last trade), the symbol's execution
//! rules, and the account's filters (`myFilters`, where MAX_ASSET lives). The rules are cached
//! like exchangeInfo and kept in the filter snapshots, so a restart does not pay for them again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::Value;

use super::{EXCHANGE_INFO_TTL, ToolError, Toolbox};
use crate::config::Environment;
use crate::memory::snapshots::SnapshotPart;
use spot_client::error::codes;
use spot_filters::execution_rule::{ExecutionRule, PriceRangeRule};
use spot_filters::{AssetFilter, PriceQuotes, ReferenceQuote};
use spot_types::model::{ExecutionRules, MyFilters, SymbolInfo};

/// How long a reference, average or last price is reused for filter checks.
pub const PRICE_TTL: Duration = Duration::from_secs(30);

type Key = (Environment, String);

/// One cache: answers by environment and symbol, with when they were fetched.
type Cache<T> = Mutex<HashMap<Key, (T, Instant)>>;

/// The caches of this module (one per kind of answer), keyed by environment and symbol.
#[derive(Debug, Default)]
pub struct RuleCaches {
    references: Cache<ReferenceQuote>,
    /// The average price and its window (minutes).
    averages: Cache<(Decimal, u32)>,
    last_trades: Cache<Decimal>,
    execution_rules: Cache<Vec<ExecutionRule>>,
    account_filters: Cache<Vec<AssetFilter>>,
}

fn cached<T: Clone>(cache: &Cache<T>, key: &Key, ttl: Duration) -> Option<T> {
    let map = cache.lock().ok()?;
    let (value, at) = map.get(key)?;
    (at.elapsed() < ttl).then(|| value.clone())
}

fn remember<T>(cache: &Cache<T>, key: Key, value: T, at: Instant) {
    if let Ok(mut map) = cache.lock() {
        map.insert(key, (value, at));
    }
}

impl Toolbox {
    /// The quotes `symbol`'s price filters choose from: its reference price, then (only when
    /// there is none) the average price and, for a filter with `avgPriceMins` 0, the last trade.
    /// Each is cached for [`PRICE_TTL`]; a failed read leaves that quote missing, never an error.
    pub async fn price_quotes(&self, env: Environment, symbol: &SymbolInfo) -> PriceQuotes {
        let key = (env, symbol.symbol.clone());
        let caches = &self.rules;
        let reference = match cached(&caches.references, &key, PRICE_TTL) {
            Some(r) => r,
            None => {
                let quote = match self.client(env).reference_price(&symbol.symbol).await {
                    Ok(r) => match r.reference_price {
                        Some(price) => ReferenceQuote::Set {
                            price,
                            at_ms: r.timestamp,
                        },
                        None => ReferenceQuote::Null,
                    },
                    Err(e) if e.code() == Some(codes::NO_REFERENCE_PRICE) => ReferenceQuote::NeverSet,
                    Err(e) => {
                        tracing::warn!(error = %e, "reference price unavailable");
                        ReferenceQuote::Unknown(short(&e.to_string()))
                    }
                };
                // A failed read is not cached: the next check asks again.
                if !matches!(quote, ReferenceQuote::Unknown(_)) {
                    remember(&caches.references, key.clone(), quote.clone(), Instant::now());
                }
                quote
            }
        };
        let needs = PriceQuotes::needs(symbol, &reference);
        let average = if needs.average {
            match cached(&caches.averages, &key, PRICE_TTL) {
                Some(a) => Some(a),
                None => match self.client(env).avg_price(&symbol.symbol).await {
                    Ok(avg) => {
                        remember(&caches.averages, key.clone(), (avg.price, avg.mins), Instant::now());
                        Some((avg.price, avg.mins))
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "average price unavailable; its price rules stay unchecked");
                        None
                    }
                },
            }
        } else {
            None
        };
        let last_trade = if needs.last_trade {
            match cached(&caches.last_trades, &key, PRICE_TTL) {
                Some(p) => Some(p),
                None => match self
                    .client(env)
                    .ticker_price(std::slice::from_ref(&symbol.symbol))
                    .await
                {
                    Ok(prices) => {
                        let price = prices.first().map(|p| p.price);
                        if let Some(p) = price {
                            remember(&caches.last_trades, key.clone(), p, Instant::now());
                        }
                        price
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "last price unavailable; its price rules stay unchecked");
                        None
                    }
                },
            }
        } else {
            None
        };
        PriceQuotes {
            reference,
            average,
            last_trade,
        }
    }

    /// The symbol's Price Range Execution Rule, `None` when it has none. Cached like
    /// exchangeInfo (memory, then a young enough snapshot, then `GET /api/v3/executionRules`).
    pub async fn price_range_rule(&self, env: Environment, symbol: &str) -> Result<Option<PriceRangeRule>, ToolError> {
        let rules = self.execution_rules(env, symbol).await?;
        Ok(rules.into_iter().find_map(|r| match r {
            ExecutionRule::PriceRange(rule) => Some(rule),
            ExecutionRule::Unknown(_) => None,
        }))
    }

    async fn execution_rules(&self, env: Environment, symbol: &str) -> Result<Vec<ExecutionRule>, ToolError> {
        let key = (env, symbol.to_owned());
        if let Some(rules) = cached(&self.rules.execution_rules, &key, EXCHANGE_INFO_TTL) {
            return Ok(rules);
        }
        let part = SnapshotPart::ExecutionRules;
        let raw = match self.young_part(env, symbol, part) {
            Some((raw, fetched_at)) => Some((raw, fetched_at)),
            None => {
                let answer = self.client(env).execution_rules(&[symbol.to_owned()]).await?;
                let mine = answer.symbol_rules.into_iter().find(|r| r.symbol == symbol);
                let raw = serde_json::to_value(ExecutionRules {
                    symbol_rules: mine.into_iter().collect(),
                })
                .unwrap_or(Value::Null);
                self.keep_part(env, symbol, part, &raw);
                Some((raw, Instant::now()))
            }
        };
        let (raw, at) = raw.unwrap_or((Value::Null, Instant::now()));
        let rules: Vec<ExecutionRule> = serde_json::from_value::<ExecutionRules>(raw)
            .map(|r| {
                r.symbol_rules
                    .iter()
                    .flat_map(spot_filters::execution_rule::rules_of)
                    .collect()
            })
            .unwrap_or_default();
        remember(&self.rules.execution_rules, key, rules.clone(), at);
        Ok(rules)
    }

    /// The account's asset filters on `symbol` (MAX_ASSET), from the signed
    /// `GET /api/v3/myFilters`; cached like exchangeInfo and kept in the snapshots.
    pub async fn asset_filters(&self, env: Environment, symbol: &str) -> Result<Vec<AssetFilter>, ToolError> {
        let key = (env, symbol.to_owned());
        if let Some(filters) = cached(&self.rules.account_filters, &key, EXCHANGE_INFO_TTL) {
            return Ok(filters);
        }
        let part = SnapshotPart::AccountFilters;
        let (raw, at) = match self.young_part(env, symbol, part) {
            Some(found) => found,
            None => {
                let mine = self.client(env).my_filters(symbol).await?;
                let raw = serde_json::to_value(&mine).unwrap_or(Value::Null);
                self.keep_part(env, symbol, part, &raw);
                (raw, Instant::now())
            }
        };
        let filters = serde_json::from_value::<MyFilters>(raw)
            .map(|m| spot_filters::asset_filters_of(&m))
            .unwrap_or_default();
        remember(&self.rules.account_filters, key, filters.clone(), at);
        Ok(filters)
    }

    /// A snapshot part young enough to reuse, and the instant it was fetched.
    fn young_part(&self, env: Environment, symbol: &str, part: SnapshotPart) -> Option<(Value, Instant)> {
        let (raw, age) = self.snapshots().latest_part(env, symbol, part)?;
        let max_age = Duration::from_secs(self.config().snapshot_max_age_secs);
        (age < max_age).then(|| (raw, Instant::now().checked_sub(age).unwrap_or_else(Instant::now)))
    }

    fn keep_part(&self, env: Environment, symbol: &str, part: SnapshotPart, raw: &Value) {
        if let Err(e) = self.snapshots().record_part(env, symbol, part, raw) {
            tracing::warn!(error = %e, "could not write the snapshot part");
        }
    }
}

/// The first line of an error, at most 200 characters (for an unchecked note).
fn short(text: &str) -> String {
    text.lines().next().unwrap_or(text).chars().take(200).collect()
}
