//! Where one Binance environment lives (REST, WebSocket API, market streams) and how to sign
//! for it: what a client needs, whoever read it from where.

use spot_types::Environment;

use crate::sign::Credentials;

/// Where one environment lives and how to sign for it.
#[derive(Clone, Debug)]
pub struct EnvironmentConfig {
    pub environment: Environment,
    /// REST base URL without a trailing slash, e.g. `https://api.binance.com`.
    pub base_url: String,
    /// WebSocket API URL, e.g. `wss://ws-api.binance.com:443/ws-api/v3`.
    pub ws_api_url: String,
    /// Market streams base URL without a trailing slash, e.g. `wss://stream.binance.com:9443`.
    pub stream_url: String,
    /// `None` when the key, or both the secret and the private key file, are not set.
    pub credentials: Option<Credentials>,
    /// True when only one of key and secret (or private key file) is set: reported, never
    /// guessed around.
    pub credentials_incomplete: bool,
    /// What the owner sets to give this environment credentials, named in the error a signed
    /// call without them returns.
    pub credential_names: CredentialNames,
    /// False when the owner switched the environment off (for binance-mcp: production under
    /// `BINANCE_TESTNET=1`).
    pub enabled: bool,
}

/// How the owner of a client names an environment's credentials where they set them (for
/// binance-mcp, environment variables), so a missing key is reported in the owner's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialNames {
    pub api_key: &'static str,
    pub api_secret: &'static str,
    /// The PKCS#8 PEM file of an Ed25519 private key, used instead of `api_secret`.
    pub private_key_path: &'static str,
}

/// The WebSocket API and market stream URLs of one environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSocketUrls {
    pub ws_api: String,
    pub streams: String,
}

impl WebSocketUrls {
    /// Binance's own URLs for `env`.
    pub fn default_for(env: Environment) -> WebSocketUrls {
        WebSocketUrls {
            ws_api: env.default_ws_api_url().to_owned(),
            streams: env.default_stream_url().to_owned(),
        }
    }

    /// The URLs served beside a REST base URL, as the emulator serves them:
    /// `http://host:port` → `ws://host:port/ws-api/v3` and `ws://host:port`.
    pub fn beside(base_url: &str) -> WebSocketUrls {
        let root = base_url.trim_end_matches('/');
        let root = match root.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", root.strip_prefix("http://").unwrap_or(root)),
        };
        WebSocketUrls {
            ws_api: format!("{root}/ws-api/v3"),
            streams: root,
        }
    }
}

impl EnvironmentConfig {
    /// Points the environment at another exchange (the embedded emulator): REST and WebSockets.
    pub fn point_at(&mut self, base_url: &str) {
        let urls = WebSocketUrls::beside(base_url);
        self.base_url = base_url.trim_end_matches('/').to_owned();
        self.ws_api_url = urls.ws_api;
        self.stream_url = urls.streams;
    }
}
