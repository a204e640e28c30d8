//! Issue 17, acceptance 2: over 10,000 random purchase invoices and supplier credit notes, as
//! Sellsy's purchases journal writes them (several VAT rates, line and document discounts,
//! amounts with more decimals than cents), rebuilt by the connector and booked in both modes:
//! every entry is balanced to the cent, the supplier's line is the total including tax, and the
//! deductible VAT booked per rate (4456x of `vat.purchases`) is the document's. Lines in
//! thousandths of a euro are rebuilt and booked in mode `documents` (the rounding accounts
//! take the cent); mode `journal` copies cents only, as Sellsy's journal has them.

use std::collections::BTreeMap;

use domain::auxcode::AuxCodes;
use domain::config::{DossierConfig, Mode, RoundingTarget, Scope};
use domain::mapping::{Mapped, map_document, map_journal};
use domain::{DocumentKind, LedgerEntry, Side, SourceJournalLine, SourceRef};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use sellsy::convert::{self, Notes, PurchaseHead, Refs};

const RATES: &[&str] = &["20", "10", "5.5", "2.1", "0"];
const EXPENSES: &[&str] = &["607000", "604000", "622600", "626000", "613200"];

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Deductible-VAT account of each rate in the dossier and at Sellsy (`shared`: Sellsy books
/// every rate on 445660, so only the amounts tell the rate).
fn vat_account(rate: &str, shared: bool) -> String {
    if shared {
        return "445660".into();
    }
    match rate {
        "20" => "445662",
        "10" => "445663",
        "5.5" => "445664",
        "2.1" => "445665",
        _ => "445669",
    }
    .into()
}

fn config() -> DossierConfig {
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Purchases;
    cfg.sync_without_pdf = true;
    cfg.rounding.target = RoundingTarget::Accounts;
    cfg.vat.purchases = RATES
        .iter()
        .map(|r| (dec(r).normalize(), vat_account(r, false)))
        .collect();
    cfg
}

#[derive(Debug, Clone)]
struct Spec {
    credit_note: bool,
    supplier: Option<u32>,
    aux: Option<String>,
    shared_vat: bool,
    /// (expense index, cents, quantity, rate index, line discount in tenths of a percent)
    lines: Vec<(usize, i64, i64, usize, i64)>,
    doc_discount: i64,
    /// One line in thousandths of a euro (Sellsy's unrounded amounts).
    mills: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::bool::weighted(0.3),
        prop::option::of(1u32..500),
        prop::option::of("[A-Z][A-Z0-9]{3,7}"),
        prop::bool::weighted(0.3),
        prop::collection::vec(
            (
                0..EXPENSES.len(),
                500i64..500_000,
                1i64..5,
                0..RATES.len(),
                prop_oneof![3 => Just(0i64), 1 => 1i64..300],
            ),
            1..8,
        ),
        prop_oneof![3 => Just(0i64), 1 => 1i64..150],
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(credit_note, supplier, aux, shared_vat, mut lines, doc_discount, mills)| {
                if shared_vat {
                    // One rate per document when Sellsy books every rate on the same account.
                    let r = lines[0].3;
                    for l in &mut lines {
                        l.3 = r;
                    }
                }
                Spec {
                    credit_note,
                    supplier,
                    aux,
                    shared_vat,
                    lines,
                    doc_discount,
                    mills,
                }
            },
        )
}

/// The purchase as Sellsy's purchases journal has it, with what a person would expect booked:
/// (lines, total including tax, VAT per rate).
fn journal(s: &Spec, n: u64) -> (Vec<SourceJournalLine>, Decimal, BTreeMap<Decimal, Decimal>) {
    let kind = if s.credit_note {
        DocumentKind::PurchaseCreditNote
    } else {
        DocumentKind::PurchaseInvoice
    };
    let document = SourceRef {
        source: "sellsy".into(),
        kind,
        source_id: n.to_string(),
    };
    let hundred = Decimal::ONE_HUNDRED;
    let mut per_account: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut base: BTreeMap<usize, Decimal> = BTreeMap::new();
    for (i, (e, amount, qty, rate, disc)) in s.lines.iter().enumerate() {
        let scale = if s.mills && i == 0 { 3 } else { 2 };
        let gross = Decimal::new(*amount, scale) * Decimal::from(*qty);
        let net = gross - cents(gross * Decimal::new(*disc, 1) / hundred);
        *per_account.entry(EXPENSES[*e]).or_default() += net;
        *base.entry(*rate).or_default() += net;
    }
    let mut discount = Decimal::ZERO;
    let mut vat = BTreeMap::new();
    let mut vat_lines = Vec::new();
    for (rate, b) in &base {
        let d = cents(*b * Decimal::new(s.doc_discount, 1) / hundred);
        discount += d;
        let r = dec(RATES[*rate]);
        let v = cents((*b - d) * r / hundred);
        if !v.is_zero() {
            *vat.entry(r.normalize()).or_insert(Decimal::ZERO) += v;
            vat_lines.push((vat_account(RATES[*rate], s.shared_vat), v));
        }
    }
    let excl: Decimal = per_account.values().copied().sum::<Decimal>() - discount;
    let total = excl + vat.values().copied().sum::<Decimal>();
    let (expense, income) = if s.credit_note {
        (Side::Credit, Side::Debit)
    } else {
        (Side::Debit, Side::Credit)
    };
    let mut lines = Vec::new();
    let mut push = |account: &str, side: Side, amount: Decimal, aux: Option<String>| {
        if amount.is_zero() {
            return;
        }
        let (side, amount) = if amount.is_sign_negative() {
            (
                if side == Side::Debit {
                    Side::Credit
                } else {
                    Side::Debit
                },
                -amount,
            )
        } else {
            (side, amount)
        };
        lines.push(SourceJournalLine {
            id: format!("{n}-{}", lines.len()),
            journal: "PURCHASES".into(),
            date: "2026-05-12".parse().unwrap(),
            account: account.into(),
            account_label: None,
            auxiliary_code: aux,
            label: format!("Facture fournisseur n°F-{n}"),
            side,
            amount,
            document: document.clone(),
            document_number: format!("F-{n}"),
            party_name: Some(format!("Fournisseur {}", s.supplier.unwrap_or(0))),
            currency: "EUR".into(),
        });
    };
    push("401000", income, total, s.aux.clone());
    for (account, amount) in &per_account {
        push(account, expense, *amount, None);
    }
    push("609000", income, discount, None);
    for (account, v) in vat_lines {
        push(&account, expense, v, None);
    }
    (lines, total, vat)
}

fn refs(shared: bool) -> Refs {
    let mut refs = Refs::default();
    for (i, r) in RATES.iter().enumerate() {
        refs.tax_rates.insert(i as i64 + 1, dec(r));
        refs.add_deductible(&vat_account(r, shared), dec(r));
    }
    refs
}

/// The figures every entry must show, whichever mode built it.
fn check(
    entry: &LedgerEntry,
    cfg: &DossierConfig,
    credit_note: bool,
    total: Decimal,
    vat: &BTreeMap<Decimal, Decimal>,
    by_rate: bool,
) {
    let (debit, credit) = (entry.total_debit(), entry.total_credit());
    assert_eq!(debit, credit, "unbalanced: {entry:?}");
    for l in entry.lines() {
        assert_eq!(l.debit, cents(l.debit));
        assert_eq!(l.credit, cents(l.credit));
    }
    let supplier: Vec<_> = entry
        .lines()
        .iter()
        .filter(|l| l.account.starts_with("401"))
        .collect();
    assert_eq!(supplier.len(), 1, "{entry:?}");
    let s = supplier[0];
    let signed = if credit_note {
        s.debit - s.credit
    } else {
        s.credit - s.debit
    };
    assert_eq!(signed, cents(total), "supplier line: {entry:?}");
    assert!(
        s.account == cfg.accounts.suppliers && s.auxiliary.is_some()
            || s.account == cfg.accounts.supplier_fallback && s.auxiliary.is_none()
            || !by_rate,
        "{s:?}"
    );
    if by_rate {
        for (rate, amount) in vat {
            let account = &cfg.vat.purchases[rate];
            let booked: Decimal = entry
                .lines()
                .iter()
                .filter(|l| &l.account == account)
                .map(|l| {
                    if credit_note {
                        l.credit - l.debit
                    } else {
                        l.debit - l.credit
                    }
                })
                .sum();
            assert_eq!(booked, cents(*amount), "VAT {rate} %: {entry:?}");
        }
    } else {
        let booked: Decimal = entry
            .lines()
            .iter()
            .filter(|l| l.account.starts_with("4456"))
            .map(|l| {
                if credit_note {
                    l.credit - l.debit
                } else {
                    l.debit - l.credit
                }
            })
            .sum();
        assert_eq!(booked, vat.values().copied().sum::<Decimal>());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn every_purchase_books_balanced_with_the_supplier_total_and_the_vat_per_rate(s in spec(), n in 1u64..1_000_000) {
        let cfg = config();
        let (lines, total, vat) = journal(&s, n);
        let head = PurchaseHead {
            subject: Some("Achats".into()),
            link: None,
            party_kind: Some(domain::PartyKind::Company),
            party_id: s.supplier.map(i64::from),
            party_name: Some(format!("Fournisseur {}", s.supplier.unwrap_or(0))),
            party_reference: None,
        };
        let source = lines[0].document.clone();
        let mut notes = Notes::default();
        let doc = convert::purchase_document(source, None, &head, &lines, &refs(s.shared_vat), true, None, &mut notes)
            .unwrap_or_else(|u| panic!("{}: {lines:#?}", u.reason));
        prop_assert_eq!(doc.totals.incl_tax, total);
        let mut doc_vat: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        for t in &doc.taxes {
            *doc_vat.entry(t.rate.normalize()).or_default() += t.amount;
        }
        prop_assert_eq!(&doc_vat, &vat);
        // Mode documents: the dossier's rules.
        let mut aux = AuxCodes::new(cfg.auxiliary.length);
        let entry = match map_document(&doc, &cfg, &mut aux) {
            Ok(Mapped::Entry(e)) => e,
            other => panic!("{other:?}: {doc:#?}"),
        };
        check(&entry, &cfg, s.credit_note, total, &vat, true);
        prop_assert_eq!(&entry.journal_code, &cfg.journals.purchases.code);
        // Mode journal: Sellsy's lines as they are (in cents, as Sellsy writes its journal: an
        // unrounded line would be copied unbalanced, which the entry refuses).
        if s.mills {
            return Ok(());
        }
        let mut journal_cfg = cfg.clone();
        journal_cfg.mode = Mode::Journal;
        let mut aux = AuxCodes::new(cfg.auxiliary.length);
        let copied = map_journal(&lines, &journal_cfg, &mut aux);
        prop_assert_eq!(copied.len(), 1);
        let entry = copied[0].1.as_ref().unwrap_or_else(|e| panic!("{e}: {lines:#?}"));
        check(entry, &journal_cfg, s.credit_note, total, &vat, false);
        prop_assert_eq!(entry.journal_code.as_str(), "PURC");
    }
}
