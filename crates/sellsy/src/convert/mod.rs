//! Sellsy wire types to domain types. Money stays `Decimal`; ids become strings.
//!
//! A document that cannot be booked as Sellsy sent it (a value the domain needs is missing,
//! an account cannot be resolved) is refused with an [`Unusable`]: the reason in words a person
//! can check in Sellsy and the action to take. The pull holds it and goes on with the others.

mod document;
mod journal;
mod outcome;
mod purchase;
mod refs;

pub use document::{document, status};
pub use journal::{currency, document_kind, journal_line};
pub use outcome::{FIX_ACCOUNT, FIX_IN_SELLSY, Notes, Unusable};
pub use purchase::{FIX_PURCHASE, PurchaseHead, purchase_document};
pub use refs::Refs;
