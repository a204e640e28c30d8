//! Deterministic dataset: companies, individuals, invoices, credit notes, journal lines, rendered
//! as spec-shaped JSON (`Invoice`, `InvoiceOne`, `CreditNote`, `AccountingJournal`, ...).
//!
//! Amounts are consistent: row amounts, per-rate `taxes[]`, the document discount and totals are
//! computed with `Decimal` and rounded to cents the way a French invoice is (per rate).

mod generate;
mod json;
pub mod purchases;
mod tables;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Invoice,
    CreditNote,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invoice => "invoice",
            Kind::CreditNote => "creditnote",
        }
    }
}

/// A VAT rate of the simulated account (`GET /taxes`).
#[derive(Debug, Clone)]
pub struct Tax {
    pub id: u64,
    pub rate: Decimal,
    pub label: &'static str,
    /// Accounting code id of the collected-VAT account.
    pub account_id: u64,
}

#[derive(Debug, Clone)]
pub struct Code {
    pub id: u64,
    pub code: &'static str,
    pub label: &'static str,
    pub views: &'static [&'static str],
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: u64,
    pub name: String,
    pub reference: String,
    pub auxiliary_code: String,
    pub email: String,
    pub siren: String,
    pub siret: String,
    pub vat: String,
    pub company_type: &'static str,
    pub ape: &'static str,
    pub city: &'static str,
}

#[derive(Debug, Clone)]
pub struct Individual {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub civility: &'static str,
    pub reference: String,
    pub auxiliary_code: String,
    pub email: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRef {
    Company(usize),
    Individual(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowType {
    Single,
    Catalog,
    Shipping,
    Comment,
}

#[derive(Debug, Clone)]
pub struct RowData {
    pub id: u64,
    pub row_type: RowType,
    pub reference: String,
    pub description: String,
    pub quantity: Decimal,
    pub unit_amount: Decimal,
    /// Row discount in percent, if any.
    pub discount_pct: Option<Decimal>,
    pub tax: usize,
    pub accounting_code_id: u64,
    pub related: Option<(u64, &'static str)>,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub kind: Kind,
    pub id: u64,
    pub number: String,
    pub status: &'static str,
    pub date: NaiveDate,
    pub created: DateTime<FixedOffset>,
    pub subject: String,
    pub party: PartyRef,
    pub rows: Vec<RowData>,
    /// Document discount in percent (applied after rows, not on shipping).
    pub discount_pct: Option<Decimal>,
    pub sale_type: &'static str,
    pub has_pdf: bool,
    /// Bumped by "modify after copy"; part of the PDF link key (Sellsy regenerates the link).
    pub version: u32,
    pub linked_invoice: Option<u64>,
    pub sent_to_accounting: bool,
    pub fiscal_year_id: u64,
    /// The name of its journal (`AccountingJournal.type`): `None` is Sellsy's default "SALES".
    pub journal: Option<String>,
}

impl Doc {
    pub fn is_draft(&self) -> bool {
        self.status == "draft"
    }
}

/// Computed amounts of a row.
#[derive(Debug, Clone, Default)]
pub struct RowAmounts {
    pub discount: Decimal,
    pub excl: Decimal,
    pub tax: Decimal,
    pub incl: Decimal,
}

/// Computed amounts of a document.
#[derive(Debug, Clone, Default)]
pub struct DocAmounts {
    pub rows: Vec<RowAmounts>,
    pub raw_excl: Decimal,
    pub discount: Decimal,
    pub after_discount: Decimal,
    pub shipping: Decimal,
    pub excl: Decimal,
    /// (tax index, base after discount, VAT amount), for each rate used.
    pub per_rate: Vec<(usize, Decimal, Decimal)>,
    pub vat: Decimal,
    pub incl: Decimal,
    /// Revenue per accounting code id (before the document discount).
    pub per_account: Vec<(u64, Decimal)>,
}

pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

pub fn money(d: Decimal) -> String {
    format!("{:.2}", cents(d))
}

pub fn compute(doc: &Doc, taxes: &[Tax]) -> DocAmounts {
    let mut a = DocAmounts::default();
    let hundred = Decimal::ONE_HUNDRED;
    let mut base_by_rate: Vec<(usize, Decimal, Decimal)> = Vec::new(); // (tax, goods base, shipping base)
    for r in &doc.rows {
        if r.row_type == RowType::Comment {
            a.rows.push(RowAmounts::default());
            continue;
        }
        let gross = cents(r.quantity * r.unit_amount);
        let discount = r
            .discount_pct
            .map(|p| cents(gross * p / hundred))
            .unwrap_or_default();
        let excl = gross - discount;
        let tax = cents(excl * taxes[r.tax].rate / hundred);
        a.rows.push(RowAmounts {
            discount,
            excl,
            tax,
            incl: excl + tax,
        });
        if r.optional {
            continue; // research §3.3: optional rows are excluded from totals
        }
        let slot = match base_by_rate.iter_mut().find(|(t, _, _)| *t == r.tax) {
            Some(s) => s,
            None => {
                base_by_rate.push((r.tax, Decimal::ZERO, Decimal::ZERO));
                base_by_rate.last_mut().unwrap()
            }
        };
        if r.row_type == RowType::Shipping {
            slot.2 += excl;
            a.shipping += excl;
        } else {
            slot.1 += excl;
            a.raw_excl += excl;
        }
        match a
            .per_account
            .iter_mut()
            .find(|(c, _)| *c == r.accounting_code_id)
        {
            Some(s) => s.1 += excl,
            None => a.per_account.push((r.accounting_code_id, excl)),
        }
    }
    base_by_rate.sort_by_key(|(t, _, _)| *t);
    for (t, goods, ship) in base_by_rate {
        let disc = doc
            .discount_pct
            .map(|p| cents(goods * p / hundred))
            .unwrap_or_default();
        a.discount += disc;
        let base = goods - disc + ship;
        let vat = cents(base * taxes[t].rate / hundred);
        a.vat += vat;
        a.per_rate.push((t, base, vat));
    }
    a.after_discount = a.raw_excl - a.discount;
    a.excl = a.after_discount + a.shipping;
    a.incl = a.excl + a.vat;
    a
}

// Purchases (see [`purchases`]): the types here, the generator and the JSON there.

/// A purchase's kind, as the journal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PurKind {
    Invoice,
    CreditNote,
}

impl PurKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PurKind::Invoice => "purInvoice",
            PurKind::CreditNote => "purCreditNote",
        }
    }
}

/// How Sellsy stores the supplier's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurFile {
    Pdf,
    Png,
    None,
}

#[derive(Debug, Clone)]
pub struct Supplier {
    pub id: u64,
    pub name: String,
    pub reference: String,
    pub auxiliary_code: String,
}

#[derive(Debug, Clone)]
pub struct PurLine {
    pub code_id: u64,
    /// Amount excluding tax after the line's own discount.
    pub net: Decimal,
    pub tax: usize,
}

#[derive(Debug, Clone)]
pub struct Purchase {
    pub kind: PurKind,
    pub id: u64,
    pub number: String,
    pub date: NaiveDate,
    pub subject: String,
    pub supplier: usize,
    pub lines: Vec<PurLine>,
    /// Discount obtained on the whole document, in percent (booked on 609000).
    pub discount_pct: Option<Decimal>,
    pub file: PurFile,
    pub version: u32,
    pub sent_to_accounting: bool,
}

/// An incoming document (spec `Ocr`).
#[derive(Debug, Clone)]
pub struct Intake {
    pub id: u64,
    pub file_name: String,
    pub linked_id: Option<u64>,
    pub state: &'static str,
    pub error_code: Option<u64>,
    pub source: &'static str,
    pub supplier: Option<String>,
    pub total_excl_tax: Option<Decimal>,
    pub created: DateTime<FixedOffset>,
}

pub struct Dataset {
    pub taxes: Vec<Tax>,
    pub codes: Vec<Code>,
    pub companies: Vec<Company>,
    pub individuals: Vec<Individual>,
    pub invoices: Vec<Doc>,
    pub credit_notes: Vec<Doc>,
    /// Suppliers, purchases and incoming documents (see [`purchases`]).
    pub suppliers: Vec<Supplier>,
    pub purchases: Vec<Purchase>,
    pub intakes: Vec<Intake>,
    pub seed: u64,
}

/// Accounting code ids of the simulated chart of accounts.
pub const CODE_CLIENTS: u64 = 7001;
pub const CODE_SERVICES: u64 = 7002;
pub const CODE_GOODS: u64 = 7003;
pub const CODE_SHIPPING: u64 = 7004;
pub const CODE_DISCOUNT: u64 = 7005;

pub struct GenParams {
    pub seed: u64,
    pub invoices: usize,
    pub credit_notes: usize,
    pub companies: usize,
    pub individuals: usize,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Share of drafts among generated documents (never pulled).
    pub draft_share: f64,
    /// Purchase invoices and supplier credit notes (one in six), dated over the same range.
    pub purchases: usize,
}

impl Dataset {
    pub fn docs(&self, kind: Kind) -> &Vec<Doc> {
        match kind {
            Kind::Invoice => &self.invoices,
            Kind::CreditNote => &self.credit_notes,
        }
    }

    pub fn docs_mut(&mut self, kind: Kind) -> &mut Vec<Doc> {
        match kind {
            Kind::Invoice => &mut self.invoices,
            Kind::CreditNote => &mut self.credit_notes,
        }
    }

    pub fn find(&self, kind: Kind, id: u64) -> Option<&Doc> {
        self.docs(kind).iter().find(|d| d.id == id)
    }

    pub fn code(&self, id: u64) -> Option<&Code> {
        self.codes.iter().find(|c| c.id == id)
    }

    pub fn pdf_key(&self, doc: &Doc) -> String {
        // Deterministic "signature" of the link; changes with each modification.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.seed;
        for b in format!("{}:{}:{}", doc.kind.as_str(), doc.id, doc.version).bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}{:08x}", doc.id)
    }

    pub fn pdf_link(&self, doc: &Doc, base: &str) -> Value {
        if !doc.has_pdf {
            return Value::Null;
        }
        json!(format!(
            "{base}/file?id={}-{}&key={}&display=Y",
            doc.kind.as_str(),
            doc.id,
            self.pdf_key(doc)
        ))
    }
}
