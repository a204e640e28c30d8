//! The business rules of EN 16931 an invoice must pass before it is booked: the mandatory
//! fields of its profile, then the amounts (BR-CO-*, VAT per category), then each line's
//! price × quantity (PEPPOL-EN16931-R120).

use crate::model::Invoice;
use crate::violation::Violation;
use crate::{mandatory, rules};

/// Checks the invoice against the rules of its profile; empty when it may be booked.
pub fn check(inv: &Invoice) -> Vec<Violation> {
    let mut out = Vec::new();
    mandatory::check_fields(inv, &mut out);
    rules::check_amounts(inv, &mut out);
    crate::lines::check_lines(inv, &mut out);
    out
}
