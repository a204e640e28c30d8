//! Money helpers. Amounts are `rust_decimal::Decimal` everywhere, never floats.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds an amount to the cent, half away from zero (the usual French bookkeeping rule:
/// 0.005 → 0.01, -0.005 → -0.01).
pub fn round_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Formats an amount with exactly two decimals and a dot (`1234.50`).
pub fn format_dot(amount: Decimal) -> String {
    format!("{:.2}", round_cents(amount))
}

/// Formats an amount with exactly two decimals and a comma, no thousands separator
/// (`1234,50`), as the FEC requires (art. A47 A-1 LPF).
pub fn format_comma(amount: Decimal) -> String {
    format_dot(amount).replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_cents(dec!(0.005)), dec!(0.01));
        assert_eq!(round_cents(dec!(-0.005)), dec!(-0.01));
        assert_eq!(round_cents(dec!(2.344999)), dec!(2.34));
        assert_eq!(round_cents(dec!(10)), dec!(10));
    }

    #[test]
    fn formats_for_apis_and_fec() {
        assert_eq!(format_dot(dec!(12)), "12.00");
        assert_eq!(format_comma(dec!(1234.5)), "1234,50");
        assert_eq!(format_comma(dec!(-0.1)), "-0,10");
    }
}
