//! The pipeline under faults, run against any adapter set: N documents through pull → map →
//! push with injected source faults (429/5xx/timeouts), ledger faults (5xx, and timeouts after
//! the ledger accepted), store write failures (before and after writing), duplicated and
//! re-ordered queue deliveries, and two concurrent workers. Then a nightly re-run over the same
//! source, and a document modified after it was booked.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use chrono::NaiveDate;
use domain::config::DossierConfig;
use rust_decimal::Decimal;

use super::fakes::{FakeLedger, FakeSource, FaultyQueue, FaultyStore};
use super::unique_prefix;
use crate::ports::{
    BlobStore, IntegrationLog, LedgerSink, PullWindow, Queue, RecordStore, Severity, SourceApi,
    SystemClock,
};
use crate::usecases::records::{DocState, DocumentRecord, doc_pk};
use crate::usecases::worker::Dossiers;
use crate::usecases::{Pipeline, Settings};

/// One dossier, its source and its ledger: the fakes by default, or any source and sink (the
/// Sellsy client against the simulator, a real sink against its mock).
pub struct OneDossier<'a, S = FakeSource, K = FakeLedger> {
    pub cfg: DossierConfig,
    pub source: &'a S,
    pub sink: &'a K,
}

impl<'a, S: Sync, K: Sync> Dossiers for OneDossier<'a, S, K>
where
    &'a S: SourceApi,
    &'a K: LedgerSink,
{
    type Source = &'a S;
    type Sink = &'a K;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        (id == self.cfg.id).then_some(&self.cfg)
    }
    fn source(&self, id: &str) -> Option<&Self::Source> {
        (id == self.cfg.id).then_some(&self.source)
    }
    fn sink(&self, id: &str) -> Option<&Self::Sink> {
        (id == self.cfg.id).then_some(&self.sink)
    }
}

/// What the run showed.
#[derive(Debug, Clone)]
pub struct FaultReport {
    pub documents: usize,
    pub booked: usize,
    pub duplicates: u32,
    pub source_faults: u64,
    pub ledger_faults_before: u64,
    pub ledger_faults_after: u64,
    pub store_faults: u64,
    pub duplicated_deliveries: u64,
    pub warnings_and_errors_logged: usize,
    pub elapsed: Duration,
}

fn window() -> PullWindow {
    PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
    }
}

/// Runs the fault scenario and asserts its invariants; returns the figures for the report.
/// `fault_per_mille` is the fault rate of the source, the ledger and the queue (300 = 30 %);
/// the store fails 1 in 10 of its document updates.
pub async fn pipeline_fault_suite<S: RecordStore, B: BlobStore, Q: Queue>(
    store: S,
    blobs: B,
    queue: Q,
    documents: usize,
    fault_per_mille: u32,
    retry_delay: Duration,
) -> FaultReport {
    let started = std::time::Instant::now();
    let mut cfg = domain::testkit::example_config();
    cfg.id = unique_prefix("faults");
    cfg.mail.slug = cfg.id.clone();
    let docs = domain::testkit::invoices(documents, 5, 7);
    let source = FakeSource::new(docs.clone(), fault_per_mille, 11);
    let ledger = FakeLedger::new(fault_per_mille, 13);
    let store = FaultyStore::new(store, 100, 17);
    let queue = FaultyQueue::new(queue, fault_per_mille, 19);
    let settings = |worker: &str| Settings {
        worker_id: worker.to_string(),
        lease: Duration::from_secs(3),
        retry_delay,
        max_attempts: 60,
        log_retention_days: 30,
        push_batch: 20,
    };
    let a = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(settings("worker-a"));
    let b = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(settings("worker-b"));
    let dossiers = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };

    // The nightly run: a failed pull is logged and the schedule tries again.
    let mut pulls = 0;
    let report = loop {
        pulls += 1;
        assert!(pulls < 50, "the pull never succeeded");
        match a.pull(&cfg, &source, window(), Some("night-1")).await {
            Ok(r) => break r,
            Err(e) => assert!(e.is_retryable(), "{e}"),
        }
    };
    assert_eq!(report.pulled as usize, documents);
    assert_eq!(report.new as usize, documents);

    // Two workers drain the queues concurrently.
    let idle = Duration::from_secs(4) + retry_delay * 2;
    let deadline = Duration::from_secs(900);
    let (ra, rb) = futures::join!(
        a.run_until_idle(&dossiers, idle, deadline),
        b.run_until_idle(&dossiers, idle, deadline)
    );
    ra.expect("worker a");
    rb.expect("worker b");

    // Exactly once: every document booked, none twice, none lost.
    let (booked, duplicates) = ledger.counts();
    assert_eq!(duplicates, 0, "an entry was booked twice");
    assert_eq!(booked, documents, "every document is booked once");
    let records = store
        .query(&doc_pk(&cfg.id), None, None, usize::MAX)
        .await
        .expect("query documents");
    assert_eq!(records.len(), documents);
    for r in &records {
        let doc = DocumentRecord::from_record(r).expect("document record");
        assert_eq!(
            doc.state,
            DocState::Pushed,
            "{}: {:?} {:?}",
            doc.key,
            doc.state,
            doc.reason
        );
        assert!(doc.ledger_id.is_some());
        assert!(doc.pdf_key.is_some(), "{}: PDF stored", doc.key);
        let entry = doc.entry.expect("entry");
        assert_eq!(entry.total_debit(), entry.total_credit());
        let summary = ledger.summary(&doc.key).expect("booked in the ledger");
        assert!(summary.with_pdf, "{}: pushed with its PDF", doc.key);
    }

    // Every failure is visible in the log.
    let log = a.log();
    let from = chrono::Utc::now() - chrono::Duration::days(1);
    let to = chrono::Utc::now() + chrono::Duration::days(1);
    let events = log
        .query(&cfg.id, Severity::Warning, from, to)
        .await
        .expect("log query");
    let injected = source.injected.load(Relaxed)
        + ledger.injected_before.load(Relaxed)
        + ledger.injected_after.load(Relaxed)
        + store.injected.load(Relaxed);
    assert!(injected > 0);
    assert!(
        events.len() as u64 >= injected,
        "{} warnings/errors logged for {injected} injected faults",
        events.len()
    );
    for needle in ["(injected)", "injected after booking", "will retry"] {
        assert!(
            events.iter().any(|e| e.message.contains(needle)),
            "no log line mentions {needle:?}"
        );
    }

    let fault_report = FaultReport {
        documents,
        booked,
        duplicates,
        source_faults: source.injected.load(Relaxed),
        ledger_faults_before: ledger.injected_before.load(Relaxed),
        ledger_faults_after: ledger.injected_after.load(Relaxed),
        store_faults: store.injected.load(Relaxed),
        duplicated_deliveries: queue.duplicated.load(Relaxed),
        warnings_and_errors_logged: events.len(),
        elapsed: started.elapsed(),
    };

    // The next night over an unchanged source: nothing is pushed, the log says "no change".
    source.fault_per_mille.store(0, Relaxed);
    ledger.fault_per_mille.store(0, Relaxed);
    store.fault_per_mille.store(0, Relaxed);
    later_nights(&a, &dossiers, &docs, (idle, deadline)).await;
    fault_report
}

/// The nights after: an unchanged source pushes nothing and logs "no change"; a document
/// modified after it was booked is held with a warning, the ledger untouched, and not
/// reported twice.
async fn later_nights<St: RecordStore, Bl: BlobStore, Qu: Queue>(
    a: &Pipeline<St, Bl, Qu, SystemClock>,
    dossiers: &OneDossier<'_>,
    docs: &[domain::SourceDocument],
    (idle, deadline): (Duration, Duration),
) {
    let (cfg, source, ledger) = (&dossiers.cfg, dossiers.source, dossiers.sink);
    let documents = docs.len();
    let log = a.log();
    let from = chrono::Utc::now() - chrono::Duration::days(1);
    let to = chrono::Utc::now() + chrono::Duration::days(1);
    let again = a
        .pull(cfg, source, window(), Some("night-2"))
        .await
        .expect("second pull");
    assert_eq!(
        (again.new, again.changed, again.modified_after_copy),
        (0, 0, 0)
    );
    a.run_until_idle(dossiers, idle, deadline)
        .await
        .expect("worker");
    assert_eq!(ledger.counts(), (documents, 0), "nothing pushed again");
    let info = log
        .query(&cfg.id, Severity::Info, from, to)
        .await
        .expect("log query");
    assert!(
        info.iter()
            .any(|e| e.run.as_deref() == Some("night-2") && e.message.starts_with("no change")),
        "the second run logs 'no change'"
    );

    // A document modified in Sellsy after it was booked: held with a warning, ledger untouched.
    let target = docs[0].source.source_id.clone();
    let key = docs[0].key();
    let before = ledger.summary(&key).expect("booked");
    source.modify(&target, |d| {
        d.totals.incl_tax += Decimal::ONE;
        d.subject = format!("{} (modifiée)", d.subject);
    });
    let third = a
        .pull(cfg, source, window(), Some("night-3"))
        .await
        .expect("third pull");
    assert_eq!(third.modified_after_copy, 1);
    a.run_until_idle(dossiers, idle, deadline)
        .await
        .expect("worker");
    assert_eq!(
        ledger.summary(&key),
        Some(before),
        "the ledger is untouched"
    );
    assert_eq!(ledger.counts(), (documents, 0));
    let held = a
        .store
        .get(&doc_pk(&cfg.id), &key)
        .await
        .expect("get")
        .map(|r| DocumentRecord::from_record(&r).expect("record"))
        .expect("record exists");
    assert_eq!(held.state, DocState::Held);
    assert!(held.action.as_deref().unwrap_or("").contains("credit note"));
    let warnings = log
        .query(&cfg.id, Severity::Warning, from, to)
        .await
        .expect("log query");
    assert!(warnings.iter().any(|e| e.object_id == key
        && e.run.as_deref() == Some("night-3")
        && e.action.contains("credit note")
        && e.action.contains("strict mode")));
    // And the night after, the same modification is not reported again.
    let fourth = a
        .pull(cfg, source, window(), Some("night-4"))
        .await
        .expect("fourth pull");
    assert_eq!(fourth.modified_after_copy, 1);
    let after = log
        .query(&cfg.id, Severity::Warning, from, to)
        .await
        .expect("log query");
    assert!(
        !after
            .iter()
            .any(|e| e.run.as_deref() == Some("night-4") && e.object_id == key)
    );
}
