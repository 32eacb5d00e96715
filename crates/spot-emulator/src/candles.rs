//! Kline intervals (calendar alignment, time zones) and statistics of the synthetic trades in a
//! time window: klines, 24hr and rolling tickers, average price.

use rust_decimal::Decimal;

use super::market::{GENESIS_MS, Instrument, Market};
use super::wire::floor_to_step;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 1970-01-05, the first Monday after the epoch: weekly klines open on Mondays.
const FIRST_MONDAY: i64 = 4 * DAY;
/// Windows with at most this many trades are summed exactly; larger ones are estimated from samples.
const EXACT_TRADES: u64 = 64;

/// A kline interval (`1s` ... `1M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    /// A fixed length in ms (weeks open on Monday).
    Fixed(i64),
    /// Calendar months.
    Month,
}

impl Interval {
    /// Parses one of the 16 case-sensitive interval names.
    pub fn parse(name: &str) -> Option<Self> {
        let fixed = match name {
            "1s" => SECOND,
            "1m" => MINUTE,
            "3m" => 3 * MINUTE,
            "5m" => 5 * MINUTE,
            "15m" => 15 * MINUTE,
            "30m" => 30 * MINUTE,
            "1h" => HOUR,
            "2h" => 2 * HOUR,
            "4h" => 4 * HOUR,
            "6h" => 6 * HOUR,
            "8h" => 8 * HOUR,
            "12h" => 12 * HOUR,
            "1d" => DAY,
            "3d" => 3 * DAY,
            "1w" => 7 * DAY,
            "1M" => return Some(Self::Month),
            _ => return None,
        };
        Some(Self::Fixed(fixed))
    }

    /// Open time of the kline containing `t` (ms), with boundaries in the zone `tz_ms` east of UTC.
    pub fn open_of(self, t: i64, tz_ms: i64) -> i64 {
        let local = t + tz_ms;
        match self {
            Self::Fixed(len) => {
                let anchor = if len == 7 * DAY { FIRST_MONDAY } else { 0 };
                (local - anchor).div_euclid(len) * len + anchor - tz_ms
            }
            Self::Month => {
                let (year, month, _) = civil_from_days(local.div_euclid(DAY));
                days_from_civil(year, month, 1) * DAY - tz_ms
            }
        }
    }

    /// Open time of the kline after the one opening at `open`.
    pub fn next_open(self, open: i64, tz_ms: i64) -> i64 {
        match self {
            Self::Fixed(len) => open + len,
            Self::Month => {
                let (year, month, _) = civil_from_days((open + tz_ms).div_euclid(DAY));
                let (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
                days_from_civil(year, month, 1) * DAY - tz_ms
            }
        }
    }

    /// Open time of the kline before the one opening at `open`.
    pub fn prev_open(self, open: i64, tz_ms: i64) -> i64 {
        self.open_of(open - 1, tz_ms)
    }
}

/// Parses `timeZone`: `0`, `8`, `-1:00`, `+05:45`; accepted range [-12:00, +14:00]. Returns ms east of UTC.
pub fn parse_time_zone(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, Some(m)),
        None => (rest, None),
    };
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    let hours = digits(hours, 2)?;
    let minutes = match minutes {
        Some(m) if m.len() == 2 => digits(m, 2)?,
        Some(_) => return None,
        None => 0,
    };
    if minutes >= 60 {
        return None;
    }
    let total = sign * (hours * 60 + minutes);
    (-12 * 60..=14 * 60).contains(&total).then_some(total * MINUTE)
}

/// What the synthetic trades of a window add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowStats {
    /// -1 when the window has no trade.
    pub first_id: i64,
    /// -1 when the window has no trade.
    pub last_id: i64,
    pub count: u64,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    pub volume: Decimal,
    pub quote_volume: Decimal,
    pub taker_buy_base: Decimal,
    pub taker_buy_quote: Decimal,
    /// Quantity of the last trade (0 without trades).
    pub last_qty: Decimal,
    /// Time of the last trade at or before the window end (ms).
    pub last_trade_time: i64,
    /// Price of the last trade before the window (the window's open when there is none).
    pub prev_close: Decimal,
}

impl WindowStats {
    /// Volume-weighted average price (0 without volume).
    pub fn weighted_avg_price(&self) -> Decimal {
        if self.volume.is_zero() {
            Decimal::ZERO
        } else {
            self.quote_volume / self.volume
        }
    }
}

/// Statistics of the trades with `start_ms <= time <= end_ms`. Windows of up to
/// [`EXACT_TRADES`] trades are exact; larger ones take open/close exactly and high/low, volumes
/// and taker share from `samples` evenly spaced trades, so they stay consistent
/// (`low <= open, close <= high`) and cost O(samples).
pub fn window_stats(market: &Market, inst: &Instrument, start_ms: i64, end_ms: i64, samples: u64) -> WindowStats {
    let before = market.last_trade_at_or_before(inst, start_ms - 1);
    let prev_close = before.map(|id| market.trade(inst, id).price);
    let first = market.first_trade_at_or_after(inst, start_ms);
    let last = market.last_trade_at_or_before(inst, end_ms);
    let last_trade_time = last.map_or(end_ms, |id| market.trade(inst, id).time);
    let Some(last) = last.filter(|&last| last >= first && end_ms >= start_ms) else {
        let price = prev_close.unwrap_or_else(|| market.best_bid(inst, start_ms.max(GENESIS_MS)));
        return WindowStats {
            first_id: -1,
            last_id: -1,
            count: 0,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ZERO,
            quote_volume: Decimal::ZERO,
            taker_buy_base: Decimal::ZERO,
            taker_buy_quote: Decimal::ZERO,
            last_qty: Decimal::ZERO,
            last_trade_time,
            prev_close: price,
        };
    };
    let count = last - first + 1;
    let first_trade = market.trade(inst, first);
    let last_trade = market.trade(inst, last);
    let exact = count <= EXACT_TRADES;
    let picks = if exact { count } else { samples.max(2) };
    let ids = (0..picks).map(|i| {
        if exact {
            first + i
        } else {
            first + (count - 1) * i / (picks - 1)
        }
    });
    let (mut high, mut low) = (
        first_trade.price.max(last_trade.price),
        first_trade.price.min(last_trade.price),
    );
    let (mut qty, mut quote, mut taker_qty, mut taker_quote) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for id in ids {
        let trade = market.trade(inst, id);
        high = high.max(trade.price);
        low = low.min(trade.price);
        let notional = trade.price * trade.qty;
        qty += trade.qty;
        quote += notional;
        if !trade.is_buyer_maker {
            taker_qty += trade.qty;
            taker_quote += notional;
        }
    }
    let (volume, quote_volume, taker_buy_base, taker_buy_quote) = if exact {
        (qty, quote, taker_qty, taker_quote)
    } else {
        let scale = Decimal::from(count) / Decimal::from(picks);
        let step = inst.step();
        (
            floor_to_step(qty * scale, step),
            (quote * scale).round_dp(8),
            floor_to_step(taker_qty * scale, step),
            (taker_quote * scale).round_dp(8),
        )
    };
    WindowStats {
        first_id: i64::try_from(first).unwrap_or(i64::MAX),
        last_id: i64::try_from(last).unwrap_or(i64::MAX),
        count,
        open: first_trade.price,
        high,
        low,
        close: last_trade.price,
        volume,
        quote_volume,
        taker_buy_base,
        taker_buy_quote,
        last_qty: last_trade.qty,
        last_trade_time,
        prev_close: prev_close.unwrap_or(first_trade.price),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    const JAN_2026: i64 = 1_767_225_600_000;

    #[test]
    fn sixteen_intervals() {
        let names = [
            "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
        ];
        assert!(names.iter().all(|n| Interval::parse(n).is_some()));
        assert_eq!(Interval::parse("1H"), None);
        assert_eq!(Interval::parse("2d"), None);
    }

    #[test]
    fn calendar_alignment() {
        let t = JAN_2026 + 40 * DAY + 5 * HOUR; // 2026-02-10T05:00Z, a Tuesday
        assert_eq!(Interval::Month.open_of(t, 0), JAN_2026 + 31 * DAY);
        assert_eq!(Interval::Month.next_open(JAN_2026 + 31 * DAY, 0), JAN_2026 + 59 * DAY);
        assert_eq!(Interval::Month.prev_open(JAN_2026, 0), JAN_2026 - 31 * DAY);
        let week = Interval::parse("1w").unwrap();
        assert_eq!(week.open_of(t, 0), JAN_2026 + 40 * DAY - DAY); // Monday 2026-02-09
        let day = Interval::parse("1d").unwrap();
        assert_eq!(day.open_of(t, 8 * HOUR), JAN_2026 + 40 * DAY - 8 * HOUR);
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_time_zone("0"), Some(0));
        assert_eq!(parse_time_zone("8"), Some(8 * HOUR));
        assert_eq!(parse_time_zone("-1:00"), Some(-HOUR));
        assert_eq!(parse_time_zone("05:45"), Some(5 * HOUR + 45 * MINUTE));
        assert_eq!(parse_time_zone("+14:00"), Some(14 * HOUR));
        assert_eq!(parse_time_zone("14:01"), None);
        assert_eq!(parse_time_zone("-13"), None);
        assert_eq!(parse_time_zone("abc"), None);
    }

    #[test]
    fn stats_are_consistent_exact_and_sampled() {
        let market = Market::new(11, default_symbols());
        let inst = market.instrument("BTCUSDT").unwrap();
        for (start, len) in [(JAN_2026, 10 * SECOND), (JAN_2026, HOUR), (JAN_2026, 30 * DAY)] {
            let s = window_stats(&market, inst, start, start + len - 1, 48);
            assert!(s.low <= s.open && s.open <= s.high);
            assert!(s.low <= s.close && s.close <= s.high);
            assert!(s.taker_buy_base <= s.volume && s.taker_buy_quote <= s.quote_volume);
            assert_eq!(s.count, (len / SECOND * 4) as u64);
            assert_eq!(s.last_id - s.first_id + 1, s.count as i64);
            let vwap = s.weighted_avg_price();
            assert!(vwap >= s.low && vwap <= s.high + inst.spec.price_filter.tick_size);
        }
    }
}
