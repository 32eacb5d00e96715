//! `binance-mcp call TOOL [JSON]`: one tool call through an in-process MCP client and server,
//! with production writes approved by the human on the terminal.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult, ElicitationAction,
    ElicitationCapability, ErrorData, FormElicitationCapability, Implementation,
};
use rmcp::service::{RequestContext, RoleClient};
use rmcp::{ClientHandler, ServiceExt};

use super::serve::Playground;
use crate::config::{Config, Environment, ProductionApproval};
use crate::server::BinanceServer;

/// The tools that write to an exchange (place, cancel, amend). `order_list_place` with
/// `test_only: true` places nothing.
const WRITE_TOOLS: [&str; 6] = [
    "order_place",
    "order_list_place",
    "order_cancel",
    "order_cancel_all",
    "order_amend",
    "order_list_cancel",
];

/// Whether `tool` with `arguments` writes to production, `default_env` being where signed calls
/// go when no environment is given.
fn is_production_write(
    tool: &str,
    arguments: &serde_json::Map<String, serde_json::Value>,
    default_env: Environment,
) -> bool {
    if !WRITE_TOOLS.contains(&tool) {
        return false;
    }
    if tool == "order_list_place" && arguments.get("test_only").and_then(|v| v.as_bool()) == Some(true) {
        return false;
    }
    match arguments.get("environment").and_then(|v| v.as_str()) {
        Some(env) => env.eq_ignore_ascii_case("production"),
        None => default_env == Environment::Production,
    }
}

/// The MCP client of `binance-mcp call` when a human sits at the terminal: it answers the
/// server's approval forms by asking on stderr and reading stdin, so a production write is
/// approved by the human, never by the command line alone.
struct TerminalApprover;

impl ClientHandler for TerminalApprover {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        let typed = requested_schema.properties.contains_key("confirmation");
        let question = if typed { "> " } else { "Approve? [y/N] " };
        let answer = tokio::task::spawn_blocking(move || {
            let mut err = std::io::stderr();
            let _ = write!(err, "\n{message}\n{question}");
            let _ = err.flush();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await;
        let Ok(Ok(line)) = answer else {
            return Ok(ElicitResult::new(ElicitationAction::Cancel));
        };
        let content = if typed {
            serde_json::json!({"confirmation": line.trim()})
        } else {
            let yes = matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
            serde_json::json!({"approve": yes})
        };
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(content))
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
        ClientConfig::new(
            capabilities,
            Implementation::new("binance-mcp-call", env!("CARGO_PKG_VERSION")),
        )
    }
}

/// `binance-mcp call TOOL [JSON]`: one tool call through an in-process MCP client and server,
/// the same code path an MCP client takes. Prints the structured result on stdout, and nothing
/// else there: questions and errors go to stderr.
///
/// A production write is asked on the terminal (the policy is at least `required`, so cancels
/// and amends too); without a terminal on stdin it is refused before anything is sent.
pub async fn call(mut config: Config, with_emulator: bool, tool: &str, arguments: &str) -> ExitCode {
    let arguments = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => {
            eprintln!("binance-mcp call: arguments must be a JSON object, e.g. '{{\"symbols\":[\"BTCUSDT\"]}}'");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("binance-mcp call: arguments are not valid JSON ({e}); example: '{{\"symbols\":[\"BTCUSDT\"]}}'");
            return ExitCode::from(2);
        }
    };
    let default_env = crate::tools::Toolbox::new(config.clone()).signed_env(None);
    let production_write = is_production_write(tool, &arguments, default_env);
    let at_terminal = std::io::stdin().is_terminal();
    if production_write && !at_terminal {
        eprintln!(
            "binance-mcp call: {tool} on production is a real-money write and needs the human's approval on this terminal, \
             but stdin is not a terminal; nothing was sent. Run the command yourself in an interactive terminal \
             (it shows the order and asks), or use an MCP client that can ask you (elicitation)."
        );
        return ExitCode::FAILURE;
    }
    if config.production_approval == ProductionApproval::Auto {
        // The terminal can always ask: every production write is asked, as under `required`.
        config.production_approval = ProductionApproval::Required;
    }
    let playground = if with_emulator {
        match Playground::start(&mut config, 42).await {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("binance-mcp call: cannot start the embedded emulator: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let code = call_in_process(config, tool, arguments, at_terminal).await;
    if let Some(p) = playground {
        p.stop().await;
    }
    code
}

/// One tool call through an in-process MCP session whose client is `handler`; None when the
/// session itself failed (said on stderr).
async fn call_as<H: ClientHandler>(
    handler: H,
    io: tokio::io::DuplexStream,
    params: CallToolRequestParams,
) -> Option<Result<rmcp::model::CallToolResult, rmcp::ServiceError>> {
    match handler.serve(io).await {
        Ok(client) => {
            let result = client.call_tool(params).await;
            let _ = client.cancel().await;
            Some(result)
        }
        Err(e) => {
            eprintln!("binance-mcp call: internal MCP session failed: {e}");
            None
        }
    }
}

async fn call_in_process(
    config: Config,
    tool: &str,
    arguments: serde_json::Map<String, serde_json::Value>,
    at_terminal: bool,
) -> ExitCode {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    let server = BinanceServer::new(config);
    let server_task = tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    // Only a human at a terminal can answer the approval forms; otherwise the client cannot ask.
    let result = if at_terminal {
        call_as(TerminalApprover, client_io, params).await
    } else {
        call_as((), client_io, params).await
    };
    let Some(result) = result else {
        return ExitCode::FAILURE;
    };
    let code = match result {
        Ok(result) => {
            let is_error = result.is_error == Some(true);
            let text: Vec<String> = result
                .content
                .iter()
                .filter_map(|c| c.as_text().map(|t| t.text.clone()))
                .collect();
            if is_error {
                eprintln!("{}", text.join("\n"));
                ExitCode::FAILURE
            } else {
                let shown = match &result.structured_content {
                    Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
                    None => text.join("\n"),
                };
                println!("{shown}");
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("binance-mcp call: {e} (the tool names are in README.md and SKILL.md)");
            ExitCode::FAILURE
        }
    };
    server_task.abort();
    code
}
