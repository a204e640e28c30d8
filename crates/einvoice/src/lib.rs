//! passerelle's e-invoices, pure and synchronous (no I/O): recognise a Factur-X / ZUGFeRD PDF,
//! a CII or a UBL invoice among collected files ([`detect`]), read its EN 16931 model
//! ([`read`]), check the business rules that make its numbers trustworthy ([`check`]), and
//! turn it into a [`domain::SourceDocument`] for the dossier's side of it
//! ([`to_source_document`]) that `domain::mapping::map_document` books.
//!
//! ```text
//! detect(bytes, name) ─▶ EInvoice(file) ─▶ read(&file) ─▶ Invoice ─▶ check(&inv) = [] ─▶ to_source_document(&inv, side, opts)
//!                     ├▶ OtherXml / Refused: refuse with the reason
//!                     └▶ NotEInvoice: the ordinary document intake
//! ```
//!
//! [`assess`] runs every step for one collected file and gives one [`Assessment`] with its
//! message and action.
//!
//! Hostile input is bounded ([`Limits`]): file and XML size, element depth, node count; a DTD
//! is refused outright, so no external entity is ever resolved and no entity expanded.

mod cii;
pub mod detect;
pub mod error;
pub mod intake;
mod mandatory;
pub mod map;
pub mod model;
pub mod pdf;
mod read;
mod rules;
#[cfg(test)]
mod rules_tests;
mod ubl;
mod vat;
pub mod xml;

use rust_decimal::Decimal;

pub use detect::{Container, Detection, EInvoiceFile, Format, detect, detect_with_limits};
pub use error::{ReadError, Refusal};
pub use intake::{Assessment, assess};
pub use map::{
    DuplicateKey, MapError, MapOptions, PartyMatch, Side, buyer_matches, duplicate_key,
    seller_matches, to_source_document,
};
pub use model::{Invoice, Profile, Syntax};
pub use read::{read, read_xml};
pub use xml::Limits;

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

/// Checks the invoice against the rules of its profile; empty when it may be booked.
pub fn check(inv: &Invoice) -> Vec<Violation> {
    let mut out = Vec::new();
    mandatory::check_fields(inv, &mut out);
    rules::check_amounts(inv, &mut out);
    out
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
