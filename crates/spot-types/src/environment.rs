//! Binance Spot environments: which exchange an argument names, and where Binance serves it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Production REST base.
pub const PRODUCTION_BASE_URL: &str = "https://api.binance.com";
/// Spot testnet REST base.
pub const TESTNET_BASE_URL: &str = "https://testnet.binance.vision";
/// Demo-mode REST base.
pub const DEMO_BASE_URL: &str = "https://demo-api.binance.com";
/// Binance's WebSocket API and market stream hosts (reference §1.2–1.4).
pub const PRODUCTION_WS_API_URL: &str = "wss://ws-api.binance.com:443/ws-api/v3";
pub const TESTNET_WS_API_URL: &str = "wss://ws-api.testnet.binance.vision/ws-api/v3";
pub const DEMO_WS_API_URL: &str = "wss://demo-ws-api.binance.com/ws-api/v3";
pub const PRODUCTION_STREAM_URL: &str = "wss://stream.binance.com:9443";
pub const TESTNET_STREAM_URL: &str = "wss://stream.testnet.binance.vision";
pub const DEMO_STREAM_URL: &str = "wss://demo-stream.binance.com:9443";

/// One of the three Binance Spot environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Environment {
    /// Real money. Signed calls go through the safety gate.
    Production,
    /// Spot testnet: fake funds, its own (unreal) order books.
    Testnet,
    /// Demo mode: fake funds, live-like market data.
    Demo,
}

impl Environment {
    /// All environments, in the order they are reported.
    pub const ALL: [Environment; 3] = [Environment::Production, Environment::Testnet, Environment::Demo];

    /// The lowercase name used in arguments and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Testnet => "testnet",
            Environment::Demo => "demo",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_BASE_URL,
            Environment::Testnet => TESTNET_BASE_URL,
            Environment::Demo => DEMO_BASE_URL,
        }
    }

    pub fn default_ws_api_url(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_WS_API_URL,
            Environment::Testnet => TESTNET_WS_API_URL,
            Environment::Demo => DEMO_WS_API_URL,
        }
    }

    pub fn default_stream_url(self) -> &'static str {
        match self {
            Environment::Production => PRODUCTION_STREAM_URL,
            Environment::Testnet => TESTNET_STREAM_URL,
            Environment::Demo => DEMO_STREAM_URL,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
