//! Invoices and credit notes (`GET /invoices/{id}`, `GET /credit-notes/{id}`, with rows and the
//! customer embedded) to domain documents.

use app::ports::DocRefKind;
use domain::{
    DocumentKind, DocumentStatus, Nature, Party, PartyKind, PdfRef, Row, RowKind, SourceDocument,
    SourceRef, TaxTotal, Totals,
};
use rust_decimal::Decimal;

use super::outcome::{FIX_ACCOUNT, Notes, Unusable, none_if_empty};
use super::refs::Refs;
use crate::wire;

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

/// The customer's id in `related[]` (`company` or `individual`), when there is exactly one.
fn related_id(d: &wire::Document, kind: &str) -> Option<i64> {
    let ids: Vec<i64> = d
        .related
        .iter()
        .flatten()
        .filter(|r| r.kind.as_deref() == Some(kind))
        .filter_map(|r| r.id)
        .collect();
    match ids.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn party(d: &wire::Document, notes: &mut Notes) -> Result<Party, Unusable> {
    let embed = d.embed.clone().unwrap_or_default();
    let no_id = |what: &str| {
        Unusable::new(format!(
            "the customer ({what}) has no Sellsy id, in the embed or in related[]"
        ))
    };
    if let Some(c) = embed.company.value() {
        let lf = c.legal_france.clone().unwrap_or_default();
        let id =
            c.id.or_else(|| related_id(d, "company"))
                .ok_or_else(|| no_id("company"))?;
        return Ok(Party {
            kind: PartyKind::Company,
            name: c
                .name
                .clone()
                .or_else(|| d.company_name.clone())
                .unwrap_or_default(),
            source_id: id.to_string(),
            reference: none_if_empty(c.reference.as_ref()),
            auxiliary_code: none_if_empty(c.auxiliary_code.as_ref()),
            siren: none_if_empty(lf.siren.as_ref()),
            siret: none_if_empty(lf.siret.as_ref()),
            vat_number: none_if_empty(lf.vat.as_ref()),
        });
    }
    if let Some(i) = embed.individual.value() {
        let id =
            i.id.or_else(|| related_id(d, "individual"))
                .ok_or_else(|| no_id("individual"))?;
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
            source_id: id.to_string(),
            reference: none_if_empty(i.reference.as_ref()),
            auxiliary_code: none_if_empty(i.auxiliary_code.as_ref()),
            siren: None,
            siret: None,
            vat_number: None,
        });
    }
    // Embeds come back null without the companies/individuals scope (spec "Embed objects"):
    // fall back on `related[]` and the document's own snapshot of the name.
    let (kind, id) = match (related_id(d, "company"), related_id(d, "individual")) {
        (Some(id), None) => (PartyKind::Company, id),
        (None, Some(id)) => (PartyKind::Individual, id),
        (Some(_), Some(_)) => {
            return Err(Unusable::new(
                "related[] names both a company and an individual, and the customer was not embedded",
            ));
        }
        (None, None) => {
            return Err(Unusable::new(
                "no customer: no company or individual in the embed or in related[]",
            ));
        }
    };
    notes.note("customer not embedded (scope companies.read or individuals.read missing?): its auxiliary code, SIREN and VAT number are unknown");
    Ok(Party {
        kind,
        name: d.company_name.clone().unwrap_or_default(),
        source_id: id.to_string(),
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

fn row(r: &wire::Row, n: usize, refs: &Refs, notes: &mut Notes) -> Result<Row, Unusable> {
    let at = format!("rows[{n}]");
    let amount = notes.dec(&format!("{at}.amount_tax_exc"), &r.amount_tax_exc);
    let kind = match r.kind.as_deref().and_then(row_kind) {
        Some(k) => k,
        // A row type added after this code (or none at all): refuse it if it carries money,
        // never drop money.
        None if amount.is_some_and(|a| !a.is_zero()) => {
            return Err(Unusable::new(format!(
                "{at} has an unknown type {:?} and carries an amount",
                r.kind.as_deref().unwrap_or("(none)")
            )));
        }
        None => RowKind::Comment,
    };
    let optional = r.is_optional.unwrap_or(false);
    let amount_excl_tax = match (kind.carries_money(), amount) {
        (false, _) => Decimal::ZERO,
        (true, Some(a)) => a,
        // An optional row is left out of the totals: its amount is not needed.
        (true, None) if optional => Decimal::ZERO,
        (true, None) => {
            return Err(Unusable::new(format!(
                "{at} ({}) has no amount excluding tax (amount_tax_exc)",
                r.kind.as_deref().unwrap_or("?")
            )));
        }
    };
    let account = match (kind.carries_money(), optional) {
        (false, _) => None,
        // Left out of the totals: an account that cannot be resolved costs nothing.
        (true, true) => refs.account(r.accounting_code_id).ok().flatten(),
        (true, false) => refs
            .account(r.accounting_code_id)
            .map_err(|reason| Unusable {
                reason: format!("{at}: {reason}"),
                action: FIX_ACCOUNT.into(),
            })?,
    };
    let quantity = notes.dec(&format!("{at}.quantity"), &r.quantity);
    let unit_price = notes.dec(&format!("{at}.unit_amount"), &r.unit_amount);
    let discount = r
        .discount
        .as_ref()
        .and_then(|d| notes.dec(&format!("{at}.discount.total"), &d.total));
    let tax_rate = notes
        .dec(&format!("{at}.tax_rate"), &r.tax_rate)
        .or_else(|| r.tax_id.and_then(|t| refs.tax_rates.get(&t).copied()))
        .unwrap_or_default();
    let tax_amount = notes.dec(&format!("{at}.tax_amount"), &r.tax_amount);
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
        quantity: quantity.unwrap_or_default(),
        unit_price: unit_price.unwrap_or_default(),
        discount_excl_tax: discount.unwrap_or_default(),
        amount_excl_tax,
        tax_rate,
        tax_amount: if kind.carries_money() {
            tax_amount.unwrap_or_default()
        } else {
            Decimal::ZERO
        },
        account,
        nature,
        optional,
    })
}

fn missing(what: &str) -> Unusable {
    Unusable::new(format!("Sellsy sent it without {what}"))
}

/// A full document (`GET /invoices/{id}` or `/credit-notes/{id}`, with rows and the customer
/// embedded) as a domain document. `id` is the id it was read by.
pub fn document(
    kind: DocRefKind,
    id: u64,
    d: &wire::Document,
    refs: &Refs,
    linked_invoice: Option<String>,
    source: &str,
    notes: &mut Notes,
) -> Result<SourceDocument, Unusable> {
    let number = d
        .number
        .clone()
        .ok_or_else(|| missing("a document number"))?;
    let st = d.status.as_deref().ok_or_else(|| missing("a status"))?;
    let date = d.date.ok_or_else(|| missing("a date"))?;
    let amounts = d.amounts.clone().ok_or_else(|| missing("its amounts"))?;
    let excl = notes
        .dec("amounts.total_excl_tax", &amounts.total_excl_tax)
        .ok_or_else(|| missing("its total excluding tax (amounts.total_excl_tax)"))?;
    let incl = notes
        .dec("amounts.total_incl_tax", &amounts.total_incl_tax)
        .ok_or_else(|| missing("its total including tax (amounts.total_incl_tax)"))?;
    let rows = d
        .rows
        .as_ref()
        .ok_or_else(|| missing("its rows"))?
        .iter()
        .enumerate()
        .map(|(n, r)| row(r, n, refs, notes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut taxes = Vec::new();
    for (n, t) in d.taxes.iter().flatten().enumerate() {
        let rate = notes.dec(&format!("taxes[{n}].rate"), &t.rate);
        let amount = notes.dec(&format!("taxes[{n}].amount"), &t.amount);
        match (rate, amount) {
            (Some(rate), Some(amount)) => taxes.push(TaxTotal {
                rate,
                amount,
                label: t.label.clone(),
            }),
            // Nothing to book for this rate either way.
            (_, Some(a)) if a.is_zero() => {}
            (None, _) => return Err(missing(&format!("the rate of its VAT total taxes[{n}]"))),
            (Some(_), None) => {
                return Err(missing(&format!("the amount of its VAT total taxes[{n}]")));
            }
        }
    }
    let raw = notes.dec("amounts.total_raw_excl_tax", &amounts.total_raw_excl_tax);
    let after = notes.dec(
        "amounts.total_after_discount_excl_tax",
        &amounts.total_after_discount_excl_tax,
    );
    let doc_discount = d
        .discount
        .as_ref()
        .and_then(|dd| notes.dec("discount.amount", &dd.amount));
    let discount = match (doc_discount, raw, after) {
        (Some(a), _, _) => a,
        (None, Some(raw), Some(after)) => raw - after,
        _ => Decimal::ZERO,
    };
    let pdf = d.pdf_link.value().map(|l| PdfRef {
        location: l.clone(),
        sha256: None,
        size: None,
    });
    let currency = match d.currency.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => super::journal::currency(Some(c)),
        _ => {
            notes.note("no currency given: taken as EUR");
            "EUR".into()
        }
    };
    Ok(SourceDocument {
        source: SourceRef {
            source: source.to_string(),
            kind: match kind {
                DocRefKind::Invoice => DocumentKind::SalesInvoice,
                DocRefKind::CreditNote => DocumentKind::SalesCreditNote,
                DocRefKind::PurchaseInvoice => DocumentKind::PurchaseInvoice,
                DocRefKind::PurchaseCreditNote => DocumentKind::PurchaseCreditNote,
            },
            source_id: id.to_string(),
        },
        number,
        status: status(st),
        date,
        due_date: d.due_date,
        subject: d.subject.clone().unwrap_or_default(),
        currency,
        party: party(d, notes)?,
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
        self_assessed_vat: Vec::new(),
    })
}
