//! Market tools: public Spot market data, unsigned, production by default. Here what the tool
//! families share (the caps on an answer, the environment and symbol arguments, the limit check);
//! one file per family: `exchange` (Binance's clock, trading rules), `tickers` (prices, best
//! bid/ask, 24h and rolling statistics), `book` (order book, recent trades) and `klines`
//! (candles, average price).
//!
//! Large answers (a 5000-level book, 1000 klines) are cut to what fits an agent's context,
//! with a summary computed over everything fetched and a flag that says so.

mod book;
mod exchange;
mod klines;
mod tickers;

pub use book::*;
pub use exchange::*;
pub use klines::*;
pub use tickers::*;

use super::{ToolError, Toolbox, normalize_symbol, normalize_symbols};
use crate::config::Environment;

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
}
