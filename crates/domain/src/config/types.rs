//! The validated configuration of a dossier: what the mapping rules and the use cases read.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::rules::closing_date;
use crate::document::{DocumentKind, Nature, SelfAssessment};

/// Which documents a dossier books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Sales,
    Purchases,
    Both,
}

impl Scope {
    pub fn includes(self, kind: DocumentKind) -> bool {
        match self {
            Scope::Both => true,
            Scope::Sales => kind.is_sales(),
            Scope::Purchases => !kind.is_sales(),
        }
    }
}

/// How entries are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Copy the source's own sales-journal lines as they are.
    Journal,
    /// Map invoice and credit-note rows with this dossier's accounts.
    Documents,
}

/// The four label compositions customers choose from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOption {
    /// (1) party name on the third-party line, row description on the others.
    PartyThenDescription = 1,
    /// (2) party name on every line.
    Party = 2,
    /// (3) party name + description on every line.
    PartyAndDescription = 3,
    /// (4) party name + document number on every line.
    PartyAndNumber = 4,
}

/// Where a cent gap left after rounding every line goes. Only to the rounding accounts: the VAT
/// booked per rate is always the document's own (what the VAT return declares), so a gap is never
/// moved onto a VAT line (`rounding.target = "vat"` is refused by validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingTarget {
    /// To the rounding accounts: 658x on the debit side, 758x on the credit side.
    Accounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journals {
    pub sales: Journal,
    /// Credit notes may have their own journal; by default they go to the sales journal.
    pub credit_notes: Journal,
    pub purchases: Journal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accounts {
    pub sales_goods: String,
    pub sales_services: String,
    pub purchases: String,
    pub customers: String,
    pub suppliers: String,
    /// Account for customers that cannot get an auxiliary code of their own ("4111DIVERS").
    pub customer_fallback: String,
    pub supplier_fallback: String,
    pub rounding_debit: String,
    pub rounding_credit: String,
    pub discount_goods: String,
    pub discount_services: String,
    /// A source's accounting codes booked on another account (`[dossier.accounts.map.sales]`).
    pub map: AccountMap,
}

/// A source's accounting code (a document row's) → the account it is booked on, per side; each
/// target is a PCG account of the class its side needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountMap {
    pub sales: BTreeMap<String, String>,
    pub purchases: BTreeMap<String, String>,
}

/// `[dossier.einvoice]`: what only e-invoices use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EInvoiceSettings {
    /// A supplier's id (a SIREN of 9 digits, or a VAT id upper-case without spaces) → the
    /// expense account its e-invoice lines are booked on when a line names no valid expense
    /// account of its own (BT-133 / BT-19); `accounts.purchases` otherwise.
    pub supplier_accounts: BTreeMap<String, String>,
}

impl EInvoiceSettings {
    /// The account set for a supplier of this SIREN, else of this VAT id.
    pub fn supplier_account(&self, siren: Option<&str>, vat_id: Option<&str>) -> Option<&str> {
        let by = |id: Option<&str>| id.and_then(|id| self.supplier_accounts.get(&supplier_id(id)?));
        by(siren).or_else(|| by(vat_id)).map(String::as_str)
    }
}

/// A supplier id as `[dossier.einvoice.suppliers]` keys it: a SIREN (9 digits, spaces dropped)
/// or a VAT id (2 letters then 2 to 13 letters or digits, one a digit at least; upper-cased,
/// spaces dropped).
pub fn supplier_id(raw: &str) -> Option<String> {
    let id: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let siren = id.len() == 9 && id.bytes().all(|b| b.is_ascii_digit());
    let vat = (4..=15).contains(&id.len())
        && id.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && id.bytes().skip(2).any(|b| b.is_ascii_digit());
    (siren || vat).then_some(id)
}

impl Accounts {
    pub fn sales(&self, nature: Nature) -> &str {
        match nature {
            Nature::Goods => &self.sales_goods,
            Nature::Services => &self.sales_services,
        }
    }

    pub fn discount(&self, nature: Nature) -> &str {
        match nature {
            Nature::Goods => &self.discount_goods,
            Nature::Services => &self.discount_services,
        }
    }
}

/// VAT accounts per rate. Rates are kept normalized (`5.5`, `20`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatAccounts {
    pub sales: BTreeMap<Decimal, String>,
    pub purchases: BTreeMap<Decimal, String>,
    /// `[dossier.vat.self_assessed]`: VAT the buyer accounts for (autoliquidation).
    pub self_assessed: SelfAssessedAccounts,
}

/// Self-assessed VAT on purchases invoiced without VAT (e-invoice VAT categories K and AE):
/// booked as deductible VAT (debit) and VAT due (credit) of the same amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfAssessedAccounts {
    /// The rate when the invoice states none (EN 16931 has K and AE rows at 0 %): default 20.
    pub rate: Decimal,
    /// Intra-community acquisitions (K): deductible, default 445662.
    pub intra_community_deductible: String,
    /// Intra-community acquisitions (K): VAT due, default 4452 (PCG "TVA due intracommunautaire").
    pub intra_community_due: String,
    /// Domestic reverse charge (AE): deductible; `None`: `vat.purchases` at the rate.
    pub reverse_charge_deductible: Option<String>,
    /// Domestic reverse charge (AE): VAT due ("TVA autoliquidée"), default 4457.
    pub reverse_charge_due: String,
}

impl SelfAssessedAccounts {
    /// The deductible and due accounts of a regime at a rate (`None`: no deductible account).
    pub fn accounts<'a>(
        &'a self,
        regime: SelfAssessment,
        rate: Decimal,
        purchases: &'a BTreeMap<Decimal, String>,
    ) -> Option<(&'a str, &'a str)> {
        match regime {
            SelfAssessment::IntraCommunity => Some((
                self.intra_community_deductible.as_str(),
                self.intra_community_due.as_str(),
            )),
            SelfAssessment::ReverseCharge => {
                let deductible = match &self.reverse_charge_deductible {
                    Some(account) => account,
                    None => purchases.get(&rate.normalize())?,
                };
                Some((deductible.as_str(), self.reverse_charge_due.as_str()))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuxiliaryRules {
    /// Length of derived auxiliary codes (default 8).
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    /// Largest gap accepted per non-zero VAT rate of the document (default 0.01; a document
    /// with no VAT gets one tolerance).
    pub tolerance_per_rate: Decimal,
    pub target: RoundingTarget,
}

/// Who may send documents to this dossier's collection addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailPolicy {
    /// The `<slug>` of `achat.<slug>@<domain>`, lower-case.
    pub slug: String,
    /// Exact From addresses, lower-case ("no-reply@welyb.fr").
    pub allowed_senders: Vec<String>,
    /// Whole sender domains, lower-case ("welyb.fr").
    pub allowed_domains: Vec<String>,
    /// Accept authenticated mail from anyone (off by default).
    pub allow_everyone: bool,
}

/// A validated dossier configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierConfig {
    pub id: String,
    pub name: String,
    /// SIREN of the company (names the FEC file).
    pub siren: String,
    pub start_date: NaiveDate,
    /// Month and day the fiscal year closes (default 12-31): the 12-month years outside the
    /// declared `exercises` close on it (after the last declared one, it is that one's day).
    pub fiscal_year_end: (u32, u32),
    /// The fiscal years the dossier declares (`[[dossier.exercises]]`), in order, contiguous:
    /// a first exercise of 18 months, a change of closing date. Empty: 12-month years.
    pub exercises: Vec<Exercise>,
    /// Journal mode: the code each source journal is booked under, by the source journal's
    /// name ("Ventes export" → "VEXP"); a name not listed takes its first 4 letters or digits.
    pub journal_codes: BTreeMap<String, String>,
    pub scope: Scope,
    pub mode: Mode,
    pub journals: Journals,
    pub accounts: Accounts,
    /// `[dossier.accounts_map]`: a dossier account → the number the ledger's own chart holds it
    /// under, when neither the same number nor another padding of it is there (`"445711" =
    /// "44571"`). API ledgers only (Inqom, Pennylane, Chift); see `chart::ledger`.
    pub accounts_map: BTreeMap<String, String>,
    pub vat: VatAccounts,
    pub auxiliary: AuxiliaryRules,
    pub labels: LabelOption,
    pub rounding: Rounding,
    pub draft_entries: bool,
    pub sync_without_pdf: bool,
    /// A document whose subject contains one of these words (any case) is skipped.
    pub exclusion_words: Vec<String>,
    pub mail: MailPolicy,
    pub einvoice: EInvoiceSettings,
}

impl DossierConfig {
    /// The journal a document of this kind is booked in.
    pub fn journal_for(&self, kind: DocumentKind) -> &Journal {
        match kind {
            DocumentKind::SalesInvoice => &self.journals.sales,
            DocumentKind::SalesCreditNote => &self.journals.credit_notes,
            DocumentKind::PurchaseInvoice | DocumentKind::PurchaseCreditNote => {
                &self.journals.purchases
            }
        }
    }

    /// The fiscal year (first day, closing day) that contains `date`: a declared exercise, or
    /// a 12-month year: after the last declared one, closing on `fiscal_year_end`; before the
    /// first declared one, closing on the anniversaries of the day before it.
    pub fn fiscal_year_of(&self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        if let Some(e) = self
            .exercises
            .iter()
            .find(|e| e.start <= date && date <= e.end)
        {
            return (e.start, e.end);
        }
        match self.exercises.first() {
            Some(first) if date < first.start => {
                let before = first.start.pred_opt().unwrap_or(first.start);
                twelve_months(date, (before.month(), before.day()))
            }
            _ => twelve_months(date, self.fiscal_year_end),
        }
    }

    /// The closing dates that fall in the calendar year `year` (usually one; none in the
    /// first year of a long first exercise, two after a short one).
    pub fn closings_in(&self, year: i32) -> Vec<NaiveDate> {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Vec::new();
        };
        let mut closings = Vec::new();
        let mut day = first;
        loop {
            let (_, closing) = self.fiscal_year_of(day);
            if closing > last {
                return closings;
            }
            closings.push(closing);
            match closing.succ_opt() {
                Some(next) => day = next,
                None => return closings,
            }
        }
    }

    /// The journal code of a source journal (mode `journal`): the dossier's `journal_codes`,
    /// else its first 4 letters or digits.
    pub fn journal_code_of(&self, source_journal: &str) -> Option<String> {
        match self.journal_codes.get(source_journal.trim()) {
            Some(code) => Some(code.clone()),
            None => super::rules::derive_journal_code(source_journal),
        }
    }

    /// The source journals (mode `journal`) that would share one code, by code: each is one
    /// EcritureNum series under two labels, so none of them is booked until the dossier maps
    /// them in `journal_codes`.
    pub fn journal_code_clashes<'a>(
        &self,
        source_journals: impl IntoIterator<Item = &'a str>,
    ) -> BTreeMap<String, Vec<String>> {
        let mut by_code: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in source_journals {
            let Some(code) = self.journal_code_of(name) else {
                continue;
            };
            let names = by_code.entry(code).or_default();
            if !names.iter().any(|n| n == name.trim()) {
                names.push(name.trim().to_string());
            }
        }
        by_code.retain(|_, names| names.len() > 1);
        by_code
    }

    /// The subject word that excludes this document, if any.
    pub fn exclusion_word_in(&self, subject: &str) -> Option<&str> {
        let subject = subject.to_lowercase();
        self.exclusion_words
            .iter()
            .find(|w| subject.contains(&w.to_lowercase()))
            .map(String::as_str)
    }
}

/// A fiscal year (exercice comptable): its first and its closing day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exercise {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The 12-month year closing on `(month, day)` that contains `date`.
fn twelve_months(date: NaiveDate, (month, day): (u32, u32)) -> (NaiveDate, NaiveDate) {
    let closing_in = |year: i32| closing_date(year, month, day);
    let closing = if date <= closing_in(date.year()) {
        closing_in(date.year())
    } else {
        closing_in(date.year() + 1)
    };
    let previous = closing_in(closing.year() - 1);
    (previous.succ_opt().unwrap_or(previous), closing)
}

/// The connectors' sections of one dossier, as written: parsed by the connectors themselves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Connections {
    /// `[dossier.sellsy]`, when the dossier is pulled from Sellsy.
    pub sellsy: Option<toml::Table>,
    /// `[dossier.ledger]` (absent: the FEC file).
    pub ledger: Option<toml::Table>,
}
