//! Inqom's accounting API (research notes §1): a password-grant token, journals, fiscal periods
//! and chart looked up once, missing auxiliary accounts created (keeping the number Inqom
//! returns: it may rewrite `401X` into `4011X`), entries posted in batches of at most 50 that
//! Inqom books all-or-nothing (a 400 splits the batch to isolate the bad entry), `ExternalId` =
//! our document key, the PDF attached through `/accounting-documents`, mailed documents to the
//! documents (OCR) API or `expense-bills`. Never posts into a locked period. 15 requests/s.
//!
//! - `config`: the sink's settings;
//! - `section`: `[dossier.ledger] kind = "inqom"`, its validation and `connect`;
//! - `wire`: request bodies and answers;
//! - `errors`: Inqom's error answers as messages and actions;
//! - `api`: the sink and its reads (journals, periods, chart, documents);
//! - `accounts`: a line's account, matched or created;
//! - `entries`: entries prepared, posted in batches, PDFs attached;
//! - `sink`: the `LedgerSink` implementation.

mod accounts;
mod api;
mod config;
mod entries;
mod errors;
pub mod section;
mod sink;
mod wire;

pub use api::InqomSink;
pub use config::{InqomConfig, MAX_BATCH};
pub use errors::inqom_message;
pub use wire::{entry_json, type_scan};
