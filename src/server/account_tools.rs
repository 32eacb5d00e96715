//! The account and memory toolsets: signed account reads, and the memory folder.

use super::*;

/// Signed reads of the account (group `account`).
#[tool_router(router = account_tools, vis = "pub(super)")]
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

#[tool_router(router = memory_tools, vis = "pub(super)")]
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
