//! binance-mcp: a safe MCP server for Binance Spot, and the local exchange emulator it is tested against.
pub mod binance;
pub mod config;
pub mod emulator;
pub mod filters;
pub mod server;
pub mod tools;
