//! `order_list_place` (OCO, OTO, OTOCO, OPO, OPOCO), and the list output `order_list_cancel`
//! also answers with. A list goes through the same gate as a single order: every leg is
//! validated against the filters, every leg is tested at Binance (`test_only: true`; Binance has
//! no test endpoint for lists, so each leg is tested as the order it will become), production
//! needs confirmation and a rehearsal of the list's shape, client ids are reserved in the store
//! before sending, and a lost answer is reconciled by the list client id, never re-sent.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use super::list_plan::{ListType, PlannedList, list_worst_case_notional};
use super::outcome::{
    RECONCILE_BACKOFF_MS, is_unknown_outcome, record_reconciled, record_rejected, record_unknown, report_lost_answer,
};
use super::place::Approval;
use super::{Checked, OrderListArgs, check_limits, describe_order, notional, validate_and_capture};
use crate::config::{Environment, TradeMode};
use crate::guard::{self, TEST_VALIDITY};
use crate::memory::ledger::LedgerEvent;
use crate::store::ReservationRequest;
use crate::tools::{ToolError, ToolOutput, Toolbox, utc};
use spot_client::clock::local_now_ms;
use spot_client::error::codes;
use spot_client::{BinanceError, OrderListRef};
use spot_types::model::OrderListReport;

/// One leg in the output.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListLegOutcome {
    /// above, below, working, pending
    pub role: String,
    pub client_order_id: Option<String>,
    pub order_id: Option<u64>,
    pub order: String,
    /// NEW, PENDING_NEW (waits for the working order), FILLED, EXPIRED …
    pub status: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct OrderListOutput {
    pub environment: Environment,
    /// test (nothing placed), live, canceled, paper (the paper engine, nothing at the exchange)
    pub mode: String,
    pub list_type: Option<ListType>,
    pub list_client_order_id: Option<String>,
    pub order_list_id: Option<i64>,
    /// Binance's listOrderStatus: EXECUTING, ALL_DONE, REJECT (or UNKNOWN / NOT_FOUND after a lost answer).
    pub list_status: Option<String>,
    pub legs: Vec<ListLegOutcome>,
    /// True when not confirmed by a query: check order_events or order_open_list before acting.
    pub provisional: bool,
    pub next_step: String,
    /// Rules that changed since the symbol was last seen (filter, old -> new); also in incidents.md.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter_changes: Vec<String>,
}

impl ToolOutput for OrderListOutput {
    fn summary(&self) -> String {
        let legs: Vec<String> = self
            .legs
            .iter()
            .map(|l| format!("{} {}", l.role, l.status.as_deref().unwrap_or("-")))
            .collect();
        let kind = self
            .list_type
            .map(|t| t.as_str().to_uppercase())
            .unwrap_or_else(|| "order".into());
        let id = self
            .list_client_order_id
            .as_deref()
            .map(|id| format!(" {id}"))
            .unwrap_or_default();
        let status = self
            .list_status
            .as_deref()
            .map(|s| format!(" -> {s}"))
            .unwrap_or_default();
        format!(
            "{} ({}): {kind} list{id}{status} [{}]{}",
            self.environment,
            if self.mode == "paper" {
                "PAPER"
            } else {
                self.mode.as_str()
            },
            legs.join(", "),
            super::filter_change_note(&self.filter_changes)
        )
    }
}

fn leg_outcomes(plan: &PlannedList, report: Option<&OrderListReport>) -> Vec<ListLegOutcome> {
    plan.legs
        .iter()
        .map(|(role, order)| {
            let client = order.new_client_order_id.clone();
            let found = report.and_then(|r| {
                r.order_reports
                    .iter()
                    .find(|o| Some(&o.client_order_id) == client.as_ref())
                    .map(|o| (Some(o.order_id), o.status.clone()))
                    .or_else(|| {
                        r.orders
                            .iter()
                            .find(|o| Some(&o.client_order_id) == client.as_ref())
                            .map(|o| (Some(o.order_id), None))
                    })
            });
            let (order_id, status) = found.unwrap_or((None, None));
            ListLegOutcome {
                role: role.as_str().to_owned(),
                client_order_id: client,
                order_id,
                order: plan.describe_leg(*role, order),
                status,
            }
        })
        .collect()
}

/// The gate's checks that need no Binance call, also run before the human is asked.
pub fn local_gate(toolbox: &Toolbox, env: Environment, plan: &PlannedList) -> Result<(), ToolError> {
    guard::require_trading_allowed(toolbox.config(), toolbox.memory())?;
    let since = local_now_ms() - TEST_VALIDITY.as_millis() as i64;
    if toolbox.store()?.has_unused_test(env, &plan.identity(), since)? {
        Ok(())
    } else {
        Err(guard::no_recent_test(env, "list").into())
    }
}

/// The money a list puts at stake, for the human's approval.
pub async fn list_money_at_stake(
    toolbox: &Toolbox,
    env: Environment,
    plan: &PlannedList,
) -> Result<super::place::MoneyAtStake, ToolError> {
    let (symbol, reference) = super::rules_and_reference(toolbox, env, &plan.symbol).await?;
    super::place::MoneyAtStake::of(toolbox, env, &symbol, list_notional(plan, reference))
}

/// The list's worst-case notional; every leg trades the list's symbol, so one reference price.
fn list_notional(plan: &PlannedList, reference: Option<rust_decimal::Decimal>) -> Option<rust_decimal::Decimal> {
    let legs: Vec<_> = plan
        .legs
        .iter()
        .map(|(role, order)| (*role, notional(order, reference)))
        .collect();
    list_worst_case_notional(&legs)
}

pub async fn order_list_place(
    toolbox: &Toolbox,
    args: OrderListArgs,
    approval: Approval,
) -> Result<OrderListOutput, ToolError> {
    let mut filter_changes = Vec::new();
    let mut out = place_or_test_list(toolbox, args, approval, &mut filter_changes).await?;
    out.filter_changes = filter_changes;
    Ok(out)
}

/// `order_list_place`; `filter_changes` gets the rule changes the legs' checks saw.
async fn place_or_test_list(
    toolbox: &Toolbox,
    args: OrderListArgs,
    approval: Approval,
    filter_changes: &mut Vec<String>,
) -> Result<OrderListOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_list_place")?;
    let mut plan = args.plan()?;
    if !args.test_only {
        guard::require_trading_allowed(toolbox.config(), toolbox.memory())?;
    }
    let tool = "order_list_place";
    let mut checked = Vec::new();
    for (role, order) in &plan.legs {
        let c = validate_and_capture(toolbox, tool, env, order, true).await?;
        filter_changes.extend(c.filter_changes.iter().cloned());
        if !c.validation.valid {
            let why = match super::refuse_checked(&Checked {
                filter_changes: filter_changes.clone(),
                ..c
            }) {
                ToolError::InvalidArgument(why) => why,
                other => other.to_string(),
            };
            return Err(ToolError::invalid(format!("the {} order: {why}", role.as_str())));
        }
        checked.push(c);
    }
    if plan.side.is_some() {
        let prices = toolbox
            .client(env)
            .ticker_price(std::slice::from_ref(&plan.symbol))
            .await?;
        if let Some(last) = prices.first() {
            plan.check_pair_prices(last.price)?;
        }
    }
    let symbol_info = checked
        .first()
        .map(|c| c.symbol.clone())
        .ok_or_else(|| ToolError::internal("a list without legs"))?;
    require_list_allowed(plan.list_type, &symbol_info)?;
    let worst_case = list_notional(&plan, checked.first().and_then(|c| c.reference_price));
    if args.test_only {
        // The human's limits bind the test too, as with order_test: a pass means placeable.
        let prefs = toolbox.preferences()?;
        check_limits(toolbox, &prefs, env, &symbol_info, worst_case)?;
        return test_list(toolbox, env, &plan).await;
    }
    // Paper mode: the mirrored market is read before anything is reserved.
    let paper_touch = if toolbox.config().trade_mode == TradeMode::Paper {
        Some(crate::tools::paper::touch(toolbox, env, &plan.symbol).await?)
    } else {
        None
    };
    let prefs = toolbox.preferences()?;
    let rehearsal_required = env == Environment::Production
        && super::place::listed_on_a_rehearsal_environment(toolbox, &plan.symbol).await?;
    // Ids are ours and journaled before anything leaves, so a lost answer can be looked up.
    let ids_given =
        plan.list_client_order_id.is_some() || plan.legs.iter().any(|(_, o)| o.new_client_order_id.is_some());
    let identity = plan.identity();
    let shape = plan.shape();
    let list_client_order_id = guard::client_order_id(plan.list_client_order_id.as_deref())?;
    for (_, order) in plan.legs.iter_mut() {
        order.new_client_order_id = Some(guard::client_order_id(order.new_client_order_id.as_deref())?);
    }
    let request = ReservationRequest {
        environment: env,
        client_order_id: list_client_order_id.clone(),
        leg_client_order_ids: plan
            .legs
            .iter()
            .filter_map(|(_, o)| o.new_client_order_id.clone())
            .collect(),
        ids_given,
        identity,
        shape: shape.clone(),
        symbol: plan.symbol.clone(),
        quote_asset: symbol_info.quote_asset.clone(),
        worst_case_notional: worst_case,
        payload: serde_json::json!({
            "symbol": plan.symbol,
            "list_type": plan.list_type,
            "legs": plan.legs.iter().map(|(r, o)| serde_json::json!({"role": r.as_str(), "order": o})).collect::<Vec<_>>(),
        }),
        now_ms: local_now_ms(),
        rehearsal_required,
        what: "list",
    };
    let first_of_shape = env == Environment::Production && !toolbox.store()?.shape_accepted(env, &shape)?;
    let reservation = super::place::reserve(toolbox, &request, &prefs, approval, tool, &plan.describe())?;
    if let Some(touch) = paper_touch {
        return paper_list(toolbox, env, &plan, reservation, &symbol_info, &touch);
    }
    let sent = toolbox
        .desk()
        .place_order_list(reservation, plan.list_type.as_str(), |id| plan.params(id))
        .await;
    match sent {
        Ok(report) => {
            record_accepted(toolbox, env, &plan, &report, Some(shape.clone()))?;
            let confirmed = toolbox
                .client(env)
                .query_order_list(&OrderListRef::ClientId(list_client_order_id.clone()))
                .await;
            let provisional = confirmed.is_err();
            let status = confirmed
                .map(|q| q.list_order_status)
                .unwrap_or_else(|_| report.list_order_status.clone());
            if first_of_shape {
                super::place::append_runbook(
                    toolbox,
                    &format!("first production {} list of this shape: {shape}", plan.list_type.as_str().to_uppercase()),
                    &[
                        "order_list_place with test_only: true: every leg passed the local filters and Binance's test (the shape was rehearsed on testnet or demo before)".to_owned(),
                        format!("order_list_place: {}, list client order id {list_client_order_id}", plan.describe()),
                        format!(
                            "reconcile: the list is {status}{}",
                            super::place::provisional_note(provisional)
                        ),
                    ],
                    &symbol_info,
                );
            }
            Ok(OrderListOutput {
                environment: env,
                mode: "live".into(),
                list_type: Some(plan.list_type),
                list_client_order_id: Some(list_client_order_id),
                order_list_id: Some(report.order_list_id),
                list_status: Some(status),
                legs: leg_outcomes(&plan, Some(&report)),
                provisional,
                filter_changes: Vec::new(),
                next_step: "Placed. Fills and the cancel of the other leg arrive as events: follow them with order_events, or order_status per leg; cancel the whole list with order_list_cancel.".into(),
            })
        }
        Err(e) if is_unknown_outcome(&e) => {
            record_unknown(toolbox, env, &list_client_order_id, &e)?;
            let out = reconcile_list(toolbox, env, &plan, &list_client_order_id, &e).await;
            let list = plan.list_type.as_str();
            let action = match &out {
                Ok(o) => format!(
                    "did NOT resend the {list} list; queried it by list client id: {}",
                    o.list_status.as_deref().unwrap_or("UNKNOWN")
                ),
                Err(err) => format!("did NOT resend the {list} list; reconciliation failed: {err}"),
            };
            report_lost_answer(toolbox, env, &e, "order list placement", action);
            out
        }
        Err(e) => {
            record_rejected(
                toolbox,
                env,
                list_client_order_id,
                &e,
                "order list not placed; returned the error to the agent",
            )?;
            Err(e.into())
        }
    }
}

/// The symbol's exchangeInfo flags for this kind of list, checked before anything is sent.
fn require_list_allowed(list_type: ListType, symbol: &spot_types::model::SymbolInfo) -> Result<(), ToolError> {
    let (oco, oto, opo) = list_type.needs();
    let missing = [
        (oco && !symbol.oco_allowed, "ocoAllowed", "OCO"),
        (oto && !symbol.oto_allowed, "otoAllowed", "OTO"),
        (opo && !symbol.opo_allowed, "opoAllowed", "OPO"),
    ]
    .into_iter()
    .find(|(missing, _, _)| *missing);
    match missing {
        Some((_, flag, kind)) => Err(ToolError::invalid(format!(
            "{} does not allow {kind} orders ({flag} is false in its exchangeInfo), so the {} list was not sent; Binance would answer \"{kind} orders are not supported for this symbol.\" Use a plain order or another list type (market_exchange_info shows the flags).",
            symbol.symbol,
            list_type.as_str()
        ))),
        None => Ok(()),
    }
}

/// Paper mode: the list goes to the paper matching engine under its reservation.
fn paper_list(
    toolbox: &Toolbox,
    env: Environment,
    plan: &PlannedList,
    reservation: crate::store::Reservation,
    symbol: &spot_types::model::SymbolInfo,
    touch: &crate::paper_engine::Touch,
) -> Result<OrderListOutput, ToolError> {
    let legs: Vec<(&str, spot_types::model::NewOrder)> = plan
        .legs
        .iter()
        .map(|(role, order)| (role.as_str(), order.clone()))
        .collect();
    let (list, orders) =
        crate::tools::paper::place_list(toolbox, env, plan.list_type.as_str(), &legs, reservation, symbol, touch)?;
    Ok(OrderListOutput {
        environment: env,
        mode: "paper".into(),
        list_type: Some(plan.list_type),
        list_client_order_id: Some(list.list_client_order_id.clone()),
        order_list_id: i64::try_from(list.order_list_id).ok(),
        list_status: Some(list.status.clone()),
        legs: paper_legs(&orders),
        provisional: false,
        filter_changes: Vec::new(),
        next_step: format!(
            "{} Follow the legs with order_status or order_events; cancel the whole list with order_list_cancel.",
            crate::tools::paper::PAPER_NOTE
        ),
    })
}

pub(super) fn paper_legs(orders: &[crate::paper_engine::PaperOrder]) -> Vec<ListLegOutcome> {
    orders
        .iter()
        .map(|o| ListLegOutcome {
            role: o.list.as_ref().map(|l| l.role.clone()).unwrap_or_else(|| "leg".into()),
            client_order_id: Some(o.client_order_id.clone()),
            order_id: Some(o.order_id),
            order: super::describe_paper(o),
            status: Some(o.status.clone()),
        })
        .collect()
}

/// Tests every leg as the order it becomes; a pass licenses one placement of this exact list.
async fn test_list(toolbox: &Toolbox, env: Environment, plan: &PlannedList) -> Result<OrderListOutput, ToolError> {
    for (role, order) in &plan.legs {
        if let Err(e) = toolbox.client(env).test_order(order, false).await {
            return Err(ToolError::invalid(format!(
                "Binance refused the {} order ({}) in its test: {}",
                role.as_str(),
                describe_order(order),
                e
            )));
        }
    }
    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::TestPassed {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: plan.symbol.clone(),
        identity: plan.identity(),
        shape: plan.shape(),
    })?;
    Ok(OrderListOutput {
        environment: env,
        mode: "test".into(),
        list_type: Some(plan.list_type),
        list_client_order_id: None,
        order_list_id: None,
        list_status: None,
        legs: plan
            .legs
            .iter()
            .map(|(role, order)| ListLegOutcome {
                role: role.as_str().to_owned(),
                client_order_id: None,
                order_id: None,
                order: plan.describe_leg(*role, order),
                status: Some("TEST_PASSED".into()),
            })
            .collect(),
        provisional: false,
        filter_changes: Vec::new(),
        next_step: "Every leg passed the filters and Binance's test. To place it, call order_list_place again with the same arguments without test_only within 5 minutes.".into(),
    })
}

/// Every leg goes to the store as an accepted order, so events and reconciliations follow it.
fn record_accepted(
    toolbox: &Toolbox,
    env: Environment,
    plan: &PlannedList,
    report: &OrderListReport,
    shape: Option<String>,
) -> Result<(), ToolError> {
    if env == Environment::Production {
        toolbox.user_streams().follow_production();
    }
    let now = local_now_ms();
    for member in &report.orders {
        let status = report
            .order_reports
            .iter()
            .find(|r| r.order_id == member.order_id)
            .and_then(|r| r.status.clone())
            .unwrap_or_else(|| "NEW".into());
        toolbox.store()?.record(&LedgerEvent::OrderAccepted {
            at: utc(now),
            at_ms: now,
            environment: env,
            client_order_id: member.client_order_id.clone(),
            order_id: member.order_id,
            status,
            shape: shape.clone(),
            symbol: Some(plan.symbol.clone()),
        })?;
    }
    Ok(())
}

async fn reconcile_list(
    toolbox: &Toolbox,
    env: Environment,
    plan: &PlannedList,
    list_client_order_id: &str,
    cause: &BinanceError,
) -> Result<OrderListOutput, ToolError> {
    let mut absent = false;
    for delay in RECONCILE_BACKOFF_MS {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        match toolbox
            .client(env)
            .query_order_list(&OrderListRef::ClientId(list_client_order_id.to_owned()))
            .await
        {
            Ok(report) => {
                record_accepted(toolbox, env, plan, &report, None)?;
                record_reconciled(
                    toolbox,
                    env,
                    list_client_order_id,
                    "exists",
                    None,
                    Some(report.list_order_status.clone()),
                )?;
                return Ok(OrderListOutput {
                    environment: env,
                    mode: "live".into(),
                    list_type: Some(plan.list_type),
                    list_client_order_id: Some(list_client_order_id.to_owned()),
                    order_list_id: Some(report.order_list_id),
                    list_status: Some(report.list_order_status.clone()),
                    legs: leg_outcomes(plan, Some(&report)),
                    provisional: false,
                    filter_changes: Vec::new(),
                    next_step: format!(
                        "The placement answer was lost ({cause}); the list was found by its client id. Do not place it again."
                    ),
                });
            }
            Err(e) if matches!(e.code(), Some(codes::NO_SUCH_ORDER) | Some(codes::CANCEL_REJECTED)) => absent = true,
            Err(e) => tracing::warn!(error = %e, "order list reconciliation query failed"),
        }
    }
    let outcome = if absent { "absent" } else { "still_unknown" };
    record_reconciled(toolbox, env, list_client_order_id, outcome, None, None)?;
    Ok(OrderListOutput {
        environment: env,
        mode: "live".into(),
        list_type: Some(plan.list_type),
        list_client_order_id: Some(list_client_order_id.to_owned()),
        order_list_id: None,
        list_status: Some(if absent { "NOT_FOUND" } else { "UNKNOWN" }.into()),
        legs: leg_outcomes(plan, None),
        provisional: true,
        filter_changes: Vec::new(),
        next_step: format!(
            "The placement answer was lost ({cause}) and Binance {} this list client id. Do NOT send the list again: check order_open_list and order_events first, and tell the human.",
            if absent {
                "does not (yet) know"
            } else {
                "could not be asked about"
            }
        ),
    })
}
