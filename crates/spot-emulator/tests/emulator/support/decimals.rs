//! How the tests write and round decimals, written here on purpose rather than borrowed from the
//! emulator's `wire` module: an expected value built with the formatter under test would agree
//! with that formatter's bug.

use rust_decimal::Decimal;

/// `"95000.01000000"`: Binance's 8-decimal wire form. The tests' values sit on a tick or step
/// of at most 8 decimals, so this pads and never rounds; a finer value is a test bug and panics.
pub fn fixed8(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    assert!(frac.len() <= 8, "{value} has more than 8 decimals");
    format!("{int}.{frac:0<8}")
}

/// The largest multiple of `step` not above `value` (`value` and `step` positive).
pub fn floor_to_step(value: Decimal, step: Decimal) -> Decimal {
    value - value % step
}
