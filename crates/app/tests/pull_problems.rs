//! What the source could not use (`Pulled::problems`) is recorded like a document: held or
//! skipped with its reason and action, counted by state, explained in the log; the run
//! completes; a document booked earlier is never touched. And the dry run that lists every
//! pulled document with its fate.

use std::sync::Mutex;
use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{
    ConnectionReport, DocRef, IntegrationLog, PdfFile, ProblemFate, ProblemSubject, PullMode,
    PullProblem, PullWarning, PullWindow, Pulled, RecordStore, Severity, SourceApi, SourceError,
    SystemClock,
};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::dry_run::{Fate, dry_run};
use app::usecases::records::{Content, DocState, DocumentRecord, doc_pk};
use app::usecases::{Pipeline, RunState, Settings};
use chrono::{NaiveDate, Utc};
use domain::{DocumentKind, SourceDocument, SourceRef};

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

fn year() -> PullWindow {
    PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    }
}

/// A [`FakeSource`] whose pulls also bring the problems and warnings set on it.
struct Source {
    inner: FakeSource,
    problems: Mutex<Vec<PullProblem>>,
    warnings: Vec<PullWarning>,
}

impl Source {
    fn new(docs: Vec<SourceDocument>, problems: Vec<PullProblem>) -> Source {
        Source {
            inner: FakeSource::new(docs, 0, 1),
            problems: Mutex::new(problems),
            warnings: vec![PullWarning {
                subject: "GET /quotas".into(),
                message: "the account's quotas could not be read (HTTP 403)".into(),
                action: "grant the accounts.read scope".into(),
            }],
        }
    }
}

impl SourceApi for Source {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        let mut pulled = self.inner.pull(window, mode).await?;
        pulled.problems = self.problems.lock().unwrap().clone();
        pulled.warnings = self.warnings.clone();
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

fn unreadable(id: &str, reason: &str) -> PullProblem {
    PullProblem {
        subject: ProblemSubject::Document {
            source: SourceRef {
                source: "sellsy".into(),
                kind: DocumentKind::SalesInvoice,
                source_id: id.into(),
            },
            number: Some(format!("FACT-{id}")),
            date: NaiveDate::from_ymd_opt(2026, 1, 15),
        },
        fate: ProblemFate::Held,
        reason: reason.into(),
        action: "open the document in Sellsy and check it is complete".into(),
    }
}

fn orphan_line() -> PullProblem {
    PullProblem {
        subject: ProblemSubject::JournalLine {
            source: "sellsy".into(),
            id: "77".into(),
            date: None,
        },
        fate: ProblemFate::Held,
        reason: "it names no document".into(),
        action: "check the line in Sellsy's sales journal".into(),
    }
}

fn bad_code() -> PullProblem {
    PullProblem {
        subject: ProblemSubject::Reference {
            source: "sellsy".into(),
            what: "accounting code".into(),
            id: Some("12".into()),
        },
        fate: ProblemFate::Skipped,
        reason: "Sellsy sent it without its account number (code)".into(),
        action: "no action needed unless a document names it".into(),
    }
}

async fn record(p: &MemPipeline, dossier: &str, key: &str) -> Option<DocumentRecord> {
    p.store
        .get(&doc_pk(dossier), key)
        .await
        .unwrap()
        .map(|r| DocumentRecord::from_record(&r).unwrap())
}

async fn warnings(p: &MemPipeline, dossier: &str) -> Vec<(String, String)> {
    let from = Utc::now() - chrono::Duration::hours(1);
    let to = Utc::now() + chrono::Duration::hours(1);
    p.log()
        .query(dossier, Severity::Warning, from, to)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.message, e.action))
        .collect()
}

async fn drain(p: &MemPipeline, cfg: &domain::config::DossierConfig, source: &FakeSource) {
    let ledger = FakeLedger::new(0, 1);
    let one = OneDossier {
        cfg: cfg.clone(),
        source,
        sink: &ledger,
    };
    p.run_until_idle(&one, Duration::from_millis(150), Duration::from_secs(20))
        .await
        .unwrap();
}

#[tokio::test]
async fn what_cannot_be_read_is_held_with_its_reason_and_the_run_completes() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let docs = domain::testkit::invoices(3, 2, 7);
    let source = Source::new(
        docs,
        vec![
            unreadable("99", "Sellsy sent it without a date"),
            orphan_line(),
            bad_code(),
        ],
    );
    let report = p.pull(&cfg, &source, year(), Some("r1")).await.unwrap();
    assert_eq!(report.new, 3);
    assert_eq!((report.held, report.skipped), (2, 0));
    assert_eq!(report.pulled, 4, "3 documents and the unreadable one");

    let held = record(&p, &cfg.id, "sellsy:sales_invoice:99")
        .await
        .unwrap();
    assert_eq!(held.state, DocState::Held);
    assert_eq!(
        held.reason.as_deref(),
        Some("Sellsy sent it without a date")
    );
    assert!(held.action.as_deref().unwrap().contains("Sellsy"));
    assert!(matches!(held.content, Content::Unread(_)));
    assert_eq!(held.label(), "invoice FACT-99 (Sellsy id 99)");
    let line = record(&p, &cfg.id, "sellsy:journal_line:77").await.unwrap();
    assert_eq!(line.state, DocState::Held);
    // A reference item is no document: logged, not recorded.
    let all = p
        .store
        .query(&doc_pk(&cfg.id), None, None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 5);

    let logged = warnings(&p, &cfg.id).await;
    let has = |needle: &str| logged.iter().any(|(m, _)| m.contains(needle));
    assert!(
        has("invoice FACT-99 (Sellsy id 99): held: Sellsy sent it without a date"),
        "{logged:#?}"
    );
    assert!(has("sales-journal line 77: held: it names no document"));
    assert!(has(
        "accounting code 12: Sellsy sent it without its account number"
    ));
    assert!(has("GET /quotas: the account's quotas could not be read"));
    assert!(
        has("2 held and 0 skipped as the source sent them"),
        "{logged:#?}"
    );

    // A run over the same source completes, and says the same thing once.
    let run = p
        .start_run(&cfg, &source, year(), "r2", "schedule")
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Pulled);
    let again = warnings(&p, &cfg.id).await;
    let held_lines = again
        .iter()
        .filter(|(m, _)| m.contains("99): held"))
        .count();
    assert_eq!(held_lines, 1, "an unchanged problem is not logged again");
}

#[tokio::test]
async fn a_held_document_is_booked_once_the_source_can_be_read() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let docs = domain::testkit::invoices(2, 2, 11);
    let fixed = docs[1].clone();
    let key = fixed.key();
    let id = fixed.source.source_id.clone();
    let source = Source::new(
        vec![docs[0].clone()],
        vec![unreadable(&id, "Sellsy sent it without its rows")],
    );
    p.pull(&cfg, &source, year(), None).await.unwrap();
    assert_eq!(
        record(&p, &cfg.id, &key).await.unwrap().state,
        DocState::Held
    );

    // The next night Sellsy sends it whole.
    let source = Source::new(docs.clone(), vec![]);
    let report = p.pull(&cfg, &source, year(), None).await.unwrap();
    assert_eq!(report.changed, 1);
    drain(&p, &cfg, &source.inner).await;
    let rec = record(&p, &cfg.id, &key).await.unwrap();
    assert_eq!(rec.state, DocState::Pushed, "{:?}", rec.reason);
}

#[tokio::test]
async fn a_booked_document_that_cannot_be_read_later_is_left_alone() {
    let p = pipeline();
    let cfg = domain::testkit::example_config();
    let docs = domain::testkit::invoices(1, 2, 13);
    let key = docs[0].key();
    let id = docs[0].source.source_id.clone();
    let source = Source::new(docs.clone(), vec![]);
    p.pull(&cfg, &source, year(), None).await.unwrap();
    drain(&p, &cfg, &source.inner).await;
    let booked = record(&p, &cfg.id, &key).await.unwrap();
    assert_eq!(booked.state, DocState::Pushed);

    let broken = Source::new(
        vec![],
        vec![unreadable(&id, "Sellsy sent it without its amounts")],
    );
    for _ in 0..2 {
        let report = p.pull(&cfg, &broken, year(), None).await.unwrap();
        assert_eq!(report.held, 0);
        assert_eq!(report.modified_after_copy, 1);
    }
    let after = record(&p, &cfg.id, &key).await.unwrap();
    assert_eq!(after.state, DocState::Pushed);
    assert_eq!(after.content, booked.content);
    assert_eq!(after.entry, booked.entry);
    let told = warnings(&p, &cfg.id)
        .await
        .into_iter()
        .filter(|(m, _)| {
            m.contains("was booked earlier; its current version at the source cannot be used")
        })
        .count();
    assert_eq!(told, 1, "said once, not every night");
}

#[tokio::test]
async fn a_dry_run_gives_every_document_its_fate() {
    let cfg = domain::testkit::example_config();
    let mut docs = domain::testkit::invoices(2, 2, 17);
    docs[1].subject = "Garantie décennale".into();
    let source = Source::new(
        docs.clone(),
        vec![
            unreadable("99", "Sellsy sent it without a date"),
            bad_code(),
        ],
    );
    let dry = dry_run(&cfg, &source, year()).await.unwrap();
    assert_eq!(
        (dry.pulled, dry.would_be_booked, dry.held, dry.skipped),
        (3, 1, 1, 1)
    );
    let fate = |key: &str| &dry.documents.iter().find(|d| d.key == key).unwrap().fate;
    assert!(
        matches!(fate(&docs[0].key()), Fate::WouldBeBooked { entry } if entry.piece_ref == docs[0].number)
    );
    match fate(&docs[1].key()) {
        Fate::Skipped { reason, action } => {
            assert!(reason.contains("exclusion word"), "{reason}");
            assert!(!action.is_empty());
        }
        other => panic!("{other:?}"),
    }
    match fate("sellsy:sales_invoice:99") {
        Fate::Held { reason, action } => {
            assert_eq!(reason, "Sellsy sent it without a date");
            assert!(!action.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // The reference item and the pull's warning are listed as warnings.
    assert_eq!(dry.warnings.len(), 2);
    let json = serde_json::to_value(&dry).unwrap();
    let fates: Vec<&str> = json["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fate"].as_str().unwrap())
        .collect();
    assert!(
        fates.contains(&"would_be_booked") && fates.contains(&"held") && fates.contains(&"skipped")
    );
    assert!(json["documents"][0]["key"].is_string());
}

#[tokio::test]
async fn a_dry_run_fails_only_when_the_pull_fails_as_a_whole() {
    let cfg = domain::testkit::example_config();
    let source = FakeSource::new(vec![], 1000, 3);
    assert!(dry_run(&cfg, &source, year()).await.is_err());
}
