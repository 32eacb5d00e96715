//! `market_server_time` and `market_exchange_info`: Binance's clock, and the trading rules of
//! the symbols asked for (with what changed since the last snapshot).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{market_env, wanted_symbols};
use crate::config::Environment;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};
use spot_filters::SymbolFilter;
use spot_types::model::RateLimit;

// ---- market_server_time ---------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerTimeArgs {
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServerTimeOutput {
    pub environment: Environment,
    /// Binance time, ms since epoch.
    pub server_time_ms: i64,
    pub server_time_utc: String,
    /// Binance time minus local time in ms (half the round trip corrected).
    pub clock_offset_ms: i64,
    pub round_trip_ms: u64,
}

impl ToolOutput for ServerTimeOutput {
    fn summary(&self) -> String {
        format!(
            "{}: Binance time {} (local clock offset {} ms, round trip {} ms)",
            self.environment, self.server_time_utc, self.clock_offset_ms, self.round_trip_ms
        )
    }
}

pub async fn server_time(toolbox: &Toolbox, args: ServerTimeArgs) -> Result<ServerTimeOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let client = toolbox.client(env);
    let time = client.server_time().await?;
    let sample = client.clock().sample();
    Ok(ServerTimeOutput {
        environment: env,
        server_time_ms: time.server_time,
        server_time_utc: utc(time.server_time),
        clock_offset_ms: sample.map_or(0, |s| s.offset_ms),
        round_trip_ms: sample.map_or(0, |s| s.round_trip_ms),
    })
}

// ---- market_exchange_info -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeInfoArgs {
    /// 1 to 20
    #[serde(default)]
    pub symbols: Vec<String>,
    /// instead of symbols
    #[serde(default)]
    pub symbol: Option<String>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ExchangeInfoOutput {
    pub environment: Environment,
    /// Where the rules came from: `exchange` (fetched now), `cache` (fetched in the last 10 minutes) or `snapshot` (a recent snapshot from the memory folder).
    pub source: String,
    /// Rule changes since the previous snapshot of each symbol: filters change, and orders built on old rules fail.
    pub filter_changes: Vec<crate::tools::SymbolChanges>,
    pub server_time_utc: String,
    pub rate_limits: Vec<RateLimit>,
    pub symbols: Vec<SymbolRules>,
}

/// A symbol's trading rules.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SymbolRules {
    pub symbol: String,
    /// TRADING, HALT, BREAK, END_OF_DAY or CANCEL_ONLY.
    pub status: String,
    pub base_asset: String,
    pub quote_asset: String,
    pub base_asset_precision: u32,
    pub quote_asset_precision: u32,
    pub order_types: Vec<String>,
    pub iceberg_allowed: bool,
    pub oco_allowed: bool,
    pub oto_allowed: bool,
    pub opo_allowed: bool,
    pub quote_order_qty_market_allowed: bool,
    pub allow_trailing_stop: bool,
    pub amend_allowed: bool,
    pub is_spot_trading_allowed: bool,
    pub default_self_trade_prevention_mode: Option<String>,
    pub allowed_self_trade_prevention_modes: Vec<String>,
    /// Each filter in one readable line.
    pub rules: Vec<String>,
    /// The filters with their exact values.
    pub filters: Vec<SymbolFilter>,
}

impl ToolOutput for ExchangeInfoOutput {
    fn summary(&self) -> String {
        let names: Vec<String> = self
            .symbols
            .iter()
            .map(|s| format!("{} ({})", s.symbol, s.status))
            .collect();
        let changed = if self.filter_changes.is_empty() {
            String::new()
        } else {
            let lines: Vec<String> = self
                .filter_changes
                .iter()
                .map(|c| format!("{}: {}", c.symbol, c.changes.join("; ")))
                .collect();
            format!(". RULES CHANGED since the last snapshot: {}", lines.join(" | "))
        };
        format!(
            "{}: trading rules for {} [{}]{changed}",
            self.environment,
            names.join(", "),
            self.source
        )
    }
}

pub async fn exchange_info(toolbox: &Toolbox, args: ExchangeInfoArgs) -> Result<ExchangeInfoOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbols = wanted_symbols(args.symbol.as_deref(), &args.symbols, 20)?;
    if symbols.is_empty() {
        return Err(ToolError::invalid(
            "give at least one symbol, e.g. {\"symbol\": \"BTCUSDT\"} or {\"symbols\": [\"BTCUSDT\"]}",
        ));
    }
    let fetch = toolbox.symbols(env, &symbols).await?;
    Ok(ExchangeInfoOutput {
        environment: env,
        source: fetch.source.to_owned(),
        filter_changes: fetch.changes,
        server_time_utc: utc(fetch.server_time_ms),
        rate_limits: toolbox.rate_limits(env),
        symbols: fetch
            .infos
            .into_iter()
            .map(|s| SymbolRules {
                rules: s.filters.iter().map(SymbolFilter::describe).collect(),
                symbol: s.symbol,
                status: s.status,
                base_asset: s.base_asset,
                quote_asset: s.quote_asset,
                base_asset_precision: s.base_asset_precision,
                quote_asset_precision: s.quote_asset_precision,
                order_types: s.order_types,
                iceberg_allowed: s.iceberg_allowed,
                oco_allowed: s.oco_allowed,
                oto_allowed: s.oto_allowed,
                opo_allowed: s.opo_allowed,
                quote_order_qty_market_allowed: s.quote_order_qty_market_allowed,
                allow_trailing_stop: s.allow_trailing_stop,
                amend_allowed: s.amend_allowed,
                is_spot_trading_allowed: s.is_spot_trading_allowed,
                default_self_trade_prevention_mode: s.default_self_trade_prevention_mode,
                allowed_self_trade_prevention_modes: s.allowed_self_trade_prevention_modes,
                filters: s.filters,
            })
            .collect(),
    })
}
