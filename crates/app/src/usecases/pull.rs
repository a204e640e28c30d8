//! Pull: bring a dossier's documents of a date window into the store and hand new ones to the
//! mapper. Re-running it over an unchanged source changes nothing; a document modified after it
//! was booked is held with a warning and the ledger is left alone.
//!
//! What the source could not read or use (`Pulled::problems`) is recorded like a document, held
//! or skipped with its reason and action, so that `status` counts it and the log explains it;
//! the run completes ("completed, N held") and the other documents go on.

use std::collections::BTreeMap;

use domain::config::{DossierConfig, Mode};
use domain::{SourceDocument, SourceJournalLine};

use super::records::{Content, DocState, DocumentRecord, Outbox, StepMessage, doc_pk};
use super::{Pipeline, PipelineError, sha256_hex};
use crate::ports::{
    BlobStore, Clock, DocRef, DocRefKind, ObjectKind, PullMode, PullWindow, Queue, QueueName,
    Record, RecordStore, Severity, SourceApi, StoreError,
};

mod problems;

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    pub pulled: u64,
    pub new: u64,
    pub unchanged: u64,
    /// Changed before being booked: re-mapped.
    pub changed: u64,
    /// Changed after being booked: held, ledger untouched.
    pub modified_after_copy: u64,
    /// Documents found stuck in a step and handed to it again.
    pub requeued: u64,
    /// Documents and journal lines the source sent that could not be read or used: held
    /// until fixed at the source (reason and action on their records).
    pub held: u64,
    /// Same, skipped for good (nothing is lost by it).
    pub skipped: u64,
}

impl PullReport {
    fn counts(&self) -> String {
        let mut s = format!(
            "{} new, {} changed before booking, {} unchanged, {} modified after booking",
            self.new, self.changed, self.unchanged, self.modified_after_copy
        );
        if self.held + self.skipped > 0 {
            s.push_str(&format!(
                "; {} held and {} skipped as the source sent them",
                self.held, self.skipped
            ));
        }
        s
    }
}

fn pull_mode(cfg: &DossierConfig) -> PullMode {
    match cfg.mode {
        Mode::Documents => PullMode::Documents,
        Mode::Journal => PullMode::Journal,
    }
}

/// How a document is named before it is read (its record key needs the source's name).
fn doc_label(doc: DocRef) -> String {
    match doc.kind {
        DocRefKind::Invoice => format!("invoice {}", doc.id),
        DocRefKind::CreditNote => format!("credit note {}", doc.id),
        DocRefKind::PurchaseInvoice => format!("purchase invoice {}", doc.id),
        DocRefKind::PurchaseCreditNote => format!("purchase credit note {}", doc.id),
    }
}

/// The hash that detects a change at the source. The PDF link is left out: Sellsy regenerates
/// it on every read (research sellsy-api.md §2.4), which is not a change of the document.
pub fn content_hash(document: &SourceDocument, journal: &[SourceJournalLine]) -> String {
    let mut doc = document.clone();
    if let Some(pdf) = doc.pdf.as_mut() {
        pdf.location = String::new();
        pdf.sha256 = None;
        pdf.size = None;
    }
    let bytes = serde_json::to_vec(&(doc, journal)).unwrap_or_default();
    sha256_hex(&bytes)
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Pulls `window` for a dossier and enqueues what must be mapped or pushed.
    pub async fn pull<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        window: PullWindow,
        run: Option<&str>,
    ) -> Result<PullReport, PipelineError> {
        let pulled = match source.pull(window, pull_mode(cfg)).await {
            Ok(p) => p,
            Err(e) => {
                let id = run.unwrap_or("pull");
                return Err(self
                    .source_failed(cfg, ObjectKind::Run, id, "pull", e, run)
                    .await);
            }
        };
        let mut report = self
            .take_in(cfg, pulled.documents, pulled.journal, run)
            .await?;
        self.take_problems(cfg, &pulled.problems, &mut report, run)
            .await?;
        self.log_warnings(cfg, &pulled.warnings, run).await;
        let quiet = report.new == 0
            && report.changed == 0
            && report.modified_after_copy == 0
            && report.held + report.skipped == 0;
        let summary = if quiet {
            format!(
                "no change: {} documents from {} to {} are already known",
                report.pulled, window.from, window.to
            )
        } else {
            format!(
                "pulled {} documents from {} to {}: {}",
                report.pulled,
                window.from,
                window.to,
                report.counts()
            )
        };
        let id = run.unwrap_or("pull");
        self.report_event(cfg, ObjectKind::Run, id, &report, summary, run)
            .await;
        Ok(report)
    }

    /// Reads one document again (a Sellsy webhook said it changed) and treats it exactly as a
    /// pull would: new → mapped, unchanged → nothing, changed before booking → mapped again,
    /// modified after booking → held with a warning. Nothing is taken from the webhook itself.
    pub async fn refetch<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        doc: DocRef,
    ) -> Result<PullReport, PipelineError> {
        let label = doc_label(doc);
        let document = match source.fetch(doc).await {
            Ok(Some(d)) => d,
            Ok(None) => {
                self.event(
                    &cfg.id,
                    ObjectKind::Document,
                    &label,
                    Severity::Info,
                    format!("{label}: a webhook announced a change, but the source has it as a draft or no longer has it; nothing to do"),
                    "no action needed",
                    None,
                )
                .await;
                return Ok(PullReport::default());
            }
            Err(e) => {
                return Err(self
                    .source_failed(cfg, ObjectKind::Document, &label, "re-fetch", e, None)
                    .await);
            }
        };
        let (document, journal) = match pull_mode(cfg) {
            PullMode::Documents => (document, Vec::new()),
            // Journal lines only come with a pull: pull the document's day and keep its lines,
            // so the content (and its hash) is exactly what the nightly pull would store.
            PullMode::Journal => {
                let day = PullWindow {
                    from: document.date,
                    to: document.date,
                };
                let pulled = match source.pull(day, PullMode::Journal).await {
                    Ok(p) => p,
                    Err(e) => {
                        return Err(self
                            .source_failed(cfg, ObjectKind::Document, &label, "re-fetch", e, None)
                            .await);
                    }
                };
                let key = document.key();
                let lines: Vec<SourceJournalLine> = pulled
                    .journal
                    .into_iter()
                    .filter(|l| l.document.key() == key)
                    .collect();
                let document = pulled
                    .documents
                    .into_iter()
                    .find(|d| d.key() == key)
                    .unwrap_or(document);
                (document, lines)
            }
        };
        let number = document.number.clone();
        let key = document.key();
        let report = self.take_in(cfg, vec![document], journal, None).await?;
        let summary = if report.pulled == 0 {
            format!(
                "{number} re-fetched after a webhook: dated before the dossier's start date, ignored"
            )
        } else {
            format!("{number} re-fetched after a webhook: {}", report.counts())
        };
        self.report_event(cfg, ObjectKind::Document, &key, &report, summary, None)
            .await;
        Ok(report)
    }

    /// Logs a failed source call and turns it into the step's error.
    async fn source_failed(
        &self,
        cfg: &DossierConfig,
        object: ObjectKind,
        object_id: &str,
        what: &str,
        e: crate::ports::SourceError,
        run: Option<&str>,
    ) -> PipelineError {
        let (severity, action) = if e.is_transient() {
            (Severity::Warning, "no action needed; the next run retries")
        } else {
            (
                Severity::Error,
                "check the Sellsy API client, its scopes and plan (passerelle test-connection)",
            )
        };
        self.event(
            &cfg.id,
            object,
            object_id,
            severity,
            format!("{what} failed: {e}"),
            action,
            run,
        )
        .await;
        if e.is_transient() {
            PipelineError::Retryable(e.to_string())
        } else {
            PipelineError::Permanent(e.to_string())
        }
    }

    async fn report_event(
        &self,
        cfg: &DossierConfig,
        object: ObjectKind,
        object_id: &str,
        report: &PullReport,
        summary: String,
        run: Option<&str>,
    ) {
        let held = report.modified_after_copy > 0 || report.held > 0;
        self.event(
            &cfg.id,
            object,
            object_id,
            if held {
                Severity::Warning
            } else {
                Severity::Info
            },
            summary,
            if held {
                "see the warnings on the held documents (passerelle log <dossier> --severity warning)"
            } else {
                "no action needed"
            },
            run,
        )
        .await;
    }

    /// Stores pulled (or re-fetched) documents and hands each to the step it needs: the part of
    /// a pull shared with [`Pipeline::refetch`].
    async fn take_in(
        &self,
        cfg: &DossierConfig,
        documents: Vec<SourceDocument>,
        journal_lines: Vec<SourceJournalLine>,
        run: Option<&str>,
    ) -> Result<PullReport, PipelineError> {
        let mut journal: BTreeMap<String, Vec<SourceJournalLine>> = BTreeMap::new();
        for line in journal_lines {
            journal.entry(line.document.key()).or_default().push(line);
        }
        let mut report = PullReport::default();
        let mut to_map = Vec::new();
        let mut to_push = Vec::new();
        for document in documents {
            if document.date < cfg.start_date {
                continue;
            }
            report.pulled += 1;
            let lines = journal.remove(&document.key()).unwrap_or_default();
            let key = document.key();
            let outcome = self.upsert(cfg, document, lines).await?;
            match outcome {
                Upsert::New => {
                    report.new += 1;
                    to_map.push(key);
                }
                Upsert::Unchanged(state) => {
                    report.unchanged += 1;
                    // A step interrupted before its hand-off: hand it over again (idempotent).
                    match state {
                        DocState::Received => {
                            report.requeued += 1;
                            to_map.push(key);
                        }
                        DocState::Mapped | DocState::Failed => {
                            report.requeued += 1;
                            to_push.push(key);
                        }
                        _ => {}
                    }
                }
                Upsert::Changed => {
                    report.changed += 1;
                    to_map.push(key);
                }
                Upsert::ModifiedAfterCopy { number, first_time } => {
                    report.modified_after_copy += 1;
                    if first_time {
                        self.event(
                            &cfg.id,
                            ObjectKind::Document,
                            &key,
                            Severity::Warning,
                            format!("{number} was modified in Sellsy after it was booked; the change is not carried over and the ledger is untouched"),
                            "issue a credit note in Sellsy for the correction, and turn on Sellsy's strict mode (block changes to finalized invoices)",
                            run,
                        )
                        .await;
                    }
                }
            }
        }
        let message = |key: String| {
            StepMessage {
                dossier: cfg.id.clone(),
                key,
                run: run.map(str::to_string),
            }
            .body()
        };
        let map_msgs: Vec<String> = to_map.into_iter().map(message).collect();
        let push_msgs: Vec<String> = to_push.into_iter().map(message).collect();
        if !map_msgs.is_empty() {
            self.queue.send(QueueName::Map, &map_msgs).await?;
        }
        if !push_msgs.is_empty() {
            self.queue.send(QueueName::Push, &push_msgs).await?;
        }
        Ok(report)
    }

    /// Creates or compares one document record, retrying when another worker wrote it meanwhile.
    async fn upsert(
        &self,
        cfg: &DossierConfig,
        document: SourceDocument,
        journal: Vec<SourceJournalLine>,
    ) -> Result<Upsert, PipelineError> {
        let pk = doc_pk(&cfg.id);
        let key = document.key();
        let hash = content_hash(&document, &journal);
        for _ in 0..8 {
            match self.store.get(&pk, &key).await? {
                None => {
                    let record = DocumentRecord {
                        dossier: cfg.id.clone(),
                        key: key.clone(),
                        state: DocState::Received,
                        reason: None,
                        action: None,
                        content_hash: hash.clone(),
                        content: Content::Source {
                            document: document.clone(),
                            journal: journal.clone(),
                        },
                        changed_hash: None,
                        entry: None,
                        pdf_key: None,
                        pdf_sha256: None,
                        outbox: Outbox::default(),
                        ledger_id: None,
                        updated_at: self.now(),
                    };
                    match self
                        .store
                        .create(&Record::new(&pk, &key, record.to_data()))
                        .await
                    {
                        Ok(()) => return Ok(Upsert::New),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Some(stored) => {
                    let mut current = DocumentRecord::from_record(&stored)?;
                    if current.content_hash == hash {
                        return Ok(Upsert::Unchanged(current.state));
                    }
                    // Booked, or possibly booked (a push attempt started): never overwrite.
                    let maybe_booked =
                        matches!(current.state, DocState::Pushed | DocState::DeadLetter)
                            || current.outbox.attempts > 0;
                    if maybe_booked {
                        if current.changed_hash.as_deref() == Some(hash.as_str()) {
                            return Ok(Upsert::ModifiedAfterCopy {
                                number: document.number.clone(),
                                first_time: false,
                            });
                        }
                        // Held for a person to act; the ledger id stays to show it was booked.
                        current.changed_hash = Some(hash.clone());
                        current.state = DocState::Held;
                        current.reason = Some(format!(
                            "{} was modified in Sellsy after it was copied",
                            document.number
                        ));
                        current.action = Some(
                            "issue a credit note in Sellsy; turn on Sellsy's strict mode".into(),
                        );
                        current.updated_at = self.now();
                        match self.store.update(&stored.next(current.to_data())).await {
                            Ok(()) => {
                                return Ok(Upsert::ModifiedAfterCopy {
                                    number: document.number.clone(),
                                    first_time: true,
                                });
                            }
                            Err(StoreError::Conflict { .. }) => continue,
                            Err(e) => return Err(e.into()),
                        }
                    }
                    // Not booked yet: take the new version and map it again.
                    current.content_hash = hash.clone();
                    current.content = Content::Source {
                        document: document.clone(),
                        journal: journal.clone(),
                    };
                    current.state = DocState::Received;
                    current.reason = None;
                    current.action = None;
                    current.entry = None;
                    current.updated_at = self.now();
                    match self.store.update(&stored.next(current.to_data())).await {
                        Ok(()) => return Ok(Upsert::Changed),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Err(PipelineError::Retryable(format!(
            "{key}: too many concurrent writes"
        )))
    }
}

enum Upsert {
    New,
    Unchanged(DocState),
    Changed,
    ModifiedAfterCopy { number: String, first_time: bool },
}
