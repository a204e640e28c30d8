//! Benchmark: detect + read + check + map (to a source document, then booked by
//! `domain::mapping`) of a typical Factur-X invoice, a 1 MB Factur-X PDF and a 5 MB UBL file.
//! Prints the time per file and the peak RSS (VmHWM) of a process that did only that case.
//!
//! `cargo run --release -p einvoice --features testkit --example bench`

use std::process::Command;
use std::time::Instant;

use domain::auxcode::AuxCodes;
use domain::config::Scope;
use domain::mapping::{Mapped, map_document};
use einvoice::map::MapOptions;
use einvoice::testkit::forge::{self, Cat, Kind, Level, Spec};
use einvoice::testkit::{pdfout, xmlout};
use einvoice::{Detection, Side};

const CASES: &[&str] = &["typical-facturx", "facturx-1mb", "ubl-5mb"];

fn main() {
    match std::env::args().nth(1) {
        Some(case) => run(&case),
        None => {
            // One process per case, so each peak RSS is that case's alone.
            println!(
                "| case | file size | iterations | time per file (median) | min | peak RSS (VmHWM) |"
            );
            println!("|---|---:|---:|---:|---:|---:|");
            let exe = std::env::current_exe().expect("own path");
            for case in CASES {
                let out = Command::new(&exe).arg(case).output().expect("runs");
                print!("{}", String::from_utf8_lossy(&out.stdout));
                if !out.status.success() {
                    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                    std::process::exit(1);
                }
            }
        }
    }
}

/// The file of a case and how many times to process it.
fn build(case: &str) -> (Vec<u8>, &'static str, usize) {
    match case {
        "typical-facturx" => {
            let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::En16931)));
            // A one-page invoice PDF with its logo and fonts weighs ~50 KB.
            (
                pdfout::pdf("factur-x.xml", xml.as_bytes(), true, 50_000),
                "facture.pdf",
                2000,
            )
        }
        "facturx-1mb" => {
            let mut spec = Spec::typical(Kind::Cii(Level::En16931));
            spec.lines = lines(40);
            let xml = xmlout::write(&spec);
            (
                pdfout::pdf("factur-x.xml", xml.as_bytes(), true, 1_000_000),
                "facture.pdf",
                500,
            )
        }
        "ubl-5mb" => {
            let mut spec = Spec::typical(Kind::UblInvoice);
            spec.lines = lines(9700);
            (xmlout::write(&spec).into_bytes(), "facture.xml", 20)
        }
        other => panic!("unknown case {other}"),
    }
}

fn lines(n: usize) -> Vec<forge::Line> {
    let cats = [Cat::S(2000), Cat::S(1000), Cat::S(550)];
    (0..n)
        .map(|i| {
            let mut l = forge::line(
                &format!("Article de catalogue numéro {i} — description longue du produit"),
                &format!("{}", 1 + i % 7),
                &format!("{}.{:02}", 3 + i % 90, i % 100),
                cats[i % 3],
                None,
            );
            if i % 5 == 0 {
                l.account = Some("606400".into());
            }
            l
        })
        .collect()
}

fn run(case: &str) {
    let (bytes, name, iterations) = build(case);
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Both;
    cfg.sync_without_pdf = true;
    let options = MapOptions {
        known_rates: cfg.vat.purchases.keys().copied().collect(),
        suppliers: cfg.einvoice.clone(),
    };
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        let Detection::EInvoice(file) = einvoice::detect(&bytes, name) else {
            panic!("{case}: not detected");
        };
        let inv = einvoice::read(&file).expect("readable");
        let violations = einvoice::check(&inv);
        assert!(violations.is_empty(), "{case}: {violations:?}");
        let mapped = einvoice::to_source_document(&inv, Side::Purchase, &options).expect("mapped");
        let mut aux = AuxCodes::new(8);
        let Ok(Mapped::Entry(entry)) = map_document(&mapped.document, &cfg, &mut aux) else {
            panic!("{case}: not booked");
        };
        std::hint::black_box(entry);
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| {case} | {:.2} MB | {iterations} | {:.2} ms | {:.2} ms | {} |",
        bytes.len() as f64 / 1_048_576.0,
        ms(times[times.len() / 2]),
        ms(times[0]),
        peak_rss()
    );
}

/// VmHWM of this process (Linux), e.g. "9.8 MB".
fn peak_rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("n/a".into(), |kb| format!("{:.1} MB", kb / 1024.0))
}
