//! What a write's answer means and how it is recorded, for single orders and lists alike: an
//! unknown outcome (the answer lost after sending) told apart from a rejection, each journaled;
//! the backoff on which `place` and `list` reconcile, and what they found; a lost answer
//! reported as an incident and an error alert.

use spot_client::BinanceError;
use spot_client::alert::{Alert, AlertKind, AlertLevel};
use spot_client::clock::local_now_ms;
use spot_client::error::codes;

use crate::config::Environment;
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, Toolbox, utc};

/// A timeout, a 5XX, -1006 or -1007 after sending: the order may or may not exist.
pub fn is_unknown_outcome(e: &BinanceError) -> bool {
    match e {
        BinanceError::Transport { source, .. } => !source.is_connect() && !source.is_builder(),
        BinanceError::Api { status, code, .. } => {
            *status >= 500 || *code == codes::UNEXPECTED_RESP || *code == codes::TIMEOUT
        }
        BinanceError::Http { status, .. } => *status >= 500,
        BinanceError::Decode { .. } => true,
        // The firewall answers before the API sees the request: nothing was executed.
        BinanceError::Waf { .. }
        | BinanceError::MissingCredentials { .. }
        | BinanceError::EnvironmentDisabled { .. } => false,
    }
}

/// Delays between reconciliation queries after an unknown outcome (bounded: about 8 s in all).
pub(super) const RECONCILE_BACKOFF_MS: [u64; 5] = [250, 500, 1000, 2000, 4000];

/// An answer lost after sending: the outcome is unknown until reconciled.
pub(super) fn record_unknown(
    toolbox: &Toolbox,
    env: Environment,
    client_order_id: &str,
    error: &BinanceError,
) -> Result<(), ToolError> {
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::OrderUnknown {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.to_owned(),
        error: error.to_string(),
    })?;
    Ok(())
}

/// Binance refused: an incident saying what the server did, and the refusal in the store
/// (which gives the test back).
pub(super) fn record_rejected(
    toolbox: &Toolbox,
    env: Environment,
    client_order_id: String,
    error: &BinanceError,
    action: &str,
) -> Result<(), ToolError> {
    if let Some(incident) = crate::memory::incidents::Incident::from_error(error, action) {
        record_incident(toolbox, incident);
    }
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::OrderRejected {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id,
        code: error.code(),
        message: error.to_string(),
    })?;
    Ok(())
}

/// An answer lost after sending and then reconciled: incidents.md says what happened and what
/// was done (`action`), and the client hears of it as an error alert (an MCP logging
/// notification), because an order whose fate was unknown is a critical event. `what` names the
/// write, e.g. "order placement"; the order and list paths both report through here.
pub(super) fn report_lost_answer(
    toolbox: &Toolbox,
    env: Environment,
    error: &BinanceError,
    what: &str,
    action: String,
) {
    let mut alert = Alert::new(
        AlertLevel::Error,
        env,
        AlertKind::OrderAnswerLost,
        format!("{what} answer lost on {env}: {action}"),
    )
    .with_action(action.clone());
    // The incident is the record; the alert carries the same facts to the client.
    if let Some(mut incident) = crate::memory::incidents::Incident::from_error(error, "") {
        incident.action = action;
        record_incident(toolbox, incident.clone());
        alert = alert
            .with_endpoint(incident.endpoint.clone())
            .with_answer(incident.http_status, incident.code);
    }
    toolbox.client(env).alerts().raise(alert);
}

/// incidents.md is best effort here: the order's outcome is already in the store.
fn record_incident(toolbox: &Toolbox, mut incident: crate::memory::incidents::Incident) {
    incident.tool = crate::tools::scope::current_tool();
    if let Err(err) = crate::memory::incidents::Incidents::new(toolbox.memory().clone()).record(&incident) {
        tracing::warn!(error = %err, "could not write incidents.md");
    }
}

/// What a query by client id found after an unknown outcome (`exists`, `absent`, `still_unknown`).
pub(super) fn record_reconciled(
    toolbox: &Toolbox,
    env: Environment,
    client_order_id: &str,
    outcome: &str,
    order_id: Option<u64>,
    status: Option<String>,
) -> Result<(), ToolError> {
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::Reconciled {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.to_owned(),
        outcome: outcome.to_owned(),
        order_id,
        status,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_outcomes_are_classified() {
        let api = |status: u16, code: i64| BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: "POST /api/v3/order".into(),
            status,
            code,
            msg: String::new(),
            retry_after_secs: None,
        };
        assert!(is_unknown_outcome(&api(503, -1000)));
        assert!(is_unknown_outcome(&api(400, -1007)));
        assert!(is_unknown_outcome(&api(400, -1006)));
        assert!(!is_unknown_outcome(&api(400, -2010)));
        assert!(!is_unknown_outcome(&api(400, -1013)));
    }
}
