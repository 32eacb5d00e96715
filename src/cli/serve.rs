//! `binance-mcp serve` and `binance-mcp emulator`: MCP over stdio until stdin closes or a
//! signal arrives, the standalone emulator, and the embedded emulators of `--emulator`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use rand::Rng;
use rand::distr::Alphanumeric;
use rmcp::{ServiceExt, transport};

use crate::config::{Config, Environment};
use crate::server::BinanceServer;
use spot_emulator::{self as emulator, EmulatorConfig, EmulatorHandle};

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
