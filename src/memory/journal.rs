//! Questions about the orders this server placed, folded from the journaled events the store
//! hands over (a [`LedgerView`]): which it still believes open (to reconcile after an event gap
//! or a restart), what the exchange reported about one order, and which cancel timers have not
//! run yet.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::ledger::{LedgerEvent, LedgerView};
use crate::config::Environment;
use spot_types::model::decimal_field;

/// Order statuses after which nothing more happens to an order.
pub fn is_final_status(status: &str) -> bool {
    matches!(
        status,
        "FILLED" | "CANCELED" | "REJECTED" | "EXPIRED" | "EXPIRED_IN_MATCH"
    )
}

/// An order the server placed and has not seen end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedOrder {
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
    /// The last status the ledger knows (placement answer, event or reconciliation).
    pub status: String,
    /// The last cumulative filled quantity the ledger knows, when an event or query said it.
    pub executed_qty: Option<Decimal>,
}

/// A cancel timer that has not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTimer {
    pub environment: Environment,
    pub symbol: String,
    pub order_id: u64,
    pub client_order_id: String,
    pub due_ms: i64,
}

/// What the exchange said about one order, from the journal: the basis of `order_status`'s
/// agreement check.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct OrderJournal {
    /// Journaled user-data events and reconciliations of this order.
    pub events: usize,
    /// The latest status the journal holds (events or reconciliations), if any.
    pub last_status: Option<String>,
    /// The latest cumulative filled quantity the journal holds.
    pub executed_qty: Option<Decimal>,
    /// The trades the events reported (`executionReport` with `x: TRADE`).
    pub fills: Vec<JournalFill>,
}

/// One trade of an order, as its `executionReport` (or myTrades) said.
#[derive(Clone, Debug, Serialize, PartialEq, schemars::JsonSchema)]
pub struct JournalFill {
    pub trade_id: Option<i64>,
    pub price: Option<Decimal>,
    pub qty: Option<Decimal>,
    pub commission: Option<Decimal>,
    pub commission_asset: Option<String>,
    pub time_ms: Option<i64>,
}

/// The cumulative filled quantity an exchange event carries: `z` of an executionReport, or
/// `executedQty` of a REST order (reconciliation).
pub fn event_executed_qty(kind: &str, data: &Value) -> Option<Decimal> {
    if kind == "executionReport" {
        decimal_field(data, "z")
    } else {
        decimal_field(data, "executedQty")
    }
}

impl LedgerView {
    /// The orders placed in `env` (by `order_place`, `order_list_place` or found by a
    /// reconciliation) whose last known status is not final, oldest first.
    pub fn open_orders_believed(&self, env: Environment) -> Vec<TrackedOrder> {
        let mut symbols: BTreeMap<&str, String> = BTreeMap::new();
        let mut orders: BTreeMap<u64, TrackedOrder> = BTreeMap::new();
        for event in self.events() {
            match event {
                LedgerEvent::OrderReserved {
                    environment,
                    client_order_id,
                    order,
                    ..
                } if *environment == env => {
                    if let Some(symbol) = order.get("symbol").and_then(Value::as_str) {
                        symbols.insert(client_order_id, symbol.to_owned());
                    }
                }
                LedgerEvent::OrderAccepted {
                    environment,
                    client_order_id,
                    order_id,
                    status,
                    symbol,
                    ..
                } if *environment == env => {
                    let symbol = symbol
                        .clone()
                        .or_else(|| symbols.get(client_order_id.as_str()).cloned());
                    if let Some(symbol) = symbol {
                        orders.insert(
                            *order_id,
                            TrackedOrder {
                                symbol,
                                order_id: *order_id,
                                client_order_id: client_order_id.clone(),
                                status: status.clone(),
                                executed_qty: None,
                            },
                        );
                    }
                }
                LedgerEvent::Reconciled {
                    environment,
                    client_order_id,
                    order_id: Some(order_id),
                    status: Some(status),
                    ..
                } if *environment == env => {
                    if let Some(symbol) = symbols.get(client_order_id.as_str()) {
                        let tracked = orders.entry(*order_id).or_insert_with(|| TrackedOrder {
                            symbol: symbol.clone(),
                            order_id: *order_id,
                            client_order_id: client_order_id.clone(),
                            status: status.clone(),
                            executed_qty: None,
                        });
                        tracked.status = status.clone();
                    }
                }
                LedgerEvent::ExchangeEvent {
                    environment,
                    kind,
                    order_id: Some(order_id),
                    status: Some(status),
                    data,
                    ..
                } if *environment == env => {
                    if let Some(tracked) = orders.get_mut(order_id) {
                        tracked.status = status.clone();
                        if let Some(qty) = event_executed_qty(kind, data) {
                            tracked.executed_qty = Some(qty);
                        }
                    }
                }
                LedgerEvent::OrderCanceled {
                    environment, order_id, ..
                } if *environment == env => {
                    if let Some(tracked) = orders.get_mut(order_id) {
                        tracked.status = "CANCELED".into();
                    }
                }
                LedgerEvent::CancelTimerDone {
                    environment,
                    order_id,
                    status: Some(status),
                    ..
                } if *environment == env => {
                    if let Some(tracked) = orders.get_mut(order_id) {
                        tracked.status = status.clone();
                    }
                }
                _ => {}
            }
        }
        orders.into_values().filter(|o| !is_final_status(&o.status)).collect()
    }

    /// The journal of one order in `env`: events, the last status and quantity, the fills.
    pub fn order_journal(&self, env: Environment, order_id: u64) -> OrderJournal {
        let mut journal = OrderJournal::default();
        for event in self.events() {
            let LedgerEvent::ExchangeEvent {
                environment,
                kind,
                order_id: Some(id),
                status,
                data,
                ..
            } = event
            else {
                continue;
            };
            if *environment != env || *id != order_id {
                continue;
            }
            journal.events += 1;
            if status.is_some() {
                journal.last_status = status.clone();
            }
            if let Some(qty) = event_executed_qty(kind, data) {
                journal.executed_qty = Some(qty);
            }
            if kind == "executionReport" && data.get("x").and_then(Value::as_str) == Some("TRADE") {
                journal.fills.push(JournalFill {
                    trade_id: data.get("t").and_then(Value::as_i64),
                    price: decimal_field(data, "L"),
                    qty: decimal_field(data, "l"),
                    commission: decimal_field(data, "n"),
                    commission_asset: data.get("N").and_then(Value::as_str).map(str::to_owned),
                    time_ms: data.get("T").and_then(Value::as_i64),
                });
            }
        }
        journal
    }

    /// Cancel timers set and not yet done, in every environment.
    pub fn pending_timers(&self) -> Vec<PendingTimer> {
        let mut timers: BTreeMap<(Environment, u64), PendingTimer> = BTreeMap::new();
        for event in self.events() {
            match event {
                LedgerEvent::CancelTimerSet {
                    environment,
                    symbol,
                    order_id,
                    client_order_id,
                    due_ms,
                    ..
                } => {
                    timers.insert(
                        (*environment, *order_id),
                        PendingTimer {
                            environment: *environment,
                            symbol: symbol.clone(),
                            order_id: *order_id,
                            client_order_id: client_order_id.clone(),
                            due_ms: *due_ms,
                        },
                    );
                }
                LedgerEvent::CancelTimerDone {
                    environment, order_id, ..
                } => {
                    timers.remove(&(*environment, *order_id));
                }
                _ => {}
            }
        }
        let mut pending: Vec<PendingTimer> = timers.into_values().collect();
        pending.sort_by_key(|t| t.due_ms);
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Memory;
    use serde_json::json;

    fn accepted(order_id: u64, client: &str, status: &str) -> LedgerEvent {
        LedgerEvent::OrderAccepted {
            at: String::new(),
            at_ms: 1,
            environment: Environment::Testnet,
            client_order_id: client.into(),
            order_id,
            status: status.into(),
            shape: None,
            symbol: Some("BTCUSDT".into()),
        }
    }

    fn report(order_id: u64, x: &str, status: &str, z: &str) -> LedgerEvent {
        LedgerEvent::ExchangeEvent {
            at: String::new(),
            at_ms: 2,
            environment: Environment::Testnet,
            kind: "executionReport".into(),
            symbol: Some("BTCUSDT".into()),
            order_id: Some(order_id),
            client_order_id: None,
            status: Some(status.into()),
            data: json!({"e": "executionReport", "x": x, "X": status, "z": z, "l": "0.5", "L": "100.1", "t": 7, "n": "0.0005", "N": "BTC", "T": 9}),
        }
    }

    /// The journal's questions, asked of a store that recorded `events`: the store's indexed
    /// answers must equal the folds over every event.
    struct Journal(crate::store::Store);

    impl Journal {
        fn open_orders_believed(&self, env: Environment) -> Vec<TrackedOrder> {
            self.0.open_orders_believed(env).expect("store")
        }
        fn order_journal(&self, env: Environment, order_id: u64) -> OrderJournal {
            self.0.order_journal(env, order_id).expect("store")
        }
        fn pending_timers(&self) -> Vec<PendingTimer> {
            self.0.pending_timers().expect("store")
        }
    }

    fn ledger(events: &[LedgerEvent]) -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::store::Store::open(&Memory::new(dir.path())).expect("store");
        for e in events {
            store.record(e).expect("record");
        }
        let view = LedgerView::from_events(events.to_vec());
        assert_eq!(
            view.open_orders_believed(Environment::Testnet),
            store.open_orders_believed(Environment::Testnet).expect("store"),
            "the store agrees with the fold over every event"
        );
        (dir, Journal(store))
    }

    #[test]
    fn an_order_is_believed_open_until_an_event_or_cancel_ends_it() {
        let (_dir, view) = ledger(&[
            accepted(1, "a", "NEW"),
            accepted(2, "b", "NEW"),
            accepted(3, "c", "FILLED"),
            report(1, "TRADE", "PARTIALLY_FILLED", "0.5"),
            report(2, "TRADE", "FILLED", "1"),
        ]);
        let open = view.open_orders_believed(Environment::Testnet);
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].order_id, 1);
        assert_eq!(open[0].status, "PARTIALLY_FILLED");
        assert_eq!(open[0].executed_qty, Some(Decimal::new(5, 1)));
        assert!(view.open_orders_believed(Environment::Production).is_empty());
    }

    #[test]
    fn the_journal_collects_status_quantity_and_fills() {
        let (_dir, view) = ledger(&[
            accepted(1, "a", "NEW"),
            report(1, "NEW", "NEW", "0"),
            report(1, "TRADE", "FILLED", "0.5"),
        ]);
        let journal = view.order_journal(Environment::Testnet, 1);
        assert_eq!(journal.events, 2);
        assert_eq!(journal.last_status.as_deref(), Some("FILLED"));
        assert_eq!(journal.executed_qty, Some(Decimal::new(5, 1)));
        assert_eq!(journal.fills.len(), 1);
        assert_eq!(journal.fills[0].price, Some(Decimal::new(1001, 1)));
        assert_eq!(view.order_journal(Environment::Testnet, 9), OrderJournal::default());
    }

    #[test]
    fn a_timer_is_pending_until_done() {
        let set = |order_id, due_ms| LedgerEvent::CancelTimerSet {
            at: String::new(),
            at_ms: 1,
            environment: Environment::Testnet,
            symbol: "BTCUSDT".into(),
            order_id,
            client_order_id: format!("c{order_id}"),
            due_ms,
        };
        let done = LedgerEvent::CancelTimerDone {
            at: String::new(),
            at_ms: 5,
            environment: Environment::Testnet,
            symbol: "BTCUSDT".into(),
            order_id: 1,
            outcome: "canceled".into(),
            status: Some("CANCELED".into()),
            executed_qty: None,
            error: None,
        };
        let (_dir, view) = ledger(&[set(1, 100), set(2, 50), done]);
        let pending = view.pending_timers();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].order_id, pending[0].due_ms), (2, 50));
    }
}
