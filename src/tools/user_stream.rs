//! The user-data subscription of each environment with keys: a background WebSocket API
//! connection that journals every event Binance pushes (`executionReport`, `listStatus`,
//! `outboundAccountPosition`, `balanceUpdate`, `eventStreamTerminated`) to the store.
//!
//! Binance removed the listenKey flow in 2026; events come only over the WebSocket API. HMAC
//! and RSA keys subscribe with `userDataStream.subscribe.signature`; Ed25519 keys log the
//! session on (`session.logon`) and then `userDataStream.subscribe`. A dropped connection is
//! reopened with exponential backoff, a connection is renewed before Binance's 24-hour limit
//! and as soon as Binance announces a restart (`serverShutdown`, which precedes the cut), and
//! after every (re)subscription the orders the store believes open are reconciled by REST,
//! so an event missed in a gap is still journaled. Nothing here blocks the server's start.
//!
//! Testnet and demo subscribe at start. Production subscribes only once the human has agreed
//! to a production order in this session (an accepted `order_place` / `order_list_place` with
//! `confirm_production: true`), or at start when the store holds production orders the server
//! placed and believes open (or cancel timers to run): a signed production call is never made
//! for nothing the human confirmed. No connection is opened while the environment is banned,
//! inside a `Retry-After`, or behind an open circuit breaker.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::config::Environment;
use crate::memory::journal::{event_executed_qty, is_final_status};
use crate::memory::ledger::LedgerEvent;
use crate::tools::{Toolbox, utc};
use spot_client::OrderRef;
use spot_client::alert::{Alert, AlertKind, AlertLevel};
use spot_client::clock::local_now_ms;
use spot_client::sign::KeyType;
use spot_client::ws_api::{Incoming, WsApiConnection, WsApiError, signed_params};

/// Binance closes a connection after 24 h; renewing earlier keeps the gap under our control.
const RENEW_AFTER: Duration = Duration::from_secs(23 * 3600 + 30 * 60);
/// Binance pings every 20 s: a minute and more without any frame means the connection is dead.
const SILENCE_LIMIT: Duration = Duration::from_secs(75);
/// How long a request on the WebSocket API may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Reconnection delays grow from 1 s to at most 60 s.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// Orders queried one by one in one reconciliation at most (each costs REST weight 4).
const MAX_RECONCILE_QUERIES: usize = 50;

/// How an environment's subscription is doing, for `server_status` and `order_events`.
#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
pub struct UserStreamStatus {
    /// `off`, `connecting`, `subscribed`, `reconnecting`, or `waiting` (the environment refuses
    /// requests for now).
    pub state: String,
    /// Why it is off, or the last failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `userDataStream.subscribe.signature` or `session.logon`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// When the current subscription started (ms since epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribed_since_ms: Option<i64>,
    /// Successful subscriptions since the server started.
    pub subscriptions: u32,
    /// Events journaled since the server started.
    pub events: u64,
    /// Orders whose state a reconciliation after (re)connecting journaled.
    pub reconciled_orders: u64,
}

/// The subscriptions of all environments.
#[derive(Debug, Default, Clone)]
pub struct UserStreams {
    status: Arc<Mutex<HashMap<Environment, UserStreamStatus>>>,
    tasks: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    /// Wakes the production subscription once the human confirmed a production order.
    production_confirmed: Arc<tokio::sync::Notify>,
    /// How long a connection serves before it is replaced (None: [`RENEW_AFTER`]).
    renewal: Arc<Mutex<Option<Duration>>>,
}

impl UserStreams {
    /// The status of `env` (`off` before `start`).
    pub fn status(&self, env: Environment) -> UserStreamStatus {
        self.status
            .lock()
            .ok()
            .and_then(|s| s.get(&env).cloned())
            .unwrap_or_else(|| UserStreamStatus {
                state: "off".into(),
                detail: Some("not started (only `serve` keeps a subscription)".into()),
                ..UserStreamStatus::default()
            })
    }

    /// Replaces each connection after `every` instead of `RENEW_AFTER`, for an exchange
    /// with a shorter connection limit (and for tests of the renewal itself).
    pub fn renew_every(&self, every: Duration) {
        if let Ok(mut renewal) = self.renewal.lock() {
            *renewal = Some(every);
        }
    }

    fn renewal(&self) -> Duration {
        self.renewal.lock().ok().and_then(|r| *r).unwrap_or(RENEW_AFTER)
    }

    /// A production order the human confirmed was accepted: production events are now wanted.
    pub fn follow_production(&self) {
        self.production_confirmed.notify_one();
    }

    /// Ends every subscription task (at shutdown, so a closing exchange is not reported as lost).
    pub fn stop(&self) {
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }

    fn update(&self, env: Environment, change: impl FnOnce(&mut UserStreamStatus)) {
        if let Ok(mut all) = self.status.lock() {
            change(all.entry(env).or_default());
        }
    }
}

/// Starts one subscription task per environment that has keys; records why the others are off.
pub fn start(toolbox: &Arc<Toolbox>) {
    for env in Environment::ALL {
        let ec = toolbox.config().environment(env);
        let off = if !toolbox.config().user_stream {
            Some("BINANCE_USER_STREAM=0")
        } else if !ec.enabled {
            Some("environment disabled")
        } else if ec.credentials.is_none() {
            Some("no API key for this environment")
        } else {
            None
        };
        if let Some(reason) = off {
            toolbox.user_streams().update(env, |s| {
                s.state = "off".into();
                s.detail = Some(reason.into());
            });
            continue;
        }
        let task_toolbox = toolbox.clone();
        // Reading the store happens in the task, off the start-up path.
        let task = tokio::spawn(async move {
            if env == Environment::Production && !production_orders_to_follow(&task_toolbox) {
                let streams = task_toolbox.user_streams().clone();
                streams.update(env, |s| {
                    s.state = "off".into();
                    s.detail = Some("waits for the first production order the human confirms".into());
                });
                streams.production_confirmed.notified().await;
            }
            supervise(task_toolbox, env).await;
        });
        if let Ok(mut tasks) = toolbox.user_streams().tasks.lock() {
            tasks.push(task);
        }
    }
}

/// Whether the store holds production orders this server placed and believes open, or
/// production cancel timers: following them was part of what the human confirmed.
fn production_orders_to_follow(toolbox: &Toolbox) -> bool {
    let Ok(Some(store)) = toolbox.store_with_history() else {
        return false;
    };
    store
        .open_orders_believed(Environment::Production)
        .is_ok_and(|open| !open.is_empty())
        || store
            .pending_timers()
            .is_ok_and(|timers| timers.iter().any(|t| t.environment == Environment::Production))
}

/// Until when the environment refuses requests (a ban, a `Retry-After`, an open circuit), if it
/// does, and Binance's time now: both on Binance's clock, like every time the client keeps.
fn blocked_until(toolbox: &Toolbox, env: Environment) -> Option<(i64, i64)> {
    let client = toolbox.client(env);
    let budget = client.budget();
    let (_, _, circuit_until) = client.circuit();
    let now = client.clock().now_ms();
    [budget.banned_until_ms, budget.retry_after_until_ms, circuit_until]
        .into_iter()
        .flatten()
        .filter(|until| *until > now)
        .max()
        .map(|until| (until, now))
}

/// How a subscribed session ended without an error.
enum SessionEnd {
    /// Renewed before the 24-hour limit: reconnect at once.
    Renew,
    /// Binance ended the subscription (`eventStreamTerminated`).
    Terminated,
    /// Binance announced that the server is about to shut down (`serverShutdown`): reconnect
    /// at once, before the cut, like a renewal.
    ServerShutdown,
}

/// True for the WebSocket API's connection event `{"event":{"e":"serverShutdown","E":…}}`
/// (`web-socket-api.md`, Connection events; it carries no `subscriptionId`).
fn is_server_shutdown(event: &Value) -> bool {
    event.get("e").and_then(Value::as_str) == Some("serverShutdown")
}

async fn supervise(toolbox: Arc<Toolbox>, env: Environment) {
    let streams = toolbox.user_streams().clone();
    let mut failures: u32 = 0;
    // Set by a -1021: the next attempt measures the clock offset first.
    let mut clock_suspect = false;
    loop {
        if let Some((until, now)) = blocked_until(&toolbox, env) {
            streams.update(env, |s| {
                s.state = "waiting".into();
                s.detail = Some(format!(
                    "{env} refuses requests until {} (ban, Retry-After or circuit)",
                    utc(until)
                ));
            });
            let wait = u64::try_from(until - now).unwrap_or(0) + 250;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            continue;
        }
        streams.update(env, |s| {
            s.state = if s.subscriptions == 0 {
                "connecting"
            } else {
                "reconnecting"
            }
            .into();
        });
        let outcome = session(&toolbox, env, &mut failures, &mut clock_suspect).await;
        let delay = match outcome {
            Ok(SessionEnd::Renew) => Duration::ZERO,
            Ok(SessionEnd::ServerShutdown) => {
                tracing::info!(environment = %env, "Binance announced a server shutdown; reconnecting now");
                Duration::ZERO
            }
            Ok(SessionEnd::Terminated) => {
                failures += 1;
                streams.update(env, |s| s.detail = Some("Binance ended the subscription".into()));
                backoff(failures)
            }
            Err(e) => {
                failures += 1;
                let message = e.to_string();
                tracing::warn!(environment = %env, error = %message, "user-data stream lost");
                let was_subscribed = streams.status(env).state == "subscribed";
                streams.update(env, |s| s.detail = Some(message.clone()));
                if was_subscribed {
                    // No failed REST request reports this, so the alert is the incident.
                    toolbox.client(env).alerts().raise(
                        Alert::new(
                            AlertLevel::Warning,
                            env,
                            AlertKind::UserStreamInterrupted,
                            format!(
                                "user-data events on {env} interrupted ({message}); reconnecting, open orders will be reconciled by REST"
                            ),
                        )
                        .with_endpoint(format!("WebSocket API {}", toolbox.config().environment(env).ws_api_url))
                        .with_incident(),
                    );
                }
                backoff(failures)
            }
        };
        tokio::time::sleep(delay).await;
    }
}

/// 1 s, 2 s, 4 s … up to 60 s, plus up to a quarter of jitter so many servers do not
/// reconnect in step.
fn backoff(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(6);
    let base = (BACKOFF_FIRST * 2u32.pow(exponent)).min(BACKOFF_MAX);
    let jitter = rand::random_range(0..=base.as_millis() as u64 / 4);
    base + Duration::from_millis(jitter)
}

/// One connection: subscribe, reconcile, journal events until it ends.
async fn session(
    toolbox: &Arc<Toolbox>,
    env: Environment,
    failures: &mut u32,
    clock_suspect: &mut bool,
) -> Result<SessionEnd, WsApiError> {
    let client = toolbox.client(env);
    let credentials = client
        .credentials()
        .cloned()
        .ok_or_else(|| WsApiError::Closed("no credentials".into()))?;
    let url = toolbox.config().environment(env).ws_api_url.clone();
    let connect_timeout = Duration::from_millis(toolbox.config().connect_timeout_ms);
    let charge = |weight| async move {
        client
            .charge_websocket(weight)
            .await
            .map_err(|e| WsApiError::Refused(e.describe(env, client.clock().now_ms())))
    };
    if *clock_suspect {
        *clock_suspect = false;
        if let Err(e) = client.server_time().await {
            tracing::debug!(error = %e, "could not measure the clock offset; signing with the local clock");
        }
    }
    charge(2).await?;
    let mut connection = WsApiConnection::connect(&url, connect_timeout).await?;
    let recv_window = Some(client.recv_window_ms());
    let mut early: Vec<Value> = Vec::new();
    let mut keep = |_: Option<i64>, event: Value| early.push(event);
    // The local clock (corrected once a REST call has measured the offset) signs the request; a
    // -1021 measures the offset and the next attempt, a second later, signs with it. No REST
    // call is spent on the clock while it is right.
    let mut late = |e: WsApiError| {
        if e.code() == Some(spot_client::error::codes::INVALID_TIMESTAMP) {
            *clock_suspect = true;
        }
        e
    };
    let method = if credentials.key_type() == KeyType::Ed25519 {
        charge(4).await?;
        let params = signed_params(&credentials, client.clock().now_ms(), recv_window, &[]);
        connection
            .request("session.logon", Some(params), REQUEST_TIMEOUT, &mut keep)
            .await
            .map_err(&mut late)?;
        connection
            .request("userDataStream.subscribe", None, REQUEST_TIMEOUT, &mut keep)
            .await?;
        "session.logon"
    } else {
        charge(2).await?;
        let params = signed_params(&credentials, client.clock().now_ms(), recv_window, &[]);
        connection
            .request(
                "userDataStream.subscribe.signature",
                Some(params),
                REQUEST_TIMEOUT,
                &mut keep,
            )
            .await
            .map_err(&mut late)?;
        "userDataStream.subscribe.signature"
    };
    *failures = 0;
    let now = local_now_ms();
    toolbox.user_streams().update(env, |s| {
        s.state = "subscribed".into();
        s.detail = None;
        s.method = Some(method.into());
        s.subscribed_since_ms = Some(now);
        s.subscriptions += 1;
    });
    tracing::info!(environment = %env, method, "user-data stream subscribed");
    let mut shutting_down = false;
    for event in early {
        if is_server_shutdown(&event) {
            shutting_down = true;
        } else {
            journal(toolbox, env, event);
        }
    }
    // Events of the gap before this subscription are only visible by REST.
    let reconciling = toolbox.clone();
    tokio::spawn(async move {
        match reconcile(&reconciling, env).await {
            Ok(count) => reconciling
                .user_streams()
                .update(env, |s| s.reconciled_orders += count as u64),
            Err(e) => tracing::warn!(environment = %env, error = %e, "reconciliation after subscribing failed"),
        }
    });
    if shutting_down {
        connection.close().await;
        return Ok(SessionEnd::ServerShutdown);
    }
    let renew_at = tokio::time::Instant::now() + toolbox.user_streams().renewal();
    loop {
        tokio::select! {
            frame = tokio::time::timeout(SILENCE_LIMIT, connection.next()) => {
                let frame = frame.map_err(|_| {
                    WsApiError::Closed(format!("no frame, not even a ping, for {} s", SILENCE_LIMIT.as_secs()))
                })??;
                if let Incoming::Event { event, .. } = frame {
                    if is_server_shutdown(&event) {
                        // Not a user-data event: the connection's own notice of a restart.
                        connection.close().await;
                        return Ok(SessionEnd::ServerShutdown);
                    }
                    let terminated = event.get("e").and_then(Value::as_str) == Some("eventStreamTerminated");
                    journal(toolbox, env, event);
                    if terminated {
                        connection.close().await;
                        return Ok(SessionEnd::Terminated);
                    }
                }
            }
            _ = tokio::time::sleep_until(renew_at) => {
                connection.close().await;
                return Ok(SessionEnd::Renew);
            }
        }
    }
}

/// Writes one event to the store with the fields the journal's questions need.
pub fn journal(toolbox: &Toolbox, env: Environment, event: Value) {
    let kind = event.get("e").and_then(Value::as_str).unwrap_or("unknown").to_owned();
    let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
    let (symbol, order_id, client_order_id, status) = match kind.as_str() {
        "executionReport" => {
            // A cancel carries the cancel request's id in `c` and the order's own in `C`.
            let client = text("C").filter(|c| !c.is_empty()).or_else(|| text("c"));
            (text("s"), event.get("i").and_then(Value::as_u64), client, text("X"))
        }
        "listStatus" => (text("s"), None, text("C"), text("L")),
        _ => (None, None, None, None),
    };
    let now = local_now_ms();
    let recorded = toolbox.store().and_then(|store| {
        store.record(&LedgerEvent::ExchangeEvent {
            at: utc(now),
            at_ms: now,
            environment: env,
            kind,
            symbol,
            order_id,
            client_order_id,
            status,
            data: event,
        })
    });
    match recorded {
        Ok(()) => toolbox.user_streams().update(env, |s| s.events += 1),
        Err(e) => tracing::error!(environment = %env, error = %e, "could not journal a user-data event"),
    }
}

/// Journals Binance's REST answer about an order as a `reconciliation` event: what the event
/// journal missed, from the authority.
pub fn record_reconciliation(
    toolbox: &Toolbox,
    env: Environment,
    report: &spot_types::model::OrderReport,
) -> Result<(), crate::tools::ToolError> {
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::ExchangeEvent {
        at: utc(now),
        at_ms: now,
        environment: env,
        kind: "reconciliation".into(),
        symbol: Some(report.symbol.clone()),
        order_id: Some(report.order_id),
        client_order_id: Some(report.client_order_id.clone()),
        status: report.status.clone(),
        data: serde_json::to_value(report).unwrap_or_default(),
    })?;
    Ok(())
}

/// Compares the orders the store believes open with Binance's answer and journals every
/// difference as a `reconciliation` event. Returns how many orders it journaled.
pub async fn reconcile(toolbox: &Toolbox, env: Environment) -> Result<usize, crate::tools::ToolError> {
    let Some(store) = toolbox.store_with_history()? else {
        return Ok(0);
    };
    let believed = store.open_orders_believed(env)?;
    if believed.is_empty() {
        return Ok(0);
    }
    let client = toolbox.client(env);
    let mut by_symbol: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for order in &believed {
        by_symbol.entry(order.symbol.as_str()).or_default().push(order);
    }
    let mut journaled = 0;
    let mut queries = 0;
    for (symbol, orders) in by_symbol {
        let open = client.open_orders(Some(symbol)).await?;
        for order in orders {
            let report = match open.iter().find(|r| r.order_id == order.order_id) {
                Some(report) => report.clone(),
                None if queries < MAX_RECONCILE_QUERIES => {
                    queries += 1;
                    match client.query_order(symbol, &OrderRef::Id(order.order_id)).await {
                        Ok(report) => report,
                        Err(e) => {
                            tracing::warn!(order_id = order.order_id, error = %e, "could not reconcile an order");
                            continue;
                        }
                    }
                }
                None => continue,
            };
            let status = report.status.clone().unwrap_or_default();
            let data = serde_json::to_value(&report).unwrap_or_default();
            let same_fill = event_executed_qty("reconciliation", &data) == order.executed_qty;
            if status == order.status && (same_fill || order.executed_qty.is_none() && !is_final_status(&status)) {
                continue;
            }
            record_reconciliation(toolbox, env, &report)?;
            journaled += 1;
        }
    }
    Ok(journaled)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::Config;
    use spot_emulator::{self as emulator, EmulatorConfig};

    const KEY: &str = "streamkey0000000000000000000000000000000000000000000000000000001";
    const SECRET: &str = "streamsecret00000000000000000000000000000000000000000000000000001";

    /// A server's toolbox on testnet, pointed at an emulator with `emulator` settings.
    async fn toolbox_against(emulator: EmulatorConfig) -> (Arc<Toolbox>, emulator::EmulatorHandle, tempfile::TempDir) {
        let handle = emulator::spawn("127.0.0.1:0".parse().unwrap(), emulator.with_account(KEY, SECRET))
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let base = handle.base_url();
        let home_path = home.path().to_string_lossy().into_owned();
        let vars = [
            ("BINANCE_TESTNET_BASE_URL", base.as_str()),
            ("BINANCE_TESTNET_API_KEY", KEY),
            ("BINANCE_TESTNET_API_SECRET", SECRET),
            ("BINANCE_HOME", home_path.as_str()),
        ];
        let config =
            Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())).unwrap();
        (Toolbox::new(config), handle, home)
    }

    async fn settled(toolbox: &Toolbox, done: impl Fn(&UserStreamStatus) -> bool) -> UserStreamStatus {
        for _ in 0..300 {
            let status = toolbox.user_streams().status(Environment::Testnet);
            if done(&status) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "never settled: {:?}",
            toolbox.user_streams().status(Environment::Testnet)
        );
    }

    #[tokio::test]
    async fn pings_are_answered_so_a_quiet_connection_stays_up() {
        let mut config = EmulatorConfig::new(4);
        config.ws_ping_interval = Duration::from_millis(100);
        config.ws_pong_timeout = Duration::from_millis(300);
        let (toolbox, handle, _home) = toolbox_against(config).await;
        start(&toolbox);
        settled(&toolbox, |s| s.state == "subscribed").await;
        // Twenty pings later: had one gone unanswered, the emulator would have closed the link.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let status = toolbox.user_streams().status(Environment::Testnet);
        assert_eq!(
            (status.state.as_str(), status.subscriptions),
            ("subscribed", 1),
            "{status:?}"
        );
        toolbox.user_streams().stop();
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn connections_are_renewed_before_the_exchange_limit_without_a_gap_alert() {
        let (toolbox, handle, _home) = toolbox_against(EmulatorConfig::new(7)).await;
        toolbox.user_streams().renew_every(Duration::from_millis(300));
        start(&toolbox);
        let status = settled(&toolbox, |s| s.subscriptions >= 3 && s.state == "subscribed").await;
        assert!(status.detail.is_none(), "{status:?}");
        let alerts = toolbox.client(Environment::Testnet).alerts().recent();
        assert!(
            alerts.is_empty(),
            "a planned renewal is not an interruption: {alerts:?}"
        );
        toolbox.user_streams().stop();
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn a_clock_off_by_20_s_is_measured_after_the_first_refusal() {
        let (toolbox, handle, _home) = toolbox_against(EmulatorConfig::new(6)).await;
        let faults = format!("{}/emulator/faults", handle.base_url());
        let set = reqwest::Client::new()
            .post(faults)
            .json(&serde_json::json!({"clock_skew_ms": 20_000}))
            .send()
            .await
            .unwrap();
        assert!(set.status().is_success());
        start(&toolbox);
        let status = settled(&toolbox, |s| s.state == "subscribed").await;
        assert_eq!(status.subscriptions, 1, "{status:?}");
        let offset = toolbox.client(Environment::Testnet).clock().sample().unwrap().offset_ms;
        assert!((19_000..21_000).contains(&offset), "measured {offset} ms");
        toolbox.user_streams().stop();
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn a_connection_the_exchange_ends_at_its_lifetime_is_reopened() {
        let mut config = EmulatorConfig::new(5);
        config.ws_max_lifetime = Duration::from_millis(700);
        let (toolbox, handle, _home) = toolbox_against(config).await;
        start(&toolbox);
        let status = settled(&toolbox, |s| s.subscriptions >= 2 && s.state == "subscribed").await;
        assert_eq!(status.method.as_deref(), Some("userDataStream.subscribe.signature"));
        // Production has keys nowhere here, and demo neither: both stay off and say why.
        let production = toolbox.user_streams().status(Environment::Production);
        assert_eq!(production.state, "off");
        toolbox.user_streams().stop();
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn a_server_shutdown_notice_reconnects_at_once_without_a_gap_alert() {
        let (toolbox, handle, _home) = toolbox_against(EmulatorConfig::new(8)).await;
        start(&toolbox);
        settled(&toolbox, |s| s.state == "subscribed").await;
        let faults = format!("{}/emulator/faults", handle.base_url());
        let set = reqwest::Client::new()
            .post(faults)
            .json(&serde_json::json!({"server_shutdown": true}))
            .send()
            .await
            .unwrap();
        assert!(set.status().is_success());
        // The exchange keeps the old connection open: only the notice can make a second one.
        let status = settled(&toolbox, |s| s.subscriptions >= 2 && s.state == "subscribed").await;
        assert!(status.detail.is_none(), "{status:?}");
        let alerts = toolbox.client(Environment::Testnet).alerts().recent();
        assert!(
            alerts.is_empty(),
            "a planned reconnect is not an interruption: {alerts:?}"
        );
        let journaled = toolbox
            .store()
            .unwrap()
            .all_events(Some(Environment::Testnet), 1_000)
            .unwrap();
        assert!(
            journaled
                .iter()
                .all(|e| !matches!(e, LedgerEvent::ExchangeEvent { kind, .. } if kind == "serverShutdown")),
            "a connection notice is not a user-data event"
        );
        toolbox.user_streams().stop();
        handle.shutdown().await;
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff(1);
        assert!(
            first >= Duration::from_secs(1) && first <= Duration::from_millis(1250),
            "{first:?}"
        );
        let third = backoff(3);
        assert!(
            third >= Duration::from_secs(4) && third <= Duration::from_secs(5),
            "{third:?}"
        );
        let late = backoff(40);
        assert!(
            late >= Duration::from_secs(60) && late <= Duration::from_secs(75),
            "{late:?}"
        );
    }
}
