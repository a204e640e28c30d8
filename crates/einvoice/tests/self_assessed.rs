//! Self-assessed VAT (issue 19): a purchase e-invoice whose VAT breakdown is of category AE
//! (reverse charge, CGI art. 283-2) or K (intra-community acquisition, CGI art. 256 bis) carries
//! no VAT, and the French buyer books it both ways: deductible VAT on the debit side, VAT due on
//! the credit side, base × rate, the supplier's 401 line staying the invoice's total. E, G and O
//! rows stay without VAT. The invoices are the generator's, in the categories' own form (0 %,
//! the VATEX reason code, both VAT ids, K's delivery), which tests/generated.rs has the
//! independent validator accept.

mod support;

use domain::LedgerEntry;
use domain::config::DossierConfig;
use einvoice::Side;
use rust_decimal::Decimal;
use support::forge::{Cat, Kind, Level, Party, Spec, line};
use support::xmlout;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The spec written in its syntax, every exempt (E) line and allowance put in `cat`.
fn xml(spec: &Spec, cat: Cat) -> String {
    let mut spec = spec.clone();
    for l in &mut spec.lines {
        if l.cat == Cat::E {
            l.cat = cat;
        }
    }
    if cat == Cat::K {
        spec.delivery = Some(support::forge::Delivery {
            date: "2026-09-10".into(),
            country: "FR".into(),
        });
    }
    xmlout::write(&spec)
}

/// Reads, checks, maps and books the XML on `side`.
fn book(text: &str, side: Side, cfg: &DossierConfig) -> (einvoice::Invoice, LedgerEntry) {
    let file = support::expect_einvoice(text.as_bytes(), "facture.xml");
    let (inv, booked) = support::book(&file, side, cfg);
    (inv, booked.entry)
}

/// (account, debit, credit) of every line, in order.
fn lines(entry: &LedgerEntry) -> Vec<(String, Decimal, Decimal)> {
    entry
        .lines()
        .iter()
        .map(|l| (l.account.clone(), l.debit, l.credit))
        .collect()
}

fn expect(rows: &[(&str, &str, &str)]) -> Vec<(String, Decimal, Decimal)> {
    rows.iter()
        .map(|(a, dr, cr)| (a.to_string(), d(dr), d(cr)))
        .collect()
}

fn assert_balanced(entry: &LedgerEntry, inv: &einvoice::Invoice) {
    let debit: Decimal = entry.lines().iter().map(|l| l.debit).sum();
    let credit: Decimal = entry.lines().iter().map(|l| l.credit).sum();
    assert_eq!(debit, credit, "{entry:#?}");
    let supplier: Vec<_> = entry
        .lines()
        .iter()
        .filter(|l| l.account == "401000")
        .collect();
    assert_eq!(supplier.len(), 1);
    assert!(supplier[0].auxiliary.is_some());
    let total = supplier[0].credit.max(supplier[0].debit);
    assert_eq!(
        Some(total),
        inv.totals.grand_total,
        "the 401 is the invoice total"
    );
}

/// A subcontractor's CII invoice (Factur-X EN 16931): the works under reverse charge (AE),
/// scaffolding hire at 20 %.
fn subcontracting() -> Spec {
    let mut spec = Spec::typical(Kind::Cii(Level::En16931));
    spec.number = "ST-2026-118".into();
    spec.seller = Party::french("Maçonnerie Leroy SARL", "732829320");
    spec.lines = vec![
        line("Gros œuvre lot 2", "1", "10000.00", Cat::E, Some("604000")),
        line(
            "Location d'échafaudage",
            "1",
            "500.00",
            Cat::S(2000),
            Some("613500"),
        ),
    ];
    spec.allowances_charges.clear();
    spec.buyer_account = None;
    spec
}

#[test]
fn a_reverse_charge_invoice_books_deductible_and_due_vat_at_20_percent() {
    let cfg = support::dossier();
    let (inv, entry) = book(&xml(&subcontracting(), Cat::AE), Side::Purchase, &cfg);
    assert_eq!(inv.totals.grand_total, Some(d("10600.00")));
    assert_eq!(
        lines(&entry),
        expect(&[
            ("401000", "0", "10600.00"),
            ("604000", "10000.00", "0"),
            ("613500", "500.00", "0"),
            ("445660", "100.00", "0"),
            // AE at 0 % on the invoice: the dossier's rate, 20 %, on vat.purchases' 20 % account.
            ("445660", "2000.00", "0"),
            ("4457", "0", "2000.00"),
        ])
    );
    assert_balanced(&entry, &inv);
    let due = entry.lines().iter().find(|l| l.account == "4457").unwrap();
    assert_eq!(due.account_label, "TVA autoliquidée");
}

#[test]
fn the_dossier_sets_the_reverse_charge_rate_and_accounts() {
    let mut cfg = support::dossier();
    cfg.vat.self_assessed.rate = d("10");
    cfg.vat.self_assessed.reverse_charge_deductible = Some("445664".into());
    cfg.vat.self_assessed.reverse_charge_due = "445740".into();
    let (inv, entry) = book(&xml(&subcontracting(), Cat::AE), Side::Purchase, &cfg);
    let got = lines(&entry);
    assert_eq!(
        got[4..],
        expect(&[("445664", "1000.00", "0"), ("445740", "0", "1000.00")])[..]
    );
    assert_balanced(&entry, &inv);
}

/// A German supplier's UBL invoice of goods delivered to France (K).
fn acquisition(kind: Kind) -> Spec {
    let mut spec = Spec::typical(kind);
    spec.number = "RE-2026-0917".into();
    spec.seller = Party::foreign(
        "Maschinenbau Schmidt GmbH",
        "732829320",
        "DE811907980",
        "DE",
    );
    spec.lines = vec![line("Pièces usinées", "2", "1250.00", Cat::E, None)];
    spec.allowances_charges.clear();
    spec.buyer_account = None;
    spec
}

#[test]
fn an_intra_community_acquisition_books_445662_and_4452() {
    let cfg = support::dossier();
    let text = xml(&acquisition(Kind::UblInvoice), Cat::K);
    let (inv, entry) = book(&text, Side::Purchase, &cfg);
    assert_eq!(inv.totals.grand_total, Some(d("2500.00")));
    assert_eq!(
        lines(&entry),
        expect(&[
            ("401000", "0", "2500.00"),
            ("607000", "2500.00", "0"),
            ("445662", "500.00", "0"),
            ("4452", "0", "500.00"),
        ])
    );
    assert_balanced(&entry, &inv);
    let labels: Vec<&str> = entry.lines()[2..]
        .iter()
        .map(|l| l.account_label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "TVA intracommunautaire déductible",
            "TVA due intracommunautaire"
        ]
    );
}

#[test]
fn a_credit_note_of_an_acquisition_mirrors_the_self_assessed_vat() {
    let cfg = support::dossier();
    let text = xml(&acquisition(Kind::UblCreditNote), Cat::K);
    let (inv, entry) = book(&text, Side::Purchase, &cfg);
    assert_eq!(
        lines(&entry),
        expect(&[
            ("401000", "2500.00", "0"),
            ("607000", "0", "2500.00"),
            ("445662", "0", "500.00"),
            ("4452", "500.00", "0"),
        ])
    );
    assert_balanced(&entry, &inv);
}

#[test]
fn the_seller_self_assesses_nothing_and_e_g_o_stay_without_vat() {
    let cfg = support::dossier();
    let self_assessed = ["445662", "4452", "4457"];
    let text = xml(&acquisition(Kind::UblInvoice), Cat::K);
    let (_, entry) = book(&text, Side::Sales, &cfg);
    assert!(
        entry
            .lines()
            .iter()
            .all(|l| !self_assessed.contains(&l.account.as_str())),
        "{entry:#?}"
    );
    for cat in [Cat::E, Cat::G, Cat::O] {
        let code = cat.code();
        let text = xml(&acquisition(Kind::Cii(Level::En16931)), cat);
        let file = support::expect_einvoice(text.as_bytes(), "facture.xml");
        let inv = einvoice::read(&file).unwrap();
        let mapped =
            einvoice::to_source_document(&inv, Side::Purchase, &support::options(&cfg)).unwrap();
        assert!(mapped.document.self_assessed_vat.is_empty(), "{code}");
        let (_, entry) = book(&text, Side::Purchase, &cfg);
        assert_eq!(
            lines(&entry),
            expect(&[("401000", "0", "2500.00"), ("607000", "2500.00", "0")]),
            "{code}"
        );
    }
}
