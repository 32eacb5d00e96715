//! `audit.jsonl`: every signed request (never its signature) and every confirmation.

use serde::Serialize;

use super::Memory;
use super::incidents::{Incident, Incidents};
use crate::binance::{BinanceError, RequestObserver, SignedRequestRecord};
use crate::config::Environment;

pub const AUDIT_FILE: &str = "audit.jsonl";

/// Writes audit lines. A failing write is logged, never fatal: the request already happened.
#[derive(Clone, Debug)]
pub struct Audit {
    memory: Memory,
}

#[derive(Serialize)]
struct RequestLine<'a> {
    kind: &'static str,
    at: String,
    #[serde(flatten)]
    record: &'a SignedRequestRecord,
}

/// A confirmation (or its refusal) of a signed production action.
#[derive(Clone, Debug, Serialize)]
pub struct ConfirmationLine {
    pub kind: &'static str,
    pub at: String,
    pub environment: Environment,
    pub tool: String,
    /// `argument` (confirm_production: true), `elicitation_accepted`, `elicitation_declined`, `missing` ...
    pub confirmation: String,
    /// What was being confirmed, e.g. `BUY 0.001 BTCUSDT LIMIT @ 95000`.
    pub action: String,
}

impl Audit {
    pub fn new(memory: Memory) -> Audit {
        Audit { memory }
    }

    pub fn confirmation(&self, environment: Environment, tool: &str, confirmation: &str, action: &str) {
        let line = ConfirmationLine {
            kind: "confirmation",
            at: now(),
            environment,
            tool: tool.to_owned(),
            confirmation: confirmation.to_owned(),
            action: action.to_owned(),
        };
        if let Err(e) = self.memory.append_jsonl(AUDIT_FILE, &line) {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }
}

impl RequestObserver for Audit {
    fn failure(&self, error: &BinanceError, action: &str) {
        let Some(incident) = Incident::from_error(error, action) else {
            return;
        };
        if let Err(e) = Incidents::new(self.memory.clone()).record(&incident) {
            tracing::error!(error = %e, "could not write incidents.md");
        }
    }

    fn signed_request(&self, record: &SignedRequestRecord) {
        let line = RequestLine {
            kind: "signed_request",
            at: now(),
            record,
        };
        if let Err(e) = self.memory.append_jsonl(AUDIT_FILE, &line) {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }
}

fn now() -> String {
    crate::tools::utc(crate::binance::clock::local_now_ms())
}
