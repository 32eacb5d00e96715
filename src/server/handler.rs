//! The rmcp `ServerHandler`: capabilities, the one prologue every tool call runs (`call_tool`),
//! logging level, resources, prompts and completions.

use super::alerts::{level_rank, request_log_level};
use super::*;

#[tool_handler(router = self.tools())]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for BinanceServer {
    /// 2026-07-28 sessions hear of resource-list changes through `subscriptions/listen` (the
    /// resources advertise `listChanged`); nothing else changes while the server runs.
    fn accepted_subscription_filter(
        &self,
        _requested: &rmcp::model::SubscriptionFilter,
    ) -> Option<rmcp::model::SubscriptionFilter> {
        Some(
            rmcp::model::SubscriptionFilter::builder()
                .resources_list_changed()
                .build(),
        )
    }

    async fn listen(&self, context: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.toolbox.memory().changes();
        loop {
            tokio::select! {
                () = context.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    if context.accepted().resources_list_changed == Some(true)
                        && let Err(e) = context.sink().notify_resource_list_changed().await
                    {
                        tracing::debug!(error = %e, "resource list subscription closed");
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if self.peer.set(context.peer.clone()).is_ok() {
            self.forward_alerts(context.peer);
        }
    }

    /// Every tool call, through the router. A 2026-07-28 request that asked for log messages
    /// in its `_meta` hears of the alerts (see `with_request_alerts`); earlier revisions get
    /// them from the session's forwarder (`logging/setLevel`).
    #[allow(deprecated)] // MCP logging (SEP-2577)
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let asked = request_log_level(&context);
        let peer = context.peer.clone();
        // Every tool runs in its name's scope: incidents and audit lines filed during the call
        // name it, without each tool repeating its own name.
        let tool = request.name.to_string();
        let call = in_tool(tool, async {
            let answer = self.tools().call(ToolCallContext::new(self, request, context)).await;
            answer.map(|response| self.naming_accepted_arguments(response))
        });
        match asked {
            Some(minimum) => self.with_request_alerts(minimum, &peer, call).await,
            None => call.await,
        }
    }

    #[allow(deprecated)] // MCP logging (SEP-2577)
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.store(level_rank(request.level), Ordering::Relaxed);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list(&self.toolbox)))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        resources::read(&self.toolbox, &request.uri).map(Into::into)
    }

    /// Autocomplete for prompt arguments that name a symbol or an environment (see
    /// `tools::complete`); other arguments get no values.
    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        if let Reference::Prompt(prompt) = &request.r#ref
            && !self.prompt_router.has_route(&prompt.name)
        {
            return Err(ErrorData::invalid_params(
                format!("no prompt named {:?}", prompt.name),
                None,
            ));
        }
        let given = request.context.and_then(|c| c.arguments).unwrap_or_default();
        let found =
            crate::tools::complete::complete(&self.toolbox, &request.argument.name, &request.argument.value, &given)
                .await;
        let has_more = found.has_more();
        let total = u32::try_from(found.total).unwrap_or(u32::MAX);
        CompletionInfo::with_pagination(found.values, Some(total), has_more)
            .map(CompleteResult::new)
            .map_err(|e| ErrorData::internal_error(e, None))
    }

    /// Every capability the server has: a client asks only for what is announced here (this
    /// is also the `server/discover` answer).
    #[allow(deprecated)] // enable_logging: MCP logging (SEP-2577)
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .enable_resources_list_changed()
                .enable_logging()
                .enable_completions()
                .build(),
        )
        .with_server_info(
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
                .with_title("Binance Spot (safety-gated)"),
        )
        .with_instructions(crate::tools::status::instructions(self.toolbox.config(), INSTRUCTIONS))
    }
}
