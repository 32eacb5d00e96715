//! The subcommands of `binance-mcp`, one file per family: `serve` (MCP over stdio, the
//! emulator), `call` (one tool call from the shell), `doctor`, `kill_switch` (halt, resume) and
//! `memory` (the memory folder and the journal). Here only the logging they share.
//!
//! Logs go to stderr; `serve` writes JSON-RPC on stdout and nothing else there.

mod call;
mod doctor;
mod kill_switch;
mod memory;
mod serve;

pub use call::*;
pub use doctor::*;
pub use kill_switch::*;
pub use memory::*;
pub use serve::*;

/// Logs go to stderr, never stdout (stdout is the JSON-RPC channel).
pub fn init_logging(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}
