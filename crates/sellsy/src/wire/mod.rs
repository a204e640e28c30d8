//! Serde types of the Sellsy v2 payloads the connector reads (spec v2.264.0, vendored in
//! `crates/sellsy/spec/`). Only the fields the connector uses are declared; unknown fields are
//! ignored (the spec's versioning rules: tolerate new fields).
//!
//! Reviewed against the spec's `required` and `nullable` lists (beside each type: the schema
//! it follows). Almost nothing is required in the schemas the connector reads, so every field
//! is an `Option` and absent, `null` and blank read alike; where presence matters (a PDF link
//! projected away versus none) [`Presence`] keeps the difference. Values are decoded as the
//! spec allows them, and as its own examples show them where they disagree (see [`lenient`]).
//! Whether a document can be booked without a field is decided in `convert`, never here.

mod document;
mod journal;
pub mod lenient;
mod page;
mod purchase;
mod reference;

pub use document::*;
pub use journal::*;
pub use lenient::{Dec, Presence, decode, parse_decimal};
pub use page::{Page, Pagination};
pub use purchase::Ocr;
pub use reference::*;
