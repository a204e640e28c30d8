//! Dry run (`passerelle sync --dry-run`): pull a window and map it exactly as a run would, in
//! memory, booking nothing, and say what would become of every pulled document: booked (with
//! the entry), held (reason and action) or skipped (reason and action). The run starts from an
//! empty store, as if nothing had been booked yet; PDFs are downloaded (a missing PDF holds a
//! document) but kept in memory. Serializes to the JSON of `sync --dry-run --json`.

use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDate;
use domain::LedgerEntry;
use domain::config::DossierConfig;
use serde::Serialize;

use super::records::{Content, DocState, DocumentRecord, doc_pk};
use super::worker::Dossiers;
use super::{Pipeline, PipelineError, Settings};
use crate::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use crate::ports::{
    Booked, ConnectionReport, DocRef, DocumentToPush, EntryToPush, LedgerSink, PdfFile,
    ProblemSubject, PullMode, PullWarning, PullWindow, Pulled, QueueName, RecordStore, SinkError,
    SourceApi, SourceError, SystemClock,
};

/// What a dry run found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRun {
    pub dry_run: bool,
    pub dossier: String,
    pub window: PullWindow,
    pub mode: PullMode,
    /// Documents (and journal lines without a document) the pull brought, whatever their fate.
    pub pulled: u64,
    pub would_be_booked: u64,
    pub held: u64,
    pub skipped: u64,
    /// One per pulled document, in key order.
    pub documents: Vec<DocumentFate>,
    /// What the pull noticed that concerns no document on its own (a scope missing for an
    /// optional call, a rounding, a reference item that could not be read).
    pub warnings: Vec<PullWarning>,
}

/// A pulled document and what a run would do with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentFate {
    /// `sellsy:sales_invoice:4711`; `sellsy:journal_line:<id>` for a line without a document.
    pub key: String,
    /// `sales_invoice`, `sales_credit_note` or `journal_line`.
    pub kind: String,
    /// The id at the source.
    pub source_id: String,
    pub number: Option<String>,
    pub date: Option<NaiveDate>,
    #[serde(flatten)]
    pub fate: Fate,
}

/// What a run would do with a document.
// An entry is what a dry run is for; boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// Booked in the ledger with this entry.
    WouldBeBooked { entry: LedgerEntry },
    /// Not booked until something changes (at the source, in the configuration, or a person
    /// acts): the reason and what to do.
    Held { reason: String, action: String },
    /// Not booked, and rightly so (a draft, out of scope, an exclusion word, a zero total).
    Skipped { reason: String, action: String },
}

impl Fate {
    pub fn reason(&self) -> Option<&str> {
        match self {
            Fate::WouldBeBooked { .. } => None,
            Fate::Held { reason, .. } | Fate::Skipped { reason, .. } => Some(reason),
        }
    }
    pub fn action(&self) -> Option<&str> {
        match self {
            Fate::WouldBeBooked { .. } => None,
            Fate::Held { action, .. } | Fate::Skipped { action, .. } => Some(action),
        }
    }
}

/// How long the dry run's steps may take in all (PDF downloads retried while they fail).
const DEADLINE: Duration = Duration::from_secs(600);

/// Pulls `window` from `source` and maps it in memory. Fails only when the pull fails as a
/// whole (the source unavailable, credentials or a required scope refused).
pub async fn dry_run<Src: SourceApi>(
    cfg: &DossierConfig,
    source: &Src,
    window: PullWindow,
) -> Result<DryRun, PipelineError> {
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let capture = Capture {
        inner: source,
        pulled: Mutex::new(None),
    };
    let sink = Recorder;
    let one = One {
        cfg,
        source: &capture,
        sink: &sink,
    };
    pipeline
        .start_run(cfg, &capture, window, "dry-run", "dry run")
        .await?;
    // Until every message is done (the in-memory queue counts those waiting for a retry).
    let started = std::time::Instant::now();
    while queue.depth(QueueName::Map) + queue.depth(QueueName::Push) > 0
        && started.elapsed() < DEADLINE
    {
        let worked = match pipeline.work_once(&one).await {
            Ok(stats) => stats.received > 0,
            Err(e) if e.is_retryable() => false,
            Err(e) => return Err(e),
        };
        if !worked {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let pulled = capture
        .pulled
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let mut documents = Vec::new();
    for r in store
        .query(&doc_pk(&cfg.id), None, None, usize::MAX)
        .await?
    {
        documents.push(fate_of(&DocumentRecord::from_record(&r)?));
    }
    documents.extend(before_start(cfg, &pulled));
    documents.sort_by(|a, b| a.key.cmp(&b.key));
    let mut warnings = pulled.warnings.clone();
    for p in &pulled.problems {
        if let ProblemSubject::Reference { .. } = p.subject {
            warnings.push(PullWarning {
                subject: p.subject.label(),
                message: p.reason.clone(),
                action: p.action.clone(),
            });
        }
    }
    let count = |f: fn(&Fate) -> bool| documents.iter().filter(|d| f(&d.fate)).count() as u64;
    Ok(DryRun {
        dry_run: true,
        dossier: cfg.id.clone(),
        window,
        mode: match cfg.mode {
            domain::config::Mode::Documents => PullMode::Documents,
            domain::config::Mode::Journal => PullMode::Journal,
        },
        pulled: documents.len() as u64,
        would_be_booked: count(|f| matches!(f, Fate::WouldBeBooked { .. })),
        held: count(|f| matches!(f, Fate::Held { .. })),
        skipped: count(|f| matches!(f, Fate::Skipped { .. })),
        documents,
        warnings,
    })
}

/// The fate a document record says.
fn fate_of(rec: &DocumentRecord) -> DocumentFate {
    let (kind, source_id, number, date) = match &rec.content {
        Content::Source { document, .. } => (
            document.source.kind.as_str().to_string(),
            document.source.source_id.clone(),
            Some(document.number.clone()),
            Some(document.date),
        ),
        Content::Unread(ProblemSubject::Document {
            source,
            number,
            date,
        }) => (
            source.kind.as_str().to_string(),
            source.source_id.clone(),
            number.clone(),
            *date,
        ),
        Content::Unread(ProblemSubject::JournalLine { id, date, .. }) => {
            ("journal_line".into(), id.clone(), None, *date)
        }
        Content::Unread(ProblemSubject::Reference { what, id, .. }) => {
            (what.clone(), id.clone().unwrap_or_default(), None, None)
        }
        Content::Collected(file) => (
            file.category.prefix().to_string(),
            file.sha256.clone(),
            Some(file.file_name.clone()),
            None,
        ),
    };
    let reason = rec.reason.clone().unwrap_or_default();
    let action = rec.action.clone().unwrap_or_default();
    let fate = match (rec.state, &rec.entry) {
        (DocState::Pushed, Some(entry)) => Fate::WouldBeBooked {
            entry: entry.clone(),
        },
        (DocState::Skipped, _) => Fate::Skipped { reason, action },
        (DocState::Held | DocState::Rejected | DocState::Failed | DocState::DeadLetter, _) => {
            Fate::Held { reason, action }
        }
        (state, _) => Fate::Held {
            reason: format!(
                "the dry run ended with the document still {} (a step kept failing)",
                state.as_str()
            ),
            action: "see the log of the dry run (passerelle log <dossier>), then run it again"
                .into(),
        },
    };
    DocumentFate {
        key: rec.key.clone(),
        kind,
        source_id,
        number,
        date,
        fate,
    }
}

/// Documents a run ignores because they are dated before the dossier's start date.
fn before_start(cfg: &DossierConfig, pulled: &Pulled) -> Vec<DocumentFate> {
    let skipped = |date: NaiveDate| Fate::Skipped {
        reason: format!(
            "dated {date}, before the dossier's start date {}",
            cfg.start_date
        ),
        action: "no action needed; set an earlier start_date to book it".into(),
    };
    let docs = pulled
        .documents
        .iter()
        .filter(|d| d.date < cfg.start_date)
        .map(|d| DocumentFate {
            key: d.key(),
            kind: d.source.kind.as_str().into(),
            source_id: d.source.source_id.clone(),
            number: Some(d.number.clone()),
            date: Some(d.date),
            fate: skipped(d.date),
        });
    let problems = pulled.problems.iter().filter_map(|p| match &p.subject {
        ProblemSubject::Document {
            source,
            number,
            date: Some(date),
        } if *date < cfg.start_date => Some(DocumentFate {
            key: source.key(),
            kind: source.kind.as_str().into(),
            source_id: source.source_id.clone(),
            number: number.clone(),
            date: Some(*date),
            fate: skipped(*date),
        }),
        _ => None,
    });
    docs.chain(problems).collect()
}

/// The source, remembering what the pull brought.
struct Capture<'a, Src> {
    inner: &'a Src,
    pulled: Mutex<Option<Pulled>>,
}

impl<Src: SourceApi> SourceApi for Capture<'_, Src> {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        let pulled = self.inner.pull(window, mode).await?;
        *self.pulled.lock().unwrap_or_else(|e| e.into_inner()) = Some(pulled.clone());
        Ok(pulled)
    }
    async fn fetch(&self, doc: DocRef) -> Result<Option<domain::SourceDocument>, SourceError> {
        self.inner.fetch(doc).await
    }
    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        self.inner.pdf(doc).await
    }
    async fn linked_pdf(&self, doc: DocRef, link: &str) -> Result<Option<PdfFile>, SourceError> {
        self.inner.linked_pdf(doc, link).await
    }
    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        self.inner.test_connection().await
    }
}

/// A ledger that books nothing and accepts everything.
struct Recorder;

impl LedgerSink for Recorder {
    fn name(&self) -> &str {
        "dry-run"
    }
    async fn push_entries(
        &self,
        _: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        entries
            .iter()
            .map(|e| {
                Ok(Booked {
                    ledger_id: format!("dry-run:{}", e.external_id),
                })
            })
            .collect()
    }
    async fn find_entry(
        &self,
        _: &DossierConfig,
        _: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(None)
    }
    async fn push_document(
        &self,
        _: &DossierConfig,
        d: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        Ok(Booked {
            ledger_id: format!("dry-run:{}", d.external_id),
        })
    }
    async fn find_document(
        &self,
        _: &DossierConfig,
        _: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(None)
    }
    /// A dry run reads no ledger: no chart to map onto.
    async fn chart(
        &self,
        _: &DossierConfig,
    ) -> Result<Option<Vec<crate::ports::ChartAccount>>, SinkError> {
        Ok(None)
    }

    async fn test_connection(&self, _: &DossierConfig) -> Result<(), SinkError> {
        Ok(())
    }
}

struct One<'a, Src> {
    cfg: &'a DossierConfig,
    source: &'a Capture<'a, Src>,
    sink: &'a Recorder,
}

impl<'a, Src: SourceApi> Dossiers for One<'a, Src> {
    type Source = &'a Capture<'a, Src>;
    type Sink = &'a Recorder;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        (id == self.cfg.id).then_some(self.cfg)
    }
    fn source(&self, id: &str) -> Option<&Self::Source> {
        (id == self.cfg.id).then_some(&self.source)
    }
    fn sink(&self, id: &str) -> Option<&Self::Sink> {
        (id == self.cfg.id).then_some(&self.sink)
    }
}
