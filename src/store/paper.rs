//! Paper mode's part of the store: one paper account per environment (seeded once), its
//! balances, and the paper orders and lists. The engine (`crate::paper_engine`) works on a
//! [`PaperBook`] that [`Store::paper`] loads, hands over and writes back in one `BEGIN
//! IMMEDIATE` transaction, with the engine's events journaled in the same transaction.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;

use super::{Store, journal_only};
use crate::config::Environment;
use crate::memory::MemoryError;
use crate::memory::ledger::LedgerEvent;
use crate::paper_engine::{PAPER_ID_BASE, PaperBook, PaperList, PaperOrder};

/// How a paper order or list is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaperRef {
    Id(u64),
    ClientId(String),
}

impl Store {
    /// Runs `f` on `env`'s paper book (open orders and lists, balances; the account seeded
    /// with `seed` the first time) and writes back what it changed, in one transaction.
    pub fn paper<R>(
        &self,
        env: Environment,
        seed: &[(String, Decimal)],
        now_ms: i64,
        f: impl FnOnce(&mut PaperBook) -> R,
    ) -> Result<R, MemoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.failed(e))?;
        let mut book = load_book(&tx, env, seed, now_ms).map_err(|e| self.failed(e))?;
        let out = f(&mut book);
        save_book(&tx, &book).map_err(|e| self.failed(e))?;
        tx.commit().map_err(|e| self.failed(e))?;
        Ok(out)
    }

    /// One paper order of `env`, open or ended.
    pub fn paper_order(&self, env: Environment, by: &PaperRef) -> Result<Option<PaperOrder>, MemoryError> {
        let conn = self.conn();
        let body: Option<String> = match by {
            PaperRef::Id(id) if *id > PAPER_ID_BASE => conn
                .query_row(
                    "SELECT body FROM paper_orders WHERE environment = ?1 AND id = ?2",
                    params![env.as_str(), (*id - PAPER_ID_BASE) as i64],
                    |r| r.get(0),
                )
                .optional(),
            PaperRef::Id(_) => Ok(None),
            PaperRef::ClientId(client) => conn
                .query_row(
                    "SELECT body FROM paper_orders WHERE environment = ?1 AND client_order_id = ?2",
                    params![env.as_str(), client],
                    |r| r.get(0),
                )
                .optional(),
        }
        .map_err(|e| self.failed(e))?;
        Ok(body.and_then(|b| serde_json::from_str(&b).ok()))
    }

    /// A paper list of `env` and its legs.
    pub fn paper_list(
        &self,
        env: Environment,
        by: &PaperRef,
    ) -> Result<Option<(PaperList, Vec<PaperOrder>)>, MemoryError> {
        let conn = self.conn();
        let found: Option<(i64, String)> = match by {
            PaperRef::Id(id) if *id > PAPER_ID_BASE => conn
                .query_row(
                    "SELECT id, body FROM paper_lists WHERE environment = ?1 AND id = ?2",
                    params![env.as_str(), (*id - PAPER_ID_BASE) as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional(),
            PaperRef::Id(_) => Ok(None),
            PaperRef::ClientId(client) => conn
                .query_row(
                    "SELECT id, body FROM paper_lists WHERE environment = ?1 AND list_client_order_id = ?2",
                    params![env.as_str(), client],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional(),
        }
        .map_err(|e| self.failed(e))?;
        let Some((id, body)) = found else {
            return Ok(None);
        };
        let Ok(list) = serde_json::from_str::<PaperList>(&body) else {
            return Ok(None);
        };
        let legs = query_orders(
            &conn,
            "SELECT body FROM paper_orders WHERE list_id = ?1 ORDER BY id",
            params![id],
        )
        .map_err(|e| self.failed(e))?;
        Ok(Some((list, legs)))
    }

    /// Paper orders of `env` (one symbol or all), open ones only or every one; the newest
    /// `limit`, oldest first.
    pub fn paper_orders(
        &self,
        env: Environment,
        symbol: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<PaperOrder>, MemoryError> {
        let conn = self.conn();
        let mut orders = query_orders(
            &conn,
            "SELECT body FROM paper_orders WHERE environment = ?1 AND (?2 IS NULL OR symbol = ?2)
               AND (?3 = 0 OR open = 1) ORDER BY id DESC LIMIT ?4",
            params![env.as_str(), symbol, i64::from(open_only), limit as i64],
        )
        .map_err(|e| self.failed(e))?;
        orders.reverse();
        Ok(orders)
    }

    /// `env`'s paper balances (totals per asset), or None before the account was first used.
    pub fn paper_balances(&self, env: Environment) -> Result<Option<BTreeMap<String, Decimal>>, MemoryError> {
        let conn = self.conn();
        (|| {
            let seeded: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM paper_accounts WHERE environment = ?1)",
                params![env.as_str()],
                |r| r.get(0),
            )?;
            if !seeded {
                return Ok(None);
            }
            balances(&conn, env).map(Some)
        })()
        .map_err(|e| self.failed(e))
    }

    /// The symbols with open paper orders in `env`, each with the oldest time its orders were
    /// last looked at.
    pub fn paper_open_symbols(&self, env: Environment) -> Result<Vec<(String, i64)>, MemoryError> {
        let orders = self.paper_orders(env, None, true, 10_000)?;
        let mut symbols: BTreeMap<String, i64> = BTreeMap::new();
        for o in orders {
            let entry = symbols.entry(o.symbol.clone()).or_insert(o.checked_ms);
            *entry = (*entry).min(o.checked_ms);
        }
        Ok(symbols.into_iter().collect())
    }
}

fn query_orders<P: rusqlite::Params>(conn: &Connection, sql: &str, args: P) -> rusqlite::Result<Vec<PaperOrder>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in rows {
        if let Ok(order) = serde_json::from_str(&body?) {
            out.push(order);
        }
    }
    Ok(out)
}

fn balances(conn: &Connection, env: Environment) -> rusqlite::Result<BTreeMap<String, Decimal>> {
    let mut stmt = conn.prepare_cached("SELECT asset, total FROM paper_balances WHERE environment = ?1")?;
    let rows = stmt.query_map(params![env.as_str()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (asset, total) = row?;
        out.insert(asset, total.parse().unwrap_or_default());
    }
    Ok(out)
}

fn load_book(
    conn: &Connection,
    env: Environment,
    seed: &[(String, Decimal)],
    now_ms: i64,
) -> rusqlite::Result<PaperBook> {
    let seeded: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM paper_accounts WHERE environment = ?1)",
        params![env.as_str()],
        |r| r.get(0),
    )?;
    if !seeded {
        let described: Vec<String> = seed.iter().map(|(a, v)| format!("{a}:{}", v.normalize())).collect();
        conn.prepare_cached("INSERT INTO paper_accounts (environment, seeded_ms, seed) VALUES (?1, ?2, ?3)")?
            .execute(params![env.as_str(), now_ms, described.join(",")])?;
        for (asset, amount) in seed {
            conn.prepare_cached(
                "INSERT INTO paper_balances (environment, asset, total) VALUES (?1, ?2, ?3)
                 ON CONFLICT (environment, asset) DO UPDATE SET total = excluded.total",
            )?
            .execute(params![env.as_str(), asset, amount.normalize().to_string()])?;
        }
    }
    let orders = query_orders(
        conn,
        "SELECT body FROM paper_orders WHERE environment = ?1 AND open = 1 ORDER BY id",
        params![env.as_str()],
    )?;
    let mut lists = Vec::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT body FROM paper_lists WHERE environment = ?1 AND open = 1 ORDER BY id")?;
        for body in stmt.query_map(params![env.as_str()], |r| r.get::<_, String>(0))? {
            if let Ok(list) = serde_json::from_str::<PaperList>(&body?) {
                lists.push(list);
            }
        }
    }
    let next = |table: &str| -> rusqlite::Result<u64> {
        conn.query_row(&format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
    };
    Ok(PaperBook {
        environment: env,
        orders,
        lists,
        balances: balances(conn, env)?,
        events: Vec::new(),
        next_order_id: next("paper_orders")?,
        next_list_id: next("paper_lists")?,
    })
}

fn save_book(conn: &Connection, book: &PaperBook) -> rusqlite::Result<()> {
    let env = book.environment.as_str();
    for list in &book.lists {
        conn.prepare_cached(
            "INSERT INTO paper_lists (id, environment, list_client_order_id, symbol, open, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET open = excluded.open, body = excluded.body",
        )?
        .execute(params![
            (list.order_list_id - PAPER_ID_BASE) as i64,
            env,
            list.list_client_order_id,
            list.symbol,
            i64::from(list.status != "ALL_DONE"),
            serde_json::to_string(list).unwrap_or_default()
        ])?;
    }
    for order in &book.orders {
        conn.prepare_cached(
            "INSERT INTO paper_orders (id, environment, client_order_id, symbol, list_id, open, created_ms, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET open = excluded.open, body = excluded.body",
        )?
        .execute(params![
            (order.order_id - PAPER_ID_BASE) as i64,
            env,
            order.client_order_id,
            order.symbol,
            order.list.as_ref().map(|l| (l.order_list_id - PAPER_ID_BASE) as i64),
            i64::from(order.is_open()),
            order.created_ms,
            serde_json::to_string(order).unwrap_or_default()
        ])?;
    }
    for (asset, total) in &book.balances {
        conn.prepare_cached(
            "INSERT INTO paper_balances (environment, asset, total) VALUES (?1, ?2, ?3)
             ON CONFLICT (environment, asset) DO UPDATE SET total = excluded.total",
        )?
        .execute(params![env, asset, total.normalize().to_string()])?;
    }
    for e in &book.events {
        journal_only(
            conn,
            &LedgerEvent::PaperEvent {
                at: spot_types::time::utc(e.at_ms),
                at_ms: e.at_ms,
                environment: book.environment,
                symbol: e.symbol.clone(),
                order_id: e.order_id,
                client_order_id: e.client_order_id.clone(),
                list_client_order_id: e.list_client_order_id.clone(),
                execution: e.execution.to_owned(),
                status: e.status.clone(),
                last_qty: e.last_qty,
                last_price: e.last_price,
                executed_qty: e.executed_qty,
                note: e.note.clone(),
            },
        )?;
    }
    Ok(())
}
