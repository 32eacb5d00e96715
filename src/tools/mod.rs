//! The tools an agent calls, as plain async functions over a [`Toolbox`]: typed arguments in,
//! typed output out. The MCP binding lives in `server/`; nothing here depends on rmcp.

pub mod account;
pub mod amount;
pub mod complete;
pub mod market;
pub mod market_stream;
pub mod memory;
pub mod order;
pub mod paper;
pub mod rules;
pub mod schema;
pub mod scope;
pub mod status;
pub mod target;
pub mod timers;
pub mod user_stream;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{Config, Environment};
use crate::guard::Refusal;
use crate::memory::audit::Audit;
use crate::memory::preferences::{Preferences, parse_preferences};
use crate::memory::snapshots::Snapshots;
use crate::memory::{Memory, MemoryError};
use spot_client::{Alerts, BinanceClient, BinanceError, RequestObserver};
use spot_types::model::{RateLimit, SymbolInfo};

/// How long a symbol's exchangeInfo is reused before it is fetched again.
pub const EXCHANGE_INFO_TTL: Duration = Duration::from_secs(10 * 60);

/// Shared state of all tools: the configuration, one client per environment, caches.
#[derive(Debug)]
pub struct Toolbox {
    config: Config,
    production: Arc<BinanceClient>,
    testnet: Arc<BinanceClient>,
    demo: Arc<BinanceClient>,
    /// The only holder of the write endpoints.
    desk: crate::desk::Desk,
    exchange_info: Mutex<HashMap<(Environment, String), CachedSymbol>>,
    rate_limits: Mutex<HashMap<Environment, Vec<RateLimit>>>,
    /// Reference/average/last prices, execution rules and the account's filters (`rules`).
    rules: rules::RuleCaches,
    memory: Memory,
    /// `state.db`, opened on first use (nothing on the start path waits for it).
    store: std::sync::OnceLock<crate::store::Store>,
    store_opening: Mutex<()>,
    audit: Audit,
    snapshots: Snapshots,
    user_streams: crate::tools::user_stream::UserStreams,
    timers: crate::tools::timers::Timers,
    /// Symbol listings for argument completion (fetched once per environment).
    listings: complete::Listings,
    /// The memory folder had no memory.md when this process started: the human's first session.
    first_session: bool,
}

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
        let audit = Audit::new(memory.clone()).naming_tools_with(scope::current_tool);
        let observer: Arc<dyn RequestObserver> = Arc::new(audit.clone());
        let alerts = Alerts::default()
            .with_recorder(Arc::new(status::AlertIncidents::new(memory.clone())))
            .with_next_steps(crate::remedy::for_alert);
        let client = |env| {
            Arc::new(
                BinanceClient::new(config.environment(env), config.recv_window_ms, timeout)
                    .with_resilience(config.resilience())
                    .with_alerts(alerts.clone())
                    .with_observer(observer.clone()),
            )
        };
        let (production, testnet, demo) = (
            client(Environment::Production),
            client(Environment::Testnet),
            client(Environment::Demo),
        );
        Arc::new(Toolbox {
            desk: crate::desk::Desk::new(production.clone(), testnet.clone(), demo.clone()),
            production,
            testnet,
            demo,
            exchange_info: Mutex::new(HashMap::new()),
            rate_limits: Mutex::new(HashMap::new()),
            rules: rules::RuleCaches::default(),
            store: std::sync::OnceLock::new(),
            store_opening: Mutex::new(()),
            snapshots: Snapshots::new(memory.clone()),
            user_streams: crate::tools::user_stream::UserStreams::default(),
            timers: crate::tools::timers::Timers::default(),
            listings: complete::Listings::default(),
            first_session: !memory.path("memory.md").exists(),
            audit,
            memory,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether this process started on a memory folder without memory.md (the first session).
    pub fn first_session(&self) -> bool {
        self.first_session
    }

    /// The cancel timers of `order_place` (run by `serve` only).
    pub fn timers(&self) -> &crate::tools::timers::Timers {
        &self.timers
    }

    /// The user-data subscriptions (started by `serve` only).
    pub fn user_streams(&self) -> &crate::tools::user_stream::UserStreams {
        &self.user_streams
    }

    /// The order desk: every write to an exchange goes through it.
    pub fn desk(&self) -> &crate::desk::Desk {
        &self.desk
    }

    /// The read client of an environment (it has no endpoint that can change an order).
    pub fn client(&self, env: Environment) -> &BinanceClient {
        match env {
            Environment::Production => &self.production,
            Environment::Testnet => &self.testnet,
            Environment::Demo => &self.demo,
        }
    }

    /// Symbol information in the order asked: from the in-memory cache when fresh, else from a
    /// young enough snapshot (a restart costs no exchangeInfo weight), else from Binance, in
    /// which case changed filters are snapshotted and reported.
    pub async fn symbols(&self, env: Environment, symbols: &[String]) -> Result<SymbolsFetch, ToolError> {
        if let Some(fetch) = self.symbols_from_cache(env, symbols)? {
            return Ok(fetch);
        }
        let max_age = Duration::from_secs(self.config.snapshot_max_age_secs);
        let from_snapshots: Option<Vec<(SymbolInfo, Duration)>> = symbols
            .iter()
            .map(|s| {
                let (raw, age) = self.snapshots.latest_symbol(env, s)?;
                (age < max_age).then_some(())?;
                Some((serde_json::from_value::<SymbolInfo>(raw).ok()?, age))
            })
            .collect();
        if let Some(found) = from_snapshots.filter(|f| !f.is_empty()) {
            let now_ms = spot_client::clock::local_now_ms();
            let mut cache = self
                .exchange_info
                .lock()
                .map_err(|_| ToolError::internal("exchangeInfo cache poisoned"))?;
            for (info, age) in &found {
                let fetched_at = Instant::now().checked_sub(*age).unwrap_or_else(Instant::now);
                let server_time_ms = now_ms - age.as_millis() as i64;
                cache.insert(
                    (env, info.symbol.clone()),
                    CachedSymbol {
                        info: info.clone(),
                        fetched_at,
                        server_time_ms,
                    },
                );
            }
            let oldest = found.iter().map(|(_, a)| *a).max().unwrap_or_default();
            return Ok(SymbolsFetch {
                infos: found.into_iter().map(|(i, _)| i).collect(),
                source: "snapshot",
                server_time_ms: now_ms - oldest.as_millis() as i64,
                changes: Vec::new(),
            });
        }
        self.symbols_from_exchange(env, symbols).await
    }

    fn symbols_from_cache(&self, env: Environment, symbols: &[String]) -> Result<Option<SymbolsFetch>, ToolError> {
        let cache = self
            .exchange_info
            .lock()
            .map_err(|_| ToolError::internal("exchangeInfo cache poisoned"))?;
        let cached: Option<Vec<CachedSymbol>> = symbols
            .iter()
            .map(|s| {
                cache
                    .get(&(env, s.clone()))
                    .filter(|c| c.fetched_at.elapsed() < EXCHANGE_INFO_TTL)
                    .cloned()
            })
            .collect();
        Ok(cached.filter(|c| !c.is_empty()).map(|c| SymbolsFetch {
            server_time_ms: c.iter().map(|c| c.server_time_ms).min().unwrap_or(0),
            infos: c.into_iter().map(|c| c.info).collect(),
            source: "cache",
            changes: Vec::new(),
        }))
    }

    async fn symbols_from_exchange(&self, env: Environment, symbols: &[String]) -> Result<SymbolsFetch, ToolError> {
        let value = self.client(env).exchange_info_value(symbols).await?;
        let server_time_ms = value.get("serverTime").and_then(serde_json::Value::as_i64).unwrap_or(0);
        if let Some(limits) = value
            .get("rateLimits")
            .and_then(|v| serde_json::from_value::<Vec<RateLimit>>(v.clone()).ok())
            && !limits.is_empty()
            && let Ok(mut l) = self.rate_limits.lock()
        {
            l.insert(env, limits);
        }
        let raw_symbols = value
            .get("symbols")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        let now = Instant::now();
        let mut fetched = Vec::new();
        let mut changes = Vec::new();
        for raw in raw_symbols {
            let info: SymbolInfo = serde_json::from_value(raw.clone()).map_err(|e| {
                ToolError::Binance(BinanceError::Decode {
                    environment: env,
                    endpoint: "GET /api/v3/exchangeInfo".into(),
                    source: e,
                })
            })?;
            match self.snapshots.record_symbol(env, &info.symbol, &raw) {
                Ok(c) if !c.is_empty() => {
                    // Once per change: the next fetch compares with the snapshot just written.
                    self.client(env).alerts().raise(
                        spot_client::Alert::new(
                            spot_client::AlertLevel::Warning,
                            env,
                            spot_client::AlertKind::FilterChanged,
                            format!("{} rules changed on {env}: {}", info.symbol, c.join("; ")),
                        )
                        .with_endpoint(format!("GET /api/v3/exchangeInfo?symbol={}", info.symbol))
                        .with_incident(),
                    );
                    changes.push(SymbolChanges {
                        symbol: info.symbol.clone(),
                        changes: c,
                    })
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not write the filters snapshot"),
            }
            if let Ok(mut cache) = self.exchange_info.lock() {
                cache.insert(
                    (env, info.symbol.clone()),
                    CachedSymbol {
                        info: info.clone(),
                        fetched_at: now,
                        server_time_ms,
                    },
                );
            }
            fetched.push(info);
        }
        let mut ordered = Vec::with_capacity(symbols.len());
        for wanted in symbols {
            match fetched.iter().find(|s| &s.symbol == wanted) {
                Some(s) => ordered.push(s.clone()),
                None => {
                    return Err(ToolError::invalid(format!(
                        "{wanted} is not listed on {env}; check the spelling or list symbols with market_ticker_price"
                    )));
                }
            }
        }
        Ok(SymbolsFetch {
            infos: ordered,
            source: "exchange",
            server_time_ms,
            changes,
        })
    }

    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The desk's store; an error means the gate cannot verify anything, so orders are refused.
    pub fn store(&self) -> Result<&crate::store::Store, MemoryError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let _opening = self.store_opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let store = crate::store::Store::open(&self.memory)?;
        Ok(self.store.get_or_init(|| store))
    }

    /// The store when it holds anything (see [`crate::store::Store::has_history`]), for the
    /// readers on the start path: an empty store has no timers to resume and no orders to
    /// follow, and is created by the first write instead.
    pub fn store_with_history(&self) -> Result<Option<&crate::store::Store>, MemoryError> {
        if self.store.get().is_none() && !crate::store::Store::has_history(&self.memory) {
            return Ok(None);
        }
        self.store().map(Some)
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub fn snapshots(&self) -> &Snapshots {
        &self.snapshots
    }

    /// The human's preferences from memory.md (the file is created from the template on first use).
    pub fn preferences(&self) -> Result<Preferences, ToolError> {
        let text = self.memory.read_text("memory.md")?;
        parse_preferences(&text).map_err(|e| ToolError::Refused(crate::guard::broken_preferences(&e)))
    }

    /// The environment of a signed call: the argument, else memory.md's default, else testnet.
    pub fn signed_env(&self, given: Option<Environment>) -> Environment {
        // Read without creating the folder: a status report or a read must not write anything.
        given.unwrap_or_else(|| {
            std::fs::read_to_string(self.memory.path("memory.md"))
                .ok()
                .and_then(|text| parse_preferences(&text).ok())
                .map(|p| p.default_environment)
                .unwrap_or(Environment::Testnet)
        })
    }

    /// Rate limits last read from exchangeInfo for an environment.
    pub fn rate_limits(&self, env: Environment) -> Vec<RateLimit> {
        self.rate_limits
            .lock()
            .ok()
            .and_then(|l| l.get(&env).cloned())
            .unwrap_or_default()
    }
}

/// Symbols as [`Toolbox::symbols`] found them.
#[derive(Clone, Debug)]
pub struct SymbolsFetch {
    pub infos: Vec<SymbolInfo>,
    /// `cache`, `snapshot` or `exchange`.
    pub source: &'static str,
    /// Binance time of the (oldest) fetch, ms since epoch.
    pub server_time_ms: i64,
    /// Filter changes since the previous snapshot, per symbol (only on a fresh fetch).
    pub changes: Vec<SymbolChanges>,
}

/// What changed in one symbol's rules since its last snapshot.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SymbolChanges {
    pub symbol: String,
    pub changes: Vec<String>,
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
    /// A service Binance runs beside REST (the WebSocket streams) could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
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
            ToolError::InvalidArgument(m) => {
                format!("Invalid argument: {m}\nNothing was sent to Binance. Fix the argument and call again.")
            }
            ToolError::Binance(e) => format!("{e}\nWhat to do: {}", crate::remedy::for_error(e)),
            ToolError::Refused(r) => format!(
                "Refused by the safety gate ({}): {}\nNothing was sent to Binance.\nWhat to do: {}",
                r.rule, r.reason, r.what_to_do
            ),
            ToolError::Memory(e) => format!(
                "{e}\nWhat to do: check that the memory folder (BINANCE_HOME) exists, is writable and the disk is not full."
            ),
            ToolError::Unavailable(m) => format!(
                "{m}\nWhat to do: retry in a moment; the REST market tools (market_ticker_price, market_book_ticker, market_order_book, market_recent_trades) give the same data for REST weight."
            ),
            ToolError::Internal(m) => {
                format!("Internal error: {m}\nThis is a bug in binance-mcp; the server keeps running.")
            }
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
    let ok = !symbol.is_empty()
        && symbol.chars().count() <= 32
        && symbol
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
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
        return Err(ToolError::invalid(format!(
            "at most {max} symbols per call, got {}",
            raw.len()
        )));
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

pub use spot_types::time::utc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_uppercased_and_checked() {
        assert_eq!(normalize_symbol(" btcusdt ").expect("ok"), "BTCUSDT");
        assert!(normalize_symbol("BTC/USDT").is_err());
        assert!(normalize_symbol("../etc").is_err());
        assert!(normalize_symbol("").is_err());
        assert_eq!(
            normalize_symbols(&["btcusdt".into(), "BTCUSDT".into()], 5).expect("ok"),
            vec!["BTCUSDT"]
        );
        assert!(normalize_symbols(&vec!["A".to_string(); 3], 2).is_err());
    }

    #[test]
    fn utc_formats_milliseconds() {
        assert_eq!(utc(1499827319559), "2017-07-12T02:41:59.559Z");
    }
}
