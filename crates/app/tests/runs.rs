//! Runs queued by a request and claimed by the pull, and documents re-fetched after a webhook.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{
    ConnectionReport, DocRef, DocRefKind, IntegrationLog, PdfFile, PullMode, PullWindow, Pulled,
    QueueName, RecordStore, Severity, SourceApi, SourceError, SystemClock,
};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::records::{DocState, DocumentRecord, RUN_PK, doc_pk};
use app::usecases::{Pipeline, RunState, Settings};
use chrono::{NaiveDate, Utc};
use domain::SourceDocument;

type MemPipeline = Pipeline<MemoryStore, MemoryBlobs, MemoryQueue, SystemClock>;

fn pipeline() -> MemPipeline {
    Pipeline::new(
        MemoryStore::new(),
        MemoryBlobs::new(),
        MemoryQueue::new(),
        SystemClock,
    )
    .with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    })
}

fn january() -> PullWindow {
    PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
    }
}

/// A source over [`FakeSource`] that counts its pulls and pauses in each (so concurrent callers
/// interleave), and in mode journal gives each document one journal line, only through `pull`
/// (as Sellsy, whose journal has no per-document read).
struct TestSource {
    inner: FakeSource,
    pulls: AtomicU64,
    /// Pulls of a single day (what a refetch in mode journal does).
    day_pulls: AtomicU64,
    /// Appended to every journal line's label (a change in the source's journal).
    suffix: std::sync::Mutex<String>,
}

impl TestSource {
    fn new(docs: Vec<SourceDocument>) -> TestSource {
        TestSource {
            inner: FakeSource::new(docs, 0, 1),
            pulls: AtomicU64::new(0),
            day_pulls: AtomicU64::new(0),
            suffix: Default::default(),
        }
    }
}

impl SourceApi for TestSource {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        self.pulls.fetch_add(1, Ordering::SeqCst);
        if window.from == window.to {
            self.day_pulls.fetch_add(1, Ordering::SeqCst);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut pulled = self.inner.pull(window, mode).await?;
        if mode == PullMode::Journal {
            let suffix = self.suffix.lock().unwrap().clone();
            pulled.journal = pulled
                .documents
                .iter()
                .map(|d| domain::SourceJournalLine {
                    id: format!("J{}", d.source.source_id),
                    journal: "VENTES".into(),
                    date: d.date,
                    account: "411000".into(),
                    account_label: None,
                    auxiliary_code: None,
                    label: format!("{}{suffix}", d.number),
                    side: domain::Side::Debit,
                    amount: rust_decimal::Decimal::new(12_000, 2),
                    document: d.source.clone(),
                    document_number: d.number.clone(),
                    party_name: None,
                    currency: "EUR".into(),
                })
                .collect();
        }
        Ok(pulled)
    }
    async fn fetch(&self, doc: DocRef) -> Result<Option<SourceDocument>, SourceError> {
        self.inner.fetch(doc).await
    }
    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        self.inner.pdf(doc).await
    }
    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        self.inner.test_connection().await
    }
}

async fn log_messages(p: &MemPipeline, dossier: &str) -> Vec<(Severity, String, Option<String>)> {
    let from = Utc::now() - chrono::Duration::hours(1);
    let to = Utc::now() + chrono::Duration::hours(1);
    p.log()
        .query(dossier, Severity::Info, from, to)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.severity, e.message, e.run))
        .collect()
}

#[tokio::test]
async fn queuing_a_run_twice_is_one_run() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let a = p
        .queue_run(&cfg, january(), "req-1", "http /sync")
        .await
        .unwrap();
    assert_eq!(a.state, RunState::Queued);
    assert!(a.queued_at.is_some());
    let other_window = PullWindow {
        from: january().from,
        to: january().from,
    };
    let b = p
        .queue_run(&cfg, other_window, "req-1", "http /sync")
        .await
        .unwrap();
    assert_eq!(a, b, "the second call returns the run as it was queued");
    let runs = p.store.query(RUN_PK, None, None, 100).await.unwrap();
    assert_eq!(runs.len(), 1);
    let queued: Vec<_> = log_messages(&p, &cfg.id)
        .await
        .into_iter()
        .filter(|(_, m, _)| m.starts_with("run queued"))
        .collect();
    assert_eq!(queued.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_run_is_claimed_and_pulled_exactly_once_by_concurrent_starts() {
    let p = Arc::new(pipeline());
    let cfg = Arc::new(domain::testkit::example_config());
    let source = Arc::new(TestSource::new(domain::testkit::invoices(30, 2, 5)));
    const RUNS: u64 = 25;
    for i in 0..RUNS {
        let id = format!("req-{i}");
        p.queue_run(&cfg, january(), &id, "http /sync")
            .await
            .unwrap();
        let before = source.pulls.load(Ordering::SeqCst);
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (p, cfg, source, barrier, id) = (
                    p.clone(),
                    cfg.clone(),
                    source.clone(),
                    barrier.clone(),
                    id.clone(),
                );
                tokio::spawn(async move {
                    barrier.wait().await;
                    p.start_run(&cfg, &*source, january(), &id, "http /sync")
                        .await
                })
            })
            .collect();
        let mut states = Vec::new();
        for t in tasks {
            states.push(t.await.unwrap().unwrap().state);
        }
        assert_eq!(
            source.pulls.load(Ordering::SeqCst) - before,
            1,
            "run {id} was pulled by both starts"
        );
        assert!(
            states.contains(&RunState::Pulled),
            "the winner reports the pulled run: {states:?}"
        );
        for s in &states {
            assert!(matches!(s, RunState::Running | RunState::Pulled), "{s:?}");
        }
        let run = p.run(&id).await.unwrap().unwrap();
        assert_eq!(run.state, RunState::Pulled);
        assert!(run.finished_at.is_some());
    }
    assert_eq!(source.pulls.load(Ordering::SeqCst), RUNS);
    let started = log_messages(&p, &cfg.id)
        .await
        .into_iter()
        .filter(|(_, m, _)| m.starts_with("run started"))
        .count() as u64;
    assert_eq!(started, RUNS);
}

#[tokio::test]
async fn a_finished_run_is_reported_without_pulling_again() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let source = TestSource::new(domain::testkit::invoices(10, 2, 5));
    // Not queued: started directly (the schedule), created running.
    let first = p
        .start_run(&cfg, &source, january(), "night-1", "schedule")
        .await
        .unwrap();
    assert_eq!(first.state, RunState::Pulled);
    assert_eq!(first.queued_at, None);
    let again = p
        .start_run(&cfg, &source, january(), "night-1", "schedule")
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(source.pulls.load(Ordering::SeqCst), 1);

    // A queued run is pulled over the window it was queued with.
    let narrow = PullWindow {
        from: january().from,
        to: january().from,
    };
    p.queue_run(&cfg, narrow, "req-9", "http /sync")
        .await
        .unwrap();
    let run = p
        .start_run(&cfg, &source, january(), "req-9", "ignored")
        .await
        .unwrap();
    assert_eq!(
        (run.window_from, run.window_to, run.trigger.as_str()),
        (narrow.from, narrow.to, "http /sync")
    );

    // Another dossier's run is not taken.
    let mut other = cfg.clone();
    other.id = "globex".into();
    p.queue_run(&other, january(), "req-10", "http /sync")
        .await
        .unwrap();
    let err = p
        .start_run(&cfg, &source, january(), "req-10", "http /sync")
        .await
        .unwrap_err();
    assert!(
        !err.is_retryable() && err.to_string().contains("globex"),
        "{err}"
    );
}

#[tokio::test]
async fn abandoning_marks_only_a_queued_run_failed() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    p.queue_run(&cfg, january(), "req-1", "http /sync")
        .await
        .unwrap();
    let run = p
        .abandon_run("req-1", "invoke failed")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.state, RunState::Failed);
    assert_eq!(run.error.as_deref(), Some("invoke failed"));
    // A failed run is not pulled later by a late start.
    let source = FakeSource::new(domain::testkit::invoices(3, 1, 1), 0, 1);
    let late = p
        .start_run(&cfg, &source, january(), "req-1", "http /sync")
        .await
        .unwrap();
    assert_eq!(late.state, RunState::Failed);
    assert!(p.abandon_run("nope", "x").await.unwrap().is_none());
}

async fn doc_state(p: &MemPipeline, dossier: &str, key: &str) -> DocumentRecord {
    let r = p
        .store
        .get(&doc_pk(dossier), key)
        .await
        .unwrap()
        .expect("document record");
    DocumentRecord::from_record(&r).unwrap()
}

#[tokio::test]
async fn refetch_goes_through_the_same_change_detection_as_pull() {
    let p = pipeline();
    let mut cfg = domain::testkit::example_config();
    cfg.sync_without_pdf = true;
    let docs = domain::testkit::invoices(3, 2, 9);
    let source = FakeSource::new(docs.clone(), 0, 1);
    let ledger = FakeLedger::new(0, 2);
    let dossiers = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    let doc0 = &docs[0];
    let key0 = doc0.key();
    let ref0 = DocRef {
        kind: DocRefKind::Invoice,
        id: doc0.source.source_id.parse().unwrap(),
    };

    // New: stored and queued for mapping.
    let r = p.refetch(&cfg, &source, ref0).await.unwrap();
    assert_eq!((r.pulled, r.new), (1, 1));
    assert_eq!(
        doc_state(&p, &cfg.id, &key0).await.state,
        DocState::Received
    );
    assert_eq!(p.queue.depth(QueueName::Map), 1);

    // Unchanged: nothing more (still waiting for the mapper: handed to it again).
    let r = p.refetch(&cfg, &source, ref0).await.unwrap();
    assert_eq!((r.new, r.unchanged, r.changed), (0, 1, 0));

    // Changed before booking: taken and mapped again.
    source.modify(&doc0.source.source_id, |d| {
        d.subject.push_str(" (corrigée)")
    });
    let r = p.refetch(&cfg, &source, ref0).await.unwrap();
    assert_eq!(r.changed, 1);
    let rec = doc_state(&p, &cfg.id, &key0).await;
    assert_eq!(rec.state, DocState::Received);
    assert!(matches!(&rec.content,
        app::usecases::records::Content::Source { document, .. } if document.subject.ends_with("(corrigée)")));

    // Booked, then modified at the source: held with a warning, the ledger untouched.
    p.run_until_idle(
        &dossiers,
        Duration::from_millis(200),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(doc_state(&p, &cfg.id, &key0).await.state, DocState::Pushed);
    let (booked, duplicates) = ledger.counts();
    assert_eq!((booked, duplicates), (1, 0));
    source.modify(&doc0.source.source_id, |d| d.subject.push_str(" bis"));
    let r = p.refetch(&cfg, &source, ref0).await.unwrap();
    assert_eq!(r.modified_after_copy, 1);
    let rec = doc_state(&p, &cfg.id, &key0).await;
    assert_eq!(rec.state, DocState::Held);
    assert!(rec.ledger_id.is_some());
    assert_eq!(p.queue.depth(QueueName::Map), 0);
    assert_eq!(p.queue.depth(QueueName::Push), 0);
    let warnings: Vec<_> = log_messages(&p, &cfg.id)
        .await
        .into_iter()
        .filter(|(s, m, _)| {
            *s == Severity::Warning && m.contains("modified in Sellsy after it was booked")
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // Again: still held, warned once.
    let r = p.refetch(&cfg, &source, ref0).await.unwrap();
    assert_eq!(r.modified_after_copy, 1);
    p.run_until_idle(
        &dossiers,
        Duration::from_millis(100),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(ledger.counts(), (1, 0), "the ledger was touched");
    // "Relancer" on it is refused: mapping a booked document again could book it twice.
    let retried = p.retry(&cfg.id, &key0, "alice").await.unwrap();
    assert!(
        matches!(&retried, app::usecases::recovery::Retried::Refused { reason, .. } if reason.contains("could book it twice")),
        "{retried:?}"
    );
    assert_eq!(doc_state(&p, &cfg.id, &key0).await.state, DocState::Held);
    assert_eq!(p.queue.depth(QueueName::Map), 0);

    // Gone or draft at the source: nothing to do.
    let missing = DocRef {
        kind: DocRefKind::Invoice,
        id: 999_999,
    };
    let r = p.refetch(&cfg, &source, missing).await.unwrap();
    assert_eq!(r.pulled, 0);
}

#[tokio::test]
async fn a_failed_refetch_is_logged_and_retryable() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let source = FakeSource::new(domain::testkit::invoices(1, 1, 1), 1000, 1);
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: 1,
    };
    let err = p.refetch(&cfg, &source, doc).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    let lines = log_messages(&p, &cfg.id).await;
    assert!(
        lines
            .iter()
            .any(|(s, m, _)| *s == Severity::Warning && m.starts_with("re-fetch failed")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn in_mode_journal_a_refetch_reads_the_documents_journal_lines_too() {
    let p = pipeline();
    let mut cfg = domain::testkit::example_config();
    cfg.mode = domain::config::Mode::Journal;
    let docs: Vec<SourceDocument> = domain::testkit::invoices(60, 1, 4)
        .into_iter()
        .filter(|d| january().contains(d.date))
        .collect();
    assert!(!docs.is_empty());
    let source = TestSource::new(docs.clone());
    let r = p.pull(&cfg, &source, january(), None).await.unwrap();
    assert_eq!(r.new as usize, docs.len());
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: docs[0].source.source_id.parse().unwrap(),
    };
    // Same document, same journal lines: unchanged (without its lines it would look changed).
    let r = p.refetch(&cfg, &source, doc).await.unwrap();
    assert_eq!((r.pulled, r.unchanged, r.changed), (1, 1, 0));
    assert_eq!(source.day_pulls.load(Ordering::SeqCst), 1);
    // A change in the journal only is a change of the document.
    *source.suffix.lock().unwrap() = " (rectifiée)".into();
    let r = p.refetch(&cfg, &source, doc).await.unwrap();
    assert_eq!(r.changed, 1);
    let rec = doc_state(&p, &cfg.id, &docs[0].key()).await;
    let app::usecases::records::Content::Source { journal, .. } = &rec.content else {
        panic!("a source document");
    };
    assert_eq!(journal.len(), 1);
    assert!(journal[0].label.ends_with("(rectifiée)"));
}
