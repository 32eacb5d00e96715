//! What the subcommands do: serve over stdio, the emulator, one-off calls, doctor.
//!
//! Only `emulator`, `call` and `doctor` write to stdout; `serve` writes JSON-RPC there and
//! nothing else.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use rand::Rng;
use rand::distr::Alphanumeric;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationCapability, ErrorData, FormElicitationCapability, Implementation,
};
use rmcp::service::{RequestContext, RoleClient};
use rmcp::{ClientHandler, ServiceExt, transport};

use crate::config::{Config, Environment, ProductionApproval};
use crate::server::BinanceServer;
use crate::tools::status::{ServerStatusArgs, server_status};
use spot_emulator::{self as emulator, EmulatorConfig, EmulatorHandle};

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

/// `binance-mcp emulator`: serve until SIGINT/SIGTERM; the base URL is the first stdout line.
pub async fn run_emulator(addr: SocketAddr, config: EmulatorConfig) -> ExitCode {
    let handle = match emulator::spawn(addr, config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("binance-mcp emulator: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", handle.base_url());
    let _ = out.flush();
    tracing::info!(base_url = %handle.base_url(), "emulator serving");
    shutdown_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

/// Emulated exchanges started by `--emulator`, one per environment; they live as long as this.
pub struct Playground {
    handles: Vec<EmulatorHandle>,
}

impl Playground {
    /// Starts one emulated exchange per environment on loopback with generated keys, and points
    /// the configuration at them.
    pub async fn start(config: &mut Config, seed: u64) -> std::io::Result<Playground> {
        let mut handles = Vec::new();
        for (i, env) in Environment::ALL.into_iter().enumerate() {
            let key = random_token(64);
            let secret = random_token(64);
            let emulator_config =
                EmulatorConfig::new(seed.wrapping_add(i as u64)).with_account(key.clone(), secret.clone());
            let handle = emulator::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), emulator_config).await?;
            let ec = config.environment_mut(env);
            ec.point_at(&handle.base_url());
            ec.credentials = Some(spot_client::sign::Credentials::new(key, secret));
            ec.credentials_incomplete = false;
            ec.enabled = true;
            tracing::info!(environment = %env, base_url = %handle.base_url(), "emulated exchange started");
            handles.push(handle);
        }
        config.emulated = true;
        Ok(Playground { handles })
    }

    pub async fn stop(self) {
        for h in self.handles {
            h.shutdown().await;
        }
    }
}

fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `binance-mcp serve [--emulator]`: MCP over stdio until stdin closes or a signal arrives.
pub async fn serve(mut config: Config, emulator_seed: Option<u64>) -> ExitCode {
    let stop = shutdown_signal();
    let playground = match emulator_seed {
        Some(seed) => match Playground::start(&mut config, seed).await {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("binance-mcp: cannot start the embedded emulator: {e}");
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let server = BinanceServer::new(config);
    let toolbox = server.toolbox().clone();
    // The memory folder exists from the start (the templates, written and synced on the first
    // run), on the blocking pool so the handshake does not wait for the disk.
    let memory = toolbox.memory().clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = memory.ensure() {
            tracing::error!(error = %e, "cannot create the memory folder");
        }
    });
    let service = match server.serve(transport::stdio_pipes()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "MCP session could not start");
            return ExitCode::FAILURE;
        }
    };
    // Once the handshake is answered, in the background: neither the user-data subscriptions
    // nor resuming the cancel timers (the store) delay it, and a slow or unreachable exchange
    // never holds up a tool call.
    crate::tools::user_stream::start(&toolbox);
    crate::tools::timers::start(&toolbox);
    crate::tools::paper::start(&toolbox);
    tokio::select! {
        result = service.waiting() => {
            if let Err(e) = result {
                tracing::warn!(error = %e, "MCP session ended with an error");
            }
        }
        _ = stop => tracing::info!("signal received, exiting"),
    }
    toolbox.user_streams().stop();
    if let Some(p) = playground {
        p.stop().await;
    }
    // A blocking stdin read cannot be cancelled; exiting here keeps shutdown from hanging on it.
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when it
/// is first awaited, so a signal that arrives right after start-up is not missed (the default
/// action would kill the process instead of letting it exit cleanly).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let recv = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = recv(term) => {}
                _ = recv(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The tools that write to an exchange (place, cancel, amend). `order_list_place` with
/// `test_only: true` places nothing.
const WRITE_TOOLS: [&str; 6] = [
    "order_place",
    "order_list_place",
    "order_cancel",
    "order_cancel_all",
    "order_amend",
    "order_list_cancel",
];

/// Whether `tool` with `arguments` writes to production, `default_env` being where signed calls
/// go when no environment is given.
fn is_production_write(
    tool: &str,
    arguments: &serde_json::Map<String, serde_json::Value>,
    default_env: Environment,
) -> bool {
    if !WRITE_TOOLS.contains(&tool) {
        return false;
    }
    if tool == "order_list_place" && arguments.get("test_only").and_then(|v| v.as_bool()) == Some(true) {
        return false;
    }
    match arguments.get("environment").and_then(|v| v.as_str()) {
        Some(env) => env.eq_ignore_ascii_case("production"),
        None => default_env == Environment::Production,
    }
}

/// The MCP client of `binance-mcp call` when a human sits at the terminal: it answers the
/// server's approval forms by asking on stderr and reading stdin, so a production write is
/// approved by the human, never by the command line alone.
struct TerminalApprover;

impl ClientHandler for TerminalApprover {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        let typed = requested_schema.properties.contains_key("confirmation");
        let question = if typed { "> " } else { "Approve? [y/N] " };
        let answer = tokio::task::spawn_blocking(move || {
            let mut err = std::io::stderr();
            let _ = write!(err, "\n{message}\n{question}");
            let _ = err.flush();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await;
        let Ok(Ok(line)) = answer else {
            return Ok(ElicitResult::new(ElicitationAction::Cancel));
        };
        let content = if typed {
            serde_json::json!({"confirmation": line.trim()})
        } else {
            let yes = matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
            serde_json::json!({"approve": yes})
        };
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(content))
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        ClientConfig::new(
            capabilities,
            Implementation::new("binance-mcp-call", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// `binance-mcp call TOOL [JSON]`: one tool call through an in-process MCP client and server,
/// the same code path an MCP client takes. Prints the structured result on stdout, and nothing
/// else there: questions and errors go to stderr.
///
/// A production write is asked on the terminal (the policy is at least `required`, so cancels
/// and amends too); without a terminal on stdin it is refused before anything is sent.
pub async fn call(mut config: Config, with_emulator: bool, tool: &str, arguments: &str) -> ExitCode {
    let arguments = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => {
            eprintln!("binance-mcp call: arguments must be a JSON object, e.g. '{{\"symbols\":[\"BTCUSDT\"]}}'");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("binance-mcp call: arguments are not valid JSON ({e}); example: '{{\"symbols\":[\"BTCUSDT\"]}}'");
            return ExitCode::from(2);
        }
    };
    let default_env = crate::tools::Toolbox::new(config.clone()).signed_env(None);
    let production_write = is_production_write(tool, &arguments, default_env);
    let at_terminal = std::io::stdin().is_terminal();
    if production_write && !at_terminal {
        eprintln!(
            "binance-mcp call: {tool} on production is a real-money write and needs the human's approval on this terminal, \
             but stdin is not a terminal; nothing was sent. Run the command yourself in an interactive terminal \
             (it shows the order and asks), or use an MCP client that can ask you (elicitation)."
        );
        return ExitCode::FAILURE;
    }
    if config.production_approval == ProductionApproval::Auto {
        // The terminal can always ask: every production write is asked, as under `required`.
        config.production_approval = ProductionApproval::Required;
    }
    let playground = if with_emulator {
        match Playground::start(&mut config, 42).await {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("binance-mcp call: cannot start the embedded emulator: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let code = call_in_process(config, tool, arguments, at_terminal).await;
    if let Some(p) = playground {
        p.stop().await;
    }
    code
}

/// One tool call through an in-process MCP session whose client is `handler`; None when the
/// session itself failed (said on stderr).
async fn call_as<H: ClientHandler>(
    handler: H,
    io: tokio::io::DuplexStream,
    params: CallToolRequestParams,
) -> Option<Result<rmcp::model::CallToolResult, rmcp::ServiceError>> {
    match handler.serve(io).await {
        Ok(client) => {
            let result = client.call_tool(params).await;
            let _ = client.cancel().await;
            Some(result)
        }
        Err(e) => {
            eprintln!("binance-mcp call: internal MCP session failed: {e}");
            None
        }
    }
}

async fn call_in_process(
    config: Config,
    tool: &str,
    arguments: serde_json::Map<String, serde_json::Value>,
    at_terminal: bool,
) -> ExitCode {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = BinanceServer::new(config);
    let server_task = tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    // Only a human at a terminal can answer the approval forms; otherwise the client cannot ask.
    let result = if at_terminal {
        call_as(TerminalApprover, client_io, params).await
    } else {
        call_as((), client_io, params).await
    };
    let Some(result) = result else {
        return ExitCode::FAILURE;
    };
    let code = match result {
        Ok(result) => {
            let is_error = result.is_error == Some(true);
            let text: Vec<String> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            if is_error {
                eprintln!("{}", text.join("\n"));
                ExitCode::FAILURE
            } else {
                let shown = match &result.structured_content {
                    Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
                    None => text.join("\n"),
                };
                println!("{shown}");
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("binance-mcp call: {e} (the tool names are in README.md and SKILL.md)");
            ExitCode::FAILURE
        }
    };
    server_task.abort();
    code
}

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

/// `binance-mcp halt [REASON]`: the kill switch on.
pub fn halt(config: &Config, reason: &str) -> ExitCode {
    let memory = crate::memory::Memory::new(config.home.clone());
    match memory.halt(reason) {
        Ok(path) => {
            crate::memory::audit::Audit::new(memory).kill_switch("halt", reason);
            println!(
                "Trading halted: {} exists. No order will be placed until `binance-mcp resume`.",
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binance-mcp halt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `binance-mcp halt --cancel-open`: the kill switch on, then every open order and order list
/// canceled in each environment with keys. Production is canceled only after the human says
/// yes on this terminal; without a terminal it is left alone and said so.
pub async fn halt_and_cancel(config: Config, reason: &str) -> ExitCode {
    let mut code = halt(&config, reason);
    let toolbox = crate::tools::Toolbox::new(config);
    for env in Environment::ALL {
        if !toolbox.client(env).has_credentials() || !toolbox.config().environment(env).enabled {
            continue;
        }
        if env == Environment::Production
            && !confirm_on_terminal("Cancel EVERY open order and order list on production (real money)?")
        {
            println!("production: nothing canceled (not confirmed on a terminal); cancel there yourself if needed");
            code = ExitCode::FAILURE;
            continue;
        }
        match crate::tools::order::cancel_every_open_order(&toolbox, env).await {
            Ok(done) if done.is_empty() => println!("{env}: no open orders"),
            Ok(done) => {
                for (symbol, count) in done {
                    println!("{env}: canceled {count} open order(s) on {symbol}");
                }
            }
            Err(e) => {
                println!("{env}: could NOT cancel the open orders: {}", e.to_agent_text());
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

/// Asks a yes/no question on the terminal; false when stdin is not a terminal.
fn confirm_on_terminal(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
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

/// `binance-mcp resume`: the kill switch off.
pub fn resume(config: &Config) -> ExitCode {
    let memory = crate::memory::Memory::new(config.home.clone());
    match memory.resume() {
        Ok(true) => {
            crate::memory::audit::Audit::new(memory).kill_switch("resume", "lifted by the human");
            println!("Trading resumed: the HALT file was removed.");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("Trading was not halted (no HALT file in {}).", config.home.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binance-mcp resume: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `binance-mcp memory path`.
pub fn memory_path(config: &Config) -> ExitCode {
    println!("{}", config.home.display());
    ExitCode::SUCCESS
}

/// `binance-mcp memory show [FILE] [--since 1d]`: the file, or only its entries (`## ` sections
/// with a date) from the last period.
pub fn memory_show(config: &Config, file: &str, since: Option<&str>) -> ExitCode {
    let name = match file {
        "memory" | "memory.md" => "memory.md",
        "runbooks" | "runbooks.md" => "runbooks.md",
        "incidents" | "incidents.md" => "incidents.md",
        other => {
            eprintln!("binance-mcp memory show: unknown file {other:?}; use memory, runbooks or incidents");
            return ExitCode::from(2);
        }
    };
    let cutoff = match since.map(parse_period) {
        None => None,
        Some(Some(ms)) => Some(spot_client::clock::local_now_ms() - ms),
        Some(None) => {
            eprintln!("binance-mcp memory show: --since takes a period like 30m, 12h, 1d or 7d");
            return ExitCode::from(2);
        }
    };
    let memory = crate::memory::Memory::new(config.home.clone());
    let text = match memory.read_text(name) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("binance-mcp memory show: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cutoff {
        None => print!("{text}"),
        Some(cutoff) => print!("{}", sections_since(&text, cutoff)),
    }
    ExitCode::SUCCESS
}

/// `binance-mcp memory snapshots [SYMBOL]`.
pub fn memory_snapshots(config: &Config, symbol: Option<&str>) -> ExitCode {
    let snapshots = crate::memory::snapshots::Snapshots::new(crate::memory::Memory::new(config.home.clone()));
    let symbol = symbol.map(|s| s.trim().to_uppercase());
    let list = snapshots.list(None, symbol.as_deref());
    if list.is_empty() {
        println!("no snapshots yet in {}", config.home.join("snapshots").display());
    }
    for s in list {
        println!(
            "{:<8} {:<10} {:<8} {:>7} B  {}",
            s.kind, s.environment, s.symbol, s.bytes, s.name
        );
    }
    ExitCode::SUCCESS
}

/// `binance-mcp memory journal [--environment ENV] [--limit N]`: the newest journal entries of
/// `state.db` (tests, reservations, outcomes, events, timers), one JSON object per line, oldest
/// first.
pub fn memory_journal(config: &Config, environment: Option<Environment>, limit: usize) -> ExitCode {
    let memory = crate::memory::Memory::new(config.home.clone());
    if !memory.path(crate::store::STORE_FILE).exists() && !memory.path("ledger.jsonl").exists() {
        println!("no journal yet in {}", config.home.display());
        return ExitCode::SUCCESS;
    }
    let events = crate::store::Store::open(&memory).and_then(|store| store.all_events(environment, limit));
    match events {
        Ok(events) => {
            for event in events {
                println!("{}", serde_json::to_string(&event).unwrap_or_default());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binance-mcp memory journal: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `binance-mcp memory audit|orders`: the audit log, or the orders and lists the desk
/// reserved, one readable line each, oldest first.
pub fn memory_review(config: &Config, what: ReviewKind, filter: &crate::review::ReviewFilter) -> ExitCode {
    let memory = crate::memory::Memory::new(config.home.clone());
    let lines = match what {
        ReviewKind::Audit => crate::review::audit_lines(&memory, filter),
        ReviewKind::Orders => {
            crate::store::Store::open(&memory).and_then(|store| crate::review::order_lines(&store, filter))
        }
    };
    match lines {
        Ok(lines) if lines.is_empty() => {
            println!("nothing recorded yet that matches, in {}", config.home.display());
            ExitCode::SUCCESS
        }
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binance-mcp memory: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Which record `memory_review` prints.
#[derive(Clone, Copy, Debug)]
pub enum ReviewKind {
    Audit,
    Orders,
}

/// `30m`, `12h`, `1d` -> milliseconds.
fn parse_period(text: &str) -> Option<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.len().checked_sub(1)?);
    let n: i64 = num.parse().ok()?;
    let unit_ms = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    (n > 0).then(|| n * unit_ms)
}

/// The `## YYYY-MM-DD HH:MM:SS UTC` sections at or after `cutoff_ms` (the file's preamble is skipped).
fn sections_since(text: &str, cutoff_ms: i64) -> String {
    let cutoff = crate::memory::incidents::human_time(cutoff_ms);
    let mut out = String::new();
    let mut keep = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            // Headings start with the time, which sorts as text.
            keep = heading.get(..23).is_some_and(|stamp| stamp >= cutoff.as_str());
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
