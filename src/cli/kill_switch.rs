//! `binance-mcp halt [--cancel-open]` and `binance-mcp resume`: the kill switch on and off,
//! audited; with `--cancel-open`, every open order and order list canceled too (production only
//! when the human says yes on the terminal).

use std::io::Write;
use std::process::ExitCode;

use crate::config::{Config, Environment};

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
