//! Throughput and peak memory of the whole intake on a 25 MB mail with 5 attachments.
//!
//! ```sh
//! CARGO_TARGET_DIR=target-mail cargo build --release -p mail --example bench_intake
//! /usr/bin/time -v target-mail/release/examples/bench_intake /tmp/bench-25mb.eml
//! /usr/bin/time -v python3 crates/mail/bench/bench_email.py /tmp/bench-25mb.eml
//! ```
//! The mail is generated (deterministically) at PATH when the file does not exist yet; run once
//! to create it, then measure on the second run so that generation is not in the peak memory.

use std::time::Instant;

use mail::{AuthSource, Directory, Envelope, SenderPolicy, SesVerdicts};

const TARGET_BYTES: usize = 25 * 1024 * 1024;
const ATTACHMENTS: usize = 5;
const ITERATIONS: usize = 5;

struct Dir;

impl Directory for Dir {
    fn sender_policy(&self, _: &str, slug: &str) -> Option<SenderPolicy> {
        Some(SenderPolicy {
            dossier_id: slug.into(),
            allowed_senders: vec!["no-reply@welyb.fr".into()],
            ..Default::default()
        })
    }
}

fn base64_lines(data: &[u8], out: &mut Vec<u8>) {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            let b = [
                c[0],
                c.get(1).copied().unwrap_or(0),
                c.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            out.push(T[(n >> 18) as usize & 63]);
            out.push(T[(n >> 12) as usize & 63]);
            out.push(if c.len() > 1 {
                T[(n >> 6) as usize & 63]
            } else {
                b'='
            });
            out.push(if c.len() > 2 {
                T[n as usize & 63]
            } else {
                b'='
            });
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// A deterministic mail: text body + 5 PDF-like attachments (xorshift noise after a PDF header).
fn generate() -> Vec<u8> {
    let per_file = TARGET_BYTES / ATTACHMENTS * 57 / 78; // base64 with CRLF every 76 chars
    let mut out = b"From: Welyb <no-reply@welyb.fr>\r\nTo: achat.acme@collect.example.fr\r\nSubject: Factures du mois\r\nMessage-ID: <bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_bench\"\r\n\r\n--=_bench\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici les factures.\r\n".to_vec();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..ATTACHMENTS {
        let mut file = b"%PDF-1.7\n".to_vec();
        while file.len() < per_file {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            file.extend_from_slice(&state.to_le_bytes());
        }
        file.extend_from_slice(b"\n%%EOF\n");
        out.extend_from_slice(format!("--=_bench\r\nContent-Type: application/pdf; name=\"facture-{i}.pdf\"\r\nContent-Disposition: attachment; filename=\"facture-{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").as_bytes());
        base64_lines(&file, &mut out);
    }
    out.extend_from_slice(b"--=_bench--\r\n");
    out
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/bench-25mb.eml".into());
    if !std::path::Path::new(&path).exists() {
        let mail = generate();
        if let Err(e) = std::fs::write(&path, &mail) {
            eprintln!("cannot write {path}: {e}");
            std::process::exit(1);
        }
        println!(
            "generated {path}: {} bytes; run again to measure",
            mail.len()
        );
        return;
    }
    let raw = match std::fs::read(&path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let envelope = Envelope {
        recipients: vec!["achat.acme@collect.example.fr".into()],
        auth: AuthSource::Ses(SesVerdicts {
            dmarc: "PASS".into(),
            ..Default::default()
        }),
    };
    let mut times = Vec::new();
    let mut docs = 0;
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        let outcome = mail::intake(
            &raw,
            &envelope,
            &Dir,
            &mail::NoDuplicates,
            chrono::DateTime::UNIX_EPOCH,
        );
        times.push(t.elapsed().as_secs_f64());
        docs = outcome.documents().count();
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let mb = raw.len() as f64 / 1_000_000.0;
    println!(
        "rust mail::intake: {:.1} MB mail, {docs} documents, median {:.1} ms over {ITERATIONS} runs, {:.0} MB/s, peak RSS {} KiB",
        mb,
        median * 1000.0,
        mb / median,
        peak_rss_kib().map_or("?".into(), |k| k.to_string())
    );
}
