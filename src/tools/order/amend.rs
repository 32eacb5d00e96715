//! order_amend: lower an open order's quantity in place (Binance "amend keep priority"), keeping
//! its orderId and queue position. It only reduces exposure, so the kill switch does not block it.

use crate::tools::target::SignedTarget;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::Environment;
use crate::guard;
use crate::memory::ledger::LedgerEvent;
use crate::tools::amount::Amount;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};
use spot_client::OrderRef;
use spot_client::clock::local_now_ms;
use spot_filters::{SymbolFilter, is_step_multiple};
use spot_types::model::AmendedOrder;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendArgs {
    pub symbol: String,
    /// or client_order_id
    #[serde(default)]
    pub order_id: Option<u64>,
    /// or order_id
    #[serde(default)]
    pub client_order_id: Option<String>,
    /// below the current, on the LOT_SIZE step
    pub new_quantity: Amount,
    #[serde(default)]
    pub new_client_order_id: Option<String>,
    #[serde(flatten)]
    pub target: SignedTarget,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AmendOutput {
    pub environment: Environment,
    /// `live` (an exchange order) or `paper` (the paper engine's; nothing at the exchange).
    pub mode: String,
    pub symbol: String,
    /// Unchanged by the amend.
    pub order_id: u64,
    /// NEW, PARTIALLY_FILLED, or FILLED/EXPIRED when nothing is left to fill.
    pub status: Option<String>,
    /// Quantity before the amend.
    pub original_quantity: Decimal,
    /// Quantity after the amend.
    pub new_quantity: Decimal,
    pub executed_quantity: Decimal,
    /// Amendments of this order made through this server, this one included (Binance reports
    /// no count).
    pub amendments: Option<u32>,
    /// The symbol's MAX_NUM_ORDER_AMENDS, when listed.
    pub max_amendments: Option<u32>,
    pub transact_time: i64,
    pub execution_id: u64,
    /// The amended order as Binance returned it.
    pub order: AmendedOrder,
}

impl ToolOutput for AmendOutput {
    fn summary(&self) -> String {
        let count = match (self.amendments, self.max_amendments) {
            (Some(n), Some(max)) => format!(", amendment {n} of at most {max}"),
            (Some(n), None) => format!(", amendment {n}"),
            _ => String::new(),
        };
        format!(
            "{}{} {} order {} amended in place: quantity {} -> {} (executed {}), {}{count}; queue position kept",
            self.environment,
            if self.mode == "paper" { " PAPER" } else { "" },
            self.symbol,
            self.order_id,
            self.original_quantity.normalize(),
            self.new_quantity.normalize(),
            self.executed_quantity.normalize(),
            self.status.as_deref().unwrap_or("?"),
        )
    }
}

fn order_ref(args: &AmendArgs) -> Result<OrderRef, ToolError> {
    match (args.order_id, &args.client_order_id) {
        (Some(id), None) => Ok(OrderRef::Id(id)),
        (None, Some(c)) => Ok(OrderRef::ClientId(guard::client_order_id(Some(c))?)),
        (Some(_), Some(_)) => Err(ToolError::invalid("give order_id or client_order_id, not both")),
        (None, None) => Err(ToolError::invalid("give order_id or client_order_id")),
    }
}

/// LOT_SIZE on the new quantity: positive, at least minQty, at most maxQty, on the step.
fn check_lot_size(filters: &[SymbolFilter], qty: Decimal) -> Result<(), ToolError> {
    if qty <= Decimal::ZERO {
        return Err(ToolError::invalid("new_quantity must be greater than zero"));
    }
    for f in filters {
        if let SymbolFilter::LotSize {
            min_qty,
            max_qty,
            step_size,
        } = f
        {
            if qty < *min_qty {
                return Err(ToolError::invalid(format!(
                    "new_quantity {} is below LOT_SIZE minQty {}",
                    qty.normalize(),
                    min_qty.normalize()
                )));
            }
            if !max_qty.is_zero() && qty > *max_qty {
                return Err(ToolError::invalid(format!(
                    "new_quantity {} is above LOT_SIZE maxQty {}",
                    qty.normalize(),
                    max_qty.normalize()
                )));
            }
            if !is_step_multiple(qty, *step_size) {
                return Err(ToolError::invalid(format!(
                    "new_quantity {} is not a multiple of LOT_SIZE stepSize {}",
                    qty.normalize(),
                    step_size.normalize()
                )));
            }
        }
    }
    Ok(())
}

fn max_amends(filters: &[SymbolFilter]) -> Option<u32> {
    filters.iter().find_map(|f| match f {
        SymbolFilter::MaxNumOrderAmends { max_num_order_amends } => Some(*max_num_order_amends),
        _ => None,
    })
}

pub async fn order_amend(toolbox: &Toolbox, args: AmendArgs) -> Result<AmendOutput, ToolError> {
    let env = args.target.confirmed(toolbox, "order_amend")?;
    let symbol = normalize_symbol(&args.symbol)?;
    let order_ref = order_ref(&args)?;
    let new_client_order_id = args
        .new_client_order_id
        .as_deref()
        .map(|c| guard::client_order_id(Some(c)))
        .transpose()?;
    let new_qty = args.new_quantity.0;
    if new_qty <= Decimal::ZERO {
        return Err(ToolError::invalid("new_quantity must be greater than zero"));
    }

    let mut fetch = toolbox.symbols(env, std::slice::from_ref(&symbol)).await?;
    let info = fetch
        .infos
        .pop()
        .ok_or_else(|| ToolError::internal("exchangeInfo returned no symbol"))?;
    if !info.amend_allowed {
        return Err(ToolError::invalid(format!(
            "{symbol} does not allow keep-priority amendments (amendAllowed is false); nothing was sent. Cancel and place a new order instead."
        )));
    }
    check_lot_size(&info.filters, new_qty)?;

    let paper_ref = super::paper_ref(&order_ref);
    if super::manage::is_paper_order_of(toolbox, env, &paper_ref, &symbol)?
        && let Some(current) = crate::tools::paper::find_order(toolbox, env, &paper_ref).await?
    {
        let Some(amended) = crate::tools::paper::amend(toolbox, env, &paper_ref, new_qty).await? else {
            return Err(ToolError::internal("the paper order vanished"));
        };
        let now = local_now_ms();
        return Ok(AmendOutput {
            environment: env,
            mode: "paper".into(),
            symbol,
            order_id: amended.order_id,
            status: Some(amended.status.clone()),
            original_quantity: current.quantity.normalize(),
            new_quantity: amended.quantity.normalize(),
            executed_quantity: amended.executed_qty.normalize(),
            amendments: None,
            max_amendments: max_amends(&info.filters),
            transact_time: now,
            execution_id: 0,
            order: AmendedOrder {
                symbol: amended.symbol.clone(),
                order_id: amended.order_id,
                order_list_id: amended.list.as_ref().map(|l| l.order_list_id as i64).unwrap_or(-1),
                orig_client_order_id: None,
                client_order_id: amended.client_order_id.clone(),
                price: amended.price,
                qty: amended.quantity,
                executed_qty: amended.executed_qty,
                prevented_qty: None,
                quote_order_qty: amended.quote_order_qty,
                cumulative_quote_qty: Some(amended.quote_qty),
                status: Some(amended.status.clone()),
                time_in_force: amended.time_in_force.map(|t| t.as_str().to_owned()),
                order_type: Some(amended.order_type.as_str().to_owned()),
                side: Some(amended.side.as_str().to_owned()),
                working_time: None,
                self_trade_prevention_mode: None,
            },
        });
    }

    let client = toolbox.client(env);
    let current = client.query_order(&symbol, &order_ref).await?;
    if current.is_final() {
        return Err(ToolError::invalid(format!(
            "order {} is {}: only open orders can be amended",
            current.order_id,
            current.status.as_deref().unwrap_or("closed")
        )));
    }
    let current_qty = current
        .orig_qty
        .ok_or_else(|| ToolError::internal("the order query returned no origQty"))?;
    let executed = current.executed_qty.unwrap_or_default();
    if new_qty > current_qty {
        return Err(ToolError::invalid(format!(
            "new_quantity {} is above the order's current quantity {}: Binance only allows reductions (an increase needs a new order)",
            new_qty.normalize(),
            current_qty.normalize()
        )));
    }
    if new_qty == current_qty {
        return Err(ToolError::invalid(format!(
            "new_quantity {} equals the order's current quantity: nothing would change",
            new_qty.normalize()
        )));
    }
    if new_qty <= executed {
        return Err(ToolError::invalid(format!(
            "new_quantity {} is not above the {} already executed: use order_cancel to stop the rest of the order",
            new_qty.normalize(),
            executed.normalize()
        )));
    }

    if env == Environment::Production {
        toolbox.audit().confirmation(
            env,
            "order_amend",
            "argument",
            &format!(
                "amend {symbol} order {}: quantity {} -> {}",
                current.order_id,
                current_qty.normalize(),
                new_qty.normalize()
            ),
        );
    }
    // Keep the client id unless a new one was asked for (Binance would generate a random one).
    let keep_client_id = new_client_order_id.unwrap_or_else(|| current.client_order_id.clone());
    let result = toolbox
        .desk()
        .amend_order(
            env,
            &symbol,
            &OrderRef::Id(current.order_id),
            new_qty,
            Some(&keep_client_id),
        )
        .await?;
    let amended = result.amended_order;

    let now = local_now_ms();
    toolbox.store()?.record(&LedgerEvent::OrderAmended {
        at: utc(now),
        at_ms: now,
        environment: env,
        symbol: symbol.clone(),
        order_id: amended.order_id,
        client_order_id: amended.client_order_id.clone(),
        new_quantity: amended.qty,
    })?;
    let amendments = toolbox.store()?.amendments(env, amended.order_id).ok();

    Ok(AmendOutput {
        environment: env,
        mode: "live".into(),
        symbol,
        order_id: amended.order_id,
        status: amended.status.clone(),
        original_quantity: current_qty.normalize(),
        new_quantity: amended.qty.normalize(),
        executed_quantity: amended.executed_qty.normalize(),
        amendments,
        max_amendments: max_amends(&info.filters),
        transact_time: result.transact_time,
        execution_id: result.execution_id,
        order: amended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(min: &str, max: &str, step: &str) -> Vec<SymbolFilter> {
        vec![SymbolFilter::LotSize {
            min_qty: min.parse().expect("min"),
            max_qty: max.parse().expect("max"),
            step_size: step.parse().expect("step"),
        }]
    }

    #[test]
    fn lot_size_is_checked_before_sending() {
        let f = lot("0.00001", "9000", "0.00001");
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert!(check_lot_size(&f, d("0.001")).is_ok());
        assert!(check_lot_size(&f, d("0.0010005")).is_err());
        assert!(check_lot_size(&f, d("0.000001")).is_err());
        assert!(check_lot_size(&f, d("0")).is_err());
        assert!(check_lot_size(&f, d("9001")).is_err());
    }
}
