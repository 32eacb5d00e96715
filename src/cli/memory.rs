//! `binance-mcp memory path|show|snapshots|journal|audit|orders`: the memory folder's files,
//! the rule snapshots, the journal of `state.db`, the audit log and the reserved orders, read
//! for the human.

use std::process::ExitCode;

use crate::config::{Config, Environment};

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
