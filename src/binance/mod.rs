//! The Binance Spot REST client. Nothing in here knows about MCP.
pub mod client;
pub mod clock;
pub mod error;
pub mod model;
pub mod sign;

pub use client::{BinanceClient, HistoryQuery, KlineQuery, OrderRef, RequestObserver, SignedRequestRecord, Usage};
pub use error::BinanceError;
