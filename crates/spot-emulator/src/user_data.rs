//! User Data Stream subscriptions and the event pump. Nothing in the matching engine knows about
//! events: the pump compares each subscribed account's orders and balances with what it saw
//! last and sends the events for every difference (see `user_events`), so every change the
//! emulator makes reaches the account's subscriptions whichever path made it. It runs
//!
//! * after every REST request that carries the API key of a subscribed account (before the
//!   answer leaves, so a client that reads the REST answer has its events queued already), and
//! * on a background tick ([`USER_DATA_TICK`]) that first settles the subscribed accounts'
//!   resting orders against the synthetic tape (`Exchange::advance`), so resting orders fill and
//!   produce events with no REST call at all.
//!
//! One lock (the hub's) orders every pump, subscription and unsubscription, so the frames of a
//! connection (events and the answers that go through the same queue) stay in causal order.
//! Lock order: hub, then exchange.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rust_decimal::Decimal;
use tokio::sync::mpsc;

use super::EmulatorState;
use super::auth::API_KEY_HEADER;
use super::time_unit::TimeUnit;
use super::user_events::{
    AccountEvent, SeenList, SeenOrder, StreamTerminated, list_event, order_events, position_event, seen_balances,
    seen_list,
};

/// How often the background pump settles resting orders and looks for changes.
pub const USER_DATA_TICK: Duration = Duration::from_millis(150);

/// Where one WebSocket connection's outgoing text frames queue up, in order.
#[derive(Debug, Clone)]
pub struct Outbox {
    /// The connection's id (see `ws_conn::WsHub`).
    pub connection: u64,
    /// Timestamps unit the connection asked for.
    pub unit: TimeUnit,
    sender: mpsc::UnboundedSender<String>,
}

impl Outbox {
    /// An outbox for `connection` and the receiving end its writer drains.
    pub fn new(connection: u64, unit: TimeUnit) -> (Self, mpsc::UnboundedReceiver<String>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (
            Self {
                connection,
                unit,
                sender,
            },
            receiver,
        )
    }

    /// Queues a frame (dropped when the connection is gone).
    pub fn push(&self, frame: String) {
        let _ = self.sender.send(frame);
    }
}

#[derive(Debug)]
struct Subscriber {
    subscription_id: u32,
    outbox: Outbox,
}

/// One subscribed account: its subscribers and what the pump saw last.
#[derive(Debug, Default)]
struct Watched {
    subscribers: Vec<Subscriber>,
    orders: HashMap<u64, SeenOrder>,
    lists: HashMap<u64, SeenList>,
    balances: Vec<(String, Decimal, Decimal)>,
}

#[derive(Debug, Default)]
struct Hub {
    accounts: HashMap<String, Watched>,
    /// The `I` (execution id) sequence of executionReports.
    execution_ids: u64,
}

/// All User Data Stream subscriptions of the emulator.
#[derive(Debug, Default)]
pub struct UserData {
    hub: Mutex<Hub>,
}

impl UserData {
    fn hub(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts subscription `subscription_id` of `outbox`'s connection to `api_key`'s events.
    /// Changes made before it are delivered to the account's earlier subscriptions only; then
    /// `confirm` runs (to queue the answer, so it precedes the subscription's first event).
    pub fn subscribe(
        &self,
        state: &EmulatorState,
        api_key: &str,
        subscription_id: u32,
        outbox: Outbox,
        confirm: impl FnOnce(),
    ) {
        let mut hub = self.hub();
        if hub.accounts.contains_key(api_key) {
            pump_locked(&mut hub, state, api_key);
        } else {
            let exchange = state.exchange();
            let baseline = exchange.account(api_key).map(|account| Watched {
                subscribers: Vec::new(),
                orders: account.orders.iter().map(|o| (o.order_id, SeenOrder::of(o))).collect(),
                lists: account
                    .order_lists
                    .iter()
                    .map(|l| (l.order_list_id, seen_list(l)))
                    .collect(),
                balances: seen_balances(&account.balances),
            });
            drop(exchange);
            hub.accounts.insert(api_key.to_owned(), baseline.unwrap_or_default());
        }
        confirm();
        if let Some(watched) = hub.accounts.get_mut(api_key) {
            watched.subscribers.push(Subscriber {
                subscription_id,
                outbox,
            });
        }
    }

    /// Ends subscription `subscription_id` of `connection` to `api_key`: delivers the events
    /// still owed to it, then `eventStreamTerminated`.
    pub fn unsubscribe(&self, state: &EmulatorState, api_key: &str, connection: u64, subscription_id: u32) {
        let mut hub = self.hub();
        pump_locked(&mut hub, state, api_key);
        let Some(watched) = hub.accounts.get_mut(api_key) else {
            return;
        };
        let ended = StreamTerminated::at(state.clock.now_ms());
        watched.subscribers.retain(|s| {
            let this = s.outbox.connection == connection && s.subscription_id == subscription_id;
            if this {
                let event = AccountEvent::Terminated(ended.clone());
                s.outbox.push(event.frame(s.subscription_id, s.outbox.unit));
            }
            !this
        });
        if watched.subscribers.is_empty() {
            hub.accounts.remove(api_key);
        }
    }

    /// Ends every subscription of every account: each gets the events still owed, then
    /// `eventStreamTerminated`; the connections stay open (the `end_user_streams` fault, what a
    /// subscription ended by the exchange looks like to a client).
    pub fn terminate_all(&self, state: &EmulatorState) {
        let mut hub = self.hub();
        let keys: Vec<String> = hub.accounts.keys().cloned().collect();
        for key in &keys {
            pump_locked(&mut hub, state, key);
        }
        let ended = AccountEvent::Terminated(StreamTerminated::at(state.clock.now_ms()));
        for watched in hub.accounts.values() {
            for s in &watched.subscribers {
                s.outbox.push(ended.frame(s.subscription_id, s.outbox.unit));
            }
        }
        hub.accounts.clear();
    }

    /// Forgets every subscription of a closed connection (no events: nobody is listening).
    pub fn drop_connection(&self, connection: u64) {
        let mut hub = self.hub();
        hub.accounts.retain(|_, watched| {
            watched.subscribers.retain(|s| s.outbox.connection != connection);
            !watched.subscribers.is_empty()
        });
    }

    /// True when `api_key` has at least one subscription.
    pub fn is_watched(&self, api_key: &str) -> bool {
        self.hub().accounts.contains_key(api_key)
    }

    /// The API keys with at least one subscription.
    pub fn watched_accounts(&self) -> Vec<String> {
        self.hub().accounts.keys().cloned().collect()
    }

    /// Sends `api_key`'s subscriptions the events for every change since the last look.
    pub fn pump(&self, state: &EmulatorState, api_key: &str) {
        pump_locked(&mut self.hub(), state, api_key);
    }
}

fn pump_locked(hub: &mut Hub, state: &EmulatorState, api_key: &str) {
    let Hub {
        accounts,
        execution_ids,
    } = hub;
    let Some(watched) = accounts.get_mut(api_key) else {
        return;
    };
    let now_ms = state.clock.now_ms();
    let exchange = state.exchange();
    let Some(account) = exchange.account(api_key) else {
        return;
    };
    let mut events = Vec::new();
    for order in &account.orders {
        let seen = watched.orders.get(&order.order_id);
        if seen.is_some_and(|s| s.still(order)) {
            continue;
        }
        let cancel_id = exchange.cancel_client_id(order.order_id);
        let reports = order_events(seen, order, cancel_id, now_ms, execution_ids);
        events.extend(reports.into_iter().map(|r| AccountEvent::Execution(Box::new(r))));
        watched.orders.insert(order.order_id, SeenOrder::of(order));
    }
    // After the legs' reports, as Binance sends a list's status with its orders' events.
    for list in &account.order_lists {
        let now = seen_list(list);
        if watched.lists.get(&list.order_list_id) == Some(&now) {
            continue;
        }
        events.push(AccountEvent::List(list_event(list, &account.orders, now_ms)));
        watched.lists.insert(list.order_list_id, now);
    }
    if let Some(position) = position_event(&watched.balances, &account.balances, account.update_time, now_ms) {
        events.push(AccountEvent::Position(position));
        watched.balances = seen_balances(&account.balances);
    }
    drop(exchange);
    for subscriber in &watched.subscribers {
        for event in &events {
            let frame = event.frame(subscriber.subscription_id, subscriber.outbox.unit);
            subscriber.outbox.push(frame);
        }
    }
}

/// The background pump: every [`USER_DATA_TICK`], settles each subscribed account's resting
/// orders up to now and sends what changed. Runs until the task is aborted.
pub async fn run_ticker(state: Arc<EmulatorState>) {
    let mut tick = tokio::time::interval(USER_DATA_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for api_key in state.user_data.watched_accounts() {
            state.exchange().advance(&api_key, &state.market, state.clock.now_ms());
            state.user_data.pump(&state, &api_key);
        }
    }
}

/// Layer around the routes: after a request that carries a subscribed account's API key, pump
/// that account (any signed request may have settled fills, placed, amended or canceled).
pub async fn after_request(State(state): State<Arc<EmulatorState>>, request: Request, next: Next) -> Response {
    let api_key = request
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if let Some(api_key) = api_key
        && state.user_data.is_watched(&api_key)
    {
        state.user_data.pump(&state, &api_key);
    }
    response
}
