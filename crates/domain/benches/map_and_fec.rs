//! Maps 100,000 invoices of 5 rows into entries and writes their FEC.
//! Run: `cargo bench -p domain --bench map_and_fec` (figures in BENCHMARKS.md).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::auxcode::AuxCodes;
use domain::config::DossierConfig;
use domain::fec::{BookedEntry, FecOptions, Numbering, write_fec};
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, invoices};
use domain::{LedgerEntry, SourceDocument};

const INVOICES: usize = 100_000;
const ROWS: usize = 5;

fn map_all(docs: &[SourceDocument], cfg: &DossierConfig) -> Vec<LedgerEntry> {
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    docs.iter()
        .map(|doc| match map_document(doc, cfg, &mut aux) {
            Ok(Mapped::Entry(e)) => e,
            other => panic!("{}: {other:?}", doc.number),
        })
        .collect()
}

/// The entries booked in this order on `validated_on`.
fn book(entries: Vec<LedgerEntry>, validated_on: chrono::NaiveDate) -> Vec<BookedEntry> {
    let mut numbering = Numbering::default();
    entries
        .into_iter()
        .map(|entry| BookedEntry {
            number: numbering.next(&entry.journal_code),
            entry,
            validated_on,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cfg = example_config();
    let docs = invoices(INVOICES, ROWS, 42);
    let entries = map_all(&docs, &cfg);
    let validated_on = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    let booked = book(entries, validated_on);
    let year = cfg.fiscal_year_of(validated_on);
    let fec_size = write_fec(&booked, &cfg.siren, year, FecOptions::default())
        .unwrap()
        .bytes
        .len() as u64;
    eprintln!(
        "{INVOICES} invoices of {ROWS} rows -> FEC of {:.1} MB",
        fec_size as f64 / 1e6
    );

    let mut group = c.benchmark_group("100k_invoices_5_rows");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(INVOICES as u64));
    group.bench_function("map", |b| b.iter(|| black_box(map_all(&docs, &cfg))));
    group.throughput(Throughput::Bytes(fec_size));
    group.bench_function("write_fec", |b| {
        b.iter(|| black_box(write_fec(&booked, &cfg.siren, year, FecOptions::default()).unwrap()))
    });
    group.throughput(Throughput::Elements(INVOICES as u64));
    group.bench_function("map_then_write_fec", |b| {
        b.iter(|| {
            let booked = book(map_all(&docs, &cfg), validated_on);
            black_box(write_fec(&booked, &cfg.siren, year, FecOptions::default()).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
