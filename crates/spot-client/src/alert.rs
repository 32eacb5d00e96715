//! Alerts: critical events (a ban, an open circuit, clock drift, a dropped user-data stream, a
//! failed cancel timer, a lost order answer) that a human should see now. Every alert is logged
//! with `tracing`, kept in a short list for status reports, handed to an optional recorder and
//! broadcast to subscribers; the owner decides where they go and may add its own next step to
//! each hint. An alert says what happened as data: its [`AlertKind`], the endpoint, the Binance
//! code and HTTP status when there are any, and a fix hint, so a record of it is written from
//! those fields and never filed under a stand-in cause. Nothing here blocks: a slow or absent
//! subscriber only misses alerts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

use spot_types::Environment;

/// How many alerts `recent` keeps, and how many a lagging subscriber may fall behind.
const KEEP: usize = 32;

/// Severity of an alert; whoever forwards alerts maps it to its own levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// Normal but significant: a cancel timer ran.
    Notice,
    Warning,
    Error,
}

/// What happened: the cause an alert (and its incident) is filed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The local clock is more than 1 s off Binance's.
    ClockDrift,
    /// Binance banned this IP (HTTP 418).
    Ban,
    /// Binance asked for no request (or no order) before a time (429, -1015, `Retry-After`).
    RateLimit,
    /// Transport failures or 5XX in a row: requests are refused for a cool-down.
    CircuitOpen,
    /// The user-data event subscription (WebSocket API) dropped; it reconnects by itself.
    UserStreamInterrupted,
    /// A `cancel_after_seconds` timer canceled its order, or found it already ended.
    CancelTimerRan,
    /// A `cancel_after_seconds` timer could not cancel its order: it may still be open.
    CancelTimerFailed,
    /// An order or list was sent and its answer lost (timeout, 5XX, -1006/-1007).
    OrderAnswerLost,
    /// A symbol's rules (filters, status, order types) changed since its last snapshot.
    FilterChanged,
}

impl AlertKind {
    /// A few words for an incident heading.
    pub fn title(self) -> &'static str {
        match self {
            AlertKind::ClockDrift => "clock drift",
            AlertKind::Ban => "IP banned",
            AlertKind::RateLimit => "rate limited",
            AlertKind::CircuitOpen => "circuit open",
            AlertKind::UserStreamInterrupted => "user-data stream interrupted",
            AlertKind::CancelTimerRan => "cancel timer ran",
            AlertKind::CancelTimerFailed => "cancel timer failed",
            AlertKind::OrderAnswerLost => "order answer lost",
            AlertKind::FilterChanged => "filters changed",
        }
    }

    /// The usual fix, when the raiser knows no better one.
    pub fn hint(self) -> &'static str {
        match self {
            AlertKind::ClockDrift => {
                "Sync the system clock (NTP, e.g. `timedatectl set-ntp true`); until then signed requests rely on the measured offset."
            }
            AlertKind::Ban => {
                "Send nothing to this environment until the ban ends (the server refuses meanwhile, also after a restart); then poll less and batch symbols: bans come from ignoring 429s."
            }
            AlertKind::RateLimit => {
                "Wait until the time given; ask for several symbols per call and avoid polling to use less weight."
            }
            AlertKind::CircuitOpen => {
                "Binance is not answering: check the network and the base URL; the client tries one request again after the cool-down."
            }
            AlertKind::UserStreamInterrupted => {
                "Nothing to do if it reconnects; fills meanwhile are reconciled by REST. If it stays down, check the network and the WebSocket API URL."
            }
            AlertKind::CancelTimerRan => "Nothing to do: the order's rest was canceled as asked.",
            AlertKind::CancelTimerFailed => {
                "The order may still be open: query it and cancel it; see the endpoint and code for why the cancel failed."
            }
            AlertKind::OrderAnswerLost => {
                "The order was queried by client id instead of resent: check its status before placing anything again."
            }
            AlertKind::FilterChanged => {
                "Orders built on the old rules may be refused: check them against the new rules and use the normalized values."
            }
        }
    }

    /// What was done about it, for the record, when the raiser says nothing more.
    fn action(self) -> &'static str {
        match self {
            AlertKind::ClockDrift => "raised an alert; signed requests carry the corrected time",
            AlertKind::UserStreamInterrupted => {
                "raised an alert; reconnecting with backoff, open orders are reconciled by REST after the reconnect"
            }
            AlertKind::CancelTimerFailed => {
                "retried the cancel while that could help, then gave up and raised an alert"
            }
            AlertKind::FilterChanged => "validated against the new rules",
            _ => "raised an alert",
        }
    }
}

/// One critical event.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub level: AlertLevel,
    pub kind: AlertKind,
    /// Where it comes from, e.g. `binance.testnet`.
    pub logger: String,
    /// What happened and what the server does about it, in plain words.
    pub message: String,
    pub environment: Environment,
    /// The request or channel concerned, e.g. `DELETE /api/v3/order`, when there is one.
    pub endpoint: Option<String>,
    /// The HTTP status Binance answered with, when there was an answer.
    pub http_status: Option<u16>,
    /// The Binance error code, when Binance sent one.
    pub code: Option<i64>,
    /// What the human or agent should do about it.
    pub hint: String,
    /// What the server did about it.
    pub action: String,
    /// When, in ms since epoch (local clock).
    pub at_ms: i64,
    /// Raised order on this hub (from 1), so each alert is delivered once per session.
    #[serde(skip)]
    pub seq: u64,
    /// Also write an incident (for events no failed request reports).
    #[serde(skip)]
    pub incident: bool,
}

impl Alert {
    /// An alert of `kind`, with the kind's usual hint and action until told otherwise.
    pub fn new(level: AlertLevel, environment: Environment, kind: AlertKind, message: impl Into<String>) -> Alert {
        Alert {
            level,
            kind,
            logger: format!("binance.{environment}"),
            message: message.into(),
            environment,
            endpoint: None,
            http_status: None,
            code: None,
            hint: kind.hint().to_owned(),
            action: kind.action().to_owned(),
            at_ms: super::clock::local_now_ms(),
            seq: 0,
            incident: false,
        }
    }

    /// Marks the alert to be handed to the recorder as well.
    pub fn with_incident(mut self) -> Alert {
        self.incident = true;
        self
    }

    /// The request or channel concerned, e.g. `GET /api/v3/time`.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Alert {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The HTTP status and Binance code of the answer, as far as there was one.
    pub fn with_answer(mut self, http_status: Option<u16>, code: Option<i64>) -> Alert {
        self.http_status = http_status;
        self.code = code;
        self
    }

    /// A better fix hint than the kind's usual one.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Alert {
        self.hint = hint.into();
        self
    }

    /// What the server did, when it is more than the kind's usual action.
    pub fn with_action(mut self, action: impl Into<String>) -> Alert {
        self.action = action.into();
        self
    }
}

/// Writes alerts somewhere durable (binance-mcp writes incidents.md).
pub trait AlertRecorder: Send + Sync + std::fmt::Debug {
    fn record(&self, alert: &Alert);
}

/// The alert hub; clones share it.
#[derive(Clone, Debug)]
pub struct Alerts {
    sender: broadcast::Sender<Alert>,
    recent: Arc<Mutex<VecDeque<Alert>>>,
    /// The last `seq` given out.
    last_seq: Arc<AtomicU64>,
    recorder: Option<Arc<dyn AlertRecorder>>,
    /// The owner's next step for an alert (which of its tools or commands acts on it), added
    /// to the hint: this crate only says what to do in Binance's words.
    next_step: Option<fn(&Alert) -> Option<&'static str>>,
}

impl Default for Alerts {
    fn default() -> Alerts {
        Alerts {
            sender: broadcast::channel(KEEP).0,
            recent: Arc::default(),
            last_seq: Arc::default(),
            recorder: None,
            next_step: None,
        }
    }
}

impl Alerts {
    /// Hands every alert marked `incident` to `recorder` too.
    pub fn with_recorder(mut self, recorder: Arc<dyn AlertRecorder>) -> Alerts {
        self.recorder = Some(recorder);
        self
    }

    /// Adds `next_step(alert)`, when there is one, to every alert's hint.
    pub fn with_next_steps(mut self, next_step: fn(&Alert) -> Option<&'static str>) -> Alerts {
        self.next_step = Some(next_step);
        self
    }

    /// Logs, keeps, records and broadcasts an alert.
    pub fn raise(&self, mut alert: Alert) {
        if let Some(step) = self.next_step.and_then(|next_step| next_step(&alert)) {
            alert.hint = format!("{} {step}", alert.hint);
        }
        match alert.level {
            AlertLevel::Notice => {
                tracing::info!(environment = %alert.environment, kind = ?alert.kind, "{}", alert.message)
            }
            AlertLevel::Warning => {
                tracing::warn!(environment = %alert.environment, kind = ?alert.kind, "{}", alert.message)
            }
            AlertLevel::Error => {
                tracing::error!(environment = %alert.environment, kind = ?alert.kind, "{}", alert.message)
            }
        }
        if alert.incident
            && let Some(recorder) = &self.recorder
        {
            recorder.record(&alert);
        }
        // Numbered, kept and sent under one lock, so `recent` and the channel agree on the order.
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        alert.seq = self.last_seq.fetch_add(1, Ordering::Relaxed) + 1;
        if recent.len() >= KEEP {
            recent.pop_front();
        }
        recent.push_back(alert.clone());
        // No subscriber is not an error: the alert is still logged and kept.
        let _ = self.sender.send(alert);
    }

    /// A receiver of every alert raised from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Alert> {
        self.sender.subscribe()
    }

    /// The latest alerts, oldest first.
    pub fn recent(&self) -> Vec<Alert> {
        self.recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Kept(Mutex<Vec<String>>);

    impl AlertRecorder for Kept {
        fn record(&self, alert: &Alert) {
            if let Ok(mut v) = self.0.lock() {
                v.push(alert.message.clone());
            }
        }
    }

    #[tokio::test]
    async fn alerts_reach_subscribers_the_recent_list_and_the_recorder() {
        let kept = Arc::new(Kept::default());
        let alerts = Alerts::default().with_recorder(kept.clone());
        let mut rx = alerts.subscribe();
        alerts.raise(Alert::new(
            AlertLevel::Error,
            Environment::Testnet,
            AlertKind::Ban,
            "banned",
        ));
        alerts
            .raise(Alert::new(AlertLevel::Warning, Environment::Demo, AlertKind::ClockDrift, "drift").with_incident());
        let first = rx.recv().await.expect("alert");
        assert_eq!(
            (first.level, first.logger.as_str()),
            (AlertLevel::Error, "binance.testnet")
        );
        assert_eq!((first.kind, first.seq), (AlertKind::Ban, 1));
        assert_eq!(alerts.recent().len(), 2);
        assert_eq!(alerts.recent()[1].seq, 2);
        assert_eq!(kept.0.lock().expect("lock").as_slice(), ["drift"]);
    }

    #[test]
    fn raising_without_subscribers_is_fine_and_bounded() {
        let alerts = Alerts::default();
        for i in 0..100 {
            alerts.raise(Alert::new(
                AlertLevel::Warning,
                Environment::Production,
                AlertKind::RateLimit,
                format!("{i}"),
            ));
        }
        let recent = alerts.recent();
        assert_eq!(recent.len(), KEEP);
        assert_eq!(recent.last().map(|a| a.message.as_str()), Some("99"));
    }
}
