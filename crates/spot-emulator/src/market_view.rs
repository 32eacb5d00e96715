//! A read-only window on the seeded market for the emulator's users ([`MarketView`], from
//! [`super::EmulatorState::market`]): the best bid, the tick, the synthetic trades and
//! the book that the emulator shows at a server instant, by symbol. A test exchange lets its
//! user read its market, so a test can work out what an order should do from the market (its
//! input) instead of from the engine's code; nothing here can change the market or an account.

use rust_decimal::Decimal;

use super::market::{Book, Instrument, Market, Trade};

/// The seeded market, read-only. Every method takes a server time in ms since epoch (what
/// [`super::Clock::now_ms`] gives) and answers `None` for a symbol the emulator does not list.
#[derive(Debug, Clone, Copy)]
pub struct MarketView<'a> {
    market: &'a Market,
}

impl<'a> MarketView<'a> {
    pub(super) fn new(market: &'a Market) -> Self {
        Self { market }
    }

    fn instrument(&self, symbol: &str) -> Option<&'a Instrument> {
        self.market.instrument(symbol)
    }

    /// `PRICE_FILTER` `tickSize` of `symbol`.
    pub fn tick_size(&self, symbol: &str) -> Option<Decimal> {
        self.instrument(symbol).map(|inst| inst.spec.price_filter.tick_size)
    }

    /// Best bid of `symbol` at `t_ms`.
    pub fn best_bid(&self, symbol: &str, t_ms: i64) -> Option<Decimal> {
        self.instrument(symbol).map(|inst| self.market.best_bid(inst, t_ms))
    }

    /// Synthetic trade `id` of `symbol` (the `GET /api/v3/trades` row with that id).
    pub fn trade(&self, symbol: &str, id: u64) -> Option<Trade> {
        self.instrument(symbol).map(|inst| self.market.trade(inst, id))
    }

    /// Id of the first trade of `symbol` at or after `t_ms`.
    pub fn first_trade_at_or_after(&self, symbol: &str, t_ms: i64) -> Option<u64> {
        self.instrument(symbol)
            .map(|inst| self.market.first_trade_at_or_after(inst, t_ms))
    }

    /// Id of the last trade of `symbol` at or before `t_ms` (`None` also before the first trade).
    pub fn last_trade_at_or_before(&self, symbol: &str, t_ms: i64) -> Option<u64> {
        self.instrument(symbol)
            .and_then(|inst| self.market.last_trade_at_or_before(inst, t_ms))
    }

    /// The order book of `symbol` at `t_ms`, `limit` levels per side (`GET /api/v3/depth`).
    pub fn book(&self, symbol: &str, t_ms: i64, limit: usize) -> Option<Book> {
        self.instrument(symbol).map(|inst| self.market.book(inst, t_ms, limit))
    }
}
