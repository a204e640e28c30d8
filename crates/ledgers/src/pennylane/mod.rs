//! Pennylane Company API v2 (research notes §2): bearer token (a company API token, or OAuth 2.0
//! refreshed on a 401), journal ids resolved from their codes, general accounts mapped onto the chart
//! (`domain::chart::ledger`; created only with `create_missing_accounts`), third parties matched before any is created, `POST /ledger_entries` with string
//! amounts and `piece_number`, the PDF uploaded to `/file_attachments` then referenced by
//! `file_attachment_id`. 25 requests per 5 s per token, in a sliding window that every sink of
//! the same base URL and token in the process shares; `retry-after` and `ratelimit-*` honoured.
//!
//! - `config`: the sink's settings and how it authenticates;
//! - `section`: `[dossier.ledger] kind = "pennylane"`, its validation and `connect`;
//! - `wire`: request bodies and answers;
//! - `currencies`: the currencies the spec accepts, checked before an entry is sent;
//! - `errors`: Pennylane's error answers as messages and actions;
//! - `files`: how a file is attached (the endpoint the spec recommends, the accepted types);
//! - `api`: the sink and its calls (paginated lists, journals, accounts, uploads);
//! - `accounts`: a third party's ledger account, matched or created;
//! - `sink`: the `LedgerSink` implementation.

mod accounts;
mod api;
mod config;
mod currencies;
mod errors;
mod files;
pub mod section;
mod sink;
mod wire;

pub use api::PennylaneSink;
pub use config::{PennylaneAuth, PennylaneConfig};
pub use currencies::CURRENCIES;
pub use errors::pennylane_message;
pub use files::ACCEPTED_TYPES;
pub use wire::entry_body;
