//! The human's approval of a production write (an order, a list, a cancel or amend), asked
//! through the client when it can ask (elicitation), else the confirmation argument alone.

use super::*;

impl BinanceServer {
    /// Shows the human `details` (a production order or list) in the client under
    /// `BINANCE_PRODUCTION_APPROVAL`: how it was approved, or the answer to return at once (the
    /// 2026-07-28 input request, or the refusal, audited).
    pub(super) async fn human_approval<T: ToolOutput>(
        &self,
        ctx: &RequestContext<RoleServer>,
        details: &ApprovalDetails,
        identity: &str,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Result<Approval, CallToolResponse> {
        let policy = self.toolbox.config().production_approval;
        match self
            .approvals
            .decide(ctx, policy, details, identity, request_state, input_responses)
            .await
        {
            Decision::Approved => Ok(Approval::Elicited),
            Decision::NotAsked => Ok(Approval::Argument),
            Decision::Ask(input_required) => Err(input_required.into()),
            Decision::Refused(r) => {
                self.toolbox.audit().confirmation(
                    Environment::Production,
                    &this_tool(),
                    if r.rule == "human_approval" {
                        "elicitation_refused"
                    } else {
                        "approval_unavailable"
                    },
                    &details.legs.join("; "),
                );
                Err(respond::<T>(Err(r.into())).into())
            }
        }
    }

    /// Runs a production placement once it is approved. `ask`, present when the human's yes came
    /// as the argument on production, runs the cheap local refusals and prices the money at
    /// stake first, so the human is never asked about an order the gate refuses anyway; its
    /// answer is what the human is shown and the payload identity the approval binds. `place`
    /// is the tool, told how the order was approved; until the human answers it does not run.
    pub(super) async fn place_once_approved<T: ToolOutput, Placed>(
        &self,
        ctx: &RequestContext<RoleServer>,
        env: Environment,
        ask: Option<impl Future<Output = Result<(ApprovalDetails, String), ToolError>>>,
        (request_state, input_responses): (Option<String>, Option<rmcp::model::InputResponses>),
        place: impl FnOnce(Approval) -> Placed,
    ) -> CallToolResponse
    where
        Placed: Future<Output = Result<T, ToolError>>,
    {
        let mut approval = if env == Environment::Production {
            Approval::Argument
        } else {
            Approval::NotNeeded
        };
        if let Some(ask) = ask {
            let (details, identity) = match ask.await {
                Ok(asked) => asked,
                // Through `run`, so a refusal of the gate is audited like any other.
                Err(e) => return self.run(async { Err::<T, _>(e) }).await.into(),
            };
            approval = match self
                .human_approval::<T>(ctx, &details, &identity, request_state, input_responses)
                .await
            {
                Ok(approval) => approval,
                Err(response) => return response,
            };
        }
        self.run(place(approval)).await.into()
    }

    /// Runs a production cancel or amend once it is approved (see `approve_write`): `call` is
    /// the tool, which keeps its own checks; until the human answers it does not run.
    pub(super) async fn write_once_approved<T: ToolOutput>(
        &self,
        ctx: &RequestContext<RoleServer>,
        write: ProductionWrite,
        (request_state, input_responses): (Option<String>, Option<rmcp::model::InputResponses>),
        call: impl Future<Output = Result<T, ToolError>>,
    ) -> CallToolResponse {
        match self
            .approve_write::<T>(ctx, write, request_state, input_responses)
            .await
        {
            Some(answer) => answer,
            None => self.run(call).await.into(),
        }
    }

    /// A production cancel or amend under `required` or `typed`: the human's yes in the client
    /// too (under `auto`, `confirm_production: true` stands, as these writes take risk off the
    /// book). `None` lets the call go on to the tool, which keeps its own checks; `Some` is the
    /// answer to return at once.
    async fn approve_write<T: ToolOutput>(
        &self,
        ctx: &RequestContext<RoleServer>,
        write: ProductionWrite,
        request_state: Option<String>,
        input_responses: Option<rmcp::model::InputResponses>,
    ) -> Option<CallToolResponse> {
        let env = write.target.environment(&self.toolbox);
        let policy = self.toolbox.config().production_approval;
        if !write.target.confirms_production(env) || policy == ProductionApproval::Auto {
            return None;
        }
        let details = ApprovalDetails {
            environment: env,
            action: write.action.to_owned(),
            legs: vec![write.leg],
            worst_case_notional: None,
            quote_asset: None,
            day_total_after: None,
            daily_limit: None,
            self_trade_prevention: None,
            cancel_after_seconds: None,
            typed_phrase: write.typed_phrase,
        };
        match self
            .human_approval::<T>(ctx, &details, &write.identity, request_state, input_responses)
            .await
        {
            Ok(Approval::Elicited) => {
                self.toolbox
                    .audit()
                    .confirmation(env, &this_tool(), "elicitation_accepted", &details.legs.join("; "));
                None
            }
            // `decide` refuses a client that cannot ask under `required` and `typed`; should that
            // ever change, fail closed.
            Ok(_) => Some(respond::<T>(Err(crate::approval::cannot_ask(policy).into())).into()),
            Err(answer) => Some(answer),
        }
    }
}

/// A production cancel or amend to be approved (see `BinanceServer::approve_write`).
pub(super) struct ProductionWrite {
    pub(super) target: SignedTarget,
    /// What is asked, e.g. "cancel this order".
    pub(super) action: &'static str,
    /// The one line the human reads.
    pub(super) leg: String,
    /// What the human types under `typed`, e.g. `CANCEL BTCUSDT`.
    pub(super) typed_phrase: String,
    /// The exact payload the approval is bound to.
    pub(super) identity: String,
}

/// An order as the human knows it: its Binance id or client id.
pub(super) fn order_named(order_id: Option<u64>, client_order_id: Option<&str>) -> String {
    match (order_id, client_order_id) {
        (Some(id), _) => format!("order {id}"),
        (None, Some(client_id)) => format!("order {client_id}"),
        (None, None) => "an order".to_owned(),
    }
}
