//! Chift's request bodies and answers (the official OpenAPI 3.1 document's schemas).

use app::ports::Attachment;
use base64::Engine;
use domain::LedgerEntry;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json};

/// `ChiftPage_*`: `{items, total, page, size}`.
#[derive(Deserialize)]
pub(super) struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub total: Option<i64>,
}

/// `FolderItem`.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct Folder {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub selected: Option<bool>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `BookYear`.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct BookYear {
    pub name: String,
    pub start: chrono::NaiveDate,
    pub end: chrono::NaiveDate,
    pub closed: bool,
}

/// `Journal`.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct Journal {
    pub id: String,
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub journal_type: String,
    #[serde(default)]
    pub blocked: Option<bool>,
}

/// `AccountingVatCode`.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct VatCode {
    pub id: String,
    #[serde(default)]
    pub code: Option<String>,
    pub label: String,
    pub rate: f64,
    /// `sale`, `purchase`, `both`, `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub reversed: Option<bool>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `AccountItem` of the chart.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct Account {
    pub number: String,
    pub name: String,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `ClientItemOut` / `SupplierItemOut`.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct Partner {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default)]
    pub vat: Option<String>,
    #[serde(default)]
    pub company_number: Option<String>,
    /// The auxiliary account ("third party account number/code").
    #[serde(default)]
    pub third_party_account: Option<String>,
    /// Its ledger account: the collective one, or its own where each partner has one.
    #[serde(default)]
    pub account_number: Option<String>,
}

/// `JournalEntryMonoAnalyticPlan` (the list) and `JournalEntryMultiAnalyticPlan` (the answer
/// to a creation): what a lookup needs.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct EntryOut {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub items: Option<Vec<ItemOut>>,
}

#[derive(Deserialize, Clone, Debug)]
pub(super) struct ItemOut {
    #[serde(default)]
    pub debit: f64,
    #[serde(default)]
    pub credit: f64,
    /// Set on a client or supplier line.
    #[serde(default)]
    pub partner_id: Option<String>,
}

/// One line of a generic entry, resolved against the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `general_account`, `customer_account`, `supplier_account`.
    pub account_type: &'static str,
    /// The general account number, or the partner id.
    pub account: String,
    /// The VAT code id, when the line has one.
    pub tax_code: Option<String>,
}

/// A file name the spec accepts (`^[a-zA-Z0-9\-_ ]{1,196}(?:.pdf)?$`): accents and other signs
/// become `_`, the extension is `.pdf`.
pub fn pdf_name(file_name: &str) -> String {
    let stem = file_name
        .strip_suffix(".pdf")
        .or_else(|| file_name.strip_suffix(".PDF"))
        .unwrap_or(file_name);
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(196)
        .collect();
    if clean.trim().is_empty() {
        clean = "document".into();
    }
    format!("{clean}.pdf")
}

/// Amounts are JSON numbers in the spec; entries carry cents, exact in a double.
fn number(d: Decimal) -> Value {
    json!(d.round_dp(2).to_f64().unwrap_or(0.0))
}

/// The entry's `number`, unique in the folder (Chift's idempotency field): a sales invoice or
/// credit note number is unique by law (CGI art. 242 nonies A); a supplier's number is not
/// (two suppliers both send "F-0001"), so a purchase gets its source id after it.
pub fn entry_number(entry: &LedgerEntry) -> String {
    let piece = entry.piece_ref.trim();
    if entry.source.kind.is_sales() && !piece.is_empty() {
        return piece.to_string();
    }
    let id: String = entry
        .source
        .source_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    match (piece.is_empty(), id.is_empty()) {
        (true, _) => entry.source.key(),
        (false, true) => piece.to_string(),
        (false, false) => format!("{piece}/{id}"),
    }
}

/// `GenericJournalEntry`: [`entry_number`] as `number`, the piece number (the invoice number) as
/// `reference`; drafts are sent unposted.
pub fn entry_body(
    entry: &LedgerEntry,
    journal_id: &str,
    items: &[Item],
    pdf: Option<&Attachment>,
) -> Value {
    let lines: Vec<Value> = entry
        .lines()
        .iter()
        .zip(items)
        .map(|(line, item)| {
            let mut v = json!({
                "account_type": item.account_type,
                "account": item.account,
                "description": line.label,
                "debit": number(line.debit),
                "credit": number(line.credit),
            });
            if let Some(t) = &item.tax_code {
                v["tax_code"] = json!(t);
            }
            v
        })
        .collect();
    let mut body = json!({
        "journal_id": journal_id,
        "number": entry_number(entry),
        "reference": entry.piece_ref,
        "currency": entry.currency,
        "date": entry.date.format("%Y-%m-%d").to_string(),
        "items": lines,
        "posted": !entry.draft,
    });
    if let Some(f) = pdf {
        body["pdf"] = json!(base64::engine::general_purpose::STANDARD.encode(&f.bytes));
        body["pdf_name"] = json!(pdf_name(&f.file_name));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_names_follow_the_spec_pattern() {
        assert_eq!(
            pdf_name("Facture F-2026/001 été.pdf"),
            "Facture F-2026_001 _t_.pdf"
        );
        assert_eq!(pdf_name(".pdf"), "document.pdf");
        assert_eq!(pdf_name(&"x".repeat(300)).len(), 200);
    }

    #[test]
    fn the_body_carries_the_piece_number_the_pdf_and_the_draft_state() {
        let cfg = domain::testkit::example_config();
        let mut aux = domain::auxcode::AuxCodes::new(cfg.auxiliary.length);
        let doc = domain::testkit::sellsy_example_invoice();
        let Ok(domain::mapping::Mapped::Entry(mut entry)) =
            domain::mapping::map_document(&doc, &cfg, &mut aux)
        else {
            panic!("the example invoice maps to an entry");
        };
        entry.draft = true;
        let items: Vec<Item> = entry
            .lines()
            .iter()
            .map(|l| Item {
                account_type: "general_account",
                account: l.account.clone(),
                tax_code: None,
            })
            .collect();
        let pdf = Attachment {
            file_name: "F1.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4".to_vec(),
            sha256: String::new(),
        };
        let body = entry_body(&entry, "j1", &items, Some(&pdf));
        assert_eq!(body["number"], json!(entry.piece_ref));
        assert_eq!(body["posted"], json!(false));
        assert_eq!(body["pdf"], json!("JVBERi0xLjQ="));
        let debit: f64 = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["debit"].as_f64().unwrap())
            .sum();
        let credit: f64 = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["credit"].as_f64().unwrap())
            .sum();
        assert!((debit - credit).abs() < 1e-9 && debit > 0.0);
    }
}
