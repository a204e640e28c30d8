//! Peak memory and time of the intake use case (`Pipeline::intake`, what `passerelle ingest`
//! and the mail-inbound function call) on hostile 40 MB mails, one per process so that each
//! peak is its own:
//!
//! ```sh
//! cargo build --release -p app --example intake_bombs
//! for kind in headers parts pdf; do target/release/examples/intake_bombs $kind /tmp/bomb-$kind.eml; done
//! ```
//! `headers`: one header section of about 2.9 million fields; `parts`: about 3.6 million empty
//! MIME parts; `pdf`: an ordinary 33 MB mail with one 24 MB PDF (what a legitimate large mail costs).
//! The mail is written to PATH first when it does not exist; the figures are for the run that
//! reads it back (as `ingest` does), the in-memory adapters standing in for SQLite and files.

use std::io::Write;
use std::time::Instant;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::SystemClock;
use app::usecases::Pipeline;
use mail::{AuthSource, Envelope, SesVerdicts};

const SIZE: usize = 40_000_000;
const DOMAIN: &str = "collecte.example.fr";

fn head(extra: &str) -> Vec<u8> {
    format!(
        "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=welyb.fr; dkim=pass header.i=@welyb.fr; dmarc=pass header.from=welyb.fr;\r\nFrom: Welyb <no-reply@welyb.fr>\r\nTo: achat.acme@{DOMAIN}\r\nSubject: Facture\r\nMessage-ID: <bomb@welyb.fr>\r\nMIME-Version: 1.0\r\n{extra}"
    )
    .into_bytes()
}

fn generate(kind: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE + 1024);
    match kind {
        "headers" => {
            out.extend(head(""));
            let mut i = 0u64;
            while out.len() < SIZE - 64 {
                out.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
                i += 1;
            }
            out.extend_from_slice(b"\r\nbody\r\n");
        }
        "parts" => {
            out.extend(head("Content-Type: multipart/mixed; boundary=b\r\n\r\n"));
            while out.len() < SIZE - 64 {
                out.extend_from_slice(b"--b\r\n\r\nx\r\n");
            }
            out.extend_from_slice(b"--b--\r\n");
        }
        "pdf" => {
            out.extend(head("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n--b\r\nContent-Type: application/pdf; name=f.pdf\r\nContent-Disposition: attachment; filename=f.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
            // A PDF of xorshift noise (incompressible, like a scan), base64 in 76-column lines.
            let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            while pdf.len() < 24_000_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                pdf.extend_from_slice(&x.to_le_bytes());
            }
            pdf.extend_from_slice(b"\n%%EOF\n");
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for line in pdf.chunks(57) {
                for c in line.chunks(3) {
                    let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
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
            out.extend_from_slice(b"--b--\r\n");
        }
        other => panic!("unknown kind {other}: headers, parts or pdf"),
    }
    out
}

/// Peak resident set size of this process, from /proc (Linux).
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "headers".into());
    let path = args
        .next()
        .unwrap_or_else(|| format!("/tmp/bomb-{kind}.eml"));
    if !std::path::Path::new(&path).exists() {
        let raw = generate(&kind);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(&raw))
            .expect("write the mail");
        println!("wrote {path} ({} bytes); run again to measure", raw.len());
        return;
    }
    let cfg = vec![domain::testkit::example_config()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock);
    let envelope = Envelope {
        recipients: vec![format!("achat.acme@{DOMAIN}")],
        auth: AuthSource::Ses(SesVerdicts {
            spam: "PASS".into(),
            virus: "PASS".into(),
            spf: "PASS".into(),
            dkim: "PASS".into(),
            dmarc: "PASS".into(),
        }),
    };
    let start = Instant::now();
    let raw = std::fs::read(&path).expect("read the mail");
    let report = pipeline
        .intake(&cfg, &domains, &raw, &envelope, None)
        .await
        .expect("intake");
    let elapsed = start.elapsed();
    let outcome = &report.outcome;
    let verdict = outcome
        .rejection
        .as_ref()
        .map(|r| format!("refused: {}", r.message))
        .unwrap_or_else(|| format!("{} file(s) queued", report.queued));
    println!(
        "{kind}: {} bytes, {:.0} ms, peak RSS (VmHWM) {} MiB; {verdict}",
        raw.len(),
        elapsed.as_secs_f64() * 1000.0,
        vm_hwm_kib() / 1024
    );
}
