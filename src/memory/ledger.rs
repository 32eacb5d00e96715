//! The journal's vocabulary: the order facts the safety gate relies on (test passes, client
//! order ids reserved before sending, placement outcomes, reconciliations, paper fills) and what
//! the exchange reported. The store (`crate::store`, `state.db`) keeps them; a legacy
//! `ledger.jsonl` of the same lines is imported once.

use serde::{Deserialize, Serialize};

use crate::config::Environment;

/// One ledger line. `at_ms` is ms since the epoch; `at` the same as RFC 3339 UTC for humans.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LedgerEvent {
    /// `order_test` of this payload passed at Binance.
    TestPassed {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        identity: String,
        shape: String,
    },
    /// A client order id was reserved; written before the order request leaves.
    OrderReserved {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        identity: String,
        shape: String,
        order: serde_json::Value,
        /// price × quantity (or quote_order_qty), counted against the daily limit.
        #[serde(default)]
        notional: Option<rust_decimal::Decimal>,
        #[serde(default)]
        quote_asset: Option<String>,
    },
    /// Binance accepted the order.
    OrderAccepted {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        order_id: u64,
        status: String,
        #[serde(default)]
        shape: Option<String>,
        /// Absent in ledgers written before order tracking; the reservation has it too.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<String>,
    },
    /// Binance answered with an error: the order was not placed.
    OrderRejected {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        code: Option<i64>,
        message: String,
    },
    /// No usable answer (timeout, 5XX, -1006, -1007): the outcome is unknown until reconciled.
    OrderUnknown {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        error: String,
    },
    /// The result of querying an order by client id after an unknown outcome.
    Reconciled {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        /// `exists`, `absent` or `still_unknown`.
        outcome: String,
        order_id: Option<u64>,
        status: Option<String>,
    },
    /// Paper mode: a simulated fill instead of a real order.
    PaperFill {
        at: String,
        at_ms: i64,
        environment: Environment,
        client_order_id: String,
        symbol: String,
        side: String,
        quantity: String,
        price: String,
        /// The payload identity: a paper fill uses up its order_test like a real order.
        #[serde(default)]
        identity: Option<String>,
    },
    /// An order was canceled by a tool.
    OrderCanceled {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        order_id: u64,
        client_order_id: String,
    },
    /// An open order's quantity was lowered in place (keep-priority amend) by a tool.
    OrderAmended {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        order_id: u64,
        /// The order's client id after the amend.
        client_order_id: String,
        new_quantity: rust_decimal::Decimal,
    },
    /// What the exchange said about the account outside a tool call: a user-data event as
    /// Binance sent it (`executionReport`, `listStatus`, `outboundAccountPosition`,
    /// `balanceUpdate`, `eventStreamTerminated`), or, with `kind: "reconciliation"`, an order's
    /// state read by REST after an event gap (`data` is then the REST order).
    ExchangeEvent {
        at: String,
        at_ms: i64,
        environment: Environment,
        kind: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_id: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_order_id: Option<String>,
        /// `X` of an executionReport, or the REST status of a reconciliation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        data: serde_json::Value,
    },
    /// `order_place` with `cancel_after_seconds`: the server cancels what is unfilled at `due_ms`.
    CancelTimerSet {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        order_id: u64,
        client_order_id: String,
        due_ms: i64,
    },
    /// A cancel timer ran: `outcome` is `canceled`, `already_closed` or `failed`.
    CancelTimerDone {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        order_id: u64,
        outcome: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        executed_qty: Option<rust_decimal::Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Paper mode: what the paper matching engine did with a paper order (`execution` NEW,
    /// TRADE, TRIGGERED, CANCELED, EXPIRED or REPLACED). Nothing was sent to the exchange.
    PaperEvent {
        at: String,
        at_ms: i64,
        environment: Environment,
        symbol: String,
        order_id: u64,
        client_order_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        list_client_order_id: Option<String>,
        execution: String,
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_qty: Option<rust_decimal::Decimal>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_price: Option<rust_decimal::Decimal>,
        executed_qty: rust_decimal::Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// A set of journaled events, oldest first, as the store hands them to the journal's folds
/// (one order's events, or the open orders' events): never the whole journal.
#[derive(Clone, Debug, Default)]
pub struct LedgerView {
    events: Vec<LedgerEvent>,
}

impl LedgerView {
    /// A view of `events`, oldest first.
    pub fn from_events(events: Vec<LedgerEvent>) -> LedgerView {
        LedgerView { events }
    }

    /// Every event, oldest first.
    pub fn events(&self) -> &[LedgerEvent] {
        &self.events
    }
}
