use std::collections::BTreeMap;

use super::*;

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn wanted(numbers: &[&str]) -> Vec<(String, String)> {
    numbers
        .iter()
        .map(|n| (n.to_string(), "test".to_string()))
        .collect()
}

#[test]
fn padding_is_trailing_zeros_only_both_ways() {
    assert!(same_account("706000", "706"));
    assert!(same_account("706", "706000"));
    assert!(same_account("706000", "70600000"));
    assert!(same_account("445711", "44571100"));
    assert!(!same_account("445711", "44571"));
    assert!(!same_account("7060001", "706"));
    assert!(!same_account("0706", "706"));
    assert!(same_account("4111divers", "4111DIVERS"));
    assert!(!same_account("4111DIVERS", "4111DIVERS0"));
}

#[test]
fn an_unpadded_ledger_takes_a_padded_dossier_and_back() {
    // The ledger holds short numbers, the dossier long ones.
    let chart = ["706", "44571", "445711", "411"];
    let rows = map_accounts(&wanted(&["706000", "445711"]), &chart, &BTreeMap::new());
    assert_eq!(rows[0].ledger.as_deref(), Some("706"));
    assert_eq!(rows[0].found, Some(Found::Padding));
    assert_eq!(rows[1].ledger.as_deref(), Some("445711"));
    assert_eq!(rows[1].found, Some(Found::Exact));
    // The ledger pads to 8 digits, the dossier writes 3.
    let chart = ["70600000", "70700000"];
    let rows = map_accounts(&wanted(&["706", "7070"]), &chart, &BTreeMap::new());
    assert_eq!(rows[0].ledger.as_deref(), Some("70600000"));
    assert_eq!(rows[1].ledger.as_deref(), Some("70700000"));
    assert!(rows.iter().all(|r| r.action().is_empty()));
}

#[test]
fn the_explicit_table_maps_what_padding_cannot_and_wins() {
    let chart = ["44571", "706", "706000"];
    let explicit = map(&[("445711", "44571"), ("706000", "706")]);
    let rows = map_accounts(&wanted(&["445711", "706000"]), &chart, &explicit);
    assert_eq!(rows[0].ledger.as_deref(), Some("44571"));
    assert_eq!(rows[0].found, Some(Found::Mapped));
    // 706000 exists too, but the person chose 706.
    assert_eq!(rows[1].ledger.as_deref(), Some("706"));
    // A mapping whose target the ledger lacks leaves the account missing.
    let rows = map_accounts(&wanted(&["445711"]), &["445"], &explicit);
    assert_eq!(rows[0].ledger, None);
}

#[test]
fn a_missing_account_says_to_create_or_map_it() {
    let rows = map_accounts(&wanted(&["708500"]), &["706", "44571"], &BTreeMap::new());
    assert_eq!(rows[0].ledger, None);
    assert_eq!(rows[0].found, None);
    let action = rows[0].action();
    assert!(action.contains("create 708500 in the ledger"), "{action}");
    assert!(action.contains("[dossier.accounts_map]"), "{action}");
}

#[test]
fn the_dossier_accounts_are_every_general_account_once() {
    let d = crate::config::DossierConfig::from_toml(
        r#"
id = "acme"
name = "ACME"
siren = "123456782"
start_date = "2024-01-01"
[accounts]
rounding_debit = "658000"
rounding_credit = "758000"
discount_goods = "709700"
discount_services = "709700"
"#,
    )
    .expect("valid");
    let accounts = dossier_accounts(&d);
    let numbers: Vec<&str> = accounts.iter().map(|(n, _)| n.as_str()).collect();
    for n in [
        "707000", "706000", "607000", "445711", "445660", "658000", "709700",
    ] {
        assert!(numbers.contains(&n), "{n} in {numbers:?}");
    }
    assert!(
        !numbers.contains(&"411000"),
        "collectives are matched with their third party"
    );
    assert_eq!(numbers.iter().filter(|n| **n == "709700").count(), 1);
    let (_, why) = accounts.iter().find(|(n, _)| n == "709700").unwrap();
    assert_eq!(why, "accounts.discount_goods, accounts.discount_services");
}
