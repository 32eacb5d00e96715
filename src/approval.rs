//! Asking the human to approve a production order through the MCP client (elicitation).
//!
//! On protocol versions up to 2025-11-25 the server sends an `elicitation/create` request; on
//! 2026-07-28 it answers with an input-required result and reads the human's answer from the
//! retried call. The `requestState` it hands out is a random token keyed to server-side state
//! (the exact order), so a client cannot forge or reuse an approval for another order.
//! Decline, cancel, a malformed answer or silence all refuse.

use std::collections::HashMap;
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
use schemars::JsonSchema;
use serde::Deserialize;

use crate::guard::Refusal;

/// How long the human has to answer.
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(120);

/// The form the human fills in.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ApproveOrder {
    /// Approve exactly this order on the real-money account?
    pub approve: bool,
}
rmcp::elicit_safe!(ApproveOrder);

/// The outcome of asking.
pub enum Decision {
    /// The human approved this exact order.
    Approved,
    /// The client cannot ask the human; `confirm_production: true` stands alone.
    NotAsked,
    /// Ask on the 2026-07-28 path: return this result to the client.
    Ask(InputRequiredResult),
    Refused(Refusal),
}

/// Pending 2026-07-28 approvals: token -> (what is being approved, when asked).
#[derive(Debug, Default)]
pub struct Approvals {
    pending: Mutex<HashMap<String, (String, Instant)>>,
}

fn declined(detail: &str) -> Decision {
    Decision::Refused(Refusal {
        rule: "human_approval",
        reason: format!("the human did not approve the order in the client ({detail})"),
        what_to_do: "Do not retry on your own. Ask the human what they want to do.".into(),
    })
}

impl Approvals {
    /// Asks the human to approve `action` (a one-line description of the exact order).
    /// `identity` is the payload identity the approval is bound to.
    pub async fn decide(
        &self,
        ctx: &RequestContext<RoleServer>,
        action: &str,
        identity: &str,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Decision {
        let message = format!("Approve this PRODUCTION order on your real Binance account?\n\n{action}");
        if ctx
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        {
            return self.decide_by_round_trip(ctx, &message, identity, request_state, input_responses);
        }
        match ctx
            .peer
            .elicit_with_timeout::<ApproveOrder>(message, Some(APPROVAL_TIMEOUT))
            .await
        {
            Ok(Some(ApproveOrder { approve: true })) => Decision::Approved,
            Ok(Some(ApproveOrder { approve: false })) => declined("answered no"),
            Ok(None) | Err(ElicitationError::NoContent) => declined("no answer"),
            Err(ElicitationError::CapabilityNotSupported) => Decision::NotAsked,
            Err(ElicitationError::UserDeclined) => declined("declined"),
            Err(ElicitationError::UserCancelled) => declined("cancelled"),
            Err(e) => declined(&e.to_string()),
        }
    }

    fn decide_by_round_trip(
        &self,
        ctx: &RequestContext<RoleServer>,
        message: &str,
        identity: &str,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Decision {
        let client_can_ask = ctx.client_capabilities().is_some_and(|c| c.elicitation.is_some());
        let Some(token) = request_state else {
            if !client_can_ask {
                return Decision::NotAsked;
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
            let schema = serde_json::json!({
                "type": "object",
                "properties": {"approve": {"type": "boolean", "title": "Approve", "description": "Approve exactly this order on the real-money account?"}},
                "required": ["approve"]
            });
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
                let approved = r
                    .content
                    .as_ref()
                    .and_then(|c| c.get("approve"))
                    .and_then(|v| v.as_bool())
                    == Some(true);
                if approved {
                    Decision::Approved
                } else {
                    declined("answered no")
                }
            }
            Some(r) if r.action == ElicitationAction::Decline => declined("declined"),
            Some(_) => declined("cancelled"),
            None => declined("no answer"),
        }
    }
}
