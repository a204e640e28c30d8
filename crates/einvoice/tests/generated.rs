//! Generated e-invoices of every kind and profile, judged first by an independent validator
//! (XSD + the official Schematron run by Saxon-HE, Factur-X PDFs written by the `factur-x`
//! package, one CII written by `drafthorse`; see tests/tools/einvoice_tool.py), then read,
//! checked and booked here: valid ones book balanced entries whose VAT per rate is the
//! breakdown; broken ones are refused by the same rule the validator names. The VAT categories
//! without VAT are generated too: reverse charge (AE) and intra-community supplies (K), whose
//! purchases book self-assessed VAT both ways, export (G) and not subject (O).

mod support;

#[path = "generated/mutations.rs"]
mod mutations;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use domain::SelfAssessment;
use domain::config::DossierConfig;
use einvoice::{Container, Format, Side};
use rust_decimal::Decimal;
use serde_json::Value;
use support::forge::{self, Cat, Kind, Level, Spec};
use support::xmlout;

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
    specs.extend(without_vat_specs());
    specs
}

fn credit(mut spec: Spec) -> Spec {
    spec.credit_note = true;
    spec.number = format!("AV-{}", spec.number);
    spec
}

/// The categories without VAT (AE, K, G, O) in every profile that shows a VAT category (MINIMUM
/// has neither lines nor breakdown), invoices and credit notes, CII and UBL.
fn without_vat_specs() -> Vec<(String, Spec)> {
    let mut specs = Vec::new();
    for level in [
        Level::BasicWl,
        Level::Basic,
        Level::En16931,
        Level::Extended,
    ] {
        let kind = Kind::Cii(level);
        specs.push((format!("cii-{level:?}-AE"), Spec::reverse_charge(kind)));
        specs.push((format!("cii-{level:?}-K"), Spec::intra_community(kind)));
    }
    let en = Kind::Cii(Level::En16931);
    specs.push((
        "cii-En16931-AE-credit".into(),
        credit(Spec::reverse_charge(en)),
    ));
    specs.push((
        "cii-Basic-K-credit".into(),
        credit(Spec::intra_community(Kind::Cii(Level::Basic))),
    ));
    specs.push(("cii-En16931-G".into(), Spec::export(en)));
    specs.push((
        "cii-Basic-O".into(),
        Spec::not_subject_to_vat(Kind::Cii(Level::Basic)),
    ));
    specs.push((
        "ubl-invoice-AE".into(),
        Spec::reverse_charge(Kind::UblInvoice),
    ));
    specs.push((
        "ubl-creditnote-AE".into(),
        Spec::reverse_charge(Kind::UblCreditNote),
    ));
    specs.push((
        "ubl-invoice-K".into(),
        Spec::intra_community(Kind::UblInvoice),
    ));
    specs.push((
        "ubl-creditnote-K".into(),
        Spec::intra_community(Kind::UblCreditNote),
    ));
    specs.push(("ubl-invoice-G".into(), Spec::export(Kind::UblInvoice)));
    specs.push((
        "ubl-creditnote-O".into(),
        Spec::not_subject_to_vat(Kind::UblCreditNote),
    ));
    specs
}

/// The self-assessed VAT a purchase of `spec` books: (deductible account, due account, amount)
/// per AE or K row, at the dossier's rate (EN 16931 puts those rows at 0 %).
fn self_assessed(spec: &Spec, cfg: &DossierConfig) -> Vec<(String, String, Decimal)> {
    let s = &cfg.vat.self_assessed;
    spec.figures()
        .rows
        .iter()
        .filter(|r| r.cat.self_assessed())
        .map(|r| {
            let regime = match r.cat {
                Cat::AE => SelfAssessment::ReverseCharge,
                _ => SelfAssessment::IntraCommunity,
            };
            let (deductible, due) = s.accounts(regime, s.rate, &cfg.vat.purchases).unwrap();
            let amount = forge::cents(r.basis * s.rate / Decimal::ONE_HUNDRED);
            (deductible.to_string(), due.to_string(), amount)
        })
        .collect()
}

/// The entry of `spec` booked on `side`: balanced, the third party's line the invoice's total,
/// the VAT its breakdown's plus, on purchases, the self-assessed VAT of AE and K rows on their
/// deductible and due accounts, the rest its net; credit notes reversed.
fn check_entry(name: &str, spec: &Spec, side: Side, cfg: &DossierConfig, b: &support::Booked) {
    let figures = spec.figures();
    // Credit notes are booked reversed: the party is owed, not owing.
    let sign = if spec.credit_note {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    let lines = b.entry.lines();
    let debit: Decimal = lines.iter().map(|l| l.debit).sum();
    let credit: Decimal = lines.iter().map(|l| l.credit).sum();
    assert_eq!(debit, credit, "{name} {side:?}: unbalanced {:#?}", b.entry);
    assert_eq!(b.third_party, sign * figures.grand, "{name} {side:?} total");
    let signed = |l: &domain::EntryLine| match side {
        Side::Purchase => l.debit - l.credit,
        Side::Sales => l.credit - l.debit,
    };
    let expected = match side {
        Side::Purchase => self_assessed(spec, cfg),
        Side::Sales => Vec::new(),
    };
    let sa = &cfg.vat.self_assessed;
    let mut vat_accounts: Vec<&str> = match side {
        Side::Purchase => cfg.vat.purchases.values().map(String::as_str).collect(),
        Side::Sales => cfg.vat.sales.values().map(String::as_str).collect(),
    };
    for (deductible, due, amount) in &expected {
        assert!(
            lines
                .iter()
                .any(|l| &l.account == deductible && signed(l) == sign * *amount),
            "{name} {side:?}: no deductible {amount} on {deductible}: {:#?}",
            b.entry
        );
        let on_due: Decimal = lines.iter().filter(|l| &l.account == due).map(signed).sum();
        assert_eq!(on_due, -sign * *amount, "{name} {side:?}: VAT due on {due}");
        vat_accounts.extend([deductible.as_str(), due.as_str()]);
    }
    for account in [&sa.intra_community_due, &sa.reverse_charge_due] {
        if expected.is_empty() {
            assert!(
                lines.iter().all(|l| &l.account != account),
                "{name} {side:?}: self-assessed VAT on {account}: {:#?}",
                b.entry
            );
        }
    }
    let third = match side {
        Side::Purchase => &cfg.accounts.suppliers,
        Side::Sales => &cfg.accounts.customers,
    };
    let vat: Decimal = lines
        .iter()
        .filter(|l| vat_accounts.contains(&l.account.as_str()))
        .map(signed)
        .sum();
    // Deductible and due cancel out: the VAT booked is the invoice's.
    assert_eq!(vat, sign * figures.vat, "{name} {side:?} VAT");
    let net: Decimal = lines
        .iter()
        .filter(|l| !vat_accounts.contains(&l.account.as_str()) && &l.account != third)
        .map(signed)
        .sum();
    assert_eq!(net, sign * figures.basis, "{name} {side:?} net");
}

fn jobs_for(dir: &Path, name: &str, spec: &Spec) -> (Vec<Value>, Vec<PathBuf>) {
    let xml = dir.join(format!("{name}.xml"));
    std::fs::write(&xml, xmlout::write(spec)).unwrap();
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
                check_entry(name, spec, side, &cfg, &b);
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
        let text = xmlout::write(&spec);
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
            cases.push((path, vec![b.rule]));
        }
    }
    // The categories without VAT: their own rules (buyer VAT id, 0 %, delivery, O alone).
    for m in mutations::mutations() {
        let path = dir.path().join(format!("{}.xml", m.name));
        std::fs::write(&path, &m.xml).unwrap();
        jobs.push(if m.ubl {
            serde_json::json!({"xml": path.to_str().unwrap()})
        } else {
            serde_json::json!({"xml": path.to_str().unwrap(), "level": "en16931"})
        });
        cases.push((path, m.rules.to_vec()));
    }
    let results = run_tool(dir.path(), &jobs);
    for (path, rules) in cases {
        let (valid, errors) = verdict(&results, &path);
        assert!(!valid, "{}: the validator accepts it", path.display());
        let bytes = std::fs::read(&path).unwrap();
        let file = support::expect_einvoice(&bytes, "broken.xml");
        let inv = einvoice::read(&file).unwrap();
        let ours: Vec<String> = einvoice::check(&inv).into_iter().map(|v| v.rule).collect();
        for rule in rules {
            assert!(
                errors.iter().any(|e| e.starts_with(&format!("{rule} "))),
                "{}: the validator does not name {rule}: {errors:?}",
                path.display()
            );
            assert!(
                ours.iter().any(|r| r == rule),
                "{}: we report {ours:?}, not {rule} (the validator: {errors:?})",
                path.display()
            );
        }
    }
}
