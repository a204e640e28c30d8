//! Property test: 10,000 random invoices and credit notes (up to 14 rows; rates 20, 10, 5.5, 2.1
//! and 0; row and document discounts; quantities with 3 decimals, unit prices with 4, row amounts
//! with 2 to 4 decimals). Every entry balances to the cent and its third-party line equals the
//! document's total including tax; a total that is off beyond the tolerance is refused with the
//! right figures, never booked; the VAT booked per account is exactly the document's per-rate VAT
//! (a rounding gap never touches it).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use domain::auxcode::AuxCodes;
use domain::mapping::{Mapped, MappingError, map_document};
use domain::money::round_cents;
use domain::testkit::{TotalFlavor, arb_document, example_config};
use domain::{DocumentKind, SourceDocument};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rust_decimal::Decimal;

const CASES: u32 = 10_000;

#[derive(Default)]
struct Seen {
    entries: AtomicUsize,
    credit_notes: AtomicUsize,
    with_658: AtomicUsize,
    with_758: AtomicUsize,
    with_discount: AtomicUsize,
    refused_wrong_total: AtomicUsize,
    refused_rounding: AtomicUsize,
    fallback_account: AtomicUsize,
}

/// How many non-zero VAT rates the document carries: the tolerance is 0.01 per rate (a 0 % rate
/// has no VAT line to round), at least 0.01.
fn rates_on(doc: &SourceDocument) -> usize {
    let mut rates: Vec<Decimal> = doc
        .rows
        .iter()
        .filter(|r| r.kind.carries_money() && !r.optional)
        .map(|r| r.tax_rate.normalize())
        .collect();
    rates.extend(doc.taxes.iter().map(|t| t.rate.normalize()));
    rates.retain(|r| !r.is_zero());
    rates.sort();
    rates.dedup();
    rates.len().max(1)
}

/// The VAT an entry books per VAT account (credit minus debit), and the one the document
/// declares per rate, mapped to the same accounts.
fn vat_booked_and_declared(
    doc: &SourceDocument,
    entry: &domain::LedgerEntry,
    cfg: &domain::config::DossierConfig,
) -> (BTreeMap<String, Decimal>, BTreeMap<String, Decimal>) {
    let mut booked = BTreeMap::new();
    for l in entry
        .lines()
        .iter()
        .filter(|l| l.account.starts_with("4457"))
    {
        *booked.entry(l.account.clone()).or_insert(Decimal::ZERO) += l.credit - l.debit;
    }
    let sign = if doc.source.kind == DocumentKind::SalesCreditNote {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let mut per_rate: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    for t in &doc.taxes {
        *per_rate.entry(t.rate.normalize()).or_default() += t.amount;
    }
    let mut declared = BTreeMap::new();
    for (rate, amount) in per_rate {
        let amount = round_cents(amount);
        if !amount.is_zero() {
            *declared
                .entry(cfg.vat.sales[&rate].clone())
                .or_insert(Decimal::ZERO) += sign * amount;
        }
    }
    booked.retain(|_, v: &mut Decimal| !v.is_zero());
    declared.retain(|_, v: &mut Decimal| !v.is_zero());
    (booked, declared)
}

fn check(seen: &Seen) -> Result<(), String> {
    let cfg = example_config();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    // One registry for all cases, so auxiliary codes of 200 parties collide and get suffixes.
    let aux = std::cell::RefCell::new(AuxCodes::new(cfg.auxiliary.length));
    runner
        .run(&arb_document(), |(doc, flavor)| {
            let total = round_cents(doc.totals.incl_tax);
            let tolerance = cfg.rounding.tolerance_per_rate * Decimal::from(rates_on(&doc));
            match map_document(&doc, &cfg, &mut aux.borrow_mut()) {
                Ok(Mapped::Entry(entry)) => {
                    prop_assert_ne(flavor, TotalFlavor::Wrong, "a wrong total was booked")?;
                    seen.entries.fetch_add(1, Relaxed);
                    // Balanced to the cent, every amount in cents and on one side.
                    let (debit, credit) = (entry.total_debit(), entry.total_credit());
                    if debit != credit {
                        return Err(TestCaseError::fail(format!("unbalanced {debit} / {credit}")));
                    }
                    for l in entry.lines() {
                        if round_cents(l.debit) != l.debit || round_cents(l.credit) != l.credit {
                            return Err(TestCaseError::fail("amount not in cents"));
                        }
                        if l.debit.is_sign_negative() || l.credit.is_sign_negative() {
                            return Err(TestCaseError::fail("negative amount"));
                        }
                    }
                    // The third-party line carries the total including tax, on the right side.
                    let third: Vec<_> = entry
                        .lines()
                        .iter()
                        .filter(|l| l.account.starts_with("411"))
                        .collect();
                    if third.len() != 1 {
                        return Err(TestCaseError::fail(format!("{} third-party lines", third.len())));
                    }
                    let tp = third[0];
                    let credit_note = doc.source.kind == DocumentKind::SalesCreditNote;
                    let (owed, other) = if credit_note == total.is_sign_negative() {
                        (tp.debit, tp.credit)
                    } else {
                        (tp.credit, tp.debit)
                    };
                    if owed != total.abs() || !other.is_zero() {
                        return Err(TestCaseError::fail(format!(
                            "third-party line {}/{} for a total of {total}",
                            tp.debit, tp.credit
                        )));
                    }
                    if tp.auxiliary.is_none() {
                        prop_assert_eq_str(&tp.account, "4111DIVERS")?;
                        seen.fallback_account.fetch_add(1, Relaxed);
                    }
                    // A rounding line only ever carries a gap within the tolerance.
                    for l in entry.lines() {
                        if (l.account == "658000" || l.account == "758000")
                            && l.debit.max(l.credit) > tolerance
                        {
                            return Err(TestCaseError::fail("rounding above tolerance"));
                        }
                    }
                    // Booked VAT per rate is the document's VAT, whatever the rounding gap.
                    let (booked, declared) = vat_booked_and_declared(&doc, &entry, &cfg);
                    if booked != declared {
                        return Err(TestCaseError::fail(format!("VAT booked {booked:?}, declared {declared:?}")));
                    }
                    if credit_note {
                        seen.credit_notes.fetch_add(1, Relaxed);
                    }
                    if entry.lines().iter().any(|l| l.account == "658000") {
                        seen.with_658.fetch_add(1, Relaxed);
                    }
                    if entry.lines().iter().any(|l| l.account == "758000") {
                        seen.with_758.fetch_add(1, Relaxed);
                    }
                    if entry.lines().iter().any(|l| l.account.starts_with("709")) {
                        seen.with_discount.fetch_add(1, Relaxed);
                    }
                    Ok(())
                }
                Ok(Mapped::NotBooked(reason)) => {
                    // Only a zero total may be left aside here (generated documents are finalized,
                    // in scope, with a PDF and no exclusion word).
                    if total.is_zero() {
                        Ok(())
                    } else {
                        Err(TestCaseError::fail(format!("not booked: {reason:?}")))
                    }
                }
                Err(MappingError::GapAboveTolerance { gap, tolerance: shown, total: t, .. }) => {
                    let gap: Decimal = gap.parse().unwrap();
                    if gap <= tolerance || shown != format!("{tolerance:.2}") || t != format!("{total:.2}") {
                        return Err(TestCaseError::fail(format!(
                            "refused a gap of {gap} with tolerance {tolerance} (shown {shown}, total {t})"
                        )));
                    }
                    if flavor == TotalFlavor::Wrong {
                        seen.refused_wrong_total.fetch_add(1, Relaxed);
                    } else {
                        seen.refused_rounding.fetch_add(1, Relaxed);
                    }
                    Ok(())
                }
                Err(e) => Err(TestCaseError::fail(format!("unexpected error: {e}"))),
            }
        })
        .map_err(|e| e.to_string())
}

fn prop_assert_ne(a: TotalFlavor, b: TotalFlavor, what: &str) -> Result<(), TestCaseError> {
    if a == b {
        Err(TestCaseError::fail(what.to_string()))
    } else {
        Ok(())
    }
}

fn prop_assert_eq_str(a: &str, b: &str) -> Result<(), TestCaseError> {
    if a == b {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!("{a} != {b}")))
    }
}

fn report(seen: &Seen) -> [usize; 8] {
    let v = [
        seen.entries.load(Relaxed),
        seen.credit_notes.load(Relaxed),
        seen.with_658.load(Relaxed),
        seen.with_758.load(Relaxed),
        seen.with_discount.load(Relaxed),
        seen.refused_wrong_total.load(Relaxed),
        seen.refused_rounding.load(Relaxed),
        seen.fallback_account.load(Relaxed),
    ];
    println!(
        "{CASES} documents: {} entries ({} credit notes, {} with 658, {} with 758, {} with 709x discounts, {} on the fallback account); refused: {} wrong totals, {} rounding gaps above tolerance",
        v[0], v[1], v[2], v[3], v[4], v[7], v[5], v[6]
    );
    v
}

#[test]
fn ten_thousand_documents_balance_with_rounding_accounts() {
    let seen = Seen::default();
    check(&seen).unwrap();
    let [
        entries,
        credit_notes,
        d658,
        d758,
        discounts,
        wrong,
        refused,
        fallback,
    ] = report(&seen);
    // The generator really exercised every path.
    assert!(entries > 8_000, "{entries}");
    assert!(credit_notes > 1_000);
    assert!(d658 > 100 && d758 > 100, "658: {d658}, 758: {d758}");
    assert!(discounts > 1_000);
    assert!(
        wrong > 500,
        "wrong totals must be generated and refused: {wrong}"
    );
    assert!(fallback > 100);
    // Honest rounding (row amounts with up to 4 decimals) rarely exceeds 0.01 per rate.
    assert!(refused * 100 < entries, "too many refusals: {refused}");
}
