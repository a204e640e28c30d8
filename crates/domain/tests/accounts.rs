//! Issue 14, defects 5 to 8: auxiliary codes obey the rule and belong to one party, accounts are
//! named after the PCG (VAT after the rate mapped, one name per account in a file), rounding never
//! touches VAT and only goes to 658x / 758x, and a row's account must be a PCG account of its side.

use chrono::NaiveDate;
use domain::auxcode::AuxCodes;
use domain::config::{ConfigFile, ConfigIssue, DossierConfig};
use domain::fec::{BookedEntry, FecOptions, Numbering, write_fec};
use domain::mapping::{Mapped, MappingError, NotBooked, map_document, map_journal};
use domain::testkit::{example_config, sellsy_example_invoice};
use domain::{
    DocumentKind, LedgerEntry, Side, SourceDocument, SourceJournalLine, SourceRef, TaxTotal,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const EXAMPLE: &str = include_str!("../../../infra/dossiers.example.toml");

fn map(doc: &SourceDocument, cfg: &DossierConfig, aux: &mut AuxCodes) -> Mapped {
    map_document(doc, cfg, aux).unwrap_or_else(|e| panic!("{e}"))
}

fn entry(doc: &SourceDocument, cfg: &DossierConfig, aux: &mut AuxCodes) -> LedgerEntry {
    match map(doc, cfg, aux) {
        Mapped::Entry(e) => e,
        other => panic!("expected an entry, got {other:?}"),
    }
}

fn with(replacements: &[(&str, &str)]) -> String {
    let mut text = EXAMPLE.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "the example lacks {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

fn issue<'a>(issues: &'a [ConfigIssue], field: &str) -> &'a ConfigIssue {
    issues
        .iter()
        .find(|i| i.field == field)
        .unwrap_or_else(|| panic!("no issue for {field} in {issues:#?}"))
}

fn refused(text: &str) -> Vec<ConfigIssue> {
    ConfigFile::from_toml(text)
        .expect_err("the configuration should be refused")
        .0
}

fn invoice(id: &str, party_id: &str, name: &str, code: Option<&str>) -> SourceDocument {
    let mut doc = sellsy_example_invoice();
    doc.source.source_id = id.into();
    doc.number = format!("FACT-{id}");
    doc.party.source_id = party_id.into();
    doc.party.name = name.into();
    doc.party.auxiliary_code = code.map(str::to_string);
    doc
}

fn aux_code(e: &LedgerEntry) -> String {
    e.lines()[0].auxiliary.as_ref().unwrap().code.clone()
}

// ---- defect 5: auxiliary codes ---------------------------------------------------------------

#[test]
fn a_sellsy_code_is_written_by_the_rule_and_never_shared_by_two_parties() {
    let cfg = example_config();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    // Sellsy's worked example names its customer 0DUPONT: a code starts with a letter.
    let first = entry(
        &invoice("1", "100", "Dupont SARL", Some("0DUPONT")),
        &cfg,
        &mut aux,
    );
    assert_eq!(aux_code(&first), "DUPONT");
    // Another company carrying the same code in Sellsy gets the stable suffix.
    let second = entry(
        &invoice("2", "200", "Dupont Frères", Some("DUPONT")),
        &cfg,
        &mut aux,
    );
    let code = aux_code(&second);
    assert_ne!(code, "DUPONT", "two parties on one code");
    assert_eq!(code.len(), 8);
    assert!(code.starts_with("DUPON"), "{code}");
    // A valid, unique Sellsy code is kept as it is.
    let third = entry(
        &invoice("3", "300", "Martin", Some("CMARTIN")),
        &cfg,
        &mut aux,
    );
    assert_eq!(aux_code(&third), "CMARTIN");
    // The same two parties in the other order, in another run: same codes.
    let mut other_run = AuxCodes::new(cfg.auxiliary.length);
    let second_again = entry(
        &invoice("2", "200", "Dupont Frères", Some("DUPONT")),
        &cfg,
        &mut other_run,
    );
    assert_eq!(aux_code(&second_again), "DUPONT");
    let mut same_order = AuxCodes::new(cfg.auxiliary.length);
    entry(
        &invoice("1", "100", "Dupont SARL", Some("0DUPONT")),
        &cfg,
        &mut same_order,
    );
    let again = entry(
        &invoice("2", "200", "Dupont Frères", Some("DUPONT")),
        &cfg,
        &mut same_order,
    );
    assert_eq!(
        aux_code(&again),
        code,
        "the suffix depends on the party only"
    );
}

fn jline(
    doc: &str,
    account: &str,
    aux: Option<&str>,
    side: Side,
    amount: Decimal,
) -> SourceJournalLine {
    SourceJournalLine {
        id: format!("{doc}-{account}"),
        journal: "Ventes".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        account: account.into(),
        account_label: None,
        auxiliary_code: aux.map(str::to_string),
        label: format!("Facture {doc}"),
        side,
        amount,
        document: SourceRef {
            source: "sellsy".into(),
            kind: DocumentKind::SalesInvoice,
            source_id: doc.into(),
        },
        document_number: format!("F-{doc}"),
        party_name: Some(format!("Client {doc}")),
        currency: "EUR".into(),
    }
}

#[test]
fn journal_mode_codes_obey_the_rule_and_belong_to_one_code_of_the_source() {
    let cfg = example_config();
    let lines = vec![
        jline("1", "411000", Some("0dupont"), Side::Debit, dec!(12)),
        jline("1", "706000", None, Side::Credit, dec!(12)),
        jline("2", "411000", Some("DUPONT"), Side::Debit, dec!(24)),
        jline("2", "706000", None, Side::Credit, dec!(24)),
    ];
    let out = map_journal(&lines, &cfg, &mut AuxCodes::new(8));
    let codes: Vec<String> = out
        .iter()
        .map(|(_, e)| aux_code(e.as_ref().unwrap()))
        .collect();
    assert_eq!(codes[0], "DUPONT");
    assert_ne!(codes[1], "DUPONT", "two source codes, one ledger code");
}

// ---- defect 6: CompteLib ---------------------------------------------------------------------

#[test]
fn accounts_are_named_after_the_pcg_and_vat_after_the_rate_mapped() {
    let text = with(&[(
        "\"20\" = \"445711\"\n\"10\" = \"445712\"",
        "\"20\" = \"445712\"\n\"10\" = \"445711\"",
    )]);
    let cfg = ConfigFile::from_toml(&text).unwrap().dossiers[0].clone();
    let mut doc = sellsy_example_invoice();
    doc.rows[0].account = Some("704000".into());
    doc.rows[0].tax_rate = dec!(10);
    doc.rows[0].tax_amount = dec!(30);
    doc.taxes[0] = TaxTotal {
        rate: dec!(10),
        amount: dec!(30),
        label: None,
    };
    doc.totals.incl_tax = dec!(461.88);
    let e = entry(&doc, &cfg, &mut AuxCodes::new(8));
    let name = |account: &str| {
        e.lines()
            .iter()
            .find(|l| l.account == account)
            .unwrap_or_else(|| panic!("no line on {account}"))
            .account_label
            .clone()
    };
    assert_eq!(name("704000"), "Travaux");
    assert_eq!(name("445711"), "TVA collectée 10 %");
    assert_eq!(name("445713"), "TVA collectée 5,5 %");
    assert_eq!(name("411000"), "Clients");
    assert_eq!(name("707000"), "Ventes de marchandises");
}

#[test]
fn one_account_gets_one_label_in_a_file_the_first_booked() {
    let cfg = example_config();
    let mut lines = vec![
        jline("1", "411000", Some("CLIENTA"), Side::Debit, dec!(12)),
        jline("1", "706000", None, Side::Credit, dec!(12)),
        jline("2", "411000", Some("CLIENTB"), Side::Debit, dec!(24)),
        jline("2", "706000", None, Side::Credit, dec!(24)),
    ];
    lines[1].account_label = Some("Prestations France".into());
    lines[3].account_label = Some("Ventes de services".into());
    let entries: Vec<LedgerEntry> = map_journal(&lines, &cfg, &mut AuxCodes::new(8))
        .into_iter()
        .map(|(_, e)| e.unwrap())
        .collect();
    let mut numbering = Numbering::default();
    let booked: Vec<BookedEntry> = entries
        .into_iter()
        .map(|entry| BookedEntry {
            number: numbering.next(&entry.journal_code),
            validated_on: entry.date,
            entry,
        })
        .collect();
    let year = (
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    let fec = write_fec(&booked, "732829320", year, FecOptions::default()).unwrap();
    let text = String::from_utf8(fec.bytes).unwrap();
    let labels: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|r| r[4] == "706000")
        .map(|r| r[5])
        .collect();
    assert_eq!(labels, ["Prestations France", "Prestations France"]);
}

// ---- defect 7: rounding ----------------------------------------------------------------------

#[test]
fn a_vat_rounding_target_and_rounding_accounts_outside_658_758_are_refused() {
    let all = refused(&with(&[("target = \"accounts\"", "target = \"vat\"")]));
    let target = issue(&all, "dossier[0].rounding.target");
    assert!(
        target
            .problem
            .contains("VAT booked would no longer be the invoice's VAT"),
        "{target:?}"
    );
    assert!(target.fix.contains("target = \"accounts\""), "{target:?}");

    let all = refused(&with(&[(
        "rounding_credit = \"758000\"",
        "rounding_credit = \"706000\"",
    )]));
    let credit = issue(&all, "dossier[0].accounts.rounding_credit");
    assert_eq!(
        credit.problem,
        "'706000' is not a 758x account (other operating income: cent gaps on the credit side)"
    );
    assert_eq!(
        credit.fix,
        "use a 758x account (other operating income: cent gaps on the credit side), e.g. \"758000\""
    );
    let all = refused(&with(&[(
        "rounding_debit = \"658000\"",
        "rounding_debit = \"607000\"",
    )]));
    let debit = issue(&all, "dossier[0].accounts.rounding_debit");
    assert_eq!(
        debit.fix,
        "use a 658x account (other operating charges: cent gaps on the debit side), e.g. \"658000\""
    );
}

#[test]
fn a_zero_rate_row_does_not_widen_the_tolerance_and_vat_stays_the_documents() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    // One taxed rate (20 %) and a 0 % row: the tolerance is 0.01, not 0.02.
    doc.rows[1].tax_rate = Decimal::ZERO;
    doc.rows[1].tax_amount = Decimal::ZERO;
    doc.taxes.truncate(1);
    doc.totals.incl_tax = dec!(485.01); // 300 + 125 + 60 = 485.00: a 1-cent gap is accepted
    let e = entry(&doc, &cfg, &mut AuxCodes::new(8));
    let vat: Vec<_> = e
        .lines()
        .iter()
        .filter(|l| l.account.starts_with("4457"))
        .collect();
    assert_eq!(
        (vat.len(), vat[0].credit),
        (1, dec!(60.00)),
        "VAT is the document's"
    );
    assert_eq!(e.lines().last().unwrap().account, "758000");
    doc.totals.incl_tax = dec!(485.02);
    match map_document(&doc, &cfg, &mut AuxCodes::new(8)) {
        Err(MappingError::GapAboveTolerance { gap, tolerance, .. }) => {
            assert_eq!((gap.as_str(), tolerance.as_str()), ("0.02", "0.01"));
        }
        other => panic!("a 2-cent gap on one taxed rate must be refused, got {other:?}"),
    }
}

// ---- defect 8: accounts of Sellsy rows -------------------------------------------------------

fn held(doc: &SourceDocument, cfg: &DossierConfig) -> NotBooked {
    match map(doc, cfg, &mut AuxCodes::new(8)) {
        Mapped::NotBooked(reason) => reason,
        Mapped::Entry(e) => panic!(
            "booked on {:?}",
            e.lines().iter().map(|l| &l.account).collect::<Vec<_>>()
        ),
    }
}

#[test]
fn a_row_account_outside_class_7_holds_a_sales_document_with_the_action() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.rows[0].account = Some("6226".into());
    let reason = held(&doc, &cfg);
    assert!(reason.is_hold());
    assert_eq!(
        reason.message(),
        "held: the row \"Conseil (jour)\" cannot be booked: '6226' is account 6226 \"Honoraires\" of the PCG, not a class 7 revenue account of the PCG (70x except 709, 75x, 76x, 77x)"
    );
    assert!(
        reason
            .action()
            .starts_with("set a class 7 accounting code on the row in Sellsy"),
        "{}",
        reason.action()
    );
    assert!(
        reason
            .action()
            .contains("[dossier.accounts.map.sales] \"6226\" = \"706000\""),
        "{}",
        reason.action()
    );

    doc.rows[0].account = Some("VENTES".into());
    assert!(
        held(&doc, &cfg)
            .message()
            .contains("'VENTES' is not an account number")
    );
    doc.rows[0].account = Some("709600".into());
    assert!(
        held(&doc, &cfg)
            .message()
            .contains("7096 \"RRR accordés sur prestations de services\"")
    );

    // A class 7 sub-account of the PCG is booked as it is.
    doc.rows[0].account = Some("706100".into());
    let e = entry(&doc, &cfg, &mut AuxCodes::new(8));
    assert!(e.lines().iter().any(|l| l.account == "706100"));
}

#[test]
fn the_dossier_can_map_a_source_code_and_the_map_is_checked() {
    let text = with(&[(
        "[dossier.vat.sales]",
        "[dossier.accounts.map.sales]\n\"VENTES\" = \"706000\"\n\n[dossier.vat.sales]",
    )]);
    let cfg = ConfigFile::from_toml(&text).unwrap().dossiers[0].clone();
    let mut doc = sellsy_example_invoice();
    doc.rows[0].account = Some("VENTES".into());
    let e = entry(&doc, &cfg, &mut AuxCodes::new(8));
    assert_eq!(e.lines()[1].account, "706000");
    assert_eq!(e.lines()[1].credit, dec!(300.00));

    let bad = with(&[(
        "[dossier.vat.sales]",
        "[dossier.accounts.map.sales]\n\"HONO\" = \"6226\"\n\n[dossier.vat.sales]",
    )]);
    let all = refused(&bad);
    let i = issue(&all, "dossier[0].accounts.map.sales.\"HONO\"");
    assert!(i.problem.contains("not a class 7 revenue account"), "{i:?}");
    assert_eq!(
        i.fix,
        "map it to a class 7 revenue account of the PCG (70x except 709, 75x, 76x, 77x), e.g. \"706000\""
    );
}

#[test]
fn a_purchase_row_must_name_a_charge_or_fixed_asset_account() {
    let mut cfg = example_config();
    cfg.scope = domain::config::Scope::Both;
    let mut doc = sellsy_example_invoice();
    doc.source.kind = DocumentKind::PurchaseInvoice;
    doc.rows[0].account = Some("706000".into());
    let reason = held(&doc, &cfg);
    assert!(
        reason.message().contains("not a class 6 charge account"),
        "{}",
        reason.message()
    );
    assert!(
        reason
            .action()
            .contains("[dossier.accounts.map.purchases] \"706000\" = \"607000\"")
    );
    doc.rows[0].account = Some("218300".into());
    let e = entry(&doc, &cfg, &mut AuxCodes::new(8));
    assert!(e.lines().iter().any(|l| l.account == "218300"));
}

#[test]
fn the_ledger_accounts_map_is_read_and_checked() {
    let text = with(&[(
        "[dossier.vat.sales]",
        "[dossier.accounts_map]\n\"445711\" = \"44571\"\n\"706000\" = \"706\"\n\n[dossier.vat.sales]",
    )]);
    let cfg = ConfigFile::from_toml(&text).unwrap().dossiers[0].clone();
    assert_eq!(
        cfg.accounts_map.get("445711").map(String::as_str),
        Some("44571")
    );
    assert_eq!(cfg.accounts_map.len(), 2);

    let bad = with(&[(
        "[dossier.vat.sales]",
        "[dossier.accounts_map]\n\"VENTES\" = \"706\"\n\"706000\" = \"70 6\"\n\n[dossier.vat.sales]",
    )]);
    let all = refused(&bad);
    let i = issue(&all, "dossier[0].accounts_map.\"VENTES\"");
    assert!(
        i.problem
            .contains("not an account number of the French chart"),
        "{i:?}"
    );
    let i = issue(&all, "dossier[0].accounts_map.\"706000\"");
    assert!(
        i.problem.contains("'70 6' is not an account number"),
        "{i:?}"
    );
    assert!(i.fix.contains("\"445711\" = \"44571\""), "{i:?}");
}

#[test]
fn an_einvoice_supplier_account_is_checked_by_the_pcg_rule() {
    let good = with(&[(
        "[dossier.vat.sales]",
        "[dossier.einvoice.suppliers.\"552 081 317\"]\nexpense_account = \"606100\"\n\n[dossier.einvoice.suppliers.\"fr40552081318\"]\nexpense_account = \"215400\"\n\n[dossier.vat.sales]",
    )]);
    let cfg = ConfigFile::from_toml(&good).unwrap().dossiers[0].clone();
    let s = &cfg.einvoice;
    assert_eq!(s.supplier_account(Some("552081317"), None), Some("606100"));
    assert_eq!(
        s.supplier_account(Some("999999999"), Some("FR40 552081318")),
        Some("215400")
    );
    assert_eq!(s.supplier_account(None, Some("FR00999999999")), None);

    let bad = with(&[(
        "[dossier.vat.sales]",
        "[dossier.einvoice.suppliers.\"552081317\"]\nexpense_account = \"706000\"\n\n[dossier.einvoice.suppliers.\"ACME\"]\nexpense_account = \"606100\"\n\n[dossier.einvoice.suppliers.\"FR40552081318\"]\n\n[dossier.vat.sales]",
    )]);
    let all = refused(&bad);
    let i = issue(
        &all,
        "dossier[0].einvoice.suppliers.\"552081317\".expense_account",
    );
    assert!(i.problem.contains("not a class 6 charge account"), "{i:?}");
    let i = issue(&all, "dossier[0].einvoice.suppliers.\"ACME\"");
    assert!(i.problem.contains("neither a SIREN"), "{i:?}");
    let i = issue(
        &all,
        "dossier[0].einvoice.suppliers.\"FR40552081318\".expense_account",
    );
    assert_eq!(i.problem, "is missing");
}
