//! Exact decimal arguments: prices and quantities arrive as strings and are parsed without
//! ever passing through a float. A JSON number is accepted only when its shortest text has at
//! most 15 significant digits (then the text survives f64 unchanged).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// A non-negative exact decimal given by the agent, e.g. `"0.00015"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Decimal);

impl Amount {
    /// Parses a decimal string with Binance's syntax (`^[0-9]{1,20}(\.[0-9]{1,20})?$`): digits, an optional fraction, no sign or exponent.
    pub fn parse(text: &str) -> Result<Amount, String> {
        let t = text.trim();
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let syntax_ok = !int.is_empty()
            && int.len() <= 20
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 20
            && frac.bytes().all(|b| b.is_ascii_digit())
            && !(t.contains('.') && frac.is_empty());
        if !syntax_ok {
            return Err(format!(
                "{text:?} is not a plain decimal like \"0.001\" (digits, optional fraction, no sign or exponent)"
            ));
        }
        Decimal::from_str_exact(t)
            .map(Amount)
            .map_err(|e| format!("{text:?} cannot be represented exactly: {e}"))
    }
}

fn significant_digits(text: &str) -> usize {
    let digits: String = text
        .chars()
        .take_while(|c| *c != 'e' && *c != 'E')
        .filter(char::is_ascii_digit)
        .collect();
    digits.trim_start_matches('0').trim_end_matches('0').len().max(1)
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;
        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"0.001\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                if v < 0 {
                    return Err(E::custom(format!("{v} is negative; amounts are positive decimals")));
                }
                Ok(Amount(Decimal::from(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                // Rust prints the shortest text that reads back as the same f64.
                let text = format!("{v}");
                if !v.is_finite() || v < 0.0 || text.contains(['e', 'E']) || significant_digits(&text) > 15 {
                    return Err(E::custom(format!(
                        "the number {text} has more digits than a JSON number keeps exactly; send the exact value as a string instead, e.g. \"0.001\""
                    )));
                }
                Decimal::from_str(&text)
                    .map(Amount)
                    .map_err(|e| E::custom(format!("{text}: {e}")))
            }
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

impl JsonSchema for Amount {
    fn schema_name() -> Cow<'static, str> {
        "Amount".into()
    }
    fn inline_schema() -> bool {
        true
    }
    // A decimal string such as "0.001"; the exact syntax is checked when it is parsed, and the
    // error says what is wrong, so the schema does not spend tokens on a pattern.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Decimal, String> {
        serde_json::from_str::<Amount>(json)
            .map(|a| a.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn strings_are_exact() {
        assert_eq!(
            parse("\"123456789.123456789\"").expect("ok").to_string(),
            "123456789.123456789"
        );
        assert_eq!(parse("\"0.00001000\"").expect("ok").to_string(), "0.00001000");
    }

    #[test]
    fn bad_strings_are_refused() {
        for bad in ["\"-1\"", "\"1e5\"", "\".5\"", "\"1.\"", "\"abc\"", "\"\"", "\"1,5\""] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn short_numbers_are_accepted_long_ones_refused() {
        assert_eq!(parse("0.001").expect("ok").to_string(), "0.001");
        assert_eq!(parse("95000").expect("ok").to_string(), "95000");
        let err = parse("123456789.123456789").expect_err("17 digits");
        assert!(err.contains("as a string"), "{err}");
        assert!(parse("-0.5").is_err());
        // A number's exponent form is only notation: 1e-7 is exactly 0.0000001.
        assert_eq!(parse("1e-7").expect("ok").to_string(), "0.0000001");
    }
}
