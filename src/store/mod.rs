//! `state.db`: the order desk's store (SQLite, WAL). Passed tests, reservations (each consuming
//! exactly one test), orders and their outcomes, cancel timers and every journaled event
//! (user-data events, reconciliations, cancels, amends) live here. Every gate question is an
//! indexed query, and the check and the reservation are one `BEGIN IMMEDIATE` transaction
//! (see `gate`), so neither threads nor processes can interleave them. Nothing is rotated.

mod gate;
mod import;
mod journal_row;
mod paper;
mod schema;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

pub use gate::{Outcome, Reservation, ReservationRequest};
use journal_row::journal_only;
pub use paper::PaperRef;

use crate::config::Environment;
use crate::memory::journal::{OrderJournal, PendingTimer, TrackedOrder, is_final_status};
use crate::memory::ledger::{LedgerEvent, LedgerView};
use crate::memory::{Memory, MemoryError};

/// The store's file in the memory folder.
pub const STORE_FILE: &str = "state.db";

/// How long a write waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on `state.db`; clones share one connection.
#[derive(Clone, Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

/// One order (or list) the desk reserved, as the human reads it back.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReservedOrder {
    /// ms since epoch.
    pub at_ms: i64,
    pub environment: Environment,
    pub client_order_id: String,
    pub symbol: String,
    pub quote_asset: Option<String>,
    /// The worst-case notional counted against the limits (decimal string).
    pub worst_case_notional: Option<String>,
    /// `accepted`, `rejected`, `unknown`, `absent`, `paper`, or none while it was being sent.
    pub outcome: Option<String>,
    /// The order (or list) as reserved.
    pub payload: Value,
}

/// Which reserved orders `binance-mcp memory orders` wants.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub environment: Option<Environment>,
    pub symbol: Option<String>,
    /// [start, end) in ms since epoch.
    pub between_ms: Option<(i64, i64)>,
    pub limit: usize,
}

/// Which journaled events `order_events` wants.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub symbol: Option<String>,
    pub order_id: Option<u64>,
    pub client_order_id: Option<String>,
    /// The newest this many, returned oldest first.
    pub limit: usize,
}

impl Store {
    /// Whether `memory`'s folder holds anything the store would read: `state.db`, or a legacy
    /// ledger it would import. When not, the store is empty and opening it can wait for the
    /// first write.
    pub fn has_history(memory: &Memory) -> bool {
        memory.path(STORE_FILE).exists() || import::any_legacy_ledger(memory)
    }

    /// Opens (creating, migrating and importing a legacy `ledger.jsonl` once) the store of
    /// `memory`'s folder.
    pub fn open(memory: &Memory) -> Result<Store, MemoryError> {
        memory.ensure()?;
        let path = memory.path(STORE_FILE);
        create_private(&path).map_err(|e| MemoryError::io(&path, e))?;
        let failed = |e: rusqlite::Error| store_error(&path, e);
        let mut conn = Connection::open(&path).map_err(failed)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(failed)?;
        // A reservation that a power cut could undo would license a second order: full sync.
        conn.pragma_update(None, "synchronous", "FULL").map_err(failed)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let version = schema::version(&tx).map_err(failed)?;
        if version > schema::VERSION {
            return Err(MemoryError::Invalid(format!(
                "{} was written by a newer binance-mcp (schema {version}, this build knows {}): update binance-mcp",
                path.display(),
                schema::VERSION
            )));
        }
        let fresh = version == 0;
        schema::migrate(&tx, version).map_err(failed)?;
        let imported = if fresh {
            import::legacy_ledger(&tx, memory)?
        } else {
            Vec::new()
        };
        tx.commit().map_err(failed)?;
        // Only once the import is committed is the old ledger set aside (never deleted).
        for file in imported {
            let aside = file.with_file_name(format!(
                "{}.imported",
                file.file_name().and_then(|n| n.to_str()).unwrap_or("ledger.jsonl")
            ));
            std::fs::rename(&file, &aside).map_err(|e| MemoryError::io(&file, e))?;
        }
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn failed(&self, e: rusqlite::Error) -> MemoryError {
        store_error(&self.path, e)
    }

    /// Journals one event and updates what it changes (tests, outcomes, orders, timers), in one
    /// transaction.
    pub fn record(&self, event: &LedgerEvent) -> Result<(), MemoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.failed(e))?;
        apply(&tx, event).map_err(|e| self.failed(e))?;
        tx.commit().map_err(|e| self.failed(e))
    }

    /// Journals many events in one transaction (an import, a benchmark's history).
    pub fn record_batch(&self, events: &[LedgerEvent]) -> Result<(), MemoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.failed(e))?;
        for event in events {
            apply(&tx, event).map_err(|e| self.failed(e))?;
        }
        tx.commit().map_err(|e| self.failed(e))
    }

    /// The orders placed in `env` that the store believes open (last known status not final),
    /// oldest first.
    pub fn open_orders_believed(&self, env: Environment) -> Result<Vec<TrackedOrder>, MemoryError> {
        let conn = self.conn();
        let ids: Vec<u64> = (|| {
            let mut stmt = conn
                .prepare_cached("SELECT order_id FROM orders WHERE environment = ?1 AND open = 1 ORDER BY order_id")?;
            stmt.query_map(params![env.as_str()], |r| r.get::<_, i64>(0))?
                .map(|r| r.map(|id| id as u64))
                .collect::<rusqlite::Result<Vec<u64>>>()
        })()
        .map_err(|e| self.failed(e))?;
        let mut events = Vec::new();
        for id in ids {
            events.extend(order_events(&conn, env, id).map_err(|e| self.failed(e))?);
        }
        events.sort_by_key(|(row, _)| *row);
        let view = LedgerView::from_events(events.into_iter().map(|(_, e)| e).collect());
        Ok(view.open_orders_believed(env))
    }

    /// What the exchange said about one order (its journaled events).
    pub fn order_journal(&self, env: Environment, order_id: u64) -> Result<OrderJournal, MemoryError> {
        let conn = self.conn();
        let events = order_events(&conn, env, order_id).map_err(|e| self.failed(e))?;
        let view = LedgerView::from_events(events.into_iter().map(|(_, e)| e).collect());
        Ok(view.order_journal(env, order_id))
    }

    /// Cancel timers set and not yet done, in every environment, soonest first.
    pub fn pending_timers(&self) -> Result<Vec<PendingTimer>, MemoryError> {
        let conn = self.conn();
        (|| {
            let mut stmt = conn.prepare_cached(
                "SELECT environment, symbol, order_id, client_order_id, due_ms FROM timers WHERE done = 0 ORDER BY due_ms",
            )?;
            stmt.query_map([], |r| {
                Ok(PendingTimer {
                    environment: env_of(&r.get::<_, String>(0)?),
                    symbol: r.get(1)?,
                    order_id: r.get::<_, i64>(2)? as u64,
                    client_order_id: r.get(3)?,
                    due_ms: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<PendingTimer>>>()
        })()
        .map_err(|e| self.failed(e))
    }

    /// The journaled exchange events and timer events of `env` that match `filter`: the newest
    /// `filter.limit`, oldest first, and how many match in all.
    pub fn exchange_events(
        &self,
        env: Environment,
        filter: &EventFilter,
    ) -> Result<(Vec<LedgerEvent>, usize), MemoryError> {
        let conn = self.conn();
        let symbol = filter.symbol.as_deref();
        let order_id = filter.order_id.map(|id| id as i64);
        let client = filter.client_order_id.as_deref();
        let clause =
            "environment = ?1 AND kind IN ('exchange_event', 'cancel_timer_set', 'cancel_timer_done', 'paper_event')
             AND (?2 IS NULL OR symbol = ?2) AND (?3 IS NULL OR order_id = ?3)
             AND (?4 IS NULL OR client_order_id = ?4)";
        (|| {
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM events WHERE {clause}"),
                params![env.as_str(), symbol, order_id, client],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT body FROM events WHERE {clause} ORDER BY id DESC LIMIT ?5"
            ))?;
            let mut events: Vec<LedgerEvent> = stmt
                .query_map(
                    params![env.as_str(), symbol, order_id, client, filter.limit as i64],
                    |r| r.get::<_, String>(0),
                )?
                .filter_map(|body| body.ok().and_then(|b| serde_json::from_str(&b).ok()))
                .collect();
            events.reverse();
            Ok((events, total as usize))
        })()
        .map_err(|e| self.failed(e))
    }

    /// How many times a tool lowered this order's quantity in place.
    pub fn amendments(&self, env: Environment, order_id: u64) -> Result<u32, MemoryError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT COUNT(*) FROM events WHERE environment = ?1 AND order_id = ?2 AND kind = 'order_amended'",
            params![env.as_str(), order_id as i64],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as u32)
        .map_err(|e| self.failed(e))
    }

    /// The payload reserved under a (list) client order id in `env`, if this server sent it.
    pub fn reserved_payload(&self, env: Environment, client_order_id: &str) -> Result<Option<Value>, MemoryError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT body FROM reservations WHERE environment = ?1 AND client_order_id = ?2",
            params![env.as_str(), client_order_id],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map(|body| body.and_then(|b| serde_json::from_str(&b).ok()))
        .map_err(|e| self.failed(e))
    }

    /// The newest reserved orders and lists matching `filter`, oldest first.
    pub fn reserved_orders(&self, filter: &OrderFilter) -> Result<Vec<ReservedOrder>, MemoryError> {
        let conn = self.conn();
        let (from, to) = filter.between_ms.unwrap_or((i64::MIN, i64::MAX));
        (|| {
            let mut stmt = conn.prepare_cached(
                "SELECT at_ms, environment, client_order_id, symbol, quote_asset, notional, outcome, body
                 FROM reservations
                 WHERE (?1 IS NULL OR environment = ?1) AND (?2 IS NULL OR symbol = ?2) AND at_ms >= ?3 AND at_ms < ?4
                 ORDER BY at_ms DESC, id DESC LIMIT ?5",
            )?;
            let mut rows = stmt
                .query_map(
                    params![
                        filter.environment.map(Environment::as_str),
                        filter.symbol.as_deref(),
                        from,
                        to,
                        filter.limit as i64
                    ],
                    |r| {
                        Ok(ReservedOrder {
                            at_ms: r.get(0)?,
                            environment: env_of(&r.get::<_, String>(1)?),
                            client_order_id: r.get(2)?,
                            symbol: r.get(3)?,
                            quote_asset: r.get(4)?,
                            worst_case_notional: r.get(5)?,
                            outcome: r.get(6)?,
                            payload: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.reverse();
            Ok(rows)
        })()
        .map_err(|e| self.failed(e))
    }

    /// Every journaled event, oldest first (for `binance-mcp memory` and tests; the gate never
    /// reads the whole journal).
    pub fn all_events(&self, env: Option<Environment>, limit: usize) -> Result<Vec<LedgerEvent>, MemoryError> {
        let conn = self.conn();
        (|| {
            let mut stmt = conn.prepare_cached(
                "SELECT body FROM events WHERE (?1 IS NULL OR environment = ?1) ORDER BY id DESC LIMIT ?2",
            )?;
            let mut events: Vec<LedgerEvent> = stmt
                .query_map(params![env.map(Environment::as_str), limit as i64], |r| {
                    r.get::<_, String>(0)
                })?
                .filter_map(|body| body.ok().and_then(|b| serde_json::from_str(&b).ok()))
                .collect();
            events.reverse();
            Ok(events)
        })()
        .map_err(|e| self.failed(e))
    }
}

/// One order's journaled events with their row ids.
fn order_events(conn: &Connection, env: Environment, order_id: u64) -> rusqlite::Result<Vec<(i64, LedgerEvent)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, body FROM events WHERE environment = ?1 AND order_id = ?2
         UNION
         SELECT e.id, e.body FROM events e JOIN orders o
           ON e.environment = o.environment AND e.client_order_id = o.client_order_id
         WHERE o.environment = ?1 AND o.order_id = ?2 AND e.kind IN ('order_reserved', 'reconciled')
         ORDER BY 1",
    )?;
    stmt.query_map(params![env.as_str(), order_id as i64], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?
    .filter_map(|row| match row {
        Ok((id, body)) => serde_json::from_str(&body).ok().map(|e| Ok((id, e))),
        Err(e) => Some(Err(e)),
    })
    .collect()
}

/// Journals `event` and updates the tables it changes; the caller holds the transaction.
fn apply(conn: &Connection, event: &LedgerEvent) -> rusqlite::Result<()> {
    let env = journal_only(conn, event)?;
    apply_effects(conn, env.as_str(), event)
}

fn apply_effects(conn: &Connection, env: &str, event: &LedgerEvent) -> rusqlite::Result<()> {
    match event {
        LedgerEvent::TestPassed {
            at_ms,
            identity,
            shape,
            symbol,
            ..
        } => {
            conn.prepare_cached(
                "INSERT INTO tests (at_ms, environment, identity, shape, symbol) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![at_ms, env, identity, shape, symbol])?;
        }
        LedgerEvent::OrderReserved { .. } => {
            // Only a legacy ledger brings these here; live reservations go through the gate.
            import::legacy_reservation(conn, event)?;
        }
        LedgerEvent::OrderAccepted {
            client_order_id,
            order_id,
            status,
            shape,
            symbol,
            ..
        } => {
            gate::settle(conn, env, client_order_id, Outcome::Accepted)?;
            let symbol = match symbol {
                Some(s) => Some(s.clone()),
                None => gate::reserved_symbol(conn, env, client_order_id)?,
            };
            conn.prepare_cached(
                "INSERT INTO orders (environment, order_id, client_order_id, symbol, shape, status, open)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (environment, order_id) DO UPDATE SET
                   client_order_id = excluded.client_order_id, symbol = COALESCE(excluded.symbol, symbol),
                   shape = COALESCE(excluded.shape, shape), status = excluded.status, open = excluded.open",
            )?
            .execute(params![
                env,
                *order_id as i64,
                client_order_id,
                symbol,
                shape,
                status,
                open_flag(status)
            ])?;
        }
        LedgerEvent::OrderRejected { client_order_id, .. } => {
            gate::settle(conn, env, client_order_id, Outcome::Rejected)?;
        }
        LedgerEvent::OrderUnknown { client_order_id, .. } => {
            gate::settle(conn, env, client_order_id, Outcome::Unknown)?;
        }
        LedgerEvent::Reconciled {
            client_order_id,
            outcome,
            order_id,
            status,
            ..
        } => {
            match outcome.as_str() {
                "exists" => gate::settle(conn, env, client_order_id, Outcome::Accepted)?,
                "absent" => gate::settle(conn, env, client_order_id, Outcome::Absent)?,
                _ => {}
            }
            if let (Some(order_id), Some(status)) = (order_id, status) {
                let symbol = gate::reserved_symbol(conn, env, client_order_id)?;
                if symbol.is_some() {
                    conn.prepare_cached(
                        "INSERT INTO orders (environment, order_id, client_order_id, symbol, status, open)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (environment, order_id) DO UPDATE SET status = excluded.status, open = excluded.open",
                    )?
                    .execute(params![
                        env,
                        *order_id as i64,
                        client_order_id,
                        symbol,
                        status,
                        open_flag(status)
                    ])?;
                }
            }
        }
        LedgerEvent::PaperFill { client_order_id, .. } => {
            gate::settle(conn, env, client_order_id, Outcome::Paper)?;
        }
        LedgerEvent::ExchangeEvent {
            order_id: Some(order_id),
            status: Some(status),
            ..
        } => set_status(conn, env, *order_id, status)?,
        LedgerEvent::OrderCanceled { order_id, .. } => set_status(conn, env, *order_id, "CANCELED")?,
        LedgerEvent::CancelTimerSet {
            symbol,
            order_id,
            client_order_id,
            due_ms,
            ..
        } => {
            conn.prepare_cached(
                "INSERT INTO timers (environment, order_id, symbol, client_order_id, due_ms, done)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)
                 ON CONFLICT (environment, order_id) DO UPDATE SET due_ms = excluded.due_ms, done = 0",
            )?
            .execute(params![env, *order_id as i64, symbol, client_order_id, due_ms])?;
        }
        LedgerEvent::CancelTimerDone { order_id, status, .. } => {
            conn.prepare_cached("UPDATE timers SET done = 1 WHERE environment = ?1 AND order_id = ?2")?
                .execute(params![env, *order_id as i64])?;
            if let Some(status) = status {
                set_status(conn, env, *order_id, status)?;
            }
        }
        // Paper events: the paper tables are written in the same transaction (see `paper`).
        LedgerEvent::ExchangeEvent { .. } | LedgerEvent::OrderAmended { .. } | LedgerEvent::PaperEvent { .. } => {}
    }
    Ok(())
}

fn set_status(conn: &Connection, env: &str, order_id: u64, status: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE orders SET status = ?3, open = ?4 WHERE environment = ?1 AND order_id = ?2")?
        .execute(params![env, order_id as i64, status, open_flag(status)])?;
    Ok(())
}

fn open_flag(status: &str) -> i64 {
    i64::from(!is_final_status(status))
}

fn env_of(name: &str) -> Environment {
    match name {
        "production" => Environment::Production,
        "demo" => Environment::Demo,
        _ => Environment::Testnet,
    }
}

fn store_error(path: &Path, e: rusqlite::Error) -> MemoryError {
    MemoryError::Invalid(format!(
        "the order store {} failed: {e}. Orders stay refused until it works: check the folder's permissions and free disk space; a human can inspect the file with any SQLite tool.",
        path.display()
    ))
}

/// Creates the database file readable by its owner only, before SQLite opens it.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop)
}
