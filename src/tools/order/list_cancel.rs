//! `order_list_cancel`: cancels an order list at the exchange, or in the paper engine when it is
//! a paper list, journals each canceled leg, and names each leg's role from the reservation when
//! this server placed the list.

use crate::tools::target::SignedTarget;

use schemars::JsonSchema;
use serde::Deserialize;

use super::list::{ListLegOutcome, OrderListOutput, paper_legs};
use super::list_plan::ListType;
use crate::config::Environment;
use crate::guard;
use crate::memory::ledger::LedgerEvent;
use crate::tools::{ToolError, Toolbox, normalize_symbol, utc};
use spot_client::OrderListRef;
use spot_client::clock::local_now_ms;

/// The list type and (role, client order id) of each leg, from the reservation of a list this
/// server placed; nothing for a list placed elsewhere.
fn reserved_roles(
    toolbox: &Toolbox,
    env: Environment,
    list_client_order_id: &str,
) -> (Option<ListType>, Vec<(String, String)>) {
    let Some(order) = toolbox
        .store()
        .and_then(|store| store.reserved_payload(env, list_client_order_id))
        .ok()
        .flatten()
    else {
        return (None, Vec::new());
    };
    let list_type = serde_json::from_value(order["list_type"].clone()).ok();
    let roles = order["legs"]
        .as_array()
        .map(|legs| {
            legs.iter()
                .filter_map(|leg| {
                    let role = leg["role"].as_str()?.to_owned();
                    let client = leg["order"]["client_order_id"].as_str()?.to_owned();
                    Some((role, client))
                })
                .collect()
        })
        .unwrap_or_default();
    (list_type, roles)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderListCancelArgs {
    pub symbol: String,
    /// or list_client_order_id
    #[serde(default)]
    pub order_list_id: Option<i64>,
    #[serde(default)]
    pub list_client_order_id: Option<String>,
    #[serde(flatten)]
    pub target: SignedTarget,
}

pub async fn order_list_cancel(toolbox: &Toolbox, args: OrderListCancelArgs) -> Result<OrderListOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_list_cancel")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let list = match (args.order_list_id, &args.list_client_order_id) {
        (Some(id), None) => OrderListRef::Id(id),
        (None, Some(c)) => OrderListRef::ClientId(guard::client_order_id(Some(c))?),
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid(
                "give order_list_id or list_client_order_id, not both",
            ));
        }
        (None, None) => return Err(ToolError::invalid("give order_list_id or list_client_order_id")),
    };
    if env == Environment::Production {
        toolbox.audit().confirmation(
            env,
            "order_list_cancel",
            "argument",
            &format!("cancel order list {symbol} {list:?}"),
        );
    }
    let paper_ref = match &list {
        OrderListRef::Id(id) => u64::try_from(*id).ok().map(crate::store::PaperRef::Id),
        OrderListRef::ClientId(c) => Some(crate::store::PaperRef::ClientId(c.clone())),
    };
    let paper_ref = paper_ref.filter(|by| {
        toolbox
            .store()
            .ok()
            .and_then(|s| s.paper_list(env, by).ok().flatten())
            .is_some_and(|(list, _)| list.symbol == symbol)
    });
    if let Some(paper_ref) = paper_ref
        && let Some((list, orders)) = crate::tools::paper::cancel_list(toolbox, env, &paper_ref).await?
    {
        return Ok(OrderListOutput {
            environment: env,
            mode: "paper".into(),
            list_type: serde_json::from_value(serde_json::Value::String(list.list_type.clone())).ok(),
            list_client_order_id: Some(list.list_client_order_id.clone()),
            order_list_id: i64::try_from(list.order_list_id).ok(),
            list_status: Some(list.status.clone()),
            legs: paper_legs(&orders),
            provisional: false,
            filter_changes: Vec::new(),
            next_step: format!(
                "{} The paper list is canceled: what any leg filled before stays filled.",
                crate::tools::paper::PAPER_NOTE
            ),
        });
    }
    let report = toolbox.desk().cancel_order_list(env, &symbol, &list).await?;
    // Roles and kind come from the reservation, when this server placed the list.
    let (list_type, roles) = reserved_roles(toolbox, env, &report.list_client_order_id);
    let now = local_now_ms();
    for member in &report.orders {
        toolbox.store()?.record(&LedgerEvent::OrderCanceled {
            at: utc(now),
            at_ms: now,
            environment: env,
            symbol: symbol.clone(),
            order_id: member.order_id,
            client_order_id: member.client_order_id.clone(),
        })?;
    }
    let legs = report
        .orders
        .iter()
        .map(|member| {
            let leg = report.order_reports.iter().find(|r| r.order_id == member.order_id);
            ListLegOutcome {
                role: roles
                    .iter()
                    .find(|(_, client)| *client == member.client_order_id)
                    .map(|(role, _)| role.clone())
                    .unwrap_or_else(|| "leg".into()),
                client_order_id: Some(member.client_order_id.clone()),
                order_id: Some(member.order_id),
                order: leg
                    .map(|r| {
                        format!(
                            "{} {} {}",
                            r.side.as_deref().unwrap_or(""),
                            r.orig_qty.map(|q| q.normalize().to_string()).unwrap_or_default(),
                            r.order_type.as_deref().unwrap_or("")
                        )
                    })
                    .unwrap_or_default(),
                status: leg.and_then(|r| r.status.clone()),
            }
        })
        .collect();
    Ok(OrderListOutput {
        environment: env,
        mode: "canceled".into(),
        list_type,
        list_client_order_id: Some(report.list_client_order_id.clone()),
        order_list_id: Some(report.order_list_id),
        list_status: Some(report.list_order_status.clone()),
        legs,
        provisional: false,
        filter_changes: Vec::new(),
        next_step: "The list is canceled: what any leg filled before stays filled (see order_events or order_history)."
            .into(),
    })
}
