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
//! [`readable_pdf`] writes a readable PDF of an XML e-invoice that embeds the XML, for the
//! ledgers that attach PDFs only.
//!
//! [`assess`] runs every step for one collected file and gives one [`Assessment`] with its
//! message and action.
//!
//! Hostile input is bounded ([`Limits`]): file and XML size, element depth, node count; a DTD
//! is refused outright, so no external entity is ever resolved and no entity expanded.

mod checks;
mod cii;
pub mod detect;
pub mod error;
pub mod intake;
mod lines;
mod mandatory;
pub mod map;
pub mod model;
pub mod pdf;
mod read;
mod reader;
pub mod render;
mod rules;
#[cfg(test)]
mod rules_tests;
mod self_assessed;
#[cfg(feature = "testkit")]
pub mod testkit;
mod ubl;
mod vat;
mod violation;
pub mod xml;

pub use checks::check;
pub use detect::{Container, Detection, EInvoiceFile, detect, detect_with_limits, read};
pub use error::{ReadError, Refusal};
pub use intake::{Assessment, assess};
pub use map::{
    DuplicateKey, MapError, MapOptions, PartyMatch, Side, buyer_matches, duplicate_key,
    seller_matches, to_source_document,
};
pub use model::{Invoice, Profile, Syntax};
pub use read::{Format, read_xml};
pub use render::{RenderError, readable_pdf, readable_pdf_of};
pub use violation::Violation;
pub use xml::Limits;
