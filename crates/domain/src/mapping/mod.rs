//! Mapping source documents to balanced ledger entries.
//!
//! Mode `documents` ([`documents`]): one entry per invoice or credit note. Third-party line =
//! total including tax on the collective account with the party's auxiliary code; revenue lines
//! grouped by account (the row's accounting code when set, through `accounts.map`, else the
//! goods/services default; a row's code that is not a PCG account of its side's class holds the
//! document); VAT lines per rate from the document's per-rate VAT totals (authoritative: research
//! sellsy-api.md §3.1), never adjusted; discounts on 709x; a credit note mirrors an invoice.
//! Every line is rounded to the cent, then a gap up to the tolerance (per non-zero rate) goes to
//! 658x/758x; a larger gap is an error with the figures. Accounts are named after the PCG.
//!
//! Mode `journal` ([`journal`]): the source's journal lines grouped by document, accounts and
//! auxiliary codes kept, balance checked.

mod documents;
mod journal;
mod labels;
mod outcome;

pub use documents::{map_document, not_booked};
pub use journal::map_journal;
pub use labels::clean;
pub use outcome::{Mapped, MappingError, NotBooked};
