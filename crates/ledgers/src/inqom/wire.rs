//! What goes to Inqom and what comes back: the answers read (PascalCase JSON), the entry body,
//! the multipart file part.

use app::ports::{Attachment, EntryToPush};
use chrono::NaiveDate;
use domain::{Category, LedgerEntry};
use reqwest::multipart::Part;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Journal {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Period {
    pub begin_date: String,
    pub end_date: String,
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Account {
    pub number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent_account_number: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreatedEntry {
    pub id: i64,
    #[serde(default)]
    pub external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LinesPage {
    #[serde(default)]
    pub entry_lines: Vec<LineItem>,
}

/// A line of `GET /entry-lines`: what the API returns (no `ExternalId` there, whatever was
/// sent), so an entry is recognised by its document reference, journal, date and amounts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LineItem {
    #[serde(default)]
    pub entry: Option<EntryRef>,
    #[serde(default)]
    pub accounting_document: Option<DocRef>,
    #[serde(default)]
    pub debit_amount: Option<f64>,
    #[serde(default)]
    pub credit_amount: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EntryRef {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DocRef {
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DocumentItem {
    pub id: i64,
    #[serde(default)]
    pub doc_ref: Option<String>,
    #[serde(default)]
    pub source_id: Option<String>,
}

/// A fiscal period's `BeginDate` / `EndDate` (a date-time; its date is kept).
pub(super) fn date_of(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}

fn amount(d: rust_decimal::Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or(0.0))
}

/// An amount in cents, as sent (two decimals) and as read back (a float).
pub(super) fn cents(f: f64) -> i64 {
    (f * 100.0).round() as i64
}

/// The (debit, credit) cents of every line of `entry` as sent to Inqom, sorted: what the
/// entry lines read back must show for the entry to be ours.
pub(super) fn amounts_sent(entry: &LedgerEntry) -> Vec<(i64, i64)> {
    let c = |d: rust_decimal::Decimal| cents(d.round_dp(2).to_f64().unwrap_or(0.0));
    let mut v: Vec<(i64, i64)> = entry
        .lines()
        .iter()
        .map(|l| (c(l.debit), c(l.credit)))
        .collect();
    v.sort_unstable();
    v
}

/// At most `max` characters (Inqom's field lengths).
pub(super) fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// One entry of the `POST /v1/dossiers/{id}/entries` body, with each line's account number as
/// resolved in Inqom.
pub fn entry_json(e: &EntryToPush, journal_id: i64, accounts: &[String]) -> Value {
    let entry: &LedgerEntry = &e.entry;
    let lines: Vec<Value> = entry
        .lines()
        .iter()
        .zip(accounts)
        .enumerate()
        .map(|(i, (l, account))| {
            json!({
                "Label": cut(if l.label.trim().is_empty() { &entry.label } else { &l.label }, 256),
                "DebitAmount": amount(l.debit),
                "CreditAmount": amount(l.credit),
                "Currency": cut(&entry.currency.to_ascii_uppercase(), 5),
                "AccountNumber": account,
                "ExternalId": format!("{}#{}", e.external_id, i + 1),
            })
        })
        .collect();
    json!({
        "JournalId": journal_id,
        "Date": entry.date.format("%Y-%m-%d").to_string(),
        "Document": {
            "Reference": cut(&entry.piece_ref, 256),
            "Date": entry.piece_date.format("%Y-%m-%d").to_string(),
        },
        "ExternalId": e.external_id,
        "Lines": lines,
    })
}

/// The `TypeScan` of a collected document (expense reports go to `expense-bills` instead).
pub fn type_scan(category: Category) -> &'static str {
    match category {
        Category::Purchase => "Supplier",
        Category::Sales => "Client",
        Category::ExpenseReport | Category::Administrative => "Others",
    }
}

/// A file as a multipart part, with its content type when Inqom can be told it.
pub(super) fn file_part(f: &Attachment) -> Part {
    let part = Part::bytes(f.bytes.clone()).file_name(f.file_name.clone());
    match Part::bytes(f.bytes.clone())
        .file_name(f.file_name.clone())
        .mime_str(&f.content_type)
    {
        Ok(p) => p,
        Err(_) => part,
    }
}

/// The id of a created object: a bare number or `{"Id": …}`.
pub(super) fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(m) => m.get("Id").or_else(|| m.get("id")).and_then(Value::as_i64),
        _ => None,
    }
}
