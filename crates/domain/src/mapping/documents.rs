//! Mode `documents`: one entry per invoice or credit note, built from its rows and its per-rate
//! VAT totals, in steps: third party, revenue and discounts, VAT, self-assessed VAT, balance, the
//! entry itself.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::labels::{
    account_name, aux_label, clean, compose_label, document_title, file_stem, sides, truncate,
};
use super::outcome::{Mapped, MappingError, NotBooked};
use crate::auxcode::AuxCodes;
use crate::chart::{RowSide, row_account_problem_of};
use crate::config::DossierConfig;
use crate::document::{DocumentKind, DocumentStatus, Nature, SelfAssessment, SourceDocument};
use crate::entry::{AttachmentRef, Auxiliary, EntryHeader, EntryLine, LedgerEntry};
use crate::money::{format_dot, round_cents};

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
    if let Some(reason) = not_booked(doc, cfg) {
        return Ok(Mapped::NotBooked(reason));
    }
    if !doc.currency.eq_ignore_ascii_case("EUR") {
        return Err(MappingError::ForeignCurrency {
            document: doc.number.clone(),
            currency: doc.currency.clone(),
        });
    }
    if let Some(held) = row_account_hold(doc, cfg) {
        return Ok(Mapped::NotBooked(held));
    }
    let total = round_cents(doc.totals.incl_tax);
    // Sales invoice: revenue on the credit side. Credit notes and purchases mirror it.
    let sign = match doc.source.kind {
        DocumentKind::SalesInvoice | DocumentKind::PurchaseCreditNote => Decimal::ONE,
        DocumentKind::SalesCreditNote | DocumentKind::PurchaseInvoice => Decimal::NEGATIVE_ONE,
    };
    let mut lines = vec![third_party(doc, cfg, aux, -sign * total)];
    let mut rates = net_lines(doc, cfg, sign, &mut lines);
    vat_lines(doc, cfg, sign, &mut rates, &mut lines)?;
    self_assessed_lines(doc, cfg, sign, &mut lines)?;
    balance(doc, cfg, sign, total, &rates, &mut lines)?;
    Ok(Mapped::Entry(entry(doc, cfg, lines)?))
}

/// The customer's or supplier's line: the total including tax, on the collective account with
/// the party's auxiliary code (or the fallback account when it cannot have one).
fn third_party(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    aux: &mut AuxCodes,
    signed: Decimal,
) -> Draft {
    let (collective, fallback) = if doc.source.kind.is_sales() {
        (&cfg.accounts.customers, &cfg.accounts.customer_fallback)
    } else {
        (&cfg.accounts.suppliers, &cfg.accounts.supplier_fallback)
    };
    let (account, auxiliary) = match aux.code_for(&doc.party) {
        Some(code) => (
            collective.clone(),
            Some(Auxiliary {
                label: aux_label(&doc.party.name, &code),
                code,
            }),
        ),
        None => (fallback.clone(), None),
    };
    let description = if doc.subject.trim().is_empty() {
        document_title(doc.source.kind, &doc.number)
    } else {
        doc.subject.clone()
    };
    Draft {
        account,
        auxiliary,
        description,
        signed,
        role: Role::ThirdParty,
    }
}

/// Revenue (or purchases) by account and discounts by nature, unrounded sums first; returns
/// the VAT rates the rows name.
fn net_lines(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    sign: Decimal,
    lines: &mut Vec<Draft>,
) -> Vec<Decimal> {
    let sales = doc.source.kind.is_sales();
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
        let account =
            row_account(cfg, row.account.as_deref(), sales).unwrap_or_else(|| match sales {
                true => cfg.accounts.sales(nature).to_string(),
                false => cfg.accounts.purchases.clone(),
            });
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
    spread_document_discount(doc, sales, &net_by_nature, &mut revenue, &mut discounts);
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
    row_rates
}

/// The account a row names, through the dossier's account map; `None` when it names none (the
/// dossier's default for its nature applies).
fn row_account(cfg: &DossierConfig, given: Option<&str>, sales: bool) -> Option<String> {
    let given = given.map(str::trim).filter(|a| !a.is_empty())?;
    let map = if sales {
        &cfg.accounts.map.sales
    } else {
        &cfg.accounts.map.purchases
    };
    Some(map.get(given).cloned().unwrap_or_else(|| given.to_string()))
}

/// A row whose own account is not a PCG account of its side's class holds the document: the
/// dossier's defaults are checked by its validation, a source's codes here.
fn row_account_hold(doc: &SourceDocument, cfg: &DossierConfig) -> Option<NotBooked> {
    let sales = doc.source.kind.is_sales();
    let side = if sales {
        RowSide::Sales
    } else {
        RowSide::Purchases
    };
    doc.rows
        .iter()
        .filter(|r| r.kind.carries_money() && !r.optional)
        .find_map(|row| {
            let account = row_account(cfg, row.account.as_deref(), sales)?;
            let reduction = row.amount_excl_tax.is_sign_negative();
            let problem = row_account_problem_of(&account, side, reduction)?;
            Some(NotBooked::RowAccount {
                row: clean(&row.description),
                account: row
                    .account
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                problem,
                side,
            })
        })
}

/// The document-level discount is spread over natures in proportion to their net amounts.
fn spread_document_discount(
    doc: &SourceDocument,
    sales: bool,
    net_by_nature: &BTreeMap<NatureKey, Decimal>,
    revenue: &mut [(String, Decimal, String)],
    discounts: &mut BTreeMap<NatureKey, Decimal>,
) {
    if doc.discount_excl_tax.is_zero() {
        return;
    }
    let net_total: Decimal = net_by_nature.values().copied().sum();
    if net_total.is_zero() || !sales {
        let nature = doc.default_nature.unwrap_or(Nature::Services);
        if sales {
            *discounts.entry(NatureKey(nature)).or_default() += doc.discount_excl_tax;
        } else if let Some((_, sum, _)) = revenue.first_mut() {
            // Purchases book net amounts: the discount reduces the purchase account.
            *sum -= doc.discount_excl_tax;
        }
        return;
    }
    let mut remaining = doc.discount_excl_tax;
    let natures: Vec<(NatureKey, Decimal)> = net_by_nature.iter().map(|(k, v)| (*k, *v)).collect();
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

/// VAT per rate, from the document's own totals; adds the rates to `rates`.
fn vat_lines(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    sign: Decimal,
    rates: &mut Vec<Decimal>,
    lines: &mut Vec<Draft>,
) -> Result<(), MappingError> {
    let vat_accounts = if doc.source.kind.is_sales() {
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
                document: doc.number.clone(),
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
    Ok(())
}

/// Self-assessed VAT, CGI art. 283-2 (reverse charge) and art. 256 bis (intra-community):
/// on a purchase, deductible VAT on the debit side and VAT due on the credit side, both basis ×
/// rate to the cent, so the supplier's line stays the invoice's total; credit notes mirror it.
/// The rate is the invoice's when it states one, else `vat.self_assessed.rate`.
fn self_assessed_lines(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    sign: Decimal,
    lines: &mut Vec<Draft>,
) -> Result<(), MappingError> {
    if doc.source.kind.is_sales() {
        return Ok(());
    }
    let settings = &cfg.vat.self_assessed;
    for item in &doc.self_assessed_vat {
        let rate = item.rate.unwrap_or(settings.rate).normalize();
        let amount = round_cents(item.basis * rate / Decimal::ONE_HUNDRED);
        if amount.is_zero() {
            continue;
        }
        let (deductible, due) = settings
            .accounts(item.regime, rate, &cfg.vat.purchases)
            .ok_or_else(|| MappingError::MissingVatAccount {
                document: doc.number.clone(),
                rate: rate.to_string(),
            })?;
        let (what, due_what) = match item.regime {
            SelfAssessment::IntraCommunity => (
                "TVA intracommunautaire déductible",
                "TVA due intracommunautaire",
            ),
            SelfAssessment::ReverseCharge => {
                ("TVA autoliquidée déductible", "TVA autoliquidée due")
            }
        };
        let pct = rate.to_string().replace('.', ",");
        for (account, description, signed) in [
            (deductible, what, sign * amount),
            (due, due_what, -sign * amount),
        ] {
            lines.push(Draft {
                account: account.to_string(),
                auxiliary: None,
                description: format!("{description} {pct} %"),
                signed,
                role: Role::Vat,
            });
        }
    }
    Ok(())
}

/// Balance: what is left after rounding every line goes to the rounding accounts (658x debit,
/// 758x credit) when it is within the tolerance, else the document is refused. VAT lines are never
/// touched: the VAT booked per rate is the document's. The tolerance counts the non-zero rates
/// (each VAT total is rounded once; a 0 % rate has no VAT line to round), at least one.
fn balance(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    sign: Decimal,
    total: Decimal,
    rates: &[Decimal],
    lines: &mut Vec<Draft>,
) -> Result<(), MappingError> {
    let residual: Decimal = lines.iter().map(|l| l.signed).sum();
    if residual.is_zero() {
        return Ok(());
    }
    let taxed = rates.iter().filter(|r| !r.is_zero()).count();
    let tolerance = cfg.rounding.tolerance_per_rate * Decimal::from(taxed.max(1));
    if residual.abs() > tolerance {
        return Err(MappingError::GapAboveTolerance {
            document: doc.number.clone(),
            total: format_dot(total),
            lines: format_dot(total + sign * residual),
            gap: format_dot(residual.abs()),
            tolerance: format_dot(tolerance),
        });
    }
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
    Ok(())
}

/// The entry: labels by the dossier's option, the journal of the document's kind, its PDF.
fn entry(
    doc: &SourceDocument,
    cfg: &DossierConfig,
    lines: Vec<Draft>,
) -> Result<LedgerEntry, MappingError> {
    let kind = doc.source.kind;
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
                account_label: account_name(cfg, &l.account),
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
    Ok(LedgerEntry::new(header, entry_lines)?)
}
