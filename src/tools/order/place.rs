//! `order_place`: the gate, the store, the request, and reconciliation of an unknown outcome
//! (recorded through `outcome`); paper orders (handed to `crate::tools::paper`) and the
//! first-success runbook.

use std::time::Duration;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use super::outcome::{
    RECONCILE_BACKOFF_MS, is_unknown_outcome, record_reconciled, record_rejected, record_unknown, report_lost_answer,
};
use super::{OrderArgs, describe_order, notional, validate_and_capture};
use crate::config::{Environment, TradeMode};
use crate::guard;
use crate::memory::ledger::LedgerEvent;
use crate::store::ReservationRequest;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};
use spot_client::OrderRef;
use spot_client::clock::local_now_ms;
use spot_client::error::codes;
use spot_types::model::{NewOrder, OrderReport, SymbolInfo};

// ---- order_place ----------------------------------------------------------------------------

/// What is known about a placed order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlaceOutput {
    pub environment: Environment,
    /// `live` or `paper`.
    pub mode: String,
    pub client_order_id: String,
    pub order_id: Option<u64>,
    /// Binance status (NEW, PARTIALLY_FILLED, FILLED ...; a paper order's status in the paper engine), or `UNKNOWN`.
    pub status: String,
    /// True when the status is not confirmed by a query: check order_status before acting on it.
    pub provisional: bool,
    /// `accepted`, `reconciled_after_unknown_outcome`, `absent_after_unknown_outcome`, `unknown`, `paper`.
    pub outcome: String,
    pub executed_qty: Option<Decimal>,
    /// Average fill price (cumulative quote / executed quantity).
    pub avg_price: Option<Decimal>,
    pub order: NewOrder,
    /// The latest report from Binance.
    pub report: Option<OrderReport>,
    /// With cancel_after_seconds: when the server cancels what is unfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_timer: Option<CancelTimer>,
    /// Rules that changed since the symbol was last seen (filter, old -> new); also in incidents.md.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub filter_changes: Vec<String>,
    pub next_step: String,
}

/// A cancel timer armed by `order_place`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CancelTimer {
    /// UTC time the unfilled rest is canceled.
    pub due_at: String,
    pub due_ms: i64,
    /// False under `binance-mcp call`: the timer waits in the store for the next `serve`.
    pub running: bool,
}

impl ToolOutput for PlaceOutput {
    fn summary(&self) -> String {
        format!(
            "{} ({}): {} -> {}{} [client id {}{}]{}",
            self.environment,
            if self.mode == "paper" {
                "PAPER"
            } else {
                self.mode.as_str()
            },
            describe_order(&self.order),
            self.status,
            if self.provisional { " (provisional)" } else { "" },
            self.client_order_id,
            self.order_id.map(|id| format!(", order id {id}")).unwrap_or_default(),
            super::filter_change_note(&self.filter_changes)
        )
    }
}

/// How the human confirmed a production order, for the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Not production.
    NotNeeded,
    /// `confirm_production: true` (the client cannot ask the human, and BINANCE_PRODUCTION_APPROVAL=auto).
    Argument,
    /// The human approved the exact order in the client.
    Elicited,
}

/// What the human is shown before approving a production write: the money it can commit and
/// the day's total once it is counted (DESIGN §4 step 4).
#[derive(Clone, Debug, Default)]
pub struct MoneyAtStake {
    pub worst_case_notional: Option<Decimal>,
    pub quote_asset: Option<String>,
    pub day_total_after: Option<Decimal>,
    pub daily_limit: Option<Decimal>,
}

impl MoneyAtStake {
    /// The figures for an order (or list) of `worst_case` in `symbol`'s quote asset.
    pub(super) fn of(
        toolbox: &Toolbox,
        env: Environment,
        symbol: &SymbolInfo,
        worst_case: Option<Decimal>,
    ) -> Result<MoneyAtStake, ToolError> {
        let quote = symbol.quote_asset.clone();
        let today = toolbox.store()?.day_notional(env, &quote, local_now_ms())?;
        Ok(MoneyAtStake {
            worst_case_notional: worst_case,
            day_total_after: Some(today + worst_case.unwrap_or_default()),
            daily_limit: toolbox.preferences()?.daily_limit(env, &quote),
            quote_asset: Some(quote),
        })
    }
}

/// The money an order puts at stake, for the human's approval (cached rules and reference
/// price; the placement validates and captures everything itself).
pub async fn order_money_at_stake(
    toolbox: &Toolbox,
    env: Environment,
    order: &NewOrder,
) -> Result<MoneyAtStake, ToolError> {
    let (symbol, reference) = super::rules_and_reference(toolbox, env, &order.symbol).await?;
    MoneyAtStake::of(toolbox, env, &symbol, notional(order, reference))
}

/// DESIGN §4 step 3 for an order or a list: kill switch, read-only, limits, one unused test, a
/// new client id and today's notional, checked and reserved in one transaction; a production
/// reservation is audited with how the human confirmed it.
pub(super) fn reserve(
    toolbox: &Toolbox,
    request: &ReservationRequest,
    prefs: &crate::memory::preferences::Preferences,
    approval: Approval,
    tool: &str,
    description: &str,
) -> Result<crate::store::Reservation, ToolError> {
    let reservation = toolbox.store()?.reserve(request, prefs, || {
        guard::require_trading_allowed(toolbox.config(), toolbox.memory())
    })??;
    if request.environment == Environment::Production {
        let how = if approval == Approval::Elicited {
            "elicitation_accepted"
        } else {
            "argument"
        };
        toolbox
            .audit()
            .confirmation(request.environment, tool, how, description);
    }
    Ok(reservation)
}

/// The gate's checks that need no Binance call, run before the human is asked: never ask about
/// an order the gate refuses anyway. The placement checks them again, atomically.
pub fn local_order_gate(toolbox: &Toolbox, env: Environment, order: &NewOrder) -> Result<(), ToolError> {
    guard::require_trading_allowed(toolbox.config(), toolbox.memory())?;
    let since = local_now_ms() - guard::TEST_VALIDITY.as_millis() as i64;
    if toolbox
        .store()?
        .has_unused_test(env, &guard::order_identity(order), since)?
    {
        Ok(())
    } else {
        Err(guard::no_recent_test(env, "order").into())
    }
}

pub async fn order_place(toolbox: &Toolbox, args: OrderArgs, approval: Approval) -> Result<PlaceOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_place")?;
    // Refused early when already halted; the decisive check runs again inside the reservation.
    guard::require_trading_allowed(toolbox.config(), toolbox.memory())?;
    let mut order = args.to_order()?;
    let cancel_after = args.cancel_after()?;
    let client_order_id = guard::client_order_id(order.new_client_order_id.as_deref())?;
    let prefs = toolbox.preferences()?;
    let c = validate_and_capture(toolbox, "order_place", env, &order, true).await?;
    if !c.validation.valid {
        return Err(super::refuse_checked(&c));
    }
    let rehearsal_required =
        env == Environment::Production && listed_on_a_rehearsal_environment(toolbox, &order.symbol).await?;
    // Paper mode: the mirrored market is read before anything is reserved.
    let paper_touch = if toolbox.config().trade_mode == TradeMode::Paper {
        Some(crate::tools::paper::touch(toolbox, env, &order.symbol).await?)
    } else {
        None
    };
    order.new_client_order_id = Some(client_order_id.clone());
    let shape = guard::order_shape(&order);
    let first_of_shape = env == Environment::Production && !toolbox.store()?.shape_accepted(env, &shape)?;
    let request = ReservationRequest {
        environment: env,
        client_order_id: client_order_id.clone(),
        leg_client_order_ids: Vec::new(),
        ids_given: args.client_order_id.is_some(),
        identity: guard::order_identity(&order),
        shape,
        symbol: order.symbol.clone(),
        quote_asset: c.symbol.quote_asset.clone(),
        worst_case_notional: notional(&order, c.reference_price),
        payload: serde_json::to_value(&order).unwrap_or_default(),
        now_ms: local_now_ms(),
        rehearsal_required,
        what: "order",
    };
    let reservation = reserve(
        toolbox,
        &request,
        &prefs,
        approval,
        "order_place",
        &describe_order(&order),
    )?;
    if let Some(touch) = paper_touch {
        return paper_placed(toolbox, env, order, reservation, &c.symbol, &touch, cancel_after).map(|mut out| {
            out.filter_changes = c.filter_changes;
            out
        });
    }
    match toolbox.desk().place_order(reservation, order.clone()).await {
        Ok(report) => {
            let now = local_now_ms();
            let shape = guard::order_shape(&order);
            toolbox.store()?.record(&LedgerEvent::OrderAccepted {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id: client_order_id.clone(),
                order_id: report.order_id,
                status: report.status.clone().unwrap_or_default(),
                shape: Some(shape),
                symbol: Some(order.symbol.clone()),
            })?;
            if env == Environment::Production {
                toolbox.user_streams().follow_production();
            }
            // The placement answer is provisional; a query confirms the state.
            let confirmed = toolbox
                .client(env)
                .query_order(&order.symbol, &OrderRef::ClientId(client_order_id.clone()))
                .await;
            let (report, provisional) = match confirmed {
                Ok(q) => (merge_fills(q, &report), false),
                Err(e) => {
                    tracing::warn!(error = %e, "could not confirm the placed order");
                    (report, true)
                }
            };
            let mut out = placed(env, order, client_order_id, report, provisional, "accepted");
            out.filter_changes = c.filter_changes.clone();
            if first_of_shape {
                write_runbook(toolbox, &out, &c.symbol);
            }
            arm_cancel_timer(toolbox, env, &mut out, cancel_after)?;
            Ok(out)
        }
        Err(e) if is_unknown_outcome(&e) => {
            record_unknown(toolbox, env, &client_order_id, &e)?;
            let mut out = reconcile(toolbox, env, order, client_order_id, e.to_string()).await;
            if let Ok(placed) = out.as_mut() {
                placed.filter_changes = c.filter_changes.clone();
                arm_cancel_timer(toolbox, env, placed, cancel_after)?;
            }
            let action = match &out {
                Ok(o) => format!(
                    "did NOT resend; queried the order by client id: outcome {}, status {}",
                    o.outcome, o.status
                ),
                Err(err) => format!("did NOT resend; reconciliation failed: {err}"),
            };
            report_lost_answer(toolbox, env, &e, "order placement", action);
            out
        }
        Err(e) => {
            record_rejected(
                toolbox,
                env,
                client_order_id,
                &e,
                "order not placed; returned the error to the agent",
            )?;
            Err(e.into())
        }
    }
}

/// Journals and starts the `cancel_after_seconds` timer of an order that rests on the book.
fn arm_cancel_timer(
    toolbox: &Toolbox,
    env: Environment,
    out: &mut PlaceOutput,
    cancel_after: Option<u32>,
) -> Result<(), ToolError> {
    let (Some(seconds), Some(order_id)) = (cancel_after, out.order_id) else {
        return Ok(());
    };
    if out.report.as_ref().is_none_or(OrderReport::is_final) {
        return Ok(());
    }
    let now = local_now_ms();
    let due_ms = now + i64::from(seconds) * 1000;
    let timer = crate::memory::journal::PendingTimer {
        environment: env,
        symbol: out.order.symbol.clone(),
        order_id,
        client_order_id: out.client_order_id.clone(),
        due_ms,
    };
    toolbox.store()?.record(&LedgerEvent::CancelTimerSet {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: timer.symbol.clone(),
        order_id,
        client_order_id: timer.client_order_id.clone(),
        due_ms,
    })?;
    let running = toolbox.timers().running();
    toolbox.timers().schedule(timer);
    out.cancel_timer = Some(CancelTimer {
        due_at: utc(due_ms),
        due_ms,
        running,
    });
    out.next_step = format!(
        "{} Whatever is unfilled at {} is canceled by the server{}; order_events shows the outcome.",
        out.next_step,
        utc(due_ms),
        if running {
            ""
        } else {
            " when `binance-mcp serve` next runs"
        }
    );
    Ok(())
}

/// The first time an order shape succeeds in production, its steps go to runbooks.md.
fn write_runbook(toolbox: &Toolbox, out: &PlaceOutput, symbol: &SymbolInfo) {
    append_runbook(
        toolbox,
        &format!(
            "first production order of this shape: {}",
            guard::order_shape(&out.order)
        ),
        &[
            "order_validate: passed the local filters".to_owned(),
            "order_test: passed on production (and this shape was rehearsed on testnet or demo before)".to_owned(),
            format!(
                "order_place: {}, client order id {}",
                describe_order(&out.order),
                out.client_order_id
            ),
            format!(
                "reconcile: order_status says {}{}",
                out.status,
                provisional_note(out.provisional)
            ),
        ],
        symbol,
    );
}

pub(super) fn provisional_note(provisional: bool) -> &'static str {
    if provisional {
        " (provisional: not yet confirmed by a query)"
    } else {
        ""
    }
}

/// Appends a runbook entry: a dated title, the numbered steps that worked, the filters used.
pub(super) fn append_runbook(toolbox: &Toolbox, title: &str, steps: &[String], symbol: &SymbolInfo) {
    let at = crate::memory::incidents::human_time(local_now_ms());
    let rules: Vec<String> = symbol
        .filters
        .iter()
        .map(spot_filters::SymbolFilter::describe)
        .map(|r| format!("  - {r}"))
        .collect();
    let steps: Vec<String> = steps
        .iter()
        .enumerate()
        .map(|(i, step)| format!("{}. {step}", i + 1))
        .collect();
    let text = format!(
        "\n## {at} · {title}\n_Written automatically by binance-mcp._\n\n{}\n\nFilters used:\n{}\n",
        steps.join("\n"),
        rules.join("\n"),
    );
    if let Err(e) = toolbox.memory().append_text("runbooks.md", &text) {
        tracing::warn!(error = %e, "could not write runbooks.md");
    }
}

/// Queries by client order id until Binance says whether the order exists; never re-sends.
async fn reconcile(
    toolbox: &Toolbox,
    env: Environment,
    order: NewOrder,
    client_order_id: String,
    cause: String,
) -> Result<PlaceOutput, ToolError> {
    let mut absent = false;
    for delay in RECONCILE_BACKOFF_MS {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        match toolbox
            .client(env)
            .query_order(&order.symbol, &OrderRef::ClientId(client_order_id.clone()))
            .await
        {
            Ok(report) => {
                record_reconciled(
                    toolbox,
                    env,
                    &client_order_id,
                    "exists",
                    Some(report.order_id),
                    report.status.clone(),
                )?;
                let mut out = placed(
                    env,
                    order,
                    client_order_id,
                    report,
                    false,
                    "reconciled_after_unknown_outcome",
                );
                out.next_step = format!(
                    "The placement answer was lost ({cause}); the order was found by its client id. Do not place it again. {}",
                    out.next_step
                );
                return Ok(out);
            }
            Err(e) if e.code() == Some(codes::NO_SUCH_ORDER) => absent = true,
            Err(e) => tracing::warn!(error = %e, "reconciliation query failed"),
        }
    }
    let outcome = if absent { "absent" } else { "still_unknown" };
    record_reconciled(toolbox, env, &client_order_id, outcome, None, None)?;
    Ok(PlaceOutput {
        environment: env,
        mode: "live".into(),
        client_order_id: client_order_id.clone(),
        order_id: None,
        status: if absent { "NOT_FOUND".into() } else { "UNKNOWN".into() },
        provisional: true,
        outcome: if absent {
            "absent_after_unknown_outcome".into()
        } else {
            "unknown".into()
        },
        executed_qty: None,
        avg_price: None,
        order,
        report: None,
        cancel_timer: None,
        filter_changes: Vec::new(),
        next_step: format!(
            "The placement answer was lost ({cause}) and Binance {} this client id. Do NOT send the order again: check order_status with client_order_id {client_order_id} and order_open_list first, and tell the human.",
            if absent {
                "does not (yet) know"
            } else {
                "could not be asked about"
            }
        ),
    })
}

/// A query answer has no fills; keep the placement's fills next to the confirmed status.
fn merge_fills(mut query: OrderReport, placement: &OrderReport) -> OrderReport {
    if query.fills.is_empty() {
        query.fills = placement.fills.clone();
    }
    query
}

fn placed(
    env: Environment,
    order: NewOrder,
    client_order_id: String,
    report: OrderReport,
    provisional: bool,
    outcome: &str,
) -> PlaceOutput {
    let executed = report.executed_qty;
    let avg_price = match (report.cummulative_quote_qty, executed) {
        (Some(quote), Some(qty)) if !qty.is_zero() && quote >= Decimal::ZERO => {
            Some((quote / qty).round_dp(8).normalize())
        }
        _ => None,
    };
    let status = report.status.clone().unwrap_or_else(|| "UNKNOWN".into());
    let next_step = if let Some(reason) = report.expiry_reason.as_deref().filter(|r| *r != "NONE") {
        let why = if reason == spot_filters::execution_rule::PRICE_RANGE_EXCEEDED {
            " Binance's Price Range Execution Rule stopped it at a price outside the range around the reference price; what filled before stays filled. order_validate shows the range: use a smaller quantity, or a LIMIT price inside it."
        } else {
            ""
        };
        format!("The order is {status} (expiryReason {reason}).{why} Check balances with account_balances if needed.")
    } else if report.is_final() {
        format!("The order is {status}. Check balances with account_balances if needed.")
    } else {
        format!(
            "The order is {status}. Follow it with order_status (client_order_id {client_order_id}); cancel with order_cancel."
        )
    };
    PlaceOutput {
        environment: env,
        mode: "live".into(),
        client_order_id,
        order_id: Some(report.order_id),
        status,
        provisional,
        outcome: outcome.into(),
        executed_qty: executed.map(|q| q.normalize()),
        avg_price,
        order,
        report: Some(report),
        cancel_timer: None,
        filter_changes: Vec::new(),
        next_step,
    }
}

pub(super) async fn listed_on_a_rehearsal_environment(toolbox: &Toolbox, symbol: &str) -> Result<bool, ToolError> {
    for env in [Environment::Testnet, Environment::Demo] {
        match toolbox.symbols(env, &[symbol.to_owned()]).await {
            Ok(_) => return Ok(true),
            Err(ToolError::Binance(e)) if e.code() == Some(codes::BAD_SYMBOL) => continue,
            Err(ToolError::InvalidArgument(_)) => continue,
            Err(e) => {
                return Err(ToolError::Refused(guard::Refusal {
                    rule: "rehearse_on_testnet",
                    reason: format!("cannot check whether {symbol} is listed on {env}: {e}"),
                    what_to_do: "Retry when testnet is reachable; production orders need a rehearsal of their shape there first.".into(),
                }));
            }
        }
    }
    Ok(false)
}

/// Paper mode: the reservation is used up by the paper matching engine instead of the
/// exchange (`crate::tools::paper`); the order rests, fills or expires there.
fn paper_placed(
    toolbox: &Toolbox,
    env: Environment,
    order: NewOrder,
    reservation: crate::store::Reservation,
    symbol: &SymbolInfo,
    touch: &crate::paper_engine::Touch,
    cancel_after: Option<u32>,
) -> Result<PlaceOutput, ToolError> {
    let client_order_id = reservation.client_order_id().to_owned();
    let paper = crate::tools::paper::place_order(toolbox, env, &order, reservation, symbol, touch, cancel_after)?;
    let mut out = placed(
        env,
        order,
        client_order_id,
        crate::tools::paper::report(&paper),
        false,
        "paper",
    );
    out.mode = "paper".into();
    if let Some(due_ms) = paper.cancel_at_ms.filter(|_| paper.is_open()) {
        out.cancel_timer = Some(CancelTimer {
            due_at: utc(due_ms),
            due_ms,
            running: toolbox.timers().running(),
        });
    }
    out.next_step = format!("{} {}", crate::tools::paper::PAPER_NOTE, out.next_step);
    Ok(out)
}
