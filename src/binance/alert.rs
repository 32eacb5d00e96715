//! Alerts: critical events (a ban, an open circuit, clock drift; unknown order outcomes from the
//! order tool) that a human should see now. Every alert is logged with `tracing`, kept in a
//! short list for `server_status`, handed to an optional recorder (incidents.md) and broadcast
//! to subscribers (the MCP edge forwards them as logging notifications). Nothing here blocks:
//! a slow or absent subscriber only misses alerts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::config::Environment;

/// How many alerts `recent` keeps, and how many a lagging subscriber may fall behind.
const KEEP: usize = 32;

/// Severity, in MCP logging-level names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// Normal but significant: a cancel timer ran.
    Notice,
    Warning,
    Error,
}

/// One critical event.
#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub level: AlertLevel,
    /// Where it comes from, e.g. `binance.testnet`.
    pub logger: String,
    /// What happened and what the server does about it, in plain words.
    pub message: String,
    pub environment: Environment,
    /// When, in ms since epoch (local clock).
    pub at_ms: i64,
    /// Also write an incident (for events no failed request reports, like clock drift).
    #[serde(skip)]
    pub incident: bool,
}

impl Alert {
    pub fn new(level: AlertLevel, environment: Environment, message: impl Into<String>) -> Alert {
        Alert {
            level,
            logger: format!("binance.{environment}"),
            message: message.into(),
            environment,
            at_ms: super::clock::local_now_ms(),
            incident: false,
        }
    }

    /// Marks the alert to be written to incidents.md as well.
    pub fn with_incident(mut self) -> Alert {
        self.incident = true;
        self
    }
}

/// Writes alerts somewhere durable (the tools layer writes incidents.md).
pub trait AlertRecorder: Send + Sync + std::fmt::Debug {
    fn record(&self, alert: &Alert);
}

/// The alert hub; clones share it.
#[derive(Clone, Debug)]
pub struct Alerts {
    sender: broadcast::Sender<Alert>,
    recent: Arc<Mutex<VecDeque<Alert>>>,
    recorder: Option<Arc<dyn AlertRecorder>>,
}

impl Default for Alerts {
    fn default() -> Alerts {
        Alerts {
            sender: broadcast::channel(KEEP).0,
            recent: Arc::default(),
            recorder: None,
        }
    }
}

impl Alerts {
    /// Hands every alert marked `incident` to `recorder` too.
    pub fn with_recorder(mut self, recorder: Arc<dyn AlertRecorder>) -> Alerts {
        self.recorder = Some(recorder);
        self
    }

    /// Logs, keeps, records and broadcasts an alert.
    pub fn raise(&self, alert: Alert) {
        match alert.level {
            AlertLevel::Notice => tracing::info!(environment = %alert.environment, "{}", alert.message),
            AlertLevel::Warning => tracing::warn!(environment = %alert.environment, "{}", alert.message),
            AlertLevel::Error => tracing::error!(environment = %alert.environment, "{}", alert.message),
        }
        if alert.incident
            && let Some(recorder) = &self.recorder
        {
            recorder.record(&alert);
        }
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= KEEP {
                recent.pop_front();
            }
            recent.push_back(alert.clone());
        }
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
        alerts.raise(Alert::new(AlertLevel::Error, Environment::Testnet, "banned"));
        alerts.raise(Alert::new(AlertLevel::Warning, Environment::Demo, "drift").with_incident());
        let first = rx.recv().await.expect("alert");
        assert_eq!(
            (first.level, first.logger.as_str()),
            (AlertLevel::Error, "binance.testnet")
        );
        assert_eq!(alerts.recent().len(), 2);
        assert_eq!(kept.0.lock().expect("lock").as_slice(), ["drift"]);
    }

    #[test]
    fn raising_without_subscribers_is_fine_and_bounded() {
        let alerts = Alerts::default();
        for i in 0..100 {
            alerts.raise(Alert::new(AlertLevel::Warning, Environment::Production, format!("{i}")));
        }
        let recent = alerts.recent();
        assert_eq!(recent.len(), KEEP);
        assert_eq!(recent.last().map(|a| a.message.as_str()), Some("99"));
    }
}
