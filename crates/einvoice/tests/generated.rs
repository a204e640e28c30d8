//! Generated e-invoices of every kind and profile, judged first by an independent validator
//! (XSD + the official Schematron run by Saxon-HE, Factur-X PDFs written by the `factur-x`
//! package, one CII written by `drafthorse`; see tests/tools/einvoice_tool.py), then read,
//! checked and booked here: valid ones book balanced entries whose VAT per rate is the
//! breakdown; broken ones are refused by the same rule the validator names.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use einvoice::{Container, Format, Side};
use rust_decimal::Decimal;
use serde_json::Value;
use support::forge::{self, Cat, Kind, Level, Spec};

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "the e-invoice validator needs the project's virtualenv: run ./scripts/setup"
    );
    venv
}

/// Runs the independent tool over a manifest; returns its verdicts by path.
fn run_tool(dir: &Path, jobs: &[Value]) -> BTreeMap<String, Value> {
    let manifest = dir.join("manifest.json");
    let result = dir.join("result.json");
    std::fs::write(&manifest, serde_json::to_vec(jobs).unwrap()).unwrap();
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/einvoice_tool.py");
    let out = Command::new(python())
        .arg(&tool)
        .arg(&manifest)
        .arg(&result)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "einvoice_tool.py failed (run ./scripts/setup if a package is missing):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: BTreeMap<String, Value> =
        serde_json::from_slice(&std::fs::read(&result).unwrap()).unwrap();
    parsed
}

fn verdict(results: &BTreeMap<String, Value>, path: &Path) -> (bool, Vec<String>) {
    let v = &results[path.to_str().unwrap()];
    let rules = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e[0].as_str().unwrap(), e[1].as_str().unwrap()))
        .collect();
    (v["valid"].as_bool().unwrap(), rules)
}

/// Every kind and profile, with the generator's variants.
fn valid_specs() -> Vec<(String, Spec)> {
    let mut specs = Vec::new();
    for level in Level::ALL {
        let mut s = Spec::typical(Kind::Cii(level));
        if level == Level::Minimum {
            // MINIMUM has no breakdown: one rate, so the rate can be told from the totals.
            s.lines.retain(|l| l.cat == Cat::S(2000));
        }
        specs.push((format!("cii-{level:?}"), s.clone()));
        let mut credit = s;
        credit.credit_note = true;
        credit.number = "AV-2026-0007".into();
        specs.push((format!("cii-{level:?}-credit"), credit));
    }
    let mut exempt = Spec::typical(Kind::Cii(Level::En16931));
    exempt.lines.push(forge::line(
        "Formation (exonérée)",
        "1",
        "450",
        Cat::E,
        None,
    ));
    exempt
        .lines
        .push(forge::line("Export (taux zéro)", "2", "15.5", Cat::Z, None));
    exempt.prepaid = Decimal::new(5000, 2);
    specs.push(("cii-En16931-exempt-prepaid".into(), exempt.clone()));
    specs.push(("ubl-invoice".into(), Spec::typical(Kind::UblInvoice)));
    specs.push(("ubl-creditnote".into(), Spec::typical(Kind::UblCreditNote)));
    let mut ubl_exempt = exempt;
    ubl_exempt.kind = Kind::UblInvoice;
    specs.push(("ubl-invoice-exempt-prepaid".into(), ubl_exempt));
    specs
}

fn jobs_for(dir: &Path, name: &str, spec: &Spec) -> (Vec<Value>, Vec<PathBuf>) {
    let xml = dir.join(format!("{name}.xml"));
    std::fs::write(&xml, forge::write(spec)).unwrap();
    match spec.kind {
        Kind::Cii(level) => {
            let pdf = dir.join(format!("{name}.pdf"));
            let job = serde_json::json!({
                "xml": xml.to_str().unwrap(),
                "pdf": pdf.to_str().unwrap(),
                "level": level.facturx_level(),
            });
            (vec![job], vec![xml, pdf])
        }
        _ => (
            vec![serde_json::json!({"xml": xml.to_str().unwrap()})],
            vec![xml],
        ),
    }
}

#[test]
fn every_kind_and_profile_is_valid_for_the_validator_and_books_its_breakdown() {
    let dir = tempfile::tempdir().unwrap();
    let specs = valid_specs();
    let mut jobs = Vec::new();
    let mut files = Vec::new();
    for (name, spec) in &specs {
        let (j, f) = jobs_for(dir.path(), name, spec);
        jobs.extend(j);
        files.push((spec.clone(), f));
    }
    let drafthorse = dir.path().join("drafthorse.xml");
    jobs.push(serde_json::json!({"drafthorse": drafthorse.to_str().unwrap()}));
    let results = run_tool(dir.path(), &jobs);
    let cfg = support::dossier();
    let mut booked = 0;
    for (spec, paths) in &files {
        let figures = spec.figures();
        for path in paths {
            let (valid, errors) = verdict(&results, path);
            assert!(
                valid,
                "{}: the validator refuses it: {errors:?}",
                path.display()
            );
            let bytes = std::fs::read(path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            let file = support::expect_einvoice(&bytes, name);
            let expected_format = match spec.kind {
                Kind::Cii(_) => Format::Cii,
                Kind::UblInvoice => Format::UblInvoice,
                Kind::UblCreditNote => Format::UblCreditNote,
            };
            assert_eq!(file.format, expected_format, "{name}");
            if name.ends_with(".pdf") {
                assert_eq!(
                    file.container,
                    Container::Pdf {
                        attachment: "factur-x.xml".into()
                    }
                );
            }
            for side in [Side::Purchase, Side::Sales] {
                let (inv, b) = support::book(&file, side, &cfg);
                // Credit notes are booked reversed: the party is owed, not owing.
                let sign = if spec.credit_note {
                    -Decimal::ONE
                } else {
                    Decimal::ONE
                };
                assert_eq!(b.third_party, sign * figures.grand, "{name} {side:?} total");
                assert_eq!(b.vat_by_account, sign * figures.vat, "{name} {side:?} VAT");
                assert_eq!(b.net, sign * figures.basis, "{name} {side:?} net");
                let by_rate = support::breakdown_by_rate(&inv);
                let mut expected: BTreeMap<Decimal, Decimal> = BTreeMap::new();
                for row in &figures.rows {
                    *expected.entry(row.cat.rate().normalize()).or_default() += row.vat;
                }
                if !matches!(spec.kind, Kind::Cii(Level::Minimum)) {
                    assert_eq!(by_rate, expected, "{name}: breakdown read");
                }
                booked += 1;
            }
        }
    }
    // drafthorse's invoice: the facts its writer computed.
    let (valid, errors) = verdict(&results, &drafthorse);
    assert!(
        valid,
        "drafthorse invoice refused by the validator: {errors:?}"
    );
    let facts = &results[drafthorse.to_str().unwrap()]["facts"];
    let file = support::expect_einvoice(&std::fs::read(&drafthorse).unwrap(), "drafthorse.xml");
    let (inv, b) = support::book(&file, Side::Purchase, &cfg);
    let dec = |v: &Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
    assert_eq!(inv.number.as_deref(), facts["number"].as_str());
    assert_eq!(b.third_party, dec(&facts["grand"]));
    assert_eq!(b.vat_by_account, dec(&facts["vat"]));
    for row in facts["breakdown"].as_array().unwrap() {
        let rate = dec(&row[0]).normalize();
        assert_eq!(support::breakdown_by_rate(&inv)[&rate], dec(&row[2]));
    }
    assert_eq!(
        booked,
        files.iter().map(|(_, f)| f.len() * 2).sum::<usize>()
    );
}

/// A broken copy of a valid invoice: which text to replace, and the rule both must name.
struct Breakage {
    name: &'static str,
    from: String,
    to: String,
    rule: &'static str,
}

fn breakages(spec: &Spec, ubl: bool) -> Vec<Breakage> {
    let f = spec.figures();
    let amt = |d: Decimal| format!("{d:.2}");
    let s20 = f.rows.iter().find(|r| r.cat == Cat::S(2000)).unwrap();
    let (grand_tag, line_tag, basis_tag) = if ubl {
        (
            "cbc:TaxInclusiveAmount currencyID=\"EUR\">",
            "cbc:LineExtensionAmount currencyID=\"EUR\">",
            "cbc:TaxableAmount currencyID=\"EUR\">",
        )
    } else {
        (
            "ram:GrandTotalAmount>",
            "ram:LineTotalAmount>",
            "ram:BasisAmount>",
        )
    };
    vec![
        Breakage {
            name: "grand-total",
            from: format!("{grand_tag}{}<", amt(f.grand)),
            to: format!("{grand_tag}{}<", amt(f.grand + Decimal::ONE)),
            rule: "BR-CO-15",
        },
        Breakage {
            // The header line total is the last LineTotalAmount / first LineExtensionAmount.
            name: "line-total",
            from: format!("{line_tag}{}<", amt(f.line_total)),
            to: format!("{line_tag}{}<", amt(f.line_total + Decimal::new(10, 2))),
            rule: "BR-CO-10",
        },
        Breakage {
            name: "vat-basis",
            from: format!("{basis_tag}{}<", amt(s20.basis)),
            to: format!("{basis_tag}{}<", amt(s20.basis + Decimal::new(300, 2))),
            rule: "BR-S-08",
        },
    ]
}

#[test]
fn broken_invoices_are_refused_by_the_rule_the_validator_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    let mut cases = Vec::new();
    for (kind, ubl) in [(Kind::Cii(Level::En16931), false), (Kind::UblInvoice, true)] {
        let spec = Spec::typical(kind);
        let text = forge::write(&spec);
        for b in breakages(&spec, ubl) {
            let count = text.matches(&b.from).count();
            assert!(count >= 1, "{}: {} not in the invoice", b.name, b.from);
            // Amounts may repeat on lines: break the header's (last in CII, first in UBL).
            let at = if ubl {
                text.find(&b.from)
            } else {
                text.rfind(&b.from)
            }
            .unwrap();
            let broken = format!("{}{}{}", &text[..at], b.to, &text[at + b.from.len()..]);
            let path = dir.path().join(format!(
                "{}-{}.xml",
                if ubl { "ubl" } else { "cii" },
                b.name
            ));
            std::fs::write(&path, broken).unwrap();
            jobs.push(if ubl {
                serde_json::json!({"xml": path.to_str().unwrap()})
            } else {
                serde_json::json!({"xml": path.to_str().unwrap(), "level": "en16931"})
            });
            cases.push((path, b.rule));
        }
    }
    let results = run_tool(dir.path(), &jobs);
    for (path, rule) in cases {
        let (valid, errors) = verdict(&results, &path);
        assert!(!valid, "{}: the validator accepts it", path.display());
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("{rule} "))),
            "{}: the validator does not name {rule}: {errors:?}",
            path.display()
        );
        let bytes = std::fs::read(&path).unwrap();
        let file = support::expect_einvoice(&bytes, "broken.xml");
        let inv = einvoice::read(&file).unwrap();
        let ours: Vec<String> = einvoice::check(&inv).into_iter().map(|v| v.rule).collect();
        assert!(
            ours.iter().any(|r| r == rule),
            "{}: we report {ours:?}, not {rule}",
            path.display()
        );
    }
}
