//! Errors of the REST client: the HTTP status, the Binance code and message, and what to do.

use spot_types::Environment;

/// Binance error codes the server reacts to or explains (see the official `errors.md`).
pub mod codes {
    pub const UNKNOWN: i64 = -1000;
    pub const DISCONNECTED: i64 = -1001;
    pub const UNAUTHORIZED: i64 = -1002;
    pub const TOO_MANY_REQUESTS: i64 = -1003;
    pub const UNEXPECTED_RESP: i64 = -1006;
    pub const TIMEOUT: i64 = -1007;
    pub const SERVER_BUSY: i64 = -1008;
    pub const INVALID_MESSAGE: i64 = -1013;
    pub const TOO_MANY_ORDERS: i64 = -1015;
    pub const INVALID_TIMESTAMP: i64 = -1021;
    pub const INVALID_SIGNATURE: i64 = -1022;
    pub const ILLEGAL_CHARS: i64 = -1100;
    pub const TOO_MANY_PARAMETERS: i64 = -1101;
    pub const MANDATORY_PARAM_EMPTY_OR_MALFORMED: i64 = -1102;
    pub const UNKNOWN_PARAM: i64 = -1103;
    pub const UNREAD_PARAMETERS: i64 = -1104;
    pub const PARAM_EMPTY: i64 = -1105;
    pub const PARAM_NOT_REQUIRED: i64 = -1106;
    pub const BAD_PRECISION: i64 = -1111;
    pub const INVALID_TIF: i64 = -1115;
    pub const INVALID_ORDER_TYPE: i64 = -1116;
    pub const INVALID_SIDE: i64 = -1117;
    pub const BAD_INTERVAL: i64 = -1120;
    pub const BAD_SYMBOL: i64 = -1121;
    pub const NEW_ORDER_REJECTED: i64 = -2010;
    pub const CANCEL_REJECTED: i64 = -2011;
    pub const NO_SUCH_ORDER: i64 = -2013;
    pub const BAD_API_KEY_FMT: i64 = -2014;
    pub const REJECTED_MBX_KEY: i64 = -2015;
    /// "This symbol doesn't have a reference price." (never set; 2026-04).
    pub const NO_REFERENCE_PRICE: i64 = -2043;
}

/// A remediation hint for the common Binance codes: what the agent or the human should do next.
pub fn hint_for_code(code: i64) -> Option<&'static str> {
    use codes::*;
    Some(match code {
        TOO_MANY_REQUESTS => {
            "Request weight limit hit: stop polling, wait for the time in Retry-After (the server backs off), and prefer fewer, larger requests."
        }
        UNEXPECTED_RESP | TIMEOUT => {
            "Binance's backend did not answer in time: the outcome is UNKNOWN. Query the order by client id before doing anything else; never resend blindly."
        }
        SERVER_BUSY => {
            "Binance is overloaded: wait a few seconds and retry a read; do not resend an order without reconciling."
        }
        INVALID_MESSAGE => {
            "The request failed a filter or validation rule: check the order against the symbol's current filters to see which one and the nearest valid values."
        }
        TOO_MANY_ORDERS => {
            "Unfilled-order limit reached: wait for the window in the message to pass before placing more orders."
        }
        INVALID_TIMESTAMP => {
            "The request timestamp was outside recvWindow or ahead of Binance's clock: the local clock drifted. The server re-syncs its clock and retries once; if this repeats, sync the system clock (NTP). A larger recvWindow (max 60000 ms) helps only with slow networks, not with a clock that runs ahead."
        }
        INVALID_SIGNATURE => {
            "Signature rejected: the signing secret or private key does not belong to this API key, or the request was altered on the way. Check that the secret (or the private key file) configured for this environment is the one created with its API key."
        }
        ILLEGAL_CHARS => {
            "A parameter has characters Binance does not accept: check numbers are plain decimals (no exponent or sign) and ids match ^[a-zA-Z0-9-_]{1,36}$."
        }
        TOO_MANY_PARAMETERS => {
            "A parameter was sent twice or two exclusive parameters were combined: send only one of them."
        }
        MANDATORY_PARAM_EMPTY_OR_MALFORMED => "A required parameter is missing or malformed: the message names it.",
        UNKNOWN_PARAM | UNREAD_PARAMETERS | PARAM_NOT_REQUIRED => {
            "A parameter was sent that this endpoint or order type does not take: remove it."
        }
        PARAM_EMPTY => "A parameter was sent empty: give it a value or leave it out.",
        BAD_PRECISION => {
            "Too many decimals: round price to the tick size and quantity to the step size of the symbol's filters."
        }
        INVALID_TIF => "timeInForce is invalid for this order type: LIMIT needs GTC, IOC or FOK; MARKET takes none.",
        INVALID_ORDER_TYPE => "Order type not valid: use one of the symbol's orderTypes (exchangeInfo).",
        INVALID_SIDE => "side must be BUY or SELL.",
        BAD_INTERVAL => {
            "Invalid kline interval: use one of 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M."
        }
        BAD_SYMBOL => {
            "Unknown symbol on this environment: check the spelling (uppercase, no slash, e.g. BTCUSDT) and whether the symbol exists there (testnet lists fewer symbols)."
        }
        NEW_ORDER_REJECTED => {
            "The matching engine rejected the order (see the message: balance, would-match for LIMIT_MAKER, market closed ...). Nothing was placed."
        }
        CANCEL_REJECTED => {
            "The cancel was rejected: the order may already be filled or canceled. Query the order to see its real state."
        }
        NO_SUCH_ORDER => "No such order: check the symbol and the order id or client order id, and the environment.",
        BAD_API_KEY_FMT => "The API key is missing or malformed: check the API key configured for this environment.",
        REJECTED_MBX_KEY => {
            "Key rejected: wrong environment (testnet vs production keys), IP not whitelisted, or the key lacks the permission (e.g. Spot trading) for this action."
        }
        NO_REFERENCE_PRICE => {
            "The symbol never had a reference price: its price filters use the average price (avgPrice), or the last trade when avgPriceMins is 0."
        }
        _ => return None,
    })
}

/// Hints for the filter failures (-1013) whose cause is not in the symbol's exchangeInfo.
fn filter_hint(code: i64, msg: &str) -> Option<&'static str> {
    if code != codes::INVALID_MESSAGE {
        return None;
    }
    if msg.contains("MAX_ASSET") {
        return Some(
            "The account's MAX_ASSET filter (GET /api/v3/myFilters) caps one order: the quantity of a base asset, the notional of a quote asset. Split the order.",
        );
    }
    if msg.contains("PERCENT_PRICE") || msg.contains("NOTIONAL") {
        return Some(
            "The price or notional is outside the symbol's band around its reference price (GET /api/v3/referencePrice when the symbol has one, else the average price): check the order against that price for the nearest valid values.",
        );
    }
    None
}

/// Everything that can go wrong talking to Binance.
#[derive(Debug, thiserror::Error)]
pub enum BinanceError {
    /// Binance answered with an error body `{"code":..,"msg":".."}`.
    #[error("Binance error {code} (HTTP {status}) from {environment} {endpoint}: {msg}")]
    Api {
        environment: Environment,
        endpoint: String,
        status: u16,
        code: i64,
        msg: String,
        /// Seconds from the `Retry-After` header, on 429 and 418.
        retry_after_secs: Option<u64>,
    },
    /// A non-2XX answer without a Binance error body (a proxy, a WAF block, a 5XX page).
    #[error("HTTP {status} from {environment} {endpoint}: {body}")]
    Http {
        environment: Environment,
        endpoint: String,
        status: u16,
        body: String,
        retry_after_secs: Option<u64>,
    },
    /// HTTP 403: Binance's web application firewall blocked the request before the API saw it
    /// (a SQL keyword in a parameter value, or traffic it judged abusive). Nothing was
    /// executed; the body is the firewall's page, not Binance JSON.
    #[error("HTTP 403 from {environment} {endpoint}: blocked by Binance's web application firewall{}", suspect.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    Waf {
        environment: Environment,
        endpoint: String,
        /// The start of the firewall's answer.
        body: String,
        /// The parameter that looks like the cause, e.g. "newClientOrderId contains the SQL
        /// keyword SELECT".
        suspect: Option<String>,
    },
    /// The request did not complete: connection refused, DNS, TLS, timeout.
    #[error("could not reach {environment} at {base_url} ({endpoint}): {source}")]
    Transport {
        environment: Environment,
        base_url: String,
        endpoint: String,
        #[source]
        source: reqwest::Error,
    },
    /// A 2XX answer whose body did not have the documented shape.
    #[error("unexpected response from {environment} {endpoint}: {source}")]
    Decode {
        environment: Environment,
        endpoint: String,
        #[source]
        source: serde_json::Error,
    },
    /// A signed call in an environment with no key configured.
    #[error(
        "no API key for {environment}: set {key_var} and {secret_var} (or {key_var} and {key_path_var} for an Ed25519 key)"
    )]
    MissingCredentials {
        environment: Environment,
        key_var: &'static str,
        secret_var: &'static str,
        key_path_var: &'static str,
    },
    /// The environment cannot be used right now and nothing was sent: switched off by
    /// `BINANCE_TESTNET=1`, banned by Binance (418), inside a rate-limit wait, or unreachable
    /// (circuit open). See [`Unavailable`].
    #[error("{}", reason.describe(*environment, *now_ms))]
    EnvironmentDisabled {
        environment: Environment,
        reason: Unavailable,
        /// Binance's time when the request was refused (ms since epoch, by the measured
        /// offset), the clock every time in `reason` is on.
        now_ms: i64,
    },
}

/// Why requests to an environment are refused before sending. Times are ms since epoch on
/// Binance's clock (the local clock corrected by the measured offset), like every time the
/// client shows: a ban's end comes from Binance, and mixing it with local times would put the
/// two sides of one message on different clocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// Production is switched off by the configuration (testnet only).
    TestnetOnly,
    /// Binance banned this IP (HTTP 418) until `until_ms`.
    Banned { until_ms: i64 },
    /// A `Retry-After` is in force, or the request would cross the weight or order-count safety
    /// margin; `why` says which, in words.
    RateLimited { retry_at_ms: i64, why: String },
    /// `failures` transport failures or 5XX in a row: no request until `retry_at_ms`.
    CircuitOpen { failures: u32, retry_at_ms: i64 },
}

impl Unavailable {
    /// When a request may be tried again, if that is known.
    pub fn retry_at_ms(&self) -> Option<i64> {
        match self {
            Unavailable::TestnetOnly => None,
            Unavailable::Banned { until_ms } => Some(*until_ms),
            Unavailable::RateLimited { retry_at_ms, .. } | Unavailable::CircuitOpen { retry_at_ms, .. } => {
                Some(*retry_at_ms)
            }
        }
    }

    /// The refusal in words; `now_ms` is Binance's time now, for the "(in N s)".
    pub fn describe(&self, environment: Environment, now_ms: i64) -> String {
        match self {
            Unavailable::TestnetOnly => {
                format!("the {environment} environment is disabled by the configuration (testnet only)")
            }
            Unavailable::Banned { until_ms } => format!(
                "Binance banned this IP on {environment} (HTTP 418) until {}; no request was sent",
                plain_time(*until_ms, now_ms)
            ),
            Unavailable::RateLimited { retry_at_ms, why } => format!(
                "{environment} rate limit: {why}; no request was sent, retry after {}",
                plain_time(*retry_at_ms, now_ms)
            ),
            Unavailable::CircuitOpen { failures, retry_at_ms } => format!(
                "binance {environment} unreachable {failures} times in a row; not trying again until {}",
                plain_time(*retry_at_ms, now_ms)
            ),
        }
    }
}

/// `12:34:56 UTC (in 23 s)` for a time within a day of `now_ms`, else with the date. Both are
/// ms since epoch on the same clock (the client's: Binance's, by the measured offset), so the
/// time shown and the seconds left agree.
pub fn plain_time(ms: i64, now_ms: i64) -> String {
    let now = now_ms;
    let text = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            let format = if (ms - now).abs() < 86_400_000 {
                time::macros::format_description!("[hour]:[minute]:[second] UTC")
            } else {
                time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC")
            };
            t.format(format).ok()
        })
        .unwrap_or_else(|| ms.to_string());
    let secs = (ms - now + 999).div_euclid(1000);
    if secs > 0 {
        format!("{text} (in {secs} s)")
    } else {
        text
    }
}

impl BinanceError {
    /// The Binance error code, when Binance sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            BinanceError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Why the environment refused before sending, for local refusals.
    pub fn unavailable(&self) -> Option<&Unavailable> {
        match self {
            BinanceError::EnvironmentDisabled { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Seconds from the `Retry-After` header, on 429 and 418.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            BinanceError::Api { retry_after_secs, .. } | BinanceError::Http { retry_after_secs, .. } => {
                *retry_after_secs
            }
            _ => None,
        }
    }

    /// The request concerned (`DELETE /api/v3/order`), when one was sent.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            BinanceError::Api { endpoint, .. }
            | BinanceError::Http { endpoint, .. }
            | BinanceError::Waf { endpoint, .. }
            | BinanceError::Transport { endpoint, .. }
            | BinanceError::Decode { endpoint, .. } => Some(endpoint),
            BinanceError::MissingCredentials { .. } | BinanceError::EnvironmentDisabled { .. } => None,
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            BinanceError::Api { status, .. } | BinanceError::Http { status, .. } => Some(*status),
            BinanceError::Waf { .. } => Some(403),
            _ => None,
        }
    }

    /// What to do about it, in a sentence an agent can act on.
    pub fn hint(&self) -> String {
        match self {
            BinanceError::Api { code, msg, .. } if filter_hint(*code, msg).is_some() => {
                filter_hint(*code, msg).unwrap_or_default().into()
            }
            BinanceError::Api { code, status, .. } => match (status, hint_for_code(*code)) {
                (418, _) => "This IP is banned by Binance for ignoring rate limits: stop all requests to this environment until the ban ends (Retry-After).".into(),
                (429, _) if *code != codes::TOO_MANY_ORDERS => hint_for_code(codes::TOO_MANY_REQUESTS).unwrap_or_default().into(),
                (_, Some(hint)) => hint.into(),
                (s, None) if *s >= 500 => "Binance-side failure: the outcome is unknown; reconcile before retrying anything that changes state.".into(),
                _ => "See the Binance message; the official errors.md lists every code.".into(),
            },
            BinanceError::Http { status, .. } => match status {
                403 => "Blocked by Binance's web application firewall: slow down and avoid unusual parameter values.".into(),
                404 => "Unknown path: the base URL for this environment may be wrong (it should end at the host, e.g. https://api.binance.com).".into(),
                418 => "This IP is banned for ignoring rate limits: wait for Retry-After.".into(),
                429 => hint_for_code(codes::TOO_MANY_REQUESTS).unwrap_or_default().into(),
                s if *s >= 500 => "Binance-side failure: the outcome is unknown; reconcile before retrying anything that changes state.".into(),
                _ => "Unexpected HTTP answer: check the base URL of this environment.".into(),
            },
            BinanceError::Waf { suspect, .. } => match suspect {
                Some(suspect) => format!(
                    "Binance's firewall blocks requests with SQL keywords in them, and {suspect}: nothing was executed. Send it again without that word (e.g. another client order id). Do not retry unchanged: repeated blocks can ban the IP."
                ),
                None => "Blocked by Binance's web application firewall (HTTP 403): nothing was executed. Either the request looked malicious (a SQL keyword such as SELECT or DROP in a value) or this IP sent too much: check the values, slow down, and wait a few minutes before retrying.".into(),
            },
            BinanceError::Transport { source, .. } => {
                if source.is_timeout() {
                    "The request timed out: for a read, retry later; for an order, the outcome is unknown, so query it before anything else.".into()
                } else {
                    "Network failure: check the connection and the base URL of this environment.".into()
                }
            }
            BinanceError::Decode { .. } => {
                "Binance answered in a shape this server does not understand: report it; do not assume the request failed or succeeded.".into()
            }
            BinanceError::MissingCredentials { key_var, secret_var, key_path_var, .. } => format!(
                "Ask the human to set {key_var} and {secret_var} (or {key_path_var}, the path of an Ed25519 private key file) where this program's environment is configured, then restart it."
            ),
            BinanceError::EnvironmentDisabled { environment, reason, .. } => match reason {
                Unavailable::TestnetOnly => {
                    "Use the testnet environment, or enable production in the configuration.".into()
                }
                Unavailable::Banned { .. } => format!(
                    "Send nothing to {environment} until the ban ends (another environment still works); it came from too many requests, so poll less and batch symbols afterwards."
                ),
                Unavailable::RateLimited { .. } => format!(
                    "Wait until the time given before calling {environment} again; ask for several symbols per call and avoid polling to use less weight."
                ),
                Unavailable::CircuitOpen { .. } => format!(
                    "Binance {environment} is not answering: check the network and the base URL; the client tries one request again after the time given."
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_times_count_down_on_the_clock_they_are_given() {
        // 2026-11-25 12:00:00 UTC, and 23.5 s later.
        let now = 1_795_608_000_000;
        assert_eq!(plain_time(now + 23_500, now), "12:00:23 UTC (in 24 s)");
        assert_eq!(plain_time(now - 5_000, now), "11:59:55 UTC");
        assert_eq!(
            plain_time(now + 2 * 86_400_000, now),
            "2026-11-27 12:00:00 UTC (in 172800 s)"
        );
        let refused = BinanceError::EnvironmentDisabled {
            environment: Environment::Testnet,
            reason: Unavailable::Banned { until_ms: now + 60_000 },
            now_ms: now,
        };
        assert_eq!(
            refused.to_string(),
            "Binance banned this IP on testnet (HTTP 418) until 12:01:00 UTC (in 60 s); no request was sent"
        );
    }

    #[test]
    fn every_common_code_has_a_hint() {
        for code in [
            -1003, -1013, -1021, -1022, -1100, -1101, -1102, -1103, -1104, -1105, -1106, -1111, -1115, -1116, -1117,
            -1120, -1121, -2010, -2011, -2013, -2014, -2015,
        ] {
            assert!(hint_for_code(code).is_some(), "no hint for {code}");
        }
        assert!(hint_for_code(-9999).is_none());
    }

    #[test]
    fn api_error_carries_code_and_hint() {
        let err = BinanceError::Api {
            environment: Environment::Testnet,
            endpoint: "GET /api/v3/account".into(),
            status: 400,
            code: -1022,
            msg: "Signature for this request is not valid.".into(),
            retry_after_secs: None,
        };
        assert_eq!(err.code(), Some(-1022));
        assert!(err.to_string().contains("-1022"));
        assert!(err.hint().contains("secret"));
    }
}
