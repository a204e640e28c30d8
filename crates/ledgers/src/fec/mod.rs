//! The FEC file, the embedded default ledger. Per dossier and fiscal year the blob store holds:
//!
//! - `{prefix}/{dossier}/{closing AAAAMMJJ}/booked.jsonl`: every booked entry of the year, one JSON
//!   object a line (`external_id`, `validated_on`, `entry`); `find_entry` answers from it;
//! - `{prefix}/{dossier}/{closing}/<SIREN>FEC<closing>.txt`: the FEC, rewritten from all booked
//!   entries after every push with `domain::fec::write_fec`, so it is valid after every push;
//! - `{prefix}/{dossier}/pdf/<sha256>.<ext>`: entry PDFs;
//! - `{prefix}/{dossier}/documents/<category>/<sha256>.<ext>`: collected documents.
//!
//! The FEC is written before the booked list, so a crash between the two only leaves entries
//! in the FEC that the next push writes again from the list (no entry is ever lost or doubled).
//! One sink serialises its writes; run one writer per dossier.
//!
//! - `config`: where and how the sink writes;
//! - `section`: `[dossier.ledger] kind = "fec"`, its validation and `connect`;
//! - `wire`: the booked-entries file, line by line;
//! - `errors`: store failures and bad dossier settings as `SinkError`s;
//! - `sink`: the keys, the yearly rewrite and the `LedgerSink` implementation.

mod config;
mod errors;
pub mod section;
mod sink;
mod wire;

pub use config::FecConfig;
pub use sink::FecSink;
