//! The Binance Spot vocabulary shared by the client, the filters and the server: environments,
//! orders and their reports, symbols and their filters, decimal-string serde. No I/O.

pub mod environment;
pub mod filter;
pub mod model;
pub mod time;

pub use environment::Environment;
pub use filter::SymbolFilter;
