//! Recovery after an interrupted process: the records are the outbox. The local runtime's
//! in-process queue dies with its process, so at start (and for `push`) the documents still to
//! do are handed to the queues again; then the worker drains them. Re-queuing a document twice
//! changes nothing (every step is a conditional write on the document's record).

use std::time::Duration;

use super::records::{DocState, DocumentRecord, StepMessage, doc_pk};
use super::worker::{Dossiers, WorkStats};
use super::{Pipeline, PipelineError};
use crate::ports::{BlobStore, Clock, Queue, QueueName, RecordStore};

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
