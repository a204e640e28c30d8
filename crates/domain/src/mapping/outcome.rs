//! What mapping one document gives: an entry, or why not (held, skipped, refused) with the
//! action a person can take.

use thiserror::Error;

use crate::chart::RowSide;
use crate::document::DocumentKind;
use crate::entry::{EntryError, LedgerEntry};

/// What mapping one document gives.
// Entries are the common case and are moved once; boxing them would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Entry(LedgerEntry),
    /// Not booked, for a reason a person can act on.
    NotBooked(NotBooked),
}

/// Why a document is not booked, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBooked {
    /// The document's subject contains an exclusion word.
    Excluded { word: String },
    /// The dossier does not book this kind of document (scope).
    OutOfScope { kind: DocumentKind },
    /// Drafts and cancelled documents are never booked.
    NotFinalized { status: String },
    /// No PDF while "sync documents without PDF" is off: held until the PDF exists.
    NoPdf,
    /// Total including tax of zero: nothing to book.
    ZeroTotal,
    /// A row names an account that is not a PCG account of the class its side needs ("6226" or
    /// "VENTES" on a sales row): held until the row or the dossier's account map is fixed.
    RowAccount {
        /// The row's description.
        row: String,
        /// The accounting code the row gave (before the dossier's account map).
        account: String,
        /// What is wrong with it.
        problem: String,
        side: RowSide,
    },
}

impl NotBooked {
    /// Whether the pipeline should hold the document (it may become bookable) rather than skip it.
    pub fn is_hold(&self) -> bool {
        matches!(self, NotBooked::NoPdf | NotBooked::RowAccount { .. })
    }

    pub fn message(&self) -> String {
        match self {
            NotBooked::Excluded { word } => {
                format!("skipped: its subject contains the exclusion word \"{word}\"")
            }
            NotBooked::OutOfScope { kind } => format!(
                "skipped: this dossier does not book {}",
                kind.as_str().replace('_', " ")
            ),
            NotBooked::NotFinalized { status } => {
                format!("skipped: the document is {status} at the source, not finalized")
            }
            NotBooked::NoPdf => "held: the document has no PDF yet".into(),
            NotBooked::ZeroTotal => "skipped: the total including tax is zero".into(),
            NotBooked::RowAccount { row, problem, .. } => {
                format!("held: the row \"{row}\" cannot be booked: {problem}")
            }
        }
    }

    pub fn action(&self) -> String {
        match self {
            NotBooked::Excluded { .. } => "no action needed; remove the word from exclusion_words to book such documents".into(),
            NotBooked::OutOfScope { .. } => "no action needed; change the dossier's scope to book them".into(),
            NotBooked::NotFinalized { .. } => "no action needed; it is booked once finalized (a cancellation is booked through its credit note)".into(),
            NotBooked::NoPdf => "generate the PDF in Sellsy, or set sync_without_pdf = true for this dossier".into(),
            NotBooked::ZeroTotal => "no action needed".into(),
            NotBooked::RowAccount { account, side, .. } => {
                let (what, examples, table, example) = match side {
                    RowSide::Sales => ("class 7", "706000 services, 707000 goods…", "sales", "706000"),
                    RowSide::Purchases => (
                        "class 6 (or fixed asset)",
                        "607000, 622600, 218300…",
                        "purchases",
                        "607000",
                    ),
                };
                format!(
                    "set a {what} accounting code on the row in Sellsy ({examples}), or map the code in the dossier configuration: [dossier.accounts.map.{table}] \"{account}\" = \"{example}\"; passerelle reads the document again at every sync"
                )
            }
        }
    }
}

/// Why a document cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MappingError {
    #[error("{document}: no VAT account for the {rate} % rate")]
    MissingVatAccount { document: String, rate: String },
    #[error(
        "{document}: lines do not balance after rounding to the cent: total including tax {total}, revenue and VAT net {lines}, gap {gap} is above the tolerance of {tolerance}"
    )]
    GapAboveTolerance {
        document: String,
        total: String,
        lines: String,
        gap: String,
        tolerance: String,
    },
    #[error("{document}: currency {currency} is not booked automatically (amounts must be in EUR)")]
    ForeignCurrency { document: String, currency: String },
    #[error("{document}: no line of the source's sales journal belongs to this document")]
    NotInJournal { document: String },
    #[error("{document}: the source journal name '{journal}' gives no journal code")]
    NoJournalCode { document: String, journal: String },
    #[error(
        "{document}: source journals {journals} would all be booked as journal {code}: one EcritureNum series under several labels"
    )]
    JournalCodeClash {
        document: String,
        code: String,
        journals: String,
    },
    #[error(transparent)]
    Entry(#[from] EntryError),
}

impl MappingError {
    /// What a person should do about it.
    pub fn action(&self) -> String {
        match self {
            MappingError::MissingVatAccount { rate, .. } => format!(
                "add the rate to the dossier configuration, e.g. vat.sales.\"{rate}\" = \"4457xx\" (vat.purchases.\"{rate}\" = \"4456xx\" on purchases, or vat.self_assessed.reverse_charge_deductible for reverse-charge VAT)"
            ),
            MappingError::GapAboveTolerance { .. } => "check the document's amounts in Sellsy (rows, VAT totals, total including tax); raise rounding.tolerance_per_rate only if the gap is a known rounding habit".into(),
            MappingError::ForeignCurrency { .. } => "book this document by hand with its exchange rate".into(),
            MappingError::NotInJournal { .. } => "record the document in Sellsy's accounting (comptabiliser) so its journal lines exist, or switch the dossier to mode \"documents\"".into(),
            MappingError::NoJournalCode { journal, .. } => format!(
                "give the journal a code in [dossier.journal_codes], e.g. \"{journal}\" = \"VT\""
            ),
            MappingError::JournalCodeClash { code, .. } => format!(
                "give each source journal its own code in [dossier.journal_codes] (e.g. \"Ventes export\" = \"VEXP\"); the clash on {code} is explained in the message"
            ),
            MappingError::Entry(_) => "check the document's lines at the source; an unbalanced entry is never booked".into(),
        }
    }
}
