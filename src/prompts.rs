//! MCP prompts for the workflows people run: one safe order end to end, an incident review, and
//! a market brief. Prompts only instruct or summarise; every action still goes through the tools
//! and the safety gate.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{GetPromptResult, PromptMessage, Role};
use rmcp::{ErrorData, prompt, prompt_router};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::config::Environment;
use crate::server::BinanceServer;
use crate::tools::ToolOutput;
use crate::tools::market::{self, AvgPriceArgs, ExchangeInfoArgs, SymbolsArgs, Ticker24hArgs};
use crate::tools::memory::{MemoryFile, MemoryReadArgs, memory_read};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SafeOrderArgs {
    /// The order in the user's words, e.g. "buy 0.001 BTC at 90000 on testnet".
    pub order: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviewIncidentsArgs {
    /// Lines from the end of incidents.md to review (default 200).
    #[serde(default)]
    pub lines: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct MarketBriefArgs {
    /// e.g. BTCUSDT
    pub symbol: String,
    /// production (default), testnet or demo
    #[serde(default)]
    pub environment: Option<String>,
}

const SAFE_ORDER_STEPS: &str = "Follow these steps exactly, one tool call at a time, and stop at the first refusal or error to tell the user what happened:
1. Work out the exact order: symbol, side, type, time_in_force, quantity (or quote_order_qty), price, stop_price. Use environment \"testnet\" unless the user explicitly asked for production or demo. If anything is ambiguous, ask the user before going on.
2. market_exchange_info for the symbol and market_book_ticker: check the status is TRADING and the price makes sense against the book.
3. order_validate with the order. If it is invalid, show the violations and the normalized payload, and ask the user whether to use the normalized values. Never apply them silently.
4. order_test with exactly the same arguments. Show the estimated fee.
5. For production only: show the user the exact order (symbol, side, type, quantity, price, estimated notional and fee) and ask for an explicit yes. Only after a yes in the conversation, repeat order_test with confirm_production: true if needed, then order_place with confirm_production: true. If the user's client asks them to approve the order, that approval is theirs to give.
6. order_place with exactly the same arguments as the passed order_test (within 5 minutes).
7. order_status with the client_order_id from the result: a placement response is provisional. Report the confirmed status, the filled quantity and the average price; order_events shows the fills as Binance pushed them.
8. If this was the first production order of its kind, suggest a runbook entry with memory_append (file runbooks).";

#[prompt_router(router = "prompt_router", vis = "pub(crate)")]
impl BinanceServer {
    /// Place one order the user describes through validate → test → confirm → place → reconcile.
    #[prompt(name = "safe_order")]
    async fn safe_order(&self, Parameters(args): Parameters<SafeOrderArgs>) -> Result<GetPromptResult, ErrorData> {
        let text = format!("The user wants this order: {}\n\n{SAFE_ORDER_STEPS}", args.order.trim());
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description("One order, safely: validate, test, confirm, place, reconcile"))
    }

    /// Summarise incidents.md and suggest runbook updates.
    #[prompt(name = "review_incidents")]
    async fn review_incidents(
        &self,
        Parameters(args): Parameters<ReviewIncidentsArgs>,
    ) -> Result<GetPromptResult, ErrorData> {
        let lines = args
            .lines
            .as_deref()
            .and_then(|l| l.trim().parse::<u32>().ok())
            .unwrap_or(200)
            .clamp(10, 2000);
        let incidents = memory_read(
            self.toolbox(),
            MemoryReadArgs {
                file: MemoryFile::Incidents,
                tail: Some(lines),
                search: None,
            },
        )
        .map(|r| r.text)
        .map_err(|e| ErrorData::internal_error(e.to_agent_text(), None))?;
        let text = format!(
            "Review these incidents from incidents.md (the last {lines} lines). Group them by cause (Binance code and endpoint), say how often each happened and whether it is still happening, explain each cause in one sentence, and suggest concrete runbook entries or changes to how the agent works that would avoid them. Do not change anything yourself; propose memory_append texts for the user to approve.\n\n---\n{incidents}"
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description("Summarise incidents.md and suggest runbook updates"))
    }

    /// A symbol's price, 24h statistics, book and trading rules in one brief.
    #[prompt(name = "market_brief")]
    async fn market_brief(&self, Parameters(args): Parameters<MarketBriefArgs>) -> Result<GetPromptResult, ErrorData> {
        let environment = match args.environment.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(
                serde_json::from_value::<Environment>(serde_json::Value::String(e.to_lowercase())).map_err(|_| {
                    ErrorData::invalid_params(format!("environment {e:?}: use production, testnet or demo"), None)
                })?,
            ),
        };
        let toolbox = self.toolbox();
        let symbol = Some(args.symbol.clone());
        let (stats, book, rules, avg) = tokio::join!(
            market::ticker_24h(
                toolbox,
                Ticker24hArgs {
                    symbol: symbol.clone(),
                    environment,
                    ..Ticker24hArgs::default()
                }
            ),
            market::book_ticker(
                toolbox,
                SymbolsArgs {
                    symbol: symbol.clone(),
                    environment,
                    ..SymbolsArgs::default()
                }
            ),
            market::exchange_info(
                toolbox,
                ExchangeInfoArgs {
                    symbol,
                    environment,
                    ..ExchangeInfoArgs::default()
                }
            ),
            market::avg_price(
                toolbox,
                AvgPriceArgs {
                    symbol: args.symbol.clone(),
                    environment
                }
            ),
        );
        let line = |r: Result<String, crate::tools::ToolError>| r.unwrap_or_else(|e| format!("(unavailable: {e})"));
        let rules_text = rules
            .map(|r| {
                r.symbols
                    .iter()
                    .map(|s| {
                        format!(
                            "status {}; order types {}\n{}",
                            s.status,
                            s.order_types.join(", "),
                            s.rules.join("\n")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_else(|e| format!("(unavailable: {e})"));
        let text = format!(
            "Market brief for {symbol}. Write it for the user in a few lines: price and 24h move, spread and liquidity at the top of the book, and the trading rules that matter for an order (tick size, step size, minimum notional).\n\n24h: {}\nBook: {}\nAverage price: {}\nRules: {rules_text}",
            line(stats.map(|s| s.summary())),
            line(book.map(|b| b.summary())),
            line(avg.map(|a| a.summary())),
            symbol = args.symbol.trim().to_uppercase(),
        );
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description("A symbol's price, 24h stats, book and filters in one brief"))
    }
}
