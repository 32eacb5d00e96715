//! `ledger.jsonl`: the order facts the safety gate relies on — test passes, client order ids
//! reserved before sending, placement outcomes, reconciliations, paper fills.

use serde::{Deserialize, Serialize};

use super::{Memory, MemoryError};
use crate::config::Environment;

pub const LEDGER_FILE: &str = "ledger.jsonl";

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
}

/// Read and append access to the ledger.
#[derive(Clone, Debug)]
pub struct Ledger {
    memory: Memory,
}

impl Ledger {
    pub fn new(memory: Memory) -> Ledger {
        Ledger { memory }
    }

    pub fn record(&self, event: &LedgerEvent) -> Result<(), MemoryError> {
        self.memory.append_jsonl(LEDGER_FILE, event)
    }

    pub fn events(&self) -> Result<Vec<LedgerEvent>, MemoryError> {
        self.memory.read_jsonl(LEDGER_FILE)
    }

    /// Everything in the ledger now, for the gate's questions: one read per tool call.
    pub fn view(&self) -> Result<LedgerView, MemoryError> {
        Ok(LedgerView { events: self.events()? })
    }
}

/// The ledger as read once; the gate asks it several questions per order.
#[derive(Clone, Debug, Default)]
pub struct LedgerView {
    events: Vec<LedgerEvent>,
}

impl LedgerView {
    /// Every event, oldest first.
    pub fn events(&self) -> &[LedgerEvent] {
        &self.events
    }

    /// When the identical payload last passed `order_test` in `env`, if at or after `since_ms`.
    pub fn test_passed_since(&self, env: Environment, identity: &str, since_ms: i64) -> Option<i64> {
        let events = &self.events;
        let last_test = events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::TestPassed {
                    environment,
                    identity: id,
                    at_ms,
                    ..
                } if *environment == env && id == identity => Some(*at_ms),
                _ => None,
            })
            .max();
        // One test licenses one order: a retried call cannot place a duplicate.
        // Binance's refusal means nothing was placed: that attempt does not use the test up.
        let rejected = |client_id: &str| {
            events.iter().any(|e| {
                matches!(e, LedgerEvent::OrderRejected { environment, client_order_id, .. }
                    if *environment == env && client_order_id == client_id)
            })
        };
        let last_use = events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::OrderReserved {
                    environment,
                    identity: id,
                    at_ms,
                    client_order_id,
                    ..
                } if *environment == env && id == identity && !rejected(client_order_id) => Some(*at_ms),
                LedgerEvent::PaperFill {
                    environment,
                    identity: Some(id),
                    at_ms,
                    ..
                } if *environment == env && id == identity => Some(*at_ms),
                _ => None,
            })
            .max();
        last_test.filter(|t| *t >= since_ms && last_use.is_none_or(|u| u < *t))
    }

    /// Whether a payload of this shape passed `order_test` in any of `envs`.
    pub fn shape_passed(&self, envs: &[Environment], shape: &str) -> bool {
        self.events.iter().any(|e| {
            matches!(e, LedgerEvent::TestPassed { environment, shape: s, .. } if envs.contains(environment) && s == shape)
        })
    }

    /// Whether an order of this shape was accepted in `env` before.
    pub fn shape_accepted(&self, env: Environment, shape: &str) -> bool {
        self.events.iter().any(|e| {
            matches!(e, LedgerEvent::OrderAccepted { environment, shape: Some(s), .. } if *environment == env && s == shape)
        })
    }

    /// Notional of the orders sent in `env` since `since_ms` with this quote asset, less those
    /// Binance rejected or that reconciliation found absent.
    pub fn notional_since(&self, env: Environment, quote_asset: &str, since_ms: i64) -> rust_decimal::Decimal {
        let events = &self.events;
        let not_placed = |id: &str| {
            events.iter().any(|e| match e {
                LedgerEvent::OrderRejected {
                    environment,
                    client_order_id,
                    ..
                } => *environment == env && client_order_id == id,
                LedgerEvent::Reconciled {
                    environment,
                    client_order_id,
                    outcome,
                    ..
                } => *environment == env && client_order_id == id && outcome == "absent",
                _ => false,
            })
        };
        events
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::OrderReserved {
                    environment,
                    at_ms,
                    client_order_id,
                    notional: Some(n),
                    quote_asset: Some(q),
                    ..
                } if *environment == env && *at_ms >= since_ms && q == quote_asset && !not_placed(client_order_id) => {
                    Some(*n)
                }
                _ => None,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passed(env: Environment, identity: &str, shape: &str, at_ms: i64) -> LedgerEvent {
        LedgerEvent::TestPassed {
            at: String::new(),
            at_ms,
            environment: env,
            symbol: "BTCUSDT".into(),
            identity: identity.into(),
            shape: shape.into(),
        }
    }

    #[test]
    fn a_placement_uses_up_its_test() {
        let dir = tempfile::tempdir().expect("dir");
        let ledger = Ledger::new(Memory::new(dir.path()));
        ledger
            .record(&passed(Environment::Testnet, "id-a", "shape-1", 1_000))
            .expect("record");
        ledger
            .record(&LedgerEvent::OrderReserved {
                at: String::new(),
                at_ms: 1_005,
                environment: Environment::Testnet,
                client_order_id: "c1".into(),
                identity: "id-a".into(),
                shape: "shape-1".into(),
                order: serde_json::json!({"symbol": "BTCUSDT"}),
                notional: Some(rust_decimal::Decimal::new(9217, 2)),
                quote_asset: Some("USDT".into()),
            })
            .expect("record");
        assert_eq!(ledger.events().expect("events").len(), 2, "every event reads back");
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-a", 0),
            None
        );
        ledger
            .record(&passed(Environment::Testnet, "id-a", "shape-1", 2_000))
            .expect("record");
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-a", 0),
            Some(2_000)
        );
    }

    #[test]
    fn an_order_binance_rejected_gives_its_test_back() {
        let dir = tempfile::tempdir().expect("dir");
        let ledger = Ledger::new(Memory::new(dir.path()));
        ledger
            .record(&passed(Environment::Testnet, "id-a", "shape-1", 1_000))
            .expect("record");
        ledger
            .record(&LedgerEvent::OrderReserved {
                at: String::new(),
                at_ms: 1_005,
                environment: Environment::Testnet,
                client_order_id: "c1".into(),
                identity: "id-a".into(),
                shape: "shape-1".into(),
                order: serde_json::json!({}),
                notional: None,
                quote_asset: None,
            })
            .expect("record");
        ledger
            .record(&LedgerEvent::OrderRejected {
                at: String::new(),
                at_ms: 1_010,
                environment: Environment::Testnet,
                client_order_id: "c1".into(),
                code: Some(-2010),
                message: "Account has insufficient balance for requested action.".into(),
            })
            .expect("record");
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-a", 0),
            Some(1_000)
        );
    }

    #[test]
    fn test_passes_are_found_by_environment_identity_and_age() {
        let dir = tempfile::tempdir().expect("dir");
        let ledger = Ledger::new(Memory::new(dir.path()));
        ledger
            .record(&passed(Environment::Testnet, "id-a", "shape-1", 1_000))
            .expect("record");
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-a", 500),
            Some(1_000)
        );
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-a", 2_000),
            None
        );
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Production, "id-a", 0),
            None
        );
        assert_eq!(
            ledger
                .view()
                .expect("view")
                .test_passed_since(Environment::Testnet, "id-b", 0),
            None
        );
        assert!(
            ledger
                .view()
                .expect("view")
                .shape_passed(&[Environment::Testnet, Environment::Demo], "shape-1")
        );
        assert!(
            !ledger
                .view()
                .expect("view")
                .shape_passed(&[Environment::Demo], "shape-1")
        );
    }
}
