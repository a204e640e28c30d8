//! Dossier configuration: the documented example loads, and each invalid setting gives an error
//! that names the field and the fix, all of them at once.

use domain::config::{
    ConfigFile, ConfigIssue, DossierConfig, LabelOption, Mode, RoundingTarget, Scope,
};
use rust_decimal_macros::dec;

const EXAMPLE: &str = include_str!("../../../infra/dossiers.example.toml");

fn with(replacements: &[(&str, &str)]) -> String {
    let mut text = EXAMPLE.to_string();
    for (from, to) in replacements {
        assert!(
            text.contains(from),
            "the example no longer contains {from:?}"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn issues(text: &str) -> Vec<ConfigIssue> {
    ConfigFile::from_toml(text)
        .expect_err("the config should be refused")
        .0
}

fn issue_for<'a>(issues: &'a [ConfigIssue], field: &str) -> &'a ConfigIssue {
    issues
        .iter()
        .find(|i| i.field == field)
        .unwrap_or_else(|| panic!("no issue for {field} in {issues:#?}"))
}

#[test]
fn the_documented_example_loads_with_every_setting() {
    let file = ConfigFile::from_toml(EXAMPLE).unwrap();
    let d = file.dossier("acme").unwrap();
    assert_eq!(d.siren, "732829320");
    assert_eq!(d.start_date.to_string(), "2026-01-01");
    assert_eq!(d.scope, Scope::Sales);
    assert_eq!(d.mode, Mode::Documents);
    assert_eq!(d.journals.sales.code, "VT");
    assert_eq!(d.journals.credit_notes.code, "AV");
    assert_eq!(d.accounts.rounding_debit, "658000");
    assert_eq!(d.accounts.customer_fallback, "4111DIVERS");
    assert_eq!(d.vat.sales[&dec!(5.5)], "445713");
    assert_eq!(d.vat.purchases[&dec!(20)], "445660");
    assert_eq!(d.labels, LabelOption::PartyThenDescription);
    assert_eq!(d.rounding.target, RoundingTarget::Accounts);
    assert_eq!(d.rounding.tolerance_per_rate, dec!(0.01));
    assert_eq!(d.auxiliary.length, 8);
    assert_eq!(d.exclusion_words, vec!["Garantie".to_string()]);
    assert_eq!(
        d.exclusion_word_in("Extension de GARANTIE 2 ans"),
        Some("Garantie")
    );
    assert_eq!(
        d.mail.allowed_senders,
        vec!["no-reply@welyb.fr".to_string()]
    );
    assert!(!d.mail.allow_everyone);
    let (start, end) = d.fiscal_year_of(d.start_date);
    assert_eq!(
        (start.to_string(), end.to_string()),
        ("2026-01-01".into(), "2026-12-31".into())
    );
}

#[test]
fn a_minimal_dossier_gets_sane_defaults_but_must_choose_rounding_accounts() {
    let minimal = r#"
        id = "mini"
        siren = "732829320"
        start_date = 2026-01-01
        [accounts]
        rounding_debit = "658000"
        rounding_credit = "758000"
    "#;
    let d = DossierConfig::from_toml(minimal).unwrap();
    assert_eq!(d.journals.sales.code, "VT");
    assert_eq!(
        d.journals.credit_notes.code, "VT",
        "credit notes default to the sales journal"
    );
    assert_eq!(d.accounts.sales_services, "706000");
    assert_eq!(d.accounts.discount_goods, "709700");
    assert_eq!(d.vat.sales[&dec!(20)], "445711");
    assert_eq!(d.mail.slug, "mini");
    assert!(!d.sync_without_pdf && !d.draft_entries);
}

#[test]
fn journal_code_longer_than_4_names_the_field_and_the_fix() {
    let all = issues(&with(&[("sales = \"VT\"", "sales = \"Ventes\"")]));
    let issue = issue_for(&all, "dossier[0].journals.sales");
    assert!(issue.problem.contains("longer than 4"), "{issue}");
    assert!(
        issue.fix.contains("\"VENT\""),
        "the fix proposes the derived code: {issue}"
    );
}

#[test]
fn missing_rounding_accounts_are_errors_with_the_line_to_add() {
    let all = issues(&with(&[
        ("rounding_debit = \"658000\"", ""),
        ("rounding_credit = \"758000\"", ""),
    ]));
    let debit = issue_for(&all, "dossier[0].accounts.rounding_debit");
    assert_eq!(debit.problem, "is missing");
    assert_eq!(debit.fix, "add rounding_debit = \"658000\"");
    let credit = issue_for(&all, "dossier[0].accounts.rounding_credit");
    assert_eq!(credit.fix, "add rounding_credit = \"758000\"");
}

#[test]
fn account_of_an_unknown_class_or_the_wrong_class_is_refused() {
    let all = issues(&with(&[
        ("sales_goods = \"707000\"", "sales_goods = \"906000\""),
        ("customers = \"411000\"", "customers = \"706000\""),
        ("\"5.5\" = \"445713\"", "\"5.5\" = \"706000\""),
    ]));
    let goods = issue_for(&all, "dossier[0].accounts.sales_goods");
    assert!(goods.problem.contains("class 9"), "{goods}");
    assert!(goods.fix.contains("70x"), "{goods}");
    let customers = issue_for(&all, "dossier[0].accounts.customers");
    assert!(
        customers.problem.contains("is not a customers account"),
        "{customers}"
    );
    let vat = issue_for(&all, "dossier[0].vat.sales.\"5.5\"");
    assert!(vat.fix.contains("4457x"), "{vat}");
}

#[test]
fn bare_709_must_be_refined() {
    let all = issues(&with(&[(
        "discount_goods = \"709700\"",
        "discount_goods = \"709000\"",
    )]));
    let issue = issue_for(&all, "dossier[0].accounts.discount_goods");
    assert!(issue.fix.contains("7097"), "{issue}");
}

#[test]
fn bad_dates_are_refused_with_the_expected_format() {
    let all = issues(&with(&[
        ("start_date = \"2026-01-01\"", "start_date = \"2026-13-01\""),
        ("fiscal_year_end = \"12-31\"", "fiscal_year_end = \"31/12\""),
    ]));
    let start = issue_for(&all, "dossier[0].start_date");
    assert_eq!(start.problem, "'2026-13-01' is not a date");
    assert!(start.fix.contains("YYYY-MM-DD"));
    assert!(
        issue_for(&all, "dossier[0].fiscal_year_end")
            .fix
            .contains("MM-DD")
    );
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    let all = issues(&with(&[
        (
            "draft_entries = false",
            "draft_entries = false\ncolour = \"blue\"",
        ),
        ("sales_goods = \"707000\"", "sales_good = \"707000\""),
    ]));
    let colour = issue_for(&all, "dossier.0.colour");
    assert_eq!(colour.problem, "unknown key");
    assert!(colour.fix.contains("spelling"));
    issue_for(&all, "dossier.0.accounts.sales_good");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = with(&[
        ("sales = \"VT\"", "sales = \"VENTES\""),
        ("rounding_debit = \"658000\"", ""),
        ("sales_goods = \"707000\"", "sales_goods = \"906000\""),
        ("start_date = \"2026-01-01\"", "start_date = \"2026-02-30\""),
        ("draft_entries = false", "draft_entries = false\nbogus = 1"),
        ("labels = 1", "labels = 7"),
        ("siren = \"732829320\"", "siren = \"732829321\""),
        (
            "allowed_senders = [\"no-reply@welyb.fr\"]",
            "allowed_senders = [\"welyb\"]",
        ),
    ]);
    let err = ConfigFile::from_toml(&text).unwrap_err();
    let fields: Vec<&str> = err.0.iter().map(|i| i.field.as_str()).collect();
    for expected in [
        "dossier[0].journals.sales",
        "dossier[0].accounts.rounding_debit",
        "dossier[0].accounts.sales_goods",
        "dossier[0].start_date",
        "dossier.0.bogus",
        "dossier[0].labels",
        "dossier[0].siren",
        "dossier[0].mail.allowed_senders",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("{} problems in the configuration:", err.0.len())));
    assert!(shown.contains("Fix: "));
}

#[test]
fn a_wrong_type_names_the_line() {
    let err = ConfigFile::from_toml(&with(&[(
        "draft_entries = false",
        "draft_entries = \"no\"",
    )]))
    .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert!(err.0[0].field.starts_with("line "), "{:?}", err.0);
    assert!(err.0[0].problem.contains("bool"), "{:?}", err.0);
}

#[test]
fn two_dossiers_cannot_share_an_id_or_a_mail_slug() {
    let block = EXAMPLE.split_once("\n[[dossier]]\n").unwrap().1;
    let text = format!("[[dossier]]\n{block}\n[[dossier]]\n{block}");
    let all = issues(&text);
    issue_for(&all, "dossier[1].id");
    issue_for(&all, "dossier[1].mail.slug");
}

#[test]
fn self_assessed_vat_defaults_to_the_pcg_accounts_at_20_percent() {
    let cfg = DossierConfig::from_toml(
        "id = \"acme\"\nname = \"ACME\"\nsiren = \"123456782\"\nstart_date = \"2024-01-01\"\n[accounts]\nrounding_debit = \"658000\"\nrounding_credit = \"758000\"\n",
    )
    .expect("valid");
    let s = &cfg.vat.self_assessed;
    assert_eq!(s.rate, dec!(20));
    assert_eq!(s.intra_community_deductible, "445662");
    assert_eq!(s.intra_community_due, "4452");
    assert_eq!(s.reverse_charge_deductible, None);
    assert_eq!(s.reverse_charge_due, "4457");
}

#[test]
fn self_assessed_vat_settings_are_read_and_checked() {
    let section = "[dossier.vat.self_assessed]\nrate = \"10\"\nintra_community_deductible = \"445663\"\nintra_community_due = \"445200\"\nreverse_charge_deductible = \"445664\"\nreverse_charge_due = \"445740\"\n\n[dossier.auxiliary]";
    let file = ConfigFile::from_toml(&with(&[("[dossier.auxiliary]", section)])).expect("valid");
    let s = &file.dossiers[0].vat.self_assessed;
    assert_eq!(s.rate, dec!(10));
    assert_eq!(s.intra_community_deductible, "445663");
    assert_eq!(s.intra_community_due, "445200");
    assert_eq!(s.reverse_charge_deductible.as_deref(), Some("445664"));
    assert_eq!(s.reverse_charge_due, "445740");
    let bad = "[dossier.vat.self_assessed]\nrate = \"0\"\nintra_community_deductible = \"4452\"\nintra_community_due = \"445662\"\nreverse_charge_deductible = \"607000\"\nreverse_charge_due = \"445660\"\n\n[dossier.auxiliary]";
    let all = issues(&with(&[("[dossier.auxiliary]", bad)]));
    let rate = issue_for(&all, "dossier[0].vat.self_assessed.rate");
    assert!(rate.problem.contains("above 0"), "{rate}");
    for (key, fix) in [
        ("intra_community_deductible", "4456x"),
        ("intra_community_due", "4452"),
        ("reverse_charge_deductible", "4456x"),
        ("reverse_charge_due", "4457x"),
    ] {
        let issue = issue_for(&all, &format!("dossier[0].vat.self_assessed.{key}"));
        assert!(issue.fix.contains(fix), "{issue}");
    }
}
