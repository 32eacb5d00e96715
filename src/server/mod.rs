//! The MCP edge: the rmcp `ServerHandler`, one thin wrapper per tool, and tool-list filtering.
//!
//! Every wrapper parses typed arguments, calls the tool function in `tools/`, and turns its
//! output into structured content plus a text block (a summary line, then the same JSON) so
//! that clients which ignore `structuredContent` still give the agent the data.
//!
//! This file holds the server, its tool registry and the one epilogue every tool runs; the
//! toolsets' wrappers, the `ServerHandler`, alert delivery and the human's approvals have a
//! file each.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::{InputResponses, RequestState, ToolCallContext};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult, CompletionInfo,
    ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse, Reference, ServerCapabilities, ServerConfig,
};
#[allow(deprecated)] // MCP logging (SEP-2577)
use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, SetLevelRequestParams};
use rmcp::service::NotificationContext;
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer, ServerHandler, prompt_handler, tool, tool_handler, tool_router};

use crate::approval::{ApprovalDetails, Approvals, Decision};
use crate::config::{Config, Environment, ProductionApproval};
use crate::guard;
use crate::resources;
use crate::tools::account::*;
use crate::tools::market::*;
use crate::tools::market_stream::*;
use crate::tools::memory::*;
use crate::tools::order::*;
use crate::tools::schema::{compact_input, make_portable, open_output};
use crate::tools::scope::in_tool;
use crate::tools::status::*;
use crate::tools::target::SignedTarget;
use crate::tools::{ToolError, ToolOutput, Toolbox};
use spot_client::{Alert, AlertLevel};

mod account_tools;
mod alerts;
mod approval;
mod handler;
mod market_tools;
mod order_tools;

use alerts::WARNING_RANK;

/// What every agent is told on connect: the rules the server enforces, in a few lines.
pub const INSTRUCTIONS: &str = "Binance Spot through a safety gate. Market tools (market_*) read public data, production by default; every result names the environment that answered. \
Signed calls default to testnet. Production signed calls are refused unless the human confirmed in the conversation and you pass confirm_production: true. \
Before a real order: check filters (order_validate), run order_test with the identical payload, then place, then reconcile with order_status; a placement response is provisional. \
On rate-limit or timestamp errors, back off as the error says; never retry an order blindly. server_status shows the configuration.";

/// The tool whose call is running, for audit lines.
fn this_tool() -> String {
    crate::tools::scope::current_tool().unwrap_or_else(|| "(none)".to_owned())
}

/// The tool group (`BINANCE_TOOLSETS`) a tool is declared in, if the server has that tool.
pub fn tool_group(name: &str) -> Option<&'static str> {
    BinanceServer::toolsets()
        .into_iter()
        .find(|(_, router)| router.has_route(name))
        .map(|(group, _)| group)
}

/// The MCP server.
#[derive(Clone)]
pub struct BinanceServer {
    toolbox: Arc<Toolbox>,
    approvals: Arc<Approvals>,
    /// The client, once initialized: for resource-change notifications.
    peer: Arc<OnceLock<Peer<RoleServer>>>,
    /// Minimum level of alerts sent as logging notifications (`logging/setLevel`; warning until set).
    log_level: Arc<AtomicU8>,
    /// The alerts (`Alert::seq`) 2026-07-28 requests have carried to the client, so each
    /// reaches it once; only the latest are kept, as only the latest can come again.
    delivered_alerts: Arc<Mutex<BTreeSet<u64>>>,
    /// The registered tools, built on first use (`tools()`): their schemas are generated then,
    /// after the handshake is answered.
    tool_router: Arc<OnceLock<ToolRouter<Self>>>,
    prompt_router: PromptRouter<Self>,
}

/// Drops hints that say what the MCP defaults already say, to keep the tool list small:
/// `openWorldHint: true` and `idempotentHint: false` are the defaults, and a read-only tool's
/// destructive and idempotent hints mean nothing (the spec reads them only when
/// `readOnlyHint` is false).
fn omit_default_hints(annotations: &mut rmcp::model::ToolAnnotations) {
    if annotations.open_world_hint == Some(true) {
        annotations.open_world_hint = None;
    }
    if annotations.idempotent_hint == Some(false) {
        annotations.idempotent_hint = None;
    }
    if annotations.read_only_hint == Some(true) {
        annotations.destructive_hint = None;
        annotations.idempotent_hint = None;
    }
}

fn respond<T: ToolOutput>(result: Result<T, ToolError>) -> CallToolResult {
    match result {
        Ok(output) => match serde_json::to_value(&output) {
            Ok(value) => {
                let text = format!("{}\n{}", output.summary(), value);
                let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
                result.structured_content = Some(value);
                result
            }
            Err(e) => CallToolResult::error(vec![ContentBlock::text(
                ToolError::internal(format!("could not encode the result: {e}")).to_agent_text(),
            )]),
        },
        Err(error) => {
            tracing::info!(%error, "tool call failed");
            CallToolResult::error(vec![ContentBlock::text(error.to_agent_text())])
        }
    }
}

impl BinanceServer {
    pub fn new(config: Config) -> BinanceServer {
        let toolbox = Toolbox::new(config);
        BinanceServer {
            toolbox,
            approvals: Arc::new(Approvals::default()),
            peer: Arc::default(),
            log_level: Arc::new(AtomicU8::new(WARNING_RANK)),
            delivered_alerts: Arc::default(),
            tool_router: Arc::default(),
            prompt_router: Self::prompt_router(),
        }
    }

    pub fn toolbox(&self) -> &Arc<Toolbox> {
        &self.toolbox
    }

    /// Every toolset (`BINANCE_TOOLSETS` group) with its tools, as declared above.
    fn toolsets() -> [(&'static str, ToolRouter<Self>); 6] {
        [
            ("market", Self::market_tools()),
            ("test_order", Self::test_order_tools()),
            ("order", Self::order_tools()),
            ("account", Self::account_tools()),
            ("memory", Self::memory_tools()),
            ("diagnostics", Self::diagnostics_tools()),
        ]
    }

    /// The tools this configuration registers, built on first use.
    fn tools(&self) -> &ToolRouter<Self> {
        self.tool_router
            .get_or_init(|| Self::registered_tools(self.toolbox.config()))
    }

    /// An unknown argument's error lists the arguments the tool takes. serde names them itself
    /// only for structs without flattened parts, and the signed tools flatten [`SignedTarget`].
    /// Runs in the call's tool scope, so the name is read only when there is an error to name.
    fn naming_accepted_arguments(&self, mut response: CallToolResponse) -> CallToolResponse {
        let CallToolResponse::Complete(result) = &mut response else {
            return response;
        };
        let Some(ContentBlock::Text(text)) = result.content.first_mut() else {
            return response;
        };
        let unnamed_unknown_field = result.is_error == Some(true)
            && text.text.starts_with("failed to deserialize parameters:")
            && text.text.contains("unknown field")
            && !text.text.contains("expected");
        if unnamed_unknown_field
            && let tool = this_tool()
            && let Some(properties) = self
                .tools()
                .get(&tool)
                .and_then(|t| t.input_schema.get("properties"))
                .and_then(|p| p.as_object())
        {
            let accepted: Vec<&str> = properties.keys().map(String::as_str).collect();
            text.text = format!("{}; {tool} takes: {}", text.text, accepted.join(", "));
        }
        response
    }

    /// Every tool's epilogue: a refusal of the gate is audited under the tool's name, and a
    /// client is told when the memory files changed. (`call_tool` is the prologue.)
    async fn run<T: ToolOutput>(&self, call: impl Future<Output = Result<T, ToolError>>) -> CallToolResult {
        let before = self.toolbox.memory().generation();
        let result = call.await;
        if let Err(ToolError::Refused(refusal)) = &result {
            self.toolbox
                .audit()
                .refusal(&this_tool(), refusal.rule, &refusal.reason);
        }
        if self.toolbox.memory().generation() != before
            && let Some(peer) = self.peer.get().cloned()
        {
            // Best effort, off the request path: a slow or gone client must not delay the answer.
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(2), peer.notify_resource_list_changed()).await;
            });
        }
        respond(result)
    }

    /// Every tool, with portable schemas, less the groups not in `BINANCE_TOOLSETS` and, in
    /// read-only mode, every tool whose `readOnlyHint` is not true (the annotation is the single
    /// source of truth).
    fn registered_tools(config: &Config) -> ToolRouter<Self> {
        let mut router = ToolRouter::new();
        for (group, tools) in Self::toolsets() {
            if config.toolset_enabled(group) {
                router += tools;
            }
        }
        let output = Arc::new(open_output());
        let mut remove = Vec::new();
        for (name, route) in router.map.iter_mut() {
            let read_only = route.attr.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
            if config.read_only && !read_only {
                remove.push(name.to_string());
                continue;
            }
            let mut input = route.attr.input_schema.as_ref().clone();
            make_portable(&mut input);
            compact_input(&mut input);
            route.attr.input_schema = Arc::new(input);
            if let Some(annotations) = route.attr.annotations.as_mut() {
                omit_default_hints(annotations);
            }
            // Every tool answers with structuredContent, an object (see `open_output`).
            route.attr.output_schema = Some(output.clone());
        }
        for name in remove {
            router.remove_route(&name);
        }
        router
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::schema::is_portable;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(move |n| map.get(n).cloned()).expect("config")
    }

    #[test]
    fn every_schema_is_portable_and_annotated() {
        let server = BinanceServer::new(config(&[("BINANCE_HOME", "/nonexistent")]));
        let tools = server.tools().list_all();
        assert!(tools.len() >= 10);
        for tool in tools {
            let input = serde_json::Value::Object(tool.input_schema.as_ref().clone());
            assert!(is_portable(&input), "{}: {input}", tool.name);
            assert_eq!(input["type"], "object", "{}", tool.name);
            if let Some(output) = &tool.output_schema {
                assert!(
                    is_portable(&serde_json::Value::Object(output.as_ref().clone())),
                    "{}",
                    tool.name
                );
            }
            assert!(tool.annotations.is_some(), "{} has no annotations", tool.name);
            assert!(tool.title.is_some(), "{} has no title", tool.name);
        }
    }

    #[test]
    fn toolsets_select_groups() {
        let server = BinanceServer::new(config(&[("BINANCE_TOOLSETS", "diagnostics")]));
        let names: Vec<String> = server
            .tools()
            .list_all()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        assert_eq!(names, vec!["server_status"]);
    }

    #[test]
    fn groups_follow_tool_names() {
        assert_eq!(tool_group("market_klines"), Some("market"));
        assert_eq!(tool_group("order_validate"), Some("test_order"));
        assert_eq!(tool_group("order_place"), Some("order"));
        assert_eq!(tool_group("account_balances"), Some("account"));
        assert_eq!(tool_group("snapshot_list"), Some("memory"));
        assert_eq!(tool_group("server_status"), Some("diagnostics"));
        assert_eq!(tool_group("order_sor"), None);
        let declared: Vec<&str> = BinanceServer::toolsets().iter().map(|(group, _)| *group).collect();
        assert_eq!(
            declared,
            crate::config::TOOLSETS,
            "BINANCE_TOOLSETS accepts exactly the declared groups"
        );
    }
}
