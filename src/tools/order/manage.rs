//! Orders after placement: cancel, cancel all, status, open orders, history.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::binance::clock::local_now_ms;
use crate::binance::error::codes;
use crate::binance::model::OrderReport;
use crate::binance::{HistoryQuery, OrderRef};
use crate::config::Environment;
use crate::guard;
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};

// ---- order_cancel / order_status ------------------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRefArgs {
    pub symbol: String,
    /// or client_order_id
    #[serde(default)]
    pub order_id: Option<u64>,
    /// or order_id
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
}

impl OrderRefArgs {
    fn order_ref(&self) -> Result<OrderRef, ToolError> {
        match (self.order_id, &self.client_order_id) {
            (Some(id), None) => Ok(OrderRef::Id(id)),
            (None, Some(c)) => Ok(OrderRef::ClientId(guard::client_order_id(Some(c))?)),
            (Some(_), Some(_)) => Err(ToolError::invalid("give order_id or client_order_id, not both")),
            (None, None) => Err(ToolError::invalid("give order_id or client_order_id")),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderOutput {
    pub environment: Environment,
    pub order: OrderReport,
    /// Executed quantity / original quantity, in percent.
    pub filled_percent: Option<Decimal>,
    pub avg_price: Option<Decimal>,
    pub is_final: bool,
    /// order_status only: whether the user-data event journal agrees, and the fills.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<super::JournalCheck>,
}

impl ToolOutput for OrderOutput {
    fn summary(&self) -> String {
        let journal = match self.journal.as_ref().map(|j| j.agrees) {
            None => "",
            Some(Some(true)) => "; event journal agrees",
            Some(Some(false)) => "; event journal disagreed (Binance's state journaled)",
            Some(None) => "; no event journaled",
        };
        format!(
            "{} {} order {} ({}): {} {} of {}{journal}",
            self.environment,
            self.order.symbol,
            self.order.order_id,
            self.order.client_order_id,
            self.order.status.as_deref().unwrap_or("?"),
            self.order
                .executed_qty
                .map(|q| q.normalize().to_string())
                .unwrap_or_default(),
            self.order
                .orig_qty
                .map(|q| q.normalize().to_string())
                .unwrap_or_default()
        )
    }
}

fn order_output(env: Environment, order: OrderReport) -> OrderOutput {
    let filled_percent = match (order.executed_qty, order.orig_qty) {
        (Some(e), Some(o)) if !o.is_zero() => Some((e / o * Decimal::ONE_HUNDRED).round_dp(2).normalize()),
        _ => None,
    };
    let avg_price = match (order.cummulative_quote_qty, order.executed_qty) {
        (Some(q), Some(e)) if !e.is_zero() && q >= Decimal::ZERO => Some((q / e).round_dp(8).normalize()),
        _ => None,
    };
    OrderOutput {
        environment: env,
        is_final: order.is_final(),
        filled_percent,
        avg_price,
        order,
        journal: None,
    }
}

pub async fn order_cancel(tb: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_cancel")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let order_ref = args.order_ref()?;
    if env == Environment::Production {
        tb.audit().confirmation(
            env,
            "order_cancel",
            "argument",
            &format!("cancel {symbol} {order_ref:?}"),
        );
    }
    let report = tb.desk().cancel_order(env, &symbol, &order_ref).await?;
    record_canceled(tb, env, &symbol, &report)?;
    Ok(order_output(env, report))
}

pub async fn order_status(tb: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_status")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let report = tb.client(env).query_order(&symbol, &args.order_ref()?).await?;
    let journal = super::journal_check(tb, env, &report).await?;
    let mut out = order_output(env, report);
    out.journal = Some(journal);
    Ok(out)
}

// ---- order_cancel_all / order_open_list / order_history -------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolScopeArgs {
    pub symbol: String,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenOrdersArgs {
    /// absent: all (weight 80, not 6)
    #[serde(default)]
    pub symbol: Option<String>,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrdersOutput {
    pub environment: Environment,
    pub count: usize,
    pub orders: Vec<OrderReport>,
    /// True when only the latest 100 are listed.
    pub truncated: bool,
}

impl ToolOutput for OrdersOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .orders
            .iter()
            .take(5)
            .map(|o| format!("{} {} {}", o.symbol, o.order_id, o.status.as_deref().unwrap_or("?")))
            .collect();
        format!(
            "{}: {} orders{}{}",
            self.environment,
            self.count,
            if shown.is_empty() { "" } else { ": " },
            shown.join(", ")
        )
    }
}

const MAX_ORDERS_LISTED: usize = 100;

fn orders_output(env: Environment, mut orders: Vec<OrderReport>) -> OrdersOutput {
    let count = orders.len();
    let skip = count.saturating_sub(MAX_ORDERS_LISTED);
    let orders = orders.split_off(skip);
    OrdersOutput {
        environment: env,
        count,
        orders,
        truncated: skip > 0,
    }
}

pub async fn order_cancel_all(tb: &Toolbox, args: SymbolScopeArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_cancel_all")?;
    let symbol = normalize_symbol(&args.symbol)?;
    if env == Environment::Production {
        tb.audit()
            .confirmation(env, "order_cancel_all", "argument", &format!("cancel all {symbol}"));
    }
    let canceled = match tb.desk().cancel_all(env, &symbol).await {
        Ok(c) => c,
        // Binance answers "Unknown order sent." when there is nothing to cancel.
        Err(e) if e.code() == Some(codes::CANCEL_REJECTED) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    for report in &canceled {
        record_canceled(tb, env, &symbol, report)?;
    }
    Ok(orders_output(env, canceled))
}

/// The emergency stop's cancel (`binance-mcp halt --cancel-open`): every open order and order
/// list in `env`, symbol by symbol, each cancel journaled. Returns (symbol, orders canceled).
pub async fn cancel_every_open_order(tb: &Toolbox, env: Environment) -> Result<Vec<(String, usize)>, ToolError> {
    let open = tb.client(env).open_orders(None).await?;
    let symbols: std::collections::BTreeSet<String> = open.iter().map(|o| o.symbol.clone()).collect();
    let mut done = Vec::new();
    for symbol in symbols {
        let canceled = match tb.desk().cancel_all(env, &symbol).await {
            Ok(c) => c,
            Err(e) if e.code() == Some(codes::CANCEL_REJECTED) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for report in &canceled {
            record_canceled(tb, env, &symbol, report)?;
        }
        done.push((symbol, canceled.len()));
    }
    Ok(done)
}

pub async fn order_open_list(tb: &Toolbox, args: OpenOrdersArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_open_list")?;
    let symbol = args.symbol.as_deref().map(normalize_symbol).transpose()?;
    let orders = tb.client(env).open_orders(symbol.as_deref()).await?;
    Ok(orders_output(env, orders))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryArgs {
    pub symbol: String,
    /// this id and newer
    #[serde(default)]
    pub order_id: Option<u64>,
    /// ms since epoch; at most 24 h before end_time
    #[serde(default)]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub end_time: Option<i64>,
    /// 1..1000, default 100
    #[serde(default)]
    pub limit: Option<u32>,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// only after the human's yes
    #[serde(default)]
    pub confirm_production: bool,
}

/// The filters of a history request (allOrders, myTrades), checked before sending: limit
/// 1..1000 (default 100), start before end, at most 24 h apart.
pub fn history_query(
    order_id: Option<u64>,
    start_time: Option<i64>,
    end_time: Option<i64>,
    from_id: Option<u64>,
    limit: Option<u32>,
) -> Result<HistoryQuery, ToolError> {
    if let Some(l) = limit
        && !(1..=1000).contains(&l)
    {
        return Err(ToolError::invalid(format!("limit must be between 1 and 1000, got {l}")));
    }
    if let (Some(s), Some(e)) = (start_time, end_time) {
        if s > e {
            return Err(ToolError::invalid("start_time is after end_time"));
        }
        if e - s > 24 * 3600 * 1000 {
            return Err(ToolError::invalid(
                "start_time and end_time may be at most 24 hours apart",
            ));
        }
    }
    Ok(HistoryQuery {
        order_id,
        start_time,
        end_time,
        from_id,
        limit: Some(limit.unwrap_or(100)),
    })
}

pub async fn order_history(tb: &Toolbox, args: HistoryArgs) -> Result<OrdersOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_history")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let orders = tb
        .client(env)
        .all_orders(
            &symbol,
            &history_query(args.order_id, args.start_time, args.end_time, None, args.limit)?,
        )
        .await?;
    Ok(orders_output(env, orders))
}

/// A cancel goes to the store under the client id of the canceled order.
fn record_canceled(tb: &Toolbox, env: Environment, symbol: &str, report: &OrderReport) -> Result<(), ToolError> {
    let now = local_now_ms();
    tb.store()?.record(&LedgerEvent::OrderCanceled {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: symbol.to_owned(),
        order_id: report.order_id,
        client_order_id: report
            .orig_client_order_id
            .clone()
            .unwrap_or_else(|| report.client_order_id.clone()),
    })?;
    Ok(())
}
