//! Parameter checks of `POST /api/v3/order` (and `/order/test`) before any filter: enums
//! (-1115/-1116/-1117), per-type mandatory (-1102) and unwanted (-1106) parameters, decimal
//! syntax (-1100) and precision (-1111), `newClientOrderId` syntax, and the structural
//! combinations the docs forbid. Also the order ids the other order endpoints read:
//! `orderId` / `origClientOrderId`, and a request's `newClientOrderId` or its generated default.

use rand::Rng;
use rand::distr::Alphanumeric;
use rust_decimal::Decimal;

use super::error::{ApiError, DECIMAL_RANGE, code};
use super::order_model::{OrderType, RespType, Side, TimeInForce};
use super::params::{Params, parse_u64};
use super::symbols::SymbolSpec;

/// Legal range of client order ids (maintainer reply in binance-spot-api-docs#34; FIX `ClOrdID`).
pub const CLIENT_ORDER_ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";

/// Every self-trade-prevention mode `enums.md` knows.
const STP_MODES: [&str; 6] = [
    "NONE",
    "EXPIRE_TAKER",
    "EXPIRE_MAKER",
    "EXPIRE_BOTH",
    "DECREMENT",
    "TRANSFER",
];

/// Parameters `POST /api/v3/order` reads besides the signed-request ones.
pub const NEW_ORDER_PARAMS: [&str; 18] = [
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "quoteOrderQty",
    "price",
    "newClientOrderId",
    "strategyId",
    "strategyType",
    "stopPrice",
    "trailingDelta",
    "icebergQty",
    "newOrderRespType",
    "selfTradePreventionMode",
    "pegPriceType",
    "pegOffsetValue",
    "pegOffsetType",
];

/// A syntactically valid new order (filters not yet applied).
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub side: Side,
    pub kind: OrderType,
    pub time_in_force: Option<TimeInForce>,
    pub quantity: Option<Decimal>,
    pub quote_order_qty: Option<Decimal>,
    pub price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub trailing_delta: Option<u32>,
    pub iceberg_qty: Option<Decimal>,
    pub client_order_id: Option<String>,
    pub strategy_id: Option<u64>,
    pub strategy_type: Option<u64>,
    pub resp_type: RespType,
    /// As sent; `None` means the symbol's default.
    pub stp_mode: Option<String>,
}

/// Reads and checks the new-order parameters of `params` for the symbol `spec`.
pub fn parse_new_order(params: &Params, spec: &SymbolSpec) -> Result<NewOrder, ApiError> {
    let side = Side::parse(params.required("side")?)
        .ok_or_else(|| ApiError::bad_request(code::INVALID_SIDE, "Invalid side."))?;
    let kind = OrderType::parse(params.required("type")?)
        .ok_or_else(|| ApiError::bad_request(code::INVALID_ORDER_TYPE, "Invalid orderType."))?;
    let time_in_force = params
        .optional("timeInForce")?
        .map(|t| TimeInForce::parse(t).ok_or_else(|| ApiError::bad_request(code::INVALID_TIF, "Invalid timeInForce.")))
        .transpose()?;
    let resp_type = match params.optional("newOrderRespType")? {
        None => RespType::default_for(kind),
        Some(t) => RespType::parse(t).ok_or_else(|| ApiError::invalid_value("newOrderRespType"))?,
    };
    let stp_mode = params.optional("selfTradePreventionMode")?;
    if stp_mode.is_some_and(|m| !STP_MODES.contains(&m)) {
        return Err(ApiError::invalid_value("selfTradePreventionMode"));
    }
    check_peg(params)?;
    check_presence(params, kind)?;

    let base_dp = spec.base_asset_precision;
    let quote_dp = spec.quote_asset_precision;
    let quantity = decimal(params, "quantity", base_dp)?;
    let quote_order_qty = decimal(params, "quoteOrderQty", quote_dp)?;
    let price = decimal(params, "price", quote_dp)?;
    let stop_price = decimal(params, "stopPrice", quote_dp)?;
    let iceberg_qty = decimal(params, "icebergQty", base_dp)?;
    let trailing_delta = params
        .optional("trailingDelta")?
        .map(|v| parse_u64("trailingDelta", v).map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
        .transpose()?;
    let strategy_id = params
        .optional("strategyId")?
        .map(|v| parse_u64("strategyId", v))
        .transpose()?;
    let strategy_type = params
        .optional("strategyType")?
        .map(|v| parse_u64("strategyType", v))
        .transpose()?;
    if strategy_type.is_some_and(|t| t < 1_000_000) {
        return Err(ApiError::bad_request(
            code::BAD_STRATEGY_TYPE,
            "strategyType was less than 1000000.",
        ));
    }
    let client_order_id = params.optional("newClientOrderId")?;
    if let Some(id) = client_order_id {
        check_client_order_id("newClientOrderId", id)?;
    }

    let order = NewOrder {
        side,
        kind,
        time_in_force,
        quantity,
        quote_order_qty,
        price,
        stop_price,
        trailing_delta,
        iceberg_qty,
        client_order_id: client_order_id.map(str::to_owned),
        strategy_id,
        strategy_type,
        resp_type,
        stp_mode: stp_mode.map(str::to_owned),
    };
    check_combinations(&order, spec)?;
    Ok(order)
}

/// `orderId` and `origClientOrderId`; neither is -1102.
pub fn order_ids(params: &Params) -> Result<(Option<u64>, Option<String>), ApiError> {
    let order_id = params.optional_u64("orderId")?;
    let client_id = params.optional("origClientOrderId")?.map(str::to_owned);
    if order_id.is_none() && client_id.is_none() {
        return Err(ApiError::either("origClientOrderId", "orderId"));
    }
    Ok((order_id, client_id))
}

/// A request's `newClientOrderId` (-1100 on illegal characters), or a generated one when it
/// sent none.
pub fn new_client_order_id(params: &Params) -> Result<String, ApiError> {
    match params.optional("newClientOrderId")? {
        Some(id) => {
            check_client_order_id("newClientOrderId", id)?;
            Ok(id.to_owned())
        }
        None => Ok(generate_client_order_id()),
    }
}

/// A 22-character alphanumeric id, like Binance's generated client order ids.
pub fn generate_client_order_id() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(22)
        .map(char::from)
        .collect()
}

/// -1100 unless `id` matches `^[a-zA-Z0-9-_]{1,36}$`.
pub fn check_client_order_id(name: &str, id: &str) -> Result<(), ApiError> {
    let ok = (1..=36).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::illegal_chars(name, CLIENT_ORDER_ID_RANGE))
    }
}

/// A DECIMAL parameter: `^([0-9]{1,20})(\.[0-9]{1,20})?$` (-1100), at most `max_dp`
/// significant decimals (-1111).
pub fn decimal(params: &Params, name: &str, max_dp: u32) -> Result<Option<Decimal>, ApiError> {
    let Some(text) = params.optional(name)? else {
        return Ok(None);
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let shape_ok = (1..=20).contains(&whole.len())
        && digits(whole)
        && fraction.len() <= 20
        && digits(fraction)
        && (fraction.is_empty() != text.contains('.'));
    if !shape_ok {
        return Err(ApiError::illegal_chars(name, DECIMAL_RANGE));
    }
    if fraction.trim_end_matches('0').len() > max_dp as usize {
        return Err(ApiError::bad_request(
            code::BAD_PRECISION,
            format!("Parameter '{name}' has too much precision."),
        ));
    }
    Decimal::from_str_exact(text)
        .map(|d| Some(d.normalize()))
        .map_err(|_| ApiError::bad_request(code::PARAM_OVERFLOW, format!("Parameter '{name}' overflowed.")))
}

/// Pegged orders are not emulated: a valid `pegPriceType` is refused like on a symbol without
/// `pegInstructionsAllowed`.
fn check_peg(params: &Params) -> Result<(), ApiError> {
    match params.optional("pegPriceType")? {
        Some("PRIMARY_PEG" | "MARKET_PEG") => Err(ApiError::new_order_rejected(
            "Pegged orders are not supported for this symbol.",
        )),
        Some(_) => Err(ApiError::bad_request(
            code::INVALID_PEG_PRICE_TYPE,
            "Invalid pegPriceType.",
        )),
        None => {
            for name in ["pegOffsetValue", "pegOffsetType"] {
                if params.get(name).is_some() {
                    return Err(ApiError::not_required(name));
                }
            }
            Ok(())
        }
    }
}

/// The documented per-type mandatory parameters (-1102), then parameters the type does not take (-1106).
fn check_presence(params: &Params, kind: OrderType) -> Result<(), ApiError> {
    let sent = |name: &str| params.get(name).is_some();
    let mut mandatory: Vec<&str> = Vec::new();
    if kind.needs_time_in_force() {
        mandatory.push("timeInForce");
    }
    if kind != OrderType::Market {
        mandatory.push("quantity");
    }
    if !kind.is_market_like() {
        mandatory.push("price");
    }
    for name in mandatory {
        params.required(name)?;
    }
    if kind == OrderType::Market && !sent("quantity") && !sent("quoteOrderQty") {
        return Err(ApiError::either("quantity", "quoteOrderQty"));
    }
    if kind.is_stop() && !sent("stopPrice") && !sent("trailingDelta") {
        return Err(ApiError::either("stopPrice", "trailingDelta"));
    }
    let mut unwanted: Vec<&str> = Vec::new();
    if !kind.needs_time_in_force() {
        unwanted.push("timeInForce");
    }
    if kind.is_market_like() {
        unwanted.push("price");
        unwanted.push("icebergQty");
    }
    if kind != OrderType::Market || sent("quantity") {
        unwanted.push("quoteOrderQty");
    }
    if !kind.is_stop() {
        unwanted.push("stopPrice");
        unwanted.push("trailingDelta");
    }
    match unwanted.into_iter().find(|name| sent(name)) {
        Some(name) => Err(ApiError::not_required(name)),
        None => Ok(()),
    }
}

/// Combinations the docs forbid, and the symbol's feature flags (matching-engine messages, -2010).
fn check_combinations(order: &NewOrder, spec: &SymbolSpec) -> Result<(), ApiError> {
    let flags = &spec.flags;
    if let Some(iceberg) = order.iceberg_qty {
        if !flags.iceberg_allowed {
            return Err(ApiError::new_order_rejected(
                "Iceberg orders are not supported for this symbol.",
            ));
        }
        if order.time_in_force.is_some_and(|t| t != TimeInForce::Gtc) {
            return Err(ApiError::new_order_rejected("Unsupported order combination"));
        }
        if order.quantity.is_some_and(|q| iceberg >= q) {
            return Err(ApiError::new_order_rejected("IcebergQty exceeds QTY."));
        }
    }
    if order.quote_order_qty.is_some() && !flags.quote_order_qty_market_allowed {
        return Err(ApiError::new_order_rejected(
            "Quote order qty market orders are not support for this symbol.",
        ));
    }
    if order.trailing_delta.is_some() && !flags.allow_trailing_stop {
        return Err(ApiError::new_order_rejected(
            "Trailing stop orders are not supported for this symbol.",
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::symbols::default_symbols;
    use super::*;

    fn parse(query: &str) -> Result<NewOrder, ApiError> {
        let spec = default_symbols().remove(0);
        parse_new_order(&Params::parse(Some(query)).unwrap(), &spec)
    }

    fn msg(query: &str) -> (i32, String) {
        let err = parse(query).unwrap_err();
        (err.code, err.msg)
    }

    #[test]
    fn enums_and_mandatory_parameters() {
        let cases: [(&str, i32, &str); 12] = [
            (
                "type=LIMIT",
                -1102,
                "Mandatory parameter 'side' was not sent, was empty/null, or malformed.",
            ),
            ("side=buy&type=LIMIT", -1117, "Invalid side."),
            ("side=BUY&type=OCO", -1116, "Invalid orderType."),
            ("side=BUY&type=LIMIT&timeInForce=GTX", -1115, "Invalid timeInForce."),
            (
                "side=BUY&type=LIMIT&quantity=1&price=1",
                -1102,
                "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
            ),
            (
                "side=BUY&type=MARKET",
                -1102,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
            ),
            (
                "side=BUY&type=STOP_LOSS&quantity=1",
                -1102,
                "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
            ),
            (
                "side=BUY&type=MARKET&quantity=1&timeInForce=GTC",
                -1106,
                "Parameter 'timeInForce' sent when not required.",
            ),
            (
                "side=BUY&type=MARKET&quantity=1&price=5",
                -1106,
                "Parameter 'price' sent when not required.",
            ),
            (
                "side=BUY&type=MARKET&quantity=1&quoteOrderQty=5",
                -1106,
                "Parameter 'quoteOrderQty' sent when not required.",
            ),
            (
                "side=BUY&type=LIMIT_MAKER&quantity=1&price=5&timeInForce=GTC",
                -1106,
                "Parameter 'timeInForce' sent when not required.",
            ),
            (
                "side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=5&stopPrice=4",
                -1106,
                "Parameter 'stopPrice' sent when not required.",
            ),
        ];
        for (query, code, text) in cases {
            assert_eq!(msg(query), (code, text.to_owned()), "{query}");
        }
    }

    #[test]
    fn decimals_and_ids() {
        let base = "side=BUY&type=LIMIT&timeInForce=GTC&price=5";
        assert_eq!(
            msg(&format!("{base}&quantity=1e3")),
            (
                -1100,
                r"Illegal characters found in parameter 'quantity'; legal range is '^([0-9]{1,20})(\.[0-9]{1,20})?$'."
                    .to_owned()
            )
        );
        assert_eq!(msg(&format!("{base}&quantity=-1")).0, -1100);
        assert_eq!(msg(&format!("{base}&quantity=.5")).0, -1100);
        assert_eq!(
            msg(&format!("{base}&quantity=0.123456789")),
            (-1111, "Parameter 'quantity' has too much precision.".to_owned())
        );
        assert!(parse(&format!("{base}&quantity=0.123456780")).is_ok());
        assert_eq!(
            msg(&format!("{base}&quantity=1&newClientOrderId=bad%20id")),
            (
                -1100,
                "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'."
                    .to_owned()
            )
        );
        assert_eq!(
            msg(&format!("{base}&quantity=1&newClientOrderId={}", "a".repeat(37))).0,
            -1100
        );
        assert!(parse(&format!("{base}&quantity=1&newClientOrderId=my-order_1")).is_ok());
        assert_eq!(msg(&format!("{base}&quantity=1&strategyType=5")).0, -1134);
    }

    #[test]
    fn combinations_and_defaults() {
        let limit = parse("side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=5").unwrap();
        assert_eq!(limit.resp_type, RespType::Full);
        assert_eq!(limit.quantity, Some(Decimal::ONE));
        let stop = parse("side=SELL&type=STOP_LOSS&quantity=1&stopPrice=5").unwrap();
        assert_eq!(stop.resp_type, RespType::Ack);
        assert_eq!(
            msg("side=BUY&type=LIMIT&timeInForce=IOC&quantity=1&price=5&icebergQty=0.5"),
            (-2010, "Unsupported order combination".to_owned())
        );
        assert_eq!(
            msg("side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=5&icebergQty=1"),
            (-2010, "IcebergQty exceeds QTY.".to_owned())
        );
        assert_eq!(
            msg("side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=5&newOrderRespType=X").0,
            -1130
        );
        assert_eq!(
            msg("side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=5&pegPriceType=PRIMARY_PEG").0,
            -2010
        );
        assert_eq!(
            msg("side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=5&selfTradePreventionMode=X").0,
            -1130
        );
    }
}
