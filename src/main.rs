//! The `binance-mcp` command line: serve (MCP over stdio), emulator, call, doctor, halt and
//! resume (the kill switch), memory (read the memory folder back).

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};

use binance_mcp::cli;
use binance_mcp::config::Config;
use spot_emulator as emulator;

const ENVIRONMENT_HELP: &str = "\
Environment variables (all optional):
  BINANCE_API_KEY, BINANCE_API_SECRET                 production keys (real money; signed calls need confirm_production)
  BINANCE_TESTNET_API_KEY, BINANCE_TESTNET_API_SECRET Spot testnet keys (the default environment of signed calls)
  BINANCE_DEMO_API_KEY, BINANCE_DEMO_API_SECRET       demo-mode keys
  BINANCE_PRIVATE_KEY_PATH, BINANCE_TESTNET_PRIVATE_KEY_PATH, BINANCE_DEMO_PRIVATE_KEY_PATH
                            Ed25519 PKCS#8 PEM file used with that environment's *_API_KEY instead of *_API_SECRET
  BINANCE_BASE_URL          production REST base (default https://api.binance.com)
  BINANCE_TESTNET_BASE_URL  testnet REST base (default https://testnet.binance.vision)
  BINANCE_DEMO_BASE_URL     demo REST base (default https://demo-api.binance.com)
                            A testnet/demo URL on a production Binance host, or a production URL over plain
                            http:// or ws:// off loopback, is a configuration error: the server does not start.
  BINANCE_WS_API_URL, BINANCE_TESTNET_WS_API_URL, BINANCE_DEMO_WS_API_URL
                            WebSocket API of user-data events (default Binance's, or beside a custom *_BASE_URL)
  BINANCE_STREAM_URL, BINANCE_TESTNET_STREAM_URL, BINANCE_DEMO_STREAM_URL
                            market streams base (default Binance's, or beside a custom *_BASE_URL)
  BINANCE_USER_STREAM=0     no user-data subscription (default: one per environment with keys)
  BINANCE_TESTNET=1         BINANCE_API_KEY/SECRET are testnet keys; production is disabled
  BINANCE_HOME              memory folder (default ~/binance)
  BINANCE_RECV_WINDOW       recvWindow of signed requests in ms (default 5000, max 60000)
  BINANCE_HTTP_TIMEOUT_MS   timeout of one REST request in ms (default 10000)
  BINANCE_CONNECT_TIMEOUT_MS   timeout of opening a connection in ms (default 5000)
  BINANCE_CIRCUIT_COOLDOWN_MS  after 5 failures in a row, no request to that environment for this long (default 30000)
  BINANCE_READ_ONLY=1       register only read-only tools
  BINANCE_TOOLSETS          comma list of tool groups: market,test_order,order,account,memory,diagnostics
  BINANCE_PRODUCTION_APPROVAL  auto (default: production orders are also approved by the human when the client can ask),
                            required (every production write needs the human's yes in the client; refused when it cannot ask)
                            or typed (as required, and the human types the side and symbol, e.g. BUY BTCUSDT)
  BINANCE_CONFIRM           removed; setting it is a configuration error (use BINANCE_PRODUCTION_APPROVAL)
  BINANCE_TRADE_MODE        live (default) or paper: orders are validated and tested for real, then rest, trigger and fill
                            in the server's paper engine against the environment's public market (state.db); nothing is sent
  BINANCE_PAPER_BALANCE     what each environment's paper account starts with, e.g. USDT:5000,BTC:0.1 (default USDT:10000)
  BINANCE_SNAPSHOT_MAX_AGE_SECS  a filters snapshot younger than this serves as exchangeInfo cache after a restart (default 900)
  RUST_LOG                  log filter; logs go to stderr only (default binance_mcp=info,rmcp=warn)

Public market data needs no keys. Keys are read from the environment only, never from tool arguments.";

#[derive(Parser)]
#[command(name = "binance-mcp", version, about = "A safety-gated MCP server for Binance Spot", after_help = ENVIRONMENT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP over stdio (the default).
    Serve {
        /// Run against an embedded emulated exchange on loopback with generated keys: no network, no real keys.
        #[arg(long)]
        emulator: bool,
        /// Seed of the emulated market (with --emulator).
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Serve the local Binance Spot emulator; prints its base URL as the first line of stdout.
    #[command(group(ArgGroup::new("signer").args(["api_secret", "ed25519_public_key_file"]).requires("api_key")))]
    Emulator {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// API key the emulator accepts (with --api-secret or --ed25519-public-key-file).
        #[arg(long, requires = "signer")]
        api_key: Option<String>,
        /// HMAC secret of --api-key.
        #[arg(long)]
        api_secret: Option<String>,
        /// Ed25519 public key of --api-key: a PEM file (-----BEGIN PUBLIC KEY-----).
        #[arg(long, value_name = "PATH")]
        ed25519_public_key_file: Option<std::path::PathBuf>,
        /// Seed of the deterministic market: the same seed gives the same prices.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The market day (YYYY-MM-DD, UTC midnight) the emulator shows when it starts; prices
        /// move on from there as time passes, whatever the date today (default 2026-01-01).
        #[arg(long, value_name = "DATE", value_parser = parse_market_start)]
        market_start: Option<i64>,
        /// REQUEST_WEIGHT limit per IP and minute (429, then a 418 ban, past it).
        #[arg(long, default_value_t = emulator::DEFAULT_WEIGHT_LIMIT_PER_MINUTE)]
        weight_limit: u32,
    },
    /// Run one tool through the same MCP code path and print its structured result. A production
    /// write (order_place, order_list_place, cancels, order_amend) is asked on this terminal, and
    /// refused when stdin is not a terminal.
    Call {
        /// Tool name, e.g. market_ticker_price.
        tool: String,
        /// Arguments as a JSON object, e.g. '{"symbols":["BTCUSDT"]}'.
        #[arg(default_value = "{}")]
        arguments: String,
        /// Run against the embedded emulator instead of the configured environments.
        #[arg(long)]
        emulator: bool,
    },
    /// Explain the configuration: environments, keys set (never values), base URLs, clock offsets, memory folder.
    Doctor,
    /// Kill switch on: create ~/binance/HALT so no order is placed (cancels and reads still work).
    Halt {
        /// Why, for whoever reads the file later.
        #[arg(default_value = "halted by the human")]
        reason: String,
        /// Also cancel every open order and order list in each environment with keys
        /// (production only after a yes on this terminal).
        #[arg(long)]
        cancel_open: bool,
    },
    /// Kill switch off: remove ~/binance/HALT.
    Resume,
    /// Read the memory folder in a terminal.
    Memory {
        #[command(subcommand)]
        what: MemoryCommand,
    },
}

#[derive(Subcommand)]
enum MemoryCommand {
    /// Print the memory folder's path.
    Path,
    /// Print memory.md, runbooks.md or incidents.md.
    Show {
        /// memory, runbooks or incidents.
        #[arg(default_value = "incidents")]
        file: String,
        /// Only entries from the last period, e.g. 30m, 12h, 1d, 7d.
        #[arg(long)]
        since: Option<String>,
    },
    /// List snapshots, optionally of one symbol.
    Snapshots { symbol: Option<String> },
    /// Print the audit log readably: signed requests, confirmations, gate refusals, halts.
    Audit {
        #[command(flatten)]
        filter: ReviewArgs,
    },
    /// Print the orders and lists the desk reserved (state.db), with their outcomes.
    Orders {
        #[command(flatten)]
        filter: ReviewArgs,
    },
    /// Print the newest entries of the order journal (state.db), one JSON object per line.
    Journal {
        /// Only this environment: production, testnet or demo.
        #[arg(long, value_parser = parse_environment)]
        environment: Option<binance_mcp::config::Environment>,
        /// How many entries, newest last.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

/// `--environment`: production, testnet or demo.
fn parse_environment(value: &str) -> Result<binance_mcp::config::Environment, String> {
    binance_mcp::config::Environment::ALL
        .into_iter()
        .find(|env| env.as_str().eq_ignore_ascii_case(value.trim()))
        .ok_or_else(|| "expected production, testnet or demo".to_owned())
}

/// `--market-start`: a UTC date as ms since epoch at its midnight.
fn parse_market_start(value: &str) -> Result<i64, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(value, format).map_err(|e| format!("expected a date like 2026-01-01 ({e})"))?;
    let midnight = date.midnight().assume_utc();
    Ok(i64::try_from(midnight.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

/// Filters of `memory audit` and `memory orders`.
#[derive(clap::Args)]
struct ReviewArgs {
    /// Only this environment: production, testnet or demo.
    #[arg(long, value_parser = parse_environment)]
    environment: Option<binance_mcp::config::Environment>,
    /// Only this symbol, e.g. BTCUSDT.
    #[arg(long)]
    symbol: Option<String>,
    /// Only this UTC day, YYYY-MM-DD.
    #[arg(long)]
    day: Option<String>,
    /// How many lines, newest last.
    #[arg(long, default_value_t = 100)]
    limit: usize,
}

impl ReviewArgs {
    fn filter(self) -> binance_mcp::review::ReviewFilter {
        binance_mcp::review::ReviewFilter {
            environment: self.environment,
            symbol: self.symbol.map(|s| s.trim().to_uppercase()),
            day: self.day,
            limit: self.limit,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Serving logs at info; one-shot commands only warn, so their output stays readable.
    let serving = matches!(
        cli.command,
        None | Some(Command::Serve { .. }) | Some(Command::Emulator { .. })
    );
    cli::init_logging(if serving {
        "binance_mcp=info,rmcp=warn"
    } else {
        "binance_mcp=warn,rmcp=warn"
    });
    // Serving stdio is one client's requests, a few WebSockets and timers: one thread runs them
    // all without handing each message between workers. The emulator, the embedded one of
    // `serve --emulator`, and `call` (a client and a server in one process) keep two workers.
    let single_client = matches!(cli.command, None | Some(Command::Serve { emulator: false, .. }));
    let mut builder = if single_client {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("binance-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let command = cli.command.unwrap_or(Command::Serve {
        emulator: false,
        seed: 42,
    });
    if let Command::Emulator {
        addr,
        api_key,
        api_secret,
        ed25519_public_key_file,
        seed,
        market_start,
        weight_limit,
    } = command
    {
        let mut config = emulator::EmulatorConfig::new(seed);
        config.market_start_ms = market_start.unwrap_or(emulator::DEFAULT_MARKET_START_MS);
        config.weight_limit_per_minute = weight_limit.max(1);
        match (api_key, api_secret, ed25519_public_key_file) {
            (Some(key), Some(secret), None) => config = config.with_account(key, secret),
            (Some(key), None, Some(path)) => {
                let pem = match std::fs::read_to_string(&path) {
                    Ok(pem) => pem,
                    Err(e) => {
                        eprintln!(
                            "binance-mcp: cannot read --ed25519-public-key-file {}: {e}",
                            path.display()
                        );
                        return ExitCode::from(2);
                    }
                };
                match emulator::AccountKey::ed25519_from_pem(&pem) {
                    Ok(public_key) => config = config.with_keyed_account(key, public_key),
                    Err(e) => {
                        eprintln!("binance-mcp: --ed25519-public-key-file {}: {e}", path.display());
                        return ExitCode::from(2);
                    }
                }
            }
            // clap's `signer` group admits one of the two, and only with --api-key.
            _ => {}
        }
        return runtime.block_on(cli::run_emulator(addr, config));
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("binance-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Serve { emulator, seed } => cli::serve(config, emulator.then_some(seed)).await,
            Command::Call {
                tool,
                arguments,
                emulator,
            } => cli::call(config, emulator, &tool, &arguments).await,
            Command::Doctor => cli::doctor(config).await,
            Command::Halt { reason, cancel_open } if cancel_open => cli::halt_and_cancel(config, &reason).await,
            Command::Halt { reason, .. } => cli::halt(&config, &reason),
            Command::Resume => cli::resume(&config),
            Command::Memory { what } => match what {
                MemoryCommand::Path => cli::memory_path(&config),
                MemoryCommand::Show { file, since } => cli::memory_show(&config, &file, since.as_deref()),
                MemoryCommand::Snapshots { symbol } => cli::memory_snapshots(&config, symbol.as_deref()),
                MemoryCommand::Journal { environment, limit } => cli::memory_journal(&config, environment, limit),
                MemoryCommand::Audit { filter } => {
                    cli::memory_review(&config, cli::ReviewKind::Audit, &filter.filter())
                }
                MemoryCommand::Orders { filter } => {
                    cli::memory_review(&config, cli::ReviewKind::Orders, &filter.filter())
                }
            },
            Command::Emulator { .. } => ExitCode::SUCCESS,
        }
    })
}
