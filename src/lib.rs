//! binance-mcp: a safe MCP server for Binance Spot, and the local exchange emulator it is tested against.
pub mod approval;
pub mod cli;
pub mod config;
pub mod desk;
pub mod guard;
pub mod memory;
pub mod paper;
pub mod prompts;
pub mod resources;
pub mod review;
pub mod server;
pub mod store;
pub mod timers;
pub mod tools;
pub mod user_stream;
