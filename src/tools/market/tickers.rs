//! `market_ticker_price`, `market_book_ticker` and `market_ticker_24h`: the latest price, the
//! best bid and ask, and 24h or rolling-window statistics of one, several or all symbols.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MAX_ALL_SYMBOLS, market_env, wanted_symbols};
use crate::config::Environment;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};

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
}
