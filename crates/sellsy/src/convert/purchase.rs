//! Purchase invoices and supplier credit notes from Sellsy's purchases journal
//! (`POST /accounting-journal/purchases/search`): API v2.264.0 has no purchase-document
//! resource (research §2.6), and its incoming-documents intake (`Ocr`) carries only the
//! supplier's name and the total excluding tax. The journal lines of one document are the only
//! complete v2 record of it: the supplier's line (401…, its auxiliary code) is the total
//! including tax, the expense lines carry Sellsy's accounts, the deductible-VAT lines (4456…)
//! the VAT, which Sellsy's taxes (`GET /taxes/accounting-codes`) turn into rates.
//!
//! [`purchase_document`] rebuilds the document from them, so that mode `documents` books it with
//! the dossier's own rules (collective account and auxiliary code of the supplier, VAT accounts
//! per rate from `vat.purchases`, rounding, labels) and both modes apply the same checks (scope,
//! exclusion words, file rule).

use domain::{
    DocumentKind, DocumentStatus, Party, PartyKind, PdfRef, Row, RowKind, Side, SourceDocument,
    SourceJournalLine, SourceRef, TaxTotal, Totals,
};
use rust_decimal::Decimal;
use serde_json::Value;

use super::outcome::{Notes, Unusable, none_if_empty};
use super::refs::Refs;
use crate::wire;

/// The action for a purchase whose journal lines cannot be rebuilt as a document.
pub const FIX_PURCHASE: &str = "open the purchase in Sellsy (Purchases > Invoices) and check its supplier, amounts and VAT; passerelle reads it again at every sync. To book it as Sellsy's journal has it, set mode = \"journal\"";

/// VAT rates of France (CGI art. 278 to 281 nonies, 296, 297), tried when a deductible-VAT
/// account is shared by several of Sellsy's taxes.
const FRENCH_RATES: &[&str] = &["20", "10", "8.5", "5.5", "2.1", "13", "0.9", "1.05", "1.75"];

/// What a purchase's lines say about it beyond amounts: its subject, its file and its supplier.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PurchaseHead {
    pub subject: Option<String>,
    /// `document.public_link`: the document's file as Sellsy stores it, when it gives one.
    pub link: Option<String>,
    pub party_kind: Option<PartyKind>,
    pub party_id: Option<i64>,
    pub party_name: Option<String>,
    pub party_reference: Option<String>,
}

impl PurchaseHead {
    /// Reads a raw journal line; fields already known stay (the first line that tells wins).
    pub fn read(&mut self, l: &wire::JournalLine, raw: &Value) {
        if let Some(d) = &l.document {
            self.subject = self
                .subject
                .take()
                .or_else(|| none_if_empty(d.subject.as_ref()));
            self.link = self
                .link
                .take()
                .or_else(|| none_if_empty(d.public_link.as_ref()));
        }
        let third = |list: &Option<Vec<wire::JournalThird>>, kind| {
            list.iter()
                .flatten()
                .find(|t| t.id.is_some() || t.name.is_some())
                .map(|t| (kind, t.clone()))
        };
        if self.party_kind.is_none()
            && let Some((kind, t)) = third(&l.companies, PartyKind::Company)
                .or_else(|| third(&l.individuals, PartyKind::Individual))
        {
            self.party_kind = Some(kind);
            self.party_id = t.id;
            self.party_name = none_if_empty(t.name.as_ref());
            self.party_reference = none_if_empty(t.reference.as_ref());
        }
        if self.party_id.is_none() {
            // related[]: {type: company|individual, id}.
            for r in raw
                .get("related")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let kind = match r.get("type").and_then(Value::as_str) {
                    Some("company") => PartyKind::Company,
                    Some("individual") => PartyKind::Individual,
                    _ => continue,
                };
                if let Some(id) = r
                    .get("id")
                    .and_then(|v| wire::lenient::de_int(v).ok().flatten())
                {
                    self.party_kind = Some(kind);
                    self.party_id = Some(id);
                    break;
                }
            }
        }
    }
}

/// A line's amount with the sign of an expense: positive on the debit side of an invoice (the
/// credit side of a supplier credit note, which mirrors it).
fn expense_sign(line: &SourceJournalLine, credit_note: bool) -> Decimal {
    match (line.side, credit_note) {
        (Side::Debit, false) | (Side::Credit, true) => line.amount,
        _ => -line.amount,
    }
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// The rate of a deductible-VAT line: the one tax Sellsy books on its account, else (one VAT
/// line on an account shared by several rates) the rate whose VAT on the expenses gives the
/// line's amount to the cent. `None` when neither tells.
fn vat_rate(
    account: &str,
    amount: Decimal,
    base: Decimal,
    vat_lines: usize,
    refs: &Refs,
) -> Option<Decimal> {
    let known = refs.deductible_rates.get(account.trim());
    if let Some([one]) = known.map(Vec::as_slice) {
        return Some(*one);
    }
    if vat_lines != 1 || base.is_zero() {
        return None;
    }
    let mut candidates: Vec<Decimal> = match known {
        Some(rates) if !rates.is_empty() => rates.clone(),
        _ => {
            let mut all: Vec<Decimal> = refs.tax_rates.values().map(|r| r.normalize()).collect();
            all.extend(
                FRENCH_RATES
                    .iter()
                    .filter_map(|r| r.parse::<Decimal>().ok()),
            );
            all
        }
    };
    candidates.retain(|r| !r.is_zero());
    candidates.sort();
    candidates.dedup();
    let gap = |r: &Decimal| (cents(base * *r / Decimal::ONE_HUNDRED) - amount).abs();
    let fits: Vec<Decimal> = candidates
        .into_iter()
        .filter(|r| gap(r) <= Decimal::new(1, 2))
        .collect();
    match fits.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// The document's VAT per rate from its deductible-VAT lines (see [`vat_rate`]).
fn taxes_of(
    vat_lines: &[(String, Decimal)],
    excl: Decimal,
    refs: &Refs,
    strict: bool,
    notes: &mut Notes,
) -> Result<Vec<TaxTotal>, Unusable> {
    let mut taxes: Vec<TaxTotal> = Vec::new();
    let count = vat_lines.iter().filter(|(_, a)| !a.is_zero()).count();
    for (account, amount) in vat_lines.iter().filter(|(_, a)| !a.is_zero()) {
        match vat_rate(account, *amount, excl, count, refs) {
            Some(rate) => match taxes.iter_mut().find(|t| t.rate == rate) {
                Some(t) => t.amount += *amount,
                None => taxes.push(TaxTotal {
                    rate,
                    amount: *amount,
                    label: None,
                }),
            },
            None if strict => {
                return Err(Unusable {
                    reason: format!(
                    "the VAT rate of its deductible-VAT line on account {account} ({amount}) cannot be known: Sellsy books several taxes on that account (GET /taxes/accounting-codes) and the amounts do not tell which"
                    ),
                    action: FIX_PURCHASE.into(),
                });
            }
            None => notes.note(format!(
                "the VAT rate of its line on account {account} is unknown; the journal's lines are booked as they are"
            )),
        }
    }
    Ok(taxes)
}

/// Rebuilds a purchase invoice or supplier credit note from its purchases-journal lines.
/// `strict` (mode `documents`): a VAT line whose rate cannot be known refuses the document;
/// in mode `journal` the lines are booked as they are and the rates are only informative.
/// `ocr`: Sellsy's intake of the supplier's file, when there is one.
#[allow(clippy::too_many_arguments)]
pub fn purchase_document(
    source: SourceRef,
    number: Option<String>,
    head: &PurchaseHead,
    lines: &[SourceJournalLine],
    refs: &Refs,
    strict: bool,
    ocr: Option<&wire::Ocr>,
    notes: &mut Notes,
) -> Result<SourceDocument, Unusable> {
    let unusable = |reason: String| Unusable {
        reason,
        action: FIX_PURCHASE.into(),
    };
    let first = lines
        .first()
        .ok_or_else(|| unusable("it has no purchases-journal line".into()))?;
    let number = number
        .or_else(|| none_if_empty(Some(&first.document_number)))
        .ok_or_else(|| unusable("Sellsy sent it without a document number".into()))?;
    let credit_note = source.kind == DocumentKind::PurchaseCreditNote;
    let mut total = Decimal::ZERO;
    let mut aux = None;
    let mut rows = Vec::new();
    let mut vat_lines: Vec<(String, Decimal)> = Vec::new();
    for line in lines {
        let account = line.account.trim();
        let signed = expense_sign(line, credit_note);
        if account.starts_with("40") {
            total -= signed;
            aux = aux.or_else(|| line.auxiliary_code.clone());
        } else if account.starts_with("4456") {
            vat_lines.push((account.to_string(), signed));
        } else if account.starts_with('4') {
            return Err(unusable(format!(
                "its line {} on account {account} ({}) is neither the supplier's, nor an expense, nor deductible VAT (reverse-charge VAT?): mode \"documents\" cannot rebuild it",
                line.id, line.label
            )));
        } else {
            // The account's name says what was bought; the journal's label only repeats the
            // document's number and supplier.
            let description = line
                .account_label
                .as_ref()
                .and_then(|l| none_if_empty(Some(l)))
                .unwrap_or_else(|| line.label.clone());
            rows.push(Row {
                kind: RowKind::Single,
                description,
                reference: None,
                quantity: Decimal::ONE,
                unit_price: signed,
                discount_excl_tax: Decimal::ZERO,
                amount_excl_tax: signed,
                tax_rate: Decimal::ZERO,
                tax_amount: Decimal::ZERO,
                account: Some(account.to_string()),
                nature: None,
                optional: false,
            });
        }
    }
    if !lines.iter().any(|l| l.account.trim().starts_with("40")) {
        return Err(unusable(
            "its purchases-journal lines have no supplier line (account 401…)".into(),
        ));
    }
    let excl: Decimal = rows.iter().map(|r| r.amount_excl_tax).sum();
    let vat: Decimal = vat_lines.iter().map(|(_, a)| *a).sum();
    if cents(excl + vat) != cents(total) {
        return Err(unusable(format!(
            "its purchases-journal lines do not balance: supplier {total}, expenses {excl}, VAT {vat}"
        )));
    }
    let taxes = taxes_of(&vat_lines, excl, refs, strict, notes)?;
    if let [one] = taxes.as_slice() {
        for r in &mut rows {
            r.tax_rate = one.rate;
        }
    }
    if let Some(o) = ocr {
        let read = notes.dec("ocr total_excl_tax", &o.total_excl_tax);
        if let Some(read) = read.filter(|r| cents(*r) != cents(excl)) {
            notes.note(format!(
                "Sellsy's intake of the supplier's file read {read} excluding tax; the validated purchase says {excl}: the validated figures are booked"
            ));
        }
    }
    let name = head
        .party_name
        .clone()
        .or_else(|| first.party_name.clone())
        .or_else(|| ocr.and_then(|o| none_if_empty(o.supplier.as_ref())))
        .unwrap_or_default();
    let party = Party {
        kind: head.party_kind.unwrap_or(PartyKind::Company),
        source_id: match head.party_id {
            Some(id) => id.to_string(),
            None if !name.trim().is_empty() => format!("name:{}", name.trim().to_lowercase()),
            None => {
                return Err(unusable(
                    "no supplier: its lines name no company or individual".into(),
                ));
            }
        },
        name,
        reference: head.party_reference.clone(),
        auxiliary_code: aux.as_ref().and_then(|a| none_if_empty(Some(a))),
        siren: None,
        siret: None,
        vat_number: None,
    };
    let date = lines.iter().map(|l| l.date).min().unwrap_or(first.date);
    Ok(SourceDocument {
        source,
        number,
        status: DocumentStatus::Finalized,
        date,
        due_date: None,
        subject: head.subject.clone().unwrap_or_default(),
        currency: first.currency.clone(),
        party,
        rows,
        taxes,
        discount_excl_tax: Decimal::ZERO,
        totals: Totals {
            excl_tax: excl,
            incl_tax: total,
        },
        default_nature: None,
        pdf: head.link.as_ref().map(|l| PdfRef {
            location: l.clone(),
            sha256: None,
            size: None,
        }),
        linked_invoice: None,
        self_assessed_vat: Vec::new(),
    })
}
