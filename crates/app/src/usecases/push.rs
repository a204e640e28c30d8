//! Push: book what is in the outbox. Each document is claimed with a conditional write and a
//! lease; an attempt that may have reached the ledger (a crash, a timeout after sending) is
//! followed by a lookup in the ledger before anything is sent again.

use chrono::Duration as ChronoDuration;
use domain::config::DossierConfig;

use super::map::StepOutcome;
use super::records::{Content, DocState, DocumentRecord, StepMessage, doc_pk};
use super::{Pipeline, PipelineError};
use crate::ports::{
    Attachment, BlobStore, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, ObjectKind,
    Queue, Record, RecordStore, Severity, SinkError, SinkErrorKind, StoreError,
};

/// A document claimed for this push.
struct Claimed {
    key: String,
    run: Option<String>,
    /// The record as written by the claim (its version is what the final write expects).
    record: Record,
    doc: DocumentRecord,
    /// An earlier attempt started: the ledger may already have it.
    retried: bool,
}

#[allow(clippy::large_enum_variant)] // one value per document, moved, not stored in bulk
enum Item {
    Entry(EntryToPush),
    File(DocumentToPush),
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Pushes the documents of `msgs` (one dossier). One result per message, in order.
    pub async fn push_step<K: LedgerSink>(
        &self,
        cfg: &DossierConfig,
        sink: &K,
        msgs: &[StepMessage],
    ) -> Vec<Result<StepOutcome, PipelineError>> {
        let mut results: Vec<Option<Result<StepOutcome, PipelineError>>> =
            (0..msgs.len()).map(|_| None).collect();
        let mut claimed: Vec<(usize, Claimed)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, msg) in msgs.iter().enumerate() {
            // The same document twice in one batch (a duplicated delivery): once is enough.
            if !seen.insert(msg.key.as_str()) {
                results[i] = Some(Ok(StepOutcome::Nothing));
                continue;
            }
            match self.claim(cfg, msg).await {
                Ok(Some(c)) => claimed.push((i, c)),
                Ok(None) => results[i] = Some(Ok(StepOutcome::Nothing)),
                Err(e) => results[i] = Some(Err(e)),
            }
        }

        // After an interrupted attempt, ask the ledger before sending again.
        let mut to_send: Vec<(usize, Claimed, Item)> = Vec::new();
        for (i, c) in claimed {
            let item = match self.item(&c).await {
                Ok(item) => item,
                Err(e) => {
                    results[i] = Some(self.fail(cfg, c, SinkError::retryable(e.to_string())).await);
                    continue;
                }
            };
            if c.retried {
                let found = match &item {
                    Item::Entry(e) => sink.find_entry(cfg, e).await,
                    Item::File(d) => sink.find_document(cfg, d).await,
                };
                match found {
                    Ok(Some(booked)) => {
                        results[i] = Some(self.booked(cfg, c, booked, true).await);
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        results[i] = Some(self.fail(cfg, c, e).await);
                        continue;
                    }
                }
            }
            to_send.push((i, c, item));
        }

        // Entries in batches (the sink isolates a bad entry itself); files one by one.
        let (entries, files): (Vec<_>, Vec<_>) = to_send
            .into_iter()
            .partition(|(_, _, item)| matches!(item, Item::Entry(_)));
        let batch = self.settings.push_batch.max(1);
        let mut entries = entries.into_iter().peekable();
        while entries.peek().is_some() {
            let chunk: Vec<(usize, Claimed, Item)> = entries.by_ref().take(batch).collect();
            let payload: Vec<EntryToPush> = chunk
                .iter()
                .filter_map(|(_, _, item)| match item {
                    Item::Entry(e) => Some(e.clone()),
                    Item::File(_) => None,
                })
                .collect();
            let mut answers = sink.push_entries(cfg, &payload).await.into_iter();
            for (i, c, _) in chunk {
                let answer = answers.next().unwrap_or_else(|| {
                    Err(SinkError::retryable(
                        "the ledger gave no answer for this entry",
                    ))
                });
                results[i] = Some(match answer {
                    Ok(booked) => self.booked(cfg, c, booked, false).await,
                    Err(e) => self.fail(cfg, c, e).await,
                });
            }
        }
        for (i, c, item) in files {
            let Item::File(doc) = item else { continue };
            results[i] = Some(match sink.push_document(cfg, &doc).await {
                Ok(booked) => self.booked(cfg, c, booked, false).await,
                Err(e) => self.fail(cfg, c, e).await,
            });
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Ok(StepOutcome::Nothing)))
            .collect()
    }

    /// Takes a document out of the outbox for this worker, or `None` when there is nothing to
    /// push (already booked, not mapped, or leased by a live worker).
    async fn claim(
        &self,
        cfg: &DossierConfig,
        msg: &StepMessage,
    ) -> Result<Option<Claimed>, PipelineError> {
        let pk = doc_pk(&cfg.id);
        for _ in 0..8 {
            let Some(stored) = self.store.get(&pk, &msg.key).await? else {
                return Ok(None);
            };
            let mut doc = DocumentRecord::from_record(&stored)?;
            if !matches!(doc.state, DocState::Mapped | DocState::Failed) {
                return Ok(None);
            }
            let now = self.now();
            // A live lease blocks everyone, this worker included: the same worker may hold the
            // document in another task, or may have lost the answer of its own write.
            if let (Some(owner), Some(until)) = (&doc.outbox.lease_owner, doc.outbox.lease_until)
                && until > now
            {
                // Another worker is pushing it; its lease tells when we may take over.
                return Err(PipelineError::Retryable(format!(
                    "{} is being pushed by {owner}",
                    msg.key
                )));
            }
            let retried = doc.outbox.attempts > 0;
            doc.outbox.attempts += 1;
            doc.outbox.lease_owner = Some(self.settings.worker_id.clone());
            doc.outbox.lease_until = Some(
                now + ChronoDuration::from_std(self.settings.lease)
                    .unwrap_or(ChronoDuration::seconds(120)),
            );
            doc.updated_at = now;
            let record = stored.next(doc.to_data());
            match self.store.update(&record).await {
                Ok(()) => {
                    return Ok(Some(Claimed {
                        key: msg.key.clone(),
                        run: msg.run.clone(),
                        record,
                        doc,
                        retried,
                    }));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PipelineError::Retryable(format!(
            "{}: too many concurrent writes",
            msg.key
        )))
    }

    /// What to send for a claimed document.
    async fn item(&self, c: &Claimed) -> Result<Item, PipelineError> {
        match &c.doc.content {
            Content::Source { .. } => {
                let entry = c.doc.entry.clone().ok_or_else(|| {
                    PipelineError::Permanent(format!("{}: in the outbox without an entry", c.key))
                })?;
                let pdf = match (&c.doc.pdf_key, &c.doc.pdf_sha256) {
                    (Some(key), Some(sha)) => {
                        let bytes = self.blobs.get(key).await?.ok_or_else(|| {
                            PipelineError::Retryable(format!("PDF {key} not readable yet"))
                        })?;
                        Some(Attachment {
                            file_name: entry
                                .attachments
                                .first()
                                .map(|a| a.file_name.clone())
                                .unwrap_or_else(|| format!("{}.pdf", entry.piece_ref)),
                            content_type: match super::map::attachment_extension(key) {
                                "xml" => "application/xml",
                                _ => super::map::file_type(&bytes).1,
                            }
                            .into(),
                            bytes,
                            sha256: sha.clone(),
                        })
                    }
                    _ => None,
                };
                Ok(Item::Entry(EntryToPush {
                    external_id: c.key.clone(),
                    entry,
                    pdf,
                }))
            }
            // Never mapped, so never in the outbox; a record that says otherwise is corrupt.
            Content::Unread(_) => Err(PipelineError::Permanent(format!(
                "{}: in the outbox but never read from the source",
                c.key
            ))),
            Content::Collected(file) => {
                let bytes = self.blobs.get(&file.blob_key).await?.ok_or_else(|| {
                    PipelineError::Retryable(format!("file {} not readable yet", file.blob_key))
                })?;
                Ok(Item::File(DocumentToPush {
                    external_id: c.key.clone(),
                    category: file.category,
                    file: Attachment {
                        file_name: file.file_name.clone(),
                        content_type: file.media_type.clone(),
                        bytes,
                        sha256: file.sha256.clone(),
                    },
                    sender: file.sender.clone(),
                }))
            }
        }
    }

    /// Records a booking. The ledger has it now, so this write must land even if the record
    /// changed since the claim (a re-pull noticing a modification): it is retried on top.
    async fn booked(
        &self,
        cfg: &DossierConfig,
        c: Claimed,
        booked: Booked,
        found_after_retry: bool,
    ) -> Result<StepOutcome, PipelineError> {
        let label = c.doc.label();
        let mut record = c.record;
        let mut doc = c.doc;
        for _ in 0..8 {
            doc.state = DocState::Pushed;
            doc.ledger_id = Some(booked.ledger_id.clone());
            doc.outbox.lease_owner = None;
            doc.outbox.lease_until = None;
            doc.outbox.last_error = None;
            if doc.changed_hash.is_none() {
                doc.reason = None;
                doc.action = None;
            }
            doc.updated_at = self.now();
            match self.store.update(&record.next(doc.to_data())).await {
                Ok(()) => {
                    let message = if found_after_retry {
                        format!(
                            "{label}: already in the ledger (id {}) after an interrupted push; not sent again",
                            booked.ledger_id
                        )
                    } else {
                        format!("{label}: booked (ledger id {})", booked.ledger_id)
                    };
                    self.event(
                        &cfg.id,
                        ObjectKind::Entry,
                        &c.key,
                        Severity::Info,
                        message,
                        "no action needed",
                        c.run.as_deref(),
                    )
                    .await;
                    return Ok(StepOutcome::Moved(DocState::Pushed));
                }
                Err(StoreError::Conflict { .. }) => {
                    let Some(fresh) = self.store.get(&doc_pk(&cfg.id), &c.key).await? else {
                        return Err(PipelineError::Permanent(format!(
                            "{}: record vanished",
                            c.key
                        )));
                    };
                    doc = DocumentRecord::from_record(&fresh)?;
                    record = fresh;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(PipelineError::Retryable(format!(
            "{}: could not record the booking",
            c.key
        )))
    }

    /// Records a failed attempt: retryable ones go back to the queue until `max_attempts`, then
    /// to the dead letter; permanent ones are rejected with the ledger's message and the action.
    async fn fail(
        &self,
        cfg: &DossierConfig,
        c: Claimed,
        error: SinkError,
    ) -> Result<StepOutcome, PipelineError> {
        let label = c.doc.label();
        let attempts = c.doc.outbox.attempts;
        let mut doc = c.doc;
        // A ledger that asks to wait hours (the FEC holds a document dated after today until
        // its date) is no failure: the attempt is not counted, so it never reaches the dead
        // letter while it waits.
        let waiting = error.kind == SinkErrorKind::Retryable
            && error
                .retry_after
                .is_some_and(|d| d >= std::time::Duration::from_secs(3600));
        if waiting {
            doc.outbox.attempts = attempts.saturating_sub(1);
        }
        let (state, severity, message, action) = match error.kind {
            SinkErrorKind::Retryable if waiting => (
                DocState::Failed,
                Severity::Info,
                format!("{label}: {}", error.message),
                error.action.clone(),
            ),
            SinkErrorKind::Retryable if attempts < self.settings.max_attempts => (
                DocState::Failed,
                Severity::Warning,
                format!("{label}: push attempt {attempts} failed: {}", error.message),
                "no action needed; passerelle retries".to_string(),
            ),
            SinkErrorKind::Retryable => (
                DocState::DeadLetter,
                Severity::Error,
                format!(
                    "{label}: push failed {attempts} times, last: {}; moved to the dead letter",
                    error.message
                ),
                format!(
                    "{}; then retry it with `passerelle push --retry-dead-letters`",
                    error.action
                ),
            ),
            SinkErrorKind::Permanent | SinkErrorKind::Auth => (
                DocState::Rejected,
                Severity::Error,
                format!("{label}: the ledger refused it: {}", error.message),
                error.action.clone(),
            ),
        };
        doc.state = state;
        doc.outbox.lease_owner = None;
        doc.outbox.lease_until = None;
        doc.outbox.last_error = Some(error.message.clone());
        doc.reason = Some(message.clone());
        doc.action = Some(action.clone());
        doc.updated_at = self.now();
        // A failure write may lose to a concurrent change; the next delivery claims again.
        match self.store.update(&c.record.next(doc.to_data())).await {
            Ok(()) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.event(
            &cfg.id,
            ObjectKind::Entry,
            &c.key,
            severity,
            message.clone(),
            action,
            c.run.as_deref(),
        )
        .await;
        // A failed attempt is already in the log; the caller retries the message.
        Ok(StepOutcome::Moved(state))
    }
}
