//! Binance's web application firewall: "Please avoid SQL keywords in requests as they may
//! trigger a security block by a WAF (Web Application Firewall) rule" (`rest-api.md`,
//! 2025-12-09), answered with HTTP 403 and a body that is not Binance JSON. Binance does not
//! publish the rule, so this side is strict: a value containing one of these words anywhere,
//! in any case, is treated as one the firewall may block. Client order ids are checked before
//! sending (generated ids never contain one); a 403 names the parameter that looks like the
//! cause.

/// SQL keywords a parameter value must not contain (case-insensitive, anywhere in the value).
/// Words of four letters and more: the short ones (`OR`, `AND`, `AS`) occur in ordinary ids.
pub const SQL_KEYWORDS: [&str; 14] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "DROP",
    "UNION",
    "ALTER",
    "CREATE",
    "TRUNCATE",
    "EXEC",
    "DECLARE",
    "SLEEP",
    "WAITFOR",
    "BENCHMARK",
];

/// The first SQL keyword `value` contains, if any.
pub fn sql_keyword(value: &str) -> Option<&'static str> {
    let upper = value.to_uppercase();
    SQL_KEYWORDS.into_iter().find(|keyword| upper.contains(keyword))
}

/// The first parameter (other than `signature`) whose value contains a SQL keyword:
/// (parameter, keyword).
pub fn suspect_parameter(params: &[(&str, String)]) -> Option<(String, &'static str)> {
    params
        .iter()
        .filter(|(name, _)| *name != "signature")
        .find_map(|(name, value)| sql_keyword(value).map(|keyword| ((*name).to_owned(), keyword)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_found_in_any_case_and_position() {
        assert_eq!(sql_keyword("my-select-1"), Some("SELECT"));
        assert_eq!(sql_keyword("bmcp-DropTable"), Some("DROP"));
        assert_eq!(sql_keyword("grid-union_7"), Some("UNION"));
        assert_eq!(sql_keyword("bmcp-AbC123xyz"), None);
        assert_eq!(sql_keyword("BTCUSDT"), None);
        let params = vec![
            ("symbol", "BTCUSDT".to_owned()),
            ("newClientOrderId", "x-delete-me".to_owned()),
            ("signature", "dropexec".to_owned()),
        ];
        assert_eq!(
            suspect_parameter(&params),
            Some(("newClientOrderId".to_owned(), "DELETE"))
        );
        assert_eq!(
            suspect_parameter(&params[2..]),
            None,
            "the signature is not a value anyone chose"
        );
    }
}
