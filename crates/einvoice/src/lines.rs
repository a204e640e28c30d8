//! The arithmetic of each invoice line (EN 16931-1 §6.4, the calculation of BT-131): net amount
//! = net price (BT-146) × quantity (BT-129) / price base quantity (BT-149) + line charges
//! (BT-141) − line allowances (BT-136). EN 16931's core Schematron has no rule for it; Peppol
//! BIS 3 checks it as PEPPOL-EN16931-R120 (fatal) and Mustang refuses a file that breaks it
//! (its `invalidArithmetics.xml`: 2 × 160.00 stated 160.00, header totals consistent). A line
//! whose amount is not its price × quantity cannot be trusted line by line, so it is refused
//! with that rule when the gap exceeds rounding (1 % and one unit: whole-unit currencies such
//! as HUF round each line). A line that has the right amount with the other sign (CEN's
//! `CII_example1` line 20, a return "6 × 18.33 = -109.98" where BR-27 forbids a negative
//! price) is booked as stated, which the totals rules have checked, with a note.

use rust_decimal::Decimal;

use crate::model::{Invoice, InvoiceLine, LineRole};
use crate::violation::Violation;

/// The rule a line's arithmetic answers to.
pub const LINE_RULE: &str = "PEPPOL-EN16931-R120";

/// A line whose stated net amount is not its price × quantity (± its adjustments).
struct Gap<'a> {
    line: &'a InvoiceLine,
    stated: Decimal,
    computed: Decimal,
    qty: Decimal,
    price: Decimal,
    base: Decimal,
}

impl Gap<'_> {
    fn describe(&self) -> String {
        format!(
            "line {} states a net amount (BT-131) of {}, but {} × {}{} gives {} (EN 16931-1 §6.4)",
            self.line.id.as_deref().unwrap_or("?"),
            self.stated.normalize(),
            self.qty.normalize(),
            self.price.normalize(),
            if self.base == Decimal::ONE {
                String::new()
            } else {
                format!(" / {}", self.base.normalize())
            },
            self.computed.round_dp(2).normalize()
        )
    }

    /// The amounts agree once the sign is set aside.
    fn sign_only(&self) -> bool {
        !self.stated.is_zero() && within(self.stated.abs(), self.computed.abs())
    }
}

fn within(stated: Decimal, computed: Decimal) -> bool {
    let slack = Decimal::ONE.max(stated.abs() / Decimal::ONE_HUNDRED);
    (computed - stated).abs() <= slack
}

fn gaps(inv: &Invoice) -> Vec<Gap<'_>> {
    let mut out = Vec::new();
    for line in &inv.lines {
        // A group line's amount is its sub-lines' sum (BR-FXEXT-08); information lines count
        // for nothing.
        if matches!(line.role, LineRole::Group | LineRole::Information) {
            continue;
        }
        let (Some(qty), Some(price), Some(stated)) =
            (line.quantity, line.net_price, line.net_amount)
        else {
            continue;
        };
        let base = match line.base_quantity {
            Some(b) if !b.is_zero() => b,
            _ => Decimal::ONE,
        };
        let Some(computed) = qty
            .checked_div(base)
            .and_then(|units| units.checked_mul(price))
            .and_then(|v| v.checked_add(line.adjustments))
        else {
            continue;
        };
        if !within(stated, computed) {
            out.push(Gap {
                line,
                stated,
                computed,
                qty,
                price,
                base,
            });
        }
    }
    out
}

/// Refuses the lines whose amount is not their price × quantity, the sign aside.
pub(crate) fn check_lines(inv: &Invoice, out: &mut Vec<Violation>) {
    for gap in gaps(inv).iter().filter(|g| !g.sign_only()) {
        out.push(Violation::new(LINE_RULE, gap.describe()));
    }
}

/// One note per line whose amount is its price × quantity with the other sign.
pub(crate) fn line_notes(inv: &Invoice, out: &mut Vec<String>) {
    for gap in gaps(inv).iter().filter(|g| g.sign_only()) {
        out.push(format!(
            "{}: the same amount with the other sign; booked as stated, which the totals agree with; check it with the supplier",
            gap.describe()
        ));
    }
}
