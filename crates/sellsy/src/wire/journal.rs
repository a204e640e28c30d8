//! Sales-journal lines: spec schema `AccountingJournal` (`POST /accounting-journal/{type}/search`).
//!
//! Spec facts these types follow (v2.264.0): no property is required. Nullable:
//! `analytic_code`, `auxiliary_code`, `document`, `documents` (and each of its items),
//! `companies`, `individuals`. `amount.direction` is `debit|credit`, `amount.value` a string;
//! `document.type` is `invoice|creditnote|purInvoice|purCreditNote`; `related[].type` adds
//! `company|individual|expense|bankDeposit`. The spec's own example of `document.due_date` is
//! not a date ("Due date of document"): it is not read.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use super::lenient::{self, Dec};

#[derive(Debug, Clone, Deserialize)]
pub struct JournalAmount {
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub direction: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_dec")]
    pub value: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalCode {
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JournalDocument {
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub number: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub subject: Option<String>,
    /// Nullable `uri`: for a purchase, the only link to its file that v2 gives (research §2.6).
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub public_link: Option<String>,
}

/// `companies[]` / `individuals[]` items: `{id, name, reference}`, none required.
#[derive(Debug, Clone, Deserialize)]
pub struct JournalThird {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub reference: Option<String>,
}

/// `AccountingJournal` item (research §2.5).
#[derive(Debug, Clone, Deserialize)]
pub struct JournalLine {
    #[serde(default, deserialize_with = "lenient::de_int")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::de_date")]
    pub date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub label: Option<String>,
    #[serde(default)]
    pub amount: Option<JournalAmount>,
    #[serde(default)]
    pub code: Option<JournalCode>,
    #[serde(default, deserialize_with = "lenient::de_text")]
    pub auxiliary_code: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient::de_text")]
    pub journal_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::de_bool")]
    pub recorded: Option<bool>,
    #[serde(default)]
    pub document: Option<JournalDocument>,
    #[serde(default)]
    pub companies: Option<Vec<JournalThird>>,
    #[serde(default)]
    pub individuals: Option<Vec<JournalThird>>,
}

/// The document a journal line belongs to, read from the raw line so that it is known even
/// when the rest of the line cannot be read: `document` (nullable), else the only document of
/// `documents[]`, else the only invoice or credit note of `related[]`. Returns the Sellsy type
/// (`invoice`, `creditnote`, `purInvoice`, `purCreditNote`), the id and the number if known.
pub fn line_document(line: &Value) -> Option<(String, i64, Option<String>)> {
    let read = |d: &Value| -> Option<(String, i64, Option<String>)> {
        let kind = lenient::text_of(d.get("type")?).ok()??;
        let id = lenient::de_int(d.get("id")?).ok()??;
        let number = d
            .get("number")
            .and_then(|n| lenient::text_of(n).ok().flatten());
        Some((kind, id, number))
    };
    if let Some(found) = line.get("document").and_then(read) {
        return Some(found);
    }
    let only = |list: Option<&Value>, filter: &dyn Fn(&str) -> bool| {
        let found: Vec<_> = list?
            .as_array()?
            .iter()
            .filter_map(read)
            .filter(|(k, _, _)| filter(k))
            .collect();
        match found.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    };
    let any = |_: &str| true;
    let document_kind =
        |k: &str| matches!(k, "invoice" | "creditnote" | "purInvoice" | "purCreditNote");
    only(line.get("documents"), &any).or_else(|| only(line.get("related"), &document_kind))
}
