//! `market_stream_sample`: watch one to five market streams for up to 30 seconds over the
//! combined-stream WebSocket and return a summary per stream and its last events. Streams cost
//! no REST weight, so watching a market briefly this way is cheaper than polling tickers.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::market::market_env;
use crate::config::Environment;
use crate::tools::{ToolError, ToolOutput, Toolbox};
use spot_types::model::decimal_field;

pub const MAX_STREAMS: usize = 5;
pub const MAX_SECONDS: u32 = 30;
const DEFAULT_SECONDS: u32 = 5;
const DEFAULT_LAST: usize = 5;
const MAX_LAST: usize = 20;
/// Events kept per stream for the summary (the rest are counted).
const MAX_EVENTS_COUNTED: u64 = 100_000;

const KLINE_INTERVALS: [&str; 16] = [
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamSampleArgs {
    /// 1 to 5, e.g. btcusdt@trade, @aggTrade, @bookTicker, @depth5, @kline_1m, @ticker
    pub streams: Vec<String>,
    /// 1 to 30, default 5
    #[serde(default)]
    pub seconds: Option<u32>,
    /// events per stream, default 5, max 20
    #[serde(default)]
    pub last: Option<u32>,
    /// default production
    #[serde(default)]
    pub environment: Option<Environment>,
}

/// What one stream did during the sample.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct StreamSummary {
    pub stream: String,
    pub events: u64,
    /// Trades: lowest, highest and last price, and base volume (buyer-taker / seller-taker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_volume: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sell_volume: Option<Decimal>,
    /// Book tickers and partial depth: last best bid/ask and the widest spread seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_bid: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_ask: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_spread: Option<Decimal>,
    /// The last events as Binance sent them, oldest first.
    pub last_events: Vec<Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StreamSampleOutput {
    pub environment: Environment,
    pub seconds: u32,
    pub streams: Vec<StreamSummary>,
    /// Why the sample ended early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_early: Option<String>,
    pub note: String,
}

impl ToolOutput for StreamSampleOutput {
    fn summary(&self) -> String {
        let parts: Vec<String> = self
            .streams
            .iter()
            .map(|s| {
                let price = s
                    .last_price
                    .map(|p| format!(" last {}", p.normalize()))
                    .or_else(|| match (s.best_bid, s.best_ask) {
                        (Some(b), Some(a)) => Some(format!(" bid {} ask {}", b.normalize(), a.normalize())),
                        _ => None,
                    })
                    .unwrap_or_default();
                format!("{}: {} events{price}", s.stream, s.events)
            })
            .collect();
        format!("{} over {} s: {}", self.environment, self.seconds, parts.join("; "))
    }
}

/// A stream name as Binance expects it: lowercase symbol, documented suffix.
pub fn normalize_stream(raw: &str) -> Result<String, ToolError> {
    let invalid = || {
        ToolError::invalid(format!(
            "stream {raw:?} is not a supported market stream: use <symbol>@trade, @aggTrade, @bookTicker, @depth, @depth5, @depth10, @depth20 (optionally @100ms), @kline_<interval>, @miniTicker or @ticker, e.g. btcusdt@trade"
        ))
    };
    let (symbol, kind) = raw.trim().split_once('@').ok_or_else(invalid)?;
    // Unicode symbols exist since 2025-12 (their CJK letters have no case).
    let symbol = symbol.to_lowercase();
    if symbol.is_empty() || symbol.chars().count() > 32 || !symbol.chars().all(char::is_alphanumeric) {
        return Err(invalid());
    }
    let base = kind.strip_suffix("@100ms").or_else(|| kind.strip_suffix("@1000ms"));
    let speed_ok = |k: &str| matches!(k, "depth" | "depth5" | "depth10" | "depth20");
    let valid = match base {
        Some(k) => speed_ok(k),
        None => {
            matches!(
                kind,
                "trade"
                    | "aggTrade"
                    | "bookTicker"
                    | "miniTicker"
                    | "ticker"
                    | "depth"
                    | "depth5"
                    | "depth10"
                    | "depth20"
            ) || kind
                .strip_prefix("kline_")
                .is_some_and(|interval| KLINE_INTERVALS.contains(&interval))
        }
    };
    if !valid {
        return Err(invalid());
    }
    Ok(format!("{symbol}@{kind}"))
}

fn add(slot: &mut Option<Decimal>, amount: Decimal) {
    *slot = Some(slot.unwrap_or_default() + amount);
}

impl StreamSummary {
    fn record(&mut self, data: &Value, last: usize) {
        self.events += 1;
        match data.get("e").and_then(Value::as_str) {
            Some("trade" | "aggTrade") => {
                if let (Some(price), Some(qty)) = (decimal_field(data, "p"), decimal_field(data, "q")) {
                    self.low = Some(self.low.map_or(price, |l| l.min(price)));
                    self.high = Some(self.high.map_or(price, |h| h.max(price)));
                    self.last_price = Some(price);
                    add(&mut self.volume, qty);
                    // `m`: the buyer is the maker, so the seller took liquidity.
                    if data.get("m").and_then(Value::as_bool) == Some(true) {
                        add(&mut self.sell_volume, qty);
                    } else {
                        add(&mut self.buy_volume, qty);
                    }
                }
            }
            Some("kline") => {
                if let Some(k) = data.get("k") {
                    self.last_price = decimal_field(k, "c");
                    self.high = decimal_field(k, "h");
                    self.low = decimal_field(k, "l");
                    self.volume = decimal_field(k, "v");
                }
            }
            Some("24hrMiniTicker" | "24hrTicker") => self.last_price = decimal_field(data, "c"),
            _ => {
                // bookTicker has no `e`; partial depth carries `bids`/`asks`.
                let bid = decimal_field(data, "b").or_else(|| first_level(data, "bids"));
                let ask = decimal_field(data, "a").or_else(|| first_level(data, "asks"));
                if let (Some(bid), Some(ask)) = (bid, ask) {
                    self.best_bid = Some(bid);
                    self.best_ask = Some(ask);
                    let spread = ask - bid;
                    self.max_spread = Some(self.max_spread.map_or(spread, |m| m.max(spread)));
                }
            }
        }
        self.last_events.push(data.clone());
        if self.last_events.len() > last {
            self.last_events.remove(0);
        }
    }
}

fn first_level(data: &Value, side: &str) -> Option<Decimal> {
    data.get(side)?
        .as_array()?
        .first()?
        .as_array()?
        .first()?
        .as_str()?
        .parse()
        .ok()
}

pub async fn market_stream_sample(toolbox: &Toolbox, args: StreamSampleArgs) -> Result<StreamSampleOutput, ToolError> {
    let env = market_env(toolbox, args.environment);
    if args.streams.is_empty() || args.streams.len() > MAX_STREAMS {
        return Err(ToolError::invalid(format!(
            "give 1 to {MAX_STREAMS} streams, got {}",
            args.streams.len()
        )));
    }
    let mut names: Vec<String> = Vec::new();
    for raw in &args.streams {
        let name = normalize_stream(raw)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let seconds = args.seconds.unwrap_or(DEFAULT_SECONDS);
    if !(1..=MAX_SECONDS).contains(&seconds) {
        return Err(ToolError::invalid(format!(
            "seconds {seconds} is out of range: give 1 to {MAX_SECONDS}"
        )));
    }
    let last = match args.last {
        None => DEFAULT_LAST,
        Some(n) if (1..=MAX_LAST as u32).contains(&n) => n as usize,
        Some(n) => {
            return Err(ToolError::invalid(format!(
                "last {n} is out of range: give 1 to {MAX_LAST}"
            )));
        }
    };
    let ec = toolbox.config().environment(env);
    // Non-ASCII symbols travel percent-encoded ("WebSocket Market Streams supports URL-encoded
    // urls", 2025-12-02).
    let streams = percent_encoding::utf8_percent_encode(&names.join("/"), percent_encoding::CONTROLS).to_string();
    let url = format!("{}/stream?streams={streams}", ec.stream_url);
    let unreachable = |reason: String| {
        ToolError::Unavailable(format!(
            "could not open the {env} market streams at {}: {reason}",
            ec.stream_url
        ))
    };
    let connect_timeout = Duration::from_millis(toolbox.config().connect_timeout_ms);
    let (mut socket, _) = tokio::time::timeout(connect_timeout, tokio_tungstenite::connect_async(url.as_str()))
        .await
        .map_err(|_| unreachable(format!("no handshake within {} ms", connect_timeout.as_millis())))?
        .map_err(|e| unreachable(e.to_string()))?;
    let mut summaries: BTreeMap<String, StreamSummary> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                StreamSummary {
                    stream: n.clone(),
                    ..StreamSummary::default()
                },
            )
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(seconds));
    let mut ended_early = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => break,
            Ok(None) => {
                ended_early = Some("the server closed the connection".to_owned());
                break;
            }
            Ok(Some(Err(e))) => {
                ended_early = Some(format!("the connection failed: {e}"));
                break;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Message::Text(text) = frame else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        let (Some(stream), Some(data)) = (value.get("stream").and_then(Value::as_str), value.get("data")) else {
            continue;
        };
        if let Some(summary) = summaries.get_mut(stream)
            && summary.events < MAX_EVENTS_COUNTED
        {
            summary.record(data, last);
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
    let silent: Vec<String> = summaries
        .values()
        .filter(|s| s.events == 0)
        .map(|s| s.stream.clone())
        .collect();
    let note = if silent.is_empty() {
        "Stream data is pushed by Binance: no REST weight was used.".to_owned()
    } else {
        format!(
            "No event on {}: check the symbol with market_exchange_info, or sample longer (quiet markets trade rarely).",
            silent.join(", ")
        )
    };
    Ok(StreamSampleOutput {
        environment: env,
        seconds,
        streams: names.iter().filter_map(|n| summaries.remove(n)).collect(),
        ended_early,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stream_names_are_checked_and_lowercased() {
        assert_eq!(normalize_stream("BTCUSDT@trade").expect("ok"), "btcusdt@trade");
        assert_eq!(normalize_stream("ethbtc@kline_1m").expect("ok"), "ethbtc@kline_1m");
        assert_eq!(
            normalize_stream("ethbtc@depth5@100ms").expect("ok"),
            "ethbtc@depth5@100ms"
        );
        assert_eq!(
            normalize_stream("xrpusdt@bookTicker").expect("ok"),
            "xrpusdt@bookTicker"
        );
        for bad in [
            "btcusdt",
            "btcusdt@kline_2m",
            "btc-usdt@trade",
            "@trade",
            "btcusdt@trade@100ms",
            "btcusdt@bookticker",
        ] {
            assert!(normalize_stream(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trades_and_books_are_summarised_in_decimals() {
        let mut s = StreamSummary::default();
        s.record(&json!({"e":"trade","p":"100.5","q":"0.2","m":false}), 2);
        s.record(&json!({"e":"trade","p":"99.9","q":"0.3","m":true}), 2);
        s.record(&json!({"e":"trade","p":"100.1","q":"0.1","m":false}), 2);
        assert_eq!(s.events, 3);
        assert_eq!(s.low, Some(Decimal::new(999, 1)));
        assert_eq!(s.high, Some(Decimal::new(1005, 1)));
        assert_eq!(s.volume, Some(Decimal::new(6, 1)));
        assert_eq!(s.buy_volume, Some(Decimal::new(3, 1)));
        assert_eq!(s.sell_volume, Some(Decimal::new(3, 1)));
        assert_eq!(s.last_events.len(), 2);
        let mut b = StreamSummary::default();
        b.record(&json!({"u":1,"s":"BTCUSDT","b":"100.0","B":"1","a":"100.2","A":"1"}), 5);
        b.record(
            &json!({"lastUpdateId":2,"bids":[["100.1","1"]],"asks":[["100.15","2"]]}),
            5,
        );
        assert_eq!(b.best_bid, Some(Decimal::new(1001, 1)));
        assert_eq!(b.max_spread, Some(Decimal::new(2, 1)));
    }
}
