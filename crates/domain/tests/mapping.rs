//! The mapping rules, one by one.

use chrono::NaiveDate;
use domain::auxcode::AuxCodes;
use domain::config::DossierConfig;
use domain::mapping::{Mapped, MappingError, NotBooked, map_document, map_journal};
use domain::testkit::{example_config, sellsy_example_invoice};
use domain::{
    DocumentKind, DocumentStatus, LedgerEntry, Nature, Row, RowKind, Side, SourceDocument,
    SourceJournalLine, SourceRef,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn map(doc: &SourceDocument, cfg: &DossierConfig) -> Result<Mapped, MappingError> {
    map_document(doc, cfg, &mut AuxCodes::new(cfg.auxiliary.length))
}

fn entry(doc: &SourceDocument, cfg: &DossierConfig) -> LedgerEntry {
    match map(doc, cfg) {
        Ok(Mapped::Entry(e)) => e,
        other => panic!("expected an entry, got {other:?}"),
    }
}

/// (account, debit, credit) of every line.
fn amounts(e: &LedgerEntry) -> Vec<(String, Decimal, Decimal)> {
    e.lines()
        .iter()
        .map(|l| (l.account.clone(), l.debit, l.credit))
        .collect()
}

fn row(kind: RowKind, amount: Decimal, rate: Decimal, nature: Option<Nature>) -> Row {
    Row {
        kind,
        description: "Ligne".into(),
        reference: None,
        quantity: Decimal::ONE,
        unit_price: amount,
        discount_excl_tax: Decimal::ZERO,
        amount_excl_tax: amount,
        tax_rate: rate,
        tax_amount: amount * rate / dec!(100),
        account: None,
        nature,
        optional: false,
    }
}

#[test]
fn a_credit_note_mirrors_the_invoice_in_its_own_journal() {
    let cfg = example_config();
    let invoice = entry(&sellsy_example_invoice(), &cfg);
    let mut doc = sellsy_example_invoice();
    doc.source.kind = DocumentKind::SalesCreditNote;
    doc.number = "AV-2026-0007".into();
    let credit = entry(&doc, &cfg);
    assert_eq!(credit.journal_code, "AV");
    assert_eq!(credit.label, "Avoir AV-2026-0007 - Dupont SARL");
    let mirrored: Vec<_> = amounts(&invoice)
        .into_iter()
        .map(|(a, d, c)| (a, c, d))
        .collect();
    assert_eq!(amounts(&credit), mirrored);
}

#[test]
fn optional_and_non_money_rows_are_ignored() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    let mut optional = row(RowKind::Single, dec!(999), dec!(20), None);
    optional.optional = true;
    doc.rows.push(optional);
    for kind in [
        RowKind::Comment,
        RowKind::Title,
        RowKind::SubTotal,
        RowKind::Break,
    ] {
        doc.rows.push(row(kind, dec!(425), dec!(0), None));
    }
    assert_eq!(
        amounts(&entry(&doc, &cfg)),
        amounts(&entry(&sellsy_example_invoice(), &cfg))
    );
}

#[test]
fn rows_group_by_their_own_account_else_by_nature() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.rows[0].account = Some("706100".into());
    let mut extra = row(RowKind::Catalog, dec!(50), dec!(20), Some(Nature::Services));
    extra.account = Some("706100".into());
    doc.rows.push(extra);
    doc.taxes[0].amount = dec!(70.00);
    doc.totals.incl_tax = dec!(551.88);
    let e = entry(&doc, &cfg);
    assert_eq!(
        amounts(&e),
        vec![
            ("411000".into(), dec!(551.88), dec!(0)),
            ("706100".into(), dec!(0), dec!(350.00)),
            ("707000".into(), dec!(0), dec!(125.00)),
            ("445711".into(), dec!(0), dec!(70.00)),
            ("445713".into(), dec!(0), dec!(6.88)),
        ]
    );
    assert_eq!(e.lines()[1].account_label, "Prestations de services");
}

#[test]
fn discounts_go_to_7097_on_goods_and_7096_on_services() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    // Row discount of 30 on the service row: net 270, VAT 54.
    doc.rows[0].discount_excl_tax = dec!(30);
    doc.rows[0].amount_excl_tax = dec!(270);
    // Document discount of 39.50, spread over net amounts: 270 services / 125 goods.
    doc.discount_excl_tax = dec!(39.50);
    let services_share = dec!(27.00); // 39.50 * 270 / 395
    let goods_share = dec!(12.50);
    doc.taxes[0].amount = dec!(48.60); // (270 - 27) * 20 %
    doc.taxes[1].amount = dec!(6.19); // (125 - 12.50) * 5.5 % = 6.1875
    doc.totals.excl_tax = dec!(355.50);
    doc.totals.incl_tax = dec!(410.29);
    let e = entry(&doc, &cfg);
    assert_eq!(
        amounts(&e),
        vec![
            ("411000".into(), dec!(410.29), dec!(0)),
            ("706000".into(), dec!(0), dec!(300.00)),
            ("707000".into(), dec!(0), dec!(125.00)),
            ("709700".into(), goods_share, dec!(0)),
            ("709600".into(), dec!(30) + services_share, dec!(0)),
            ("445711".into(), dec!(0), dec!(48.60)),
            ("445713".into(), dec!(0), dec!(6.19)),
        ]
    );
}

#[test]
fn a_cent_gap_goes_to_758_or_658_and_a_larger_one_is_refused_with_figures() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.totals.incl_tax = dec!(491.89);
    let e = entry(&doc, &cfg);
    assert_eq!(e.lines().last().unwrap().account, "758000");
    assert_eq!(e.lines().last().unwrap().credit, dec!(0.01));
    assert_eq!(e.lines().last().unwrap().label, "Écart d'arrondi");

    doc.totals.incl_tax = dec!(491.86); // 2 cents: within 0.01 x 2 rates
    let e = entry(&doc, &cfg);
    assert_eq!(e.lines().last().unwrap().account, "658000");
    assert_eq!(e.lines().last().unwrap().debit, dec!(0.02));

    doc.totals.incl_tax = dec!(491.85);
    let err = map(&doc, &cfg).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FACT-2026-00042: lines do not balance after rounding to the cent: total including tax 491.85, revenue and VAT net 491.88, gap 0.03 is above the tolerance of 0.02"
    );
    assert!(err.action().contains("check the document's amounts"));
}

#[test]
fn parties_without_a_usable_name_go_to_the_fallback_account() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.party.auxiliary_code = None;
    doc.party.name = "123 !".into();
    let e = entry(&doc, &cfg);
    assert_eq!(e.lines()[0].account, "4111DIVERS");
    assert!(e.lines()[0].auxiliary.is_none());
    doc.party.name = "Dupont SARL".into();
    let e = entry(&doc, &cfg);
    assert_eq!(e.lines()[0].account, "411000");
    assert_eq!(e.lines()[0].auxiliary.as_ref().unwrap().code, "DUPONT");
}

#[test]
fn documents_that_must_not_be_booked_say_why_and_what_to_do() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.subject = "Extension de garantie".into();
    assert_eq!(
        map(&doc, &cfg).unwrap(),
        Mapped::NotBooked(NotBooked::Excluded {
            word: "Garantie".into()
        })
    );
    let mut doc = sellsy_example_invoice();
    doc.status = DocumentStatus::Draft;
    assert!(matches!(
        map(&doc, &cfg).unwrap(),
        Mapped::NotBooked(NotBooked::NotFinalized { .. })
    ));
    let mut doc = sellsy_example_invoice();
    doc.pdf = None;
    match map(&doc, &cfg).unwrap() {
        Mapped::NotBooked(reason) => {
            assert!(reason.is_hold());
            assert!(reason.action().contains("sync_without_pdf"));
        }
        other => panic!("{other:?}"),
    }
    let mut lenient = example_config();
    lenient.sync_without_pdf = true;
    assert!(matches!(map(&doc, &lenient).unwrap(), Mapped::Entry(_)));
    let mut doc = sellsy_example_invoice();
    doc.source.kind = DocumentKind::PurchaseInvoice;
    assert!(matches!(
        map(&doc, &cfg).unwrap(),
        Mapped::NotBooked(NotBooked::OutOfScope { .. })
    ));
}

#[test]
fn draft_entries_follow_the_dossier_setting() {
    let mut cfg = example_config();
    assert!(!entry(&sellsy_example_invoice(), &cfg).draft);
    cfg.draft_entries = true;
    assert!(entry(&sellsy_example_invoice(), &cfg).draft);
}

#[test]
fn a_rate_without_vat_account_and_a_foreign_currency_are_errors() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.taxes[1].rate = dec!(8.5);
    let err = map(&doc, &cfg).unwrap_err();
    assert_eq!(
        err.to_string(),
        "FACT-2026-00042: no VAT account for the 8.5 % rate"
    );
    assert!(err.action().contains("vat.sales.\"8.5\""));
    let mut doc = sellsy_example_invoice();
    doc.currency = "USD".into();
    assert!(matches!(
        map(&doc, &cfg),
        Err(MappingError::ForeignCurrency { .. })
    ));
}

#[test]
fn purchases_mirror_sales_on_401_and_4456() {
    let mut cfg = example_config();
    cfg.scope = domain::config::Scope::Both;
    let mut doc = sellsy_example_invoice();
    doc.source.kind = DocumentKind::PurchaseInvoice;
    let e = entry(&doc, &cfg);
    assert_eq!(
        amounts(&e),
        vec![
            ("401000".into(), dec!(0), dec!(491.88)),
            ("607000".into(), dec!(425.00), dec!(0)),
            // One VAT line per rate, even on a shared account: the breakdown feeds the VAT return.
            ("445660".into(), dec!(60.00), dec!(0)),
            ("445660".into(), dec!(6.88), dec!(0)),
        ]
    );
    assert_eq!(e.journal_code, "HA");
}

fn jline(
    doc: &str,
    id: &str,
    account: &str,
    aux: Option<&str>,
    side: Side,
    amount: Decimal,
) -> SourceJournalLine {
    SourceJournalLine {
        id: id.into(),
        journal: "Ventes".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        account: account.into(),
        account_label: None,
        auxiliary_code: aux.map(str::to_string),
        label: format!("Facture n°{doc} - Dupont\tSARL"),
        side,
        amount,
        document: SourceRef {
            source: "sellsy".into(),
            kind: DocumentKind::SalesInvoice,
            source_id: doc.into(),
        },
        document_number: format!("F-{doc}"),
        party_name: Some("Dupont SARL".into()),
        currency: "EUR".into(),
    }
}

#[test]
fn journal_mode_groups_lines_by_document_and_keeps_accounts() {
    let cfg = example_config();
    let lines = vec![
        jline(
            "1",
            "a",
            "411000",
            Some("0DUPONT"),
            Side::Debit,
            dec!(491.88),
        ),
        jline("2", "b", "411000", None, Side::Debit, dec!(120)),
        jline("1", "c", "706000", None, Side::Credit, dec!(300)),
        jline("1", "d", "707000", None, Side::Credit, dec!(125)),
        jline("2", "e", "706000", None, Side::Credit, dec!(100)),
        jline("1", "f", "445711", None, Side::Credit, dec!(60)),
        jline("1", "g", "445713", None, Side::Credit, dec!(6.88)),
        jline("2", "h", "445711", None, Side::Credit, dec!(19)),
    ];
    let mut aux = AuxCodes::new(8);
    let out = map_journal(&lines, &cfg, &mut aux);
    assert_eq!(out.len(), 2);
    let first = out[0].1.as_ref().unwrap();
    assert_eq!(out[0].0.source_id, "1");
    assert_eq!(
        first.journal_code, "VENT",
        "first 4 characters of the source journal name"
    );
    assert_eq!(first.lines().len(), 5);
    // Sellsy's "0DUPONT" written by the rule: a code starts with a letter.
    assert_eq!(first.lines()[0].auxiliary.as_ref().unwrap().code, "DUPONT");
    assert_eq!(
        first.lines()[0].label,
        "Facture n°1 - Dupont SARL",
        "tabs stripped"
    );
    assert_eq!(first.total_debit(), dec!(491.88));
    // The second document does not balance (120 vs 119): refused, never produced.
    let err = out[1].1.as_ref().unwrap_err();
    assert_eq!(
        err.to_string(),
        "entry F-2 is unbalanced: debit 120.00, credit 119.00 (difference 1.00)"
    );
}

#[test]
fn journal_mode_derives_missing_auxiliary_codes_from_the_party_name() {
    let cfg = example_config();
    let lines = vec![
        jline("9", "a", "411000", None, Side::Debit, dec!(12)),
        jline("9", "b", "706000", None, Side::Credit, dec!(10)),
        jline("9", "c", "445711", None, Side::Credit, dec!(2)),
    ];
    let out = map_journal(&lines, &cfg, &mut AuxCodes::new(8));
    let e = out[0].1.as_ref().unwrap();
    let aux = e.lines()[0].auxiliary.as_ref().unwrap();
    assert_eq!(
        (aux.code.as_str(), aux.label.as_str()),
        ("DUPONT", "Dupont SARL")
    );
    assert!(e.lines()[1].auxiliary.is_none());
}

/// A purchase of 333.33 invoiced without VAT, self-assessed as given.
fn self_assessed_purchase(items: Vec<domain::SelfAssessedVat>) -> SourceDocument {
    let mut doc = sellsy_example_invoice();
    doc.source.kind = DocumentKind::PurchaseInvoice;
    doc.rows = vec![row(RowKind::Single, dec!(333.33), Decimal::ZERO, None)];
    doc.taxes.clear();
    doc.totals.excl_tax = dec!(333.33);
    doc.totals.incl_tax = dec!(333.33);
    doc.self_assessed_vat = items;
    doc
}

#[test]
fn self_assessed_vat_is_debited_and_credited_at_the_same_amount() {
    use domain::{SelfAssessedVat, SelfAssessment};
    let mut cfg = example_config();
    cfg.scope = domain::config::Scope::Both;
    let item = |regime, rate| SelfAssessedVat {
        regime,
        basis: dec!(333.33),
        rate,
    };
    let s = |a: &str, dr: Decimal, cr: Decimal| (a.to_string(), dr, cr);
    let e = entry(
        &self_assessed_purchase(vec![item(SelfAssessment::ReverseCharge, None)]),
        &cfg,
    );
    assert_eq!(
        amounts(&e),
        vec![
            s("401000", dec!(0), dec!(333.33)),
            s("607000", dec!(333.33), dec!(0)),
            s("445660", dec!(66.67), dec!(0)),
            s("4457", dec!(0), dec!(66.67)),
        ]
    );
    let e = entry(
        &self_assessed_purchase(vec![item(SelfAssessment::IntraCommunity, Some(dec!(10)))]),
        &cfg,
    );
    assert_eq!(
        amounts(&e)[2..],
        vec![
            s("445662", dec!(33.33), dec!(0)),
            s("4452", dec!(0), dec!(33.33))
        ][..]
    );
    // A reverse charge at a rate vat.purchases has no account for, and no account of its own.
    let doc = self_assessed_purchase(vec![item(SelfAssessment::ReverseCharge, Some(dec!(7)))]);
    assert!(
        matches!(map(&doc, &cfg), Err(MappingError::MissingVatAccount { ref rate, .. }) if rate == "7"),
        "{:?}",
        map(&doc, &cfg)
    );
}
