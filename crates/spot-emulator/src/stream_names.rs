//! Market stream names (`web-socket-streams.md`) the emulator serves: `<symbol>@trade`,
//! `@aggTrade`, `@kline_<interval>`, `@bookTicker`, `@depth` and `@depth@100ms` (diff depth),
//! `@depth<5|10|20>` (+`@100ms`), `@miniTicker`, `@ticker`. Symbols are lowercase in stream
//! names ("All symbols for streams are lowercase"); a name in another shape is not a stream.

use super::candles::Interval;

/// What a stream carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamKind {
    Trade,
    AggTrade,
    /// The interval as named (`1m`) and parsed.
    Kline(String, Interval),
    BookTicker,
    /// Diff depth, every 100 ms when `fast`, else every second.
    DiffDepth {
        fast: bool,
    },
    /// Top `levels` (5, 10 or 20), every 100 ms when `fast`, else every second.
    PartialDepth {
        levels: usize,
        fast: bool,
    },
    MiniTicker,
    Ticker,
}

/// A parsed stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamName {
    /// The name as the client wrote it (the `stream` of combined payloads).
    pub name: String,
    /// The symbol in exchange form (`BTCUSDT`).
    pub symbol: String,
    pub kind: StreamKind,
}

impl StreamName {
    /// Parses `name`; `None` when it is not a stream the emulator serves.
    pub fn parse(name: &str) -> Option<Self> {
        let (symbol, rest) = name.split_once('@')?;
        // Lowercase, like every stream name; Unicode symbols (2025-12) have letters without case.
        let lowercase = !symbol.is_empty() && symbol.chars().all(|c| c.is_alphanumeric() && !c.is_uppercase());
        if !lowercase {
            return None;
        }
        let kind = match rest {
            "trade" => StreamKind::Trade,
            "aggTrade" => StreamKind::AggTrade,
            "bookTicker" => StreamKind::BookTicker,
            "miniTicker" => StreamKind::MiniTicker,
            "ticker" => StreamKind::Ticker,
            "depth" => StreamKind::DiffDepth { fast: false },
            "depth@100ms" => StreamKind::DiffDepth { fast: true },
            _ => {
                if let Some(interval) = rest.strip_prefix("kline_") {
                    StreamKind::Kline(interval.to_owned(), Interval::parse(interval)?)
                } else {
                    let depth = rest.strip_prefix("depth")?;
                    let (levels, fast) = match depth.split_once('@') {
                        Some((levels, "100ms")) => (levels, true),
                        Some(_) => return None,
                        None => (depth, false),
                    };
                    let levels = match levels {
                        "5" => 5,
                        "10" => 10,
                        "20" => 20,
                        _ => return None,
                    };
                    StreamKind::PartialDepth { levels, fast }
                }
            }
        };
        Some(Self {
            name: name.to_owned(),
            symbol: symbol.to_uppercase(),
            kind,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn kind(name: &str) -> Option<StreamKind> {
        StreamName::parse(name).map(|s| s.kind)
    }

    #[test]
    fn documented_names() {
        let btc = StreamName::parse("btcusdt@trade").unwrap();
        assert_eq!((btc.symbol.as_str(), btc.kind), ("BTCUSDT", StreamKind::Trade));
        assert_eq!(kind("ethbtc@aggTrade"), Some(StreamKind::AggTrade));
        assert_eq!(kind("bnbusdt@bookTicker"), Some(StreamKind::BookTicker));
        assert_eq!(kind("bnbusdt@miniTicker"), Some(StreamKind::MiniTicker));
        assert_eq!(kind("bnbusdt@ticker"), Some(StreamKind::Ticker));
        assert_eq!(kind("bnbusdt@depth"), Some(StreamKind::DiffDepth { fast: false }));
        assert_eq!(kind("bnbusdt@depth@100ms"), Some(StreamKind::DiffDepth { fast: true }));
        assert_eq!(
            kind("bnbusdt@depth10"),
            Some(StreamKind::PartialDepth {
                levels: 10,
                fast: false
            })
        );
        assert_eq!(
            kind("bnbusdt@depth20@100ms"),
            Some(StreamKind::PartialDepth { levels: 20, fast: true })
        );
        assert!(matches!(kind("btcusdt@kline_1M"), Some(StreamKind::Kline(i, _)) if i == "1M"));
        // Not streams: uppercase symbols, unknown kinds and intervals, other depth levels.
        for bad in [
            "BTCUSDT@trade",
            "btcusdt@Trade",
            "btcusdt@kline_2m",
            "btcusdt@depth15",
            "btcusdt@depth@250ms",
            "btcusdt",
            "@trade",
            "btcusdt@ticker_1h",
        ] {
            assert_eq!(kind(bad), None, "{bad}");
        }
        // A well-formed name for a symbol that is not listed is still a name (it stays silent).
        assert_eq!(StreamName::parse("nosuchusdt@trade").unwrap().symbol, "NOSUCHUSDT");
        // Unicode symbols: CJK letters have no case.
        let unicode = StreamName::parse("这是测试币456@trade").unwrap();
        assert_eq!(unicode.symbol, super::super::symbols::UNICODE_SYMBOL);
    }
}
