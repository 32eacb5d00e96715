//! The test-order and order toolsets: validation and tests, and the calls that place, change
//! or cancel orders (with the human's approval on production).

use super::approval::{ProductionWrite, order_named};
use super::*;

/// Checks that send nothing that can execute: local validation and Binance's test order (group `test_order`).
#[tool_router(router = test_order_tools, vis = "pub(super)")]
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

#[tool_router(router = order_tools, vis = "pub(super)")]
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
        Parameters(mut args): Parameters<OrderArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let env = args.target.pin(&self.toolbox);
        let ask = args.target.confirms_production(env).then(|| {
            let order = args.to_order();
            let cancel_after_seconds = args.cancel_after_seconds;
            let toolbox = &self.toolbox;
            async move {
                let order = order?;
                crate::tools::order::local_order_gate(toolbox, env, &order)?;
                let money = crate::tools::order::order_money_at_stake(toolbox, env, &order).await?;
                let details = ApprovalDetails {
                    environment: env,
                    action: "place this order".into(),
                    legs: vec![describe_order(&order)],
                    worst_case_notional: money.worst_case_notional,
                    quote_asset: money.quote_asset,
                    day_total_after: money.day_total_after,
                    daily_limit: money.daily_limit,
                    self_trade_prevention: order.self_trade_prevention_mode.map(|m| m.as_str().to_owned()),
                    cancel_after_seconds,
                    typed_phrase: format!("{} {}", order.side.as_str(), order.symbol),
                };
                Ok((details, guard::order_identity(&order)))
            }
        });
        let answered = (request_state, input_responses);
        self.place_once_approved(&ctx, env, ask, answered, |approval| {
            order_place(&self.toolbox, args, approval)
        })
        .await
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
        Parameters(mut args): Parameters<OrderListArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let env = args.target.pin(&self.toolbox);
        let ask = (args.target.confirms_production(env) && !args.test_only).then(|| {
            let plan = args.plan();
            let toolbox = &self.toolbox;
            async move {
                let plan = plan?;
                crate::tools::order::local_gate(toolbox, env, &plan)?;
                let money = crate::tools::order::list_money_at_stake(toolbox, env, &plan).await?;
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
                Ok((details, plan.identity()))
            }
        });
        let answered = (request_state, input_responses);
        self.place_once_approved(&ctx, env, ask, answered, |approval| {
            order_list_place(&self.toolbox, args, approval)
        })
        .await
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
        Parameters(mut args): Parameters<OrderListCancelArgs>,
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
        args.target.pin(&self.toolbox);
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
        let answered = (request_state, input_responses);
        self.write_once_approved(&ctx, write, answered, order_list_cancel(&self.toolbox, args))
            .await
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
        Parameters(mut args): Parameters<OrderRefArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        args.target.pin(&self.toolbox);
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
        let answered = (request_state, input_responses);
        self.write_once_approved(&ctx, write, answered, order_cancel(&self.toolbox, args))
            .await
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
        Parameters(mut args): Parameters<AmendArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        let new_quantity = args.new_quantity.0.normalize().to_string();
        args.target.pin(&self.toolbox);
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
        let answered = (request_state, input_responses);
        self.write_once_approved(&ctx, write, answered, order_amend(&self.toolbox, args))
            .await
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
        Parameters(mut args): Parameters<SymbolScopeArgs>,
        RequestState(request_state): RequestState,
        InputResponses(input_responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        let symbol = args.symbol.trim().to_ascii_uppercase();
        args.target.pin(&self.toolbox);
        let write = ProductionWrite {
            target: args.target,
            action: "cancel every open order on this symbol",
            leg: format!("cancel all open orders and order lists on {symbol}"),
            typed_phrase: format!("CANCEL ALL {symbol}"),
            identity: format!("order_cancel_all|{symbol}"),
        };
        let answered = (request_state, input_responses);
        self.write_once_approved(&ctx, write, answered, order_cancel_all(&self.toolbox, args))
            .await
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
