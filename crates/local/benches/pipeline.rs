//! Documents per second through the local pipeline (SQLite file + files directory + in-process
//! queue) with an instant ledger, and what a document costs in DynamoDB, S3 and SQS requests,
//! with the cost of 10,000 invoices at public AWS prices.
//!
//! Run: `cargo bench -p local --bench pipeline` (figures in BENCHMARKS.md).
//! `PASSERELLE_BENCH_DOCS` sets the number of invoices (default 5,000).

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use app::ports::{PullWindow, SystemClock};
use app::testing::counting::{CountingBlobs, CountingQueue, CountingStore};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::{Pipeline, Settings};
use chrono::NaiveDate;
use local::{DirBlobs, InProcessQueue, SqliteStore};

// Public prices, US East (N. Virginia), on-demand / standard, as published by AWS in 2026:
// DynamoDB on-demand $0.625 per million write request units and $0.125 per million read request
// units; S3 Standard $0.005 per 1,000 PUT/LIST and $0.0004 per 1,000 GET; SQS standard $0.40 per
// million requests. Other regions differ by about +13 % (eu-west-1).
const DYNAMO_WRU: f64 = 0.625 / 1e6;
const DYNAMO_RRU: f64 = 0.125 / 1e6;
const S3_PUT: f64 = 0.005 / 1e3;
const S3_GET: f64 = 0.0004 / 1e3;
const SQS_REQUEST: f64 = 0.40 / 1e6;

fn main() {
    let n: usize = std::env::var("PASSERELLE_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(n));
}

async fn run(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = CountingStore::new(
        SqliteStore::open(dir.path().join("passerelle.sqlite3")).expect("sqlite"),
    );
    let blobs = CountingBlobs::new(DirBlobs::open(dir.path().join("files")).expect("files"));
    let queue = CountingQueue::new(InProcessQueue::new());
    let cfg = domain::testkit::example_config();
    let docs = domain::testkit::invoices(n, 5, 42);
    let source = FakeSource::new(docs, 0, 1);
    let ledger = FakeLedger::new(0, 2);
    let settings = Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    };
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(settings);
    let dossiers = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    let window = PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    };

    let start = Instant::now();
    let report = pipeline
        .pull(&cfg, &source, window, Some("bench"))
        .await
        .expect("pull");
    let pulled = start.elapsed();
    pipeline
        .run_until_idle(
            &dossiers,
            Duration::from_millis(200),
            Duration::from_secs(3600),
        )
        .await
        .expect("worker");
    // run_until_idle waits 200 ms of silence before returning; that is not work.
    let elapsed = start.elapsed().saturating_sub(Duration::from_millis(200));
    let (booked, duplicates) = ledger.counts();
    assert_eq!((report.new as usize, booked, duplicates), (n, n, 0));

    let per = |c: &std::sync::atomic::AtomicU64| c.load(Relaxed) as f64 / n as f64;
    let s = &store.counts;
    let b = &blobs.counts;
    let q = &queue.counts;
    println!(
        "pipeline: {n} invoices of 5 rows, pull + map + push, one worker, SQLite file + files directory + in-process queue, instant ledger"
    );
    println!(
        "  elapsed {:.2} s (pull and store {:.2} s) -> {:.0} documents/s",
        elapsed.as_secs_f64(),
        pulled.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
    println!("per document:");
    println!(
        "  DynamoDB: {:.2} GetItem, {:.2} PutItem (conditional), {:.2} Query pages -> {:.2} WRU, {:.2} RRU",
        per(&s.get_item),
        per(&s.put_item),
        per(&s.query),
        per(&s.write_units),
        per(&s.read_units)
    );
    println!(
        "  S3: {:.2} PUT ({:.0} bytes), {:.2} GET, {:.2} LIST",
        per(&b.s3_put),
        per(&b.s3_bytes_put),
        per(&b.s3_get),
        per(&b.s3_list)
    );
    println!(
        "  SQS: {:.2} send batches, {:.2} receives, {:.2} deletes",
        per(&q.sqs_send),
        per(&q.sqs_receive),
        per(&q.sqs_delete)
    );
    let docs10k = 10_000.0;
    let dynamo = docs10k * (per(&s.write_units) * DYNAMO_WRU + per(&s.read_units) * DYNAMO_RRU);
    let s3 = docs10k * ((per(&b.s3_put) + per(&b.s3_list)) * S3_PUT + per(&b.s3_get) * S3_GET);
    let sqs = docs10k * (per(&q.sqs_send) + per(&q.sqs_receive) + per(&q.sqs_delete)) * SQS_REQUEST;
    println!(
        "cost of 10,000 invoices (US East prices): DynamoDB ${dynamo:.4}, S3 ${s3:.4}, SQS ${sqs:.4}, total ${:.4}",
        dynamo + s3 + sqs
    );
}
