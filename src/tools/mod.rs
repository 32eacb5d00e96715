//! The tools an agent calls, as plain async functions over a [`Toolbox`]: typed arguments in,
//! typed output out. The MCP binding lives in `server.rs`; nothing here depends on rmcp.

pub mod account;
pub mod amount;
pub mod market;
pub mod order;
pub mod schema;
pub mod status;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use rust_decimal::Decimal;

use crate::binance::model::{RateLimit, SymbolInfo};
use crate::binance::{BinanceClient, BinanceError, RequestObserver};
use crate::config::{Config, Environment};
use crate::guard::Refusal;
use crate::memory::audit::Audit;
use crate::memory::ledger::Ledger;
use crate::memory::{Memory, MemoryError};

/// How long a symbol's exchangeInfo is reused before it is fetched again.
pub const EXCHANGE_INFO_TTL: Duration = Duration::from_secs(10 * 60);

/// Shared state of all tools: the configuration, one client per environment, caches.
#[derive(Debug)]
pub struct Toolbox {
    config: Config,
    production: BinanceClient,
    testnet: BinanceClient,
    demo: BinanceClient,
    exchange_info: Mutex<HashMap<(Environment, String), CachedSymbol>>,
    rate_limits: Mutex<HashMap<Environment, Vec<RateLimit>>>,
    avg_prices: Mutex<HashMap<(Environment, String), (Decimal, Instant)>>,
    memory: Memory,
    ledger: Ledger,
    audit: Audit,
}

/// How long an average price is reused for filter checks.
pub const AVG_PRICE_TTL: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
struct CachedSymbol {
    info: SymbolInfo,
    fetched_at: Instant,
    server_time_ms: i64,
}

impl Toolbox {
    pub fn new(config: Config) -> Arc<Toolbox> {
        let timeout = Duration::from_millis(config.http_timeout_ms);
        let memory = Memory::new(config.home.clone());
        let audit = Audit::new(memory.clone());
        let observer: Arc<dyn RequestObserver> = Arc::new(audit.clone());
        let client = |env| {
            BinanceClient::new(config.environment(env), config.recv_window_ms, timeout).with_observer(observer.clone())
        };
        Arc::new(Toolbox {
            production: client(Environment::Production),
            testnet: client(Environment::Testnet),
            demo: client(Environment::Demo),
            exchange_info: Mutex::new(HashMap::new()),
            rate_limits: Mutex::new(HashMap::new()),
            avg_prices: Mutex::new(HashMap::new()),
            ledger: Ledger::new(memory.clone()),
            audit,
            memory,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn client(&self, env: Environment) -> &BinanceClient {
        match env {
            Environment::Production => &self.production,
            Environment::Testnet => &self.testnet,
            Environment::Demo => &self.demo,
        }
    }

    /// Symbol information, from the cache when fresh. Returns the symbols in the order asked,
    /// whether every one came from the cache, and the server time of the oldest fetch.
    pub async fn symbols(&self, env: Environment, symbols: &[String]) -> Result<(Vec<SymbolInfo>, bool, i64), ToolError> {
        let cached: Vec<Option<CachedSymbol>> = {
            let cache = self.exchange_info.lock().map_err(|_| ToolError::internal("exchangeInfo cache poisoned"))?;
            symbols
                .iter()
                .map(|s| cache.get(&(env, s.clone())).filter(|c| c.fetched_at.elapsed() < EXCHANGE_INFO_TTL).cloned())
                .collect()
        };
        if cached.iter().all(Option::is_some) && !cached.is_empty() {
            let server_time = cached.iter().flatten().map(|c| c.server_time_ms).min().unwrap_or(0);
            return Ok((cached.into_iter().flatten().map(|c| c.info).collect(), true, server_time));
        }
        let info = self.client(env).exchange_info(symbols).await?;
        let now = Instant::now();
        {
            let mut cache = self.exchange_info.lock().map_err(|_| ToolError::internal("exchangeInfo cache poisoned"))?;
            for s in &info.symbols {
                cache.insert(
                    (env, s.symbol.clone()),
                    CachedSymbol { info: s.clone(), fetched_at: now, server_time_ms: info.server_time },
                );
            }
        }
        if !info.rate_limits.is_empty()
            && let Ok(mut limits) = self.rate_limits.lock()
        {
            limits.insert(env, info.rate_limits.clone());
        }
        let mut ordered = Vec::with_capacity(symbols.len());
        for wanted in symbols {
            match info.symbols.iter().find(|s| &s.symbol == wanted) {
                Some(s) => ordered.push(s.clone()),
                None => {
                    return Err(ToolError::invalid(format!(
                        "{wanted} is not listed on {env}; check the spelling or list symbols with market_ticker_price"
                    )));
                }
            }
        }
        Ok((ordered, false, info.server_time))
    }

    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// The average price of a symbol (the filters' reference price), cached for [`AVG_PRICE_TTL`].
    pub async fn reference_price(&self, env: Environment, symbol: &str) -> Result<Decimal, ToolError> {
        let key = (env, symbol.to_owned());
        if let Some((price, at)) = self.avg_prices.lock().ok().and_then(|m| m.get(&key).copied())
            && at.elapsed() < AVG_PRICE_TTL
        {
            return Ok(price);
        }
        let avg = self.client(env).avg_price(symbol).await?;
        if let Ok(mut m) = self.avg_prices.lock() {
            m.insert(key, (avg.price, Instant::now()));
        }
        Ok(avg.price)
    }

    /// Rate limits last read from exchangeInfo for an environment.
    pub fn rate_limits(&self, env: Environment) -> Vec<RateLimit> {
        self.rate_limits.lock().ok().and_then(|l| l.get(&env).cloned()).unwrap_or_default()
    }
}

/// Why a tool call failed, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// An argument is wrong; nothing was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Binance (or the way to it) failed.
    #[error(transparent)]
    Binance(#[from] BinanceError),
    /// The safety gate refused; nothing was sent.
    #[error("refused by the safety gate: {0}")]
    Refused(#[from] Refusal),
    /// The memory folder could not be written or read.
    #[error(transparent)]
    Memory(#[from] MemoryError),
    /// A bug or a broken invariant inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ToolError {
    pub fn invalid(message: impl Into<String>) -> ToolError {
        ToolError::InvalidArgument(message.into())
    }

    pub fn internal(message: impl Into<String>) -> ToolError {
        ToolError::Internal(message.into())
    }

    /// The message an agent reads: what happened, then what to do.
    pub fn to_agent_text(&self) -> String {
        match self {
            ToolError::InvalidArgument(m) => format!("Invalid argument: {m}\nNothing was sent to Binance. Fix the argument and call again."),
            ToolError::Binance(e) => format!("{e}\nWhat to do: {}", e.hint()),
            ToolError::Refused(r) => format!(
                "Refused by the safety gate ({}): {}\nNothing was sent to Binance.\nWhat to do: {}",
                r.rule, r.reason, r.what_to_do
            ),
            ToolError::Memory(e) => format!("{e}\nWhat to do: check that the memory folder (BINANCE_HOME) exists, is writable and the disk is not full."),
            ToolError::Internal(m) => format!("Internal error: {m}\nThis is a bug in binance-mcp; the server keeps running."),
        }
    }
}

/// A tool's successful result: structured data plus a one-line summary for humans and agents.
pub trait ToolOutput: Serialize {
    fn summary(&self) -> String;
}

/// Checks and normalises a symbol name: uppercase letters and digits (Binance also lists a few
/// Unicode symbols), 1 to 32 characters, no separators.
pub fn normalize_symbol(raw: &str) -> Result<String, ToolError> {
    let symbol = raw.trim().to_uppercase();
    let ok = !symbol.is_empty() && symbol.chars().count() <= 32 && symbol.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !ok {
        return Err(ToolError::invalid(format!(
            "symbol {raw:?} is not a Binance symbol name: use the pair without separators, e.g. BTCUSDT"
        )));
    }
    Ok(symbol)
}

/// Normalises a list of symbols: at least one, at most `max`, no duplicates.
pub fn normalize_symbols(raw: &[String], max: usize) -> Result<Vec<String>, ToolError> {
    if raw.len() > max {
        return Err(ToolError::invalid(format!("at most {max} symbols per call, got {}", raw.len())));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for s in raw {
        let s = normalize_symbol(s)?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Milliseconds since the epoch as an RFC 3339 UTC string.
pub fn utc(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_uppercased_and_checked() {
        assert_eq!(normalize_symbol(" btcusdt ").expect("ok"), "BTCUSDT");
        assert!(normalize_symbol("BTC/USDT").is_err());
        assert!(normalize_symbol("../etc").is_err());
        assert!(normalize_symbol("").is_err());
        assert_eq!(normalize_symbols(&["btcusdt".into(), "BTCUSDT".into()], 5).expect("ok"), vec!["BTCUSDT"]);
        assert!(normalize_symbols(&vec!["A".to_string(); 3], 2).is_err());
    }

    #[test]
    fn utc_formats_milliseconds() {
        assert_eq!(utc(1499827319559), "2017-07-12T02:41:59.559Z");
    }
}
