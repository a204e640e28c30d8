//! The arithmetic of each invoice line (EN 16931-1 §6.4, the calculation of BT-131): net amount
//! = net price (BT-146) × quantity (BT-129) / price base quantity (BT-149) + line charges
//! (BT-141) − line allowances (BT-136). EN 16931's core Schematron has no rule for it; Peppol
//! BIS 3 checks it as PEPPOL-EN16931-R120 and Mustang refuses a file that breaks it. It is not a
//! refusal here: CEN's own example `ubl-tc434-example3` states 2 × 800.00 = 800.00, and whole-
//! unit currencies (HUF) round each line. The entry is booked from the stated amounts, which
//! the totals rules have checked; a line off by more than 1 % (and more than one unit) gets a
//! note in the log, so the accountant sees what Mustang's `invalidArithmetics.xml` hides (2 ×
//! 160.00 stated 160.00, header totals consistent).

use rust_decimal::Decimal;

use crate::model::{Invoice, LineRole};
/// One note per line whose net amount is far from its price × quantity (± its adjustments).
pub(crate) fn line_notes(inv: &Invoice, out: &mut Vec<String>) {
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
        let Some(units) = qty.checked_div(base) else {
            continue;
        };
        let Some(computed) = units
            .checked_mul(price)
            .and_then(|v| v.checked_add(line.adjustments))
        else {
            continue;
        };
        let slack = Decimal::ONE.max(stated.abs() / Decimal::ONE_HUNDRED);
        if (computed - stated).abs() > slack {
            out.push(format!(
                    "line {} states a net amount (BT-131) of {}, but {} × {}{} gives {} (EN 16931-1 §6.4; PEPPOL-EN16931-R120): booked as stated, which the totals agree with; check it with the supplier",
                    line.id.as_deref().unwrap_or("?"),
                    stated.normalize(),
                    qty.normalize(),
                    price.normalize(),
                    if base == Decimal::ONE {
                        String::new()
                    } else {
                        format!(" / {}", base.normalize())
                    },
                    computed.round_dp(2).normalize()
            ));
        }
    }
}
