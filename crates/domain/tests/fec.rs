//! The FEC writer: format rules, and files that pass django-accounting-fr's independent checker
//! (installed by scripts/setup into .venv, run as an external tool).

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use domain::auxcode::AuxCodes;
use domain::fec::{
    BookedEntry, COLUMNS, Charset, FecError, FecOptions, Numbering, Separator, file_name, write_fec,
};
use domain::mapping::{Mapped, map_document};
use domain::testkit::{TotalFlavor, arb_document, example_config, sellsy_example_invoice};
use domain::{DocumentKind, LedgerEntry};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs tools/fec_check.py; returns (exit code, JSON report).
fn independent_check(path: &Path) -> (i32, serde_json::Value) {
    let python = std::env::var_os("PASSERELLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "the independent FEC checker is not installed ({} is missing): run scripts/setup first",
        python.display()
    );
    let out = Command::new(&python)
        .arg(repo_root().join("tools/fec_check.py"))
        .arg(path)
        .output()
        .expect("run tools/fec_check.py");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "fec_check failed to run (exit {code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).expect("fec_check prints JSON");
    (code, report)
}

/// `n` mapped entries of 2026 (invoices and credit notes), from the property-test generator.
fn entries_2026(n: usize) -> Vec<LedgerEntry> {
    let cfg = example_config();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let mut runner = TestRunner::deterministic();
    let strategy = arb_document();
    let mut out = Vec::new();
    while out.len() < n {
        let (doc, flavor) = strategy.new_tree(&mut runner).unwrap().current();
        if flavor == TotalFlavor::Wrong {
            continue;
        }
        if let Ok(Mapped::Entry(e)) = map_document(&doc, &cfg, &mut aux) {
            out.push(e);
        }
    }
    out
}

/// The entries as if each had been booked two days after its date, in date order.
fn booked(mut entries: Vec<LedgerEntry>) -> Vec<BookedEntry> {
    entries.sort_by_key(|e| e.date);
    let mut numbering = Numbering::default();
    entries
        .into_iter()
        .map(|entry| BookedEntry {
            number: numbering.next(&entry.journal_code),
            validated_on: entry.date + chrono::Days::new(2),
            entry,
        })
        .collect()
}

fn write_to(dir: &Path, bytes: &[u8], name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn header_fields_and_numbering_follow_the_text() {
    let cfg = example_config();
    let mut aux = AuxCodes::new(8);
    let mut docs = vec![sellsy_example_invoice()];
    let mut older = sellsy_example_invoice();
    older.source.source_id = "4700".into();
    older.number = "FACT-2026-00041".into();
    older.date = day("2026-11-02");
    older.party.name = "Dupont\tSARL | Paris\n".into();
    docs.push(older);
    let mut credit = sellsy_example_invoice();
    credit.source.kind = DocumentKind::SalesCreditNote;
    credit.source.source_id = "12".into();
    credit.number = "AV-2026-00001".into();
    docs.push(credit);
    let entries: Vec<LedgerEntry> = docs
        .iter()
        .map(|d| match map_document(d, &cfg, &mut aux).unwrap() {
            Mapped::Entry(e) => e,
            other => panic!("{other:?}"),
        })
        .collect();
    let year = (day("2026-01-01"), day("2026-12-31"));
    let fec = write_fec(&booked(entries), &cfg.siren, year, FecOptions::default()).unwrap();
    assert_eq!(fec.name, "732829320FEC20261231.txt");
    assert_eq!(
        file_name("732829320", day("2027-06-30")),
        "732829320FEC20270630.txt"
    );
    assert_eq!((fec.summary.entries, fec.summary.lines), (3, 15));
    let text = String::from_utf8(fec.bytes).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0], COLUMNS);
    assert!(rows.iter().all(|r| r.len() == 18));
    // Numbering per journal in booking order: the 2 November invoice was booked first.
    let numbers: Vec<(&str, &str, &str)> = rows[1..].iter().map(|r| (r[0], r[2], r[8])).collect();
    assert_eq!(numbers[0], ("VT", "VT-000001", "FACT-2026-00041"));
    assert_eq!(numbers[5], ("VT", "VT-000002", "FACT-2026-00042"));
    assert_eq!(numbers[10], ("AV", "AV-000001", "AV-2026-00001"));
    let first = &rows[1];
    assert_eq!(first[3], "20261102");
    assert_eq!((first[4], first[5]), ("411000", "Clients"));
    assert_eq!(
        (first[6], first[7]),
        ("DUPONT", "Dupont SARL Paris"),
        "separators and newlines stripped; Sellsy's 0DUPONT written by the rule"
    );
    assert_eq!((first[11], first[12]), ("491,88", "0,00"), "comma decimals");
    assert_eq!(first[15], "20261104", "ValidDate filled");
    let vat = &rows[4];
    assert_eq!(
        (vat[4], vat[6], vat[7]),
        ("445711", "", ""),
        "CompAuxNum and CompAuxLib empty together"
    );
    assert_eq!(vat[12], "60,00");
}

#[test]
fn iso_8859_15_keeps_the_euro_sign_and_transliterates_the_rest() {
    let cfg = example_config();
    let mut doc = sellsy_example_invoice();
    doc.party.name = "Œuvres € Zoé — 株式会社".into();
    let mut aux = AuxCodes::new(8);
    let Mapped::Entry(e) = map_document(&doc, &cfg, &mut aux).unwrap() else {
        panic!()
    };
    let options = FecOptions {
        separator: Separator::Pipe,
        charset: Charset::Iso8859_15,
    };
    let fec = write_fec(
        &booked(vec![e]),
        &cfg.siren,
        (day("2026-01-01"), day("2026-12-31")),
        options,
    )
    .unwrap();
    let (text, _, bad) = encoding_rs::ISO_8859_15.decode(&fec.bytes);
    assert!(!bad);
    let aux_label = text
        .lines()
        .nth(1)
        .unwrap()
        .split('|')
        .nth(7)
        .unwrap()
        .to_string();
    assert_eq!(aux_label, "Œuvres € Zoé -- Zhu Shi Hui She");
    assert!(!text.contains("&#"), "no HTML entities");
    assert!(
        fec.bytes.contains(&0xA4),
        "the euro sign is 0xA4 in ISO-8859-15"
    );
}

#[test]
fn entries_outside_the_fiscal_year_and_drafts_are_handled() {
    let cfg = example_config();
    let mut aux = AuxCodes::new(8);
    let Mapped::Entry(e) = map_document(&sellsy_example_invoice(), &cfg, &mut aux).unwrap() else {
        panic!()
    };
    let err = write_fec(
        &booked(vec![e.clone()]),
        &cfg.siren,
        (day("2025-01-01"), day("2025-12-31")),
        FecOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("outside the fiscal year"), "{err}");
    let mut draft = e;
    draft.draft = true;
    let err = write_fec(
        &booked(vec![draft]),
        &cfg.siren,
        (day("2026-01-01"), day("2026-12-31")),
        FecOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, FecError::Draft(_)),
        "a FEC has no brouillard: {err}"
    );
    assert!(
        write_fec(
            &[],
            "123456789",
            (day("2026-01-01"), day("2026-12-31")),
            FecOptions::default()
        )
        .is_err()
    );
}

#[test]
fn generated_fec_files_pass_the_independent_checker() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = example_config();
    let year = (day("2026-01-01"), day("2026-12-31"));
    let entries = entries_2026(2_000);
    for (options, sub) in [
        (
            FecOptions {
                separator: Separator::Tab,
                charset: Charset::Utf8,
            },
            "tab-utf8",
        ),
        (
            FecOptions {
                separator: Separator::Pipe,
                charset: Charset::Iso8859_15,
            },
            "pipe-iso",
        ),
    ] {
        let fec = write_fec(&booked(entries.clone()), &cfg.siren, year, options).unwrap();
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        let path = write_to(&dir.path().join(sub), &fec.bytes, &fec.name);
        let (code, report) = independent_check(&path);
        assert_eq!(code, 0, "{sub}: {report:#}");
        assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report:#}");
        assert_eq!(
            report["warnings"].as_array().unwrap().len(),
            0,
            "{sub}: {report:#}"
        );
        assert_eq!(report["stats"]["ecritures"], 2_000);
        assert_eq!(report["stats"]["lignes"], fec.summary.lines);
        assert_eq!(
            report["stats"]["total_debit"],
            format!("{:.2}", fec.summary.total_debit)
        );
        println!(
            "{sub}: {} entries, {} lines, debit = credit = {}: 0 errors, 0 warnings",
            fec.summary.entries, fec.summary.lines, fec.summary.total_debit
        );
    }
}

#[test]
fn a_deliberately_unbalanced_file_fails_the_independent_checker() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = example_config();
    let fec = write_fec(
        &booked(entries_2026(50)),
        &cfg.siren,
        (day("2026-01-01"), day("2026-12-31")),
        FecOptions::default(),
    )
    .unwrap();
    let text = String::from_utf8(fec.bytes).unwrap();
    // Add one euro to the debit of the first line: that entry and the file no longer balance.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[1].split('\t').map(str::to_string).collect();
    let debit: rust_decimal::Decimal = fields[11].replace(',', ".").parse().unwrap();
    let credit: rust_decimal::Decimal = fields[12].replace(',', ".").parse().unwrap();
    if debit.is_zero() {
        fields[12] = format!("{:.2}", credit + rust_decimal::Decimal::ONE).replace('.', ",");
    } else {
        fields[11] = format!("{:.2}", debit + rust_decimal::Decimal::ONE).replace('.', ",");
    }
    lines[1] = fields.join("\t");
    let path = write_to(dir.path(), lines.join("\r\n").as_bytes(), &fec.name);
    let (code, report) = independent_check(&path);
    assert_eq!(code, 1, "{report:#}");
    let summary = report["summary"].as_object().unwrap();
    assert_eq!(summary["error:equilibre"], 1, "{report:#}");
    assert_eq!(summary["error:total"], 1, "{report:#}");
}
