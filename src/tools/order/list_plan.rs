//! The arguments of `order_list_place` and what they become: the list type, each leg as the
//! order it will be (`PlannedList`), the shape checks that need no request, the request
//! parameters in Binance's names (`aboveType`, `pendingAbovePrice`, ...), the OCO price rule,
//! and the identity and shape the gate's test-before-real and rehearsal rules key on.

use crate::tools::target::SignedTarget;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::describe_order;
use crate::guard;
use crate::tools::amount::Amount;
use crate::tools::{ToolError, normalize_symbol};
use spot_types::model::{NewOrder, OrderType, Side, StpMode, TimeInForce};

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
    /// One-pays-the-other: a BUY working order, then a SELL pending order of what it bought.
    Opo,
    /// A BUY working order, then a SELL above/below pair of what it bought.
    Opoco,
}

impl ListType {
    pub fn as_str(self) -> &'static str {
        match self {
            ListType::Oco => "oco",
            ListType::Oto => "oto",
            ListType::Otoco => "otoco",
            ListType::Opo => "opo",
            ListType::Opoco => "opoco",
        }
    }

    /// OPO/OPOCO: the pending orders sell what the working order receives, so they carry no
    /// quantity of their own (`faqs/opo.md`).
    pub fn pays_the_other(self) -> bool {
        matches!(self, ListType::Opo | ListType::Opoco)
    }

    /// The exchangeInfo flags the symbol needs for this list (`faqs/opo.md`: OPO needs
    /// otoAllowed and opoAllowed, OPOCO also ocoAllowed).
    pub fn needs(self) -> (bool, bool, bool) {
        let oco = matches!(self, ListType::Oco | ListType::Otoco | ListType::Opoco);
        let oto = self != ListType::Oco;
        (oco, oto, self.pays_the_other())
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
    /// working, and oto's pending
    #[serde(default)]
    pub quantity: Option<Amount>,
    #[serde(default)]
    pub price: Option<Amount>,
    #[serde(default)]
    pub stop_price: Option<Amount>,
    /// BIPS
    #[serde(default)]
    pub trailing_delta: Option<u32>,
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
    /// oco (above+below), oto (working+pending), otoco (working, then above+below), opo/opoco (as oto/otoco, pending sells what working bought)
    pub list_type: ListType,
    pub symbol: String,
    /// oco/otoco: side of the above/below pair
    #[serde(default)]
    pub side: Option<Side>,
    /// oco/otoco: quantity of the above/below pair (not opoco)
    #[serde(default)]
    pub quantity: Option<Amount>,
    pub legs: Vec<ListLeg>,
    #[serde(default)]
    pub list_client_order_id: Option<String>,
    #[serde(default)]
    pub self_trade_prevention_mode: Option<StpMode>,
    /// true: validate and test every leg, place nothing
    #[serde(default)]
    pub test_only: bool,
    #[serde(flatten)]
    pub target: SignedTarget,
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
        (ListType::Otoco | ListType::Opoco, Role::Above) => leg_names!("pendingAbove"),
        (ListType::Otoco | ListType::Opoco, Role::Below) => leg_names!("pendingBelow"),
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

/// The most quote asset a list can commit (DESIGN §4.1), from each leg's worst-case notional:
/// the legs that can all execute add up (an OTO's working and pending orders, an OTOCO's entry
/// and its exit), while of an above/below pair only one executes (the larger counts). None when
/// any leg's notional is unknown. An OPO/OPOCO's pending orders are sized at the working
/// quantity, the most they can sell, so they count like an OTO's.
pub fn list_worst_case_notional(legs: &[(Role, Option<Decimal>)]) -> Option<Decimal> {
    let mut all = Decimal::ZERO;
    let mut one_of_pair = Decimal::ZERO;
    for (role, notional) in legs {
        let notional = (*notional)?;
        match role {
            Role::Working | Role::Pending => all += notional,
            Role::Above | Role::Below => one_of_pair = one_of_pair.max(notional),
        }
    }
    Some((all + one_of_pair).normalize())
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
        let pair_side_and_quantity = || -> Result<(Side, Decimal), ToolError> {
            let side = self
                .side
                .ok_or_else(|| ToolError::invalid(format!("a {list} list needs side (of the above/below pair)")))?;
            let quantity = self
                .quantity
                .ok_or_else(|| ToolError::invalid(format!("a {list} list needs quantity (of the above/below pair)")))?
                .0;
            Ok((side, quantity))
        };
        let pair = |above: &ListLeg,
                    below: Option<&ListLeg>,
                    (side, quantity): (Side, Decimal)|
         -> Result<Vec<(Role, NewOrder)>, ToolError> {
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
        // OPO/OPOCO (`faqs/opo.md`): the working order buys and the pending ones sell what it
        // received; they are checked and tested at the working quantity, the most they can sell.
        let opo_working = |leg: &ListLeg| -> Result<(Role, NewOrder, Decimal), ToolError> {
            let (role, working) = working_leg(leg)?;
            if working.side != Side::Buy {
                return Err(ToolError::invalid(format!(
                    "the working order of a {list} list must BUY (it pays for what the pending orders sell); Binance refuses a SELL with -1222"
                )));
            }
            let quantity = working.quantity.unwrap_or_default();
            Ok((role, working, quantity))
        };
        let refuse_pending_buy = |side: Option<Side>| {
            if side == Some(Side::Buy) {
                Err(ToolError::invalid(format!(
                    "the pending orders of a {list} list must SELL (what the working order bought); Binance refuses a BUY with -1223"
                )))
            } else {
                Ok(())
            }
        };
        let legs = match self.list_type {
            ListType::Oco => {
                forbid(get(Role::Working).is_some(), "a working leg")?;
                forbid(get(Role::Pending).is_some(), "a pending leg")?;
                let above = require(Role::Above)?;
                let below = require(Role::Below)?;
                pair(&above, Some(&below), pair_side_and_quantity()?)?
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
                legs.extend(pair(&above, below.as_ref(), pair_side_and_quantity()?)?);
                legs
            }
            ListType::Opo => {
                forbid(get(Role::Above).is_some(), "an above leg")?;
                forbid(get(Role::Below).is_some(), "a below leg")?;
                forbid(self.side.is_some(), "side (give it in working and pending)")?;
                forbid(self.quantity.is_some(), "quantity (give it in working only)")?;
                let (role, working, quantity) = opo_working(&require(Role::Working)?)?;
                let pending = require(Role::Pending)?;
                forbid(
                    pending.quantity.is_some(),
                    "a pending quantity (the pending order sells what the working order bought; Binance refuses it with -1225)",
                )?;
                refuse_pending_buy(pending.side)?;
                vec![(role, working), (Role::Pending, order(&pending, Side::Sell, quantity))]
            }
            ListType::Opoco => {
                forbid(
                    get(Role::Pending).is_some(),
                    "a pending leg (an opoco's pending orders are above and below)",
                )?;
                forbid(
                    self.quantity.is_some(),
                    "quantity (the pair sells what the working order bought; Binance refuses it with -1225)",
                )?;
                refuse_pending_buy(self.side)?;
                let (role, working, quantity) = opo_working(&require(Role::Working)?)?;
                let above = require(Role::Above)?;
                let below = get(Role::Below);
                let mut legs = vec![(role, working)];
                legs.extend(pair(&above, below.as_ref(), (Side::Sell, quantity))?);
                legs
            }
        };
        Ok(PlannedList {
            list_type: self.list_type,
            symbol,
            side: match self.list_type {
                ListType::Opoco => Some(Side::Sell),
                _ => self.side,
            },
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

    /// True for a leg whose quantity is not sent: an OPO/OPOCO pending order, sized by what
    /// the working order receives (its planned quantity is the working quantity, an upper bound).
    pub fn quantity_follows_working(&self, role: Role) -> bool {
        self.list_type.pays_the_other() && role != Role::Working
    }

    /// One leg in words; an OPO/OPOCO pending order says its quantity is an upper bound.
    pub fn describe_leg(&self, role: Role, order: &NewOrder) -> String {
        let note = if self.quantity_follows_working(role) {
            " (at most: sells what the working order receives, net of commission)"
        } else {
            ""
        };
        format!("{}{note}", describe_order(order))
    }

    /// One line a human can approve.
    pub fn describe(&self) -> String {
        let legs: Vec<String> = self
            .legs
            .iter()
            .map(|(role, order)| format!("{}: {}", role.as_str(), self.describe_leg(*role, order)))
            .collect();
        format!(
            "{} {} [{}]",
            self.list_type.as_str().to_uppercase(),
            self.symbol,
            legs.join("; ")
        )
    }

    /// The request parameters in Binance's names.
    pub fn params(&self, list_client_order_id: &str) -> Vec<(&'static str, String)> {
        let dec = |d: Decimal| d.normalize().to_string();
        let mut params = vec![
            ("symbol", self.symbol.clone()),
            ("listClientOrderId", list_client_order_id.to_owned()),
        ];
        if let Some(side) = self.side {
            let (side_name, quantity_name) = if matches!(self.list_type, ListType::Otoco | ListType::Opoco) {
                ("pendingSide", "pendingQuantity")
            } else {
                ("side", "quantity")
            };
            params.push((side_name, side.as_str().to_owned()));
            if let Some(quantity) = self.quantity {
                params.push((quantity_name, dec(quantity)));
            }
        }
        for (role, order) in &self.legs {
            let n = names(self.list_type, *role);
            params.push((n.kind, order.order_type.as_str().to_owned()));
            if let (Some(side), Some(quantity)) = (n.side, n.quantity) {
                params.push((side, order.side.as_str().to_owned()));
                if let Some(q) = order.quantity.filter(|_| !self.quantity_follows_working(*role)) {
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
    pub fn check_pair_prices(&self, last_price: Decimal) -> Result<(), ToolError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_commits_every_leg_that_can_execute() {
        let d = |n: i64| Some(Decimal::from(n));
        // OCO: one leg executes.
        assert_eq!(
            list_worst_case_notional(&[(Role::Above, d(60)), (Role::Below, d(55))]),
            d(60)
        );
        // OTO: the working order fills, then the pending one: both.
        assert_eq!(
            list_worst_case_notional(&[(Role::Working, d(60)), (Role::Pending, d(60))]),
            d(120)
        );
        // OTOCO: the entry and the larger exit.
        assert_eq!(
            list_worst_case_notional(&[(Role::Working, d(40)), (Role::Above, d(45)), (Role::Below, d(35))]),
            d(85)
        );
        assert_eq!(
            list_worst_case_notional(&[(Role::Working, d(40)), (Role::Pending, None)]),
            None
        );
    }

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
            target: SignedTarget::default(),
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

    fn opo() -> OrderListArgs {
        OrderListArgs {
            list_type: ListType::Opo,
            symbol: "BTCUSDT".into(),
            side: None,
            quantity: None,
            legs: vec![
                ListLeg {
                    side: Some(Side::Buy),
                    quantity: amount("0.01"),
                    price: amount("99000"),
                    time_in_force: Some(TimeInForce::Gtc),
                    ..leg(Role::Working, OrderType::Limit)
                },
                ListLeg {
                    price: amount("105000"),
                    ..leg(Role::Pending, OrderType::LimitMaker)
                },
            ],
            list_client_order_id: None,
            self_trade_prevention_mode: None,
            test_only: false,
            target: SignedTarget::default(),
        }
    }

    #[test]
    fn an_opo_sells_what_it_buys_without_sending_a_pending_quantity() {
        let plan = opo().plan().expect("plan");
        let params = plan.params("opo-1");
        let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
        assert!(names.contains(&"pendingSide") && names.contains(&"workingQuantity"));
        assert!(!names.contains(&"pendingQuantity"), "{names:?}");
        // Checked and tested at the working quantity, the most it can sell.
        let (_, pending) = &plan.legs[1];
        assert_eq!((pending.side, pending.quantity), (Side::Sell, Some(Decimal::new(1, 2))));
        assert!(plan.describe().contains("at most"), "{}", plan.describe());
        let refused = |change: fn(&mut OrderListArgs)| {
            let mut args = opo();
            change(&mut args);
            args.plan().expect_err("refused").to_string()
        };
        assert!(refused(|a| a.legs[0].side = Some(Side::Sell)).contains("-1222"));
        assert!(refused(|a| a.legs[1].side = Some(Side::Buy)).contains("-1223"));
        assert!(refused(|a| a.legs[1].quantity = amount("0.01")).contains("-1225"));

        let mut opoco = bracket();
        opoco.list_type = ListType::Opoco;
        opoco.side = None;
        opoco.quantity = None;
        opoco.legs.insert(0, opo().legs.remove(0));
        let plan = opoco.plan().expect("opoco");
        let params = plan.params("x");
        let get = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("pendingSide"), Some("SELL"));
        assert_eq!(get("pendingAboveType"), Some("LIMIT_MAKER"));
        assert_eq!(get("pendingQuantity"), None);
        assert_eq!(plan.legs.len(), 3);
        assert!(plan.check_pair_prices(Decimal::from(100_000)).is_ok());
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
