//! The desk's promises as invariants over random sequences (a model-based test), and the
//! races the transaction exists for.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::guard::Refusal;
use crate::memory::preferences::{Preferences, Profile};

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_767_225_600_000 + 3_600_000; // 2026-01-01T01:00Z

fn prefs(daily_usdt: i64) -> Preferences {
    let mut prefs = Preferences::defaults(Profile::Conservative);
    prefs.max_daily_notional.insert(
        Environment::Testnet,
        BTreeMap::from([("USDT".to_owned(), Decimal::from(daily_usdt))]),
    );
    prefs
}

fn test_passed(identity: &str, at_ms: i64) -> LedgerEvent {
    LedgerEvent::TestPassed {
        at: String::new(),
        at_ms,
        environment: Environment::Testnet,
        symbol: "BTCUSDT".into(),
        identity: identity.into(),
        shape: "shape".into(),
    }
}

fn request(identity: &str, client: &str, notional: i64, now_ms: i64) -> ReservationRequest {
    ReservationRequest {
        environment: Environment::Testnet,
        client_order_id: client.into(),
        leg_client_order_ids: Vec::new(),
        ids_given: true,
        identity: identity.into(),
        shape: "shape".into(),
        symbol: "BTCUSDT".into(),
        quote_asset: "USDT".into(),
        worst_case_notional: Some(Decimal::from(notional)),
        payload: serde_json::json!({"symbol": "BTCUSDT"}),
        now_ms,
        rehearsal_required: false,
        what: "order",
    }
}

fn outcome_event(client: &str, outcome: Outcome, at_ms: i64) -> LedgerEvent {
    let env = Environment::Testnet;
    let client_order_id = client.to_owned();
    match outcome {
        Outcome::Accepted => LedgerEvent::OrderAccepted {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id,
            order_id: fnv(client),
            status: "NEW".into(),
            shape: Some("shape".into()),
            symbol: Some("BTCUSDT".into()),
        },
        Outcome::Rejected => LedgerEvent::OrderRejected {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id,
            code: Some(-2010),
            message: "Duplicate order sent.".into(),
        },
        Outcome::Unknown => LedgerEvent::OrderUnknown {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id,
            error: "HTTP 503".into(),
        },
        Outcome::Absent => LedgerEvent::Reconciled {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id,
            outcome: "absent".into(),
            order_id: None,
            status: None,
        },
        Outcome::Paper => LedgerEvent::PaperFill {
            at: String::new(),
            at_ms,
            environment: env,
            client_order_id,
            symbol: "BTCUSDT".into(),
            side: "BUY".into(),
            quantity: "0.001".into(),
            price: "1".into(),
            identity: None,
        },
    }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) >> 1
}

/// One step an agent (or the exchange, or the human) takes.
#[derive(Clone, Debug)]
enum Step {
    /// order_test of payload `identity` passed.
    Test { identity: u8 },
    /// order_place of `identity` through server `process`, with a reused client id (an index
    /// into the ids used so far) or a fresh one, of `notional` USDT; the exchange answers `answer`.
    Place {
        identity: u8,
        process: u8,
        reuse: Option<u8>,
        notional: i64,
        answer: Answer,
    },
    /// Time passes (ms).
    Wait { ms: i64 },
    /// The human halts or resumes.
    Halt(bool),
    /// A server restarts: its store handle is opened anew.
    Restart { process: u8 },
}

#[derive(Clone, Copy, Debug)]
enum Answer {
    Accepted,
    /// -2010 and filter rejections: nothing placed.
    Rejected,
    /// A lost answer later found to exist, or found absent.
    LostThenFound,
    LostThenAbsent,
}

fn step() -> impl Strategy<Value = Step> {
    let answer = prop_oneof![
        4 => Just(Answer::Accepted),
        3 => Just(Answer::Rejected),
        1 => Just(Answer::LostThenFound),
        1 => Just(Answer::LostThenAbsent),
    ];
    prop_oneof![
        4 => (0u8..3).prop_map(|identity| Step::Test { identity }),
        8 => (0u8..3, 0u8..2, proptest::option::of(0u8..6), 10i64..90, answer).prop_map(
            |(identity, process, reuse, notional, answer)| Step::Place { identity, process, reuse, notional, answer }
        ),
        2 => prop_oneof![Just(1_000i64), Just(200_000), Just(DAY_MS)].prop_map(|ms| Step::Wait { ms }),
        1 => any::<bool>().prop_map(Step::Halt),
        1 => (0u8..2).prop_map(|process| Step::Restart { process }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// One passed test licenses at most one order; the day's notional never exceeds the limit;
    /// every reservation ends in exactly one outcome; nothing is reserved while halted; a client
    /// id never names two orders — whatever the sequence, across two store handles (two
    /// processes) and restarts.
    #[test]
    fn the_desk_keeps_its_promises(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path());
        let mut stores = [Store::open(&memory).unwrap(), Store::open(&memory).unwrap()];
        let daily_limit = Decimal::from(250);
        let prefs = prefs(250);
        let mut now = T0;
        let mut halted = false;
        let mut used_ids: Vec<String> = Vec::new();
        // The model: per identity, tests passed (with times) and orders that count.
        let mut tests: HashMap<u8, Vec<i64>> = HashMap::new();
        let mut licensed: HashMap<u8, usize> = HashMap::new();
        let mut day_total: BTreeMap<i64, Decimal> = BTreeMap::new();
        let mut next_id = 0;
        for step in steps {
            match step {
                Step::Test { identity } => {
                    stores[0].record(&test_passed(&format!("id-{identity}"), now)).unwrap();
                    tests.entry(identity).or_default().push(now);
                }
                Step::Wait { ms } => now += ms,
                Step::Halt(on) => halted = on,
                Step::Restart { process } => {
                    stores[process as usize] = Store::open(&memory).unwrap();
                }
                Step::Place { identity, process, reuse, notional, answer } => {
                    let client = match reuse.and_then(|i| used_ids.get(i as usize)) {
                        Some(id) => id.clone(),
                        None => {
                            next_id += 1;
                            format!("c-{next_id}")
                        }
                    };
                    let reused = used_ids.contains(&client);
                    let req = request(&format!("id-{identity}"), &client, notional, now);
                    let result = stores[process as usize]
                        .reserve(&req, &prefs, || {
                            if halted {
                                Err(Refusal::new("kill_switch", "halted", "resume"))
                            } else {
                                Ok(())
                            }
                        })
                        .unwrap();
                    let Ok(reservation) = result else {
                        continue;
                    };
                    prop_assert!(!halted, "a reservation while halted");
                    prop_assert!(!reused, "client id {client} named a second order");
                    used_ids.push(client.clone());
                    let day = now.div_euclid(DAY_MS);
                    let total = day_total.entry(day).or_default();
                    *total += Decimal::from(notional);
                    prop_assert!(*total <= daily_limit, "day total {total} over {daily_limit}");
                    prop_assert_eq!(reservation.day_total(), *total);
                    *licensed.entry(identity).or_default() += 1;
                    let store = &stores[process as usize];
                    match answer {
                        Answer::Accepted => store.record(&outcome_event(&client, Outcome::Accepted, now)).unwrap(),
                        Answer::Rejected => {
                            store.record(&outcome_event(&client, Outcome::Rejected, now)).unwrap();
                            *total -= Decimal::from(notional);
                            *licensed.entry(identity).or_default() -= 1;
                        }
                        Answer::LostThenFound => {
                            store.record(&outcome_event(&client, Outcome::Unknown, now)).unwrap();
                            store.record(&LedgerEvent::Reconciled {
                                at: String::new(), at_ms: now, environment: Environment::Testnet,
                                client_order_id: client.clone(), outcome: "exists".into(),
                                order_id: Some(fnv(&client)), status: Some("NEW".into()),
                            }).unwrap();
                        }
                        Answer::LostThenAbsent => {
                            store.record(&outcome_event(&client, Outcome::Unknown, now)).unwrap();
                            store.record(&outcome_event(&client, Outcome::Absent, now)).unwrap();
                            *total -= Decimal::from(notional);
                        }
                    }
                    // A late, contradictory answer for the same id changes nothing.
                    store.record(&outcome_event(&client, Outcome::Rejected, now)).unwrap();
                    let counted = licensed.get(&identity).copied().unwrap_or(0);
                    let passed = tests.get(&identity).map_or(0, Vec::len);
                    prop_assert!(counted <= passed, "{counted} orders from {passed} tests of id-{identity}");
                }
            }
        }
        // Every reservation ended in exactly one outcome, and the store's day totals are the model's.
        let conn = stores[0].conn();
        let pending: i64 = conn
            .query_row("SELECT COUNT(*) FROM reservations WHERE outcome IS NULL", [], |r| r.get(0))
            .unwrap();
        prop_assert_eq!(pending, 0);
        drop(conn);
        let today = stores[1].day_notional(Environment::Testnet, "USDT", now).unwrap();
        prop_assert_eq!(today, day_total.get(&now.div_euclid(DAY_MS)).copied().unwrap_or_default());
    }
}

#[test]
fn one_test_races_many_reservations_and_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let prefs = prefs(1_000_000);
    for round in 0..20 {
        let identity = format!("race-{round}");
        Store::open(&memory)
            .unwrap()
            .record(&test_passed(&identity, T0))
            .unwrap();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let winners: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|thread| {
                    // Each thread its own connection: as many processes as threads.
                    let store = Store::open(&memory).unwrap();
                    let barrier = barrier.clone();
                    let identity = identity.clone();
                    let prefs = &prefs;
                    scope.spawn(move || {
                        barrier.wait();
                        let req = request(&identity, &format!("r{round}-t{thread}"), 10, T0 + 1);
                        store.reserve(&req, prefs, || Ok(())).unwrap().is_ok()
                    })
                })
                .collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
        });
        assert_eq!(winners, 1, "round {round}: one test, {winners} orders");
    }
}

#[test]
fn a_rejection_gives_back_only_its_own_test_and_a_reused_id_gains_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Memory::new(dir.path())).unwrap();
    let prefs = prefs(1_000);
    store.record(&test_passed("market", T0)).unwrap();
    store.record(&test_passed("limit", T0)).unwrap();
    // The resting LIMIT takes "X2".
    assert!(
        store
            .reserve(&request("limit", "X2", 50, T0), &prefs, || Ok(()))
            .unwrap()
            .is_ok()
    );
    store.record(&outcome_event("X2", Outcome::Accepted, T0)).unwrap();
    // The MARKET order under "X2" is refused before anything is sent...
    let refused = store
        .reserve(&request("market", "X2", 50, T0 + 1), &prefs, || Ok(()))
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.rule, "client_order_id_reused");
    // ...and a rejection under "X2" (a late -2010 for the LIMIT's id) gives nothing back.
    store.record(&outcome_event("X2", Outcome::Rejected, T0 + 2)).unwrap();
    assert!(!store.has_unused_test(Environment::Testnet, "limit", T0).unwrap());
    // Under a new id the MARKET test licenses one order; rejected, it licenses one more; no third.
    assert!(
        store
            .reserve(&request("market", "m1", 50, T0 + 3), &prefs, || Ok(()))
            .unwrap()
            .is_ok()
    );
    store.record(&outcome_event("m1", Outcome::Rejected, T0 + 4)).unwrap();
    assert!(
        store
            .reserve(&request("market", "m2", 50, T0 + 5), &prefs, || Ok(()))
            .unwrap()
            .is_ok()
    );
    store.record(&outcome_event("m2", Outcome::Accepted, T0 + 6)).unwrap();
    let third = store
        .reserve(&request("market", "m3", 50, T0 + 7), &prefs, || Ok(()))
        .unwrap()
        .unwrap_err();
    assert_eq!(third.rule, "test_before_real");
}

#[test]
fn a_legacy_ledger_is_imported_once_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    let lines = [
        test_passed("a", T0),
        LedgerEvent::OrderReserved {
            at: String::new(),
            at_ms: T0 + 1,
            environment: Environment::Testnet,
            client_order_id: "old-1".into(),
            identity: "a".into(),
            shape: "shape".into(),
            order: serde_json::json!({"symbol": "BTCUSDT"}),
            notional: Some(Decimal::from_str("92.5").unwrap()),
            quote_asset: Some("USDT".into()),
        },
        outcome_event("old-1", Outcome::Accepted, T0 + 2),
    ];
    let text: String = lines
        .iter()
        .map(|e| format!("{}\n", serde_json::to_string(e).unwrap()))
        .collect();
    std::fs::write(dir.path().join("ledger.jsonl"), text).unwrap();
    let store = Store::open(&memory).unwrap();
    assert!(!dir.path().join("ledger.jsonl").exists());
    assert!(dir.path().join("ledger.jsonl.imported").exists());
    // The old day's notional counts, the old test stays used, the old id stays taken.
    assert_eq!(
        store.day_notional(Environment::Testnet, "USDT", T0 + 3).unwrap(),
        Decimal::from_str("92.5").unwrap()
    );
    assert!(!store.has_unused_test(Environment::Testnet, "a", T0).unwrap());
    let reused = store
        .reserve(&request("a", "old-1", 1, T0 + 4), &prefs(1_000), || Ok(()))
        .unwrap()
        .unwrap_err();
    assert_eq!(reused.rule, "client_order_id_reused");
    assert_eq!(store.open_orders_believed(Environment::Testnet).unwrap().len(), 1);
    // Opened again: nothing is imported twice.
    drop(store);
    let again = Store::open(&memory).unwrap();
    assert_eq!(again.all_events(None, 100).unwrap().len(), 3);
}

#[test]
fn a_store_from_a_newer_build_is_refused_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path());
    drop(Store::open(&memory).unwrap());
    let conn = Connection::open(memory.path(STORE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", schema::VERSION + 1).unwrap();
    drop(conn);
    let err = Store::open(&memory).unwrap_err().to_string();
    assert!(err.contains("newer binance-mcp"), "{err}");
}
