//! Where each kind of document is read, and with which scope (research §2.2, §2.3).

use app::ports::DocRefKind;
use domain::DocumentKind;

pub(super) fn route(kind: DocRefKind) -> (&'static str, &'static str) {
    match kind {
        DocRefKind::Invoice => ("/invoices", "invoices.read"),
        DocRefKind::CreditNote => ("/credit-notes", "credit-notes.read"),
    }
}

pub(super) fn domain_kind(kind: DocRefKind) -> DocumentKind {
    match kind {
        DocRefKind::Invoice => DocumentKind::SalesInvoice,
        DocRefKind::CreditNote => DocumentKind::SalesCreditNote,
    }
}
