//! Exact step arithmetic for ticks and lot steps: multiples, rounding both ways, display.
//!
//! Everything is `Decimal` remainder arithmetic, which is exact: `1.1 % 0.1 == 0`, and a step
//! written `0.00001000` means the same as `0.00001`.

use rust_decimal::Decimal;

/// `value` rounded down (towards −∞) to a multiple of `step`, shown with the step's decimals
/// (`95000` with tick `0.01000000` gives `95000.00`). A zero step leaves `value` unchanged.
pub fn round_to_step_down(value: Decimal, step: Decimal) -> Decimal {
    let step = step.abs();
    let Some(rem) = remainder(value, step) else {
        return value;
    };
    let down = if rem < Decimal::ZERO {
        (value - rem).checked_sub(step)
    } else {
        Some(value - rem)
    };
    down.map_or(value, |d| with_step_scale(d, step))
}

/// `value` rounded up (towards +∞) to a multiple of `step`, shown with the step's decimals.
/// A zero step leaves `value` unchanged.
pub fn round_to_step_up(value: Decimal, step: Decimal) -> Decimal {
    let step = step.abs();
    let Some(rem) = remainder(value, step) else {
        return value;
    };
    let up = if rem > Decimal::ZERO {
        (value - rem).checked_add(step)
    } else {
        Some(value - rem)
    };
    up.map_or(value, |u| with_step_scale(u, step))
}

/// Whether `value` is an exact multiple of `step`; every value is a multiple of a zero step.
pub fn is_step_multiple(value: Decimal, step: Decimal) -> bool {
    if step.is_zero() {
        return true;
    }
    value.checked_rem(step).is_some_and(|rem| rem.is_zero())
}

/// A value for a message or a `nearest_valid` entry: with the step's decimals when the value
/// fits them (`95000.00`, `0.00001`), else with its own significant decimals.
pub(crate) fn show(value: Decimal, step: Decimal) -> String {
    let plain = value.normalize();
    if step.is_zero() || plain.scale() > step.normalize().scale() {
        return plain.to_string();
    }
    with_step_scale(plain, step).to_string()
}

/// The remainder of `value / step` (sign of `value`); `None` for a zero step or an overflow.
fn remainder(value: Decimal, step: Decimal) -> Option<Decimal> {
    if step.is_zero() {
        return None;
    }
    value.checked_rem(step)
}

/// `value` (a multiple of `step`) rescaled to the decimals the step needs; exact, since a multiple
/// of the step has no digits beyond them.
fn with_step_scale(value: Decimal, step: Decimal) -> Decimal {
    let mut out = value.normalize();
    out.rescale(step.normalize().scale());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn multiples_are_exact() {
        let cases = [
            ("0.3", "0.1", true),
            ("1.1", "0.1", true),
            ("0.000015", "0.00001", false),
            ("0.00002", "0.00001000", true),
            ("0.00001", "0.00001000", true),
            ("95000.005", "0.01", false),
            ("95000.00", "0.01000000", true),
            ("0.75", "0.25", true),
            ("0.8", "0.25", false),
            ("123", "0", true),
            ("0", "0.01", true),
            ("-0.3", "0.1", true),
        ];
        for (value, step, expected) in cases {
            assert_eq!(is_step_multiple(dec(value), dec(step)), expected, "{value} % {step}");
        }
    }

    #[test]
    fn rounding_both_ways_keeps_the_step_decimals() {
        let cases = [
            // value, step, down, up
            ("94999.995", "0.01", "94999.99", "95000.00"),
            ("95000", "0.01000000", "95000.00", "95000.00"),
            ("0.000015", "0.00001", "0.00001", "0.00002"),
            ("0.000015", "0.00001000", "0.00001", "0.00002"),
            ("1.1", "0.1", "1.1", "1.1"),
            ("0.8", "0.25", "0.75", "1.00"),
            ("7", "5", "5", "10"),
            ("-0.15", "0.1", "-0.2", "-0.1"),
            ("1.23456", "0", "1.23456", "1.23456"),
        ];
        for (value, step, down, up) in cases {
            assert_eq!(
                round_to_step_down(dec(value), dec(step)).to_string(),
                down,
                "down {value} / {step}"
            );
            assert_eq!(
                round_to_step_up(dec(value), dec(step)).to_string(),
                up,
                "up {value} / {step}"
            );
        }
    }

    #[test]
    fn values_are_shown_with_the_step_decimals_when_they_fit() {
        assert_eq!(show(dec("95000"), dec("0.01000000")), "95000.00");
        assert_eq!(show(dec("0.00001000"), dec("0.00001000")), "0.00001");
        assert_eq!(show(dec("0.000015"), dec("0.00001")), "0.000015");
        assert_eq!(show(dec("5.00000000"), Decimal::ZERO), "5");
    }

    // ---- property tests against an integer formulation ---------------------------------------

    /// A decimal as an integer mantissa and a scale: `mantissa × 10^-scale`.
    #[derive(Clone, Copy, Debug)]
    struct Fixed {
        mantissa: i128,
        scale: u32,
    }

    impl Fixed {
        fn decimal(self) -> Decimal {
            Decimal::from_i128_with_scale(self.mantissa, self.scale)
        }

        /// The mantissa at a larger scale `k`.
        fn at(self, k: u32) -> i128 {
            self.mantissa * 10i128.pow(k - self.scale)
        }
    }

    /// Reference: both numbers as integers at a common scale; floor division on integers.
    fn reference_floor(value: Fixed, step: Fixed) -> (i128, u32) {
        let k = value.scale.max(step.scale);
        let (v, s) = (value.at(k), step.at(k));
        (v.div_euclid(s) * s, k)
    }

    fn fixed(max_mantissa: i128, max_scale: u32) -> impl Strategy<Value = Fixed> {
        (0..=max_mantissa, 0..=max_scale).prop_map(|(mantissa, scale)| Fixed { mantissa, scale })
    }

    fn step() -> impl Strategy<Value = Fixed> {
        prop_oneof![
            (0u32..=8).prop_map(|scale| Fixed { mantissa: 1, scale }),
            (1i128..=1000, 0u32..=8).prop_map(|(mantissa, scale)| Fixed { mantissa, scale }),
        ]
    }

    proptest! {
        #[test]
        fn is_step_multiple_matches_integer_remainder(value in fixed(10i128.pow(14), 10), step in step()) {
            let k = value.scale.max(step.scale);
            let expected = value.at(k) % step.at(k) == 0;
            prop_assert_eq!(is_step_multiple(value.decimal(), step.decimal()), expected);
        }

        #[test]
        fn round_down_matches_integer_floor(value in fixed(10i128.pow(14), 10), step in step(), negative: bool) {
            let value = Fixed { mantissa: if negative { -value.mantissa } else { value.mantissa }, ..value };
            let (floor, k) = reference_floor(value, step);
            let got = round_to_step_down(value.decimal(), step.decimal());
            prop_assert_eq!(got, Decimal::from_i128_with_scale(floor, k));
            prop_assert_eq!(got.scale(), step.decimal().normalize().scale());
        }

        #[test]
        fn round_up_matches_integer_ceiling(value in fixed(10i128.pow(14), 10), step in step()) {
            let (floor, k) = reference_floor(value, step);
            let exact = floor == value.at(k);
            let ceiling = if exact { floor } else { floor + step.at(k) };
            prop_assert_eq!(round_to_step_up(value.decimal(), step.decimal()), Decimal::from_i128_with_scale(ceiling, k));
        }

        #[test]
        fn trailing_zeros_of_the_step_do_not_matter(value in fixed(10i128.pow(14), 10), step in step(), pad in 0u32..=6) {
            let padded = Decimal::from_i128_with_scale(step.mantissa * 10i128.pow(pad), step.scale + pad);
            prop_assert_eq!(is_step_multiple(value.decimal(), padded), is_step_multiple(value.decimal(), step.decimal()));
            prop_assert_eq!(
                round_to_step_down(value.decimal(), padded).to_string(),
                round_to_step_down(value.decimal(), step.decimal()).to_string()
            );
        }
    }
}
