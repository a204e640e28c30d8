//! passerelle's pure core: money, documents, parties, ledger entries, dossier configuration, the
//! mapping rules and the FEC writer. No I/O, no async, no AWS, no HTTP.

pub mod auxcode;
pub mod category;
pub mod chart;
pub mod config;
pub mod document;
pub mod entry;
pub mod fec;
pub mod journal;
pub mod mapping;
pub mod money;
pub mod party;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use category::Category;
pub use document::{
    DocumentKind, DocumentStatus, Nature, PdfRef, Row, RowKind, SelfAssessedVat, SelfAssessment,
    SourceDocument, SourceRef, TaxTotal, Totals,
};
pub use entry::{AttachmentRef, Auxiliary, EntryError, EntryHeader, EntryLine, LedgerEntry};
pub use journal::{Side, SourceJournalLine};
pub use party::{Party, PartyKind};
