//! Alerts to the client as MCP logging notifications: forwarded as they happen, and delivered
//! with the request that was running, at the level the client asked for.

use super::*;

impl BinanceServer {
    /// Forwards the Binance layer's alerts (bans, open circuits, clock drift, unknown order
    /// outcomes) to the client as logging notifications, in a task of its own so that a slow
    /// client never holds up a tool call; each notification gets at most 2 s.
    #[allow(deprecated)] // MCP logging is deprecated by SEP-2577 but still what clients show.
    pub(super) fn forward_alerts(&self, peer: Peer<RoleServer>) {
        // Every environment's client raises on the same hub.
        let mut alerts = self.toolbox.client(Environment::Testnet).alerts().subscribe();
        let minimum = self.log_level.clone();
        tokio::spawn(async move {
            loop {
                let alert = match alerts.recv().await {
                    Ok(alert) => alert,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alerts dropped before reaching the MCP client");
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if level_rank(logging_level(alert.level)) < minimum.load(Ordering::Relaxed) {
                    continue;
                }
                notify_alert(&peer, alert).await;
            }
        });
    }

    /// Runs a 2026-07-28 request that asked for log messages at `minimum` or above (`_meta`
    /// `io.modelcontextprotocol/logLevel`): the revision allows notifications only for such a
    /// request, on its own stream, so the alerts raised while it runs go out before its answer,
    /// preceded by those raised since the last delivery, when no request could carry them
    /// (a dropped stream or a timer between calls). Each alert reaches the client once.
    #[allow(deprecated)] // MCP logging (SEP-2577)
    pub(super) async fn with_request_alerts<R>(
        &self,
        minimum: LoggingLevel,
        peer: &Peer<RoleServer>,
        call: impl Future<Output = R>,
    ) -> R {
        // Every environment's client raises on the same hub.
        let alerts = self.toolbox.client(Environment::Testnet).alerts().clone();
        // Subscribed before the backlog is read, so nothing falls in between (the claim below
        // drops what arrives both ways).
        let mut raised = alerts.subscribe();
        let minimum = level_rank(minimum);
        for alert in alerts.recent() {
            self.deliver(peer, minimum, alert).await;
        }
        let mut call = std::pin::pin!(call);
        let mut hub_open = true;
        let result = loop {
            tokio::select! {
                result = &mut call => break result,
                received = raised.recv(), if hub_open => match received {
                    Ok(alert) => self.deliver(peer, minimum, alert).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alerts dropped before reaching the MCP client");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => hub_open = false,
                },
            }
        };
        while let Ok(alert) = raised.try_recv() {
            self.deliver(peer, minimum, alert).await;
        }
        result
    }

    /// Sends `alert` for the current request when it is at or above `minimum` and no request
    /// has carried it yet.
    async fn deliver(&self, peer: &Peer<RoleServer>, minimum: u8, alert: Alert) {
        if level_rank(logging_level(alert.level)) < minimum {
            return;
        }
        {
            let mut delivered = self.delivered_alerts.lock().unwrap_or_else(|p| p.into_inner());
            if !delivered.insert(alert.seq) {
                return;
            }
            // `Alerts::recent` gives back no more than the last 32; a lagging receiver skips.
            while delivered.len() > 256 {
                delivered.pop_first();
            }
        }
        notify_alert(peer, alert).await;
    }
}

/// The MCP logging level of an alert.
#[allow(deprecated)] // MCP logging (SEP-2577)
pub(super) fn logging_level(level: AlertLevel) -> LoggingLevel {
    match level {
        AlertLevel::Notice => LoggingLevel::Notice,
        AlertLevel::Warning => LoggingLevel::Warning,
        AlertLevel::Error => LoggingLevel::Error,
    }
}

/// The level a 2026-07-28 (or later) request asked for log messages at, in its `_meta`; `None`
/// for earlier revisions (their session level is `logging/setLevel`'s) and for a request that
/// did not ask, which must get none.
#[allow(deprecated)] // MCP logging (SEP-2577)
pub(super) fn request_log_level(context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
    context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        .then(|| context.meta.log_level())
        .flatten()
}

/// One alert as a logging notification (the message as data, `binance.<environment>` as the
/// logger), given at most 2 s so a slow client never holds anything up.
#[allow(deprecated)] // MCP logging (SEP-2577)
async fn notify_alert(peer: &Peer<RoleServer>, alert: Alert) {
    let param =
        LoggingMessageNotificationParam::new(logging_level(alert.level), serde_json::Value::String(alert.message))
            .with_logger(alert.logger);
    if tokio::time::timeout(Duration::from_secs(2), peer.notify_logging_message(param))
        .await
        .is_err()
    {
        tracing::warn!("the MCP client did not take a log notification within 2 s");
    }
}

/// Rank of the `warning` logging level: alerts are sent from this level up until the client sets another.
pub(super) const WARNING_RANK: u8 = 3;

/// Severity order of MCP logging levels (debug lowest).
#[allow(deprecated)] // MCP logging (SEP-2577)
pub(super) fn level_rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(deprecated)] // MCP logging (SEP-2577)
    fn warning_is_the_default_minimum_level() {
        assert_eq!(level_rank(LoggingLevel::Warning), WARNING_RANK);
        assert!(level_rank(LoggingLevel::Error) > WARNING_RANK);
        assert!(level_rank(LoggingLevel::Info) < WARNING_RANK);
    }
}
