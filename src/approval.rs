//! Asking the human to approve a production write through the MCP client (elicitation), under
//! the policy `BINANCE_PRODUCTION_APPROVAL` (`auto`, `required`, `typed`).
//!
//! On protocol versions up to 2025-11-25 the server sends an `elicitation/create` request; on
//! 2026-07-28 it answers with an input-required result and reads the human's answer from the
//! retried call. The `requestState` it hands out is a random token keyed to server-side state
//! (the exact payload's identity), removed when the answer arrives, so a client cannot forge an
//! approval, reuse it, or spend it on another order. Decline, cancel, a malformed answer, a
//! mistyped confirmation or silence all refuse.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;
use rmcp::RoleServer;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, InputRequest, InputRequests,
    InputRequiredResult, ProtocolVersion,
};
use rmcp::service::{ElicitationError, RequestContext};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::{Environment, ProductionApproval};
use crate::guard::Refusal;

/// How long the human has to answer.
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(120);

/// The yes/no form the human fills in (`auto`, `required`).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveOrder {
    /// Approve exactly this on the real-money account?
    pub approve: bool,
}
rmcp::elicit_safe!(ApproveOrder);

/// The typed form (`typed`): the human types the action's side (or verb) and symbol.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TypeToApprove {
    /// Type the side and symbol shown in the message (e.g. BUY BTCUSDT) to approve; anything else refuses.
    pub confirmation: String,
}
rmcp::elicit_safe!(TypeToApprove);

/// Everything the human is shown about one production write.
#[derive(Clone, Debug, PartialEq)]
pub struct ApprovalDetails {
    pub environment: Environment,
    /// What is asked, e.g. "place this order", "cancel this order".
    pub action: String,
    /// One line per order (leg) the write touches.
    pub legs: Vec<String>,
    /// The most quote asset the write can commit (decimal), in `quote_asset`.
    pub worst_case_notional: Option<Decimal>,
    pub quote_asset: Option<String>,
    /// The environment's notional today in `quote_asset` once this write is counted.
    pub day_total_after: Option<Decimal>,
    /// The human's daily limit in `quote_asset`; `None` with a day total: not limited.
    pub daily_limit: Option<Decimal>,
    /// Binance's `selfTradePreventionMode` when given (e.g. `EXPIRE_MAKER`).
    pub self_trade_prevention: Option<String>,
    /// The server cancels the order this many seconds after it rests on the book.
    pub cancel_after_seconds: Option<u32>,
    /// What the human types under `typed`: the side (or verb) and symbol, e.g. `BUY BTCUSDT`.
    pub typed_phrase: String,
}

impl ApprovalDetails {
    /// The text shown to the human: the environment, every leg, the money at stake and any
    /// self-trade prevention or timed cancel. What is unknown is left out, never guessed.
    pub fn message(&self) -> String {
        let mut m = String::new();
        let env = self.environment.as_str().to_uppercase();
        let account = if self.environment == Environment::Production {
            "your real Binance account, real money"
        } else {
            "fake funds"
        };
        let _ = writeln!(m, "Approve on {env} ({account}): {}?", self.action);
        let _ = writeln!(m);
        for leg in &self.legs {
            let _ = writeln!(m, "  - {leg}");
        }
        let quote = self.quote_asset.as_deref().map(|q| format!(" {q}")).unwrap_or_default();
        if let Some(n) = self.worst_case_notional {
            let _ = writeln!(m, "Worst case: up to {}{quote} committed", n.normalize());
        }
        if let Some(total) = self.day_total_after {
            let limit = match self.daily_limit {
                Some(l) => format!("daily limit {}{quote}", l.normalize()),
                None => "daily total not limited".to_owned(),
            };
            let _ = writeln!(
                m,
                "Today's {} total after this: {}{quote} ({limit})",
                self.environment,
                total.normalize()
            );
        } else if self.daily_limit.is_none() && self.worst_case_notional.is_some() {
            let _ = writeln!(m, "Daily total: not limited");
        }
        if let Some(stp) = &self.self_trade_prevention {
            let _ = writeln!(m, "Self-trade prevention: {stp}");
        }
        if let Some(secs) = self.cancel_after_seconds {
            let _ = writeln!(m, "Cancelled automatically {secs} s after it rests on the book");
        }
        m.trim_end().to_owned()
    }

    /// The message with the instruction of the policy's form.
    pub fn prompt(&self, policy: ProductionApproval) -> String {
        match policy {
            ProductionApproval::Typed => format!(
                "{}\n\nTo approve, type exactly: {}\nAnything else refuses.",
                self.message(),
                self.typed_phrase
            ),
            ProductionApproval::Auto | ProductionApproval::Required => self.message(),
        }
    }
}

/// Whether what the human typed is `expected` (the side and symbol): case and spacing aside.
pub fn typed_matches(expected: &str, typed: &str) -> bool {
    let words = |s: &str| s.split_whitespace().map(str::to_ascii_uppercase).collect::<Vec<_>>();
    let expected = words(expected);
    !expected.is_empty() && expected == words(typed)
}

/// The outcome of asking.
pub enum Decision {
    /// The human approved this exact write.
    Approved,
    /// The client cannot ask the human and the policy is `auto`: `confirm_production: true` stands alone.
    NotAsked,
    /// Ask on the 2026-07-28 path: return this result to the client.
    Ask(InputRequiredResult),
    Refused(Refusal),
}

/// Pending 2026-07-28 approvals: token -> (identity of what is being approved, when asked).
#[derive(Debug, Default)]
pub struct Approvals {
    pending: Mutex<HashMap<String, (String, Instant)>>,
}

fn declined(detail: &str) -> Decision {
    Decision::Refused(Refusal {
        rule: "human_approval",
        reason: format!("the human did not approve it in the client ({detail})"),
        what_to_do: "Do not retry on your own. Ask the human what they want to do.".into(),
    })
}

/// The refusal when the policy needs the human and the client cannot ask them.
pub fn cannot_ask(policy: ProductionApproval) -> Refusal {
    Refusal {
        rule: "human_approval_unavailable",
        reason: format!(
            "BINANCE_PRODUCTION_APPROVAL={} needs the human's approval of every production write, \
             and this client cannot ask them (it does not support MCP elicitation)",
            policy.as_str()
        ),
        what_to_do: "Do not retry, and do not look for another way to send it. Tell the human: \
                     they can approve it from an MCP client that supports elicitation, run the same \
                     call themselves in a terminal with `binance-mcp call` (it asks there), or do it \
                     in Binance directly. Only the human can change BINANCE_PRODUCTION_APPROVAL."
            .into(),
    }
}

fn typed_form_answer(details: &ApprovalDetails, typed: &str) -> Decision {
    if typed_matches(&details.typed_phrase, typed) {
        Decision::Approved
    } else {
        declined(&format!(
            "typed {:?}, which is not {:?}",
            typed.trim(),
            details.typed_phrase
        ))
    }
}

impl Approvals {
    /// Asks the human to approve `details` under `policy`. `identity` is the payload identity
    /// the approval is bound to.
    pub async fn decide(
        &self,
        ctx: &RequestContext<RoleServer>,
        policy: ProductionApproval,
        details: &ApprovalDetails,
        identity: &str,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Decision {
        let message = details.prompt(policy);
        if ctx
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        {
            return self.decide_by_round_trip(ctx, policy, details, &message, identity, request_state, input_responses);
        }
        let not_asked = || match policy {
            ProductionApproval::Auto => Decision::NotAsked,
            ProductionApproval::Required | ProductionApproval::Typed => Decision::Refused(cannot_ask(policy)),
        };
        if policy == ProductionApproval::Typed {
            return match ctx
                .peer
                .elicit_with_timeout::<TypeToApprove>(message, Some(APPROVAL_TIMEOUT))
                .await
            {
                Ok(Some(TypeToApprove { confirmation })) => typed_form_answer(details, &confirmation),
                Err(ElicitationError::CapabilityNotSupported) => not_asked(),
                Err(e) => elicitation_failed(e),
                Ok(None) => declined("no answer"),
            };
        }
        match ctx
            .peer
            .elicit_with_timeout::<ApproveOrder>(message, Some(APPROVAL_TIMEOUT))
            .await
        {
            Ok(Some(ApproveOrder { approve: true })) => Decision::Approved,
            Ok(Some(ApproveOrder { approve: false })) => declined("answered no"),
            Ok(None) => declined("no answer"),
            Err(ElicitationError::CapabilityNotSupported) => not_asked(),
            Err(e) => elicitation_failed(e),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn decide_by_round_trip(
        &self,
        ctx: &RequestContext<RoleServer>,
        policy: ProductionApproval,
        details: &ApprovalDetails,
        message: &str,
        identity: &str,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Decision {
        let client_can_ask = ctx.client_capabilities().is_some_and(|c| c.elicitation.is_some());
        let Some(token) = request_state else {
            if !client_can_ask {
                return match policy {
                    ProductionApproval::Auto => Decision::NotAsked,
                    ProductionApproval::Required | ProductionApproval::Typed => Decision::Refused(cannot_ask(policy)),
                };
            }
            let token: String = rand::rng()
                .sample_iter(&Alphanumeric)
                .take(32)
                .map(char::from)
                .collect();
            if let Ok(mut pending) = self.pending.lock() {
                pending.retain(|_, (_, at)| at.elapsed() < APPROVAL_TIMEOUT);
                pending.insert(token.clone(), (identity.to_owned(), Instant::now()));
            }
            let schema = match policy {
                ProductionApproval::Typed => serde_json::json!({
                    "type": "object",
                    "properties": {"confirmation": {"type": "string", "title": "Type to approve", "description": format!("Type {} to approve; anything else refuses.", details.typed_phrase)}},
                    "required": ["confirmation"]
                }),
                ProductionApproval::Auto | ProductionApproval::Required => serde_json::json!({
                    "type": "object",
                    "properties": {"approve": {"type": "boolean", "title": "Approve", "description": "Approve exactly this on the real-money account?"}},
                    "required": ["approve"]
                }),
            };
            let Ok(requested_schema) = serde_json::from_value(schema) else {
                return declined("could not build the approval form");
            };
            let mut requests = InputRequests::new();
            requests.insert(
                "approve_order".to_owned(),
                InputRequest::Elicitation(ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message: message.to_owned(),
                    requested_schema,
                })),
            );
            return Decision::Ask(InputRequiredResult::new(Some(requests), Some(token)));
        };
        let entry = self.pending.lock().ok().and_then(|mut p| p.remove(&token));
        match entry {
            Some((approved_identity, at)) if approved_identity == identity && at.elapsed() < APPROVAL_TIMEOUT => {}
            Some(_) => return declined("the answer was for another order or came too late"),
            None => return declined("unknown or reused approval state"),
        }
        let answer = input_responses
            .as_ref()
            .and_then(|r| r.get("approve_order"))
            .and_then(|v| ElicitResult::deserialize(v).ok());
        match answer {
            Some(r) if r.action == ElicitationAction::Accept => {
                let field = |name: &str| r.content.as_ref().and_then(|c| c.get(name)).cloned();
                match policy {
                    ProductionApproval::Typed => match field("confirmation") {
                        Some(serde_json::Value::String(typed)) => typed_form_answer(details, &typed),
                        _ => declined("no confirmation typed"),
                    },
                    ProductionApproval::Auto | ProductionApproval::Required => {
                        if field("approve").and_then(|v| v.as_bool()) == Some(true) {
                            Decision::Approved
                        } else {
                            declined("answered no")
                        }
                    }
                }
            }
            Some(r) if r.action == ElicitationAction::Decline => declined("declined"),
            Some(_) => declined("cancelled"),
            None => declined("no answer"),
        }
    }
}

/// Any other failure of the elicitation request refuses, naming what happened.
fn elicitation_failed(e: ElicitationError) -> Decision {
    match e {
        ElicitationError::NoContent => declined("no answer"),
        ElicitationError::UserDeclined => declined("declined"),
        ElicitationError::UserCancelled => declined("cancelled"),
        other => declined(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> ApprovalDetails {
        ApprovalDetails {
            environment: Environment::Production,
            action: "place this order".into(),
            legs: vec!["BUY 0.001 BTCUSDT LIMIT GTC @ 50000".into()],
            worst_case_notional: None,
            quote_asset: None,
            day_total_after: None,
            daily_limit: None,
            self_trade_prevention: None,
            cancel_after_seconds: None,
            typed_phrase: "BUY BTCUSDT".into(),
        }
    }

    #[test]
    fn typed_confirmation_is_side_and_symbol_case_insensitively() {
        let cases = [
            ("BUY BTCUSDT", true),
            ("buy btcusdt", true),
            ("  Buy   BTCusdt ", true),
            ("SELL BTCUSDT", false),
            ("BUY ETHUSDT", false),
            ("BUY", false),
            ("BTCUSDT BUY", false),
            ("BUY BTCUSDT now", false),
            ("BUYBTCUSDT", false),
            ("yes", false),
            ("", false),
        ];
        for (typed, ok) in cases {
            assert_eq!(typed_matches("BUY BTCUSDT", typed), ok, "{typed:?}");
        }
        assert!(!typed_matches("", ""), "an empty phrase approves nothing");
        assert!(matches!(
            typed_form_answer(&details(), "buy btcusdt"),
            Decision::Approved
        ));
        let Decision::Refused(r) = typed_form_answer(&details(), "SELL BTCUSDT") else {
            panic!("a wrong side must refuse")
        };
        assert_eq!(r.rule, "human_approval");
        assert!(r.reason.contains("SELL BTCUSDT"), "{}", r.reason);
    }

    #[test]
    fn the_message_shows_what_is_known_and_omits_the_rest() {
        let bare = details().message();
        assert!(bare.contains("PRODUCTION") && bare.contains("real money"), "{bare}");
        assert!(bare.contains("place this order"), "{bare}");
        assert!(bare.contains("BUY 0.001 BTCUSDT LIMIT GTC @ 50000"), "{bare}");
        for absent in ["Worst case", "total", "Self-trade", "Cancelled automatically"] {
            assert!(!bare.contains(absent), "{absent} in {bare}");
        }

        let mut full = details();
        full.legs.push("SELL 0.001 BTCUSDT LIMIT_MAKER @ 60000".into());
        full.worst_case_notional = Some(Decimal::new(5000, 2));
        full.quote_asset = Some("USDT".into());
        full.day_total_after = Some(Decimal::new(120, 0));
        full.daily_limit = Some(Decimal::new(500, 0));
        full.self_trade_prevention = Some("EXPIRE_MAKER".into());
        full.cancel_after_seconds = Some(300);
        let text = full.message();
        for needle in [
            "  - BUY 0.001 BTCUSDT LIMIT GTC @ 50000\n  - SELL 0.001 BTCUSDT LIMIT_MAKER @ 60000",
            "Worst case: up to 50 USDT",
            "Today's production total after this: 120 USDT (daily limit 500 USDT)",
            "Self-trade prevention: EXPIRE_MAKER",
            "Cancelled automatically 300 s after it rests on the book",
        ] {
            assert!(text.contains(needle), "{needle:?} not in:\n{text}");
        }
        full.daily_limit = None;
        assert!(full.message().contains("(daily total not limited)"));
        full.day_total_after = None;
        assert!(full.message().contains("Daily total: not limited"));

        let typed = details().prompt(ProductionApproval::Typed);
        assert!(
            typed.ends_with("To approve, type exactly: BUY BTCUSDT\nAnything else refuses."),
            "{typed}"
        );
        assert_eq!(details().prompt(ProductionApproval::Required), details().message());
    }

    #[test]
    fn required_and_typed_refuse_without_a_way_to_ask() {
        for policy in [ProductionApproval::Required, ProductionApproval::Typed] {
            let r = cannot_ask(policy);
            assert_eq!(r.rule, "human_approval_unavailable");
            assert!(r.reason.contains(policy.as_str()) && r.reason.contains("elicitation"));
            assert!(r.what_to_do.contains("binance-mcp call"));
        }
    }
}
