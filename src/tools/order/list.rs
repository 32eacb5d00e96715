//! `order_list_place` (OCO, OTO, OTOCO) and `order_list_cancel`. A list goes through the same
//! gate as a single order: every leg is validated against the filters, every leg is tested at
//! Binance (`test_only: true`; Binance has no test endpoint for lists, so each leg is tested as
//! the order it will become), production needs confirmation and a rehearsal of the list's shape,
//! client ids are reserved in the ledger before sending, and a lost answer is reconciled by the
//! list client id, never re-sent.

use std::time::Duration;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::place::{Approval, is_unknown_outcome};
use super::{check, check_limits, describe_order, notional, refuse_invalid};
use crate::binance::clock::local_now_ms;
use crate::binance::error::codes;
use crate::binance::model::{NewOrder, OrderListReport, OrderType, Side, StpMode, TimeInForce};
use crate::binance::{BinanceError, OrderListRef};
use crate::config::{Environment, TradeMode};
use crate::guard::{self, Refusal, TEST_VALIDITY};
use crate::memory::ledger::LedgerEvent;
use crate::tools::amount::Amount;
use crate::tools::{ToolError, ToolOutput, Toolbox, normalize_symbol, utc};

/// Delays between reconciliation queries after an unknown outcome (about 8 s in all).
const RECONCILE_BACKOFF_MS: [u64; 5] = [250, 500, 1000, 2000, 4000];

/// The list kinds Binance offers under `/api/v3/orderList/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum ListType {
    /// One-cancels-the-other: an above and a below order (take-profit + stop-loss bracket).
    Oco,
    /// One-triggers-the-other: a working LIMIT/LIMIT_MAKER order, then a pending order once it fills.
    Oto,
    /// A working order that, once filled, places an OCO pair (entry + bracket).
    Otoco,
}

impl ListType {
    pub fn as_str(self) -> &'static str {
        match self {
            ListType::Oco => "oco",
            ListType::Oto => "oto",
            ListType::Otoco => "otoco",
        }
    }
}

/// One order of a list.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLeg {
    /// above/below the market: the oco pair; working: first order of oto/otoco; pending: oto's second
    pub role: Role,
    /// LIMIT, LIMIT_MAKER, STOP_LOSS(_LIMIT), TAKE_PROFIT(_LIMIT)
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// working and pending only
    #[serde(default)]
    pub side: Option<Side>,
    /// working and pending only
    #[serde(default)]
    pub quantity: Option<Amount>,
    #[serde(default)]
    pub price: Option<Amount>,
    #[serde(default)]
    pub stop_price: Option<Amount>,
    /// BIPS
    #[serde(default)]
    pub trailing_delta: Option<u32>,
    /// GTC, IOC, FOK
    #[serde(default)]
    pub time_in_force: Option<TimeInForce>,
    #[serde(default)]
    pub iceberg_qty: Option<Amount>,
    #[serde(default)]
    pub client_order_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderListArgs {
    /// oco (above+below), oto (working+pending), otoco (working, then above+below)
    pub list_type: ListType,
    /// e.g. BTCUSDT
    pub symbol: String,
    /// oco/otoco: side of the above/below pair
    #[serde(default)]
    pub side: Option<Side>,
    /// oco/otoco: quantity of the above/below pair
    #[serde(default)]
    pub quantity: Option<Amount>,
    /// The orders, each with its role
    pub legs: Vec<ListLeg>,
    #[serde(default)]
    pub list_client_order_id: Option<String>,
    #[serde(default)]
    pub self_trade_prevention_mode: Option<StpMode>,
    /// true: validate and test every leg, place nothing
    #[serde(default)]
    pub test_only: bool,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production: true once the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

/// A leg's role, which names its parameters in the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Role {
    Above,
    Below,
    Working,
    Pending,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Above => "above",
            Role::Below => "below",
            Role::Working => "working",
            Role::Pending => "pending",
        }
    }
}

/// Parameter names of one leg (`aboveType`, `pendingAbovePrice`, …).
struct LegNames {
    kind: &'static str,
    side: Option<&'static str>,
    quantity: Option<&'static str>,
    price: &'static str,
    stop_price: &'static str,
    trailing_delta: &'static str,
    time_in_force: &'static str,
    iceberg_qty: &'static str,
    client_order_id: &'static str,
}

macro_rules! leg_names {
    ($p:literal, with_side_and_quantity) => {
        LegNames {
            side: Some(concat!($p, "Side")),
            quantity: Some(concat!($p, "Quantity")),
            ..leg_names!($p)
        }
    };
    ($p:literal) => {
        LegNames {
            kind: concat!($p, "Type"),
            side: None,
            quantity: None,
            price: concat!($p, "Price"),
            stop_price: concat!($p, "StopPrice"),
            trailing_delta: concat!($p, "TrailingDelta"),
            time_in_force: concat!($p, "TimeInForce"),
            iceberg_qty: concat!($p, "IcebergQty"),
            client_order_id: concat!($p, "ClientOrderId"),
        }
    };
}

fn names(list: ListType, role: Role) -> LegNames {
    match (list, role) {
        (ListType::Otoco, Role::Above) => leg_names!("pendingAbove"),
        (ListType::Otoco, Role::Below) => leg_names!("pendingBelow"),
        (_, Role::Above) => leg_names!("above"),
        (_, Role::Below) => leg_names!("below"),
        (_, Role::Working) => leg_names!("working", with_side_and_quantity),
        (_, Role::Pending) => leg_names!("pending", with_side_and_quantity),
    }
}

/// A list checked for shape: every leg as the order it becomes, in request order.
#[derive(Clone, Debug)]
pub struct PlannedList {
    pub list_type: ListType,
    pub symbol: String,
    pub side: Option<Side>,
    pub quantity: Option<Decimal>,
    pub legs: Vec<(Role, NewOrder)>,
    pub list_client_order_id: Option<String>,
    pub stp: Option<StpMode>,
}

const ABOVE_TYPES: [OrderType; 5] = [
    OrderType::StopLossLimit,
    OrderType::StopLoss,
    OrderType::LimitMaker,
    OrderType::TakeProfit,
    OrderType::TakeProfitLimit,
];
const BELOW_TYPES: [OrderType; 4] = [
    OrderType::StopLoss,
    OrderType::StopLossLimit,
    OrderType::TakeProfit,
    OrderType::TakeProfitLimit,
];

impl OrderListArgs {
    /// The list's legs as orders, or what is wrong with its shape (nothing is sent).
    pub fn plan(&self) -> Result<PlannedList, ToolError> {
        let symbol = normalize_symbol(&self.symbol)?;
        let list = self.list_type.as_str();
        let forbid = |present: bool, field: &str| {
            if present {
                Err(ToolError::invalid(format!("{field} is not used by a {list} list")))
            } else {
                Ok(())
            }
        };
        let mut by_role: Vec<(Role, ListLeg)> = Vec::new();
        for leg in &self.legs {
            if by_role.iter().any(|(r, _)| *r == leg.role) {
                return Err(ToolError::invalid(format!(
                    "two legs have the role {}",
                    leg.role.as_str()
                )));
            }
            by_role.push((leg.role, leg.clone()));
        }
        let get = |role: Role| by_role.iter().find(|(r, _)| *r == role).map(|(_, l)| l.clone());
        let require = |role: Role| {
            get(role)
                .ok_or_else(|| ToolError::invalid(format!("a {list} list needs a leg with role {}", role.as_str())))
        };
        let stp = self.self_trade_prevention_mode;
        let order = |leg: &ListLeg, side: Side, quantity: Decimal| NewOrder {
            symbol: symbol.clone(),
            side,
            order_type: leg.order_type,
            time_in_force: leg.time_in_force,
            quantity: Some(quantity),
            quote_order_qty: None,
            price: leg.price.map(|a| a.0),
            stop_price: leg.stop_price.map(|a| a.0),
            trailing_delta: leg.trailing_delta,
            iceberg_qty: leg.iceberg_qty.map(|a| a.0),
            new_client_order_id: leg.client_order_id.clone(),
            self_trade_prevention_mode: stp,
        };
        let own_side_and_quantity = |leg: &ListLeg, role: Role| -> Result<(Side, Decimal), ToolError> {
            match (leg.side, leg.quantity) {
                (Some(side), Some(q)) => Ok((side, q.0)),
                _ => Err(ToolError::invalid(format!(
                    "the {} order of a {list} list needs its own side and quantity",
                    role.as_str()
                ))),
            }
        };
        let pair = |above: &ListLeg, below: Option<&ListLeg>| -> Result<Vec<(Role, NewOrder)>, ToolError> {
            let side = self
                .side
                .ok_or_else(|| ToolError::invalid(format!("a {list} list needs side (of the above/below pair)")))?;
            let quantity = self
                .quantity
                .ok_or_else(|| ToolError::invalid(format!("a {list} list needs quantity (of the above/below pair)")))?
                .0;
            let mut legs = Vec::new();
            for (role, leg, allowed) in [
                (Role::Above, Some(above), &ABOVE_TYPES[..]),
                (Role::Below, below, &BELOW_TYPES[..]),
            ] {
                let Some(leg) = leg else { continue };
                if leg.side.is_some() || leg.quantity.is_some() {
                    return Err(ToolError::invalid(format!(
                        "{} takes the list's side and quantity: remove side/quantity from it",
                        role.as_str()
                    )));
                }
                if !allowed.contains(&leg.order_type) {
                    let allowed: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
                    return Err(ToolError::invalid(format!(
                        "{} cannot be {}: use one of {}",
                        role.as_str(),
                        leg.order_type.as_str(),
                        allowed.join(", ")
                    )));
                }
                legs.push((role, order(leg, side, quantity)));
            }
            Ok(legs)
        };
        let working_leg = |leg: &ListLeg| -> Result<(Role, NewOrder), ToolError> {
            if !matches!(leg.order_type, OrderType::Limit | OrderType::LimitMaker) {
                return Err(ToolError::invalid(format!(
                    "working must be LIMIT or LIMIT_MAKER, not {}",
                    leg.order_type.as_str()
                )));
            }
            let (side, quantity) = own_side_and_quantity(leg, Role::Working)?;
            Ok((Role::Working, order(leg, side, quantity)))
        };
        let legs = match self.list_type {
            ListType::Oco => {
                forbid(get(Role::Working).is_some(), "a working leg")?;
                forbid(get(Role::Pending).is_some(), "a pending leg")?;
                let above = require(Role::Above)?;
                let below = require(Role::Below)?;
                pair(&above, Some(&below))?
            }
            ListType::Oto => {
                forbid(get(Role::Above).is_some(), "an above leg")?;
                forbid(get(Role::Below).is_some(), "a below leg")?;
                forbid(self.side.is_some(), "side (give it in working and pending)")?;
                forbid(self.quantity.is_some(), "quantity (give it in working and pending)")?;
                let working = require(Role::Working)?;
                let pending = require(Role::Pending)?;
                let (side, quantity) = own_side_and_quantity(&pending, Role::Pending)?;
                vec![working_leg(&working)?, (Role::Pending, order(&pending, side, quantity))]
            }
            ListType::Otoco => {
                forbid(
                    get(Role::Pending).is_some(),
                    "a pending leg (an otoco's pending orders are above and below)",
                )?;
                let working = require(Role::Working)?;
                let above = require(Role::Above)?;
                let below = get(Role::Below);
                let mut legs = vec![working_leg(&working)?];
                legs.extend(pair(&above, below.as_ref())?);
                legs
            }
        };
        Ok(PlannedList {
            list_type: self.list_type,
            symbol,
            side: self.side,
            quantity: self.quantity.map(|a| a.0),
            legs,
            list_client_order_id: self.list_client_order_id.clone(),
            stp,
        })
    }
}

impl PlannedList {
    /// What makes two lists "identical" for the test-before-real rule.
    pub fn identity(&self) -> String {
        let legs: Vec<String> = self
            .legs
            .iter()
            .map(|(role, order)| format!("{}:{}", role.as_str(), guard::order_identity(order)))
            .collect();
        format!("list|{}|{}", self.list_type.as_str(), legs.join("||"))
    }

    /// The list's shape, rehearsed on testnet before production.
    pub fn shape(&self) -> String {
        let legs: Vec<String> = self
            .legs
            .iter()
            .map(|(role, order)| format!("{}:{}", role.as_str(), guard::order_shape(order)))
            .collect();
        format!("list|{}|{}", self.list_type.as_str(), legs.join("||"))
    }

    /// One line a human can approve.
    pub fn describe(&self) -> String {
        let legs: Vec<String> = self
            .legs
            .iter()
            .map(|(role, order)| format!("{}: {}", role.as_str(), describe_order(order)))
            .collect();
        format!(
            "{} {} [{}]",
            self.list_type.as_str().to_uppercase(),
            self.symbol,
            legs.join("; ")
        )
    }

    /// The request parameters in Binance's names.
    fn params(&self, list_client_order_id: &str) -> Vec<(&'static str, String)> {
        let dec = |d: Decimal| d.normalize().to_string();
        let mut params = vec![
            ("symbol", self.symbol.clone()),
            ("listClientOrderId", list_client_order_id.to_owned()),
        ];
        if let (Some(side), Some(quantity)) = (self.side, self.quantity) {
            let (side_name, quantity_name) = if self.list_type == ListType::Otoco {
                ("pendingSide", "pendingQuantity")
            } else {
                ("side", "quantity")
            };
            params.push((side_name, side.as_str().to_owned()));
            params.push((quantity_name, dec(quantity)));
        }
        for (role, order) in &self.legs {
            let n = names(self.list_type, *role);
            params.push((n.kind, order.order_type.as_str().to_owned()));
            if let (Some(side), Some(quantity)) = (n.side, n.quantity) {
                params.push((side, order.side.as_str().to_owned()));
                if let Some(q) = order.quantity {
                    params.push((quantity, dec(q)));
                }
            }
            let optional = [
                (n.price, order.price.map(dec)),
                (n.stop_price, order.stop_price.map(dec)),
                (n.trailing_delta, order.trailing_delta.map(|t| t.to_string())),
                (n.time_in_force, order.time_in_force.map(|t| t.as_str().to_owned())),
                (n.iceberg_qty, order.iceberg_qty.map(dec)),
                (n.client_order_id, order.new_client_order_id.clone()),
            ];
            params.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        }
        if let Some(stp) = self.stp {
            params.push(("selfTradePreventionMode", stp.as_str().to_owned()));
        }
        params
    }

    /// The price the OCO rule compares with the last price: the limit price of LIMIT_MAKER and
    /// TAKE_PROFIT_LIMIT, the stop price of the others (none for a pure trailing stop).
    fn trigger(order: &NewOrder) -> Option<Decimal> {
        match order.order_type {
            OrderType::LimitMaker | OrderType::TakeProfitLimit => order.price,
            _ => order.stop_price,
        }
    }

    /// Binance's OCO price rule: above > last traded price > below.
    fn check_pair_prices(&self, last_price: Decimal) -> Result<(), ToolError> {
        let find = |want: Role| self.legs.iter().find(|(r, _)| *r == want).map(|(_, o)| o);
        let (Some(above), Some(below)) = (find(Role::Above), find(Role::Below)) else {
            return Ok(());
        };
        let above_price = Self::trigger(above);
        let below_price = Self::trigger(below);
        let above_ok = above_price.is_none_or(|p| p > last_price);
        let below_ok = below_price.is_none_or(|p| p < last_price);
        if above_ok && below_ok {
            return Ok(());
        }
        Err(ToolError::invalid(format!(
            "the prices of the pair are not on both sides of the last price {}: above must trigger above it ({}), below under it ({}). Binance would answer \"The relationship of the prices for the orders is not correct.\"",
            last_price.normalize(),
            above_price
                .map(|p| p.normalize().to_string())
                .unwrap_or_else(|| "trailing".into()),
            below_price
                .map(|p| p.normalize().to_string())
                .unwrap_or_else(|| "trailing".into()),
        )))
    }
}

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
    /// test (nothing placed), live, canceled
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
            "{} ({}): {kind} list{id}{status} [{}]",
            self.environment,
            self.mode,
            legs.join(", ")
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
                order: describe_order(order),
                status,
            }
        })
        .collect()
}

/// The gate's checks that need no Binance call, also run before the human is asked.
pub fn local_gate(tb: &Toolbox, env: Environment, plan: &PlannedList) -> Result<(), Refusal> {
    guard::require_trading_allowed(tb.config(), tb.memory())?;
    let ledger = guard::ledger_view(tb.ledger())?;
    require_recent_list_test(&ledger, env, plan)
}

fn require_recent_list_test(
    ledger: &crate::memory::ledger::LedgerView,
    env: Environment,
    plan: &PlannedList,
) -> Result<(), Refusal> {
    let since = local_now_ms() - TEST_VALIDITY.as_millis() as i64;
    match ledger.test_passed_since(env, &plan.identity(), since) {
        Some(_) => Ok(()),
        None => Err(Refusal::new(
            "test_before_real",
            format!(
                "no unused test of this exact {} list passed on {env} in the last 5 minutes (each passed test allows one list)",
                plan.list_type.as_str()
            ),
            "Call order_list_place with the same arguments and test_only: true, then again without it within 5 minutes. If a placement of this list already ran, check order_open_list first: it may have been placed.",
        )),
    }
}

pub async fn order_list_place(
    tb: &Toolbox,
    args: OrderListArgs,
    approval: Approval,
) -> Result<OrderListOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_list_place")?;
    let mut plan = args.plan()?;
    if !args.test_only {
        guard::require_trading_allowed(tb.config(), tb.memory())?;
    }
    let tool = "order_list_place";
    let mut checked = Vec::new();
    for (role, order) in &plan.legs {
        let c = check(tb, tool, env, order, true).await?;
        if !c.validation.valid {
            let why = match refuse_invalid(&c.validation) {
                ToolError::InvalidArgument(why) => why,
                other => other.to_string(),
            };
            return Err(ToolError::invalid(format!("the {} order: {why}", role.as_str())));
        }
        checked.push(c);
    }
    if plan.side.is_some() {
        let prices = tb.client(env).ticker_price(std::slice::from_ref(&plan.symbol)).await?;
        if let Some(last) = prices.first() {
            plan.check_pair_prices(last.price)?;
        }
    }
    if args.test_only {
        // The human's limits bind the test too, as with order_test: a pass means placeable.
        let ledger = guard::ledger_view(tb.ledger())?;
        let prefs = tb.preferences()?;
        for ((_, order), c) in plan.legs.iter().zip(&checked) {
            check_limits(&prefs, env, order, c, &ledger)?;
        }
        return test_list(tb, env, &plan).await;
    }
    if tb.config().trade_mode == TradeMode::Paper {
        return Err(ToolError::invalid(
            "paper mode does not simulate order lists: rehearse the list on testnet (environment \"testnet\") instead",
        ));
    }
    let ledger = guard::ledger_view(tb.ledger())?;
    require_recent_list_test(&ledger, env, &plan)?;
    let prefs = tb.preferences()?;
    for ((_, order), c) in plan.legs.iter().zip(&checked) {
        check_limits(&prefs, env, order, c, &ledger)?;
    }
    if env == Environment::Production {
        let rehearsed = ledger.shape_passed(&[Environment::Testnet, Environment::Demo], &plan.shape());
        if !rehearsed && super::place::listed_on_a_rehearsal_environment(tb, &plan.symbol).await? {
            return Err(Refusal::new(
                "rehearse_on_testnet",
                format!("this list shape ({}) has never passed a test on testnet or demo", plan.shape()),
                "Run order_list_place with test_only: true and the same list type, types and fields on environment \"testnet\" first (amounts may differ), then repeat on production.",
            )
            .into());
        }
        let how = if approval == Approval::Elicited {
            "elicitation_accepted"
        } else {
            "argument"
        };
        tb.audit().confirmation(env, tool, how, &plan.describe());
    }
    // Ids are ours and journaled before anything leaves, so a lost answer can be looked up.
    let identity = plan.identity();
    let shape = plan.shape();
    let list_client_order_id = guard::client_order_id(plan.list_client_order_id.as_deref())?;
    for (_, order) in plan.legs.iter_mut() {
        order.new_client_order_id = Some(guard::client_order_id(order.new_client_order_id.as_deref())?);
    }
    // One leg of a bracket executes; an OTO's legs both do, the pending one closing the working one.
    let list_notional = plan
        .legs
        .iter()
        .zip(&checked)
        .filter_map(|((_, o), c)| notional(o, c.reference_price))
        .max();
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::OrderReserved {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: list_client_order_id.clone(),
        identity,
        shape: shape.clone(),
        order: serde_json::json!({
            "symbol": plan.symbol,
            "list_type": plan.list_type,
            "legs": plan.legs.iter().map(|(r, o)| serde_json::json!({"role": r.as_str(), "order": o})).collect::<Vec<_>>(),
        }),
        notional: list_notional,
        quote_asset: checked.first().map(|c| c.symbol.quote_asset.clone()),
    })?;
    let sent = tb
        .client(env)
        .place_order_list(plan.list_type.as_str(), plan.params(&list_client_order_id))
        .await;
    match sent {
        Ok(report) => {
            record_accepted(tb, env, &plan, &report, Some(shape))?;
            let confirmed = tb
                .client(env)
                .query_order_list(&OrderListRef::ClientId(list_client_order_id.clone()))
                .await;
            let provisional = confirmed.is_err();
            let status = confirmed
                .map(|q| q.list_order_status)
                .unwrap_or_else(|_| report.list_order_status.clone());
            Ok(OrderListOutput {
                environment: env,
                mode: "live".into(),
                list_type: Some(plan.list_type),
                list_client_order_id: Some(list_client_order_id),
                order_list_id: Some(report.order_list_id),
                list_status: Some(status),
                legs: leg_outcomes(&plan, Some(&report)),
                provisional,
                next_step: "Placed. Fills and the cancel of the other leg arrive as events: follow them with order_events, or order_status per leg; cancel the whole list with order_list_cancel.".into(),
            })
        }
        Err(e) if is_unknown_outcome(&e) => {
            let now = local_now_ms();
            tb.ledger().record(&LedgerEvent::OrderUnknown {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id: list_client_order_id.clone(),
                error: e.to_string(),
            })?;
            let out = reconcile_list(tb, env, &plan, &list_client_order_id, &e).await?;
            if let Some(mut incident) = crate::memory::incidents::Incident::from_error(&e, "") {
                incident.action = format!(
                    "did NOT resend the {} list; queried it by list client id: {}",
                    plan.list_type.as_str(),
                    out.list_status.as_deref().unwrap_or("UNKNOWN")
                );
                if let Err(err) = crate::memory::incidents::Incidents::new(tb.memory().clone()).record(&incident) {
                    tracing::warn!(error = %err, "could not write incidents.md");
                }
            }
            Ok(out)
        }
        Err(e) => {
            if let Some(incident) = crate::memory::incidents::Incident::from_error(
                &e,
                "order list not placed; returned the error to the agent",
            ) && let Err(err) = crate::memory::incidents::Incidents::new(tb.memory().clone()).record(&incident)
            {
                tracing::warn!(error = %err, "could not write incidents.md");
            }
            let now = local_now_ms();
            tb.ledger().record(&LedgerEvent::OrderRejected {
                at: utc(now),
                at_ms: now,
                environment: env,
                client_order_id: list_client_order_id,
                code: e.code(),
                message: e.to_string(),
            })?;
            Err(e.into())
        }
    }
}

/// Tests every leg as the order it becomes; a pass licenses one placement of this exact list.
async fn test_list(tb: &Toolbox, env: Environment, plan: &PlannedList) -> Result<OrderListOutput, ToolError> {
    for (role, order) in &plan.legs {
        if let Err(e) = tb.client(env).test_order(order, false).await {
            return Err(ToolError::invalid(format!(
                "Binance refused the {} order ({}) in its test: {}",
                role.as_str(),
                describe_order(order),
                e
            )));
        }
    }
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::TestPassed {
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
                order: describe_order(order),
                status: Some("TEST_PASSED".into()),
            })
            .collect(),
        provisional: false,
        next_step: "Every leg passed the filters and Binance's test. To place it, call order_list_place again with the same arguments without test_only within 5 minutes.".into(),
    })
}

/// Every leg goes to the ledger as an accepted order, so events and reconciliations follow it.
fn record_accepted(
    tb: &Toolbox,
    env: Environment,
    plan: &PlannedList,
    report: &OrderListReport,
    shape: Option<String>,
) -> Result<(), ToolError> {
    if env == Environment::Production {
        tb.user_streams().follow_production();
    }
    let now = local_now_ms();
    for member in &report.orders {
        let status = report
            .order_reports
            .iter()
            .find(|r| r.order_id == member.order_id)
            .and_then(|r| r.status.clone())
            .unwrap_or_else(|| "NEW".into());
        tb.ledger().record(&LedgerEvent::OrderAccepted {
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
    tb: &Toolbox,
    env: Environment,
    plan: &PlannedList,
    list_client_order_id: &str,
    cause: &BinanceError,
) -> Result<OrderListOutput, ToolError> {
    let mut absent = false;
    for delay in RECONCILE_BACKOFF_MS {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        match tb
            .client(env)
            .query_order_list(&OrderListRef::ClientId(list_client_order_id.to_owned()))
            .await
        {
            Ok(report) => {
                record_accepted(tb, env, plan, &report, None)?;
                record_reconciled(tb, env, list_client_order_id, "exists", Some(&report.list_order_status))?;
                return Ok(OrderListOutput {
                    environment: env,
                    mode: "live".into(),
                    list_type: Some(plan.list_type),
                    list_client_order_id: Some(list_client_order_id.to_owned()),
                    order_list_id: Some(report.order_list_id),
                    list_status: Some(report.list_order_status.clone()),
                    legs: leg_outcomes(plan, Some(&report)),
                    provisional: false,
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
    record_reconciled(tb, env, list_client_order_id, outcome, None)?;
    Ok(OrderListOutput {
        environment: env,
        mode: "live".into(),
        list_type: Some(plan.list_type),
        list_client_order_id: Some(list_client_order_id.to_owned()),
        order_list_id: None,
        list_status: Some(if absent { "NOT_FOUND" } else { "UNKNOWN" }.into()),
        legs: leg_outcomes(plan, None),
        provisional: true,
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

fn record_reconciled(
    tb: &Toolbox,
    env: Environment,
    client_order_id: &str,
    outcome: &str,
    status: Option<&String>,
) -> Result<(), ToolError> {
    let now = local_now_ms();
    tb.ledger().record(&LedgerEvent::Reconciled {
        at: utc(now),
        at_ms: now,
        environment: env,
        client_order_id: client_order_id.to_owned(),
        outcome: outcome.to_owned(),
        order_id: None,
        status: status.cloned(),
    })?;
    Ok(())
}

// ---- order_list_cancel ----------------------------------------------------------------------

/// The list type and (role, client order id) of each leg, from the reservation of a list this
/// server placed; nothing for a list placed elsewhere.
fn reserved_roles(
    tb: &Toolbox,
    env: Environment,
    list_client_order_id: &str,
) -> (Option<ListType>, Vec<(String, String)>) {
    let Ok(view) = tb.ledger().view() else {
        return (None, Vec::new());
    };
    let order = view.events().iter().rev().find_map(|e| match e {
        LedgerEvent::OrderReserved {
            environment,
            client_order_id,
            order,
            ..
        } if *environment == env && client_order_id == list_client_order_id => Some(order.clone()),
        _ => None,
    });
    let Some(order) = order else {
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
    /// e.g. BTCUSDT
    pub symbol: String,
    /// Binance's orderListId (give this or list_client_order_id).
    #[serde(default)]
    pub order_list_id: Option<i64>,
    #[serde(default)]
    pub list_client_order_id: Option<String>,
    /// default testnet
    #[serde(default)]
    pub environment: Option<Environment>,
    /// Production: true once the human agreed
    #[serde(default)]
    pub confirm_production: bool,
}

pub async fn order_list_cancel(tb: &Toolbox, args: OrderListCancelArgs) -> Result<OrderListOutput, ToolError> {
    let env = tb.signed_env(args.environment);
    guard::require_confirmation(env, args.confirm_production, "order_list_cancel")?;
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
        tb.audit().confirmation(
            env,
            "order_list_cancel",
            "argument",
            &format!("cancel order list {symbol} {list:?}"),
        );
    }
    let report = tb.client(env).cancel_order_list(&symbol, &list).await?;
    // Roles and kind come from the reservation, when this server placed the list.
    let (list_type, roles) = reserved_roles(tb, env, &report.list_client_order_id);
    let now = local_now_ms();
    for member in &report.orders {
        tb.ledger().record(&LedgerEvent::OrderCanceled {
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
        next_step: "The list is canceled: what any leg filled before stays filled (see order_events or order_history)."
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(role: Role, order_type: OrderType) -> ListLeg {
        ListLeg {
            role,
            order_type,
            side: None,
            quantity: None,
            price: None,
            stop_price: None,
            trailing_delta: None,
            time_in_force: None,
            iceberg_qty: None,
            client_order_id: None,
        }
    }

    fn amount(s: &str) -> Option<Amount> {
        Some(Amount(s.parse().expect("decimal")))
    }

    fn bracket() -> OrderListArgs {
        OrderListArgs {
            list_type: ListType::Oco,
            symbol: "btcusdt".into(),
            side: Some(Side::Sell),
            quantity: amount("0.01"),
            legs: vec![
                ListLeg {
                    price: amount("110000"),
                    ..leg(Role::Above, OrderType::LimitMaker)
                },
                ListLeg {
                    price: amount("89000"),
                    stop_price: amount("90000"),
                    time_in_force: Some(TimeInForce::Gtc),
                    ..leg(Role::Below, OrderType::StopLossLimit)
                },
            ],
            list_client_order_id: Some("bracket-1".into()),
            self_trade_prevention_mode: None,
            test_only: false,
            environment: None,
            confirm_production: false,
        }
    }

    #[test]
    fn an_oco_is_sent_with_binance_parameter_names() {
        let plan = bracket().plan().expect("plan");
        let params = plan.params("bracket-1");
        let get = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("symbol"), Some("BTCUSDT"));
        assert_eq!(get("side"), Some("SELL"));
        assert_eq!(get("quantity"), Some("0.01"));
        assert_eq!(get("aboveType"), Some("LIMIT_MAKER"));
        assert_eq!(get("abovePrice"), Some("110000"));
        assert_eq!(get("belowType"), Some("STOP_LOSS_LIMIT"));
        assert_eq!(get("belowStopPrice"), Some("90000"));
        assert_eq!(get("belowTimeInForce"), Some("GTC"));
        assert_eq!(get("listClientOrderId"), Some("bracket-1"));
        assert!(plan.check_pair_prices(Decimal::from(100_000)).is_ok());
        let err = plan
            .check_pair_prices(Decimal::from(115_000))
            .expect_err("above below market");
        assert!(err.to_string().contains("not correct"), "{err}");
    }

    #[test]
    fn an_otoco_names_its_pair_pending_above_and_below() {
        let mut args = bracket();
        args.list_type = ListType::Otoco;
        args.legs.insert(
            0,
            ListLeg {
                side: Some(Side::Buy),
                quantity: amount("0.01"),
                price: amount("99000"),
                time_in_force: Some(TimeInForce::Gtc),
                ..leg(Role::Working, OrderType::Limit)
            },
        );
        let plan = args.plan().expect("plan");
        let params = plan.params("x");
        let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        for want in [
            "workingType",
            "workingSide",
            "workingQuantity",
            "workingPrice",
            "pendingSide",
            "pendingQuantity",
            "pendingAboveType",
            "pendingAbovePrice",
            "pendingBelowType",
            "pendingBelowStopPrice",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(!names.contains(&"side") && !names.contains(&"aboveType"));
        assert_eq!(plan.legs.len(), 3);
    }

    #[test]
    fn wrong_shapes_are_refused_before_sending() {
        let refused = |args: OrderListArgs| args.plan().expect_err("refused").to_string();
        let mut args = bracket();
        args.legs.pop();
        assert!(refused(args).contains("needs a leg with role below"));
        let mut args = bracket();
        args.legs[1] = leg(Role::Below, OrderType::LimitMaker);
        assert!(refused(args).contains("below cannot be LIMIT_MAKER"));
        let mut args = bracket();
        args.list_type = ListType::Oto;
        assert!(args.plan().is_err());
        let mut args = bracket();
        args.legs.push(leg(Role::Working, OrderType::Limit));
        assert!(refused(args).contains("a working leg is not used"));
        let mut args = bracket();
        args.legs.push(leg(Role::Above, OrderType::TakeProfit));
        assert!(refused(args).contains("two legs"));
    }

    #[test]
    fn the_identity_changes_with_any_leg_and_the_shape_ignores_amounts() {
        let a = bracket().plan().expect("plan");
        let mut other = bracket();
        other.legs[1].stop_price = amount("91000");
        let b = other.plan().expect("plan");
        assert_ne!(a.identity(), b.identity());
        assert_eq!(a.shape(), b.shape());
    }
}
