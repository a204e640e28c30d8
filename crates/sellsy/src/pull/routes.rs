//! Where each kind of document is read, and with which scope (research §2.2, §2.3, §2.6).

use app::ports::DocRefKind;
use domain::DocumentKind;

/// The purchases journal: the only v2 source of purchase documents (research §2.6).
pub(super) const PURCHASES_JOURNAL: (&str, &str) = (
    "/accounting-journal/purchases/search",
    "accounting-entry.read",
);

pub(super) fn route(kind: DocRefKind) -> (&'static str, &'static str) {
    match kind {
        DocRefKind::Invoice => ("/invoices", "invoices.read"),
        DocRefKind::CreditNote => ("/credit-notes", "credit-notes.read"),
        // No purchase-document route in v2.264.0: read through the purchases journal.
        DocRefKind::PurchaseInvoice | DocRefKind::PurchaseCreditNote => PURCHASES_JOURNAL,
    }
}

pub(super) fn domain_kind(kind: DocRefKind) -> DocumentKind {
    match kind {
        DocRefKind::Invoice => DocumentKind::SalesInvoice,
        DocRefKind::CreditNote => DocumentKind::SalesCreditNote,
        DocRefKind::PurchaseInvoice => DocumentKind::PurchaseInvoice,
        DocRefKind::PurchaseCreditNote => DocumentKind::PurchaseCreditNote,
    }
}
