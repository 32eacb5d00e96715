//! The Binance Spot API as a library: REST and WebSocket API clients, HMAC and Ed25519 signing,
//! the clock, the weight governor, the circuit, and errors with codes and hints. Nothing in here
//! knows about MCP or the memory folder: alerts and signed-request records leave through
//! [`Alerts`] and [`RequestObserver`], and the caller decides where they go.
pub mod alert;
pub mod circuit;
pub mod client;
pub mod clock;
pub mod endpoint;
pub mod error;
pub mod governor;
pub mod limits;
pub mod metrics;
pub mod resilience;
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
