//! `binance-mcp doctor`: the configuration in words, each environment's keys, reachability,
//! clock offset and rate-limit health, and the `BINANCE_*` variables nothing reads.

use std::process::ExitCode;

use crate::config::{Config, Environment};
use crate::server::BinanceServer;
use crate::tools::status::{ServerStatusArgs, server_status};

/// `binance-mcp doctor`: the configuration in words, with the clock offset of each reachable environment.
pub async fn doctor(config: Config) -> ExitCode {
    // Looked at before anything runs: doctor only reports, it creates and records nothing.
    let home_existed = config.home.is_dir();
    let server = BinanceServer::new(config);
    let toolbox = server.toolbox().clone();
    let probes = Environment::ALL.map(|env| {
        let toolbox = toolbox.clone();
        async move {
            // A bare client: no incidents, no audit lines, no shared rate-limit state for a probe.
            let config = toolbox.config();
            let client = spot_client::BinanceClient::new(
                config.environment(env),
                config.recv_window_ms,
                std::time::Duration::from_millis(config.http_timeout_ms),
            );
            let client = &client;
            // A recorded ban or Retry-After means: send nothing, not even a probe.
            let budget = toolbox.client(env).budget();
            if let Some(until) = budget.banned_until_ms.or(budget.retry_after_until_ms) {
                return (
                    env,
                    format!(
                        "not probed: Binance asked for no requests until {}",
                        spot_types::time::utc(until)
                    ),
                );
            }
            if !toolbox.config().environment(env).enabled {
                return (env, "disabled (BINANCE_TESTNET=1)".to_owned());
            }
            match tokio::time::timeout(std::time::Duration::from_secs(5), client.server_time()).await {
                Ok(Ok(_)) => {
                    let s = client.clock().sample();
                    let offset = s.map_or(0, |s| s.offset_ms);
                    let rtt = s.map_or(0, |s| s.round_trip_ms);
                    let warn = if offset.abs() > 1000 {
                        "  WARNING: more than 1 s; sync the system clock"
                    } else {
                        ""
                    };
                    (
                        env,
                        format!("reachable, clock offset {offset} ms (round trip {rtt} ms){warn}"),
                    )
                }
                Ok(Err(e)) => (env, format!("unreachable: {e}")),
                Err(_) => (env, "unreachable: no answer within 5 s".to_owned()),
            }
        }
    });
    let [a, b, c] = probes;
    let (a, b, c) = tokio::join!(a, b, c);
    let reachability = [a, b, c];
    let status = match server_status(&toolbox, ServerStatusArgs {}) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", e.to_agent_text());
            return ExitCode::FAILURE;
        }
    };
    println!("{} {}", status.server, status.version);
    println!(
        "memory folder: {} ({})",
        status.memory_folder,
        if home_existed {
            "exists"
        } else {
            "not created yet; made on first use"
        }
    );
    let paper_start: Vec<String> = toolbox
        .config()
        .paper_balance
        .iter()
        .map(|(asset, amount)| format!("{asset}:{}", amount.normalize()))
        .collect();
    println!(
        "trade mode: {}",
        match status.trade_mode {
            crate::config::TradeMode::Live => "live: orders go to the exchange".to_owned(),
            crate::config::TradeMode::Paper => format!(
                "PAPER: orders are tested for real, then rest, trigger and fill in the paper engine against the environment's public market; nothing is sent (BINANCE_TRADE_MODE=paper; a new paper account starts with {})",
                paper_start.join(",")
            ),
        }
    );
    for unknown in unknown_variables(toolbox.config()) {
        println!(
            "unknown variable: {unknown} is set but binance-mcp does not read it (misspelt? see `binance-mcp --help`)"
        );
    }
    println!(
        "read-only: {}; tool groups: {}; recvWindow: {} ms; signed calls default to {}",
        if status.read_only { "yes" } else { "no" },
        status.toolsets.join(","),
        status.recv_window_ms,
        status.default_signed_environment
    );
    for env in &status.environments {
        let key_type = toolbox
            .config()
            .environment(env.environment)
            .credentials
            .as_ref()
            .map_or("", |c| c.key_type().as_str());
        let keys = if env.keys_present {
            format!(
                "keys set ({key_type}, API key {})",
                env.api_key_masked.clone().unwrap_or_default()
            )
        } else {
            let vars = crate::config::variables(env.environment);
            format!(
                "no keys (set {} and {}), or {} and {} for an Ed25519 key",
                vars.api_key, vars.api_secret, vars.api_key, vars.private_key_path
            )
        };
        let reach = reachability
            .iter()
            .find(|(e, _)| *e == env.environment)
            .map(|(_, r)| r.as_str())
            .unwrap_or("");
        println!(
            "{:<10} {}\n           {}\n           {}",
            env.environment.as_str(),
            env.base_url,
            keys,
            reach
        );
        if let Some(w) = &env.warning {
            println!("           WARNING: {w}");
        }
        for line in health_lines(env) {
            println!("           {line}");
        }
    }
    ExitCode::SUCCESS
}

/// Rate-limit budget (shared by every server on this machine), ban, Retry-After, circuit and
/// clock warnings of one environment, for `doctor`.
fn health_lines(env: &crate::tools::status::EnvironmentStatus) -> Vec<String> {
    let mut lines = Vec::new();
    let limits: Vec<String> = env
        .limits
        .iter()
        .map(|l| format!("{} {}/{} per {}", l.counter, l.used, l.limit, l.interval))
        .collect();
    lines.push(format!("rate limits ({}): {}", env.limits_source, limits.join(", ")));
    if let Some(until) = &env.banned_until {
        lines.push(format!(
            "BANNED by Binance (HTTP 418) until {until}: no request is sent until then"
        ));
    }
    if let Some(until) = &env.retry_after_until {
        lines.push(format!("rate limited (HTTP 429): no request before {until}"));
    }
    if let Some(until) = &env.circuit_open_until {
        lines.push(format!(
            "circuit open after {} failures: no request before {until}",
            env.consecutive_failures
        ));
    }
    if let Some(w) = &env.clock_warning {
        lines.push(format!("WARNING: {w}"));
    }
    lines
}

/// `BINANCE_*` variables set in this environment that the configuration never asked for.
fn unknown_variables(config: &Config) -> Vec<String> {
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("BINANCE_") && !config.variables_read.contains(name))
        .collect();
    unknown.sort();
    unknown
}
