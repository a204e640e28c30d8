//! What goes to Pennylane and what comes back (schemas of the Company API v2).

use domain::LedgerEntry;
use domain::money::format_dot;
use serde::Deserialize;
use serde_json::{Value, json};

/// A page of a cursor-paginated list.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct IdOnly {
    pub id: i64,
}

/// A ledger account of the chart.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AccountItem {
    pub id: i64,
    pub number: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Deserialize)]
pub(super) struct JournalItem {
    pub id: i64,
    pub code: String,
}

#[derive(Deserialize)]
pub(super) struct ThirdPartyItem {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reg_no: Option<String>,
    #[serde(default)]
    pub establishment_no: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default)]
    pub ledger_account: Option<IdOnly>,
}

#[derive(Deserialize)]
pub(super) struct EntryItem {
    pub id: i64,
    #[serde(default)]
    pub piece_number: Option<String>,
}

/// The `POST /ledger_entries` body (schema `postLedgerEntries`): amounts as strings with two
/// decimals, our piece reference as `piece_number`.
pub fn entry_body(
    entry: &LedgerEntry,
    journal_id: i64,
    account_ids: &[i64],
    file_attachment_id: Option<i64>,
) -> Value {
    let lines: Vec<Value> = entry
        .lines()
        .iter()
        .zip(account_ids)
        .map(|(l, id)| {
            json!({
                "debit": format_dot(l.debit),
                "credit": format_dot(l.credit),
                "ledger_account_id": id,
                "label": l.label,
            })
        })
        .collect();
    let label = if entry.label.trim().is_empty() {
        entry.piece_ref.clone()
    } else {
        entry.label.clone()
    };
    let mut body = json!({
        "date": entry.date.format("%Y-%m-%d").to_string(),
        "label": label,
        "journal_id": journal_id,
        "piece_number": entry.piece_ref,
        "currency": entry.currency.to_ascii_uppercase(),
        "ledger_entry_lines": lines,
    });
    if let Some(id) = file_attachment_id {
        body["file_attachment_id"] = json!(id);
    }
    body
}
