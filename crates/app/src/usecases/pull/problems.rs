//! The part of a pull that records what the source could not read or use
//! (`Pulled::problems`, `Pulled::warnings`).

use domain::config::DossierConfig;

use super::PullReport;
use crate::ports::{
    BlobStore, Clock, ObjectKind, ProblemFate, ProblemSubject, PullProblem, PullWarning, Queue,
    Record, RecordStore, Severity, StoreError,
};
use crate::usecases::records::{Content, DocState, DocumentRecord, Outbox, doc_pk, told_pk};

/// How long a reference problem that lasts stays untold in the log after it was told.
const RETELL_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(7);
use crate::usecases::{Pipeline, PipelineError, sha256_hex};

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Records what the source could not read or use: a document or journal line becomes a
    /// held or skipped record (so `status` counts it and the next run reads it again), a
    /// reference item a warning. A document already booked is never touched: the warning says
    /// its current version at the source cannot be used.
    pub(super) async fn take_problems(
        &self,
        cfg: &DossierConfig,
        problems: &[PullProblem],
        report: &mut PullReport,
        run: Option<&str>,
    ) -> Result<(), PipelineError> {
        let run_id = run.unwrap_or("pull");
        for p in problems {
            let label = p.subject.label();
            if let ProblemSubject::Reference { .. } = p.subject {
                let message = format!("{label}: {}", p.reason);
                if self.told_recently(cfg, &p.subject.key(), &message).await? {
                    continue;
                }
                self.event(
                    &cfg.id,
                    ObjectKind::Run,
                    run_id,
                    Severity::Warning,
                    message,
                    p.action.clone(),
                    run,
                )
                .await;
                continue;
            }
            if p.subject.date().is_some_and(|d| d < cfg.start_date) {
                continue;
            }
            if matches!(p.subject, ProblemSubject::Document { .. }) {
                report.pulled += 1;
            }
            let (severity, verb) = match p.fate {
                ProblemFate::Held => (Severity::Warning, "held"),
                ProblemFate::Skipped => (Severity::Info, "skipped"),
            };
            let key = p.subject.key();
            let recorded = self.record_problem(cfg, p).await?;
            match (&recorded, p.fate) {
                (Recorded::Booked | Recorded::BookedAlreadyTold, _) => {
                    report.modified_after_copy += 1
                }
                (_, ProblemFate::Held) => report.held += 1,
                (_, ProblemFate::Skipped) => report.skipped += 1,
            }
            match recorded {
                Recorded::Unchanged | Recorded::BookedAlreadyTold => {}
                Recorded::New | Recorded::Replaced => {
                    let message = format!("{label}: {verb}: {}", p.reason);
                    self.event(
                        &cfg.id,
                        ObjectKind::Document,
                        &key,
                        severity,
                        message,
                        p.action.clone(),
                        run,
                    )
                    .await;
                }
                Recorded::Booked => {
                    let message = format!(
                        "{label} was booked earlier; its current version at the source cannot be used ({}); the change is not carried over and the ledger is untouched",
                        p.reason
                    );
                    self.event(
                        &cfg.id,
                        ObjectKind::Document,
                        &key,
                        Severity::Warning,
                        message,
                        p.action.clone(),
                        run,
                    )
                    .await;
                }
            }
        }
        Ok(())
    }

    pub(super) async fn log_warnings(
        &self,
        cfg: &DossierConfig,
        warnings: &[PullWarning],
        run: Option<&str>,
    ) {
        for w in warnings {
            let message = format!("{}: {}", w.subject, w.message);
            let run_id = run.unwrap_or("pull");
            self.event(
                &cfg.id,
                ObjectKind::Run,
                run_id,
                Severity::Warning,
                message,
                w.action.clone(),
                run,
            )
            .await;
        }
    }

    /// Whether this reference problem (an incoming document still pending at the source, a
    /// reference item that cannot be read) was logged with the same message less than
    /// [`RETELL_AFTER`] ago: the log tells it once, then again when it changes or weekly while
    /// it lasts, not at every run. Records the telling otherwise.
    async fn told_recently(
        &self,
        cfg: &DossierConfig,
        key: &str,
        message: &str,
    ) -> Result<bool, PipelineError> {
        let pk = told_pk(&cfg.id);
        let hash = sha256_hex(message.as_bytes());
        let now = self.now();
        let data = serde_json::json!({ "hash": hash, "at": now.to_rfc3339() });
        for _ in 0..8 {
            let written = match self.store.get(&pk, key).await? {
                None => {
                    self.store
                        .create(&Record::new(&pk, key, data.clone()))
                        .await
                }
                Some(stored) => {
                    let same = stored.data.get("hash").and_then(|h| h.as_str()) == Some(&hash);
                    let at = stored
                        .data
                        .get("at")
                        .and_then(|a| a.as_str())
                        .and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok());
                    let recent = at.is_some_and(|at| now.signed_duration_since(at) < RETELL_AFTER);
                    if same && recent {
                        return Ok(true);
                    }
                    self.store.update(&stored.next(data.clone())).await
                }
            };
            match written {
                Ok(()) => return Ok(false),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    /// Creates or updates the record of a problem, retrying when another worker wrote it.
    async fn record_problem(
        &self,
        cfg: &DossierConfig,
        p: &PullProblem,
    ) -> Result<Recorded, PipelineError> {
        let pk = doc_pk(&cfg.id);
        let key = p.subject.key();
        let hash =
            sha256_hex(&serde_json::to_vec(&(&p.subject, p.fate, &p.reason)).unwrap_or_default());
        let state = match p.fate {
            ProblemFate::Held => DocState::Held,
            ProblemFate::Skipped => DocState::Skipped,
        };
        for _ in 0..8 {
            let written = match self.store.get(&pk, &key).await? {
                None => {
                    let record = DocumentRecord {
                        dossier: cfg.id.clone(),
                        key: key.clone(),
                        state,
                        reason: Some(p.reason.clone()),
                        action: Some(p.action.clone()),
                        content_hash: hash.clone(),
                        content: Content::Unread(p.subject.clone()),
                        changed_hash: None,
                        entry: None,
                        pdf_key: None,
                        pdf_sha256: None,
                        outbox: Outbox::default(),
                        ledger_id: None,
                        updated_at: self.now(),
                    };
                    let created = self
                        .store
                        .create(&Record::new(&pk, &key, record.to_data()))
                        .await;
                    (created, Recorded::New)
                }
                Some(stored) => {
                    let mut current = DocumentRecord::from_record(&stored)?;
                    if current.content_hash == hash {
                        return Ok(Recorded::Unchanged);
                    }
                    let maybe_booked =
                        matches!(current.state, DocState::Pushed | DocState::DeadLetter)
                            || current.outbox.attempts > 0;
                    let outcome = if maybe_booked {
                        if current.changed_hash.as_deref() == Some(hash.as_str()) {
                            return Ok(Recorded::BookedAlreadyTold);
                        }
                        // The booked record stays as it is (state, content, reason): only the
                        // version seen is noted, so the warning is given once.
                        current.changed_hash = Some(hash.clone());
                        Recorded::Booked
                    } else {
                        current.content_hash = hash.clone();
                        current.content = Content::Unread(p.subject.clone());
                        current.state = state;
                        current.entry = None;
                        current.reason = Some(p.reason.clone());
                        current.action = Some(p.action.clone());
                        Recorded::Replaced
                    };
                    current.updated_at = self.now();
                    (
                        self.store.update(&stored.next(current.to_data())).await,
                        outcome,
                    )
                }
            };
            match written {
                (Ok(()), outcome) => return Ok(outcome),
                (Err(StoreError::Conflict { .. }), _) => continue,
                (Err(e), _) => return Err(e.into()),
            }
        }
        Err(PipelineError::Retryable(format!(
            "{key}: too many concurrent writes"
        )))
    }
}

/// What recording a problem did.
enum Recorded {
    New,
    /// The same problem as last time: nothing new to say.
    Unchanged,
    /// An unbooked document (or line) that now cannot be used: held or skipped instead.
    Replaced,
    /// Booked earlier: the ledger is left alone, a warning says why the new version is not used.
    Booked,
    BookedAlreadyTold,
}
