//! Test support for the crates that take e-invoices in (`features = ["testkit"]`): a generator
//! of EN 16931 invoices written from the norm (`forge`), its CII / UBL writer (`xmlout`) and a
//! PDF writer that embeds a file the way Factur-X does (`pdfout`). Independent validators check
//! what it writes in this crate's tests (`tests/generated.rs`).

pub mod forge;
pub mod pdfout;
pub mod xmlout;
