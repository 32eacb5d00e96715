//! `market_order_book` and `market_recent_trades`: one symbol's depth and its latest trades,
//! listed up to a cap, with totals, spread and VWAP over everything fetched.

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MAX_BOOK_LEVELS, MAX_TRADES, bounded, market_env};
use crate::config::Environment;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use spot_types::model::Trade;

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
