//! Parameters of `POST /api/v3/orderList/oco`, `/oto`, `/otoco`, `/opo` and `/opoco` (`rest-api.md`,
//! Order lists; `faqs/opo.md`):
//! each leg's prefixed parameters (`aboveType`, `workingPrice`, `pendingBelowStopPrice`, ...) are
//! read as one plain new order by the `order_params` checks, with errors naming the prefixed
//! parameter; then the list rules: leg types (-1158, -1014), OCO leg placement (-1165, -1166,
//! -1168, -1196..-1199), iceberg legs with a non-GTC time in force (-1160), `listClientOrderId`
//! syntax and `newOrderRespType`. OPO/OPOCO: the working leg must BUY (-1222) and the pending
//! legs SELL (-1223); the pending legs take no quantity (`pendingQuantity` -1225, the working
//! leg's `workingQuantity` missing -1224: the codes errors.md names for OPO, with its message
//! templates; which parameter triggers which is inferred). Each pending leg is read with the
//! working quantity, the most it can sell, so its filters are checked against that bound.

use super::error::{ApiError, code};
use super::order_list_model::ListKind;
use super::order_model::{OrderType, RespType, Side};
use super::order_params::{NewOrder, check_client_order_id, parse_new_order};
use super::params::Params;
use super::symbols::SymbolSpec;

/// Per-leg parameter suffixes and the plain new-order parameter each one stands for.
const LEG_FIELDS: [(&str, &str); 12] = [
    ("Type", "type"),
    ("ClientOrderId", "newClientOrderId"),
    ("Price", "price"),
    ("StopPrice", "stopPrice"),
    ("TrailingDelta", "trailingDelta"),
    ("IcebergQty", "icebergQty"),
    ("TimeInForce", "timeInForce"),
    ("StrategyId", "strategyId"),
    ("StrategyType", "strategyType"),
    ("PegPriceType", "pegPriceType"),
    ("PegOffsetType", "pegOffsetType"),
    ("PegOffsetValue", "pegOffsetValue"),
];

/// Suffixes a working leg does not take (it is a LIMIT or LIMIT_MAKER).
const NOT_FOR_WORKING: [&str; 2] = ["StopPrice", "TrailingDelta"];

/// Parameters every list placement reads besides its legs and the signed-request ones.
const LIST_PARAMS: [&str; 4] = [
    "symbol",
    "listClientOrderId",
    "newOrderRespType",
    "selfTradePreventionMode",
];

/// The part a leg plays in its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegRole {
    /// OCO leg priced above the last price.
    Above,
    /// OCO leg priced below the last price.
    Below,
    /// OTO/OTOCO leg that goes on the book at once.
    Working,
    /// OTO leg placed when the working leg fills.
    Pending,
    /// OTOCO pending OCO leg above the last price.
    PendingAbove,
    /// OTOCO pending OCO leg below the last price.
    PendingBelow,
}

impl LegRole {
    /// Waits (`PENDING_NEW`) for the working leg to fill.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Pending | Self::PendingAbove | Self::PendingBelow)
    }

    /// Part of a one-cancels-the-other pair.
    pub fn is_oco(self) -> bool {
        matches!(
            self,
            Self::Above | Self::Below | Self::PendingAbove | Self::PendingBelow
        )
    }
}

/// One leg: its role and its order.
#[derive(Debug, Clone)]
pub struct Leg {
    pub role: LegRole,
    pub order: NewOrder,
}

/// A syntactically valid order list (filters not yet applied), legs in the order Binance reports
/// them: working first, then an OCO pair with its stop-loss leg first.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub kind: ListKind,
    pub list_client_order_id: Option<String>,
    /// `newOrderRespType`, FULL by default (the documented default of order-list placement).
    pub resp_type: RespType,
    pub legs: Vec<Leg>,
}

/// Every parameter `kind`'s endpoint reads besides the signed-request ones (for the -1104 check).
pub fn list_param_names(kind: ListKind) -> Vec<String> {
    let mut names: Vec<String> = LIST_PARAMS.iter().map(|n| (*n).to_owned()).collect();
    let mut leg = |prefix: &str, skip: &[&str]| {
        for (suffix, _) in LEG_FIELDS.iter().filter(|(s, _)| !skip.contains(s)) {
            names.push(format!("{prefix}{suffix}"));
        }
    };
    match kind {
        ListKind::Oco => {
            leg("above", &[]);
            leg("below", &[]);
            names.extend(["side".to_owned(), "quantity".to_owned()]);
        }
        ListKind::Oto => {
            leg("working", &NOT_FOR_WORKING);
            leg("pending", &[]);
            names.extend(["workingSide", "workingQuantity", "pendingSide", "pendingQuantity"].map(str::to_owned));
        }
        ListKind::Otoco | ListKind::Opoco => {
            leg("working", &NOT_FOR_WORKING);
            leg("pendingAbove", &[]);
            leg("pendingBelow", &[]);
            names.extend(["workingSide", "workingQuantity", "pendingSide", "pendingQuantity"].map(str::to_owned));
        }
        // `pendingQuantity` is read only to refuse it with -1225.
        ListKind::Opo => {
            leg("working", &NOT_FOR_WORKING);
            leg("pending", &[]);
            names.extend(["workingSide", "workingQuantity", "pendingSide", "pendingQuantity"].map(str::to_owned));
        }
    }
    names
}

/// Reads and checks the parameters of a `kind` list placement for the symbol `spec`.
pub fn parse_list(kind: ListKind, params: &Params, spec: &SymbolSpec) -> Result<ListRequest, ApiError> {
    let list_client_order_id = params.optional("listClientOrderId")?;
    if let Some(id) = list_client_order_id {
        check_client_order_id("listClientOrderId", id)?;
    }
    let resp_type = match params.optional("newOrderRespType")? {
        None => RespType::Full,
        Some(t) => RespType::parse(t).ok_or_else(|| ApiError::invalid_value("newOrderRespType"))?,
    };
    if kind.pays_the_other() {
        check_pays_the_other(params)?;
    }
    // An OPO's pending legs read `workingQuantity` as their quantity: the most they can sell.
    let pending = if kind.pays_the_other() {
        ("pendingSide", "workingQuantity")
    } else {
        ("pendingSide", "pendingQuantity")
    };
    let legs = match kind {
        ListKind::Oco => oco_pair(params, spec, ("above", "below"), ("side", "quantity"), false)?,
        ListKind::Oto | ListKind::Opo => {
            let working = working_leg(params, spec)?;
            let pending = leg(params, spec, "pending", pending)?;
            vec![
                working,
                Leg {
                    role: LegRole::Pending,
                    order: pending,
                },
            ]
        }
        ListKind::Otoco | ListKind::Opoco => {
            let working = working_leg(params, spec)?;
            let mut legs = vec![working];
            legs.extend(oco_pair(params, spec, ("pendingAbove", "pendingBelow"), pending, true)?);
            legs
        }
    };
    Ok(ListRequest {
        kind,
        list_client_order_id: list_client_order_id.map(str::to_owned),
        resp_type,
        legs,
    })
}

/// The OPO rules that come before the legs are read: the working quantity is required, the
/// pending legs take none, the working leg buys and the pending legs sell.
fn check_pays_the_other(params: &Params) -> Result<(), ApiError> {
    if params.get("workingQuantity").is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(
            code::WORKING_PARAM_REQUIRED,
            "Working order must include the 'workingQuantity' tag.",
        ));
    }
    if params.get("pendingQuantity").is_some() {
        return Err(ApiError::bad_request(
            code::PENDING_PARAM_NOT_REQUIRED,
            "Pending orders should not include the 'pendingQuantity' tag.",
        ));
    }
    if params.get("workingSide").and_then(Side::parse) == Some(Side::Sell) {
        return Err(ApiError::bad_request(
            code::OPO_WORKING_MUST_BE_BUY,
            "Working order in an OPO list must be a bid.",
        ));
    }
    if params.get("pendingSide").and_then(Side::parse) == Some(Side::Buy) {
        return Err(ApiError::bad_request(
            code::OPO_PENDING_MUST_BE_SELL,
            "Pending orders in an OPO list must be asks.",
        ));
    }
    Ok(())
}

/// The working leg of an OTO/OTOCO: LIMIT or LIMIT_MAKER only (-1014 otherwise).
fn working_leg(params: &Params, spec: &SymbolSpec) -> Result<Leg, ApiError> {
    let kind = OrderType::parse(params.required("workingType")?);
    if kind.is_some_and(|k| !matches!(k, OrderType::Limit | OrderType::LimitMaker)) {
        return Err(ApiError::bad_request(
            code::UNKNOWN_ORDER_COMPOSITION,
            "Unsupported order combination.",
        ));
    }
    Ok(Leg {
        role: LegRole::Working,
        order: leg(params, spec, "working", ("workingSide", "workingQuantity"))?,
    })
}

/// The two legs of an OCO (or an OTOCO's pending pair), stop-loss leg first.
fn oco_pair(
    params: &Params,
    spec: &SymbolSpec,
    (above_prefix, below_prefix): (&str, &str),
    shared: (&str, &str),
    pending: bool,
) -> Result<Vec<Leg>, ApiError> {
    for prefix in [above_prefix, below_prefix] {
        let kind = OrderType::parse(params.required(&format!("{prefix}Type"))?);
        if kind.is_some_and(|k| matches!(k, OrderType::Limit | OrderType::Market)) {
            return Err(ApiError::bad_request(
                code::OCO_ORDER_TYPE_REJECTED,
                "Order type not supported in OCO.",
            ));
        }
        let iceberg = format!("{prefix}IcebergQty");
        let tif = params.optional(&format!("{prefix}TimeInForce"))?;
        if params.get(&iceberg).is_some() && tif.is_some_and(|t| t != "GTC") {
            return Err(ApiError::bad_request(
                code::OCO_ICEBERGQTY_TIMEINFORCE,
                format!("Parameter '{iceberg}' is not supported if aboveTimeInForce/belowTimeInForce is not GTC."),
            ));
        }
    }
    let above = leg(params, spec, above_prefix, shared)?;
    let below = leg(params, spec, below_prefix, shared)?;
    check_oco_placement(above.side, above.kind, below.kind)?;
    let (above_role, below_role) = if pending {
        (LegRole::PendingAbove, LegRole::PendingBelow)
    } else {
        (LegRole::Above, LegRole::Below)
    };
    let above = Leg {
        role: above_role,
        order: above,
    };
    let below = Leg {
        role: below_role,
        order: below,
    };
    // Binance reports (and numbers) the stop-loss leg first.
    Ok(if is_stop_loss(above.order.kind) {
        vec![above, below]
    } else {
        vec![below, above]
    })
}

fn is_stop_loss(kind: OrderType) -> bool {
    matches!(kind, OrderType::StopLoss | OrderType::StopLossLimit)
}

/// Which leg of an OCO each type belongs to (`rest-api.md`: a SELL OCO has its LIMIT_MAKER /
/// TAKE_PROFIT(_LIMIT) leg above the last price and its STOP_LOSS(_LIMIT) leg below; a BUY OCO
/// the reverse), with the documented codes for a leg on the wrong side.
fn check_oco_placement(side: Side, above: OrderType, below: OrderType) -> Result<(), ApiError> {
    if above == OrderType::LimitMaker && below == OrderType::LimitMaker {
        return Err(ApiError::bad_request(
            code::BOTH_OCO_ORDERS_CANNOT_BE_LIMIT,
            "At least one OCO order must be contingent.",
        ));
    }
    for (kind, is_above) in [(above, true), (below, false)] {
        let belongs_above = is_stop_loss(kind) == (side == Side::Buy);
        if belongs_above == is_above {
            continue;
        }
        let (code, msg) = match (side, kind) {
            (Side::Buy, OrderType::LimitMaker) => (
                code::BUY_OCO_LIMIT_MUST_BE_BELOW,
                "A limit order in a buy OCO must be below.",
            ),
            (Side::Sell, OrderType::LimitMaker) => (
                code::SELL_OCO_LIMIT_MUST_BE_ABOVE,
                "A limit order in a sell OCO must be above.",
            ),
            (Side::Buy, k) if is_stop_loss(k) => (
                code::BUY_OCO_STOP_LOSS_MUST_BE_ABOVE,
                "A stop loss order in a buy OCO must be above.",
            ),
            (Side::Sell, k) if is_stop_loss(k) => (
                code::SELL_OCO_STOP_LOSS_MUST_BE_BELOW,
                "A stop loss order in a sell OCO must be below.",
            ),
            (Side::Buy, _) => (
                code::BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW,
                "A take profit order in a buy OCO must be below.",
            ),
            (Side::Sell, _) => (
                code::SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE,
                "A take profit order in a sell OCO must be above.",
            ),
        };
        return Err(ApiError::bad_request(code, msg));
    }
    Ok(())
}

/// One leg read as a plain new order: `{prefix}Type` as `type`, ..., with the list's side and
/// quantity parameters `shared` and its STP mode; errors name the parameters as sent.
fn leg(params: &Params, spec: &SymbolSpec, prefix: &str, shared: (&str, &str)) -> Result<NewOrder, ApiError> {
    let prefixed: Vec<(String, &str)> = LEG_FIELDS
        .iter()
        .map(|(suffix, plain)| (format!("{prefix}{suffix}"), *plain))
        .collect();
    let mut renames: Vec<(&str, &str)> = prefixed.iter().map(|(from, to)| (from.as_str(), *to)).collect();
    renames.extend([
        (shared.0, "side"),
        (shared.1, "quantity"),
        ("selfTradePreventionMode", "selfTradePreventionMode"),
    ]);
    parse_new_order(&params.select(&renames), spec).map_err(|error| named_as_sent(error, &renames))
}

/// Rewrites `'plain'` parameter names in an error message to the names the client sent.
fn named_as_sent(mut error: ApiError, renames: &[(&str, &str)]) -> ApiError {
    for (sent, plain) in renames.iter().filter(|(sent, plain)| sent != plain) {
        error.msg = error.msg.replace(&format!("'{plain}'"), &format!("'{sent}'"));
    }
    error
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    fn parse(kind: ListKind, query: &str) -> Result<ListRequest, ApiError> {
        let spec = default_symbols().remove(0);
        parse_list(kind, &Params::parse(Some(query)).unwrap(), &spec)
    }

    fn msg(kind: ListKind, query: &str) -> (i32, String) {
        let err = parse(kind, query).unwrap_err();
        (err.code, err.msg)
    }

    const SELL_OCO: &str = "side=SELL&quantity=0.01&aboveType=LIMIT_MAKER&abovePrice=100000\
        &belowType=STOP_LOSS_LIMIT&belowPrice=89000&belowStopPrice=90000&belowTimeInForce=GTC";

    #[test]
    fn oco_legs_come_stop_loss_first_with_the_shared_side_and_quantity() {
        let list = parse(ListKind::Oco, SELL_OCO).unwrap();
        assert_eq!(list.resp_type, RespType::Full);
        let roles: Vec<LegRole> = list.legs.iter().map(|l| l.role).collect();
        assert_eq!(roles, [LegRole::Below, LegRole::Above]);
        assert_eq!(list.legs[0].order.kind, OrderType::StopLossLimit);
        assert!(list.legs.iter().all(|l| l.order.side == Side::Sell));
        assert!(
            list.legs
                .iter()
                .all(|l| l.order.quantity == Some("0.01".parse().unwrap()))
        );
    }

    #[test]
    fn oco_type_and_placement_errors() {
        let cases: [(&str, i32, &str); 6] = [
            (
                "side=SELL&quantity=1&aboveType=LIMIT&abovePrice=1&belowType=STOP_LOSS&belowStopPrice=1",
                -1158,
                "Order type not supported in OCO.",
            ),
            (
                "side=SELL&quantity=1&aboveType=LIMIT_MAKER&abovePrice=2&belowType=LIMIT_MAKER&belowPrice=1",
                -1168,
                "At least one OCO order must be contingent.",
            ),
            (
                "side=BUY&quantity=1&aboveType=LIMIT_MAKER&abovePrice=2&belowType=STOP_LOSS&belowStopPrice=1",
                -1165,
                "A limit order in a buy OCO must be below.",
            ),
            (
                "side=SELL&quantity=1&aboveType=STOP_LOSS&aboveStopPrice=2&belowType=LIMIT_MAKER&belowPrice=1",
                -1197,
                "A stop loss order in a sell OCO must be below.",
            ),
            (
                "side=BUY&quantity=1&aboveType=TAKE_PROFIT&aboveStopPrice=2&belowType=STOP_LOSS&belowStopPrice=1",
                -1198,
                "A take profit order in a buy OCO must be below.",
            ),
            (
                "side=SELL&quantity=1&aboveType=LIMIT_MAKER&abovePrice=2&aboveIcebergQty=0.1&aboveTimeInForce=IOC\
                 &belowType=STOP_LOSS&belowStopPrice=1",
                -1160,
                "Parameter 'aboveIcebergQty' is not supported if aboveTimeInForce/belowTimeInForce is not GTC.",
            ),
        ];
        for (query, code, text) in cases {
            assert_eq!(msg(ListKind::Oco, query), (code, text.to_owned()), "{query}");
        }
    }

    #[test]
    fn leg_errors_name_the_prefixed_parameter() {
        assert_eq!(
            msg(
                ListKind::Oco,
                "side=SELL&quantity=1&aboveType=LIMIT_MAKER&belowType=STOP_LOSS&belowStopPrice=1"
            ),
            (
                -1102,
                "Mandatory parameter 'abovePrice' was not sent, was empty/null, or malformed.".to_owned()
            )
        );
        assert_eq!(
            msg(
                ListKind::Oco,
                "side=SELL&quantity=1&aboveType=LIMIT_MAKER&abovePrice=2&belowType=STOP_LOSS"
            ),
            (
                -1102,
                "Param 'belowStopPrice' or 'belowTrailingDelta' must be sent, but both were empty/null!".to_owned()
            )
        );
        assert_eq!(
            msg(
                ListKind::Oto,
                "workingType=LIMIT&workingSide=BUY&workingPrice=1&workingQuantity=1\
                 &pendingType=MARKET&pendingSide=SELL&pendingQuantity=1"
            ),
            (
                -1102,
                "Mandatory parameter 'workingTimeInForce' was not sent, was empty/null, or malformed.".to_owned()
            )
        );
        assert_eq!(
            msg(
                ListKind::Oto,
                "workingType=LIMIT_MAKER&workingSide=BUY&workingPrice=1&workingQuantity=1\
                 &pendingType=MARKET&pendingSide=SELL&pendingQuantity=1&pendingPrice=3"
            ),
            (-1106, "Parameter 'pendingPrice' sent when not required.".to_owned())
        );
        assert_eq!(
            msg(ListKind::Oto, "workingType=MARKET&workingSide=BUY"),
            (-1014, "Unsupported order combination.".to_owned())
        );
        assert_eq!(
            msg(ListKind::Oco, &format!("{SELL_OCO}&listClientOrderId=bad%20id")).0,
            -1100
        );
        assert_eq!(
            msg(ListKind::Oco, &format!("{SELL_OCO}&newOrderRespType=SHORT")).0,
            -1130
        );
    }

    #[test]
    fn otoco_has_a_working_leg_and_a_pending_pair() {
        let list = parse(
            ListKind::Otoco,
            "workingType=LIMIT&workingSide=BUY&workingPrice=90000&workingQuantity=0.01&workingTimeInForce=GTC\
             &pendingSide=SELL&pendingQuantity=0.01&pendingAboveType=LIMIT_MAKER&pendingAbovePrice=100000\
             &pendingBelowType=STOP_LOSS&pendingBelowStopPrice=85000&newOrderRespType=ACK",
        )
        .unwrap();
        let roles: Vec<LegRole> = list.legs.iter().map(|l| l.role).collect();
        assert_eq!(roles, [LegRole::Working, LegRole::PendingBelow, LegRole::PendingAbove]);
        assert_eq!(list.resp_type, RespType::Ack);
        assert!(roles[1].is_pending() && roles[1].is_oco() && !roles[0].is_pending());
        let names = list_param_names(ListKind::Otoco);
        assert!(names.contains(&"pendingBelowTrailingDelta".to_owned()));
        assert!(!names.contains(&"workingStopPrice".to_owned()));
    }
}
