//! `audit.jsonl`: every signed request (never its signature) and every confirmation.

use serde::Serialize;

use super::Memory;
use super::incidents::{Incident, Incidents};
use crate::config::Environment;
use spot_client::{BinanceError, RequestObserver, SignedRequestRecord};

pub const AUDIT_FILE: &str = "audit.jsonl";

/// Writes audit lines. A failing write is logged, never fatal: the request already happened.
#[derive(Clone, Debug)]
pub struct Audit {
    memory: Memory,
    /// Names the tool whose call is running, for the incidents a failed request files.
    tool_of_this_task: fn() -> Option<String>,
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

/// A refusal of the safety gate: what was asked, which rule said no, and why.
#[derive(Clone, Debug, Serialize)]
pub struct RefusalLine {
    pub kind: &'static str,
    pub at: String,
    pub tool: String,
    pub rule: String,
    pub reason: String,
}

/// The kill switch set or lifted, and by whom.
#[derive(Clone, Debug, Serialize)]
pub struct KillSwitchLine {
    pub kind: &'static str,
    pub at: String,
    /// `halt` or `resume`.
    pub action: String,
    /// The human's reason, or what set it (a production ban).
    pub reason: String,
}

impl Audit {
    /// An audit whose incidents name no tool (the command line's).
    pub fn new(memory: Memory) -> Audit {
        Audit {
            memory,
            tool_of_this_task: || None,
        }
    }

    /// Files each request's incident under the tool `tool_of_this_task` names.
    pub fn naming_tools_with(mut self, tool_of_this_task: fn() -> Option<String>) -> Audit {
        self.tool_of_this_task = tool_of_this_task;
        self
    }

    /// A gate refusal: nothing was sent.
    pub fn refusal(&self, tool: &str, rule: &str, reason: &str) {
        self.append(&RefusalLine {
            kind: "refusal",
            at: now(),
            tool: tool.to_owned(),
            rule: rule.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// The kill switch was set (`halt`) or lifted (`resume`).
    pub fn kill_switch(&self, action: &str, reason: &str) {
        self.append(&KillSwitchLine {
            kind: "kill_switch",
            at: now(),
            action: action.to_owned(),
            reason: reason.to_owned(),
        });
    }

    fn append<T: Serialize>(&self, line: &T) {
        if let Err(e) = self.memory.append_jsonl(AUDIT_FILE, line) {
            tracing::error!(error = %e, "could not write the audit log");
        }
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
        // A production IP ban means something is hammering the real account's API: stop
        // trading until the human has looked (seed 002), rather than resume when the ban ends.
        if let BinanceError::Api {
            environment: Environment::Production,
            status: 418,
            msg,
            ..
        } = error
            && !self.memory.is_halted()
        {
            let reason = format!(
                "production IP ban (HTTP 418: {msg}); set by binance-mcp, lift it with `binance-mcp resume` once the cause is understood"
            );
            match self.memory.halt(&reason) {
                Ok(_) => self.kill_switch("halt", &reason),
                Err(e) => tracing::error!(error = %e, "could not set the kill switch after a production ban"),
            }
        }
        let Some(mut incident) = Incident::from_error(error, action) else {
            return;
        };
        incident.tool = (self.tool_of_this_task)();
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
    spot_types::time::utc(spot_client::clock::local_now_ms())
}
