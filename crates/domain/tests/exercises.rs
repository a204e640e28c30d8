//! Issue 14, defects 4 and 9: the fiscal years a dossier declares (a first exercise of 18
//! months, a change of closing date) and the journal codes of a source's journals.

use chrono::NaiveDate;
use domain::auxcode::AuxCodes;
use domain::config::{ConfigIssue, DossierConfig};
use domain::mapping::{MappingError, map_journal};
use domain::{DocumentKind, Side, SourceJournalLine, SourceRef};
use rust_decimal_macros::dec;

const KEYS: &str = "id = \"acme\"\nsiren = \"732829320\"\nstart_date = \"2026-03-01\"\n";
const ACCOUNTS: &str = "[accounts]\nrounding_debit = \"658000\"\nrounding_credit = \"758000\"\n";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn dossier(extra: &str) -> DossierConfig {
    DossierConfig::from_toml(&format!("{KEYS}{extra}\n{ACCOUNTS}")).unwrap()
}

fn refused(extra: &str) -> Vec<ConfigIssue> {
    DossierConfig::from_toml(&format!("{KEYS}{extra}\n{ACCOUNTS}"))
        .expect_err("refused")
        .0
}

fn issue<'a>(issues: &'a [ConfigIssue], field: &str) -> &'a ConfigIssue {
    issues
        .iter()
        .find(|i| i.field == field)
        .unwrap_or_else(|| panic!("no issue for {field} in {issues:#?}"))
}

#[test]
fn without_exercises_the_years_are_12_months_closing_on_fiscal_year_end() {
    let d = dossier("fiscal_year_end = \"06-30\"");
    assert_eq!(
        d.fiscal_year_of(day(2026, 7, 1)),
        (day(2026, 7, 1), day(2027, 6, 30))
    );
    assert_eq!(d.closings_in(2027), vec![day(2027, 6, 30)]);
}

#[test]
fn a_first_exercise_of_18_months_closes_on_its_real_date_then_12_months() {
    let d = dossier(
        "[[exercises]]\nstart = \"2026-03-01\"\nend = \"2027-08-31\"\n\
         [[exercises]]\nstart = 2027-09-01\nend = 2028-08-31\n",
    );
    // Main's code: the year of 2026-05-10 closed on 2026-12-31, a closing that never happens.
    assert_eq!(
        d.fiscal_year_of(day(2026, 5, 10)),
        (day(2026, 3, 1), day(2027, 8, 31))
    );
    assert_eq!(
        d.fiscal_year_of(day(2027, 8, 31)),
        (day(2026, 3, 1), day(2027, 8, 31))
    );
    assert_eq!(
        d.fiscal_year_of(day(2027, 9, 1)),
        (day(2027, 9, 1), day(2028, 8, 31))
    );
    // After the last declared exercise, 12 months closing on its day.
    assert_eq!(d.fiscal_year_end, (8, 31));
    assert_eq!(
        d.fiscal_year_of(day(2029, 1, 15)),
        (day(2028, 9, 1), day(2029, 8, 31))
    );
    // Before the first one, 12 months closing the day before it.
    assert_eq!(
        d.fiscal_year_of(day(2025, 6, 1)),
        (day(2025, 3, 1), day(2026, 2, 28))
    );
    // 2026 closes only the 12-month year before the first declared exercise.
    assert_eq!(d.closings_in(2026), vec![day(2026, 2, 28)]);
    assert_eq!(d.closings_in(2027), vec![day(2027, 8, 31)]);
}

#[test]
fn a_change_of_closing_date_gives_a_short_exercise_and_two_closings_in_a_year() {
    let d = dossier(
        "[[exercises]]\nstart = \"2026-01-01\"\nend = \"2026-12-31\"\n\
         [[exercises]]\nstart = \"2027-01-01\"\nend = \"2027-03-31\"\n",
    );
    assert_eq!(
        d.fiscal_year_of(day(2027, 2, 1)),
        (day(2027, 1, 1), day(2027, 3, 31))
    );
    assert_eq!(
        d.fiscal_year_of(day(2027, 4, 1)),
        (day(2027, 4, 1), day(2028, 3, 31))
    );
    let d = dossier(
        "[[exercises]]\nstart = \"2026-01-01\"\nend = \"2026-03-31\"\n\
         [[exercises]]\nstart = \"2026-04-01\"\nend = \"2026-12-31\"\n",
    );
    assert_eq!(
        d.closings_in(2026),
        vec![day(2026, 3, 31), day(2026, 12, 31)]
    );
}

#[test]
fn exercises_must_be_contiguous_at_most_24_months_and_close_every_calendar_year() {
    let gap = refused(
        "[[exercises]]\nstart = \"2026-01-01\"\nend = \"2026-12-31\"\n\
         [[exercises]]\nstart = \"2027-02-01\"\nend = \"2027-12-31\"\n",
    );
    let i = issue(&gap, "exercises[1].start");
    assert!(i.problem.contains("no gap"), "{i}");
    assert!(i.fix.contains("2027-01-01"), "{i}");

    let long = refused("[[exercises]]\nstart = \"2026-01-01\"\nend = \"2028-01-31\"\n");
    let i = issue(&long, "exercises[0].end");
    assert!(i.problem.contains("24 months"), "{i}");
    assert!(i.problem.contains("L123-12"), "{i}");
    assert!(i.fix.contains("2027-12-31"), "{i}");

    let no_closing = refused("[[exercises]]\nstart = \"2026-07-01\"\nend = \"2028-03-31\"\n");
    let i = issue(&no_closing, "exercises[0].end");
    assert!(i.problem.contains("no closing in 2027"), "{i}");
    assert!(i.problem.contains("209-I"), "{i}");

    let backwards = refused("[[exercises]]\nstart = \"2026-07-01\"\nend = \"2026-06-30\"\n");
    issue(&backwards, "exercises[0].end");

    let missing = refused("[[exercises]]\nstart = \"2026-07-01\"\n");
    issue(&missing, "exercises[0].end");

    let disagree = refused(
        "fiscal_year_end = \"12-31\"\n[[exercises]]\nstart = \"2026-03-01\"\nend = \"2027-08-31\"\n",
    );
    let i = issue(&disagree, "fiscal_year_end");
    assert!(i.fix.contains("08-31"), "{i}");
    // Agreeing is fine.
    dossier(
        "fiscal_year_end = \"08-31\"\n[[exercises]]\nstart = \"2026-03-01\"\nend = \"2027-08-31\"\n",
    );
}

fn line(
    doc: i64,
    journal: &str,
    account: &str,
    side: Side,
    amount: rust_decimal::Decimal,
) -> SourceJournalLine {
    SourceJournalLine {
        id: format!("{doc}-{account}"),
        journal: journal.into(),
        date: day(2026, 4, 2),
        account: account.into(),
        account_label: None,
        auxiliary_code: Some("CLIENT1".into()),
        label: "Facture".into(),
        side,
        amount,
        document: SourceRef {
            source: "sellsy".into(),
            kind: DocumentKind::SalesInvoice,
            source_id: doc.to_string(),
        },
        document_number: format!("F-{doc}"),
        party_name: Some("Client".into()),
        currency: "EUR".into(),
    }
}

fn two_journals() -> Vec<SourceJournalLine> {
    let mut lines = Vec::new();
    for (doc, journal) in [(1, "Ventes France"), (2, "Ventes export")] {
        lines.push(line(doc, journal, "411000", Side::Debit, dec!(120)));
        lines.push(line(doc, journal, "706000", Side::Credit, dec!(100)));
        lines.push(line(doc, journal, "445711", Side::Credit, dec!(20)));
    }
    lines
}

#[test]
fn two_source_journals_on_one_derived_code_are_held_until_mapped() {
    let d = dossier("mode = \"journal\"");
    let clashes = d.journal_code_clashes(["Ventes France", "Ventes export"]);
    assert_eq!(clashes["VENT"], vec!["Ventes France", "Ventes export"]);
    let mapped = map_journal(&two_journals(), &d, &mut AuxCodes::new(8));
    for (_, r) in &mapped {
        match r {
            Err(e @ MappingError::JournalCodeClash { code, .. }) => {
                assert_eq!(code, "VENT");
                assert!(e.action().contains("journal_codes"), "{}", e.action());
            }
            other => panic!("held for the clash, got {other:?}"),
        }
    }
    // Mapped explicitly: each journal its own code and series.
    let d = dossier(
        "mode = \"journal\"\n[journal_codes]\n\"Ventes France\" = \"VFR\"\n\"Ventes export\" = \"VEXP\"\n",
    );
    assert!(
        d.journal_code_clashes(["Ventes France", "Ventes export"])
            .is_empty()
    );
    let codes: Vec<String> = map_journal(&two_journals(), &d, &mut AuxCodes::new(8))
        .into_iter()
        .map(|(_, r)| r.unwrap().journal_code)
        .collect();
    assert_eq!(codes, ["VFR", "VEXP"]);
}

#[test]
fn journal_codes_are_checked_one_code_one_journal() {
    let i = refused(
        "mode = \"journal\"\n[journal_codes]\n\"Ventes France\" = \"VT\"\n\"Ventes export\" = \"VT\"\n",
    );
    let found = issue(&i, "journal_codes.\"Ventes export\"");
    assert!(found.problem.contains("already the code"), "{found}");
    let i = refused("mode = \"journal\"\n[journal_codes]\n\"Ventes export\" = \"export\"\n");
    issue(&i, "journal_codes.\"Ventes export\"");
    // Not silently ignored in documents mode.
    let i = refused("[journal_codes]\n\"Ventes export\" = \"VEXP\"\n");
    issue(&i, "journal_codes");
}
