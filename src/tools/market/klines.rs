//! `market_klines` and `market_avg_price`: candles of one symbol (the latest listed, a summary
//! over all fetched) and Binance's average price.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MAX_KLINES, bounded, market_env};
use crate::config::Environment;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use spot_client::KlineQuery;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_names_round_trip() {
        let i: Interval = serde_json::from_str("\"1M\"").expect("month");
        assert_eq!(i, Interval::Mo1);
        let i: Interval = serde_json::from_str("\"1m\"").expect("minute");
        assert_eq!(i.as_str(), "1m");
        assert!(serde_json::from_str::<Interval>("\"2m\"").is_err());
    }
}
