//! binance-mcp: a safe MCP server for Binance Spot. Configuration, the gate's rules and the
//! human's approval, the order desk and its store, the memory folder, the tools (with their
//! background halves: cancel timers, user-data streams, the paper engine) and the MCP edge.
pub mod approval;
pub mod cli;
pub mod config;
pub mod desk;
pub mod guard;
pub mod memory;
pub mod paper_engine;
pub mod prompts;
pub mod remedy;
pub mod resources;
pub mod review;
pub mod server;
pub mod store;
pub mod tools;
