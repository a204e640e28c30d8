//! The FEC file, the embedded default ledger. Per dossier and fiscal year the blob store holds:
//!
//! - `{prefix}/{dossier}/{closing AAAAMMJJ}/booked.jsonl`: every booked entry of the year in
//!   booking order, one JSON object a line (`external_id`, `number`, `validated_on`, `entry`):
//!   the state; EcritureNum (per journal, continuous, in booking order) and ValidDate (the day
//!   of booking in the dossier's time zone) are fixed there once; `find_entry` answers from it;
//! - `{prefix}/{dossier}/{closing}/<SIREN>FEC<closing>.txt` and `….description.txt`: the FEC,
//!   written from the state in its order after every push, and the description of its content
//!   and format (art. A47 A-1 LPF); a later export holds every earlier line unchanged;
//! - `{prefix}/{dossier}/pdf/<sha256>.<ext>`: entry PDFs;
//! - `{prefix}/{dossier}/documents/<category>/<sha256>.<ext>`: collected documents.
//!
//! Any number of workers may push one dossier: the state is replaced only by compare-and-swap
//! (`BlobStore::put_if`: S3 `If-Match`), retried from the newer state on conflict; after writing
//! the FEC a worker checks the state did not grow meanwhile, else writes again, so the FEC
//! never goes back. A crash between the state and the FEC leaves a FEC one push behind, which
//! the redelivered push writes again. Drafts are refused (a FEC has no brouillard); an entry
//! dated after today is held (retryable, `retry_after` until its date).
//!
//! - `config`: where and how the sink writes;
//! - `section`: `[dossier.ledger] kind = "fec"`, its validation and `connect`;
//! - `wire`: the booked-entries file, line by line;
//! - `errors`: store failures and bad dossier settings as `SinkError`s;
//! - `sink`: the keys, the yearly rewrite and the `LedgerSink` implementation;
//! - `export`: a year's FEC and its description streamed from the booked entries, in any
//!   variant (`passerelle export-fec`).

mod config;
mod errors;
mod export;
pub mod section;
mod sink;
mod wire;

pub use config::FecConfig;
pub use export::{Exported, export_year, write_booked_line};
pub use sink::FecSink;
