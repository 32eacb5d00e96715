//! Request parameters: the query string and form body parsed into one set, and per-parameter
//! validation with Binance's error codes and messages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use super::error::{ApiError, INTEGER_RANGE, SYMBOL_RANGE, SYMBOLS_RANGE, code};

/// Values at or above this are microseconds, below are milliseconds (ms reach 1e14 only in year 5138).
const MICROS_THRESHOLD: u64 = 100_000_000_000_000;

/// Decoded request parameters in the order they were sent; each name appears once.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// An unsigned request's query string, parsed: a handler takes `params: Params` and a query
/// that does not parse is answered with its Binance error before the handler runs.
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        Params::parse(parts.uri.query()).map_err(IntoResponse::into_response)
    }
}

/// Which symbols a multi-symbol endpoint was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymbolSelection {
    /// `symbol=X`: answered with an object.
    One(String),
    /// `symbols=[...]`: answered with an array.
    Many(Vec<String>),
    /// Neither parameter: every symbol, answered with an array.
    All,
}

impl Params {
    /// Decodes a raw `application/x-www-form-urlencoded` string (`+` is a space, `%XX` a byte).
    /// A parameter sent twice is -1101.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for segment in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let (raw_name, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = decode(raw_name).ok_or_else(|| ApiError::illegal_chars(raw_name, "UTF-8"))?;
            let value = decode(raw_value).ok_or_else(|| ApiError::illegal_chars(&name, "UTF-8"))?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::duplicate_parameter());
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// Parameters already decoded elsewhere (the WebSocket API's JSON `params`); a name sent
    /// twice is -1101, as in a query string.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, ApiError> {
        for (i, (name, _)) in pairs.iter().enumerate() {
            if pairs[..i].iter().any(|(n, _)| n == name) {
                return Err(ApiError::duplicate_parameter());
            }
        }
        Ok(Self { pairs })
    }

    /// Every (name, value) pair, in the order sent.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// These parameters plus those of `later` not already present (query before body: the query wins).
    pub fn merged_with(mut self, later: Params) -> Self {
        for (name, value) in later.pairs {
            if self.get(&name).is_none() {
                self.pairs.push((name, value));
            }
        }
        self
    }

    /// The parameters named by `renames` (sent name → new name) that were sent, under their new
    /// names: one leg of an order list read as a plain new order.
    pub fn select(&self, renames: &[(&str, &str)]) -> Params {
        let pairs = renames
            .iter()
            .filter_map(|(from, to)| self.get(from).map(|value| ((*to).to_owned(), value.to_owned())))
            .collect();
        Params { pairs }
    }

    /// The raw decoded value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// -1104 when the request carries parameters the endpoint does not read.
    pub fn allow_only(&self, names: &[&str]) -> Result<(), ApiError> {
        let read = self.pairs.iter().filter(|(n, _)| names.contains(&n.as_str())).count();
        if read == self.pairs.len() {
            Ok(())
        } else {
            Err(ApiError::unread_parameters(read, self.pairs.len()))
        }
    }

    /// A mandatory parameter: missing or empty is -1102.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::mandatory(name)),
        }
    }

    /// An optional parameter: sent empty is -1105.
    pub fn optional(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some("") => Err(ApiError::empty(name)),
            Some(v) => Ok(Some(v)),
        }
    }

    /// An optional unsigned integer (`^[0-9]{1,20}$`, else -1100).
    pub fn optional_u64(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.get(name).map(|v| parse_u64(name, v)).transpose()
    }

    /// An optional timestamp in ms or µs (by magnitude), returned in ms since epoch.
    pub fn optional_time_ms(&self, name: &str) -> Result<Option<i64>, ApiError> {
        Ok(self.optional_u64(name)?.map(to_millis))
    }

    /// `limit`: default when absent, clipped to `max` when larger (as documented for depth);
    /// 0 is rejected with -1130.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.optional_u64("limit")? {
            None => Ok(default),
            Some(0) => Err(ApiError::invalid_value("limit")),
            Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max)),
        }
    }

    /// An optional BOOLEAN (`true`/`false`, case-insensitive), else -1130.
    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid_value(name)),
        }
    }

    /// The mandatory `symbol`: -1102 when missing, -1100 when it has illegal characters.
    pub fn required_symbol(&self) -> Result<&str, ApiError> {
        let symbol = self.required("symbol")?;
        check_symbol_chars(symbol)?;
        Ok(symbol)
    }

    /// `symbols` as a JSON array of names (`["A","B"]`): -1100 when malformed, -1151 on duplicates.
    pub fn optional_symbols(&self) -> Result<Option<Vec<String>>, ApiError> {
        let Some(raw) = self.get("symbols") else {
            return Ok(None);
        };
        let illegal = || ApiError::illegal_chars("symbols", SYMBOLS_RANGE);
        let list: Vec<String> = serde_json::from_str(raw).map_err(|_| illegal())?;
        if !list.iter().all(|s| symbol_chars_ok(s)) {
            return Err(illegal());
        }
        for (i, s) in list.iter().enumerate() {
            if list[..i].contains(s) {
                return Err(ApiError::bad_request(
                    code::DUPLICATE_SYMBOLS,
                    "Symbol is present multiple times in the list.",
                ));
            }
        }
        Ok(Some(list))
    }

    /// `symbol` xor `symbols` (both is -1128), neither meaning every symbol.
    pub fn symbol_selection(&self) -> Result<SymbolSelection, ApiError> {
        let one = self.optional("symbol")?;
        let many = self.optional_symbols()?;
        match (one, many) {
            (Some(_), Some(_)) => Err(ApiError::bad_combination()),
            (Some(symbol), None) => {
                check_symbol_chars(symbol)?;
                Ok(SymbolSelection::One(symbol.to_owned()))
            }
            (None, Some(list)) => Ok(SymbolSelection::Many(list)),
            (None, None) => Ok(SymbolSelection::All),
        }
    }
}

/// Converts a ms-or-µs timestamp to ms since epoch.
pub fn to_millis(value: u64) -> i64 {
    let ms = if value >= MICROS_THRESHOLD { value / 1000 } else { value };
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Parses `^[0-9]{1,20}$` into a u64, else -1100 naming the parameter.
pub fn parse_u64(name: &str, value: &str) -> Result<u64, ApiError> {
    let digits_ok = !value.is_empty() && value.len() <= 20 && value.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok {
        return Err(ApiError::illegal_chars(name, INTEGER_RANGE));
    }
    value
        .parse::<u64>()
        .map_err(|_| ApiError::bad_request(code::PARAM_OVERFLOW, format!("Parameter '{name}' overflowed.")))
}

fn check_symbol_chars(symbol: &str) -> Result<(), ApiError> {
    if symbol_chars_ok(symbol) {
        Ok(())
    } else {
        Err(ApiError::illegal_chars("symbol", SYMBOL_RANGE))
    }
}

/// 1 to 50 word characters, `-`, `.` or `_`, and no lower-case ASCII letter.
fn symbol_chars_ok(symbol: &str) -> bool {
    let len = symbol.chars().count();
    (1..=50).contains(&len)
        && symbol
            .chars()
            .all(|c| (c.is_alphanumeric() || matches!(c, '_' | '-' | '.')) && !c.is_ascii_lowercase())
}

fn decode(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8().ok().map(|s| s.into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        let p = Params::parse(Some("symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D&a=b+c")).unwrap();
        assert_eq!(p.get("symbols"), Some(r#"["BTCUSDT","ETHUSDT"]"#));
        assert_eq!(p.get("a"), Some("b c"));
    }

    #[test]
    fn select_renames_only_what_was_sent() {
        let p = Params::parse(Some("aboveType=LIMIT_MAKER&side=SELL&other=1")).unwrap();
        let leg = p.select(&[("aboveType", "type"), ("side", "side"), ("abovePrice", "price")]);
        assert_eq!(leg.get("type"), Some("LIMIT_MAKER"));
        assert_eq!(leg.get("side"), Some("SELL"));
        assert_eq!(leg.get("price"), None);
        assert_eq!(leg.get("other"), None);
    }

    #[test]
    fn duplicate_parameter_is_1101() {
        let err = Params::parse(Some("symbol=A&symbol=B")).unwrap_err();
        assert_eq!(err.code, -1101);
        assert_eq!(err.msg, "Duplicate values for a parameter detected.");
    }

    #[test]
    fn integers_follow_the_documented_range() {
        let p = Params::parse(Some("limit=-5&startTime=1x")).unwrap();
        let err = p.limit(100, 5000).unwrap_err();
        assert_eq!(
            err.msg,
            "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."
        );
        assert_eq!(p.optional_time_ms("startTime").unwrap_err().code, -1100);
    }

    #[test]
    fn limit_defaults_and_clips() {
        let none = Params::parse(None).unwrap();
        assert_eq!(none.limit(100, 5000).unwrap(), 100);
        let big = Params::parse(Some("limit=9999")).unwrap();
        assert_eq!(big.limit(100, 5000).unwrap(), 5000);
        let zero = Params::parse(Some("limit=0")).unwrap();
        assert_eq!(zero.limit(100, 5000).unwrap_err().code, -1130);
    }

    #[test]
    fn micros_become_millis() {
        assert_eq!(to_millis(1_700_000_000_123), 1_700_000_000_123);
        assert_eq!(to_millis(1_700_000_000_123_456), 1_700_000_000_123);
    }

    #[test]
    fn symbol_selection_rules() {
        let both = Params::parse(Some(r#"symbol=BTCUSDT&symbols=["ETHUSDT"]"#)).unwrap();
        assert_eq!(both.symbol_selection().unwrap_err().code, -1128);
        let lower = Params::parse(Some("symbol=btcusdt")).unwrap();
        assert_eq!(lower.symbol_selection().unwrap_err().code, -1100);
        let dup = Params::parse(Some(r#"symbols=["A","A"]"#)).unwrap();
        assert_eq!(dup.symbol_selection().unwrap_err().code, -1151);
        let bad = Params::parse(Some("symbols=BTCUSDT")).unwrap();
        assert_eq!(bad.symbol_selection().unwrap_err().code, -1100);
        let all = Params::parse(None).unwrap();
        assert_eq!(all.symbol_selection().unwrap(), SymbolSelection::All);
    }

    #[test]
    fn unread_parameters_are_counted() {
        let p = Params::parse(Some("symbol=BTCUSDT&foo=1")).unwrap();
        let err = p.allow_only(&["symbol", "limit"]).unwrap_err();
        assert_eq!(
            err.msg,
            "Not all sent parameters were read; read '1' parameter(s) but was sent '2'."
        );
    }
}
