//! A broken business rule, and the rounding the Schematron rules use.

use rust_decimal::Decimal;

/// A business rule the invoice breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's id in the norm (`BR-CO-15`, `BR-S-08`, `BR-FXEXT-CO-10`), `XSD` for a value
    /// that is not a number or a date, `BT-24` for an unknown profile.
    pub rule: String,
    pub message: String,
}

impl Violation {
    pub fn new(rule: &str, message: String) -> Violation {
        Violation {
            rule: rule.to_string(),
            message,
        }
    }

    /// What to do: the invoice is the supplier's legal document, only they can correct it.
    pub fn action(&self) -> &'static str {
        "ask the supplier to re-issue the invoice"
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}

/// XPath `round()`: to the nearest integer, halves toward positive infinity.
pub(crate) fn xpath_round(x: Decimal) -> Decimal {
    (x + Decimal::new(5, 1)).floor()
}

/// `round(x * 100) div 100`, as the Schematron rounds sums to the cent.
pub(crate) fn round2(x: Decimal) -> Decimal {
    match x.checked_mul(Decimal::ONE_HUNDRED) {
        Some(c) => xpath_round(c) / Decimal::ONE_HUNDRED,
        None => x,
    }
}
