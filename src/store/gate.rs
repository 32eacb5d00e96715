//! The gate's transaction (DESIGN §4 step 3): kill switch, read-only, the human's limits, one
//! unused passed test of the identical payload, a client order id never used before, the
//! production rehearsal, and today's notional — checked and reserved in one `BEGIN IMMEDIATE`
//! transaction, so two threads or two processes cannot both pass on one test or one budget.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;
use serde_json::Value;

use super::Store;
use crate::config::Environment;
use crate::guard::{self, Refusal};
use crate::memory::MemoryError;
use crate::memory::ledger::LedgerEvent;
use crate::memory::preferences::Preferences;

/// How a reservation ended. Each reservation ends in exactly one of these (an unknown one is
/// later settled as accepted or absent by reconciliation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// Binance refused: nothing was placed; the reservation's own test is given back.
    Rejected,
    /// The answer was lost: counted as placed until a query says otherwise.
    Unknown,
    /// Reconciliation found no such order.
    Absent,
    /// Paper mode: a simulated fill.
    Paper,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Unknown => "unknown",
            Outcome::Absent => "absent",
            Outcome::Paper => "paper",
        }
    }
}

/// What the desk asks the gate to reserve: one order or one list.
#[derive(Clone, Debug)]
pub struct ReservationRequest {
    pub environment: Environment,
    /// The order's client order id, or the list's.
    pub client_order_id: String,
    /// A list's legs' client order ids (empty for one order).
    pub leg_client_order_ids: Vec<String>,
    /// Whether the agent chose the ids (a generated id cannot collide on purpose).
    pub ids_given: bool,
    /// The payload after exact normalisation (see `guard::order_identity`).
    pub identity: String,
    pub shape: String,
    pub symbol: String,
    pub quote_asset: String,
    /// The most quote asset this order (or list) can commit (DESIGN §4.1).
    pub worst_case_notional: Option<Decimal>,
    /// The payload as journaled.
    pub payload: Value,
    pub now_ms: i64,
    /// Production only: whether the symbol is listed on testnet or demo, so the shape must
    /// have been rehearsed there.
    pub rehearsal_required: bool,
    /// "order" or "list": how refusals word it.
    pub what: &'static str,
}

/// A committed reservation: the licence for one write, consumed by the desk when it sends
/// (only the gate makes one: its fields are private, and it is neither `Clone` nor `Copy`).
#[derive(Debug)]
pub struct Reservation {
    id: i64,
    test_id: i64,
    environment: Environment,
    client_order_id: String,
    day_total: Decimal,
    daily_limit: Option<Decimal>,
}

impl Reservation {
    /// The reservation's row in the store.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The passed test it consumed.
    pub fn test_id(&self) -> i64 {
        self.test_id
    }

    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The client order id (or list client order id) the order goes out under.
    pub fn client_order_id(&self) -> &str {
        &self.client_order_id
    }

    /// Today's notional in this environment and quote asset, this reservation included.
    pub fn day_total(&self) -> Decimal {
        self.day_total
    }

    /// The daily limit in force, if memory.md sets one for this environment and quote asset.
    pub fn daily_limit(&self) -> Option<Decimal> {
        self.daily_limit
    }
}

impl Store {
    /// Checks and reserves in one transaction. `at_send` runs inside it (the kill switch and
    /// read-only checks), so a halt that lands before the commit stops the order.
    pub fn reserve(
        &self,
        req: &ReservationRequest,
        prefs: &Preferences,
        at_send: impl FnOnce() -> Result<(), Refusal>,
    ) -> Result<Result<Reservation, Refusal>, MemoryError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.failed(e))?;
        let decided = decide(&tx, req, prefs, at_send).map_err(|e| self.failed(e))?;
        match decided {
            Ok(reservation) => {
                tx.commit().map_err(|e| self.failed(e))?;
                Ok(Ok(reservation))
            }
            Err(refusal) => Ok(Err(refusal)),
        }
    }

    /// The limits check of `order_test` (and a list's test): the same rules as at placement,
    /// against today's total, without reserving anything.
    pub fn check_limits(
        &self,
        env: Environment,
        symbol: &str,
        quote_asset: &str,
        worst_case_notional: Option<Decimal>,
        prefs: &Preferences,
        now_ms: i64,
    ) -> Result<Result<(), Refusal>, MemoryError> {
        let conn = self.conn();
        let placed = day_notional(&conn, env, quote_asset, now_ms).map_err(|e| self.failed(e))?;
        Ok(guard::require_within_limits(prefs, env, symbol, quote_asset, worst_case_notional, placed).map(drop))
    }

    /// Today's (UTC) notional sent in `env` with `quote_asset`: reservations not rejected and not
    /// found absent, in flight included.
    pub fn day_notional(&self, env: Environment, quote_asset: &str, now_ms: i64) -> Result<Decimal, MemoryError> {
        day_notional(&self.conn(), env, quote_asset, now_ms).map_err(|e| self.failed(e))
    }

    /// Whether an unused test of this identity passed in `env` at or after `since_ms` (no
    /// reservation is made: for refusing early, before the human is asked).
    pub fn has_unused_test(&self, env: Environment, identity: &str, since_ms: i64) -> Result<bool, MemoryError> {
        unused_test(&self.conn(), env, identity, since_ms)
            .map(|t| t.is_some())
            .map_err(|e| self.failed(e))
    }

    /// Refuses an agent-given client order id that already names an order in `env` (for
    /// `order_test`, so the agent learns before it spends a test; the placement checks again).
    pub fn require_new_client_id(&self, env: Environment, id: &str) -> Result<Result<(), Refusal>, MemoryError> {
        let used = client_id_used(&self.conn(), env, id).map_err(|e| self.failed(e))?;
        Ok(if used {
            Err(reused_client_id(env, id, true))
        } else {
            Ok(())
        })
    }

    /// Whether a payload of this shape passed a test in any of `envs`.
    pub fn shape_passed(&self, envs: &[Environment], shape: &str) -> Result<bool, MemoryError> {
        let conn = self.conn();
        shape_passed(&conn, envs, shape).map_err(|e| self.failed(e))
    }

    /// Whether an order of this shape was accepted in `env` before.
    pub fn shape_accepted(&self, env: Environment, shape: &str) -> Result<bool, MemoryError> {
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM orders WHERE environment = ?1 AND shape = ?2)",
                params![env.as_str(), shape],
                |r| r.get(0),
            )
            .map_err(|e| self.failed(e))
    }

    /// Ends a reservation (a list's outcome, or a human who declined): the same rules as the
    /// journaled outcome events.
    pub fn settle(&self, env: Environment, client_order_id: &str, outcome: Outcome) -> Result<(), MemoryError> {
        settle(&self.conn(), env.as_str(), client_order_id, outcome).map_err(|e| self.failed(e))
    }
}

fn decide(
    conn: &Connection,
    req: &ReservationRequest,
    prefs: &Preferences,
    at_send: impl FnOnce() -> Result<(), Refusal>,
) -> rusqlite::Result<Result<Reservation, Refusal>> {
    let env = req.environment;
    if let Err(r) = at_send() {
        return Ok(Err(r));
    }
    let ids = std::iter::once(&req.client_order_id).chain(&req.leg_client_order_ids);
    for id in ids {
        if client_id_used(conn, env, id)? {
            return Ok(Err(reused_client_id(env, id, req.ids_given)));
        }
    }
    let since = req.now_ms - guard::TEST_VALIDITY.as_millis() as i64;
    let Some(test_id) = unused_test(conn, env, &req.identity, since)? else {
        return Ok(Err(guard::no_recent_test(env, req.what)));
    };
    if req.rehearsal_required && !shape_passed(conn, &[Environment::Testnet, Environment::Demo], &req.shape)? {
        return Ok(Err(guard::not_rehearsed(&req.shape, req.what)));
    }
    let placed = day_notional(conn, env, &req.quote_asset, req.now_ms)?;
    let limits = match guard::require_within_limits(
        prefs,
        env,
        &req.symbol,
        &req.quote_asset,
        req.worst_case_notional,
        placed,
    ) {
        Ok(limits) => limits,
        Err(r) => return Ok(Err(r)),
    };
    conn.prepare_cached(
        "INSERT INTO reservations (at_ms, environment, client_order_id, test_id, identity, shape, symbol, quote_asset, notional, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        req.now_ms,
        env.as_str(),
        req.client_order_id,
        test_id,
        req.identity,
        req.shape,
        req.symbol,
        req.quote_asset,
        req.worst_case_notional.map(|n| n.normalize().to_string()),
        req.payload.to_string()
    ])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("UPDATE tests SET consumed_by = ?1 WHERE id = ?2")?
        .execute(params![id, test_id])?;
    for client in std::iter::once(&req.client_order_id).chain(&req.leg_client_order_ids) {
        conn.prepare_cached(
            "INSERT INTO client_ids (environment, client_order_id, reservation_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![env.as_str(), client, id])?;
    }
    let journal = LedgerEvent::OrderReserved {
        at: spot_types::time::utc(req.now_ms),
        at_ms: req.now_ms,
        environment: env,
        client_order_id: req.client_order_id.clone(),
        identity: req.identity.clone(),
        shape: req.shape.clone(),
        order: req.payload.clone(),
        notional: req.worst_case_notional,
        quote_asset: Some(req.quote_asset.clone()),
    };
    super::journal_only(conn, &journal)?;
    Ok(Ok(Reservation {
        id,
        test_id,
        environment: env,
        client_order_id: req.client_order_id.clone(),
        day_total: placed + req.worst_case_notional.unwrap_or_default(),
        daily_limit: limits.daily_limit,
    }))
}

fn client_id_used(conn: &Connection, env: Environment, id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM client_ids WHERE environment = ?1 AND client_order_id = ?2)
             OR EXISTS (SELECT 1 FROM events WHERE environment = ?1 AND client_order_id = ?2)",
        params![env.as_str(), id],
        |r| r.get(0),
    )
}

fn reused_client_id(env: Environment, id: &str, given: bool) -> Refusal {
    let what_to_do = if given {
        "Leave client_order_id out (one is generated) or choose an id never used before. To act on the existing order, use order_status or order_cancel with this id."
    } else {
        "Retry: a new id is generated each time."
    };
    Refusal::new(
        "client_order_id_reused",
        format!("client order id {id:?} already names an order on {env}: an id never means two orders"),
        what_to_do,
    )
}

fn unused_test(conn: &Connection, env: Environment, identity: &str, since_ms: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT id FROM tests WHERE environment = ?1 AND identity = ?2 AND at_ms >= ?3 AND consumed_by IS NULL
         ORDER BY at_ms LIMIT 1",
    )?
    .query_row(params![env.as_str(), identity, since_ms], |r| r.get(0))
    .optional()
}

fn shape_passed(conn: &Connection, envs: &[Environment], shape: &str) -> rusqlite::Result<bool> {
    for env in envs {
        let found: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM tests WHERE shape = ?1 AND environment = ?2)",
            params![shape, env.as_str()],
            |r| r.get(0),
        )?;
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

fn day_notional(conn: &Connection, env: Environment, quote_asset: &str, now_ms: i64) -> rusqlite::Result<Decimal> {
    let day_start = now_ms - now_ms.rem_euclid(86_400_000);
    let mut stmt = conn.prepare_cached(
        "SELECT notional FROM reservations
         WHERE environment = ?1 AND quote_asset = ?2 AND at_ms >= ?3 AND notional IS NOT NULL
           AND (outcome IS NULL OR outcome NOT IN ('rejected', 'absent'))",
    )?;
    let rows = stmt.query_map(params![env.as_str(), quote_asset, day_start], |r| r.get::<_, String>(0))?;
    let mut sum = Decimal::ZERO;
    for row in rows {
        if let Ok(n) = row?.parse::<Decimal>() {
            sum += n;
        }
    }
    Ok(sum)
}

/// Moves the reservation behind `client_order_id` (an order's, a list's or a leg's) to
/// `outcome`, when that is a step its state allows: pending ends once; an unknown outcome is
/// settled by reconciliation. Only a pending reservation that Binance rejected gives back the
/// test it consumed.
pub(super) fn settle(conn: &Connection, env: &str, client_order_id: &str, outcome: Outcome) -> rusqlite::Result<()> {
    let Some((id, current)) = conn
        .prepare_cached(
            "SELECT r.id, r.outcome FROM client_ids c JOIN reservations r ON r.id = c.reservation_id
             WHERE c.environment = ?1 AND c.client_order_id = ?2",
        )?
        .query_row(params![env, client_order_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?
    else {
        return Ok(());
    };
    let allowed = matches!(
        (current.as_deref(), outcome),
        (None, _) | (Some("unknown"), Outcome::Accepted | Outcome::Absent)
    );
    if !allowed {
        return Ok(());
    }
    conn.prepare_cached("UPDATE reservations SET outcome = ?2 WHERE id = ?1")?
        .execute(params![id, outcome.as_str()])?;
    if outcome == Outcome::Rejected {
        conn.prepare_cached("UPDATE tests SET consumed_by = NULL WHERE consumed_by = ?1")?
            .execute(params![id])?;
    }
    Ok(())
}

/// The symbol of the reservation behind a client order id.
pub(super) fn reserved_symbol(conn: &Connection, env: &str, client_order_id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT r.symbol FROM client_ids c JOIN reservations r ON r.id = c.reservation_id
         WHERE c.environment = ?1 AND c.client_order_id = ?2",
    )?
    .query_row(params![env, client_order_id], |r| r.get(0))
    .optional()
}
