//! The MCP edge: the rmcp `ServerHandler`, one thin wrapper per tool, and tool-list filtering.
//!
//! Every wrapper parses typed arguments, calls the tool function in `tools/`, and turns its
//! output into structured content plus a text block (a summary line, then the same JSON) so
//! that clients which ignore `structuredContent` still give the agent the data.

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

/// Public market data (`BINANCE_TOOLSETS` group `market`).
#[tool_router(router = market_tools)]
impl BinanceServer {
    #[tool(
        title = "Binance server time",
        description = "Binance time and this clock's offset (a large one causes -1021).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_server_time(&self, Parameters(args): Parameters<ServerTimeArgs>) -> CallToolResult {
        self.run(server_time(&self.toolbox, args)).await
    }

    #[tool(
        title = "Symbol trading rules",
        description = "Trading rules of 1-20 symbols: status, order types, every filter with exact values. Cached 10 min.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_exchange_info(&self, Parameters(args): Parameters<ExchangeInfoArgs>) -> CallToolResult {
        self.run(exchange_info(&self.toolbox, args)).await
    }

    #[tool(
        title = "Latest prices",
        description = "Latest prices (none given: all, first 100 listed).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_ticker_price(&self, Parameters(args): Parameters<SymbolsArgs>) -> CallToolResult {
        self.run(ticker_price(&self.toolbox, args)).await
    }

    #[tool(
        title = "24h or rolling statistics",
        description = "Change, high, low, volume and trade count over 24h or a rolling window_size.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_ticker_24h(&self, Parameters(args): Parameters<Ticker24hArgs>) -> CallToolResult {
        self.run(ticker_24h(&self.toolbox, args)).await
    }

    #[tool(
        title = "Best bid and ask",
        description = "Best bid/ask, their quantities and the spread.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_book_ticker(&self, Parameters(args): Parameters<SymbolsArgs>) -> CallToolResult {
        self.run(book_ticker(&self.toolbox, args)).await
    }

    #[tool(
        title = "Order book depth",
        description = "Order book: best bid/ask, spread, depth totals, up to 50 levels per side.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_order_book(&self, Parameters(args): Parameters<OrderBookArgs>) -> CallToolResult {
        self.run(order_book(&self.toolbox, args)).await
    }

    #[tool(
        title = "Recent trades",
        description = "Recent public trades with VWAP, range and taker buy/sell volume.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_recent_trades(&self, Parameters(args): Parameters<RecentTradesArgs>) -> CallToolResult {
        self.run(recent_trades(&self.toolbox, args)).await
    }

    #[tool(
        title = "Candlesticks",
        description = "OHLCV candles, with a summary (open, high, low, close, change %, volume).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_klines(&self, Parameters(args): Parameters<KlinesArgs>) -> CallToolResult {
        self.run(klines(&self.toolbox, args)).await
    }

    #[tool(
        title = "Average price",
        description = "Average price: the reference of the PERCENT_PRICE and NOTIONAL filters.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn market_avg_price(&self, Parameters(args): Parameters<AvgPriceArgs>) -> CallToolResult {
        self.run(avg_price(&self.toolbox, args)).await
    }

    #[tool(
        title = "Sample market streams",
        description = "Listen to 1-5 market streams up to 30 s: counts, price range, volume, best bid/ask, last events. No weight.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn market_stream_sample(&self, Parameters(args): Parameters<StreamSampleArgs>) -> CallToolResult {
        self.run(market_stream_sample(&self.toolbox, args)).await
    }
}

/// Checks that send nothing that can execute: local validation and Binance's test order (group `test_order`).
#[tool_router(router = test_order_tools)]
impl BinanceServer {
    #[tool(
        title = "Validate an order locally",
        description = "Check an order against the symbol's filters and rules (MAX_ASSET, execution price range), sending nothing: violations, nearest valid values, a normalized payload.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_validate(&self, Parameters(args): Parameters<OrderArgs>) -> CallToolResult {
        self.run(order_validate(&self.toolbox, args)).await
    }

    #[tool(
        title = "Test an order at Binance",
        description = "Test the order at Binance (never executed): commission and estimated fee. A pass allows order_place of the identical payload in the same environment for 5 min.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_test(&self, Parameters(args): Parameters<OrderArgs>) -> CallToolResult {
        self.run(order_test(&self.toolbox, args)).await
    }
}

/// Orders: placement, lists, amendment, cancellation and what became of them (group `order`).
#[tool_router(router = order_tools)]
impl BinanceServer {
    #[tool(
        title = "Place an order",
        description = "Place a real order. Needs a passed order_test of the identical payload within 5 min; on production also confirm_production: true after the human's yes, and a testnet rehearsal of the same shape. Returns the reconciled status.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn order_place(
        &self,
        Parameters(args): Parameters<OrderArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let env = args.target.environment(&self.toolbox);
        let mut approval = if env == Environment::Production {
            Approval::Argument
        } else {
            Approval::NotNeeded
        };
        if args.target.confirms_production(env) {
            // Cheap local refusals first, so the human is never asked about an order the gate refuses anyway.
            let order = match args.to_order() {
                Ok(o) => o,
                Err(e) => return respond::<PlaceOutput>(Err(e)).into(),
            };
            if let Err(e) = crate::tools::order::local_order_gate(&self.toolbox, env, &order) {
                // Through `run`, so the refusal is audited like any other.
                return self.run(async { Err::<PlaceOutput, _>(e) }).await.into();
            }
            let money = match crate::tools::order::order_money_at_stake(&self.toolbox, env, &order).await {
                Ok(money) => money,
                Err(e) => return respond::<PlaceOutput>(Err(e)).into(),
            };
            let details = ApprovalDetails {
                environment: env,
                action: "place this order".into(),
                legs: vec![describe_order(&order)],
                worst_case_notional: money.worst_case_notional,
                quote_asset: money.quote_asset,
                day_total_after: money.day_total_after,
                daily_limit: money.daily_limit,
                self_trade_prevention: order.self_trade_prevention_mode.map(|m| m.as_str().to_owned()),
                cancel_after_seconds: args.cancel_after_seconds,
                typed_phrase: format!("{} {}", order.side.as_str(), order.symbol),
            };
            let identity = guard::order_identity(&order);
            approval = match self
                .human_approval::<PlaceOutput>(&ctx, &details, &identity, request_state, input_responses)
                .await
            {
                Ok(approval) => approval,
                Err(response) => return response,
            };
        }
        self.run(order_place(&self.toolbox, args, approval)).await.into()
    }

    #[tool(
        title = "Place an order list",
        description = "Brackets. oco: side, quantity, legs above+below (SELL: take-profit LIMIT_MAKER above, STOP_LOSS_LIMIT below). oto: legs working (LIMIT) + pending, each with side and quantity. otoco: working leg, then side, quantity, above+below. opo/opoco: as oto/otoco, pending SELL without quantity. Call with test_only: true first, then identically without it within 5 min; production gate as order_place.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn order_list_place(
        &self,
        Parameters(args): Parameters<OrderListArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let env = args.target.environment(&self.toolbox);
        let mut approval = if env == Environment::Production {
            Approval::Argument
        } else {
            Approval::NotNeeded
        };
        if args.target.confirms_production(env) && !args.test_only {
            // Cheap local refusals first, so the human is never asked about a list the gate refuses anyway.
            let plan = match args.plan() {
                Ok(p) => p,
                Err(e) => return respond::<OrderListOutput>(Err(e)).into(),
            };
            if let Err(e) = crate::tools::order::local_gate(&self.toolbox, env, &plan) {
                return self.run(async { Err::<OrderListOutput, _>(e) }).await.into();
            }
            let money = match crate::tools::order::list_money_at_stake(&self.toolbox, env, &plan).await {
                Ok(money) => money,
                Err(e) => return respond::<OrderListOutput>(Err(e)).into(),
            };
            let details = ApprovalDetails {
                environment: env,
                action: format!("place this {} order list", plan.list_type.as_str().to_uppercase()),
                legs: plan
                    .legs
                    .iter()
                    .map(|(role, order)| format!("{}: {}", role.as_str(), describe_order(order)))
                    .collect(),
                worst_case_notional: money.worst_case_notional,
                quote_asset: money.quote_asset,
                day_total_after: money.day_total_after,
                daily_limit: money.daily_limit,
                self_trade_prevention: plan.stp.map(|m| m.as_str().to_owned()),
                cancel_after_seconds: None,
                // The side of the leg that executes first: the working leg, or the OCO pair.
                typed_phrase: match plan.legs.first() {
                    Some((_, first)) => format!("{} {}", first.side.as_str(), plan.symbol),
                    None => plan.symbol.clone(),
                },
            };
            approval = match self
                .human_approval::<OrderListOutput>(&ctx, &details, &plan.identity(), request_state, input_responses)
                .await
            {
                Ok(approval) => approval,
                Err(response) => return response,
            };
        }
        self.run(order_list_place(&self.toolbox, args, approval)).await.into()
    }

    #[tool(
        title = "Cancel an order list",
        description = "Cancel an order list.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_list_cancel(
        &self,
        Parameters(args): Parameters<OrderListCancelArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        let list = match (&args.order_list_id, &args.list_client_order_id) {
            (Some(id), _) => format!("order list {id}"),
            (None, Some(client_id)) => format!("order list {client_id}"),
            (None, None) => "an order list".to_owned(),
        };
        let write = ProductionWrite {
            target: args.target,
            action: "cancel this order list",
            leg: format!("cancel {list} on {symbol}"),
            typed_phrase: format!("CANCEL {symbol}"),
            identity: format!(
                "order_list_cancel|{symbol}|{:?}|{:?}",
                args.order_list_id, args.list_client_order_id
            ),
        };
        if let Some(answer) = self
            .approve_write::<OrderListOutput>(&ctx, write, request_state, input_responses)
            .await
        {
            return answer;
        }
        self.run(order_list_cancel(&self.toolbox, args)).await.into()
    }

    #[tool(
        title = "Cancel an order",
        description = "Cancel an open order.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_cancel(
        &self,
        Parameters(args): Parameters<OrderRefArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        let write = ProductionWrite {
            target: args.target,
            action: "cancel this order",
            leg: format!(
                "cancel {} on {symbol}",
                order_named(args.order_id, args.client_order_id.as_deref())
            ),
            typed_phrase: format!("CANCEL {symbol}"),
            identity: format!("order_cancel|{symbol}|{:?}|{:?}", args.order_id, args.client_order_id),
        };
        if let Some(answer) = self
            .approve_write::<OrderOutput>(&ctx, write, request_state, input_responses)
            .await
        {
            return answer;
        }
        self.run(order_cancel(&self.toolbox, args)).await.into()
    }

    #[tool(
        title = "Reduce an order's quantity",
        description = "Lower an open order's quantity in place, keeping id and queue position (max 10 per order). Allowed under the kill switch.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn order_amend(
        &self,
        Parameters(args): Parameters<AmendArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        let new_quantity = args.new_quantity.0.normalize().to_string();
        let write = ProductionWrite {
            target: args.target,
            action: "reduce this order's quantity",
            leg: format!(
                "amend {} on {symbol} to quantity {new_quantity}",
                order_named(args.order_id, args.client_order_id.as_deref())
            ),
            typed_phrase: format!("AMEND {symbol}"),
            identity: format!(
                "order_amend|{symbol}|{:?}|{:?}|{new_quantity}|{:?}",
                args.order_id, args.client_order_id, args.new_client_order_id
            ),
        };
        if let Some(answer) = self
            .approve_write::<AmendOutput>(&ctx, write, request_state, input_responses)
            .await
        {
            return answer;
        }
        self.run(order_amend(&self.toolbox, args)).await.into()
    }

    #[tool(
        title = "Cancel a symbol's open orders",
        description = "Cancel every open order and list of a symbol.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_cancel_all(
        &self,
        Parameters(args): Parameters<SymbolScopeArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        let write = ProductionWrite {
            target: args.target,
            action: "cancel every open order on this symbol",
            leg: format!("cancel all open orders and order lists on {symbol}"),
            typed_phrase: format!("CANCEL ALL {symbol}"),
            identity: format!("order_cancel_all|{symbol}"),
        };
        if let Some(answer) = self
            .approve_write::<OrdersOutput>(&ctx, write, request_state, input_responses)
            .await
        {
            return answer;
        }
        self.run(order_cancel_all(&self.toolbox, args)).await.into()
    }

    #[tool(
        title = "Order status",
        description = "An order's state at Binance (status, fills, average price) and whether the journal agrees. Reconcile with it after every placement.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_status(&self, Parameters(args): Parameters<OrderRefArgs>) -> CallToolResult {
        self.run(order_status(&self.toolbox, args)).await
    }

    #[tool(
        title = "Order events journal",
        description = "Journaled user-data events (fills, cancels, balances) and reconciliations, newest last. No weight.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn order_events(&self, Parameters(args): Parameters<OrderEventsArgs>) -> CallToolResult {
        self.run(order_events(&self.toolbox, args)).await
    }

    #[tool(
        title = "Open orders",
        description = "Open orders of a symbol or of all.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_open_list(&self, Parameters(args): Parameters<OpenOrdersArgs>) -> CallToolResult {
        self.run(order_open_list(&self.toolbox, args)).await
    }

    #[tool(
        title = "Order history",
        description = "All orders of a symbol (open, filled, canceled), from an order_id or within 24 h.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn order_history(&self, Parameters(args): Parameters<HistoryArgs>) -> CallToolResult {
        self.run(order_history(&self.toolbox, args)).await
    }
}

/// Signed reads of the account (group `account`).
#[tool_router(router = account_tools)]
impl BinanceServer {
    #[tool(
        title = "Account balances",
        description = "Free and locked balances (non-zero only by default); whether the key can trade or withdraw.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn account_balances(&self, Parameters(args): Parameters<BalancesArgs>) -> CallToolResult {
        self.run(account_balances(&self.toolbox, args)).await
    }

    #[tool(
        title = "Account trades",
        description = "Your trades on a symbol (of one order, from a trade id, or within 24 h), commission per asset.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn account_trades(&self, Parameters(args): Parameters<TradesArgs>) -> CallToolResult {
        self.run(account_trades(&self.toolbox, args)).await
    }

    #[tool(
        title = "Commission rates",
        description = "Maker/taker commission rates of a symbol (standard, special, tax), BNB discount.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn account_commission(&self, Parameters(args): Parameters<CommissionArgs>) -> CallToolResult {
        self.run(account_commission(&self.toolbox, args)).await
    }

    #[tool(
        title = "Unfilled-order counts",
        description = "Unfilled-order counts against the order rate limits (10 s, day).",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn account_rate_limits(&self, Parameters(args): Parameters<RateLimitsArgs>) -> CallToolResult {
        self.run(account_rate_limits(&self.toolbox, args)).await
    }
}

/// The memory folder and its snapshots (group `memory`).
#[tool_router(router = memory_tools)]
impl BinanceServer {
    #[tool(
        title = "Read a memory file",
        description = "Read memory.md (the human's limits and notes), runbooks.md or incidents.md.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn memory_read(&self, Parameters(args): Parameters<MemoryReadArgs>) -> CallToolResult {
        self.run(async { memory_read(&self.toolbox, args) }).await
    }

    #[tool(
        title = "Append to a memory file",
        description = "Append a dated note to runbooks.md (what worked), incidents.md (a fix) or memory.md's notes (never its limits).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn memory_append(&self, Parameters(args): Parameters<MemoryAppendArgs>) -> CallToolResult {
        self.run(async { memory_append(&self.toolbox, args) }).await
    }

    #[tool(
        title = "List snapshots",
        description = "Filter snapshots (taken when a symbol's rules change) and validation captures, newest first.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn snapshot_list(&self, Parameters(args): Parameters<SnapshotListArgs>) -> CallToolResult {
        self.run(async { snapshot_list(&self.toolbox, args) }).await
    }

    #[tool(
        title = "Read a snapshot",
        description = "Read a snapshot by the name snapshot_list gives.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn snapshot_read(&self, Parameters(args): Parameters<SnapshotReadArgs>) -> CallToolResult {
        self.run(async { snapshot_read(&self.toolbox, args) }).await
    }
}

/// The server's own state (group `diagnostics`).
#[tool_router(router = diagnostics_tools)]
impl BinanceServer {
    #[tool(
        title = "Server status",
        description = "Configuration: environments, base URLs, which keys are set, clock offsets, request counts, modes, version.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn server_status(&self, Parameters(args): Parameters<ServerStatusArgs>) -> CallToolResult {
        self.run(async { server_status(&self.toolbox, args) }).await
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

    /// Forwards the Binance layer's alerts (bans, open circuits, clock drift, unknown order
    /// outcomes) to the client as logging notifications, in a task of its own so that a slow
    /// client never holds up a tool call; each notification gets at most 2 s.
    #[allow(deprecated)] // MCP logging is deprecated by SEP-2577 but still what clients show.
    fn forward_alerts(&self, peer: Peer<RoleServer>) {
        // Every environment's client raises on the same hub.
        let mut alerts = self.toolbox.client(Environment::Testnet).alerts().subscribe();
        let minimum = self.log_level.clone();
        tokio::spawn(async move {
            loop {
                let alert = match alerts.recv().await {
                    Ok(alert) => alert,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alerts dropped before reaching the MCP client");
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if level_rank(logging_level(alert.level)) < minimum.load(Ordering::Relaxed) {
                    continue;
                }
                notify_alert(&peer, alert).await;
            }
        });
    }

    /// Runs a 2026-07-28 request that asked for log messages at `minimum` or above (`_meta`
    /// `io.modelcontextprotocol/logLevel`): the revision allows notifications only for such a
    /// request, on its own stream, so the alerts raised while it runs go out before its answer,
    /// preceded by those raised since the last delivery, when no request could carry them
    /// (a dropped stream or a timer between calls). Each alert reaches the client once.
    #[allow(deprecated)] // MCP logging (SEP-2577)
    async fn with_request_alerts<R>(
        &self,
        minimum: LoggingLevel,
        peer: &Peer<RoleServer>,
        call: impl Future<Output = R>,
    ) -> R {
        // Every environment's client raises on the same hub.
        let alerts = self.toolbox.client(Environment::Testnet).alerts().clone();
        // Subscribed before the backlog is read, so nothing falls in between (the claim below
        // drops what arrives both ways).
        let mut raised = alerts.subscribe();
        let minimum = level_rank(minimum);
        for alert in alerts.recent() {
            self.deliver(peer, minimum, alert).await;
        }
        let mut call = std::pin::pin!(call);
        let mut hub_open = true;
        let result = loop {
            tokio::select! {
                result = &mut call => break result,
                received = raised.recv(), if hub_open => match received {
                    Ok(alert) => self.deliver(peer, minimum, alert).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alerts dropped before reaching the MCP client");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => hub_open = false,
                },
            }
        };
        while let Ok(alert) = raised.try_recv() {
            self.deliver(peer, minimum, alert).await;
        }
        result
    }

    /// Sends `alert` for the current request when it is at or above `minimum` and no request
    /// has carried it yet.
    async fn deliver(&self, peer: &Peer<RoleServer>, minimum: u8, alert: Alert) {
        if level_rank(logging_level(alert.level)) < minimum {
            return;
        }
        {
            let mut delivered = self.delivered_alerts.lock().unwrap_or_else(|p| p.into_inner());
            if !delivered.insert(alert.seq) {
                return;
            }
            // `Alerts::recent` gives back no more than the last 32; a lagging receiver skips.
            while delivered.len() > 256 {
                delivered.pop_first();
            }
        }
        notify_alert(peer, alert).await;
    }

    /// Shows the human `details` (a production order or list) in the client under
    /// `BINANCE_PRODUCTION_APPROVAL`: how it was approved, or the answer to return at once (the
    /// 2026-07-28 input request, or the refusal, audited).
    async fn human_approval<T: ToolOutput>(
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
    fn naming_accepted_arguments(&self, tool: &str, mut response: CallToolResponse) -> CallToolResponse {
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
            && let Some(properties) = self
                .tools()
                .get(tool)
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
        let call = in_tool(
            tool.clone(),
            self.tools().call(ToolCallContext::new(self, request, context)),
        );
        let answer = match asked {
            Some(minimum) => self.with_request_alerts(minimum, &peer, call).await,
            None => call.await,
        };
        answer.map(|response| self.naming_accepted_arguments(&tool, response))
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

/// A production cancel or amend to be approved (see `BinanceServer::approve_write`).
struct ProductionWrite {
    target: SignedTarget,
    /// What is asked, e.g. "cancel this order".
    action: &'static str,
    /// The one line the human reads.
    leg: String,
    /// What the human types under `typed`, e.g. `CANCEL BTCUSDT`.
    typed_phrase: String,
    /// The exact payload the approval is bound to.
    identity: String,
}

/// An order as the human knows it: its Binance id or client id.
fn order_named(order_id: Option<u64>, client_order_id: Option<&str>) -> String {
    match (order_id, client_order_id) {
        (Some(id), _) => format!("order {id}"),
        (None, Some(client_id)) => format!("order {client_id}"),
        (None, None) => "an order".to_owned(),
    }
}

/// The MCP logging level of an alert.
#[allow(deprecated)] // MCP logging (SEP-2577)
fn logging_level(level: AlertLevel) -> LoggingLevel {
    match level {
        AlertLevel::Notice => LoggingLevel::Notice,
        AlertLevel::Warning => LoggingLevel::Warning,
        AlertLevel::Error => LoggingLevel::Error,
    }
}

/// The level a 2026-07-28 (or later) request asked for log messages at, in its `_meta`; `None`
/// for earlier revisions (their session level is `logging/setLevel`'s) and for a request that
/// did not ask, which must get none.
#[allow(deprecated)] // MCP logging (SEP-2577)
fn request_log_level(context: &RequestContext<RoleServer>) -> Option<LoggingLevel> {
    context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28)
        .then(|| context.meta.log_level())
        .flatten()
}

/// One alert as a logging notification (the message as data, `binance.<environment>` as the
/// logger), given at most 2 s so a slow client never holds anything up.
#[allow(deprecated)] // MCP logging (SEP-2577)
async fn notify_alert(peer: &Peer<RoleServer>, alert: Alert) {
    let param =
        LoggingMessageNotificationParam::new(logging_level(alert.level), serde_json::Value::String(alert.message))
            .with_logger(alert.logger);
    if tokio::time::timeout(Duration::from_secs(2), peer.notify_logging_message(param))
        .await
        .is_err()
    {
        tracing::warn!("the MCP client did not take a log notification within 2 s");
    }
}

/// Rank of the `warning` logging level: alerts are sent from this level up until the client sets another.
const WARNING_RANK: u8 = 3;

/// Severity order of MCP logging levels (debug lowest).
#[allow(deprecated)] // MCP logging (SEP-2577)
fn level_rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
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
    #[allow(deprecated)] // MCP logging (SEP-2577)
    fn warning_is_the_default_minimum_level() {
        assert_eq!(level_rank(LoggingLevel::Warning), WARNING_RANK);
        assert!(level_rank(LoggingLevel::Error) > WARNING_RANK);
        assert!(level_rank(LoggingLevel::Info) < WARNING_RANK);
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
