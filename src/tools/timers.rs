//! Cancel timers of `order_place … cancel_after_seconds`: when a timer is due, whatever the
//! order has not filled is canceled and the outcome is journaled and announced. Timers live in
//! the store (`cancel_timer_set` / `cancel_timer_done`), so a restarted server resumes the ones
//! still pending, and one whose order ended meanwhile only records that it had nothing to do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::memory::journal::PendingTimer;
use crate::memory::ledger::LedgerEvent;
use crate::tools::{Toolbox, utc};
use spot_client::alert::{Alert, AlertKind, AlertLevel};
use spot_client::clock::local_now_ms;
use spot_client::error::{Unavailable, codes};
use spot_client::{BinanceError, OrderRef};

/// Shortest and longest timer `order_place` accepts.
pub const MIN_CANCEL_AFTER_SECS: u32 = 1;
pub const MAX_CANCEL_AFTER_SECS: u32 = 7 * 24 * 3600;
/// The request a timer sends.
const CANCEL_ENDPOINT: &str = "DELETE /api/v3/order";
/// Delays between attempts when Binance cannot be reached at the due time.
const RETRY_DELAYS: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

/// The hand-off from `order_place` to the task that runs timers.
#[derive(Debug)]
pub struct Timers {
    sender: mpsc::UnboundedSender<PendingTimer>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<PendingTimer>>>,
}

impl Default for Timers {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Timers {
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }
}

impl Timers {
    /// Hands a timer (already in the store) to the running task. Without one (the `call`
    /// command), the next `serve` picks it up from the store.
    pub fn schedule(&self, timer: PendingTimer) {
        let _ = self.sender.send(timer);
    }

    /// Whether a task runs the timers in this process.
    pub fn running(&self) -> bool {
        self.receiver.lock().map(|r| r.is_none()).unwrap_or(false)
    }
}

/// Resumes the store's pending timers and runs new ones as `order_place` schedules them.
pub fn start(toolbox: &Arc<Toolbox>) {
    let Some(mut receiver) = toolbox.timers().receiver.lock().ok().and_then(|mut r| r.take()) else {
        return;
    };
    let toolbox = toolbox.clone();
    // Reading the store happens in the task, off the start-up path, on the blocking pool.
    tokio::spawn(async move {
        let reader = toolbox.clone();
        let pending = tokio::task::spawn_blocking(move || match reader.store_with_history() {
            Ok(Some(store)) => store.pending_timers(),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(e),
        })
        .await
        .unwrap_or_else(|e| {
            Err(crate::memory::MemoryError::Invalid(format!(
                "the store reader stopped: {e}"
            )))
        });
        let pending = match pending {
            Ok(pending) => pending,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the store: pending cancel timers not resumed");
                Vec::new()
            }
        };
        if !pending.is_empty() {
            tracing::info!(count = pending.len(), "resuming cancel timers from the store");
        }
        // A timer armed while the store was being read arrives both ways: it runs once.
        let mut started = std::collections::HashSet::new();
        for timer in pending {
            if started.insert((timer.environment, timer.order_id)) {
                spawn_timer(toolbox.clone(), timer);
            }
        }
        while let Some(timer) = receiver.recv().await {
            if started.insert((timer.environment, timer.order_id)) {
                spawn_timer(toolbox.clone(), timer);
            }
        }
    });
}

fn spawn_timer(toolbox: Arc<Toolbox>, timer: PendingTimer) {
    tokio::spawn(async move {
        let wait = u64::try_from(timer.due_ms - local_now_ms()).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        run(&toolbox, &timer).await;
    });
}

/// What a due timer did.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    outcome: &'static str,
    status: Option<String>,
    executed_qty: Option<rust_decimal::Decimal>,
    error: Option<String>,
    /// Why a cancel failed, as data: the request, HTTP status and Binance code.
    failure: Option<Failure>,
}

/// The failed request of a timer, for its alert and incident.
#[derive(Debug, PartialEq, Eq)]
struct Failure {
    endpoint: String,
    http_status: Option<u16>,
    code: Option<i64>,
    /// Whether trying again within [`RETRY_DELAYS`] can succeed.
    retry_helps: bool,
}

/// Whether trying a cancel again within [`RETRY_DELAYS`] can succeed: after no answer, a 5XX, a
/// rate limit or a clock rejection, yes; after a rejection of the request itself (a key, a
/// signature, a malformed request) or during a ban (2 minutes at least), no.
fn retry_helps(e: &BinanceError) -> bool {
    match e {
        BinanceError::Transport { .. } | BinanceError::Decode { .. } => true,
        BinanceError::Api { status, code, .. } => *status >= 500 || *status == 429 || *code == codes::INVALID_TIMESTAMP,
        BinanceError::Http { status, .. } => *status >= 500 || *status == 429,
        BinanceError::EnvironmentDisabled { reason, .. } => {
            matches!(
                reason,
                Unavailable::RateLimited { .. } | Unavailable::CircuitOpen { .. }
            )
        }
        // The firewall blocks the same request again.
        BinanceError::MissingCredentials { .. } | BinanceError::Waf { .. } => false,
    }
}

async fn run(toolbox: &Toolbox, timer: &PendingTimer) {
    let mut result = attempt(toolbox, timer).await;
    for delay in RETRY_DELAYS {
        if result.outcome != "failed" || result.failure.as_ref().is_some_and(|f| !f.retry_helps) {
            break;
        }
        tokio::time::sleep(delay).await;
        result = attempt(toolbox, timer).await;
    }
    let env = timer.environment;
    let now = local_now_ms();
    if let Err(e) = toolbox.store().and_then(|store| {
        store.record(&LedgerEvent::CancelTimerDone {
            at: utc(now),
            at_ms: now,
            environment: env,
            symbol: timer.symbol.clone(),
            order_id: timer.order_id,
            outcome: result.outcome.to_owned(),
            status: result.status.clone(),
            executed_qty: result.executed_qty,
            error: result.error.clone(),
        })
    }) {
        tracing::error!(error = %e, "could not journal a cancel timer's outcome");
    }
    let filled = result
        .executed_qty
        .map(|q| format!(", {} filled", q.normalize()))
        .unwrap_or_default();
    let (level, kind, message) = match result.outcome {
        "canceled" => (
            AlertLevel::Notice,
            AlertKind::CancelTimerRan,
            format!(
                "cancel timer: canceled the unfilled rest of {} order {} ({}){filled}",
                timer.symbol, timer.order_id, timer.client_order_id
            ),
        ),
        "already_closed" => (
            AlertLevel::Notice,
            AlertKind::CancelTimerRan,
            format!(
                "cancel timer: {} order {} had already ended ({}){filled}; nothing canceled",
                timer.symbol,
                timer.order_id,
                result.status.as_deref().unwrap_or("?")
            ),
        ),
        _ => (
            AlertLevel::Error,
            AlertKind::CancelTimerFailed,
            format!(
                "cancel timer FAILED: {} order {} may still be open ({}); cancel it with order_cancel",
                timer.symbol,
                timer.order_id,
                result.error.as_deref().unwrap_or("unknown error")
            ),
        ),
    };
    let mut alert = Alert::new(level, env, kind, message).with_endpoint(CANCEL_ENDPOINT);
    if let Some(failure) = &result.failure {
        alert = alert
            .with_endpoint(failure.endpoint.clone())
            .with_answer(failure.http_status, failure.code)
            .with_action(if failure.retry_helps {
                format!(
                    "retried the cancel {} times over {} s, then gave up and warned the agent (MCP log notification)",
                    RETRY_DELAYS.len(),
                    RETRY_DELAYS.iter().sum::<Duration>().as_secs()
                )
            } else {
                "did not retry (another try cannot help after this answer) and warned the agent (MCP log notification)"
                    .to_owned()
            });
    }
    if kind == AlertKind::CancelTimerFailed {
        // Nothing else records that the order may still be open.
        alert = alert.with_incident();
    }
    toolbox.client(env).alerts().raise(alert);
}

async fn attempt(toolbox: &Toolbox, timer: &PendingTimer) -> Outcome {
    let client = toolbox.client(timer.environment);
    let order = OrderRef::Id(timer.order_id);
    let failed = |e: &BinanceError| Outcome {
        outcome: "failed",
        status: None,
        executed_qty: None,
        error: Some(e.to_string()),
        failure: Some(Failure {
            endpoint: e.endpoint().unwrap_or(CANCEL_ENDPOINT).to_owned(),
            http_status: e.status(),
            code: e.code(),
            retry_helps: retry_helps(e),
        }),
    };
    let closed = |status: Option<String>, executed_qty| Outcome {
        outcome: "already_closed",
        status,
        executed_qty,
        error: None,
        failure: None,
    };
    match toolbox
        .desk()
        .cancel_order(timer.environment, &timer.symbol, &order)
        .await
    {
        Ok(report) => {
            let now = local_now_ms();
            if let Err(e) = toolbox.store().and_then(|store| {
                store.record(&LedgerEvent::OrderCanceled {
                    at: utc(now),
                    at_ms: now,
                    environment: timer.environment,
                    symbol: timer.symbol.clone(),
                    order_id: timer.order_id,
                    client_order_id: timer.client_order_id.clone(),
                })
            }) {
                tracing::error!(error = %e, "could not journal a timed cancel");
            }
            Outcome {
                outcome: "canceled",
                status: report.status,
                executed_qty: report.executed_qty,
                error: None,
                failure: None,
            }
        }
        // -2011: nothing to cancel; the order filled, was canceled or expired meanwhile.
        Err(e) if e.code() == Some(codes::CANCEL_REJECTED) || e.code() == Some(codes::NO_SUCH_ORDER) => {
            match client.query_order(&timer.symbol, &order).await {
                Ok(report) if report.is_final() => closed(report.status, report.executed_qty),
                Ok(_) => failed(&e),
                Err(query) if query.code() == Some(codes::NO_SUCH_ORDER) => closed(None, None),
                Err(query) => failed(&query),
            }
        }
        Err(e) => failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    #[test]
    fn only_failures_that_can_pass_soon_are_retried() {
        let api = |status: u16, code: i64| BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: CANCEL_ENDPOINT.into(),
            status,
            code,
            msg: String::new(),
            retry_after_secs: None,
        };
        let refused = |reason| BinanceError::EnvironmentDisabled {
            environment: Environment::Testnet,
            reason,
            now_ms: 0,
        };
        let http = |status| BinanceError::Http {
            environment: Environment::Testnet,
            endpoint: CANCEL_ENDPOINT.into(),
            status,
            body: String::new(),
            retry_after_secs: None,
        };
        for (error, retry) in [
            (api(503, codes::UNKNOWN), true),
            (api(429, codes::TOO_MANY_REQUESTS), true),
            (api(400, codes::INVALID_TIMESTAMP), true),
            (http(502), true),
            (
                refused(Unavailable::CircuitOpen {
                    failures: 5,
                    retry_at_ms: 0,
                }),
                true,
            ),
            (api(418, codes::TOO_MANY_REQUESTS), false),
            (api(401, codes::REJECTED_MBX_KEY), false),
            (api(400, codes::INVALID_SIGNATURE), false),
            (http(400), false),
            (refused(Unavailable::Banned { until_ms: 0 }), false),
        ] {
            assert_eq!(retry_helps(&error), retry, "{error}");
        }
    }
}
