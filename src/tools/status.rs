//! `server_status`: what the server is configured to do, without ever showing a secret.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, ToolOutput, Toolbox};
use crate::config::Environment;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerStatusArgs {}

/// One environment as configured.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EnvironmentStatus {
    pub environment: Environment,
    pub base_url: String,
    /// False for production under BINANCE_TESTNET=1.
    pub enabled: bool,
    /// True when both key and secret are set.
    pub keys_present: bool,
    /// The key with all but four characters at each end masked; never the secret.
    pub api_key_masked: Option<String>,
    /// Variables to set for signed calls.
    pub key_variables: [String; 2],
    /// A warning when only one of key and secret is set.
    pub warning: Option<String>,
    /// Binance time minus local time, in ms, when measured.
    pub clock_offset_ms: Option<i64>,
    /// REST requests sent by this process.
    pub requests: u64,
    pub errors: u64,
    /// X-MBX-USED-WEIGHT-* headers of the latest response, e.g. {"1M": 21}.
    pub used_weight: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServerStatusOutput {
    pub server: String,
    pub version: String,
    /// True when BINANCE_READ_ONLY hides every tool that can change state.
    pub read_only: bool,
    /// Tool groups registered (BINANCE_TOOLSETS).
    pub toolsets: Vec<String>,
    /// True when every environment points at the embedded emulator (serve --emulator).
    pub emulated: bool,
    /// The memory folder (BINANCE_HOME or ~/binance).
    pub memory_folder: String,
    pub recv_window_ms: u64,
    /// Signed calls default to this environment.
    pub default_signed_environment: Environment,
    pub environments: Vec<EnvironmentStatus>,
}

impl ToolOutput for ServerStatusOutput {
    fn summary(&self) -> String {
        let envs: Vec<String> = self
            .environments
            .iter()
            .map(|e| {
                format!(
                    "{} {}{}",
                    e.environment,
                    if !e.enabled {
                        "disabled"
                    } else if e.keys_present {
                        "keys set"
                    } else {
                        "no keys"
                    },
                    if self.emulated { " (emulator)" } else { "" }
                )
            })
            .collect();
        format!(
            "{} {}{}: {}",
            self.server,
            self.version,
            if self.read_only { " read-only" } else { "" },
            envs.join(", ")
        )
    }
}

/// The status report; also used by `binance-mcp doctor`.
pub fn server_status(tb: &Toolbox, _args: ServerStatusArgs) -> Result<ServerStatusOutput, ToolError> {
    let config = tb.config();
    let environments = Environment::ALL
        .iter()
        .map(|&env| {
            let ec = config.environment(env);
            let client = tb.client(env);
            let usage = client.usage();
            let vars = env.variables();
            EnvironmentStatus {
                environment: env,
                base_url: ec.base_url.clone(),
                enabled: ec.enabled,
                keys_present: ec.credentials.is_some(),
                api_key_masked: ec.credentials.as_ref().map(|c| c.masked_key()),
                key_variables: [vars.api_key.to_owned(), vars.api_secret.to_owned()],
                warning: ec.credentials_incomplete.then(|| {
                    format!(
                        "only one of {} and {} is set; signed calls are off until both are",
                        vars.api_key, vars.api_secret
                    )
                }),
                clock_offset_ms: client.clock().sample().map(|s| s.offset_ms),
                requests: usage.requests,
                errors: usage.errors,
                used_weight: usage.used_weight,
            }
        })
        .collect();
    Ok(ServerStatusOutput {
        server: env!("CARGO_PKG_NAME").to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        read_only: config.read_only,
        toolsets: config.toolsets.clone(),
        emulated: config.emulated,
        memory_folder: config.home.display().to_string(),
        recv_window_ms: config.recv_window_ms,
        default_signed_environment: Environment::Testnet,
        environments,
    })
}
