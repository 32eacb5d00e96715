//! The Binance Spot REST client. Nothing in here knows about MCP.
pub mod alert;
pub mod circuit;
pub mod client;
pub mod clock;
pub mod error;
pub mod governor;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod sign;
pub mod trade;
pub mod transport;
pub mod waf;
pub mod ws_api;

pub use alert::{Alert, AlertKind, AlertLevel, AlertRecorder, Alerts};
pub use client::{
    BinanceClient, HistoryQuery, KlineQuery, OrderListRef, OrderRef, RequestObserver, SignedRequestRecord, Usage,
};
pub use error::{BinanceError, Unavailable};
pub use trade::TradeClient;
pub use transport::Resilience;
