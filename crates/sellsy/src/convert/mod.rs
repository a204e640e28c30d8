//! Sellsy wire types to domain types. Money stays `Decimal`; ids become strings.

use std::collections::HashMap;

use app::ports::DocRefKind;
use domain::{
    DocumentKind, DocumentStatus, Nature, Party, PartyKind, PdfRef, Row, RowKind, Side,
    SourceDocument, SourceJournalLine, SourceRef, TaxTotal, Totals,
};
use rust_decimal::Decimal;

use crate::error::SellsyError;
use crate::wire;

/// Reference data that turns Sellsy ids into account numbers (research §2.5).
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// accounting code id -> number ("706000").
    pub codes: HashMap<u64, String>,
    /// tax id -> collected-VAT account number, for `vat_mode` debit and collection.
    pub vat_debit: HashMap<u64, String>,
    pub vat_collection: HashMap<u64, String>,
    /// tax id -> rate.
    pub tax_rates: HashMap<u64, Decimal>,
    pub charts: Option<wire::AccountingCharts>,
}

impl Refs {
    pub fn code(&self, id: Option<u64>) -> Option<String> {
        id.and_then(|i| self.codes.get(&i).cloned())
    }
}

fn decode(what: impl Into<String>, reason: impl Into<String>) -> SellsyError {
    SellsyError::Decode {
        what: what.into(),
        reason: reason.into(),
    }
}

pub fn status(s: &str) -> DocumentStatus {
    match s {
        "draft" => DocumentStatus::Draft,
        "cancelled" => DocumentStatus::Cancelled,
        // Invoice: due, payinprogress, paid, late. Credit note: stored, partialspend, spent.
        "due" | "payinprogress" | "paid" | "late" | "stored" | "partialspend" | "spent" => {
            DocumentStatus::Finalized
        }
        other => DocumentStatus::Other(other.to_string()),
    }
}

fn none_if_empty(s: Option<&String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

fn party(d: &wire::Document, what: &str) -> Result<Party, SellsyError> {
    let embed = d.embed.clone().unwrap_or_default();
    if let Some(c) = embed.company.value() {
        let lf = c.legal_france.clone().unwrap_or_default();
        return Ok(Party {
            kind: PartyKind::Company,
            name: c
                .name
                .clone()
                .or_else(|| d.company_name.clone())
                .unwrap_or_default(),
            source_id: c.id.to_string(),
            reference: none_if_empty(c.reference.as_ref()),
            auxiliary_code: none_if_empty(c.auxiliary_code.as_ref()),
            siren: none_if_empty(lf.siren.as_ref()),
            siret: none_if_empty(lf.siret.as_ref()),
            vat_number: none_if_empty(lf.vat.as_ref()),
        });
    }
    if let Some(i) = embed.individual.value() {
        let name = [i.first_name.as_deref(), i.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        return Ok(Party {
            kind: PartyKind::Individual,
            name: if name.is_empty() {
                d.company_name.clone().unwrap_or_default()
            } else {
                name
            },
            source_id: i.id.to_string(),
            reference: none_if_empty(i.reference.as_ref()),
            auxiliary_code: none_if_empty(i.auxiliary_code.as_ref()),
            siren: None,
            siret: None,
            vat_number: None,
        });
    }
    // Embeds come back null without the companies/individuals scope (research §1): fall back
    // on `related[]` and the document's own snapshot of the name.
    let rel = d
        .related
        .iter()
        .flatten()
        .find(|r| r.kind == "company" || r.kind == "individual")
        .ok_or_else(|| decode(what, "no company or individual in related[]"))?;
    tracing::warn!(
        document = what,
        "sellsy: customer embed missing (scope companies.read/individuals.read?)"
    );
    Ok(Party {
        kind: if rel.kind == "company" {
            PartyKind::Company
        } else {
            PartyKind::Individual
        },
        name: d.company_name.clone().unwrap_or_default(),
        source_id: rel.id.to_string(),
        reference: none_if_empty(d.company_reference.as_ref()),
        auxiliary_code: None,
        siren: None,
        siret: None,
        vat_number: None,
    })
}

fn row_kind(t: &str) -> Option<RowKind> {
    Some(match t {
        "single" | "progress-single" => RowKind::Single,
        "catalog" | "progress-catalog" => RowKind::Catalog,
        "shipping" | "progress-shipping" => RowKind::Shipping,
        "packaging" | "progress-packaging" => RowKind::Packaging,
        "deposit" => RowKind::Deposit,
        "comment" => RowKind::Comment,
        "title" => RowKind::Title,
        "sub-total" => RowKind::SubTotal,
        "break-line" | "break-page" => RowKind::Break,
        _ => return None,
    })
}

fn row(r: &wire::Row, refs: &Refs, what: &str) -> Result<Row, SellsyError> {
    let kind = match row_kind(&r.kind) {
        Some(k) => k,
        // A row type added after this code: refuse it if it carries money, never drop money.
        None if r.amount_tax_exc.is_some_and(|a| !a.is_zero()) => {
            return Err(decode(
                what,
                format!("unknown row type {:?} carrying an amount", r.kind),
            ));
        }
        None => RowKind::Comment,
    };
    let quantity = r.quantity.unwrap_or_default();
    let unit_price = r.unit_amount.unwrap_or_default();
    let discount = r
        .discount
        .as_ref()
        .and_then(|d| d.total)
        .unwrap_or_default();
    let amount_excl_tax = if kind.carries_money() {
        match r.amount_tax_exc {
            Some(a) => a,
            None => {
                return Err(decode(
                    what,
                    format!("row {:?} has no amount_tax_exc", r.id),
                ));
            }
        }
    } else {
        Decimal::ZERO
    };
    let tax_rate = r
        .tax_rate
        .or_else(|| r.tax_id.and_then(|t| refs.tax_rates.get(&t).copied()))
        .unwrap_or_default();
    let nature = match (kind, r.related.as_ref().and_then(|x| x.kind.as_deref())) {
        (RowKind::Catalog, Some("product")) => Some(Nature::Goods),
        (RowKind::Catalog, Some("service")) => Some(Nature::Services),
        _ => None,
    };
    Ok(Row {
        kind,
        description: r
            .description
            .clone()
            .or_else(|| r.text.clone())
            .unwrap_or_default(),
        reference: none_if_empty(r.reference.as_ref()),
        quantity,
        unit_price,
        discount_excl_tax: discount,
        amount_excl_tax,
        tax_rate,
        tax_amount: if kind.carries_money() {
            r.tax_amount.unwrap_or_default()
        } else {
            Decimal::ZERO
        },
        account: refs.code(r.accounting_code_id),
        nature,
        optional: r.is_optional.unwrap_or(false),
    })
}

/// A full document (`GET /invoices/{id}` or `/credit-notes/{id}`, with rows and the customer
/// embedded) as a domain document.
pub fn document(
    kind: DocRefKind,
    d: &wire::Document,
    refs: &Refs,
    linked_invoice: Option<String>,
    source: &str,
) -> Result<SourceDocument, SellsyError> {
    let what = format!(
        "{} {}",
        if kind == DocRefKind::Invoice {
            "invoice"
        } else {
            "credit note"
        },
        d.id
    );
    let number = d
        .number
        .clone()
        .ok_or_else(|| decode(&what, "number missing"))?;
    let st = d
        .status
        .as_deref()
        .ok_or_else(|| decode(&what, "status missing"))?;
    let date = d.date.ok_or_else(|| decode(&what, "date missing"))?;
    let amounts = d
        .amounts
        .clone()
        .ok_or_else(|| decode(&what, "amounts missing"))?;
    let excl = amounts
        .total_excl_tax
        .ok_or_else(|| decode(&what, "amounts.total_excl_tax missing"))?;
    let incl = amounts
        .total_incl_tax
        .ok_or_else(|| decode(&what, "amounts.total_incl_tax missing"))?;
    let rows = d
        .rows
        .as_ref()
        .ok_or_else(|| decode(&what, "rows missing (list item instead of GET one?)"))?
        .iter()
        .map(|r| row(r, refs, &what))
        .collect::<Result<Vec<_>, _>>()?;
    let taxes = d
        .taxes
        .iter()
        .flatten()
        .map(|t| {
            Ok(TaxTotal {
                rate: t
                    .rate
                    .ok_or_else(|| decode(&what, "taxes[].rate missing"))?,
                amount: t
                    .amount
                    .ok_or_else(|| decode(&what, "taxes[].amount missing"))?,
                label: t.label.clone(),
            })
        })
        .collect::<Result<Vec<_>, SellsyError>>()?;
    let discount = match (
        &d.discount,
        amounts.total_raw_excl_tax,
        amounts.total_after_discount_excl_tax,
    ) {
        (Some(dd), _, _) if dd.amount.is_some() => dd.amount.unwrap_or_default(),
        (_, Some(raw), Some(after)) => raw - after,
        _ => Decimal::ZERO,
    };
    let pdf = d.pdf_link.value().map(|l| PdfRef {
        location: l.clone(),
        sha256: None,
        size: None,
    });
    Ok(SourceDocument {
        source: SourceRef {
            source: source.to_string(),
            kind: if kind == DocRefKind::Invoice {
                DocumentKind::SalesInvoice
            } else {
                DocumentKind::SalesCreditNote
            },
            source_id: d.id.to_string(),
        },
        number,
        status: status(st),
        date,
        due_date: d.due_date,
        subject: d.subject.clone().unwrap_or_default(),
        currency: d.currency.clone().unwrap_or_else(|| "EUR".into()),
        party: party(d, &what)?,
        rows,
        taxes,
        discount_excl_tax: discount,
        totals: Totals {
            excl_tax: excl,
            incl_tax: incl,
        },
        default_nature: match d.sale_type.as_deref() {
            Some("product") => Some(Nature::Goods),
            Some("service") | Some("mixed") => Some(Nature::Services),
            _ => None,
        },
        pdf,
        linked_invoice,
    })
}

/// research §2.5: the spec example shows "€" where an ISO code is expected.
fn currency(c: Option<&str>) -> String {
    match c.map(str::trim) {
        None | Some("") | Some("€") => "EUR".into(),
        Some("$") => "USD".into(),
        Some("£") => "GBP".into(),
        Some(x) => x.to_uppercase(),
    }
}

pub fn journal_line(l: &wire::JournalLine, source: &str) -> Result<SourceJournalLine, SellsyError> {
    let what = format!("journal line {}", l.id);
    let doc = l
        .document
        .as_ref()
        .ok_or_else(|| decode(&what, "document missing"))?;
    let kind = match doc.kind.as_str() {
        "invoice" => DocumentKind::SalesInvoice,
        "creditnote" => DocumentKind::SalesCreditNote,
        "purInvoice" => DocumentKind::PurchaseInvoice,
        "purCreditNote" => DocumentKind::PurchaseCreditNote,
        other => return Err(decode(&what, format!("unknown document type {other:?}"))),
    };
    let side = match l.amount.direction.as_str() {
        "debit" => Side::Debit,
        "credit" => Side::Credit,
        other => return Err(decode(&what, format!("unknown direction {other:?}"))),
    };
    let party_name = l
        .companies
        .iter()
        .flatten()
        .chain(l.individuals.iter().flatten())
        .find_map(|t| t.name.clone());
    Ok(SourceJournalLine {
        id: l.id.to_string(),
        journal: l.journal_type.clone().unwrap_or_else(|| "SALES".into()),
        date: l.date,
        account: l.code.value.clone(),
        account_label: l.code.label.clone(),
        auxiliary_code: none_if_empty(l.auxiliary_code.as_ref()),
        label: l.label.clone().unwrap_or_default(),
        side,
        amount: l.amount.value,
        document: SourceRef {
            source: source.to_string(),
            kind,
            source_id: doc.id.to_string(),
        },
        document_number: doc.number.clone().unwrap_or_default(),
        party_name,
        currency: currency(doc.currency.as_deref()),
    })
}
