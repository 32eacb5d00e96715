//! One subscribed market stream: what it has sent so far and the payloads it owes now, with
//! the fields of `web-socket-streams.md` and the values REST shows at the same instant (the
//! same synthetic trades, klines, book and 24h statistics: `market`, `candles`, `ticker`).
//!
//! * `@trade` / `@aggTrade`: every synthetic trade after the subscription, as it prints (each
//!   synthetic trade is its own aggregate: `a`, `f` and `l` are its trade id).
//! * `@kline_<i>`: the open kline every second (`1s`) or two seconds (other intervals),
//!   `x: true` once for a kline that closed.
//! * `@bookTicker`: whenever the best bid or ask (price or quantity) changes.
//! * `@depth<N>`: the top N levels every second (100 ms with `@100ms`).
//! * `@depth`: every second (100 ms with `@100ms`) when a level changed, the levels among the
//!   top [`DIFF_DEPTH_LEVELS`] per side that changed since the previous event (quantity `0` for
//!   a level that left), `U` = previous `u` + 1, `u` = the book's `lastUpdateId` (the one
//!   `GET /api/v3/depth` shows). Levels deeper than that are never updated.
//! * `@miniTicker` / `@ticker`: the rolling 24 hours every second.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::time::Instant;

use super::candles::{Interval, window_stats};
use super::market::{Book, Instrument, Market};
use super::market_data::KLINE_SAMPLES;
use super::stream_names::{StreamKind, StreamName};
use super::ticker::{DAY_MS, TICKER_SAMPLES, change_percent};
use super::time_unit::TimeUnit;
use super::wire::{fixed, fixed8};

/// Levels per side a diff depth stream keeps up to date.
pub const DIFF_DEPTH_LEVELS: usize = 1000;
/// Trades sent per poll at most (a stream that fell further behind skips the oldest).
const MAX_TRADES_PER_POLL: u64 = 1000;
const SECOND: Duration = Duration::from_secs(1);
const FAST: Duration = Duration::from_millis(100);

/// A subscribed stream and its progress.
#[derive(Debug)]
pub struct Feed {
    pub stream: StreamName,
    progress: Progress,
}

#[derive(Debug)]
enum Progress {
    /// Last trade id sent.
    Trades(Option<u64>),
    /// Open time of the kline last sent, and when the next update is due.
    Kline(Option<i64>, Instant),
    /// The top of the book last sent.
    BookTicker(Option<[Decimal; 4]>),
    /// When the next snapshot is due.
    Periodic(Instant),
    /// The book as of the last diff event, and when the next one is due.
    DiffDepth(Option<Book>, Instant),
}

impl Feed {
    /// Starts `stream` at server time `now_ms`: trades after it, everything else at once.
    pub fn new(stream: StreamName, market: &Market, now_ms: i64) -> Self {
        let inst = market.instrument(&stream.symbol);
        let due = Instant::now();
        let progress = match stream.kind {
            StreamKind::Trade | StreamKind::AggTrade => {
                Progress::Trades(inst.and_then(|i| market.last_trade_at_or_before(i, now_ms)))
            }
            StreamKind::Kline(..) => Progress::Kline(None, due),
            StreamKind::BookTicker => Progress::BookTicker(None),
            StreamKind::DiffDepth { .. } => {
                Progress::DiffDepth(inst.map(|i| market.book(i, now_ms, DIFF_DEPTH_LEVELS)), due)
            }
            StreamKind::PartialDepth { .. } | StreamKind::MiniTicker | StreamKind::Ticker => Progress::Periodic(due),
        };
        Self { stream, progress }
    }

    /// The payloads (JSON text) due at server time `now_ms`, oldest first. A stream of a symbol
    /// that is not listed stays silent.
    pub fn poll(&mut self, market: &Market, now_ms: i64, unit: TimeUnit) -> Vec<String> {
        let Some(inst) = market.instrument(&self.stream.symbol) else {
            return Vec::new();
        };
        let now = Instant::now();
        let kind = &self.stream.kind;
        match (&mut self.progress, kind) {
            (Progress::Trades(last_sent), _) => {
                let aggregate = *kind == StreamKind::AggTrade;
                trades(market, inst, last_sent, now_ms, unit, aggregate)
            }
            (Progress::Kline(last_open, due), StreamKind::Kline(name, interval)) if now >= *due => {
                *due = next_due(*due, now, kline_period(*interval));
                klines(market, inst, name, *interval, last_open, now_ms, unit)
            }
            (Progress::BookTicker(last), _) => {
                let book = market.book(inst, now_ms, 1);
                let top = top_of(&book);
                if *last == Some(top) {
                    return Vec::new();
                }
                *last = Some(top);
                vec![json(&BookTickerPayload {
                    update_id: book.last_update_id,
                    symbol: &inst.spec.symbol,
                    bid_price: fixed8(top[0]),
                    bid_qty: fixed8(top[1]),
                    ask_price: fixed8(top[2]),
                    ask_qty: fixed8(top[3]),
                })]
            }
            (Progress::DiffDepth(previous, due), StreamKind::DiffDepth { fast }) if now >= *due => {
                *due = next_due(*due, now, if *fast { FAST } else { SECOND });
                let book = market.book(inst, now_ms, DIFF_DEPTH_LEVELS);
                let event = previous
                    .as_ref()
                    .and_then(|before| depth_update(before, &book, inst, now_ms, unit));
                // The next event starts where the last one sent ended (`U` = previous `u` + 1).
                if event.is_some() || previous.is_none() {
                    *previous = Some(book);
                }
                event.into_iter().collect()
            }
            (Progress::Periodic(due), _) if now >= *due => {
                let period = match kind {
                    StreamKind::PartialDepth { fast: true, .. } => FAST,
                    _ => SECOND,
                };
                *due = next_due(*due, now, period);
                vec![snapshot(market, inst, kind, now_ms, unit)]
            }
            _ => Vec::new(),
        }
    }
}

/// The next due time after `due`, never in the past (a slow connection skips, it does not burst).
fn next_due(due: Instant, now: Instant, period: Duration) -> Instant {
    (due + period).max(now)
}

/// "1000ms for `1s`, 2000ms for the other intervals".
fn kline_period(interval: Interval) -> Duration {
    if interval == Interval::Fixed(1000) {
        SECOND
    } else {
        2 * SECOND
    }
}

fn json<T: Serialize>(payload: &T) -> String {
    serde_json::to_string(payload).unwrap_or_default()
}

fn top_of(book: &Book) -> [Decimal; 4] {
    let level = |l: Option<&(Decimal, Decimal)>| l.copied().unwrap_or((Decimal::ZERO, Decimal::ZERO));
    let ((bid, bid_qty), (ask, ask_qty)) = (level(book.bids.first()), level(book.asks.first()));
    [bid, bid_qty, ask, ask_qty]
}

#[derive(Serialize)]
struct TradePayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "t")]
    trade_id: u64,
    #[serde(rename = "p")]
    price: String,
    #[serde(rename = "q")]
    qty: String,
    #[serde(rename = "T")]
    trade_time: i64,
    #[serde(rename = "m")]
    buyer_is_maker: bool,
    #[serde(rename = "M")]
    ignore: bool,
}

#[derive(Serialize)]
struct AggTradePayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "a")]
    aggregate_id: u64,
    #[serde(rename = "p")]
    price: String,
    #[serde(rename = "q")]
    qty: String,
    #[serde(rename = "f")]
    first_trade_id: u64,
    #[serde(rename = "l")]
    last_trade_id: u64,
    #[serde(rename = "T")]
    trade_time: i64,
    #[serde(rename = "m")]
    buyer_is_maker: bool,
    #[serde(rename = "M")]
    ignore: bool,
}

fn trades(
    market: &Market,
    inst: &Instrument,
    last_sent: &mut Option<u64>,
    now_ms: i64,
    unit: TimeUnit,
    aggregate: bool,
) -> Vec<String> {
    let Some(last) = market.last_trade_at_or_before(inst, now_ms) else {
        return Vec::new();
    };
    let first = match *last_sent {
        Some(sent) if sent >= last => return Vec::new(),
        Some(sent) => (sent + 1).max(last.saturating_sub(MAX_TRADES_PER_POLL - 1)),
        None => last,
    };
    *last_sent = Some(last);
    let symbol = inst.spec.symbol.as_str();
    (first..=last)
        .map(|id| {
            let trade = market.trade(inst, id);
            if aggregate {
                json(&AggTradePayload {
                    event_type: "aggTrade",
                    event_time: unit.stamp(now_ms),
                    symbol,
                    aggregate_id: id,
                    price: fixed8(trade.price),
                    qty: fixed8(trade.qty),
                    first_trade_id: id,
                    last_trade_id: id,
                    trade_time: unit.stamp(trade.time),
                    buyer_is_maker: trade.is_buyer_maker,
                    ignore: true,
                })
            } else {
                json(&TradePayload {
                    event_type: "trade",
                    event_time: unit.stamp(now_ms),
                    symbol,
                    trade_id: id,
                    price: fixed8(trade.price),
                    qty: fixed8(trade.qty),
                    trade_time: unit.stamp(trade.time),
                    buyer_is_maker: trade.is_buyer_maker,
                    ignore: true,
                })
            }
        })
        .collect()
}

#[derive(Serialize)]
struct KlinePayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "k")]
    kline: Kline<'a>,
}

#[derive(Serialize)]
struct Kline<'a> {
    #[serde(rename = "t")]
    open_time: i64,
    #[serde(rename = "T")]
    close_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "i")]
    interval: &'a str,
    #[serde(rename = "f")]
    first_trade_id: i64,
    #[serde(rename = "L")]
    last_trade_id: i64,
    #[serde(rename = "o")]
    open: String,
    #[serde(rename = "c")]
    close: String,
    #[serde(rename = "h")]
    high: String,
    #[serde(rename = "l")]
    low: String,
    #[serde(rename = "v")]
    volume: String,
    #[serde(rename = "n")]
    trades: u64,
    #[serde(rename = "x")]
    closed: bool,
    #[serde(rename = "q")]
    quote_volume: String,
    #[serde(rename = "V")]
    taker_buy_base: String,
    #[serde(rename = "Q")]
    taker_buy_quote: String,
    #[serde(rename = "B")]
    ignore: &'static str,
}

/// The open kline, preceded by the final update of the previous one when it has just closed.
fn klines(
    market: &Market,
    inst: &Instrument,
    name: &str,
    interval: Interval,
    last_open: &mut Option<i64>,
    now_ms: i64,
    unit: TimeUnit,
) -> Vec<String> {
    let open = interval.open_of(now_ms, 0);
    let mut payloads = Vec::new();
    if let Some(previous) = *last_open
        && previous < open
    {
        payloads.push(kline(market, inst, name, interval, previous, now_ms, unit));
    }
    *last_open = Some(open);
    payloads.push(kline(market, inst, name, interval, open, now_ms, unit));
    payloads
}

fn kline(
    market: &Market,
    inst: &Instrument,
    name: &str,
    interval: Interval,
    open: i64,
    now_ms: i64,
    unit: TimeUnit,
) -> String {
    let close_time = interval.next_open(open, 0) - 1;
    let s = window_stats(market, inst, open, close_time.min(now_ms), KLINE_SAMPLES);
    let symbol = inst.spec.symbol.as_str();
    json(&KlinePayload {
        event_type: "kline",
        event_time: unit.stamp(now_ms),
        symbol,
        kline: Kline {
            open_time: unit.stamp(open),
            close_time: unit.stamp(close_time),
            symbol,
            interval: name,
            first_trade_id: s.first_id,
            last_trade_id: s.last_id,
            open: fixed8(s.open),
            close: fixed8(s.close),
            high: fixed8(s.high),
            low: fixed8(s.low),
            volume: fixed8(s.volume),
            trades: s.count,
            closed: close_time < now_ms,
            quote_volume: fixed8(s.quote_volume),
            taker_buy_base: fixed8(s.taker_buy_base),
            taker_buy_quote: fixed8(s.taker_buy_quote),
            ignore: "0",
        },
    })
}

#[derive(Serialize)]
struct BookTickerPayload<'a> {
    #[serde(rename = "u")]
    update_id: u64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "b")]
    bid_price: String,
    #[serde(rename = "B")]
    bid_qty: String,
    #[serde(rename = "a")]
    ask_price: String,
    #[serde(rename = "A")]
    ask_qty: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialDepthPayload {
    last_update_id: u64,
    bids: Vec<[String; 2]>,
    asks: Vec<[String; 2]>,
}

#[derive(Serialize)]
struct DepthUpdatePayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "U")]
    first_update_id: u64,
    #[serde(rename = "u")]
    final_update_id: u64,
    #[serde(rename = "b")]
    bids: Vec<[String; 2]>,
    #[serde(rename = "a")]
    asks: Vec<[String; 2]>,
}

fn level((price, qty): (Decimal, Decimal)) -> [String; 2] {
    [fixed8(price), fixed8(qty)]
}

/// The `depthUpdate` taking a book from `before` to `after`, if any level changed.
fn depth_update(before: &Book, after: &Book, inst: &Instrument, now_ms: i64, unit: TimeUnit) -> Option<String> {
    if after.last_update_id <= before.last_update_id {
        return None;
    }
    let bids = changed_levels(&before.bids, &after.bids, true);
    let asks = changed_levels(&before.asks, &after.asks, false);
    if bids.is_empty() && asks.is_empty() {
        return None;
    }
    Some(json(&DepthUpdatePayload {
        event_type: "depthUpdate",
        event_time: unit.stamp(now_ms),
        symbol: &inst.spec.symbol,
        first_update_id: before.last_update_id + 1,
        final_update_id: after.last_update_id,
        bids: bids.into_iter().map(level).collect(),
        asks: asks.into_iter().map(level).collect(),
    }))
}

/// Levels of `after` that are new or changed, plus levels of `before` gone from `after` (at
/// quantity 0), best first. Both books are sorted best first (`descending` prices for bids), so
/// one merge pass finds them.
fn changed_levels(
    before: &[(Decimal, Decimal)],
    after: &[(Decimal, Decimal)],
    descending: bool,
) -> Vec<(Decimal, Decimal)> {
    let better = |a: Decimal, b: Decimal| if descending { a > b } else { a < b };
    let (mut old, mut new) = (before.iter().peekable(), after.iter().peekable());
    let mut changed = Vec::new();
    loop {
        match (old.peek().copied(), new.peek().copied()) {
            (Some(&(old_price, old_qty)), Some(&(new_price, new_qty))) if old_price == new_price => {
                if old_qty != new_qty {
                    changed.push((new_price, new_qty));
                }
                old.next();
                new.next();
            }
            (Some(&(old_price, _)), Some(&(new_price, _))) if better(old_price, new_price) => {
                changed.push((old_price, Decimal::ZERO));
                old.next();
            }
            (_, Some(&level)) => {
                changed.push(level);
                new.next();
            }
            (Some(&(old_price, _)), None) => {
                changed.push((old_price, Decimal::ZERO));
                old.next();
            }
            (None, None) => return changed,
        }
    }
}

#[derive(Serialize)]
struct MiniTickerPayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "c")]
    close: String,
    #[serde(rename = "o")]
    open: String,
    #[serde(rename = "h")]
    high: String,
    #[serde(rename = "l")]
    low: String,
    #[serde(rename = "v")]
    volume: String,
    #[serde(rename = "q")]
    quote_volume: String,
}

#[derive(Serialize)]
struct TickerPayload<'a> {
    #[serde(rename = "e")]
    event_type: &'static str,
    #[serde(rename = "E")]
    event_time: i64,
    #[serde(rename = "s")]
    symbol: &'a str,
    #[serde(rename = "p")]
    price_change: String,
    #[serde(rename = "P")]
    price_change_percent: String,
    #[serde(rename = "w")]
    weighted_avg_price: String,
    #[serde(rename = "x")]
    prev_close: String,
    #[serde(rename = "c")]
    last_price: String,
    #[serde(rename = "Q")]
    last_qty: String,
    #[serde(rename = "b")]
    bid_price: String,
    #[serde(rename = "B")]
    bid_qty: String,
    #[serde(rename = "a")]
    ask_price: String,
    #[serde(rename = "A")]
    ask_qty: String,
    #[serde(rename = "o")]
    open: String,
    #[serde(rename = "h")]
    high: String,
    #[serde(rename = "l")]
    low: String,
    #[serde(rename = "v")]
    volume: String,
    #[serde(rename = "q")]
    quote_volume: String,
    #[serde(rename = "O")]
    open_time: i64,
    #[serde(rename = "C")]
    close_time: i64,
    #[serde(rename = "F")]
    first_trade_id: i64,
    #[serde(rename = "L")]
    last_trade_id: i64,
    #[serde(rename = "n")]
    trades: u64,
}

/// The periodic snapshots: partial depth, mini ticker, ticker.
fn snapshot(market: &Market, inst: &Instrument, kind: &StreamKind, now_ms: i64, unit: TimeUnit) -> String {
    let symbol = inst.spec.symbol.as_str();
    if let StreamKind::PartialDepth { levels, .. } = kind {
        let book = market.book(inst, now_ms, *levels);
        return json(&PartialDepthPayload {
            last_update_id: book.last_update_id,
            bids: book.bids.into_iter().map(level).collect(),
            asks: book.asks.into_iter().map(level).collect(),
        });
    }
    let open_time = now_ms - DAY_MS;
    let s = window_stats(market, inst, open_time, now_ms, TICKER_SAMPLES);
    if *kind == StreamKind::MiniTicker {
        return json(&MiniTickerPayload {
            event_type: "24hrMiniTicker",
            event_time: unit.stamp(now_ms),
            symbol,
            close: fixed8(s.close),
            open: fixed8(s.open),
            high: fixed8(s.high),
            low: fixed8(s.low),
            volume: fixed8(s.volume),
            quote_volume: fixed8(s.quote_volume),
        });
    }
    let top = top_of(&market.book(inst, now_ms, 1));
    json(&TickerPayload {
        event_type: "24hrTicker",
        event_time: unit.stamp(now_ms),
        symbol,
        price_change: fixed8(s.close - s.open),
        price_change_percent: fixed(change_percent(&s), 3),
        weighted_avg_price: fixed8(s.weighted_avg_price()),
        prev_close: fixed8(s.prev_close),
        last_price: fixed8(s.close),
        last_qty: fixed8(s.last_qty),
        bid_price: fixed8(top[0]),
        bid_qty: fixed8(top[1]),
        ask_price: fixed8(top[2]),
        ask_qty: fixed8(top[3]),
        open: fixed8(s.open),
        high: fixed8(s.high),
        low: fixed8(s.low),
        volume: fixed8(s.volume),
        quote_volume: fixed8(s.quote_volume),
        open_time: unit.stamp(open_time),
        close_time: unit.stamp(now_ms),
        first_trade_id: s.first_id,
        last_trade_id: s.last_id,
        trades: s.count,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;
    use serde_json::Value;

    const T: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn feed(market: &Market, name: &str, now_ms: i64) -> Feed {
        Feed::new(StreamName::parse(name).unwrap(), market, now_ms)
    }

    fn parsed(payloads: Vec<String>) -> Vec<Value> {
        payloads.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
    }

    #[test]
    fn trades_after_the_subscription_as_the_market_prints_them() {
        let market = Market::new(3, default_symbols());
        let inst = market.instrument("BTCUSDT").unwrap();
        let mut trades = feed(&market, "btcusdt@trade", T);
        assert!(trades.poll(&market, T, TimeUnit::Millisecond).is_empty());
        let later = T + 2_000;
        let sent = parsed(trades.poll(&market, later, TimeUnit::Millisecond));
        let first = market.last_trade_at_or_before(inst, T).unwrap() + 1;
        let last = market.last_trade_at_or_before(inst, later).unwrap();
        assert_eq!(sent.len() as u64, last - first + 1);
        let trade = market.trade(inst, first);
        assert_eq!(sent[0]["e"], "trade");
        assert_eq!(sent[0]["E"], later);
        assert_eq!(sent[0]["s"], "BTCUSDT");
        assert_eq!(sent[0]["t"], first);
        assert_eq!(sent[0]["p"], fixed8(trade.price));
        assert_eq!(sent[0]["q"], fixed8(trade.qty));
        assert_eq!(sent[0]["T"], trade.time);
        assert_eq!(sent[0]["m"], trade.is_buyer_maker);
        assert!(trades.poll(&market, later, TimeUnit::Millisecond).is_empty());

        let mut agg = feed(&market, "btcusdt@aggTrade", T);
        let sent = parsed(agg.poll(&market, later, TimeUnit::Microsecond));
        assert_eq!(
            (sent[0]["a"].as_u64(), sent[0]["f"].as_u64()),
            (Some(first), Some(first))
        );
        assert_eq!(sent[0]["T"], trade.time * 1000);
    }

    #[test]
    fn diff_depth_events_chain_their_update_ids() {
        let market = Market::new(3, default_symbols());
        let inst = market.instrument("ETHBTC").unwrap();
        let before = market.book(inst, T, DIFF_DEPTH_LEVELS);
        let after = market.book(inst, T + 1_500, DIFF_DEPTH_LEVELS);
        let event: Value =
            serde_json::from_str(&depth_update(&before, &after, inst, T + 1_500, TimeUnit::Millisecond).unwrap())
                .unwrap();
        assert_eq!(event["e"], "depthUpdate");
        assert_eq!(event["U"], before.last_update_id + 1);
        assert_eq!(event["u"], after.last_update_id);
        // Applying the event to the old book gives the new one.
        let mut bids: Vec<(Decimal, Decimal)> = before.bids.clone();
        for change in event["b"].as_array().unwrap() {
            let price: Decimal = change[0].as_str().unwrap().parse().unwrap();
            let qty: Decimal = change[1].as_str().unwrap().parse().unwrap();
            bids.retain(|(p, _)| *p != price);
            if !qty.is_zero() {
                bids.push((price, qty));
            }
        }
        bids.sort_by_key(|level| std::cmp::Reverse(level.0));
        assert_eq!(bids, after.bids);
        let prices: Vec<Decimal> = event["a"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l[0].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(prices.windows(2).all(|w| w[0] < w[1]), "asks best first");
        assert!(depth_update(&after, &after, inst, T + 1_500, TimeUnit::Millisecond).is_none());
        // A newer id with no level changed sends nothing.
        let mut unchanged = after.clone();
        unchanged.last_update_id += 5;
        assert!(depth_update(&after, &unchanged, inst, T + 1_600, TimeUnit::Millisecond).is_none());
    }

    #[test]
    fn snapshots_match_the_rest_computations() {
        let market = Market::new(3, default_symbols());
        let inst = market.instrument("BNBUSDT").unwrap();
        let mut depth = feed(&market, "bnbusdt@depth5", T);
        let book: Value = serde_json::from_str(&depth.poll(&market, T, TimeUnit::Millisecond)[0]).unwrap();
        assert_eq!(book["bids"].as_array().unwrap().len(), 5);
        assert_eq!(book["lastUpdateId"], market.book(inst, T, 5).last_update_id);
        assert!(
            depth.poll(&market, T, TimeUnit::Millisecond).is_empty(),
            "not due again yet"
        );

        let mut ticker = feed(&market, "bnbusdt@ticker", T);
        let ticker: Value = serde_json::from_str(&ticker.poll(&market, T, TimeUnit::Millisecond)[0]).unwrap();
        let stats = window_stats(&market, inst, T - DAY_MS, T, TICKER_SAMPLES);
        assert_eq!(ticker["e"], "24hrTicker");
        assert_eq!(ticker["c"], fixed8(stats.close));
        assert_eq!(ticker["n"], stats.count);
        assert_eq!(
            (ticker["O"].as_i64(), ticker["C"].as_i64()),
            (Some(T - DAY_MS), Some(T))
        );

        let mut kline = feed(&market, "bnbusdt@kline_1m", T + 59_000);
        let first = parsed(kline.poll(&market, T + 59_000, TimeUnit::Millisecond));
        assert_eq!(first.len(), 1);
        assert_eq!(
            (first[0]["k"]["t"].as_i64(), first[0]["k"]["x"].as_bool()),
            (Some(T), Some(false))
        );
        assert_eq!(first[0]["k"]["i"], "1m");
        let Progress::Kline(_, due) = &mut kline.progress else {
            unreachable!()
        };
        *due = Instant::now();
        let closing = parsed(kline.poll(&market, T + 61_000, TimeUnit::Millisecond));
        assert_eq!(closing.len(), 2, "the closed kline, then the new one");
        assert_eq!(
            (closing[0]["k"]["t"].as_i64(), closing[0]["k"]["x"].as_bool()),
            (Some(T), Some(true))
        );
        assert_eq!(closing[1]["k"]["t"], T + 60_000);

        let mut top = feed(&market, "bnbusdt@bookTicker", T);
        let first = parsed(top.poll(&market, T, TimeUnit::Millisecond));
        assert_eq!(first[0]["b"], fixed8(market.best_bid(inst, T)));
        assert!(top.poll(&market, T, TimeUnit::Millisecond).is_empty(), "unchanged top");
        assert!(
            feed(&market, "nosuchusdt@ticker", T)
                .poll(&market, T, TimeUnit::Millisecond)
                .is_empty()
        );
    }
}
