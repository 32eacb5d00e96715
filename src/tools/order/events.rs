//! `order_events`: what the exchange reported about orders, read from the journal in the
//! store (user-data events and reconciliations); and the journal check `order_status` adds to
//! Binance's REST answer.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Environment;
use crate::memory::journal::{JournalFill, event_executed_qty};
use crate::memory::ledger::LedgerEvent;
use crate::tools::user_stream::UserStreamStatus;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol};
use spot_client::HistoryQuery;
use spot_types::model::{OrderReport, decimal_field};

const DEFAULT_EVENTS: usize = 20;
const MAX_EVENTS: usize = 200;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderEventsArgs {
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub order_id: Option<u64>,
    /// or list client id
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// default 20, max 200
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One journaled event, flattened for reading.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderEvent {
    /// UTC time the server journaled it.
    pub at: String,
    /// executionReport, listStatus, outboundAccountPosition, balanceUpdate,
    /// eventStreamTerminated, reconciliation (a REST read after an event gap),
    /// cancel_timer_set, cancel_timer_done, or paper (the paper engine; nothing at the exchange).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// NEW, TRADE, CANCELED, EXPIRED, REPLACED, TRADE_PREVENTION (executionReport `x`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why an order expired (executionReport `eR`, or `expiryReason` of a REST read), e.g.
    /// EXECUTION_RULE_PRICE_RANGE_EXCEEDED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_reason: Option<String>,
    /// This trade's quantity and price (TRADE events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_qty: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_price: Option<Decimal>,
    /// Cumulative filled quantity after the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executed_qty: Option<Decimal>,
    /// Balance changes (outboundAccountPosition, balanceUpdate) as Binance sent them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balances: Option<Value>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderEventsOutput {
    pub environment: Environment,
    /// The user-data subscription of this environment.
    pub stream: UserStreamStatus,
    /// Events matching the filters in the journal.
    pub matching: usize,
    /// The most recent matching events, oldest first.
    pub events: Vec<OrderEvent>,
}

impl ToolOutput for OrderEventsOutput {
    fn summary(&self) -> String {
        let last = self
            .events
            .last()
            .map(|e| {
                format!(
                    "; last: {} {} {}",
                    e.kind,
                    e.execution_type.as_deref().unwrap_or(""),
                    e.status.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default();
        format!(
            "{}: {} of {} matching events (user-data stream {}){last}",
            self.environment,
            self.events.len(),
            self.matching,
            self.stream.state
        )
    }
}

fn flatten(
    at: &str,
    kind: &str,
    symbol: &Option<String>,
    order_id: &Option<u64>,
    client: &Option<String>,
    status: &Option<String>,
    data: &Value,
) -> OrderEvent {
    let balances = match kind {
        "outboundAccountPosition" => data.get("B").cloned(),
        "balanceUpdate" => Some(serde_json::json!([{"a": data.get("a"), "d": data.get("d")}])),
        _ => None,
    };
    OrderEvent {
        at: at.to_owned(),
        kind: kind.to_owned(),
        symbol: symbol.clone(),
        order_id: *order_id,
        client_order_id: client.clone(),
        execution_type: data.get("x").and_then(Value::as_str).map(str::to_owned),
        status: status.clone(),
        expiry_reason: data
            .get("eR")
            .or_else(|| data.get("expiryReason"))
            .and_then(Value::as_str)
            .filter(|r| *r != "NONE")
            .map(str::to_owned),
        last_qty: decimal_field(data, "l").filter(|_| kind == "executionReport"),
        last_price: decimal_field(data, "L").filter(|_| kind == "executionReport"),
        executed_qty: event_executed_qty(kind, data),
        balances,
    }
}

/// Timer entries match the symbol and order id filters; a client id filter matches the set entry.
fn timer_matches(
    args: &OrderEventsArgs,
    symbol: &Option<String>,
    timer_symbol: &str,
    order_id: u64,
    client_order_id: Option<&String>,
) -> bool {
    symbol.as_deref().is_none_or(|want| want == timer_symbol)
        && args.order_id.is_none_or(|want| want == order_id)
        && args
            .client_order_id
            .as_ref()
            .is_none_or(|want| client_order_id == Some(want))
}

fn timer_event(
    at: &str,
    kind: &str,
    symbol: &str,
    order_id: u64,
    client_order_id: Option<&String>,
    status: Option<String>,
    executed_qty: Option<Decimal>,
) -> OrderEvent {
    OrderEvent {
        at: at.to_owned(),
        kind: kind.to_owned(),
        symbol: Some(symbol.to_owned()),
        order_id: Some(order_id),
        client_order_id: client_order_id.cloned(),
        execution_type: None,
        status,
        expiry_reason: None,
        last_qty: None,
        last_price: None,
        executed_qty,
        balances: None,
    }
}

pub async fn order_events(toolbox: &Toolbox, args: OrderEventsArgs) -> Result<OrderEventsOutput, ToolError> {
    let env = toolbox.signed_env(args.environment);
    let symbol = args.symbol.as_deref().map(normalize_symbol).transpose()?;
    // Resting paper orders are met with the market first, so their fills are in the journal.
    if !toolbox
        .store()?
        .paper_orders(env, symbol.as_deref(), true, 1)?
        .is_empty()
    {
        crate::tools::paper::refresh_or_note(toolbox, env, symbol.as_deref()).await;
    }
    let limit = match args.limit {
        None => DEFAULT_EVENTS,
        Some(n @ 1..) if (n as usize) <= MAX_EVENTS => n as usize,
        Some(n) => {
            return Err(ToolError::invalid(format!(
                "limit {n} is out of range: give 1 to {MAX_EVENTS}"
            )));
        }
    };
    let filter = crate::store::EventFilter {
        symbol: symbol.clone(),
        order_id: args.order_id,
        client_order_id: args.client_order_id.clone(),
        limit,
    };
    let (page, total) = toolbox.store()?.exchange_events(env, &filter)?;
    let matching: Vec<OrderEvent> = page
        .iter()
        .filter_map(|e| match e {
            LedgerEvent::ExchangeEvent {
                at,
                environment,
                kind,
                symbol: s,
                order_id,
                client_order_id,
                status,
                data,
                ..
            } if *environment == env
                && symbol.as_ref().is_none_or(|want| s.as_ref() == Some(want))
                && args.order_id.is_none_or(|want| *order_id == Some(want))
                && args.client_order_id.as_ref().is_none_or(|want| {
                    client_order_id.as_ref() == Some(want) || data.get("c").and_then(Value::as_str) == Some(want)
                }) =>
            {
                Some(flatten(at, kind, s, order_id, client_order_id, status, data))
            }
            LedgerEvent::PaperEvent {
                at,
                environment,
                symbol: s,
                order_id,
                client_order_id,
                list_client_order_id,
                execution,
                status,
                last_qty,
                last_price,
                executed_qty,
                ..
            } if *environment == env
                && symbol.as_ref().is_none_or(|want| s == want)
                && args.order_id.is_none_or(|want| *order_id == want)
                && args
                    .client_order_id
                    .as_ref()
                    .is_none_or(|want| client_order_id == want || list_client_order_id.as_ref() == Some(want)) =>
            {
                Some(OrderEvent {
                    at: at.clone(),
                    kind: "paper".into(),
                    symbol: Some(s.clone()),
                    order_id: Some(*order_id),
                    client_order_id: Some(client_order_id.clone()),
                    execution_type: Some(execution.clone()),
                    status: Some(status.clone()),
                    last_qty: *last_qty,
                    last_price: *last_price,
                    executed_qty: Some(*executed_qty),
                    // A paper order's expiry (OCO_TRIGGER and the like) shows in order_status.
                    expiry_reason: None,
                    balances: None,
                })
            }
            LedgerEvent::CancelTimerSet {
                at,
                environment,
                symbol: s,
                order_id,
                client_order_id,
                ..
            } if *environment == env && timer_matches(&args, &symbol, s, *order_id, Some(client_order_id)) => Some(
                timer_event(at, "cancel_timer_set", s, *order_id, Some(client_order_id), None, None),
            ),
            LedgerEvent::CancelTimerDone {
                at,
                environment,
                symbol: s,
                order_id,
                outcome,
                status,
                executed_qty,
                ..
            } if *environment == env && timer_matches(&args, &symbol, s, *order_id, None) => Some(timer_event(
                at,
                "cancel_timer_done",
                s,
                *order_id,
                None,
                Some(format!(
                    "{outcome}{}",
                    status.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
                )),
                *executed_qty,
            )),
            _ => None,
        })
        .collect();
    let events = matching;
    Ok(OrderEventsOutput {
        environment: env,
        stream: toolbox.user_streams().status(env),
        matching: total,
        events,
    })
}

/// Whether the event journal agrees with Binance's REST answer about one order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JournalCheck {
    /// true: the journal's last status and filled quantity equal REST's; false: they differ
    /// (REST's state was then journaled as a reconciliation); null: nothing journaled.
    pub agrees: Option<bool>,
    pub events: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal_status: Option<String>,
    /// The user-data subscription state of this environment.
    pub stream: String,
    /// The order's fills: from the events, else from myTrades once the order is final.
    pub fills: Vec<JournalFill>,
    pub note: String,
}

/// Compares `report` with the journal; a lagging journal gets REST's state as a
/// reconciliation, and a final order's fills come from myTrades when no event carried them.
pub async fn journal_check(
    toolbox: &Toolbox,
    env: Environment,
    report: &OrderReport,
) -> Result<JournalCheck, ToolError> {
    let journal = toolbox.store()?.order_journal(env, report.order_id)?;
    let stream = toolbox.user_streams().status(env).state;
    let rest_status = report.status.clone().unwrap_or_default();
    let agrees = (journal.events > 0).then(|| {
        journal.last_status.as_deref() == Some(rest_status.as_str()) && journal.executed_qty == report.executed_qty
    });
    let note = match agrees {
        Some(true) => "the event journal agrees with Binance".to_owned(),
        Some(false) => {
            crate::tools::user_stream::record_reconciliation(toolbox, env, report)?;
            format!(
                "the journal said {} and Binance says {rest_status}: Binance's answer is authoritative and is now journaled",
                journal.last_status.as_deref().unwrap_or("nothing")
            )
        }
        None if stream == "subscribed" => {
            "no event journaled for this order yet (events can trail the REST answer by a moment)".to_owned()
        }
        None => format!("no event journaled: the user-data stream is {stream}"),
    };
    let mut fills = journal.fills;
    let executed = report.executed_qty.unwrap_or_default();
    if fills.is_empty() && report.is_final() && executed > Decimal::ZERO {
        let query = HistoryQuery {
            order_id: Some(report.order_id),
            ..HistoryQuery::default()
        };
        match toolbox.client(env).my_trades(&report.symbol, &query).await {
            Ok(trades) => {
                fills = trades
                    .into_iter()
                    .map(|t| JournalFill {
                        trade_id: i64::try_from(t.id).ok(),
                        price: Some(t.price),
                        qty: Some(t.qty),
                        commission: Some(t.commission),
                        commission_asset: Some(t.commission_asset),
                        time_ms: Some(t.time),
                    })
                    .collect();
            }
            Err(e) => tracing::warn!(error = %e, "could not read the order's trades"),
        }
    }
    Ok(JournalCheck {
        agrees,
        events: journal.events,
        journal_status: journal.last_status,
        stream,
        fills,
        note,
    })
}
