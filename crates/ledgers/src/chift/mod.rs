//! Chift's unified accounting API (research notes §3; the official OpenAPI 3.1 document,
//! vendored in `crates/simulators/spec/chift-openapi.json`): one API for the ledgers Sellsy
//! reaches only through Chift (ACD, Cegid Loop, MyUnisoft, Sage 100 and the others Chift serves).
//!
//! Entries go through `POST /consumers/{consumer}/accounting/journal-entries` (the generic
//! entry: it carries the PDF in base64 and its `number` is the field Chift recommends for
//! idempotency; see `wire::entry_number`), unposted when the dossier books drafts. Before a
//! second send after a crash the entry is looked up by `GET journal/entries` (its `name` is that
//! number). A JSON token
//! from `POST /token` (30 min) is renewed before it runs out.
//!
//! - `config`: the sink's settings (consumer, folder, journals, VAT codes);
//! - `section`: `[dossier.ledger] kind = "chift"`, its validation and `connect`;
//! - `wire`: request bodies and answers;
//! - `errors`: Chift's errors (`ChiftError`, `HTTPValidationError`) as messages and actions;
//! - `api`: the sink and its calls (pages, folder, journals, book years, chart);
//! - `vat`: the VAT code of each line (configured per rate, else the folder's only one);
//! - `partners`: general accounts mapped onto the chart, third parties matched or created;
//! - `sink`: the `LedgerSink` implementation.

mod api;
mod config;
mod errors;
mod partners;
pub mod section;
mod sink;
mod vat;
mod wire;

pub use api::ChiftSink;
pub use config::{ChiftConfig, VatCodes};
pub use errors::chift_message;
pub use wire::{entry_body, entry_number, pdf_name};
