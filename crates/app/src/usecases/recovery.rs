//! Recovery after an interrupted process: the records are the outbox. The local runtime's
//! in-process queue dies with its process, so at start (and for `push`) the documents still to
//! do are handed to the queues again; then the worker drains them. Re-queuing a document twice
//! changes nothing (every step is a conditional write on the document's record).

use std::time::Duration;

use super::records::{Content, DocState, DocumentRecord, StepMessage, doc_pk};
use super::worker::{Dossiers, WorkStats};
use super::{Pipeline, PipelineError};
use crate::ports::{
    BlobStore, Clock, ObjectKind, Queue, QueueName, RecordStore, Severity, StoreError,
};

/// What a retry did to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retried {
    /// Back to the mapper: it is mapped again with today's configuration.
    Queued,
    /// Not retried, and why (with what to do instead).
    Refused { reason: String, action: String },
}

/// How long a drain may run before it gives up (the work stays in the outbox).
const DRAIN_DEADLINE: Duration = Duration::from_secs(3600);

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Hands a dossier's documents still to do to the queues: received ones to the mapper,
    /// mapped and failed ones to the ledger. Returns how many.
    pub async fn requeue(&self, dossier: &str) -> Result<u64, PipelineError> {
        let (mut to_map, mut to_push) = (Vec::new(), Vec::new());
        for r in self
            .store
            .query(&doc_pk(dossier), None, None, usize::MAX)
            .await?
        {
            let doc = DocumentRecord::from_record(&r)?;
            let msg = StepMessage {
                dossier: dossier.to_string(),
                key: doc.key.clone(),
                run: None,
            }
            .body();
            match doc.state {
                DocState::Received => to_map.push(msg),
                DocState::Mapped | DocState::Failed => to_push.push(msg),
                _ => {}
            }
        }
        let n = (to_map.len() + to_push.len()) as u64;
        for (name, msgs) in [(QueueName::Map, to_map), (QueueName::Push, to_push)] {
            for chunk in msgs.chunks(10) {
                self.queue.send(name, chunk).await?;
            }
        }
        Ok(n)
    }

    /// "Relancer": a held or rejected document is mapped again (then pushed) with the
    /// configuration as it is now, after its cause was fixed; `who` is written to the log. A
    /// document that was booked, or may have been (a change after copy, a hold after a push
    /// attempt started), is refused: mapping it again could book it twice.
    pub async fn retry(
        &self,
        dossier: &str,
        key: &str,
        who: &str,
    ) -> Result<Retried, PipelineError> {
        let pk = doc_pk(dossier);
        for _ in 0..8 {
            let Some(stored) = self.store.get(&pk, key).await? else {
                return Ok(Retried::Refused {
                    reason: format!("no document {key} in dossier {dossier}"),
                    action: "check the document key (passerelle status, passerelle log)".into(),
                });
            };
            let mut rec = DocumentRecord::from_record(&stored)?;
            if !matches!(rec.state, DocState::Held | DocState::Rejected) {
                return Ok(Retried::Refused {
                    reason: format!(
                        "{} is {}: only held and rejected documents are retried",
                        rec.label(),
                        rec.state.as_str()
                    ),
                    action: "nothing to do".into(),
                });
            }
            // A rejection is the ledger's definitive "no" to the last attempt; its attempts stay
            // counted, so the next push asks the ledger first (`find_entry`). A hold with a push
            // attempt started may have reached the ledger.
            let maybe_booked = rec.ledger_id.is_some()
                || rec.changed_hash.is_some()
                || (rec.state == DocState::Held && rec.outbox.attempts > 0);
            if maybe_booked {
                return Ok(Retried::Refused {
                    reason: format!(
                        "{} was sent to the ledger already; mapping it again could book it twice",
                        rec.label()
                    ),
                    action: rec.action.clone().unwrap_or_else(|| {
                        "issue a credit note in Sellsy, or correct the entry in the ledger".into()
                    }),
                });
            }
            match &rec.content {
                Content::Source { .. } => {}
                Content::Unread(_) => {
                    return Ok(Retried::Refused {
                        reason: format!(
                            "{} could not be read from the source: there is nothing to map again",
                            rec.label()
                        ),
                        action: "correct it at the source: every sync reads it again (Synchroniser maintenant)".into(),
                    });
                }
                Content::Collected(_) => {
                    return Ok(Retried::Refused {
                        reason: format!("{} is a file collected by mail, not an entry to map", rec.label()),
                        action: "send the corrected file by mail again (a copy already filed is recognised and not filed twice)".into(),
                    });
                }
            }
            let label = rec.label();
            rec.state = DocState::Received;
            rec.reason = None;
            rec.action = None;
            rec.entry = None;
            rec.updated_at = self.now();
            match self.store.update(&stored.next(rec.to_data())).await {
                Ok(()) => {}
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            let msg = StepMessage {
                dossier: dossier.to_string(),
                key: key.to_string(),
                run: None,
            };
            self.queue.send(QueueName::Map, &[msg.body()]).await?;
            self.event(
                dossier,
                ObjectKind::Document,
                key,
                Severity::Info,
                format!("{label}: retry asked by {who}; mapped again with the current settings"),
                "no action needed",
                None,
            )
            .await;
            return Ok(Retried::Queued);
        }
        Err(PipelineError::Retryable(format!(
            "{key}: too many concurrent writes"
        )))
    }

    /// Works the queues until they stay quiet for three retry delays (a failed step comes back
    /// after one), telling `progress` the steps done so far.
    pub async fn drain<D: Dossiers>(
        &self,
        dossiers: &D,
        mut progress: impl FnMut(u64),
    ) -> Result<WorkStats, PipelineError> {
        let idle = self.settings.retry_delay * 3 + Duration::from_millis(200);
        self.work_until_idle(dossiers, idle, DRAIN_DEADLINE, |s| progress(s.done))
            .await
    }
}
