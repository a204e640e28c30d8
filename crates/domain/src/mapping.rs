//! Mapping source documents to balanced ledger entries.
//!
//! Mode `documents`: one entry per invoice or credit note. Third-party line = total including tax
//! on the collective account with the party's auxiliary code; revenue lines grouped by account
//! (the row's accounting code when set, else the goods/services default); VAT lines per rate from
//! the document's per-rate VAT totals (authoritative: research sellsy-api.md §3.1); discounts on
//! 709x; a credit note mirrors an invoice. Every line is rounded to the cent, then a gap up to the
//! tolerance goes to 658/758 (or the largest VAT line); a larger gap is an error with the figures.
//!
//! Mode `journal`: the source's journal lines grouped by document, accounts and auxiliary codes
//! kept, balance checked.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use thiserror::Error;

use crate::auxcode::AuxCodes;
use crate::chart::account_label;
use crate::config::{DossierConfig, LabelOption, RoundingTarget, derive_journal_code};
use crate::document::{DocumentKind, DocumentStatus, Nature, SourceDocument, SourceRef};
use crate::entry::{AttachmentRef, Auxiliary, EntryError, EntryHeader, EntryLine, LedgerEntry};
use crate::journal::{Side, SourceJournalLine};
use crate::money::{format_dot, round_cents};
use crate::party::{Party, PartyKind};

/// Longest label written on a line (Inqom takes 256; FEC EcritureLib has no limit but readers do).
const MAX_LABEL: usize = 200;

/// What mapping one document gives.
// Entries are the common case and are moved once; boxing them would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Entry(LedgerEntry),
    /// Not booked, for a reason a person can act on.
    NotBooked(NotBooked),
}

/// Why a document is not booked, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBooked {
    /// The document's subject contains an exclusion word.
    Excluded { word: String },
    /// The dossier does not book this kind of document (scope).
    OutOfScope { kind: DocumentKind },
    /// Drafts and cancelled documents are never booked.
    NotFinalized { status: String },
    /// No PDF while "sync documents without PDF" is off: held until the PDF exists.
    NoPdf,
    /// Total including tax of zero: nothing to book.
    ZeroTotal,
}

impl NotBooked {
    /// Whether the pipeline should hold the document (it may become bookable) rather than skip it.
    pub fn is_hold(&self) -> bool {
        matches!(self, NotBooked::NoPdf)
    }

    pub fn message(&self) -> String {
        match self {
            NotBooked::Excluded { word } => {
                format!("skipped: its subject contains the exclusion word \"{word}\"")
            }
            NotBooked::OutOfScope { kind } => format!(
                "skipped: this dossier does not book {}",
                kind.as_str().replace('_', " ")
            ),
            NotBooked::NotFinalized { status } => {
                format!("skipped: the document is {status} at the source, not finalized")
            }
            NotBooked::NoPdf => "held: the document has no PDF yet".into(),
            NotBooked::ZeroTotal => "skipped: the total including tax is zero".into(),
        }
    }

    pub fn action(&self) -> String {
        match self {
            NotBooked::Excluded { .. } => "no action needed; remove the word from exclusion_words to book such documents".into(),
            NotBooked::OutOfScope { .. } => "no action needed; change the dossier's scope to book them".into(),
            NotBooked::NotFinalized { .. } => "no action needed; it is booked once finalized (a cancellation is booked through its credit note)".into(),
            NotBooked::NoPdf => "generate the PDF in Sellsy, or set sync_without_pdf = true for this dossier".into(),
            NotBooked::ZeroTotal => "no action needed".into(),
        }
    }
}

/// Why a document cannot be mapped.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MappingError {
    #[error("{document}: no VAT account for the {rate} % rate")]
    MissingVatAccount { document: String, rate: String },
    #[error(
        "{document}: lines do not balance after rounding to the cent: total including tax {total}, revenue and VAT net {lines}, gap {gap} is above the tolerance of {tolerance}"
    )]
    GapAboveTolerance {
        document: String,
        total: String,
        lines: String,
        gap: String,
        tolerance: String,
    },
    #[error("{document}: currency {currency} is not booked automatically (amounts must be in EUR)")]
    ForeignCurrency { document: String, currency: String },
    #[error("{document}: no line of the source's sales journal belongs to this document")]
    NotInJournal { document: String },
    #[error("{document}: the source journal name '{journal}' gives no journal code")]
    NoJournalCode { document: String, journal: String },
    #[error(transparent)]
    Entry(#[from] EntryError),
}

impl MappingError {
    /// What a person should do about it.
    pub fn action(&self) -> String {
        match self {
            MappingError::MissingVatAccount { rate, .. } => format!(
                "add the rate to the dossier configuration, e.g. vat.sales.\"{rate}\" = \"4457xx\""
            ),
            MappingError::GapAboveTolerance { .. } => "check the document's amounts in Sellsy (rows, VAT totals, total including tax); raise rounding.tolerance_per_rate only if the gap is a known rounding habit".into(),
            MappingError::ForeignCurrency { .. } => "book this document by hand with its exchange rate".into(),
            MappingError::NotInJournal { .. } => "record the document in Sellsy's accounting (comptabiliser) so its journal lines exist, or switch the dossier to mode \"documents\"".into(),
            MappingError::NoJournalCode { .. } => "set a journal code in Sellsy's accounting settings".into(),
            MappingError::Entry(_) => "check the document's lines at the source; an unbalanced entry is never booked".into(),
        }
    }
}

/// A line being built: the signed amount is positive on the credit side, negative on the debit side.
struct Draft {
    account: String,
    auxiliary: Option<Auxiliary>,
    description: String,
    signed: Decimal,
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    ThirdParty,
    Revenue,
    Discount,
    Vat,
    Rounding,
}

/// The rules that keep a document out of the ledger, in both modes: scope, status (drafts and
/// cancelled documents), exclusion words, a missing PDF while `sync_without_pdf` is off, a zero
/// total.
pub fn not_booked(doc: &SourceDocument, cfg: &DossierConfig) -> Option<NotBooked> {
    let kind = doc.source.kind;
    if !cfg.scope.includes(kind) {
        return Some(NotBooked::OutOfScope { kind });
    }
    match &doc.status {
        DocumentStatus::Finalized => {}
        DocumentStatus::Draft => {
            return Some(NotBooked::NotFinalized {
                status: "draft".into(),
            });
        }
        DocumentStatus::Cancelled => {
            return Some(NotBooked::NotFinalized {
                status: "cancelled".into(),
            });
        }
        DocumentStatus::Other(s) => return Some(NotBooked::NotFinalized { status: s.clone() }),
    }
    if let Some(word) = cfg.exclusion_word_in(&doc.subject) {
        return Some(NotBooked::Excluded {
            word: word.to_string(),
        });
    }
    if doc.pdf.is_none() && !cfg.sync_without_pdf {
        return Some(NotBooked::NoPdf);
    }
    if round_cents(doc.totals.incl_tax).is_zero() {
        return Some(NotBooked::ZeroTotal);
    }
    None
}

/// Maps one invoice or credit note (mode `documents`).
pub fn map_document(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
) -> Result<Mapped, MappingError> {
    let kind = doc.source.kind;
    if let Some(reason) = not_booked(doc, cfg) {
        return Ok(Mapped::NotBooked(reason));
    }
    let document = doc.number.clone();
    if !doc.currency.eq_ignore_ascii_case("EUR") {
        return Err(MappingError::ForeignCurrency {
            document,
            currency: doc.currency.clone(),
        });
    }
    let total = round_cents(doc.totals.incl_tax);

    // Sales invoice: revenue on the credit side. Credit notes and purchases mirror it.
    let sign = match kind {
        DocumentKind::SalesInvoice | DocumentKind::PurchaseCreditNote => Decimal::ONE,
        DocumentKind::SalesCreditNote | DocumentKind::PurchaseInvoice => Decimal::NEGATIVE_ONE,
    };
    let sales = kind.is_sales();
    let mut lines: Vec<Draft> = Vec::new();

    // Third party.
    let (collective, fallback) = if sales {
        (&cfg.accounts.customers, &cfg.accounts.customer_fallback)
    } else {
        (&cfg.accounts.suppliers, &cfg.accounts.supplier_fallback)
    };
    let (tp_account, tp_aux) = match aux.code_for(&doc.party) {
        Some(code) => (
            collective.clone(),
            Some(Auxiliary {
                label: aux_label(&doc.party.name, &code),
                code,
            }),
        ),
        None => (fallback.clone(), None),
    };
    let tp_description = if doc.subject.trim().is_empty() {
        document_title(kind, &doc.number)
    } else {
        doc.subject.clone()
    };
    lines.push(Draft {
        account: tp_account,
        auxiliary: tp_aux,
        description: tp_description,
        signed: -sign * total,
        role: Role::ThirdParty,
    });

    // Revenue (or purchases) by account, discounts by nature; unrounded sums first.
    let mut revenue: Vec<(String, Decimal, String)> = Vec::new();
    let mut discounts: BTreeMap<NatureKey, Decimal> = BTreeMap::new();
    let mut net_by_nature: BTreeMap<NatureKey, Decimal> = BTreeMap::new();
    let mut row_rates: Vec<Decimal> = Vec::new();
    for row in doc
        .rows
        .iter()
        .filter(|r| r.kind.carries_money() && !r.optional)
    {
        let nature = row
            .nature
            .or(doc.default_nature)
            .unwrap_or(Nature::Services);
        let account = match &row.account {
            Some(a) if !a.trim().is_empty() => a.trim().to_string(),
            _ if sales => cfg.accounts.sales(nature).to_string(),
            _ => cfg.accounts.purchases.clone(),
        };
        // Sales show discounts on 709x, so revenue is booked before the row's discount.
        let (amount, discount) = if sales {
            (
                row.amount_excl_tax + row.discount_excl_tax,
                row.discount_excl_tax,
            )
        } else {
            (row.amount_excl_tax, Decimal::ZERO)
        };
        match revenue.iter_mut().find(|(a, _, _)| *a == account) {
            Some((_, sum, _)) => *sum += amount,
            None => revenue.push((account, amount, row.description.clone())),
        }
        *discounts.entry(NatureKey(nature)).or_default() += discount;
        *net_by_nature.entry(NatureKey(nature)).or_default() += row.amount_excl_tax;
        if !row_rates.contains(&row.tax_rate.normalize()) {
            row_rates.push(row.tax_rate.normalize());
        }
    }
    // The document-level discount is spread over natures in proportion to their net amounts.
    if !doc.discount_excl_tax.is_zero() {
        let net_total: Decimal = net_by_nature.values().copied().sum();
        if net_total.is_zero() || !sales {
            let nature = doc.default_nature.unwrap_or(Nature::Services);
            if sales {
                *discounts.entry(NatureKey(nature)).or_default() += doc.discount_excl_tax;
            } else {
                // Purchases book net amounts: the discount reduces the purchase account.
                if let Some((_, sum, _)) = revenue.first_mut() {
                    *sum -= doc.discount_excl_tax;
                }
            }
        } else {
            let mut remaining = doc.discount_excl_tax;
            let natures: Vec<(NatureKey, Decimal)> =
                net_by_nature.iter().map(|(k, v)| (*k, *v)).collect();
            for (i, (nature, net)) in natures.iter().enumerate() {
                let share = if i + 1 == natures.len() {
                    remaining
                } else {
                    round_cents(doc.discount_excl_tax * *net / net_total)
                };
                remaining -= share;
                *discounts.entry(*nature).or_default() += share;
            }
        }
    }
    for (account, amount, description) in revenue {
        lines.push(Draft {
            account,
            auxiliary: None,
            description,
            signed: sign * round_cents(amount),
            role: Role::Revenue,
        });
    }
    for (nature, amount) in discounts {
        lines.push(Draft {
            account: cfg.accounts.discount(nature.0).to_string(),
            auxiliary: None,
            description: "Remise accordée".into(),
            signed: -sign * round_cents(amount),
            role: Role::Discount,
        });
    }

    // VAT per rate, from the document's own totals.
    let vat_accounts = if sales {
        &cfg.vat.sales
    } else {
        &cfg.vat.purchases
    };
    let mut vat: Vec<(Decimal, Decimal, Option<String>)> = Vec::new();
    for tax in &doc.taxes {
        let rate = tax.rate.normalize();
        match vat.iter_mut().find(|(r, _, _)| *r == rate) {
            Some((_, sum, _)) => *sum += tax.amount,
            None => vat.push((rate, tax.amount, tax.label.clone())),
        }
    }
    let mut rates = row_rates;
    for (rate, amount, label) in vat {
        if !rates.contains(&rate) {
            rates.push(rate);
        }
        let amount = round_cents(amount);
        if amount.is_zero() {
            continue;
        }
        let account = vat_accounts
            .get(&rate)
            .ok_or_else(|| MappingError::MissingVatAccount {
                document: document.clone(),
                rate: rate.to_string(),
            })?;
        lines.push(Draft {
            account: account.clone(),
            auxiliary: None,
            description: label
                .unwrap_or_else(|| format!("TVA {} %", rate.to_string().replace('.', ","))),
            signed: sign * amount,
            role: Role::Vat,
        });
    }

    // Balance: what is left after rounding every line.
    let residual: Decimal = lines.iter().map(|l| l.signed).sum();
    if !residual.is_zero() {
        let tolerance = cfg.rounding.tolerance_per_rate * Decimal::from(rates.len().max(1));
        if residual.abs() > tolerance {
            return Err(MappingError::GapAboveTolerance {
                document,
                total: format_dot(total),
                lines: format_dot(total + sign * residual),
                gap: format_dot(residual.abs()),
                tolerance: format_dot(tolerance),
            });
        }
        let largest_vat = lines
            .iter_mut()
            .filter(|l| l.role == Role::Vat)
            .max_by_key(|l| l.signed.abs());
        match (cfg.rounding.target, largest_vat) {
            (RoundingTarget::Vat, Some(line)) => line.signed -= residual,
            _ => {
                let account = if residual.is_sign_negative() {
                    &cfg.accounts.rounding_credit
                } else {
                    &cfg.accounts.rounding_debit
                };
                lines.push(Draft {
                    account: account.clone(),
                    auxiliary: None,
                    description: "Écart d'arrondi".into(),
                    signed: -residual,
                    role: Role::Rounding,
                });
            }
        }
    }

    let party = clean(&doc.party.name);
    let entry_lines = lines
        .into_iter()
        .filter(|l| !l.signed.is_zero())
        .map(|l| {
            let label = compose_label(
                cfg.labels,
                &party,
                &doc.number,
                &l.description,
                l.role == Role::ThirdParty,
            );
            let (debit, credit) = sides(l.signed);
            EntryLine {
                account_label: account_label(&l.account),
                account: l.account,
                auxiliary: l.auxiliary,
                label,
                debit,
                credit,
            }
        })
        .collect();
    let journal = cfg.journal_for(kind);
    let header = EntryHeader {
        journal_code: journal.code.clone(),
        journal_label: journal.label.clone(),
        date: doc.date,
        piece_ref: clean(&doc.number),
        piece_date: doc.date,
        label: truncate(&format!(
            "{} - {}",
            document_title(kind, &doc.number),
            party
        )),
        currency: "EUR".into(),
        source: doc.source.clone(),
        draft: cfg.draft_entries,
        attachments: doc
            .pdf
            .iter()
            .map(|pdf| AttachmentRef {
                location: pdf.location.clone(),
                file_name: format!("{}.pdf", file_stem(&doc.number)),
                sha256: pdf.sha256.clone(),
            })
            .collect(),
    };
    Ok(Mapped::Entry(LedgerEntry::new(header, entry_lines)?))
}

/// Groups a source's journal lines by document into entries (mode `journal`). Documents are
/// returned in the order their first line appears; each is an entry or the reason it is not.
pub fn map_journal(
    lines: &[SourceJournalLine],
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
) -> Vec<(SourceRef, Result<LedgerEntry, MappingError>)> {
    let mut order: Vec<SourceRef> = Vec::new();
    let mut groups: BTreeMap<SourceRef, Vec<&SourceJournalLine>> = BTreeMap::new();
    for line in lines {
        let group = groups.entry(line.document.clone()).or_default();
        if group.is_empty() {
            order.push(line.document.clone());
        }
        group.push(line);
    }
    order
        .into_iter()
        .map(|source| {
            let group = &groups[&source];
            (source.clone(), journal_entry(&source, group, cfg, aux))
        })
        .collect()
}

fn journal_entry(
    source: &SourceRef,
    group: &[&SourceJournalLine],
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
) -> Result<LedgerEntry, MappingError> {
    let first = group[0];
    let document = first.document_number.clone();
    if !first.currency.eq_ignore_ascii_case("EUR") {
        return Err(MappingError::ForeignCurrency {
            document,
            currency: first.currency.clone(),
        });
    }
    let journal_code =
        derive_journal_code(&first.journal).ok_or_else(|| MappingError::NoJournalCode {
            document: document.clone(),
            journal: first.journal.clone(),
        })?;
    let party_name = first.party_name.clone().unwrap_or_else(|| document.clone());
    let mut entry_lines = Vec::new();
    for line in group {
        let signed = match line.side {
            Side::Credit => round_cents(line.amount),
            Side::Debit => -round_cents(line.amount),
        };
        if signed.is_zero() {
            continue;
        }
        let third_party = line.account.starts_with("401") || line.account.starts_with("411");
        let auxiliary = match line.auxiliary_code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => Some(Auxiliary {
                code: code.to_string(),
                label: aux_label(line.party_name.as_deref().unwrap_or(""), code),
            }),
            _ if third_party => {
                // No code at the source: derive one from the party name, keyed by that name.
                let party = Party {
                    kind: PartyKind::Company,
                    name: party_name.clone(),
                    source_id: format!("name:{}", party_name.to_lowercase()),
                    reference: None,
                    auxiliary_code: None,
                    siren: None,
                    siret: None,
                    vat_number: None,
                };
                aux.code_for(&party).map(|code| Auxiliary {
                    label: aux_label(&party_name, &code),
                    code,
                })
            }
            _ => None,
        };
        let (debit, credit) = sides(signed);
        entry_lines.push(EntryLine {
            account: line.account.trim().to_string(),
            account_label: line
                .account_label
                .as_deref()
                .map(clean)
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| account_label(&line.account)),
            auxiliary,
            label: truncate(&clean(&line.label)),
            debit,
            credit,
        });
    }
    let kind = source.kind;
    let header = EntryHeader {
        journal_code,
        journal_label: clean(&first.journal),
        date: first.date,
        piece_ref: clean(&document),
        piece_date: first.date,
        label: truncate(&format!(
            "{} - {}",
            document_title(kind, &document),
            clean(&party_name)
        )),
        currency: "EUR".into(),
        source: source.clone(),
        draft: cfg.draft_entries,
        attachments: Vec::new(),
    };
    Ok(LedgerEntry::new(header, entry_lines)?)
}

/// Orders natures so that maps over them are deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NatureKey(Nature);

impl PartialOrd for NatureKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NatureKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |n: Nature| match n {
            Nature::Goods => 0,
            Nature::Services => 1,
        };
        rank(self.0).cmp(&rank(other.0))
    }
}

/// The auxiliary account's label: the party's name, else its code (the FEC wants CompAuxLib
/// whenever CompAuxNum is set).
fn aux_label(name: &str, code: &str) -> String {
    match clean(name) {
        n if n.is_empty() => code.to_string(),
        n => n,
    }
}

fn sides(signed: Decimal) -> (Decimal, Decimal) {
    if signed.is_sign_negative() {
        (-signed, Decimal::ZERO)
    } else {
        (Decimal::ZERO, signed)
    }
}

fn document_title(kind: DocumentKind, number: &str) -> String {
    let word = if kind.is_credit_note() {
        "Avoir"
    } else {
        "Facture"
    };
    format!("{word} {}", clean(number))
}

fn compose_label(
    option: LabelOption,
    party: &str,
    number: &str,
    description: &str,
    third_party: bool,
) -> String {
    let description = clean(description);
    let label = match option {
        LabelOption::PartyThenDescription if third_party => party.to_string(),
        LabelOption::PartyThenDescription => description,
        LabelOption::Party => party.to_string(),
        LabelOption::PartyAndDescription => format!("{party} - {description}"),
        LabelOption::PartyAndNumber => format!("{party} - {}", clean(number)),
    };
    let label = truncate(&label);
    if label.is_empty() {
        clean(number)
    } else {
        label
    }
}

/// Free text as ledgers and the FEC accept it: no tabs, pipes, newlines or control characters,
/// runs of spaces folded.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '|' { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn truncate(text: &str) -> String {
    text.chars()
        .take(MAX_LABEL)
        .collect::<String>()
        .trim_end()
        .to_string()
}

fn file_stem(number: &str) -> String {
    let stem: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() {
        "document".into()
    } else {
        stem
    }
}
