//! From a checked e-invoice to a [`domain::SourceDocument`] for the dossier's side of it: a
//! purchase when the dossier is the buyer (mail to `achat.*`), a sale when it is the seller
//! (`vente.*`). `domain::mapping::map_document` then books it: rows from the lines (or, for the
//! header-only profiles, from the VAT breakdown), VAT per rate from the breakdown, credit notes
//! reversed. Also: the key that tells the same invoice received twice, and whether the
//! invoice belongs to the dossier.

use chrono::NaiveDate;
use domain::chart::{RowSide, row_account_problem};
use domain::config::EInvoiceSettings;
use domain::money::round_cents;
use domain::{
    DocumentKind, DocumentStatus, Party, PartyKind, Row, RowKind, SourceDocument, SourceRef,
    TaxTotal, Totals,
};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::model::{BOOKED_INVOICE_CODES, Invoice, TradeParty, is_credit_note_code};

/// `SourceRef::source` of documents read from e-invoices.
pub const SOURCE: &str = "einvoice";

/// The dossier's side of the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The dossier is the buyer (`achat.*`): a purchase invoice or supplier credit note.
    Purchase,
    /// The dossier is the seller (`vente.*`): a sales invoice or credit note.
    Sales,
}

/// What mapping may rely on besides the invoice.
#[derive(Debug, Clone, Default)]
pub struct MapOptions {
    /// VAT rates a MINIMUM invoice (which has no VAT breakdown) may be at: the dossier's
    /// configured rates (`vat.purchases` or `vat.sales` keys). Its single rate is used only
    /// when exactly one of them gives the stated VAT to the cent.
    pub known_rates: Vec<Decimal>,
    /// `[dossier.einvoice.suppliers]`: the expense account of a seller (by SIREN, else VAT
    /// id) for purchase lines that name no valid expense account of their own.
    pub suppliers: EInvoiceSettings,
}

/// A source document, and what a person should know about how it was built.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedInvoice {
    pub document: SourceDocument,
    /// Facts for the integration log (an inferred rate, a reverse charge to self-assess...).
    pub notes: Vec<String>,
}

/// Why an invoice that passed [`crate::check`] still cannot become a source document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MapError {
    #[error("the invoice has no {0}")]
    Missing(&'static str),
    #[error("document type {0} is neither an invoice nor a credit note booked automatically")]
    TypeNotBooked(String),
    #[error(
        "the MINIMUM profile has no VAT breakdown and no single known rate gives the VAT of {vat} on {basis}"
    )]
    NoVatBreakdown { basis: String, vat: String },
}

impl MapError {
    pub fn action(&self) -> &'static str {
        match self {
            MapError::Missing(_) => "ask the supplier to re-issue the invoice",
            MapError::TypeNotBooked(_) => "book this document by hand if it must be booked",
            MapError::NoVatBreakdown { .. } => {
                "book it by hand from its PDF, or ask the supplier for a BASIC WL or richer Factur-X profile"
            }
        }
    }
}

/// Builds the source document for the dossier's side. Call it on an invoice [`crate::check`]
/// found nothing wrong with.
pub fn to_source_document(
    inv: &Invoice,
    side: Side,
    options: &MapOptions,
) -> Result<MappedInvoice, MapError> {
    let number = inv
        .number
        .clone()
        .ok_or(MapError::Missing("number (BT-1)"))?;
    let date = inv
        .issue_date
        .ok_or(MapError::Missing("issue date (BT-2)"))?;
    let currency = inv
        .currency
        .clone()
        .ok_or(MapError::Missing("currency (BT-5)"))?;
    let excl_tax = inv
        .totals
        .tax_basis_total
        .ok_or(MapError::Missing("total without VAT (BT-109)"))?;
    let incl_tax = inv
        .totals
        .grand_total
        .ok_or(MapError::Missing("total with VAT (BT-112)"))?;
    let credit = match inv.type_code.as_deref() {
        Some(code) if is_credit_note_code(code) => true,
        Some(code) if BOOKED_INVOICE_CODES.contains(&code) => false,
        Some(code) => return Err(MapError::TypeNotBooked(code.to_string())),
        None => inv.ubl_credit_note,
    };
    let kind = match (side, credit) {
        (Side::Purchase, false) => DocumentKind::PurchaseInvoice,
        (Side::Purchase, true) => DocumentKind::PurchaseCreditNote,
        (Side::Sales, false) => DocumentKind::SalesInvoice,
        (Side::Sales, true) => DocumentKind::SalesCreditNote,
    };
    let mut notes: Vec<String> = crate::model::obsolete_id_note(inv).into_iter().collect();
    crate::lines::line_notes(inv, &mut notes);
    let counterparty = match side {
        Side::Purchase => &inv.seller,
        Side::Sales => &inv.buyer,
    };
    let (mut rows, taxes, discount) = if inv.profile.has_lines() && !inv.lines.is_empty() {
        let (rows, discount) = rows_from_lines(inv, side, &mut notes);
        (rows, breakdown_taxes(inv), discount)
    } else if !inv.vat_breakdown.is_empty() {
        (
            rows_from_breakdown(inv, side, &mut notes),
            breakdown_taxes(inv),
            Decimal::ZERO,
        )
    } else {
        let (row, tax) = minimum_row(inv, side, options, &mut notes)?;
        (vec![row], vec![tax], Decimal::ZERO)
    };
    let self_assessed_vat = match side {
        Side::Purchase => crate::self_assessed::self_assessed(inv, &mut notes),
        Side::Sales => Vec::new(),
    };
    if side == Side::Purchase {
        supplier_account(&mut rows, &inv.seller, &options.suppliers, &mut notes);
    }
    let key = duplicate_key(inv);
    let document = SourceDocument {
        source: SourceRef {
            source: SOURCE.into(),
            kind,
            source_id: key.digest(),
        },
        number,
        status: DocumentStatus::Finalized,
        date,
        due_date: inv.due_date,
        subject: String::new(),
        currency,
        party: party(counterparty),
        rows,
        taxes,
        discount_excl_tax: discount,
        totals: Totals { excl_tax, incl_tax },
        default_nature: None,
        pdf: None,
        linked_invoice: inv.preceding_invoice.clone(),
        self_assessed_vat,
    };
    Ok(MappedInvoice { document, notes })
}

fn row(description: String, amount: Decimal, rate: Decimal, account: Option<String>) -> Row {
    Row {
        kind: RowKind::Single,
        description,
        reference: None,
        quantity: Decimal::ONE,
        unit_price: amount,
        discount_excl_tax: Decimal::ZERO,
        amount_excl_tax: amount,
        tax_rate: rate,
        tax_amount: round_cents(amount * rate / Decimal::ONE_HUNDRED),
        account,
        nature: None,
        optional: false,
    }
}

/// Precedence of a purchase row's account: the buyer's accounting reference (BT-133 on the
/// line, else BT-19) when it is a valid expense account ([`expense_account`]), else the
/// seller's account in `[dossier.einvoice.suppliers]` (set here), else `accounts.purchases`
/// (the row keeps no account and `domain::mapping` uses the dossier's).
fn supplier_account(
    rows: &mut [Row],
    seller: &TradeParty,
    suppliers: &EInvoiceSettings,
    notes: &mut Vec<String>,
) {
    let (siren, vat) = (seller.siren(), seller.vat_normalized());
    let Some(account) = suppliers.supplier_account(siren.as_deref(), vat.as_deref()) else {
        return;
    };
    let mut used = false;
    for row in rows.iter_mut().filter(|r| r.account.is_none()) {
        row.account = Some(account.to_string());
        used = true;
    }
    if used {
        let id = siren.or(vat).unwrap_or_default();
        notes.push(format!(
            "lines without an expense account of their own booked on {account}, the account of supplier {id} in [dossier.einvoice.suppliers]"
        ));
    }
}

/// The buyer's accounting reference (BT-133 on the line, else BT-19) as an expense account:
/// only on purchases, and only when it is an account number a purchase row may use (class 6
/// expense or class 2 fixed asset of the PCG, digits only), not a cost centre or a project code.
fn expense_account(
    line_ref: Option<&str>,
    inv: &Invoice,
    side: Side,
    notes: &mut Vec<String>,
) -> Option<String> {
    if side != Side::Purchase {
        return None;
    }
    let candidate = line_ref.or(inv.buyer_accounting_ref.as_deref())?.trim();
    // Digits only (a cost centre or project code is not an account), and an account a purchase
    // row may be booked on by the PCG (the same rule as Sellsy rows: `domain::chart`).
    let problem =
        if (3..=15).contains(&candidate.len()) && candidate.bytes().all(|b| b.is_ascii_digit()) {
            row_account_problem(candidate, RowSide::Purchases)
        } else {
            Some(format!("'{candidate}' is not an account number"))
        };
    if problem.is_none() {
        Some(candidate.to_string())
    } else {
        let note = format!(
            "buyer accounting reference '{candidate}' is not an expense account number ({}); the supplier's account in [dossier.einvoice.suppliers], else the dossier's purchase account, is used",
            problem.unwrap_or_default()
        );
        if !notes.contains(&note) {
            notes.push(note);
        }
        None
    }
}

fn rows_from_lines(inv: &Invoice, side: Side, notes: &mut Vec<String>) -> (Vec<Row>, Decimal) {
    let mut rows: Vec<Row> = inv
        .counted_lines()
        .filter_map(|l| {
            let amount = l.net_amount?;
            let description = l
                .name
                .clone()
                .or_else(|| l.id.as_ref().map(|id| format!("Ligne {id}")))
                .unwrap_or_else(|| "Ligne".into());
            let account = expense_account(l.accounting_ref.as_deref(), inv, side, notes);
            let mut r = row(description, amount, l.rate.unwrap_or_default(), account);
            r.reference = l.id.clone();
            if let Some(q) = l.quantity {
                r.quantity = q;
            }
            if let Some(p) = l.net_price {
                r.unit_price = p;
            }
            Some(r)
        })
        .collect();
    let mut discount = Decimal::ZERO;
    for a in &inv.allowances_charges {
        let amount = a.amount.unwrap_or_default();
        let reason = a.reason.clone().unwrap_or_default();
        let rate = a.rate.unwrap_or_default();
        let account = expense_account(None, inv, side, notes);
        if a.charge {
            rows.push(row(
                format!("Frais {reason}").trim().to_string(),
                amount,
                rate,
                account,
            ));
        } else if side == Side::Sales {
            // Sales show allowances on 709x (domain spreads them over natures).
            discount += amount;
        } else {
            // Purchases book net amounts: the allowance reduces the expense at its rate.
            rows.push(row(
                format!("Remise {reason}").trim().to_string(),
                -amount,
                rate,
                account,
            ));
        }
    }
    // Totals stated without their allowances or charges (ZUGFeRD 1.0 BASIC): the remainder
    // is booked at the main rate, so that the rows add up to BT-109 as BR-CO-13 checked.
    let detailed = |charge: bool| -> Decimal {
        inv.allowances_charges
            .iter()
            .filter(|a| a.charge == charge)
            .filter_map(|a| a.amount)
            .sum()
    };
    let main_rate = inv
        .vat_breakdown
        .iter()
        .max_by_key(|b| b.basis.unwrap_or_default().abs())
        .and_then(|b| b.rate)
        .unwrap_or_default();
    let account = expense_account(None, inv, side, notes);
    let undetailed_charges = inv.totals.charge_total.unwrap_or_default() - detailed(true);
    if !undetailed_charges.is_zero() {
        rows.push(row(
            "Frais".into(),
            undetailed_charges,
            main_rate,
            account.clone(),
        ));
    }
    let undetailed_allowances = inv.totals.allowance_total.unwrap_or_default() - detailed(false);
    if !undetailed_allowances.is_zero() {
        if side == Side::Sales {
            discount += undetailed_allowances;
        } else {
            rows.push(row(
                "Remise".into(),
                -undetailed_allowances,
                main_rate,
                account,
            ));
        }
    }
    (rows, discount)
}

/// Header-only profiles: one row per VAT breakdown row (its basis already holds the
/// document-level allowances and charges).
fn rows_from_breakdown(inv: &Invoice, side: Side, notes: &mut Vec<String>) -> Vec<Row> {
    inv.vat_breakdown
        .iter()
        .map(|b| {
            let rate = b.rate.unwrap_or_default();
            let account = expense_account(None, inv, side, notes);
            row(
                format!("Base TVA {} %", rate.normalize()).replace('.', ","),
                b.basis.unwrap_or_default(),
                rate,
                account,
            )
        })
        .collect()
}

fn breakdown_taxes(inv: &Invoice) -> Vec<TaxTotal> {
    inv.vat_breakdown
        .iter()
        .map(|b| TaxTotal {
            rate: b.rate.unwrap_or_default(),
            amount: b.amount.unwrap_or_default(),
            label: None,
        })
        .collect()
}

/// MINIMUM: no breakdown; the rate is the one known rate that gives the stated VAT.
fn minimum_row(
    inv: &Invoice,
    side: Side,
    options: &MapOptions,
    notes: &mut Vec<String>,
) -> Result<(Row, TaxTotal), MapError> {
    let basis = inv.totals.tax_basis_total.unwrap_or_default();
    let vat = inv.totals.vat_total.unwrap_or_default();
    let rate = if vat.is_zero() {
        Decimal::ZERO
    } else {
        let mut fitting = options
            .known_rates
            .iter()
            .filter(|r| round_cents(basis * **r / Decimal::ONE_HUNDRED) == round_cents(vat));
        match (fitting.next(), fitting.next()) {
            (Some(r), None) => *r,
            _ => {
                return Err(MapError::NoVatBreakdown {
                    basis: basis.normalize().to_string(),
                    vat: vat.normalize().to_string(),
                });
            }
        }
    };
    notes.push(format!(
        "MINIMUM profile without VAT breakdown: VAT rate {} % inferred from the totals",
        rate.normalize()
    ));
    let account = expense_account(None, inv, side, notes);
    let description = format!("Base TVA {} %", rate.normalize()).replace('.', ",");
    Ok((
        row(description, basis, rate, account),
        TaxTotal {
            rate,
            amount: vat,
            label: None,
        },
    ))
}

fn party(p: &TradeParty) -> Party {
    let name = p
        .name
        .clone()
        .or_else(|| p.trading_name.clone())
        .unwrap_or_default();
    Party {
        kind: PartyKind::Company,
        source_id: party_id(p),
        name,
        reference: p
            .ids
            .iter()
            .find(|i| i.scheme.is_none())
            .map(|i| i.value.clone()),
        auxiliary_code: None,
        siren: p.siren(),
        siret: p.siret(),
        vat_number: p.vat_normalized(),
    }
}

/// The most stable identifier of a party: SIREN, else VAT number, else a schemed id, else the
/// name. Two invoices of the same company get the same id (and so the same auxiliary code).
pub fn party_id(p: &TradeParty) -> String {
    if let Some(siren) = p.siren() {
        return format!("siren:{siren}");
    }
    if let Some(vat) = p.vat_normalized() {
        return format!("vat:{vat}");
    }
    if let Some(id) = p
        .legal_ids
        .iter()
        .chain(&p.ids)
        .find(|i| i.scheme.is_some())
    {
        return format!(
            "id:{}:{}",
            id.scheme.as_deref().unwrap_or_default(),
            id.value.trim()
        );
    }
    let name = p
        .name
        .clone()
        .or_else(|| p.trading_name.clone())
        .unwrap_or_default();
    format!(
        "name:{}",
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    )
}

/// What tells the same invoice received twice (its PDF and its XML, two mails, the mail and
/// another channel): seller, number, issue date and total with VAT (issue 19).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DuplicateKey {
    /// [`party_id`] of the seller.
    pub seller: String,
    /// BT-1, white space folded, upper-case.
    pub number: String,
    pub issue_date: Option<NaiveDate>,
    /// BT-112 to the cent.
    pub grand_total: Option<Decimal>,
}

impl DuplicateKey {
    /// `siren:123456782|F20220023|2022-01-31|104.90`.
    pub fn canonical(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.seller,
            self.number,
            self.issue_date.map(|d| d.to_string()).unwrap_or_default(),
            self.grand_total
                .map(domain::money::format_dot)
                .unwrap_or_default()
        )
    }

    /// The first 32 hex digits of the canonical form's SHA-256: the document's source id.
    pub fn digest(&self) -> String {
        let hash = Sha256::digest(self.canonical().as_bytes());
        hex::encode(&hash[..16])
    }
}

pub fn duplicate_key(inv: &Invoice) -> DuplicateKey {
    DuplicateKey {
        seller: party_id(&inv.seller),
        number: inv
            .number
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase(),
        issue_date: inv.issue_date,
        grand_total: inv.totals.grand_total.map(round_cents),
    }
}

/// Whether a party is the company of a given SIREN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyMatch {
    /// Its SIREN (stated, or read from its French VAT number) is this one.
    Matches,
    /// It names another company: what it states, for the reason.
    OtherCompany { stated: String },
    /// It states neither a SIREN nor a VAT number: cannot tell.
    NoIdentifier,
}

fn matches_siren(p: &TradeParty, siren: &str) -> PartyMatch {
    let wanted: String = siren.chars().filter(|c| c.is_ascii_digit()).collect();
    match (p.siren(), p.vat_normalized()) {
        (Some(s), _) if s == wanted => PartyMatch::Matches,
        (Some(s), _) => PartyMatch::OtherCompany {
            stated: format!("SIREN {s}"),
        },
        (None, Some(vat)) => PartyMatch::OtherCompany {
            stated: format!("VAT number {vat}"),
        },
        (None, None) => PartyMatch::NoIdentifier,
    }
}

/// Is the invoice addressed to the company of this SIREN (the dossier, for a purchase)?
/// `OtherCompany` means: hold it, "addressed to another company".
pub fn buyer_matches(inv: &Invoice, siren: &str) -> PartyMatch {
    matches_siren(&inv.buyer, siren)
}

/// Was the invoice issued by the company of this SIREN (the dossier, for a sale)?
pub fn seller_matches(inv: &Invoice, siren: &str) -> PartyMatch {
    matches_siren(&inv.seller, siren)
}
