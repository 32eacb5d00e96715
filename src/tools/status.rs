//! `server_status`: what the server is configured to do, without ever showing a secret, and
//! how each environment is doing (rate-limit budget, bans, circuit breaker, clock, latency).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ToolError, ToolOutput, Toolbox, utc};
use crate::config::Environment;
use crate::memory::Memory;
use crate::memory::incidents::{Incident, Incidents, human_time};
use spot_client::circuit::CircuitState;
use spot_client::limits::Counter;
use spot_client::{Alert, AlertRecorder};

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
    pub key_variables: Vec<String>,
    /// `hmac` or `ed25519`, when keys are set.
    pub key_type: Option<String>,
    /// A warning when only one of key and secret is set.
    pub warning: Option<String>,
    /// Binance time minus local time, in ms, when measured.
    pub clock_offset_ms: Option<i64>,
    /// Set when the offset exceeds 1000 ms: the system clock needs syncing.
    pub clock_warning: Option<String>,
    /// REST requests sent by this process (every attempt, retries included).
    pub requests: u64,
    /// Requests without a 2XX answer.
    pub errors: u64,
    /// Answers with HTTP 429 or 418.
    pub rate_limited: u64,
    /// Reads retried after a failure.
    pub retries: u64,
    /// Median latency of the last requests (up to 256), in ms.
    pub latency_p50_ms: Option<u32>,
    /// 99th-percentile latency of the last requests, in ms.
    pub latency_p99_ms: Option<u32>,
    /// X-MBX-USED-WEIGHT-* headers of the latest response, e.g. {"1M": 21}.
    pub used_weight: BTreeMap<String, u64>,
    /// X-MBX-ORDER-COUNT-* headers of the latest order response, e.g. {"10S": 1, "1D": 4}.
    pub order_count: BTreeMap<String, u64>,
    /// Weight and unfilled-order counts used in the current windows by every server process
    /// on this machine, with the limits (requests stop at 90% of a limit).
    pub limits: Vec<LimitUse>,
    /// "exchangeInfo" once the limits were read from Binance, else "defaults" (production values).
    pub limits_source: String,
    /// No request before this time (a 429's Retry-After), RFC 3339 UTC.
    pub retry_after_until: Option<String>,
    /// Banned by Binance (418) until this time, RFC 3339 UTC: nothing is sent until then.
    pub banned_until: Option<String>,
    /// closed (requests go out), open (refused until circuit_open_until) or half_open (the next request is a trial).
    pub circuit: CircuitState,
    /// Transport failures or 5XX in a row (the circuit opens at 5).
    pub consecutive_failures: u32,
    pub circuit_open_until: Option<String>,
    /// Recent alerts of this environment (bans, circuit, clock drift), oldest first.
    pub alerts: Vec<String>,
    /// The user-data event subscription (WebSocket API) and its journal counters.
    pub user_stream: crate::tools::user_stream::UserStreamStatus,
    /// WebSocket API URL of the user-data subscription.
    pub ws_api_url: String,
}

/// One rate limit and its use in the current window.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LimitUse {
    /// "weight" (REQUEST_WEIGHT, per IP) or "orders" (unfilled orders, per account).
    pub counter: String,
    /// Window length as in the headers: 1M, 10S, 1D.
    pub interval: String,
    pub used: u64,
    pub limit: u64,
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
    /// `live`: orders go to the exchange; `paper`: they are tested for real, then filled on paper.
    pub trade_mode: crate::config::TradeMode,
    /// The memory folder (BINANCE_HOME or ~/binance).
    pub memory_folder: String,
    pub recv_window_ms: u64,
    /// Signed calls default to this environment.
    pub default_signed_environment: Environment,
    pub environments: Vec<EnvironmentStatus>,
    /// What the human has configured and what not yet (read it on first use).
    pub setup: SetupStatus,
}

/// What is configured and what the human has not set yet (seed 001: read setup on first use).
#[derive(Debug, Serialize, JsonSchema)]
pub struct SetupStatus {
    /// True when this server started on a memory folder without memory.md: the first session.
    pub first_session: bool,
    /// What is set, one line each.
    pub configured: Vec<String>,
    /// What is not set yet, one line each, with the variable or file that sets it.
    pub not_set: Vec<String>,
    pub next_step: String,
}

/// The setup report: keys per environment, memory.md's limits, the approval policy and the
/// trade mode, each as set or not yet set.
pub fn setup_status(toolbox: &Toolbox) -> SetupStatus {
    let config = toolbox.config();
    let mut configured = Vec::new();
    let mut not_set = Vec::new();
    for env in Environment::ALL {
        let ec = config.environment(env);
        let vars = crate::config::variables(env);
        if !ec.enabled {
            configured.push(format!("{env}: disabled by BINANCE_TESTNET=1"));
        } else if ec.credentials.is_some() {
            configured.push(format!("{env} keys set"));
        } else {
            not_set.push(format!(
                "{env} keys ({} and {} or {}): without them {env} has market data only",
                vars.api_key, vars.api_secret, vars.private_key_path
            ));
        }
    }
    let memory_md = toolbox.memory().path("memory.md");
    match std::fs::read_to_string(&memory_md) {
        Err(_) => not_set.push(
            "trading limits: memory.md does not exist yet; it is created from the template (conservative: 100 USDT per order, 500 USDT per day on production) at first use, and only the human edits its limits block".into(),
        ),
        Ok(text) if text == crate::memory::preferences::TEMPLATE_MEMORY_MD => not_set.push(
            "trading limits: memory.md still holds the template's conservative limits; the human has not reviewed them".into(),
        ),
        Ok(text) => match crate::memory::preferences::parse_preferences(&text) {
            Ok(p) => configured.push(format!(
                "trading limits in memory.md: profile {:?}, default environment {}, {} daily limits",
                p.profile,
                p.default_environment,
                if p.max_daily_notional.is_empty() {
                    "no".to_owned()
                } else {
                    p.max_daily_notional
                        .keys()
                        .map(|e| e.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                }
            )),
            Err(e) => not_set.push(format!(
                "trading limits: memory.md does not parse, so every order is refused until the human fixes it ({e})"
            )),
        },
    }
    let chosen = |var: &str| config.variables_set.contains(var);
    let approval = format!(
        "production approval {} (BINANCE_PRODUCTION_APPROVAL: auto, required or typed)",
        config.production_approval.as_str()
    );
    if chosen("BINANCE_PRODUCTION_APPROVAL") {
        configured.push(approval);
    } else {
        not_set.push(format!("{approval}: the default, not chosen by the human"));
    }
    let mode = match config.trade_mode {
        crate::config::TradeMode::Live => "live",
        crate::config::TradeMode::Paper => "paper",
    };
    let mode = format!("trade mode {mode} (BINANCE_TRADE_MODE: live or paper)");
    if chosen("BINANCE_TRADE_MODE") {
        configured.push(mode);
    } else {
        not_set.push(format!("{mode}: the default, not chosen by the human"));
    }
    let first_session = toolbox.first_session();
    let next_step = if not_set.is_empty() {
        "Everything the human sets is set.".to_owned()
    } else if first_session {
        "First session: read skill/setup.md, tell the human what is not set yet and how to set it (variables go in the MCP client's env block for this server; limits in memory.md), and work on testnet meanwhile.".to_owned()
    } else {
        "Mention what is not set yet when it matters for the task; skill/setup.md says how to set it.".to_owned()
    };
    SetupStatus {
        first_session,
        configured,
        not_set,
        next_step,
    }
}

/// The instructions an agent gets on connect: the rules, the trade mode, and where setup is told.
pub fn instructions(config: &crate::config::Config, base: &str) -> String {
    let mut text = base.to_owned();
    if config.trade_mode == crate::config::TradeMode::Paper {
        text.push_str(" PAPER MODE (BINANCE_TRADE_MODE=paper): orders are validated and tested for real, then matched by the server's paper engine against the environment's public market; nothing reaches the exchange's matching engine, and every order result says mode paper.");
    }
    text.push_str(" On first use, call server_status: its setup section says what the human has not configured yet.");
    text
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
                ) + &match (&e.banned_until, e.circuit) {
                    (Some(until), _) => format!(" BANNED until {until}"),
                    (None, CircuitState::Open) => " circuit open".to_owned(),
                    _ => String::new(),
                }
            })
            .collect();
        let setup = if self.setup.not_set.is_empty() {
            String::new()
        } else {
            format!(
                ". SETUP{}: not set yet: {}. {}",
                if self.setup.first_session {
                    " (first session)"
                } else {
                    ""
                },
                self.setup
                    .not_set
                    .iter()
                    .map(|n| n.split(':').next().unwrap_or(n))
                    .collect::<Vec<_>>()
                    .join("; "),
                self.setup.next_step
            )
        };
        format!(
            "{} {}{}{}: {}{setup}",
            self.server,
            self.version,
            if self.read_only { " read-only" } else { "" },
            if self.trade_mode == crate::config::TradeMode::Paper {
                " PAPER mode"
            } else {
                " LIVE mode"
            },
            envs.join(", ")
        )
    }
}

/// The status report; also used by `binance-mcp doctor`.
pub fn server_status(toolbox: &Toolbox, _args: ServerStatusArgs) -> Result<ServerStatusOutput, ToolError> {
    let config = toolbox.config();
    let environments = Environment::ALL
        .iter()
        .map(|&env| {
            let ec = config.environment(env);
            let client = toolbox.client(env);
            let usage = client.usage();
            let budget = client.budget();
            let (circuit, consecutive_failures, open_until) = client.circuit();
            let vars = crate::config::variables(env);
            EnvironmentStatus {
                environment: env,
                base_url: ec.base_url.clone(),
                ws_api_url: ec.ws_api_url.clone(),
                user_stream: toolbox.user_streams().status(env),
                enabled: ec.enabled,
                keys_present: ec.credentials.is_some(),
                api_key_masked: ec.credentials.as_ref().map(|c| c.masked_key()),
                key_variables: vec![
                    vars.api_key.to_owned(),
                    vars.api_secret.to_owned(),
                    vars.private_key_path.to_owned(),
                ],
                key_type: ec.credentials.as_ref().map(|c| c.key_type().to_string().to_lowercase()),
                warning: ec.credentials_incomplete.then(|| {
                    format!(
                        "only one of {} and its signing key ({} or {}) is set; signed calls are off until both are",
                        vars.api_key, vars.api_secret, vars.private_key_path
                    )
                }),
                clock_offset_ms: client.clock().sample().map(|s| s.offset_ms),
                clock_warning: client.clock().drift_warning(),
                requests: usage.requests,
                errors: usage.errors,
                rate_limited: usage.rate_limited,
                retries: usage.retries,
                latency_p50_ms: usage.latency_percentile(50),
                latency_p99_ms: usage.latency_percentile(99),
                limits: budget
                    .windows
                    .iter()
                    .map(|w| LimitUse {
                        counter: match w.counter {
                            Counter::Weight => "weight",
                            Counter::Orders => "orders",
                        }
                        .to_owned(),
                        interval: w.interval.clone(),
                        used: w.used,
                        limit: w.limit,
                    })
                    .collect(),
                limits_source: if budget.limits_from_exchange {
                    "exchangeInfo"
                } else {
                    "defaults"
                }
                .to_owned(),
                retry_after_until: budget.retry_after_until_ms.map(utc),
                banned_until: budget.banned_until_ms.map(utc),
                circuit,
                consecutive_failures,
                circuit_open_until: open_until.filter(|_| circuit == CircuitState::Open).map(utc),
                alerts: client
                    .alerts()
                    .recent()
                    .iter()
                    .filter(|a| a.environment == env)
                    .map(|a| format!("{} {:?}: {}", human_time(a.at_ms), a.level, a.message))
                    .collect(),
                used_weight: usage.used_weight,
                order_count: usage.order_count,
            }
        })
        .collect();
    Ok(ServerStatusOutput {
        server: env!("CARGO_PKG_NAME").to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        read_only: config.read_only,
        toolsets: config.toolsets.clone(),
        emulated: config.emulated,
        trade_mode: config.trade_mode,
        memory_folder: config.home.display().to_string(),
        recv_window_ms: config.recv_window_ms,
        default_signed_environment: toolbox.signed_env(None),
        environments,
        setup: setup_status(toolbox),
    })
}

/// Writes the alerts that no failed request reports (clock drift, a dropped user-data stream, a
/// failed cancel timer) to incidents.md, each under its own kind, endpoint, code and hint.
#[derive(Debug)]
pub struct AlertIncidents {
    incidents: Incidents,
}

impl AlertIncidents {
    pub fn new(memory: Memory) -> AlertIncidents {
        AlertIncidents {
            incidents: Incidents::new(memory),
        }
    }
}

impl AlertRecorder for AlertIncidents {
    fn record(&self, alert: &Alert) {
        let mut incident = Incident::from_alert(alert);
        incident.tool = crate::tools::scope::current_tool();
        if let Err(e) = self.incidents.record(&incident) {
            tracing::error!(error = %e, "could not write incidents.md");
        }
    }
}
