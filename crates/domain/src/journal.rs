//! Lines of a source's own sales journal (mode `journal`): Sellsy has already applied its chart of
//! accounts, so they are copied as they are, grouped by document.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::document::SourceRef;

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

/// One line of the source's journal (Sellsy `AccountingJournal` item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceJournalLine {
    /// The source's line id.
    pub id: String,
    /// The source's journal name or type ("SALES", "VENTES"…); its journal code is derived from it.
    pub journal: String,
    pub date: NaiveDate,
    pub account: String,
    pub account_label: Option<String>,
    pub auxiliary_code: Option<String>,
    pub label: String,
    pub side: Side,
    /// Positive amount on `side`.
    pub amount: Decimal,
    /// The document this line belongs to.
    pub document: SourceRef,
    pub document_number: String,
    /// Name of the third party of the document, when the source gives it.
    pub party_name: Option<String>,
    pub currency: String,
}
