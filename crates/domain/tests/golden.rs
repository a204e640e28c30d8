//! Golden test: the invoice of Sellsy's worked example (research sellsy-api.md §3.6, spec
//! `InvoiceOne`) maps to the expected entry, in label options 1 and 4.

use domain::auxcode::AuxCodes;
use domain::config::LabelOption;
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, sellsy_example_invoice};

/// (account, auxiliary code, auxiliary label, line label, debit, credit)
type Line = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn lines_of(option: LabelOption) -> Vec<(String, String, String, String, String, String)> {
    let mut cfg = example_config();
    cfg.labels = option;
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let entry = match map_document(&sellsy_example_invoice(), &cfg, &mut aux).unwrap() {
        Mapped::Entry(e) => e,
        other => panic!("expected an entry, got {other:?}"),
    };
    assert_eq!(entry.journal_code, "VT");
    assert_eq!(entry.journal_label, "Ventes");
    assert_eq!(entry.date.to_string(), "2026-11-20");
    assert_eq!(entry.piece_ref, "FACT-2026-00042");
    assert_eq!(entry.piece_date.to_string(), "2026-11-20");
    assert_eq!(entry.label, "Facture FACT-2026-00042 - Dupont SARL");
    assert_eq!(entry.source.key(), "sellsy:sales_invoice:4711");
    assert!(!entry.draft);
    assert_eq!(entry.attachments.len(), 1);
    assert_eq!(entry.attachments[0].file_name, "FACT-2026-00042.pdf");
    assert_eq!(entry.total_debit().to_string(), "491.88");
    assert_eq!(entry.total_credit().to_string(), "491.88");
    entry
        .lines()
        .iter()
        .map(|l| {
            let (code, aux_label) = l
                .auxiliary
                .as_ref()
                .map(|a| (a.code.clone(), a.label.clone()))
                .unwrap_or_default();
            (
                l.account.clone(),
                code,
                aux_label,
                l.label.clone(),
                format!("{:.2}", l.debit),
                format!("{:.2}", l.credit),
            )
        })
        .collect()
}

fn expect(actual: Vec<(String, String, String, String, String, String)>, expected: &[Line]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|(a, b, c, d, e, f)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                e.to_string(),
                f.to_string(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn sellsy_worked_example_label_option_1() {
    expect(
        lines_of(LabelOption::PartyThenDescription),
        &[
            (
                "411000",
                "DUPONT",
                "Dupont SARL",
                "Dupont SARL",
                "491.88",
                "0.00",
            ),
            ("706000", "", "", "Conseil (jour)", "0.00", "300.00"),
            ("707000", "", "", "Livre technique", "0.00", "125.00"),
            ("445711", "", "", "TVA 20%", "0.00", "60.00"),
            ("445713", "", "", "TVA 5,5%", "0.00", "6.88"),
        ],
    );
}

#[test]
fn sellsy_worked_example_label_option_4() {
    expect(
        lines_of(LabelOption::PartyAndNumber),
        &[
            (
                "411000",
                "DUPONT",
                "Dupont SARL",
                "Dupont SARL - FACT-2026-00042",
                "491.88",
                "0.00",
            ),
            (
                "706000",
                "",
                "",
                "Dupont SARL - FACT-2026-00042",
                "0.00",
                "300.00",
            ),
            (
                "707000",
                "",
                "",
                "Dupont SARL - FACT-2026-00042",
                "0.00",
                "125.00",
            ),
            (
                "445711",
                "",
                "",
                "Dupont SARL - FACT-2026-00042",
                "0.00",
                "60.00",
            ),
            (
                "445713",
                "",
                "",
                "Dupont SARL - FACT-2026-00042",
                "0.00",
                "6.88",
            ),
        ],
    );
}

#[test]
fn sellsy_worked_example_label_options_2_and_3() {
    let two = lines_of(LabelOption::Party);
    assert!(two.iter().all(|l| l.3 == "Dupont SARL"));
    let three = lines_of(LabelOption::PartyAndDescription);
    let labels: Vec<&str> = three.iter().map(|l| l.3.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Dupont SARL - Prestations novembre",
            "Dupont SARL - Conseil (jour)",
            "Dupont SARL - Livre technique",
            "Dupont SARL - TVA 20%",
            "Dupont SARL - TVA 5,5%",
        ]
    );
}
