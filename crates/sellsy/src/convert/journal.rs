//! Sales-journal lines (`AccountingJournal`) to domain journal lines.

use domain::{DocumentKind, Side, SourceJournalLine, SourceRef};

use super::outcome::{Notes, none_if_empty};
use crate::wire;

/// research §2.5: the spec example shows "€" where an ISO code is expected.
pub fn currency(c: Option<&str>) -> String {
    match c.map(str::trim) {
        None | Some("") | Some("€") => "EUR".into(),
        Some("$") => "USD".into(),
        Some("£") => "GBP".into(),
        Some(x) => x.to_uppercase(),
    }
}

/// The domain kind of a journal document type (`AccountingJournal.document.type`).
pub fn document_kind(sellsy_type: &str) -> Option<DocumentKind> {
    Some(match sellsy_type {
        "invoice" => DocumentKind::SalesInvoice,
        "creditnote" => DocumentKind::SalesCreditNote,
        "purInvoice" => DocumentKind::PurchaseInvoice,
        "purCreditNote" => DocumentKind::PurchaseCreditNote,
        _ => return None,
    })
}

/// One journal line of `document` (found by `wire::line_document`). `id` is the line's own id,
/// or a stand-in when Sellsy sent none. `Err(reason)` when the line cannot be booked as sent.
pub fn journal_line(
    l: &wire::JournalLine,
    id: String,
    document: SourceRef,
    document_number: Option<String>,
    notes: &mut Notes,
) -> Result<SourceJournalLine, String> {
    let date = l.date.ok_or("it has no date")?;
    let amount = l.amount.as_ref().ok_or("it has no amount")?;
    let side = match amount.direction.as_deref() {
        Some("debit") => Side::Debit,
        Some("credit") => Side::Credit,
        Some(other) => return Err(format!("its amount has an unknown direction {other:?}")),
        None => return Err("its amount has no direction (debit or credit)".into()),
    };
    let value = notes
        .dec(&format!("journal line {id} amount"), &amount.value)
        .ok_or("its amount has no value")?;
    let account = l
        .code
        .as_ref()
        .and_then(|c| none_if_empty(c.value.as_ref()))
        .ok_or("it names no account (code.value)")?;
    let party_name = l
        .companies
        .iter()
        .flatten()
        .chain(l.individuals.iter().flatten())
        .find_map(|t| t.name.clone());
    let doc = l.document.as_ref();
    Ok(SourceJournalLine {
        id,
        journal: l.journal_type.clone().unwrap_or_else(|| "SALES".into()),
        date,
        account,
        account_label: l.code.as_ref().and_then(|c| c.label.clone()),
        auxiliary_code: none_if_empty(l.auxiliary_code.as_ref()),
        label: l.label.clone().unwrap_or_default(),
        side,
        amount: value,
        document,
        document_number: doc
            .and_then(|d| d.number.clone())
            .or(document_number)
            .unwrap_or_default(),
        party_name,
        currency: currency(doc.and_then(|d| d.currency.as_deref())),
    })
}
