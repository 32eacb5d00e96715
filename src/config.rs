//! Configuration: every environment variable the server reads, in one place.
//!
//! Nothing else in the crate reads the process environment; everything receives a [`Config`].

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use zeroize::Zeroizing;

pub use spot_client::endpoint::{CredentialNames, EnvironmentConfig, WebSocketUrls};
use spot_client::sign::Credentials;
pub use spot_types::Environment;
pub use spot_types::environment::*;

/// Default `recvWindow` in milliseconds.
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
/// Binance rejects a larger `recvWindow`.
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;
/// Default HTTP request timeout in milliseconds.
pub const DEFAULT_HTTP_TIMEOUT_MS: u64 = 10_000;
/// Default timeout of establishing a connection, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = spot_client::transport::DEFAULT_CONNECT_TIMEOUT_MS;
/// Default cool-down of an open circuit breaker, in milliseconds.
pub const DEFAULT_CIRCUIT_COOLDOWN_MS: u64 = 30_000;

/// Every tool group the server can register (`BINANCE_TOOLSETS`).
pub const TOOLSETS: &[&str] = &["market", "test_order", "order", "account", "memory", "diagnostics"];

/// Names of the variables that hold this environment's key, secret or private key file, and base URL.
pub fn variables(env: Environment) -> EnvironmentVariables {
    match env {
        Environment::Production => EnvironmentVariables {
            api_key: "BINANCE_API_KEY",
            api_secret: "BINANCE_API_SECRET",
            private_key_path: "BINANCE_PRIVATE_KEY_PATH",
            base_url: "BINANCE_BASE_URL",
            ws_api_url: "BINANCE_WS_API_URL",
            stream_url: "BINANCE_STREAM_URL",
        },
        Environment::Testnet => EnvironmentVariables {
            api_key: "BINANCE_TESTNET_API_KEY",
            api_secret: "BINANCE_TESTNET_API_SECRET",
            private_key_path: "BINANCE_TESTNET_PRIVATE_KEY_PATH",
            base_url: "BINANCE_TESTNET_BASE_URL",
            ws_api_url: "BINANCE_TESTNET_WS_API_URL",
            stream_url: "BINANCE_TESTNET_STREAM_URL",
        },
        Environment::Demo => EnvironmentVariables {
            api_key: "BINANCE_DEMO_API_KEY",
            api_secret: "BINANCE_DEMO_API_SECRET",
            private_key_path: "BINANCE_DEMO_PRIVATE_KEY_PATH",
            base_url: "BINANCE_DEMO_BASE_URL",
            ws_api_url: "BINANCE_DEMO_WS_API_URL",
            stream_url: "BINANCE_DEMO_STREAM_URL",
        },
    }
}

/// The variables a missing key is reported by, in the client's terms.
pub fn credential_names(env: Environment) -> CredentialNames {
    let vars = variables(env);
    CredentialNames {
        api_key: vars.api_key,
        api_secret: vars.api_secret,
        private_key_path: vars.private_key_path,
    }
}

/// The variable names for one environment.
#[derive(Clone, Copy, Debug)]
pub struct EnvironmentVariables {
    pub api_key: &'static str,
    pub api_secret: &'static str,
    /// PKCS#8 PEM file of an Ed25519 private key, used instead of `api_secret`.
    pub private_key_path: &'static str,
    pub base_url: &'static str,
    /// WebSocket API URL (user-data events).
    pub ws_api_url: &'static str,
    /// Market streams base URL (`/ws/<stream>` and `/stream?streams=` are appended).
    pub stream_url: &'static str,
}

/// The whole configuration of one server process.
#[derive(Clone, Debug)]
pub struct Config {
    pub production: EnvironmentConfig,
    pub testnet: EnvironmentConfig,
    pub demo: EnvironmentConfig,
    /// `recvWindow` for signed requests, in ms.
    pub recv_window_ms: u64,
    /// Timeout of one HTTP request, in ms.
    pub http_timeout_ms: u64,
    /// `BINANCE_CONNECT_TIMEOUT_MS`: timeout of establishing a connection, in ms.
    pub connect_timeout_ms: u64,
    /// `BINANCE_CIRCUIT_COOLDOWN_MS`: how long requests to an environment are refused after 5
    /// transport failures or 5XX in a row, in ms.
    pub circuit_cooldown_ms: u64,
    /// The memory folder (`BINANCE_HOME`, else `~/binance`).
    pub home: PathBuf,
    /// `BINANCE_READ_ONLY=1`: register no tool that is not read-only.
    pub read_only: bool,
    /// `BINANCE_USER_STREAM` (default on): keep a user-data subscription per environment with keys.
    pub user_stream: bool,
    /// `BINANCE_TOOLSETS`: the tool groups to register.
    pub toolsets: Vec<String>,
    /// `BINANCE_TESTNET=1`: the unprefixed keys are testnet keys and production is disabled.
    pub testnet_compat: bool,
    /// Set by `serve --emulator`: every environment points at the embedded exchange.
    pub emulated: bool,
    /// `BINANCE_PRODUCTION_APPROVAL`: when the human must approve a production write in the client.
    pub production_approval: ProductionApproval,
    /// `BINANCE_TRADE_MODE`: live orders, or paper fills recorded in the ledger.
    pub trade_mode: TradeMode,
    /// `BINANCE_PAPER_BALANCE`: what each environment's paper account starts with (the first
    /// time paper mode uses it), per asset; 10000 USDT when unset.
    pub paper_balance: Vec<(String, rust_decimal::Decimal)>,
    /// `BINANCE_SNAPSHOT_MAX_AGE_SECS`: a filters snapshot younger than this serves as the
    /// exchangeInfo cache after a restart (0 disables).
    pub snapshot_max_age_secs: u64,
    /// Every variable this configuration asked for: `doctor` reports the `BINANCE_*` ones set in
    /// the environment that are not among them (a misspelling is otherwise silently ignored).
    pub variables_read: std::collections::BTreeSet<String>,
    /// The variables among them that were set (non-empty): what the human chose, as opposed to
    /// defaults (`server_status` tells the agent what is still unset).
    pub variables_set: std::collections::BTreeSet<String>,
}

/// Default of `BINANCE_SNAPSHOT_MAX_AGE_SECS`.
pub const DEFAULT_SNAPSHOT_MAX_AGE_SECS: u64 = 900;

/// How a production write is approved (`BINANCE_PRODUCTION_APPROVAL`). Every policy also needs
/// `confirm_production: true`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ProductionApproval {
    /// Orders and order lists: the human approves the exact order when the client can ask them
    /// (elicitation); when it cannot, `confirm_production: true` stands alone (default).
    Auto,
    /// Every production write (orders, lists, cancels, amends) needs the human's yes in the
    /// client; refused when the client cannot ask.
    Required,
    /// Like `required`, and the human types the action and symbol (e.g. `BUY BTCUSDT`) instead of
    /// ticking a box.
    Typed,
}

impl ProductionApproval {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductionApproval::Auto => "auto",
            ProductionApproval::Required => "required",
            ProductionApproval::Typed => "typed",
        }
    }
}

/// Whether orders are sent (`BINANCE_TRADE_MODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum TradeMode {
    /// Orders are sent to Binance (default).
    Live,
    /// Orders are validated and tested for real, then filled on paper in the store.
    Paper,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}={value:?} is not valid: {reason}")]
    Invalid {
        variable: &'static str,
        value: String,
        reason: String,
    },
}

impl Config {
    /// The clients' resilience: rate-limit state shared in the memory folder, timeouts and
    /// cool-down from the configuration.
    pub fn resilience(&self) -> spot_client::Resilience {
        spot_client::Resilience {
            state_dir: Some(self.home.clone()),
            connect_timeout: std::time::Duration::from_millis(self.connect_timeout_ms),
            circuit_cooldown: std::time::Duration::from_millis(self.circuit_cooldown_ms),
            ..spot_client::Resilience::default()
        }
    }
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a configuration from any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let set = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let get = |name: &str| {
            asked.borrow_mut().insert(name.to_owned());
            let value = lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            if value.is_some() {
                set.borrow_mut().insert(name.to_owned());
            }
            value
        };
        // The seeds' name for paper mode: refused with the right name rather than ignored, so
        // nobody believes they are on paper while orders go to the exchange.
        if let Some(value) = lookup("TRADE_MODE").filter(|v| !v.trim().is_empty()) {
            return Err(ConfigError::Invalid {
                variable: "TRADE_MODE",
                value,
                reason: "binance-mcp reads BINANCE_TRADE_MODE (live or paper); set that instead and unset TRADE_MODE"
                    .into(),
            });
        }
        let testnet_compat = parse_flag(get("BINANCE_TESTNET").as_deref(), "BINANCE_TESTNET")?;

        let environment = |env: Environment| -> Result<EnvironmentConfig, ConfigError> {
            let vars = variables(env);
            let custom_base_url = get(vars.base_url)
                .map(|url| validate_base_url(vars.base_url, &url))
                .transpose()?;
            if let Some(url) = &custom_base_url {
                check_destination(env, vars.base_url, url, env.default_base_url())?;
            }
            // A REST base URL of one's own (an emulator, a proxy) moves the WebSockets with it
            // unless they are set too: events must come from the exchange the orders go to.
            let (base_url, derived) = match custom_base_url {
                Some(url) => {
                    let derived = WebSocketUrls::beside(&url);
                    (url, derived)
                }
                None => (env.default_base_url().to_owned(), WebSocketUrls::default_for(env)),
            };
            let ws_api_url = match get(vars.ws_api_url) {
                Some(url) => {
                    let url = validate_ws_url(vars.ws_api_url, &url)?;
                    check_destination(env, vars.ws_api_url, &url, env.default_ws_api_url())?;
                    url
                }
                None => derived.ws_api,
            };
            let stream_url = match get(vars.stream_url) {
                Some(url) => {
                    let url = validate_ws_url(vars.stream_url, &url)?;
                    check_destination(env, vars.stream_url, &url, env.default_stream_url())?;
                    url
                }
                None => derived.streams,
            };
            let (mut key, mut secret) = (get(vars.api_key), get(vars.api_secret));
            let mut key_path = get(vars.private_key_path).map(|p| (vars.private_key_path, p));
            if testnet_compat && env == Environment::Testnet && key.is_none() && secret.is_none() && key_path.is_none()
            {
                // The skill's convention: with BINANCE_TESTNET=1 the plain keys are testnet keys.
                let plain = variables(Environment::Production);
                key = get(plain.api_key);
                secret = get(plain.api_secret);
                key_path = get(plain.private_key_path).map(|p| (plain.private_key_path, p));
            }
            if testnet_compat && env == Environment::Production {
                key = None;
                secret = None;
                key_path = None;
            }
            if let (Some(_), Some((variable, path))) = (&secret, &key_path) {
                let secret_var = if *variable == vars.private_key_path {
                    vars.api_secret
                } else {
                    "BINANCE_API_SECRET"
                };
                return Err(ConfigError::Invalid {
                    variable,
                    value: path.clone(),
                    reason: format!("{secret_var} is also set; set an HMAC secret or an Ed25519 key file, not both"),
                });
            }
            let signer_set = secret.is_some() || key_path.is_some();
            let credentials_incomplete = key.is_some() != signer_set;
            let credentials = match (key, secret, key_path) {
                (Some(k), Some(s), _) => Some(Credentials::new(k, s)),
                (Some(k), None, Some((variable, path))) => Some(read_ed25519_key(k, variable, &path)?),
                _ => None,
            };
            Ok(EnvironmentConfig {
                environment: env,
                base_url,
                ws_api_url,
                stream_url,
                credentials,
                credentials_incomplete,
                credential_names: credential_names(env),
                enabled: !(testnet_compat && env == Environment::Production),
            })
        };

        let recv_window_ms = match get("BINANCE_RECV_WINDOW") {
            None => DEFAULT_RECV_WINDOW_MS,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if (1..=MAX_RECV_WINDOW_MS).contains(&ms) => ms,
                _ => {
                    return Err(ConfigError::Invalid {
                        variable: "BINANCE_RECV_WINDOW",
                        value: v,
                        reason: format!("expected whole milliseconds from 1 to {MAX_RECV_WINDOW_MS}"),
                    });
                }
            },
        };
        let http_timeout_ms = match get("BINANCE_HTTP_TIMEOUT_MS") {
            None => DEFAULT_HTTP_TIMEOUT_MS,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if (100..=120_000).contains(&ms) => ms,
                _ => {
                    return Err(ConfigError::Invalid {
                        variable: "BINANCE_HTTP_TIMEOUT_MS",
                        value: v,
                        reason: "expected milliseconds from 100 to 120000".into(),
                    });
                }
            },
        };
        let connect_timeout_ms = parse_ms(
            get("BINANCE_CONNECT_TIMEOUT_MS"),
            "BINANCE_CONNECT_TIMEOUT_MS",
            DEFAULT_CONNECT_TIMEOUT_MS,
            100..=60_000,
        )?;
        let circuit_cooldown_ms = parse_ms(
            get("BINANCE_CIRCUIT_COOLDOWN_MS"),
            "BINANCE_CIRCUIT_COOLDOWN_MS",
            DEFAULT_CIRCUIT_COOLDOWN_MS,
            100..=3_600_000,
        )?;
        let home = match get("BINANCE_HOME") {
            Some(path) => PathBuf::from(path),
            None => directories::BaseDirs::new()
                .map(|dirs| dirs.home_dir().join("binance"))
                .unwrap_or_else(|| PathBuf::from("binance")),
        };
        let read_only = parse_flag(get("BINANCE_READ_ONLY").as_deref(), "BINANCE_READ_ONLY")?;
        let user_stream = match get("BINANCE_USER_STREAM") {
            None => true,
            Some(v) => parse_flag(Some(&v), "BINANCE_USER_STREAM")?,
        };
        let toolsets = match get("BINANCE_TOOLSETS") {
            None => TOOLSETS.iter().map(|s| s.to_string()).collect(),
            Some(list) => parse_toolsets(&list)?,
        };

        if let Some(value) = get("BINANCE_CONFIRM") {
            // Removed: it could switch the human's approval off, so it must not be silently ignored.
            return Err(ConfigError::Invalid {
                variable: "BINANCE_CONFIRM",
                value,
                reason: "BINANCE_CONFIRM was replaced by BINANCE_PRODUCTION_APPROVAL (auto, required or typed); \
                         unset BINANCE_CONFIRM and set BINANCE_PRODUCTION_APPROVAL instead"
                    .into(),
            });
        }
        let production_approval = match get("BINANCE_PRODUCTION_APPROVAL")
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("auto") => ProductionApproval::Auto,
            Some("required") => ProductionApproval::Required,
            Some("typed") => ProductionApproval::Typed,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    variable: "BINANCE_PRODUCTION_APPROVAL",
                    value: other.to_owned(),
                    reason: "expected auto, required or typed".into(),
                });
            }
        };
        let trade_mode = match get("BINANCE_TRADE_MODE").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("live") => TradeMode::Live,
            Some("paper") => TradeMode::Paper,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    variable: "BINANCE_TRADE_MODE",
                    value: other.to_owned(),
                    reason: "expected live or paper".into(),
                });
            }
        };

        let paper_balance = match get("BINANCE_PAPER_BALANCE") {
            None => vec![("USDT".to_owned(), rust_decimal::Decimal::from(DEFAULT_PAPER_USDT))],
            Some(v) => parse_paper_balance(&v)?,
        };

        let snapshot_max_age_secs = match get("BINANCE_SNAPSHOT_MAX_AGE_SECS") {
            None => DEFAULT_SNAPSHOT_MAX_AGE_SECS,
            Some(v) => v.parse::<u64>().map_err(|_| ConfigError::Invalid {
                variable: "BINANCE_SNAPSHOT_MAX_AGE_SECS",
                value: v.clone(),
                reason: "expected whole seconds (0 disables)".into(),
            })?,
        };

        Ok(Config {
            production: environment(Environment::Production)?,
            testnet: environment(Environment::Testnet)?,
            demo: environment(Environment::Demo)?,
            recv_window_ms,
            http_timeout_ms,
            connect_timeout_ms,
            circuit_cooldown_ms,
            home,
            read_only,
            user_stream,
            toolsets,
            testnet_compat,
            emulated: false,
            production_approval,
            trade_mode,
            paper_balance,
            snapshot_max_age_secs,
            variables_read: asked.borrow().clone(),
            variables_set: set.borrow().clone(),
        })
    }

    /// The configuration of one environment.
    pub fn environment(&self, env: Environment) -> &EnvironmentConfig {
        match env {
            Environment::Production => &self.production,
            Environment::Testnet => &self.testnet,
            Environment::Demo => &self.demo,
        }
    }

    /// Mutable access, used by `serve --emulator` to point environments at the embedded exchange.
    pub fn environment_mut(&mut self, env: Environment) -> &mut EnvironmentConfig {
        match env {
            Environment::Production => &mut self.production,
            Environment::Testnet => &mut self.testnet,
            Environment::Demo => &mut self.demo,
        }
    }

    /// Whether a tool group is registered.
    pub fn toolset_enabled(&self, group: &str) -> bool {
        self.toolsets.iter().any(|t| t == group)
    }
}

/// An Ed25519 credential from the PKCS#8 PEM file at `path` (named by `variable` in errors).
/// The file's text is zeroed once parsed and never appears in an error.
fn read_ed25519_key(api_key: String, variable: &'static str, path: &str) -> Result<Credentials, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        variable,
        value: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| invalid(format!("cannot read the private key file: {e}")))?;
    let text = std::str::from_utf8(&pem).map_err(|_| invalid("not a PEM text file".into()))?;
    Credentials::ed25519_from_pem(api_key, text).map_err(|e| invalid(e.to_string()))
}

/// What a paper account starts with when `BINANCE_PAPER_BALANCE` is unset: this many USDT.
pub const DEFAULT_PAPER_USDT: u32 = 10_000;

/// `BINANCE_PAPER_BALANCE`: `ASSET:AMOUNT` pairs separated by commas, e.g. `USDT:5000,BTC:0.1`.
fn parse_paper_balance(value: &str) -> Result<Vec<(String, rust_decimal::Decimal)>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        variable: "BINANCE_PAPER_BALANCE",
        value: value.to_owned(),
        reason,
    };
    let mut out: Vec<(String, rust_decimal::Decimal)> = Vec::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (asset, amount) = pair
            .split_once(':')
            .ok_or_else(|| invalid(format!("{pair:?} is not ASSET:AMOUNT (e.g. USDT:5000,BTC:0.1)")))?;
        let asset = asset.trim().to_ascii_uppercase();
        if asset.is_empty() || asset.len() > 20 || !asset.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid(format!("{asset:?} is not an asset name")));
        }
        let amount: rust_decimal::Decimal = amount
            .trim()
            .parse()
            .ok()
            .filter(|a: &rust_decimal::Decimal| !a.is_sign_negative())
            .ok_or_else(|| invalid(format!("{:?} is not a plain amount of at least 0", amount.trim())))?;
        if out.iter().any(|(a, _)| *a == asset) {
            return Err(invalid(format!("{asset} is given twice")));
        }
        out.push((asset, amount));
    }
    Ok(out)
}

/// Whole milliseconds within `range`, or the default when unset.
fn parse_ms(
    value: Option<String>,
    variable: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(v) = value else { return Ok(default) };
    match v.parse::<u64>() {
        Ok(ms) if range.contains(&ms) => Ok(ms),
        _ => Err(ConfigError::Invalid {
            variable,
            reason: format!("expected milliseconds from {} to {}", range.start(), range.end()),
            value: v,
        }),
    }
}

fn parse_flag(value: Option<&str>, variable: &'static str) -> Result<bool, ConfigError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("0") | Some("false") | Some("no") | Some("off") => Ok(false),
        Some("1") | Some("true") | Some("yes") | Some("on") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            variable,
            value: other.to_owned(),
            reason: "expected 1/0, true/false, yes/no or on/off".into(),
        }),
    }
}

fn parse_toolsets(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut groups = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let name = name.to_ascii_lowercase().replace('-', "_");
        if !TOOLSETS.contains(&name.as_str()) {
            return Err(ConfigError::Invalid {
                variable: "BINANCE_TOOLSETS",
                value: list.to_owned(),
                reason: format!("unknown group {name:?}; known groups: {}", TOOLSETS.join(", ")),
            });
        }
        if !groups.contains(&name) {
            groups.push(name);
        }
    }
    Ok(groups)
}

fn validate_ws_url(variable: &'static str, url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| ConfigError::Invalid {
        variable,
        value: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(ConfigError::Invalid {
            variable,
            value: url.to_owned(),
            reason: "expected a ws:// or wss:// URL".into(),
        });
    }
    Ok(trimmed.to_owned())
}

/// Demo mode lives on `binance.com` but holds fake funds.
const DEMO_HOSTS: [&str; 3] = [
    "demo-api.binance.com",
    "demo-ws-api.binance.com",
    "demo-stream.binance.com",
];
/// Production market-data hosts outside `binance.com`: the real market, not an environment of
/// fake funds.
const PRODUCTION_VISION_HOSTS: [&str; 2] = ["data-api.binance.vision", "data-stream.binance.vision"];

/// Whether `host` is one of Binance's production hosts: `binance.com` or any host under it
/// (api, api1-4, api-gcp, ws-api, stream ...) other than demo mode's, and the production
/// market-data hosts on `binance.vision`. Judged on the name only; nothing is contacted.
pub fn is_production_binance_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if DEMO_HOSTS.contains(&host.as_str()) {
        return false;
    }
    host == "binance.com" || host.ends_with(".binance.com") || PRODUCTION_VISION_HOSTS.contains(&host.as_str())
}

/// Whether `host` (as in a URL, IPv6 in brackets) is this machine: 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses a URL that would send one environment's keys where they must never go: a testnet or
/// demo URL on a production Binance host (fake-money keys becoming real-money calls), or a
/// production URL over plain `http://`/`ws://` to anything but loopback (real keys and orders
/// readable on the way). `url` has been parsed already; `default` is what unsetting gives.
fn check_destination(env: Environment, variable: &'static str, url: &str, default: &str) -> Result<(), ConfigError> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Ok(());
    };
    let host = parsed.host_str().unwrap_or_default();
    let refuse = |reason: String| ConfigError::Invalid {
        variable,
        value: url.to_owned(),
        reason,
    };
    if env != Environment::Production && is_production_binance_host(host) {
        let production = variables(Environment::Production);
        return Err(refuse(format!(
            "{host} is a Binance production host (real money), and {variable} configures {env}: \
             {env} keys must never become real-money calls. Unset {variable} to use {default}, or \
             point it at a {env} host or a local emulator. Real-money trading is configured with \
             {} and {} instead.",
            production.base_url, production.api_key
        )));
    }
    if env == Environment::Production && matches!(parsed.scheme(), "http" | "ws") && !is_loopback_host(host) {
        return Err(refuse(format!(
            "production keys and orders would travel unencrypted over {}:// to {host}. Use an \
             https:// or wss:// URL (unset {variable} for {default}); plain {}:// is only accepted \
             on loopback (127.0.0.1, ::1, localhost), e.g. for a local emulator.",
            parsed.scheme(),
            parsed.scheme()
        )));
    }
    Ok(())
}

fn validate_base_url(variable: &'static str, url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| ConfigError::Invalid {
        variable,
        value: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid {
            variable,
            value: url.to_owned(),
            reason: "expected an http:// or https:// URL".into(),
        });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(move |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_point_at_the_real_hosts_without_keys() {
        let c = config(&[("BINANCE_HOME", "/tmp/x")]).expect("config");
        assert_eq!(c.production.base_url, "https://api.binance.com");
        assert_eq!(c.testnet.base_url, "https://testnet.binance.vision");
        assert_eq!(c.demo.base_url, "https://demo-api.binance.com");
        assert!(c.production.credentials.is_none());
        assert_eq!(c.recv_window_ms, 5000);
        assert_eq!((c.connect_timeout_ms, c.circuit_cooldown_ms), (5000, 30_000));
        assert!(!c.read_only);
        assert!(c.toolset_enabled("market"));
    }

    #[test]
    fn testnet_flag_moves_plain_keys_to_testnet_and_disables_production() {
        let c = config(&[
            ("BINANCE_TESTNET", "1"),
            ("BINANCE_API_KEY", "k"),
            ("BINANCE_API_SECRET", "s"),
        ])
        .expect("config");
        assert!(c.testnet.credentials.is_some());
        assert!(c.production.credentials.is_none());
        assert!(!c.production.enabled);
    }

    #[test]
    fn half_a_credential_is_reported_not_used() {
        let c = config(&[("BINANCE_DEMO_API_KEY", "k")]).expect("config");
        assert!(c.demo.credentials.is_none());
        assert!(c.demo.credentials_incomplete);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("BINANCE_RECV_WINDOW", "70000")]).expect_err("too large");
        assert!(err.to_string().contains("BINANCE_RECV_WINDOW"));
        let err = config(&[("BINANCE_TOOLSETS", "market,trading")]).expect_err("unknown group");
        assert!(err.to_string().contains("trading"));
        let err = config(&[("BINANCE_CIRCUIT_COOLDOWN_MS", "5")]).expect_err("too short");
        assert!(err.to_string().contains("BINANCE_CIRCUIT_COOLDOWN_MS"));
        let err = config(&[("BINANCE_CONNECT_TIMEOUT_MS", "soon")]).expect_err("not a number");
        assert!(err.to_string().contains("BINANCE_CONNECT_TIMEOUT_MS"));
        let err = config(&[("BINANCE_TESTNET_BASE_URL", "ftp://x")]).expect_err("scheme");
        assert!(err.to_string().contains("BINANCE_TESTNET_BASE_URL"));
    }

    #[test]
    fn websockets_follow_a_custom_base_url_unless_set() {
        let c = config(&[]).expect("config");
        assert_eq!(c.production.ws_api_url, "wss://ws-api.binance.com:443/ws-api/v3");
        assert_eq!(c.testnet.stream_url, "wss://stream.testnet.binance.vision");
        let c = config(&[
            ("BINANCE_TESTNET_BASE_URL", "http://127.0.0.1:9/"),
            ("BINANCE_DEMO_BASE_URL", "https://proxy.example"),
            ("BINANCE_DEMO_STREAM_URL", "wss://streams.example/"),
        ])
        .expect("config");
        assert_eq!(c.testnet.ws_api_url, "ws://127.0.0.1:9/ws-api/v3");
        assert_eq!(c.testnet.stream_url, "ws://127.0.0.1:9");
        assert_eq!(c.demo.ws_api_url, "wss://proxy.example/ws-api/v3");
        assert_eq!(c.demo.stream_url, "wss://streams.example");
        let err = config(&[("BINANCE_WS_API_URL", "https://x")]).expect_err("scheme");
        assert!(err.to_string().contains("BINANCE_WS_API_URL"), "{err}");
        let off = config(&[("BINANCE_USER_STREAM", "0")]).expect("config");
        assert!(!off.user_stream && c.user_stream);
    }

    #[test]
    fn hosts_are_judged_by_name() {
        let production = [
            "api.binance.com",
            "api1.binance.com",
            "api4.binance.com",
            "api-gcp.binance.com",
            "ws-api.binance.com",
            "stream.binance.com",
            "binance.com",
            "API.Binance.COM",
            "api.binance.com.",
            "data-api.binance.vision",
            "data-stream.binance.vision",
        ];
        for host in production {
            assert!(is_production_binance_host(host), "{host}");
        }
        let not_production = [
            "demo-api.binance.com",
            "demo-ws-api.binance.com",
            "demo-stream.binance.com",
            "testnet.binance.vision",
            "ws-api.testnet.binance.vision",
            "stream.testnet.binance.vision",
            "notbinance.com",
            "binance.com.example",
            "127.0.0.1",
        ];
        for host in not_production {
            assert!(!is_production_binance_host(host), "{host}");
        }
        for host in ["127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["10.0.0.1", "[::2]", "localhost.example", "api.binance.com", ""] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_testnet_or_demo_url_on_a_production_host_is_refused() {
        let cases = [
            ("BINANCE_TESTNET_BASE_URL", "https://api.binance.com"),
            ("BINANCE_TESTNET_BASE_URL", "https://api3.binance.com/"),
            ("BINANCE_TESTNET_BASE_URL", "https://data-api.binance.vision"),
            ("BINANCE_DEMO_BASE_URL", "https://api-gcp.binance.com"),
            ("BINANCE_TESTNET_WS_API_URL", "wss://ws-api.binance.com:443/ws-api/v3"),
            ("BINANCE_DEMO_WS_API_URL", "wss://ws-api.binance.com/ws-api/v3"),
            ("BINANCE_TESTNET_STREAM_URL", "wss://stream.binance.com:9443"),
            ("BINANCE_DEMO_STREAM_URL", "wss://data-stream.binance.vision"),
        ];
        for (variable, url) in cases {
            let err = config(&[(variable, url)]).expect_err(url).to_string();
            assert!(err.contains(variable), "{variable}={url}: {err}");
            assert!(err.contains("production host"), "{variable}={url}: {err}");
            assert!(err.contains(&format!("Unset {variable}")), "{variable}={url}: {err}");
        }
        let allowed = [
            ("BINANCE_DEMO_BASE_URL", "https://demo-api.binance.com"),
            ("BINANCE_DEMO_WS_API_URL", "wss://demo-ws-api.binance.com/ws-api/v3"),
            ("BINANCE_DEMO_STREAM_URL", "wss://demo-stream.binance.com:9443"),
            ("BINANCE_TESTNET_BASE_URL", "https://testnet.binance.vision"),
            ("BINANCE_TESTNET_BASE_URL", "http://127.0.0.1:9"),
            ("BINANCE_BASE_URL", "https://api1.binance.com"),
            ("BINANCE_WS_API_URL", "wss://ws-api.binance.com:443/ws-api/v3"),
        ];
        for (variable, url) in allowed {
            config(&[(variable, url)]).unwrap_or_else(|e| panic!("{variable}={url}: {e}"));
        }
    }

    #[test]
    fn production_over_plain_text_is_loopback_only() {
        let refused = [
            ("BINANCE_BASE_URL", "http://api.binance.com"),
            ("BINANCE_BASE_URL", "http://proxy.example:8080"),
            ("BINANCE_BASE_URL", "http://10.0.0.5"),
            ("BINANCE_WS_API_URL", "ws://ws-api.binance.com/ws-api/v3"),
            ("BINANCE_STREAM_URL", "ws://192.168.1.2:9443"),
        ];
        for (variable, url) in refused {
            let err = config(&[(variable, url)]).expect_err(url).to_string();
            assert!(
                err.contains(variable) && err.contains("unencrypted"),
                "{variable}={url}: {err}"
            );
        }
        let allowed = [
            ("BINANCE_BASE_URL", "http://127.0.0.1:8080"),
            ("BINANCE_BASE_URL", "http://localhost:8080"),
            ("BINANCE_BASE_URL", "http://[::1]:8080"),
            ("BINANCE_BASE_URL", "https://proxy.example"),
            ("BINANCE_WS_API_URL", "ws://127.0.0.1:9/ws-api/v3"),
            ("BINANCE_STREAM_URL", "ws://localhost:9"),
        ];
        for (variable, url) in allowed {
            config(&[(variable, url)]).unwrap_or_else(|e| panic!("{variable}={url}: {e}"));
        }
    }

    #[test]
    fn production_approval_policy_and_the_removed_confirm_variable() {
        assert_eq!(
            config(&[]).expect("config").production_approval,
            ProductionApproval::Auto
        );
        for (value, policy) in [
            ("auto", ProductionApproval::Auto),
            ("Required", ProductionApproval::Required),
            ("typed", ProductionApproval::Typed),
        ] {
            let c = config(&[("BINANCE_PRODUCTION_APPROVAL", value)]).expect("config");
            assert_eq!(c.production_approval, policy);
        }
        let err = config(&[("BINANCE_PRODUCTION_APPROVAL", "never")]).expect_err("unknown");
        assert!(err.to_string().contains("BINANCE_PRODUCTION_APPROVAL"));
        for value in ["argument", "elicitation"] {
            let err = config(&[("BINANCE_CONFIRM", value)]).expect_err("removed").to_string();
            assert!(
                err.contains("BINANCE_CONFIRM") && err.contains("BINANCE_PRODUCTION_APPROVAL"),
                "{err}"
            );
        }
    }

    #[test]
    fn base_url_trailing_slash_is_dropped() {
        let c = config(&[("BINANCE_BASE_URL", "http://127.0.0.1:9/")]).expect("config");
        assert_eq!(c.production.base_url, "http://127.0.0.1:9");
    }
    /// The Ed25519 key published in the official FIX API docs (illustrative only).
    const DOC_ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----\n";

    fn key_file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write key file");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn private_key_path_gives_ed25519_credentials_per_environment() {
        use spot_client::sign::KeyType;
        let dir = tempfile::tempdir().expect("tempdir");
        let pem = key_file(&dir, "ed.pem", DOC_ED25519_PEM);
        let c = config(&[
            ("BINANCE_TESTNET_API_KEY", "k"),
            ("BINANCE_TESTNET_PRIVATE_KEY_PATH", &pem),
            ("BINANCE_DEMO_API_KEY", "k"),
            ("BINANCE_DEMO_API_SECRET", "s"),
        ])
        .expect("config");
        let kind = |ec: &EnvironmentConfig| ec.credentials.as_ref().map(|c| c.key_type());
        assert_eq!(kind(&c.testnet), Some(KeyType::Ed25519));
        assert_eq!(kind(&c.demo), Some(KeyType::Hmac));
        assert_eq!(kind(&c.production), None);
        assert!(!format!("{c:?}").contains("MC4CAQAw"));

        // BINANCE_TESTNET=1 moves the plain key file to testnet, like the plain secret.
        let c = config(&[
            ("BINANCE_TESTNET", "1"),
            ("BINANCE_API_KEY", "k"),
            ("BINANCE_PRIVATE_KEY_PATH", &pem),
        ])
        .expect("config");
        assert_eq!(kind(&c.testnet), Some(KeyType::Ed25519));
        assert!(c.production.credentials.is_none());

        // A key file without an API key is half a credential.
        let c = config(&[("BINANCE_DEMO_PRIVATE_KEY_PATH", &pem)]).expect("config");
        assert!(c.demo.credentials.is_none() && c.demo.credentials_incomplete);
    }

    #[test]
    fn unusable_private_key_files_name_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let rsa = key_file(
            &dir,
            "rsa.pem",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAMpIydJgOpoCt+kafZMQ7wsy\n-----END RSA PRIVATE KEY-----\n",
        );
        let err = config(&[("BINANCE_API_KEY", "k"), ("BINANCE_PRIVATE_KEY_PATH", &rsa)]).expect_err("RSA");
        let text = err.to_string();
        assert!(
            text.contains("BINANCE_PRIVATE_KEY_PATH") && text.contains("RSA"),
            "{text}"
        );
        assert!(!text.contains("MIIBOg"), "{text}");

        let missing = dir.path().join("absent.pem").to_string_lossy().into_owned();
        let err = config(&[
            ("BINANCE_DEMO_API_KEY", "k"),
            ("BINANCE_DEMO_PRIVATE_KEY_PATH", &missing),
        ])
        .expect_err("unreadable");
        assert!(err.to_string().contains("BINANCE_DEMO_PRIVATE_KEY_PATH"));
        assert!(err.to_string().contains("cannot read"));

        let pem = key_file(&dir, "ed.pem", DOC_ED25519_PEM);
        let err = config(&[
            ("BINANCE_TESTNET_API_KEY", "k"),
            ("BINANCE_TESTNET_API_SECRET", "s"),
            ("BINANCE_TESTNET_PRIVATE_KEY_PATH", &pem),
        ])
        .expect_err("both");
        let text = err.to_string();
        assert!(
            text.contains("BINANCE_TESTNET_PRIVATE_KEY_PATH") && text.contains("BINANCE_TESTNET_API_SECRET"),
            "{text}"
        );
        let garbage = key_file(
            &dir,
            "secret.txt",
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
        );
        let err = config(&[("BINANCE_API_KEY", "k"), ("BINANCE_PRIVATE_KEY_PATH", &garbage)]).expect_err("not PEM");
        assert!(err.to_string().contains("not a PEM file"));
        assert!(!err.to_string().contains("NhqPtmd"));
    }
}
