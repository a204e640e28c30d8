//! Exports a FEC of 1,000,000 lines (issue 14, acceptance 4): the booked entries of one fiscal
//! year are written to a booked-entries file as the sink keeps it (numbers and validation days
//! fixed at booking), then the year's FEC is streamed from it twice; both exports must be
//! byte-identical (stable numbering) and numbered continuously per journal. Neither step holds
//! the year in memory: peak RSS (VmHWM) is printed after each.
//!
//! Run (figures in BENCHMARKS.md):
//! `cargo run --release -p ledgers --example fec_export_bench [LINES]`

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use domain::auxcode::AuxCodes;
use domain::fec::{BookedEntry, FecOptions, Numbering};
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, invoices};
use ledgers::fec::{export_year, write_booked_line};
use sha2::{Digest, Sha256};

/// Peak resident set size of this process so far, in MiB (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let cfg = example_config();
    let (start, closing) = cfg.fiscal_year_of(chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
    let days = (closing - start).num_days() as usize;
    let dir = tempfile::tempdir()?;
    let booked_path = dir.path().join("booked.jsonl");

    // 1. The year's booked entries, in booking order, 1,000 invoices at a time.
    let t = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&booked_path)?);
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let mut numbering = Numbering::default();
    let (mut lines, mut entries, mut seed) = (0usize, 0usize, 1u64);
    while lines < target {
        for mut doc in invoices(1_000, 5, seed) {
            if lines >= target {
                break;
            }
            doc.source.source_id = format!("{seed}-{}", doc.source.source_id);
            doc.number = format!("F{seed}-{}", doc.number);
            let Mapped::Entry(mut entry) = map_document(&doc, &cfg, &mut aux)? else {
                continue;
            };
            entry.date = start + chrono::Days::new((lines * days / target) as u64);
            entry.piece_date = entry.date;
            lines += entry.lines().len();
            entries += 1;
            let booked = BookedEntry {
                number: numbering.next(&entry.journal_code),
                validated_on: entry.date,
                entry,
            };
            write_booked_line(&mut out, &booked.entry.source.key(), &booked)?;
        }
        seed += 1;
    }
    out.flush()?;
    drop(out);
    let booked_size = std::fs::metadata(&booked_path)?.len();
    println!(
        "booked entries: {entries} entries, {lines} FEC lines, {:.1} MB of booked.jsonl in {:.2} s (peak RSS so far {:.1} MiB)",
        booked_size as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );

    // 2. The FEC, streamed from the booked entries, twice.
    let mut digests = Vec::new();
    for run in 1..=2 {
        let fec_path = dir.path().join(format!("export-{run}.txt"));
        let t = Instant::now();
        let reader = BufReader::with_capacity(1 << 20, File::open(&booked_path)?);
        let mut writer = BufWriter::with_capacity(1 << 20, File::create(&fec_path)?);
        let exported = export_year(
            reader,
            "booked.jsonl",
            &mut writer,
            &cfg,
            closing,
            FecOptions::default(),
        )
        .map_err(|e| e.message)?;
        writer.flush()?;
        drop(writer);
        let elapsed = t.elapsed().as_secs_f64();
        let size = std::fs::metadata(&fec_path)?.len();
        println!(
            "export {run}: {} ({} lines, {:.1} MB) in {elapsed:.2} s: {:.0} lines/s, {:.1} MiB/s; peak RSS {:.1} MiB",
            exported.name,
            exported.summary.lines,
            size as f64 / 1e6,
            exported.summary.lines as f64 / elapsed,
            size as f64 / elapsed / (1 << 20) as f64,
            peak_rss_mib()
        );
        digests.push(continuous_digest(&fec_path)?);
    }
    assert_eq!(digests[0], digests[1], "two exports differ");
    println!(
        "both exports identical (sha256 {}), EcritureNum continuous per journal",
        &digests[0][..16]
    );
    Ok(())
}

/// The file's SHA-256, checking as it reads that each journal is numbered 1, 2, 3…
fn continuous_digest(path: &std::path::Path) -> Result<String, Box<dyn std::error::Error>> {
    let mut hash = Sha256::new();
    let mut last: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for (i, line) in BufReader::new(File::open(path)?).lines().enumerate() {
        let line = line?;
        hash.update(line.as_bytes());
        if i == 0 {
            continue;
        }
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        let n: u64 = f[2].rsplit('-').next().unwrap_or("").parse()?;
        match last.get(f[0]) {
            Some((num, p)) if num == f[2] && *p == n => {}
            Some((_, p)) if n == p + 1 => {}
            None if n == 1 => {}
            _ => return Err(format!("line {}: {} breaks the numbering", i + 1, f[2]).into()),
        }
        last.insert(f[0].to_string(), (f[2].to_string(), n));
    }
    Ok(hex::encode(hash.finalize()))
}
