//! The arithmetic of each invoice line (EN 16931-1 §6.4, the calculation of BT-131): net amount
//! = net price (BT-146) × quantity (BT-129) / price base quantity (BT-149) + line charges
//! (BT-141) − line allowances (BT-136). EN 16931's core Schematron has no rule for it, and
//! official examples break it (CEN's `ubl-tc434-example2/3`, `CII_example2/8/9`, FeRD's
//! insurance samples): refusing it would refuse invoices the official validator accepts. Peppol
//! BIS 3 makes it PEPPOL-EN16931-R120 (fatal), so an invoice claiming that specification (BT-24)
//! is refused when a line is off by more than rounding (1 % and one unit: whole-unit currencies
//! such as HUF round each line). Any other invoice is booked from its stated amounts, which the
//! totals rules have checked, with a note per line the accountant should look at (Mustang's
//! `invalidArithmetics.xml`: 2 × 160.00 stated 160.00, header totals consistent).

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

/// Whether the invoice claims Peppol BIS Billing 3 (its CIUS id in BT-24), where R120 is fatal.
fn peppol(inv: &Invoice) -> bool {
    inv.specification_id
        .as_deref()
        .is_some_and(|id| id.contains("peppol.eu"))
}

/// Refuses, in a Peppol invoice, the lines whose amount is not their price × quantity, the sign
/// aside.
pub(crate) fn check_lines(inv: &Invoice, out: &mut Vec<Violation>) {
    if !peppol(inv) {
        return;
    }
    for gap in gaps(inv).iter().filter(|g| !g.sign_only()) {
        out.push(Violation::new(LINE_RULE, gap.describe()));
    }
}

/// One note per line booked although its amount is not its price × quantity.
pub(crate) fn line_notes(inv: &Invoice, out: &mut Vec<String>) {
    let peppol = peppol(inv);
    for gap in gaps(inv) {
        let what = if gap.sign_only() {
            "the same amount with the other sign"
        } else if peppol {
            continue;
        } else {
            LINE_RULE
        };
        out.push(format!(
            "{} ({what}): booked as stated, which the totals agree with; check it with the supplier",
            gap.describe()
        ));
    }
}
