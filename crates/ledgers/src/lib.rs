//! passerelle's ledger sinks, implementing `app::ports::LedgerSink`:
//!
//! - [`InqomSink`]: Inqom's accounting API (entries in all-or-nothing batches of 50, a bad entry
//!   isolated by splitting, PDFs through `/accounting-documents`, mailed documents to the OCR
//!   documents API or `expense-bills`), 15 requests/s;
//! - [`PennylaneSink`]: Pennylane Company API v2, 25 requests per 5 s;
//! - [`ChiftSink`]: Chift's unified accounting API (ACD, Cegid Loop, MyUnisoft, Sage 100, ...),
//!   generic journal entries carrying their PDF;
//! - [`FecSink`]: the FEC file in the blob store, the embedded default.
//!
//! Each sink is a folder split by job (`config`, `section`, `wire`, `errors`, `sink`, ...); [`kinds`]
//! lists the kinds. The API sinks share [`http`] (the ledger side of retries and errors) and an
//! internal client (tokens, pacing, retries) built on the `http-client` crate. Third parties are
//! matched before any is created ([`parties`]). An XML e-invoice goes to the PDF-only ledgers
//! (Chift, Pennylane) as its readable PDF embedding the XML ([`readable`]). Credentials are
//! [`app::ports::Secret`]s and never reach logs or errors.

pub mod chift;
mod client;
pub mod fec;
pub mod http;
pub mod inqom;
pub mod kinds;
pub mod parties;
pub mod pennylane;
pub mod readable;
mod redirect;
pub mod section;

pub use chift::{ChiftConfig, ChiftSink};
pub use fec::{FecConfig, FecSink};
pub use http::{RateLimit, RetryPolicy};
pub use inqom::{InqomConfig, InqomSink};
pub use kinds::{AnySink, KINDS, LedgerSection};
pub use parties::{MatchRule, PartyBook, PartyIds};
pub use pennylane::{PennylaneAuth, PennylaneConfig, PennylaneSink};
pub use section::{SinkContext, SinkSection};
