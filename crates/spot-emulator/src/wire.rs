//! How decimals are written in JSON answers (fixed 8 decimals for prices and quantities, as
//! Binance does; the shortest form where Binance sends it) and floored onto a step grid.

use rust_decimal::{Decimal, RoundingStrategy};

/// `"95000.01000000"`: rounded half-even to 8 decimals and padded to 8.
pub fn fixed8(value: Decimal) -> String {
    fixed(value, 8)
}

/// `value` rounded half-even and padded to exactly `dp` decimals.
pub fn fixed(value: Decimal, dp: u32) -> String {
    let rounded = value.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
    format!("{:.*}", dp as usize, rounded)
}

/// `"0.2"`, `"5"`: the shortest exact form (used where Binance sends unpadded multipliers).
pub fn plain(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Rounds `value` down to a multiple of `step` (a zero step leaves it unchanged).
pub fn floor_to_step(value: Decimal, step: Decimal) -> Decimal {
    if step.is_zero() {
        return value;
    }
    (value / step).floor() * step
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_rounds() {
        assert_eq!(fixed8(Decimal::new(1, 2)), "0.01000000");
        assert_eq!(fixed8(Decimal::new(95_000, 0)), "95000.00000000");
        assert_eq!(fixed8(Decimal::new(123_456_789_015, 11)), "1.23456789");
        assert_eq!(fixed(Decimal::new(-959_604, 4), 3), "-95.960");
        assert_eq!(plain(Decimal::new(20, 2)), "0.2");
    }

    #[test]
    fn floors_to_step() {
        let step = Decimal::new(1, 5);
        assert_eq!(
            floor_to_step(Decimal::new(123_456_789, 8), step),
            Decimal::new(123_456, 5)
        );
    }
}
