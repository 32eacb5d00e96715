//! Orders after placement: cancel, cancel all, status, open orders, history.

use crate::tools::target::SignedTarget;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::Environment;
use crate::guard;
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use spot_client::clock::local_now_ms;
use spot_client::error::codes;
use spot_client::{HistoryQuery, OrderRef};
use spot_types::model::OrderReport;

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
    #[serde(flatten)]
    pub target: SignedTarget,
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
    /// `live` (an exchange order) or `paper` (the paper engine's; nothing at the exchange).
    pub mode: String,
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
        let expiry = self
            .order
            .expiry_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        format!(
            "{}{} {} order {} ({}): {}{expiry} {} of {}{journal}",
            self.environment,
            if self.mode == "paper" { " PAPER" } else { "" },
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
        mode: "live".into(),
        is_final: order.is_final(),
        filled_percent,
        avg_price,
        order,
        journal: None,
    }
}

/// Whether the order named is a paper order of `symbol` (a paper order named with another
/// symbol is, as at Binance, not found there).
pub(super) fn is_paper_order_of(
    toolbox: &Toolbox,
    env: Environment,
    by: &crate::store::PaperRef,
    symbol: &str,
) -> Result<bool, ToolError> {
    Ok(toolbox
        .store()?
        .paper_order(env, by)?
        .is_some_and(|o| o.symbol == symbol))
}

/// A paper order's output.
fn paper_output(env: Environment, order: &crate::paper_engine::PaperOrder) -> OrderOutput {
    let mut out = order_output(env, crate::tools::paper::report(order));
    out.mode = "paper".into();
    out
}

pub async fn order_cancel(toolbox: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_cancel")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let order_ref = args.order_ref()?;
    if env == Environment::Production {
        toolbox.audit().confirmation(
            env,
            "order_cancel",
            "argument",
            &format!("cancel {symbol} {order_ref:?}"),
        );
    }
    let paper_ref = super::paper_ref(&order_ref);
    if is_paper_order_of(toolbox, env, &paper_ref, &symbol)?
        && let Some(paper) = crate::tools::paper::cancel_order(toolbox, env, &paper_ref).await?
    {
        return Ok(paper_output(env, &paper));
    }
    let report = toolbox.desk().cancel_order(env, &symbol, &order_ref).await?;
    record_canceled(toolbox, env, &symbol, &report)?;
    Ok(order_output(env, report))
}

pub async fn order_status(toolbox: &Toolbox, args: OrderRefArgs) -> Result<OrderOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_status")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let order_ref = args.order_ref()?;
    let paper_ref = super::paper_ref(&order_ref);
    if is_paper_order_of(toolbox, env, &paper_ref, &symbol)?
        && let Some(paper) = crate::tools::paper::find_order(toolbox, env, &paper_ref).await?
    {
        return Ok(paper_output(env, &paper));
    }
    let report = toolbox.client(env).query_order(&symbol, &order_ref).await?;
    let journal = super::journal_check(toolbox, env, &report).await?;
    let mut out = order_output(env, report);
    out.journal = Some(journal);
    Ok(out)
}

// ---- order_cancel_all / order_open_list / order_history -------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SymbolScopeArgs {
    pub symbol: String,
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenOrdersArgs {
    /// absent: all (weight 80, not 6)
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrdersOutput {
    pub environment: Environment,
    /// `live` or `paper` (BINANCE_TRADE_MODE).
    pub mode: String,
    pub count: usize,
    /// The exchange's orders.
    pub orders: Vec<OrderReport>,
    /// True when only the latest 100 are listed.
    pub truncated: bool,
    /// Paper orders (the paper engine's; nothing at the exchange), when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paper_orders: Vec<OrderReport>,
    /// Set when the paper orders could not be looked at against the market just now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paper_note: Option<String>,
}

impl ToolOutput for OrdersOutput {
    fn summary(&self) -> String {
        let shown: Vec<String> = self
            .orders
            .iter()
            .take(5)
            .map(|o| format!("{} {} {}", o.symbol, o.order_id, o.status.as_deref().unwrap_or("?")))
            .collect();
        let paper: Vec<String> = self
            .paper_orders
            .iter()
            .take(5)
            .map(|o| format!("{} {} {}", o.symbol, o.order_id, o.status.as_deref().unwrap_or("?")))
            .collect();
        format!(
            "{}: {} orders{}{}{}",
            self.environment,
            self.count,
            if shown.is_empty() { "" } else { ": " },
            shown.join(", "),
            if paper.is_empty() {
                String::new()
            } else {
                format!("; {} PAPER orders: {}", self.paper_orders.len(), paper.join(", "))
            }
        )
    }
}

const MAX_ORDERS_LISTED: usize = 100;

fn orders_output(toolbox: &Toolbox, env: Environment, mut orders: Vec<OrderReport>) -> OrdersOutput {
    let count = orders.len();
    let skip = count.saturating_sub(MAX_ORDERS_LISTED);
    let orders = orders.split_off(skip);
    OrdersOutput {
        environment: env,
        mode: match toolbox.config().trade_mode {
            crate::config::TradeMode::Live => "live",
            crate::config::TradeMode::Paper => "paper",
        }
        .into(),
        count,
        orders,
        truncated: skip > 0,
        paper_orders: Vec::new(),
        paper_note: None,
    }
}

/// Adds `env`'s paper orders (of `symbol`, or all), after a look at the market; `open_only`
/// for the open ones.
async fn with_paper(
    toolbox: &Toolbox,
    env: Environment,
    symbol: Option<&str>,
    open_only: bool,
    mut out: OrdersOutput,
) -> Result<OrdersOutput, ToolError> {
    let any_open = !toolbox.store()?.paper_orders(env, symbol, true, 1)?.is_empty();
    if any_open {
        out.paper_note = crate::tools::paper::refresh_or_note(toolbox, env, symbol).await;
    }
    out.paper_orders = toolbox
        .store()?
        .paper_orders(env, symbol, open_only, MAX_ORDERS_LISTED)?
        .iter()
        .map(crate::tools::paper::report)
        .collect();
    Ok(out)
}

pub async fn order_cancel_all(toolbox: &Toolbox, args: SymbolScopeArgs) -> Result<OrdersOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_cancel_all")?;
    let symbol = normalize_symbol(&args.symbol)?;
    if env == Environment::Production {
        toolbox
            .audit()
            .confirmation(env, "order_cancel_all", "argument", &format!("cancel all {symbol}"));
    }
    let canceled = match toolbox.desk().cancel_all(env, &symbol).await {
        Ok(c) => c,
        // Binance answers "Unknown order sent." when there is nothing to cancel.
        Err(e) if e.code() == Some(codes::CANCEL_REJECTED) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    for report in &canceled {
        record_canceled(toolbox, env, &symbol, report)?;
    }
    let mut out = orders_output(toolbox, env, canceled);
    out.paper_orders = crate::tools::paper::cancel_all(toolbox, env, Some(&symbol))
        .await?
        .iter()
        .map(crate::tools::paper::report)
        .collect();
    Ok(out)
}

/// The emergency stop's cancel (`binance-mcp halt --cancel-open`): every open order and order
/// list in `env`, symbol by symbol, each cancel journaled. Returns (symbol, orders canceled).
pub async fn cancel_every_open_order(toolbox: &Toolbox, env: Environment) -> Result<Vec<(String, usize)>, ToolError> {
    let open = toolbox.client(env).open_orders(None).await?;
    let symbols: std::collections::BTreeSet<String> = open.iter().map(|o| o.symbol.clone()).collect();
    let mut done = Vec::new();
    for symbol in symbols {
        let canceled = match toolbox.desk().cancel_all(env, &symbol).await {
            Ok(c) => c,
            Err(e) if e.code() == Some(codes::CANCEL_REJECTED) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        for report in &canceled {
            record_canceled(toolbox, env, &symbol, report)?;
        }
        done.push((symbol, canceled.len()));
    }
    let paper = crate::tools::paper::cancel_all(toolbox, env, None).await?;
    let symbols: std::collections::BTreeSet<String> = paper.iter().map(|o| o.symbol.clone()).collect();
    for symbol in symbols {
        let count = paper.iter().filter(|o| o.symbol == symbol).count();
        done.push((format!("{symbol} (paper)"), count));
    }
    Ok(done)
}

pub async fn order_open_list(toolbox: &Toolbox, args: OpenOrdersArgs) -> Result<OrdersOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_open_list")?;
    let symbol = args.symbol.as_deref().map(normalize_symbol).transpose()?;
    let orders = toolbox.client(env).open_orders(symbol.as_deref()).await?;
    with_paper(
        toolbox,
        env,
        symbol.as_deref(),
        true,
        orders_output(toolbox, env, orders),
    )
    .await
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
    #[serde(flatten)]
    pub target: SignedTarget,
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

pub async fn order_history(toolbox: &Toolbox, args: HistoryArgs) -> Result<OrdersOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_history")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let orders = toolbox
        .client(env)
        .all_orders(
            &symbol,
            &history_query(args.order_id, args.start_time, args.end_time, None, args.limit)?,
        )
        .await?;
    with_paper(toolbox, env, Some(&symbol), false, orders_output(toolbox, env, orders)).await
}

/// A cancel goes to the store under the client id of the canceled order.
fn record_canceled(toolbox: &Toolbox, env: Environment, symbol: &str, report: &OrderReport) -> Result<(), ToolError> {
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::OrderCanceled {
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
