//! The emulator's error answer: Binance's `{"code":..,"msg":".."}` body with its HTTP status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Binance error codes the emulator answers with (names from the official `errors.md`).
pub mod code {
    /// -1003 TOO_MANY_REQUESTS
    pub const TOO_MANY_REQUESTS: i32 = -1003;
    /// -1021 INVALID_TIMESTAMP
    pub const INVALID_TIMESTAMP: i32 = -1021;
    /// -1022 INVALID_SIGNATURE
    pub const INVALID_SIGNATURE: i32 = -1022;
    /// -1100 ILLEGAL_CHARS
    pub const ILLEGAL_CHARS: i32 = -1100;
    /// -1101 TOO_MANY_PARAMETERS
    pub const TOO_MANY_PARAMETERS: i32 = -1101;
    /// -1102 MANDATORY_PARAM_EMPTY_OR_MALFORMED
    pub const MANDATORY_PARAM_EMPTY_OR_MALFORMED: i32 = -1102;
    /// -1104 UNREAD_PARAMETERS
    pub const UNREAD_PARAMETERS: i32 = -1104;
    /// -1105 PARAM_EMPTY
    pub const PARAM_EMPTY: i32 = -1105;
    /// -1108 PARAM_OVERFLOW
    pub const PARAM_OVERFLOW: i32 = -1108;
    /// -1111 BAD_PRECISION
    pub const BAD_PRECISION: i32 = -1111;
    /// -1120 BAD_INTERVAL
    pub const BAD_INTERVAL: i32 = -1120;
    /// -1121 BAD_SYMBOL
    pub const BAD_SYMBOL: i32 = -1121;
    /// -1122 INVALID_SYMBOLSTATUS
    pub const INVALID_SYMBOLSTATUS: i32 = -1122;
    /// -1128 OPTIONAL_PARAMS_BAD_COMBO
    pub const OPTIONAL_PARAMS_BAD_COMBO: i32 = -1128;
    /// -1130 INVALID_PARAMETER
    pub const INVALID_PARAMETER: i32 = -1130;
    /// -1106 PARAM_NOT_REQUIRED
    pub const PARAM_NOT_REQUIRED: i32 = -1106;
    /// -1115 INVALID_TIF
    pub const INVALID_TIF: i32 = -1115;
    /// -1116 INVALID_ORDER_TYPE
    pub const INVALID_ORDER_TYPE: i32 = -1116;
    /// -1117 INVALID_SIDE
    pub const INVALID_SIDE: i32 = -1117;
    /// -1127 MORE_THAN_XX_HOURS
    pub const MORE_THAN_XX_HOURS: i32 = -1127;
    /// -1134 BAD_STRATEGY_TYPE
    pub const BAD_STRATEGY_TYPE: i32 = -1134;
    /// -1139 INVALID_TICKER_TYPE
    pub const INVALID_TICKER_TYPE: i32 = -1139;
    /// -1145 INVALID_CANCEL_RESTRICTIONS
    pub const INVALID_CANCEL_RESTRICTIONS: i32 = -1145;
    /// -1151 DUPLICATE_SYMBOLS
    pub const DUPLICATE_SYMBOLS: i32 = -1151;
    /// -1014 UNKNOWN_ORDER_COMPOSITION
    pub const UNKNOWN_ORDER_COMPOSITION: i32 = -1014;
    /// -1158 OCO_ORDER_TYPE_REJECTED
    pub const OCO_ORDER_TYPE_REJECTED: i32 = -1158;
    /// -1160 OCO_ICEBERGQTY_TIMEINFORCE
    pub const OCO_ICEBERGQTY_TIMEINFORCE: i32 = -1160;
    /// -1165 BUY_OCO_LIMIT_MUST_BE_BELOW
    pub const BUY_OCO_LIMIT_MUST_BE_BELOW: i32 = -1165;
    /// -1166 SELL_OCO_LIMIT_MUST_BE_ABOVE
    pub const SELL_OCO_LIMIT_MUST_BE_ABOVE: i32 = -1166;
    /// -1168 BOTH_OCO_ORDERS_CANNOT_BE_LIMIT
    pub const BOTH_OCO_ORDERS_CANNOT_BE_LIMIT: i32 = -1168;
    /// -1196 BUY_OCO_STOP_LOSS_MUST_BE_ABOVE
    pub const BUY_OCO_STOP_LOSS_MUST_BE_ABOVE: i32 = -1196;
    /// -1197 SELL_OCO_STOP_LOSS_MUST_BE_BELOW
    pub const SELL_OCO_STOP_LOSS_MUST_BE_BELOW: i32 = -1197;
    /// -1198 BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW
    pub const BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW: i32 = -1198;
    /// -1199 SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE
    pub const SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE: i32 = -1199;
    /// -1210 INVALID_PEG_PRICE_TYPE
    pub const INVALID_PEG_PRICE_TYPE: i32 = -1210;
    /// -1220 SYMBOL_DOES_NOT_MATCH_STATUS
    pub const SYMBOL_DOES_NOT_MATCH_STATUS: i32 = -1220;
    /// -1222 OPO_WORKING_MUST_BE_BUY
    pub const OPO_WORKING_MUST_BE_BUY: i32 = -1222;
    /// -1223 OPO_PENDING_MUST_BE_SELL
    pub const OPO_PENDING_MUST_BE_SELL: i32 = -1223;
    /// -1224 WORKING_PARAM_REQUIRED
    pub const WORKING_PARAM_REQUIRED: i32 = -1224;
    /// -1225 PENDING_PARAM_NOT_REQUIRED
    pub const PENDING_PARAM_NOT_REQUIRED: i32 = -1225;
    /// -1013 INVALID_MESSAGE (filter failures)
    pub const INVALID_MESSAGE: i32 = -1013;
    /// -1015 TOO_MANY_ORDERS
    pub const TOO_MANY_ORDERS: i32 = -1015;
    /// -2010 NEW_ORDER_REJECTED
    pub const NEW_ORDER_REJECTED: i32 = -2010;
    /// -2011 CANCEL_REJECTED
    pub const CANCEL_REJECTED: i32 = -2011;
    /// -2013 NO_SUCH_ORDER
    pub const NO_SUCH_ORDER: i32 = -2013;
    /// -2039 CLIENT_ORDER_ID_INVALID
    pub const CLIENT_ORDER_ID_INVALID: i32 = -2039;
    /// -2014 BAD_API_KEY_FMT
    pub const BAD_API_KEY_FMT: i32 = -2014;
    /// -2015 REJECTED_MBX_KEY
    pub const REJECTED_MBX_KEY: i32 = -2015;
    /// -1002 UNAUTHORIZED
    pub const UNAUTHORIZED: i32 = -1002;
    /// -1020 UNSUPPORTED_OPERATION
    pub const UNSUPPORTED_OPERATION: i32 = -1020;
    /// -1135 INVALID_JSON
    pub const INVALID_JSON: i32 = -1135;
    /// -1191 TOO_MANY_SUBSCRIPTIONS
    pub const TOO_MANY_SUBSCRIPTIONS: i32 = -1191;
    /// -1194 INVALID_TIME_UNIT
    pub const INVALID_TIME_UNIT: i32 = -1194;
    /// -2035 SUBSCRIPTION_ACTIVE
    pub const SUBSCRIPTION_ACTIVE: i32 = -2035;
    /// -2036 SUBSCRIPTION_INACTIVE
    pub const SUBSCRIPTION_INACTIVE: i32 = -2036;
    /// -2042 MAXIMUM_SUBSCRIPTION_IDS
    pub const MAXIMUM_SUBSCRIPTION_IDS: i32 = -2042;
    /// -2043 NO_REFERENCE_PRICE
    pub const NO_REFERENCE_PRICE: i32 = -2043;
}

/// Legal range Binance quotes for unsigned integer parameters (`limit`, `startTime`, `timestamp`, ...).
pub const INTEGER_RANGE: &str = "^[0-9]{1,20}$";
/// Legal range Binance quotes for decimal parameters (`quantity`, `recvWindow`, ...).
pub const DECIMAL_RANGE: &str = r"^([0-9]{1,20})(\.[0-9]{1,20})?$";
/// Legal range Binance quoted for `symbol` in a 2025-12 capture (symbols may be non-ASCII since then).
pub const SYMBOL_RANGE: &str = r"^[\w\-._&&[^a-z]]{1,50}$";
/// Legal range for the JSON `symbols` array, built from [`SYMBOL_RANGE`] (the exact modern text is unconfirmed).
pub const SYMBOLS_RANGE: &str = r#"^\[("[\w\-._&&[^a-z]]{1,50}"(,"[\w\-._&&[^a-z]]{1,50}"){0,}){0,1}\]$"#;

/// A rejected request: HTTP status, Binance `code` and `msg`, and for 429/418 the `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {status}: {code} {msg}")]
pub struct ApiError {
    /// HTTP status of the answer (400 for validation, 401 for API-key problems, 429 for limits).
    pub status: StatusCode,
    /// Binance error code (negative).
    pub code: i32,
    /// Binance error message.
    pub msg: String,
    /// Seconds to wait, sent as `Retry-After` (429 and 418 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An HTTP 400 error.
    pub fn bad_request(code: i32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// An HTTP 401 error (API-key problems).
    pub fn unauthorized(code: i32, msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code,
            msg: msg.into(),
            retry_after: None,
        }
    }

    /// -1121 `Invalid symbol.`
    pub fn invalid_symbol() -> Self {
        Self::bad_request(code::BAD_SYMBOL, "Invalid symbol.")
    }

    /// -1102 for a mandatory parameter that is missing or empty.
    pub fn mandatory(name: &str) -> Self {
        Self::bad_request(
            code::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// -1105 for an optional parameter sent with an empty value.
    pub fn empty(name: &str) -> Self {
        Self::bad_request(code::PARAM_EMPTY, format!("Parameter '{name}' was empty."))
    }

    /// -1100 for a value outside its legal character range.
    pub fn illegal_chars(name: &str, legal_range: &str) -> Self {
        Self::bad_request(
            code::ILLEGAL_CHARS,
            format!("Illegal characters found in parameter '{name}'; legal range is '{legal_range}'."),
        )
    }

    /// -1130 for a well-formed value that is not acceptable.
    pub fn invalid_value(name: &str) -> Self {
        Self::bad_request(
            code::INVALID_PARAMETER,
            format!("Data sent for parameter '{name}' is not valid."),
        )
    }

    /// -1101 for a parameter sent twice.
    pub fn duplicate_parameter() -> Self {
        Self::bad_request(code::TOO_MANY_PARAMETERS, "Duplicate values for a parameter detected.")
    }

    /// -1128 for parameters that may not be combined.
    pub fn bad_combination() -> Self {
        Self::bad_request(
            code::OPTIONAL_PARAMS_BAD_COMBO,
            "Combination of optional parameters invalid.",
        )
    }

    /// -1104 for parameters the endpoint does not read.
    pub fn unread_parameters(read: usize, sent: usize) -> Self {
        Self::bad_request(
            code::UNREAD_PARAMETERS,
            format!("Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'."),
        )
    }

    /// -1106 for a parameter the request type does not take.
    pub fn not_required(name: &str) -> Self {
        Self::bad_request(
            code::PARAM_NOT_REQUIRED,
            format!("Parameter '{name}' sent when not required."),
        )
    }

    /// -1102 when neither of two alternative parameters was sent.
    pub fn either(first: &str, second: &str) -> Self {
        Self::bad_request(
            code::MANDATORY_PARAM_EMPTY_OR_MALFORMED,
            format!("Param '{first}' or '{second}' must be sent, but both were empty/null!"),
        )
    }

    /// -1013 `Filter failure: <FILTER>`.
    pub fn filter_failure(filter: &str) -> Self {
        Self::bad_request(code::INVALID_MESSAGE, format!("Filter failure: {filter}"))
    }

    /// -2010 with a matching-engine message (e.g. "Duplicate order sent.").
    pub fn new_order_rejected(msg: &str) -> Self {
        Self::bad_request(code::NEW_ORDER_REJECTED, msg)
    }

    /// -2011 with a matching-engine message (e.g. "Unknown order sent.").
    pub fn cancel_rejected(msg: &str) -> Self {
        Self::bad_request(code::CANCEL_REJECTED, msg)
    }

    /// HTTP 429 -1015: the unfilled-order count of `interval` (e.g. "10 SECOND") is spent.
    pub fn too_many_orders(limit: u32, interval: &str, retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: code::TOO_MANY_ORDERS,
            msg: format!("Too many new orders; current limit is {limit} orders per {interval}."),
            retry_after: Some(retry_after_secs),
        }
    }

    /// HTTP 429 -1003: request weight exhausted for the current window.
    pub fn too_much_weight(limit: u32, retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: code::TOO_MANY_REQUESTS,
            msg: format!(
                "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. \
                 Please use WebSocket Streams for live updates to avoid polling the API."
            ),
            retry_after: Some(retry_after_secs),
        }
    }

    /// HTTP 418 -1003: the IP is banned until `until_ms` (errors.md template "IP banned until %s").
    pub fn banned(until_ms: i64, retry_after_secs: u64) -> Self {
        Self {
            status: StatusCode::IM_A_TEAPOT,
            code: code::TOO_MANY_REQUESTS,
            msg: format!(
                "Way too much request weight used; IP banned until {until_ms}. \
                 Please use WebSocket Streams for live updates to avoid bans."
            ),
            retry_after: Some(retry_after_secs.max(1)),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: i32,
    msg: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            msg: &self.msg,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn weight_message_matches_the_documented_template() {
        let err = ApiError::too_much_weight(6000, 12);
        assert_eq!(
            err.msg,
            "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. \
             Please use WebSocket Streams for live updates to avoid polling the API."
        );
        assert_eq!(err.status, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn mandatory_message_names_the_parameter() {
        assert_eq!(
            ApiError::mandatory("symbol").msg,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        );
    }
}
