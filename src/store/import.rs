//! The one-time import of a legacy `ledger.jsonl` (and its rotated parts) into a new store.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};

use crate::memory::ledger::LedgerEvent;
use crate::memory::{Memory, MemoryError};

const LEGACY_LEDGER: &str = "ledger.jsonl";

/// Whether the folder holds a legacy ledger (current or rotated) that opening the store would import.
pub(super) fn any_legacy_ledger(memory: &Memory) -> bool {
    memory.path(LEGACY_LEDGER).exists()
        || std::fs::read_dir(memory.home()).is_ok_and(|entries| {
            entries.filter_map(Result::ok).any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with("ledger.") && n.ends_with(".jsonl"))
            })
        })
}

/// Replays every legacy ledger line into the store, oldest file first (rotated parts are named
/// `ledger.<UTC stamp>.jsonl`, so their names sort by age); returns the files to set aside
/// once the transaction commits.
pub(super) fn legacy_ledger(conn: &Connection, memory: &Memory) -> Result<Vec<PathBuf>, MemoryError> {
    let home = memory.home();
    let mut rotated: Vec<PathBuf> = match std::fs::read_dir(home) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("ledger.") && n.ends_with(".jsonl") && n != LEGACY_LEDGER)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    rotated.sort();
    let current = memory.path(LEGACY_LEDGER);
    if current.exists() {
        rotated.push(current);
    }
    for file in &rotated {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or(LEGACY_LEDGER);
        let events: Vec<LedgerEvent> = memory.read_jsonl(name)?;
        for event in &events {
            super::apply(conn, event).map_err(|e| super::store_error(file, e))?;
        }
        tracing::info!(file = %file.display(), events = events.len(), "imported the legacy ledger into state.db");
    }
    Ok(rotated)
}

/// A legacy reservation: it consumes the newest unused test of its payload passed before it,
/// as the old ledger's rule did, and its client id can settle it.
pub(super) fn legacy_reservation(conn: &Connection, event: &LedgerEvent) -> rusqlite::Result<()> {
    let LedgerEvent::OrderReserved {
        at_ms,
        environment,
        client_order_id,
        identity,
        shape,
        order,
        notional,
        quote_asset,
        ..
    } = event
    else {
        return Ok(());
    };
    let env = environment.as_str();
    let test: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM tests WHERE environment = ?1 AND identity = ?2 AND at_ms <= ?3 AND consumed_by IS NULL
             ORDER BY at_ms DESC LIMIT 1",
        )?
        .query_row(params![env, identity, at_ms], |r| r.get(0))
        .optional()?;
    let symbol = order.get("symbol").and_then(|s| s.as_str()).unwrap_or_default();
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO reservations (at_ms, environment, client_order_id, test_id, identity, shape, symbol, quote_asset, notional, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            at_ms,
            env,
            client_order_id,
            test,
            identity,
            shape,
            symbol,
            quote_asset,
            notional.map(|n| n.normalize().to_string()),
            order.to_string()
        ])?;
    if inserted == 0 {
        return Ok(());
    }
    let id = conn.last_insert_rowid();
    if let Some(test) = test {
        conn.prepare_cached("UPDATE tests SET consumed_by = ?1 WHERE id = ?2")?
            .execute(params![id, test])?;
    }
    conn.prepare_cached(
        "INSERT OR IGNORE INTO client_ids (environment, client_order_id, reservation_id) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![env, client_order_id, id])?;
    Ok(())
}
