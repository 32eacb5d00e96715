//! One journaled event's row in `events`: the indexed columns it is found by (environment,
//! kind, symbol, order and client ids, status) beside its JSON body.

use rusqlite::{Connection, params};
use serde_json::Value;

use crate::config::Environment;
use crate::memory::ledger::LedgerEvent;

/// Appends `event` to the journal without touching the other tables; returns its environment.
pub(super) fn journal_only(conn: &Connection, event: &LedgerEvent) -> rusqlite::Result<Environment> {
    let row = EventRow::of(event);
    let body = serde_json::to_string(event).unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO events (at_ms, environment, kind, symbol, order_id, client_order_id, status, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        row.at_ms,
        row.env.as_str(),
        row.kind,
        row.symbol,
        row.order_id.map(|id| id as i64),
        row.client_order_id,
        row.status,
        body
    ])?;
    Ok(row.env)
}

/// The indexed columns of one journaled event.
struct EventRow {
    at_ms: i64,
    env: Environment,
    kind: &'static str,
    symbol: Option<String>,
    order_id: Option<u64>,
    client_order_id: Option<String>,
    status: Option<String>,
}

impl EventRow {
    fn of(event: &LedgerEvent) -> EventRow {
        let row = |at_ms: i64, env: Environment, kind: &'static str| EventRow {
            at_ms,
            env,
            kind,
            symbol: None,
            order_id: None,
            client_order_id: None,
            status: None,
        };
        match event {
            LedgerEvent::TestPassed {
                at_ms,
                environment,
                symbol,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                ..row(*at_ms, *environment, "test_passed")
            },
            LedgerEvent::OrderReserved {
                at_ms,
                environment,
                client_order_id,
                order,
                ..
            } => EventRow {
                symbol: order.get("symbol").and_then(Value::as_str).map(str::to_owned),
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "order_reserved")
            },
            LedgerEvent::OrderAccepted {
                at_ms,
                environment,
                client_order_id,
                order_id,
                status,
                symbol,
                ..
            } => EventRow {
                symbol: symbol.clone(),
                order_id: Some(*order_id),
                client_order_id: Some(client_order_id.clone()),
                status: Some(status.clone()),
                ..row(*at_ms, *environment, "order_accepted")
            },
            LedgerEvent::OrderRejected {
                at_ms,
                environment,
                client_order_id,
                ..
            } => EventRow {
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "order_rejected")
            },
            LedgerEvent::OrderUnknown {
                at_ms,
                environment,
                client_order_id,
                ..
            } => EventRow {
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "order_unknown")
            },
            LedgerEvent::Reconciled {
                at_ms,
                environment,
                client_order_id,
                order_id,
                status,
                ..
            } => EventRow {
                order_id: *order_id,
                client_order_id: Some(client_order_id.clone()),
                status: status.clone(),
                ..row(*at_ms, *environment, "reconciled")
            },
            LedgerEvent::PaperFill {
                at_ms,
                environment,
                client_order_id,
                symbol,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "paper_fill")
            },
            LedgerEvent::OrderCanceled {
                at_ms,
                environment,
                symbol,
                order_id,
                client_order_id,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                order_id: Some(*order_id),
                client_order_id: Some(client_order_id.clone()),
                status: Some("CANCELED".into()),
                ..row(*at_ms, *environment, "order_canceled")
            },
            LedgerEvent::OrderAmended {
                at_ms,
                environment,
                symbol,
                order_id,
                client_order_id,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                order_id: Some(*order_id),
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "order_amended")
            },
            LedgerEvent::ExchangeEvent {
                at_ms,
                environment,
                symbol,
                order_id,
                client_order_id,
                status,
                data,
                ..
            } => EventRow {
                symbol: symbol.clone(),
                order_id: *order_id,
                // An event names the order by `c`; a cancel's original id is in `C`.
                client_order_id: client_order_id
                    .clone()
                    .or_else(|| data.get("c").and_then(Value::as_str).map(str::to_owned)),
                status: status.clone(),
                ..row(*at_ms, *environment, "exchange_event")
            },
            LedgerEvent::CancelTimerSet {
                at_ms,
                environment,
                symbol,
                order_id,
                client_order_id,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                order_id: Some(*order_id),
                client_order_id: Some(client_order_id.clone()),
                ..row(*at_ms, *environment, "cancel_timer_set")
            },
            LedgerEvent::PaperEvent {
                at_ms,
                environment,
                symbol,
                order_id,
                client_order_id,
                status,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                order_id: Some(*order_id),
                client_order_id: Some(client_order_id.clone()),
                status: Some(status.clone()),
                ..row(*at_ms, *environment, "paper_event")
            },
            LedgerEvent::CancelTimerDone {
                at_ms,
                environment,
                symbol,
                order_id,
                status,
                ..
            } => EventRow {
                symbol: Some(symbol.clone()),
                order_id: Some(*order_id),
                status: status.clone(),
                ..row(*at_ms, *environment, "cancel_timer_done")
            },
        }
    }
}
