//! Pull: bring a dossier's documents of a date window into the store and hand new ones to the
//! mapper. Re-running it over an unchanged source changes nothing; a document modified after it
//! was booked is held with a warning and the ledger is left alone.

use std::collections::BTreeMap;

use domain::config::{DossierConfig, Mode};
use domain::{SourceDocument, SourceJournalLine};

use super::records::{
    Content, DocState, DocumentRecord, Outbox, RUN_PK, RunRecord, RunState, StepMessage, doc_pk,
};
use super::{Pipeline, PipelineError, sha256_hex};
use crate::ports::{
    BlobStore, Clock, ObjectKind, PullMode, PullWindow, Queue, QueueName, Record, RecordStore,
    Severity, SourceApi, StoreError,
};

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
        let mode = match cfg.mode {
            Mode::Documents => PullMode::Documents,
            Mode::Journal => PullMode::Journal,
        };
        let pulled = match source.pull(window, mode).await {
            Ok(p) => p,
            Err(e) => {
                let severity = if e.is_transient() {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                let action = if e.is_transient() {
                    "no action needed; the next run retries"
                } else {
                    "check the Sellsy API client, its scopes and plan (passerelle test-connection)"
                };
                self.event(
                    &cfg.id,
                    ObjectKind::Run,
                    run.unwrap_or("pull"),
                    severity,
                    format!("pull failed: {e}"),
                    action,
                    run,
                )
                .await;
                return Err(if e.is_transient() {
                    PipelineError::Retryable(e.to_string())
                } else {
                    PipelineError::Permanent(e.to_string())
                });
            }
        };
        let mut journal: BTreeMap<String, Vec<SourceJournalLine>> = BTreeMap::new();
        for line in pulled.journal {
            journal.entry(line.document.key()).or_default().push(line);
        }
        let mut report = PullReport::default();
        let mut to_map = Vec::new();
        let mut to_push = Vec::new();
        for document in pulled.documents {
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
        let summary = if report.new == 0 && report.changed == 0 && report.modified_after_copy == 0 {
            format!(
                "no change: {} documents from {} to {} are already known",
                report.pulled, window.from, window.to
            )
        } else {
            format!(
                "pulled {} documents from {} to {}: {} new, {} changed before booking, {} unchanged, {} modified after booking",
                report.pulled,
                window.from,
                window.to,
                report.new,
                report.changed,
                report.unchanged,
                report.modified_after_copy
            )
        };
        self.event(
            &cfg.id,
            ObjectKind::Run,
            run.unwrap_or("pull"),
            if report.modified_after_copy > 0 {
                Severity::Warning
            } else {
                Severity::Info
            },
            summary,
            if report.modified_after_copy > 0 {
                "see the warnings on the modified documents"
            } else {
                "no action needed"
            },
            run,
        )
        .await;
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

    /// "Synchronise now" and the nightly schedule: records a run, pulls, and leaves mapping and
    /// pushing to the queues. `run_id` is the caller's idempotency key (the schedule's time, a
    /// request id): the same id twice starts one run.
    pub async fn start_run<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        window: PullWindow,
        run_id: &str,
        trigger: &str,
    ) -> Result<RunRecord, PipelineError> {
        let run = RunRecord {
            id: run_id.to_string(),
            dossier: cfg.id.clone(),
            trigger: trigger.to_string(),
            window_from: window.from,
            window_to: window.to,
            state: RunState::Running,
            started_at: self.now(),
            finished_at: None,
            pulled: 0,
            new: 0,
            unchanged: 0,
            changed: 0,
            modified_after_copy: 0,
            error: None,
        };
        let data =
            serde_json::to_value(&run).map_err(|e| PipelineError::Permanent(e.to_string()))?;
        match self.store.create(&Record::new(RUN_PK, run_id, data)).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                // Already started (double click, re-delivered schedule): report that run.
                return self
                    .run(run_id)
                    .await?
                    .ok_or_else(|| PipelineError::Retryable(format!("run {run_id} vanished")));
            }
            Err(e) => return Err(e.into()),
        }
        self.event(
            &cfg.id,
            ObjectKind::Run,
            run_id,
            Severity::Info,
            format!(
                "run started ({trigger}) for {} to {}",
                window.from, window.to
            ),
            "no action needed",
            Some(run_id),
        )
        .await;
        let result = self.pull(cfg, source, window, Some(run_id)).await;
        let mut finished = run.clone();
        finished.finished_at = Some(self.now());
        match &result {
            Ok(r) => {
                finished.state = RunState::Pulled;
                finished.pulled = r.pulled;
                finished.new = r.new;
                finished.unchanged = r.unchanged;
                finished.changed = r.changed;
                finished.modified_after_copy = r.modified_after_copy;
            }
            Err(e) => {
                finished.state = RunState::Failed;
                finished.error = Some(e.to_string());
            }
        }
        let data =
            serde_json::to_value(&finished).map_err(|e| PipelineError::Permanent(e.to_string()))?;
        let stored = Record::new(RUN_PK, run_id, serde_json::Value::Null);
        self.store.update(&stored.next(data)).await?;
        result.map(|_| finished)
    }

    pub async fn run(&self, run_id: &str) -> Result<Option<RunRecord>, PipelineError> {
        match self.store.get(RUN_PK, run_id).await? {
            None => Ok(None),
            Some(r) => serde_json::from_value(r.data)
                .map(Some)
                .map_err(|e| PipelineError::Permanent(e.to_string())),
        }
    }
}

enum Upsert {
    New,
    Unchanged(DocState),
    Changed,
    ModifiedAfterCopy { number: String, first_time: bool },
}
