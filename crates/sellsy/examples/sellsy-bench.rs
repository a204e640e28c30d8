//! Acceptance 2 bench: pulls N invoices and M credit notes from the simulator under Sellsy's
//! quotas and compares the elapsed time with the minimum the quotas allow for the calls made.
//!
//! cargo run --release -p sellsy --example sellsy-bench -- \
//!     [--invoices 2000] [--credit-notes 300] [--per-second 5] [--per-minute 150] [--concurrency 4]

use std::time::{Duration, Instant};

use app::ports::{PullMode, PullWindow, Secret, SourceApi};
use chrono::NaiveDate;
use sellsy::{SellsyClient, SellsyConfig};
use sellsy_sim::{Kind, Sim, SimConfig};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} expects a number"))
        })
        .unwrap_or(default)
}

/// The earliest time the last of `n` calls can be sent when any 1 s window holds at most
/// `per_second` calls and any 60 s window at most `per_minute` (sliding windows, first call at 0).
fn minimum(n: usize, per_second: usize, per_minute: usize) -> Duration {
    let mut t: Vec<f64> = Vec::with_capacity(n);
    for k in 0..n {
        let mut at: f64 = 0.0;
        if k >= per_second {
            at = at.max(t[k - per_second] + 1.0);
        }
        if k >= per_minute {
            at = at.max(t[k - per_minute] + 60.0);
        }
        if k > 0 {
            at = at.max(t[k - 1]);
        }
        t.push(at);
    }
    Duration::from_secs_f64(t.last().copied().unwrap_or(0.0))
}

#[tokio::main]
async fn main() {
    let invoices = arg("--invoices", 2000) as usize;
    let credit_notes = arg("--credit-notes", 300) as usize;
    let per_second = arg("--per-second", 5) as u32;
    let per_minute = arg("--per-minute", 150) as u32;
    let concurrency = arg("--concurrency", 4) as usize;
    let sim = Sim::start(SimConfig {
        invoices,
        credit_notes,
        companies: 120,
        individuals: 60,
        draft_share: 0.0,
        per_second,
        per_minute,
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let mut cfg = SellsyConfig::new(sim.client_id(), Secret::new(sim.client_secret()))
        .with_base_urls(sim.api_base(), sim.token_url());
    cfg.concurrency = concurrency;
    let client = SellsyClient::new(cfg).unwrap();
    let window = PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    println!(
        "sellsy-bench: {invoices} invoices, {credit_notes} credit notes, quotas {per_second}/s {per_minute}/min, concurrency {concurrency}"
    );
    let started = Instant::now();
    let pulled = client
        .pull(window, PullMode::Documents)
        .await
        .expect("pull succeeds");
    let elapsed = started.elapsed();
    let stats = sim.stats();
    let calls = stats.api_requests as usize;
    let min = minimum(calls, per_second as usize, per_minute as usize);
    let inv = pulled
        .documents
        .iter()
        .filter(|d| d.source.kind == domain::DocumentKind::SalesInvoice)
        .count();
    let cn = pulled.documents.len() - inv;
    let once = stats.doc_gets.values().all(|n| *n == 1)
        && stats
            .doc_gets
            .keys()
            .filter(|(k, _)| *k == Kind::Invoice)
            .count()
            == invoices
        && stats
            .doc_gets
            .keys()
            .filter(|(k, _)| *k == Kind::CreditNote)
            .count()
            == credit_notes;
    println!("documents pulled: {inv} invoices, {cn} credit notes");
    println!("each document fetched exactly once: {once}");
    println!("calls (quota-counted API requests): {calls}");
    for (route, n) in &stats.by_route {
        println!("  {route}: {n}");
    }
    println!(
        "429 responses: {} (client saw {})",
        stats.throttled, pulled.stats.throttled_429
    );
    println!("retries: {}", pulled.stats.retries);
    println!("spec violations: {}", sim.violations().len());
    println!("elapsed: {:.1} s", elapsed.as_secs_f64());
    println!(
        "minimum allowed by the quotas for {calls} calls: {:.1} s",
        min.as_secs_f64()
    );
    println!(
        "elapsed / minimum: {:.3}",
        elapsed.as_secs_f64() / min.as_secs_f64().max(1e-9)
    );
    sim.stop().await;
}
