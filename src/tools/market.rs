//! Market tools: public Spot market data, unsigned, production by default.
//!
//! Large answers (a 5000-level book, 1000 klines) are cut to what fits an agent's context,
//! with a summary computed over everything fetched and a flag that says so.

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, ToolOutput, Toolbox, normalize_symbol, normalize_symbols, utc};
use crate::config::Environment;
use spot_client::KlineQuery;
use spot_filters::SymbolFilter;
use spot_types::model::{RateLimit, Trade};

/// Book levels per side returned in a result.
pub const MAX_BOOK_LEVELS: usize = 50;
/// Trades returned in a result.
pub const MAX_TRADES: usize = 100;
/// Klines returned in a result.
pub const MAX_KLINES: usize = 100;
/// Entries returned when all symbols are asked for.
pub const MAX_ALL_SYMBOLS: usize = 100;

pub(crate) fn market_env(toolbox: &Toolbox, env: Option<Environment>) -> Environment {
    // Under BINANCE_TESTNET=1 production is switched off; public data then comes from testnet.
    env.unwrap_or(if toolbox.config().production.enabled {
        Environment::Production
    } else {
        Environment::Testnet
    })
}

/// The symbols a market tool is asked for: `symbols` (a list) or `symbol` (one), as Binance
/// takes them on these endpoints; never both.
pub(crate) fn wanted_symbols(symbol: Option<&str>, symbols: &[String], max: usize) -> Result<Vec<String>, ToolError> {
    match symbol {
        Some(_) if !symbols.is_empty() => Err(ToolError::invalid(
            "give one of symbol (one symbol) or symbols (a list), not both",
        )),
        Some(one) => Ok(vec![normalize_symbol(one)?]),
        None => normalize_symbols(symbols, max),
    }
}

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
    pub filter_changes: Vec<super::SymbolChanges>,
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

// ---- market_ticker_price --------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolsArgs {
    /// at most 100
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
pub struct SymbolPrice {
    pub symbol: String,
    pub price: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TickerPriceOutput {
    pub environment: Environment,
    pub prices: Vec<SymbolPrice>,
    /// Entries Binance returned.
    pub total: usize,
    /// True when only the first entries are shown.
    pub truncated: bool,
}

impl ToolOutput for TickerPriceOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .prices
            .iter()
            .take(5)
            .map(|p| format!("{} {}", p.symbol, p.price))
            .collect();
        let more = if self.prices.len() > 5 {
            format!(" and {} more", self.total - 5)
        } else {
            String::new()
        };
        format!("{}: {}{}", self.environment, shown.join(", "), more)
    }
}

pub async fn ticker_price(toolbox: &Toolbox, args: SymbolsArgs) -> Result<TickerPriceOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbols = wanted_symbols(args.symbol.as_deref(), &args.symbols, 100)?;
    let prices = toolbox.client(env).ticker_price(&symbols).await?;
    let total = prices.len();
    Ok(TickerPriceOutput {
        environment: env,
        prices: prices
            .into_iter()
            .take(MAX_ALL_SYMBOLS)
            .map(|p| SymbolPrice {
                symbol: p.symbol,
                price: p.price.normalize(),
            })
            .collect(),
        total,
        truncated: total > MAX_ALL_SYMBOLS,
    })
}

// ---- market_book_ticker ---------------------------------------------------------------------

#[derive(Debug, Serialize, JsonSchema)]
pub struct BookTop {
    pub symbol: String,
    pub bid_price: Decimal,
    pub bid_qty: Decimal,
    pub ask_price: Decimal,
    pub ask_qty: Decimal,
    /// ask - bid
    pub spread: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BookTickerOutput {
    pub environment: Environment,
    pub books: Vec<BookTop>,
    pub total: usize,
    pub truncated: bool,
}

impl ToolOutput for BookTickerOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .books
            .iter()
            .take(5)
            .map(|b| format!("{} bid {} / ask {}", b.symbol, b.bid_price, b.ask_price))
            .collect();
        format!("{}: {}", self.environment, shown.join("; "))
    }
}

pub async fn book_ticker(toolbox: &Toolbox, args: SymbolsArgs) -> Result<BookTickerOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbols = wanted_symbols(args.symbol.as_deref(), &args.symbols, 100)?;
    let books = toolbox.client(env).book_ticker(&symbols).await?;
    let total = books.len();
    Ok(BookTickerOutput {
        environment: env,
        books: books
            .into_iter()
            .take(MAX_ALL_SYMBOLS)
            .map(|b| BookTop {
                spread: (b.ask_price - b.bid_price).normalize(),
                symbol: b.symbol,
                bid_price: b.bid_price.normalize(),
                bid_qty: b.bid_qty.normalize(),
                ask_price: b.ask_price.normalize(),
                ask_qty: b.ask_qty.normalize(),
            })
            .collect(),
        total,
        truncated: total > MAX_ALL_SYMBOLS,
    })
}

// ---- market_ticker_24h ----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ticker24hArgs {
    /// 1 to 100
    #[serde(default)]
    pub symbols: Vec<String>,
    /// instead of symbols
    #[serde(default)]
    pub symbol: Option<String>,
    /// 1m..59m, 1h..23h or 1d..7d
    #[serde(default)]
    pub window_size: Option<String>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TickerStats {
    pub symbol: String,
    pub last_price: Decimal,
    pub open_price: Decimal,
    pub high_price: Decimal,
    pub low_price: Decimal,
    pub price_change: Option<Decimal>,
    pub price_change_percent: Option<Decimal>,
    pub weighted_avg_price: Option<Decimal>,
    /// Base-asset volume.
    pub volume: Decimal,
    /// Quote-asset volume.
    pub quote_volume: Decimal,
    pub trade_count: u64,
    pub open_time_utc: String,
    pub close_time_utc: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Ticker24hOutput {
    pub environment: Environment,
    /// "24h" or the rolling window asked for.
    pub window: String,
    pub tickers: Vec<TickerStats>,
}

impl ToolOutput for Ticker24hOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .tickers
            .iter()
            .take(5)
            .map(|t| match t.price_change_percent {
                Some(p) => format!("{} {} ({p:+}%)", t.symbol, t.last_price),
                None => format!("{} {}", t.symbol, t.last_price),
            })
            .collect();
        format!("{} {} stats: {}", self.environment, self.window, shown.join(", "))
    }
}

/// Checks a rolling window such as `15m`, `4h`, `7d` against Binance's ranges.
pub fn validate_window_size(raw: &str) -> Result<String, ToolError> {
    let w = raw.trim();
    let (num, unit) = w.split_at(w.len().saturating_sub(1));
    let n: u32 = num
        .parse()
        .map_err(|_| ToolError::invalid(format!("window_size {raw:?} must look like 15m, 4h or 2d")))?;
    let ok = match unit {
        "m" => (1..=59).contains(&n),
        "h" => (1..=23).contains(&n),
        "d" => (1..=7).contains(&n),
        _ => false,
    };
    if !ok {
        return Err(ToolError::invalid(format!(
            "window_size {raw:?} is out of range: use 1m..59m, 1h..23h or 1d..7d"
        )));
    }
    Ok(format!("{n}{unit}"))
}

pub async fn ticker_24h(toolbox: &Toolbox, args: Ticker24hArgs) -> Result<Ticker24hOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbols = wanted_symbols(args.symbol.as_deref(), &args.symbols, 100)?;
    if symbols.is_empty() {
        return Err(ToolError::invalid(
            "give at least one symbol, e.g. {\"symbol\": \"BTCUSDT\"} or {\"symbols\": [\"BTCUSDT\"]}",
        ));
    }
    let (window, tickers) = match args.window_size.as_deref() {
        None => ("24h".to_owned(), toolbox.client(env).ticker_24h(&symbols, false).await?),
        Some(raw) => {
            let window = validate_window_size(raw)?;
            let t = toolbox.client(env).ticker_rolling(&symbols, &window, false).await?;
            (window, t)
        }
    };
    Ok(Ticker24hOutput {
        environment: env,
        window,
        tickers: tickers
            .into_iter()
            .map(|t| TickerStats {
                symbol: t.symbol,
                last_price: t.last_price.normalize(),
                open_price: t.open_price.normalize(),
                high_price: t.high_price.normalize(),
                low_price: t.low_price.normalize(),
                price_change: t.price_change.map(|d| d.normalize()),
                price_change_percent: t.price_change_percent.map(|d| d.normalize()),
                weighted_avg_price: t.weighted_avg_price.map(|d| d.normalize()),
                volume: t.volume.normalize(),
                quote_volume: t.quote_volume.normalize(),
                trade_count: t.count,
                open_time_utc: utc(t.open_time),
                close_time_utc: utc(t.close_time),
            })
            .collect(),
    })
}

// ---- market_order_book ----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBookArgs {
    pub symbol: String,
    /// 1..5000, default 100; 50 listed, totals of all
    #[serde(default)]
    pub limit: Option<u32>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BookLevel {
    pub price: Decimal,
    pub qty: Decimal,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderBookOutput {
    pub environment: Environment,
    pub symbol: String,
    pub last_update_id: u64,
    pub best_bid: Option<Decimal>,
    pub best_ask: Option<Decimal>,
    pub mid_price: Option<Decimal>,
    pub spread: Option<Decimal>,
    /// Spread in basis points of the mid price.
    pub spread_bps: Option<Decimal>,
    pub bid_levels_fetched: usize,
    pub ask_levels_fetched: usize,
    /// Sum of bid quantities over all fetched levels (base asset).
    pub bid_qty_total: Decimal,
    /// Sum of ask quantities over all fetched levels (base asset).
    pub ask_qty_total: Decimal,
    /// Best bids first.
    pub bids: Vec<BookLevel>,
    /// Best asks first.
    pub asks: Vec<BookLevel>,
    /// True when more levels were fetched than listed.
    pub truncated: bool,
}

impl ToolOutput for OrderBookOutput {
    fn summary(&self) -> String {
        let show = |d: Option<Decimal>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
        format!(
            "{} {}: bid {} / ask {} (spread {}, {} bps); {} bid and {} ask levels{}",
            self.environment,
            self.symbol,
            show(self.best_bid),
            show(self.best_ask),
            show(self.spread),
            show(self.spread_bps),
            self.bid_levels_fetched,
            self.ask_levels_fetched,
            if self.truncated {
                format!(", first {MAX_BOOK_LEVELS} per side listed")
            } else {
                String::new()
            }
        )
    }
}

pub async fn order_book(toolbox: &Toolbox, args: OrderBookArgs) -> Result<OrderBookOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbol = normalize_symbol(&args.symbol)?;
    let limit = bounded(args.limit, 1, 5000, "limit")?;
    let book = toolbox.client(env).depth(&symbol, limit).await?;
    let best_bid = book.bids.first().map(|l| l.0.normalize());
    let best_ask = book.asks.first().map(|l| l.0.normalize());
    let (mid, spread, spread_bps) = match (best_bid, best_ask) {
        (Some(b), Some(a)) => {
            let mid = ((a + b) / Decimal::TWO).normalize();
            let spread = (a - b).normalize();
            let bps = if mid.is_zero() {
                None
            } else {
                Some(
                    (spread / mid * Decimal::from(10_000))
                        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
                        .normalize(),
                )
            };
            (Some(mid), Some(spread), bps)
        }
        _ => (None, None, None),
    };
    let level = |l: &spot_types::model::PriceLevel| BookLevel {
        price: l.0.normalize(),
        qty: l.1.normalize(),
    };
    Ok(OrderBookOutput {
        environment: env,
        symbol,
        last_update_id: book.last_update_id,
        best_bid,
        best_ask,
        mid_price: mid,
        spread,
        spread_bps,
        bid_levels_fetched: book.bids.len(),
        ask_levels_fetched: book.asks.len(),
        bid_qty_total: book.bids.iter().map(|l| l.1).sum::<Decimal>().normalize(),
        ask_qty_total: book.asks.iter().map(|l| l.1).sum::<Decimal>().normalize(),
        truncated: book.bids.len() > MAX_BOOK_LEVELS || book.asks.len() > MAX_BOOK_LEVELS,
        bids: book.bids.iter().take(MAX_BOOK_LEVELS).map(level).collect(),
        asks: book.asks.iter().take(MAX_BOOK_LEVELS).map(level).collect(),
    })
}

// ---- market_recent_trades -------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecentTradesArgs {
    pub symbol: String,
    /// 1..1000, default 100; 100 listed, statistics of all
    #[serde(default)]
    pub limit: Option<u32>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TradeRow {
    pub id: u64,
    pub price: Decimal,
    pub qty: Decimal,
    pub quote_qty: Decimal,
    pub time_utc: String,
    /// True when the buyer was the maker (the trade was a sell into the bid).
    pub is_buyer_maker: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RecentTradesOutput {
    pub environment: Environment,
    pub symbol: String,
    pub fetched: usize,
    /// Volume-weighted average price over all fetched trades.
    pub vwap: Option<Decimal>,
    pub high: Option<Decimal>,
    pub low: Option<Decimal>,
    /// Base volume bought by takers.
    pub taker_buy_volume: Decimal,
    /// Base volume sold by takers.
    pub taker_sell_volume: Decimal,
    pub first_time_utc: Option<String>,
    pub last_time_utc: Option<String>,
    /// Oldest first.
    pub trades: Vec<TradeRow>,
    pub truncated: bool,
}

impl ToolOutput for RecentTradesOutput {
    fn summary(&self) -> String {
        let show = |d: Option<Decimal>| d.map_or_else(|| "-".to_owned(), |d| d.to_string());
        format!(
            "{} {}: {} trades, last {}, VWAP {}, range {}..{}",
            self.environment,
            self.symbol,
            self.fetched,
            self.trades
                .last()
                .map_or_else(|| "-".to_owned(), |t| t.price.to_string()),
            show(self.vwap),
            show(self.low),
            show(self.high)
        )
    }
}

pub async fn recent_trades(toolbox: &Toolbox, args: RecentTradesArgs) -> Result<RecentTradesOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbol = normalize_symbol(&args.symbol)?;
    let limit = bounded(args.limit, 1, 1000, "limit")?.or(Some(100));
    let trades = toolbox.client(env).recent_trades(&symbol, limit).await?;
    let qty: Decimal = trades.iter().map(|t| t.qty).sum();
    let quote: Decimal = trades.iter().map(|t| t.quote_qty).sum();
    let vwap = (!qty.is_zero()).then(|| {
        let scale = trades.iter().map(|t| t.price.scale()).max().unwrap_or(8);
        (quote / qty).round_dp(scale).normalize()
    });
    let side_volume = |maker: bool| {
        trades
            .iter()
            .filter(|t| t.is_buyer_maker == maker)
            .map(|t| t.qty)
            .sum::<Decimal>()
            .normalize()
    };
    let row = |t: &Trade| TradeRow {
        id: t.id,
        price: t.price.normalize(),
        qty: t.qty.normalize(),
        quote_qty: t.quote_qty.normalize(),
        time_utc: utc(t.time),
        is_buyer_maker: t.is_buyer_maker,
    };
    let skip = trades.len().saturating_sub(MAX_TRADES);
    Ok(RecentTradesOutput {
        environment: env,
        symbol,
        fetched: trades.len(),
        vwap,
        high: trades.iter().map(|t| t.price).max().map(|d| d.normalize()),
        low: trades.iter().map(|t| t.price).min().map(|d| d.normalize()),
        taker_buy_volume: side_volume(false),
        taker_sell_volume: side_volume(true),
        first_time_utc: trades.first().map(|t| utc(t.time)),
        last_time_utc: trades.last().map(|t| utc(t.time)),
        truncated: skip > 0,
        trades: trades.iter().skip(skip).map(row).collect(),
    })
}

// ---- market_klines --------------------------------------------------------------------------

/// Kline interval (case-sensitive: `1m` is a minute, `1M` a month).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[schemars(inline)]
pub enum Interval {
    #[serde(rename = "1s")]
    S1,
    #[serde(rename = "1m")]
    M1,
    #[serde(rename = "3m")]
    M3,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "15m")]
    M15,
    #[serde(rename = "30m")]
    M30,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "2h")]
    H2,
    #[serde(rename = "4h")]
    H4,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "8h")]
    H8,
    #[serde(rename = "12h")]
    H12,
    #[serde(rename = "1d")]
    D1,
    #[serde(rename = "3d")]
    D3,
    #[serde(rename = "1w")]
    W1,
    #[serde(rename = "1M")]
    Mo1,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::S1 => "1s",
            Interval::M1 => "1m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H2 => "2h",
            Interval::H4 => "4h",
            Interval::H6 => "6h",
            Interval::H8 => "8h",
            Interval::H12 => "12h",
            Interval::D1 => "1d",
            Interval::D3 => "3d",
            Interval::W1 => "1w",
            Interval::Mo1 => "1M",
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KlinesArgs {
    pub symbol: String,
    pub interval: Interval,
    /// ms since epoch; no times: the latest
    #[serde(default)]
    pub start_time: Option<i64>,
    /// ms since epoch
    #[serde(default)]
    pub end_time: Option<i64>,
    /// e.g. "+08:00", default UTC
    #[serde(default)]
    pub time_zone: Option<String>,
    /// 1..1000, default 100; 100 listed, summary of all
    #[serde(default)]
    pub limit: Option<u32>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Candle {
    pub open_time_utc: String,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Base-asset volume.
    pub volume: Decimal,
    /// Quote-asset volume.
    pub quote_volume: Decimal,
    pub trades: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KlinesSummary {
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// (close - open) / open × 100, two decimals.
    pub change_percent: Option<Decimal>,
    pub volume: Decimal,
    pub quote_volume: Decimal,
    pub first_open_time_utc: String,
    pub last_close_time_utc: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KlinesOutput {
    pub environment: Environment,
    pub symbol: String,
    pub interval: Interval,
    pub fetched: usize,
    /// Over every fetched candle; absent when none.
    pub summary: Option<KlinesSummary>,
    /// Oldest first.
    pub klines: Vec<Candle>,
    pub truncated: bool,
}

impl ToolOutput for KlinesOutput {
    fn summary(&self) -> String {
        match &self.summary {
            None => format!(
                "{} {} {}: no candles in that range",
                self.environment,
                self.symbol,
                self.interval.as_str()
            ),
            Some(s) => format!(
                "{} {} {}: {} candles {} .. {}; open {} high {} low {} close {} ({}%){}",
                self.environment,
                self.symbol,
                self.interval.as_str(),
                self.fetched,
                s.first_open_time_utc,
                s.last_close_time_utc,
                s.open,
                s.high,
                s.low,
                s.close,
                s.change_percent.map_or_else(|| "-".into(), |c| format!("{c:+}")),
                if self.truncated {
                    format!("; latest {MAX_KLINES} listed")
                } else {
                    String::new()
                }
            ),
        }
    }
}

pub async fn klines(toolbox: &Toolbox, args: KlinesArgs) -> Result<KlinesOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbol = normalize_symbol(&args.symbol)?;
    let limit = bounded(args.limit, 1, 1000, "limit")?.or(Some(100));
    for (name, t) in [("start_time", args.start_time), ("end_time", args.end_time)] {
        // Binance rejects timestamps before 2017 and far in the future.
        if let Some(t) = t
            && !(1_483_228_800_000..=4_102_444_800_000).contains(&t)
        {
            return Err(ToolError::invalid(format!(
                "{name} {t} is not a millisecond timestamp between 2017 and 2100"
            )));
        }
    }
    if let (Some(s), Some(e)) = (args.start_time, args.end_time)
        && s > e
    {
        return Err(ToolError::invalid("start_time is after end_time"));
    }
    let query = KlineQuery {
        symbol: symbol.clone(),
        interval: args.interval.as_str().to_owned(),
        start_time: args.start_time,
        end_time: args.end_time,
        time_zone: args.time_zone.map(|z| z.trim().to_owned()),
        limit,
    };
    let rows = toolbox.client(env).klines(&query).await?;
    let summary = match (rows.first(), rows.last()) {
        (Some(first), Some(last)) => Some(KlinesSummary {
            open: first.open.normalize(),
            high: rows.iter().map(|k| k.high).max().unwrap_or(first.high).normalize(),
            low: rows.iter().map(|k| k.low).min().unwrap_or(first.low).normalize(),
            close: last.close.normalize(),
            change_percent: (!first.open.is_zero()).then(|| {
                ((last.close - first.open) / first.open * Decimal::ONE_HUNDRED)
                    .round_dp(2)
                    .normalize()
            }),
            volume: rows.iter().map(|k| k.volume).sum::<Decimal>().normalize(),
            quote_volume: rows.iter().map(|k| k.quote_volume).sum::<Decimal>().normalize(),
            first_open_time_utc: utc(first.open_time),
            last_close_time_utc: utc(last.close_time),
        }),
        _ => None,
    };
    let skip = rows.len().saturating_sub(MAX_KLINES);
    Ok(KlinesOutput {
        environment: env,
        symbol,
        interval: args.interval,
        fetched: rows.len(),
        summary,
        truncated: skip > 0,
        klines: rows
            .iter()
            .skip(skip)
            .map(|k| Candle {
                open_time_utc: utc(k.open_time),
                open: k.open.normalize(),
                high: k.high.normalize(),
                low: k.low.normalize(),
                close: k.close.normalize(),
                volume: k.volume.normalize(),
                quote_volume: k.quote_volume.normalize(),
                trades: k.trades,
            })
            .collect(),
    })
}

// ---- market_avg_price -----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AvgPriceArgs {
    pub symbol: String,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AvgPriceOutput {
    pub environment: Environment,
    pub symbol: String,
    /// Window of the average, in minutes.
    pub mins: u32,
    /// Volume-weighted average price: what PERCENT_PRICE and NOTIONAL use when the symbol has
    /// no reference price (GET /api/v3/referencePrice).
    pub price: Decimal,
    pub last_trade_time_utc: Option<String>,
}

impl ToolOutput for AvgPriceOutput {
    fn summary(&self) -> String {
        format!(
            "{} {}: {}-minute average price {}",
            self.environment, self.symbol, self.mins, self.price
        )
    }
}

pub async fn avg_price(toolbox: &Toolbox, args: AvgPriceArgs) -> Result<AvgPriceOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    let symbol = normalize_symbol(&args.symbol)?;
    let avg = toolbox.client(env).avg_price(&symbol).await?;
    Ok(AvgPriceOutput {
        environment: env,
        symbol,
        mins: avg.mins,
        price: avg.price.normalize(),
        last_trade_time_utc: avg.close_time.map(utc),
    })
}

fn bounded(value: Option<u32>, min: u32, max: u32, name: &str) -> Result<Option<u32>, ToolError> {
    match value {
        Some(v) if v < min || v > max => Err(ToolError::invalid(format!(
            "{name} must be between {min} and {max}, got {v}"
        ))),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_sizes_follow_binance_ranges() {
        assert_eq!(validate_window_size("4h").expect("ok"), "4h");
        assert_eq!(validate_window_size("59m").expect("ok"), "59m");
        assert!(validate_window_size("60m").is_err());
        assert!(validate_window_size("8d").is_err());
        assert!(validate_window_size("1w").is_err());
        assert!(validate_window_size("h").is_err());
    }

    #[test]
    fn symbol_or_symbols_but_not_both() {
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            wanted_symbols(Some("btcusdt"), &[], 20).expect("one"),
            list(&["BTCUSDT"])
        );
        assert_eq!(
            wanted_symbols(None, &list(&["BTCUSDT", "ethusdt"]), 20).expect("many"),
            list(&["BTCUSDT", "ETHUSDT"])
        );
        assert!(wanted_symbols(None, &[], 20).expect("none").is_empty());
        let both = wanted_symbols(Some("BTCUSDT"), &list(&["ETHUSDT"]), 20).expect_err("both");
        assert!(both.to_string().contains("not both"), "{both}");
        assert!(wanted_symbols(Some("BTC/USDT"), &[], 20).is_err());
        // Both spellings parse; a one-symbol argument is a string, as Binance takes it.
        let one: SymbolsArgs = serde_json::from_value(serde_json::json!({"symbol": "BTCUSDT"})).expect("symbol");
        assert_eq!(one.symbol.as_deref(), Some("BTCUSDT"));
        let info: ExchangeInfoArgs = serde_json::from_value(serde_json::json!({"symbol": "BTCUSDT"})).expect("symbol");
        assert!(info.symbols.is_empty());
        let stats: Ticker24hArgs =
            serde_json::from_value(serde_json::json!({"symbols": ["BTCUSDT"], "window_size": "4h"})).expect("symbols");
        assert!(stats.symbol.is_none());
    }

    #[test]
    fn limits_are_checked_before_sending() {
        assert!(bounded(Some(0), 1, 5000, "limit").is_err());
        assert!(bounded(Some(5001), 1, 5000, "limit").is_err());
        assert_eq!(bounded(None, 1, 5000, "limit").expect("ok"), None);
    }

    #[test]
    fn interval_names_round_trip() {
        let i: Interval = serde_json::from_str("\"1M\"").expect("month");
        assert_eq!(i, Interval::Mo1);
        let i: Interval = serde_json::from_str("\"1m\"").expect("minute");
        assert_eq!(i.as_str(), "1m");
        assert!(serde_json::from_str::<Interval>("\"2m\"").is_err());
    }
}
