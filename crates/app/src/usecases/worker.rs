//! The queue consumer of the local runtime (in the cloud, SQS invokes the mapper and ledger-sink
//! functions instead): take messages, run the step, acknowledge what is done, leave what must be
//! retried to come back after its visibility timeout.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use domain::config::DossierConfig;

use super::map::StepOutcome;
use super::records::{DocState, StepMessage};
use super::{Pipeline, PipelineError};
use crate::ports::{
    BlobStore, Clock, LedgerSink, ObjectKind, Queue, QueueName, RecordStore, Severity, SourceApi,
};

/// Where each dossier's configuration, source and ledger are.
pub trait Dossiers: Send + Sync {
    type Source: SourceApi;
    type Sink: LedgerSink;
    fn config(&self, id: &str) -> Option<&DossierConfig>;
    fn source(&self, id: &str) -> Option<&Self::Source>;
    fn sink(&self, id: &str) -> Option<&Self::Sink>;
}

/// Counters of a worker's passes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkStats {
    pub received: u64,
    pub done: u64,
    pub retried: u64,
    pub dropped: u64,
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// One pass over both queues.
    pub async fn work_once<D: Dossiers>(&self, dossiers: &D) -> Result<WorkStats, PipelineError> {
        let mut stats = WorkStats::default();
        let visibility = self.settings.retry_delay;
        for m in self.queue.receive(QueueName::Map, 10, visibility).await? {
            stats.received += 1;
            let Some(msg) = StepMessage::parse(&m.body) else {
                stats.dropped += 1;
                self.queue.ack(QueueName::Map, &m.receipt).await?;
                continue;
            };
            let (Some(cfg), Some(source)) =
                (dossiers.config(&msg.dossier), dossiers.source(&msg.dossier))
            else {
                let configured = dossiers.config(&msg.dossier).is_some();
                self.not_served(&msg, configured, "Sellsy connection").await;
                stats.dropped += 1;
                self.queue.ack(QueueName::Map, &m.receipt).await?;
                continue;
            };
            match self.map_step(cfg, source, &msg).await {
                Err(e) if e.is_retryable() => {
                    stats.retried += 1;
                    self.retry_later(&msg, &e).await;
                }
                _ => {
                    stats.done += 1;
                    self.queue.ack(QueueName::Map, &m.receipt).await?;
                }
            }
        }
        let received = self
            .queue
            .receive(QueueName::Push, self.settings.push_batch.max(1), visibility)
            .await?;
        let mut by_dossier: BTreeMap<String, Vec<(StepMessage, String)>> = BTreeMap::new();
        for m in received {
            stats.received += 1;
            match StepMessage::parse(&m.body) {
                Some(msg) => by_dossier
                    .entry(msg.dossier.clone())
                    .or_default()
                    .push((msg, m.receipt)),
                None => {
                    stats.dropped += 1;
                    self.queue.ack(QueueName::Push, &m.receipt).await?;
                }
            }
        }
        for (dossier, items) in by_dossier {
            let (Some(cfg), Some(sink)) = (dossiers.config(&dossier), dossiers.sink(&dossier))
            else {
                let configured = dossiers.config(&dossier).is_some();
                for (msg, receipt) in items {
                    self.not_served(&msg, configured, "ledger").await;
                    stats.dropped += 1;
                    self.queue.ack(QueueName::Push, &receipt).await?;
                }
                continue;
            };
            let msgs: Vec<StepMessage> = items.iter().map(|(m, _)| m.clone()).collect();
            let results = self.push_step(cfg, sink, &msgs).await;
            for ((msg, receipt), result) in items.iter().zip(results) {
                match result {
                    // Logged by the push step; the message comes back after its visibility timeout.
                    Ok(StepOutcome::Moved(DocState::Failed)) => stats.retried += 1,
                    Err(e) if e.is_retryable() => {
                        stats.retried += 1;
                        self.retry_later(msg, &e).await;
                    }
                    Ok(StepOutcome::Moved(_)) | Ok(StepOutcome::Nothing) | Err(_) => {
                        stats.done += 1;
                        self.queue.ack(QueueName::Push, receipt).await?;
                    }
                }
            }
        }
        Ok(stats)
    }

    /// Works until both queues stayed empty for `idle` (messages waiting for their visibility
    /// timeout count as work still to come), or until `deadline`.
    pub async fn run_until_idle<D: Dossiers>(
        &self,
        dossiers: &D,
        idle: Duration,
        deadline: Duration,
    ) -> Result<WorkStats, PipelineError> {
        self.work_until_idle(dossiers, idle, deadline, |_| {}).await
    }

    /// [`Self::run_until_idle`], telling `progress` the totals after every pass (a progress bar).
    pub async fn work_until_idle<D: Dossiers>(
        &self,
        dossiers: &D,
        idle: Duration,
        deadline: Duration,
        mut progress: impl FnMut(&WorkStats),
    ) -> Result<WorkStats, PipelineError> {
        let start = Instant::now();
        let mut last_work = Instant::now();
        let mut total = WorkStats::default();
        while start.elapsed() < deadline {
            let stats = match self.work_once(dossiers).await {
                Ok(s) => s,
                // The queue itself was unavailable: wait and try again.
                Err(e) if e.is_retryable() => WorkStats::default(),
                Err(e) => return Err(e),
            };
            total.received += stats.received;
            total.done += stats.done;
            total.retried += stats.retried;
            total.dropped += stats.dropped;
            progress(&total);
            if stats.received > 0 {
                last_work = Instant::now();
            } else if last_work.elapsed() >= idle {
                break;
            } else {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(total)
    }

    /// Every failure is visible in the log, with the step that will be retried.
    async fn retry_later(&self, msg: &StepMessage, error: &PipelineError) {
        self.event(
            &msg.dossier,
            ObjectKind::Document,
            &msg.key,
            Severity::Warning,
            format!("step interrupted, will retry: {error}"),
            "no action needed; passerelle retries",
            msg.run.as_deref(),
        )
        .await;
    }

    /// A step message for a dossier that is not configured, or whose `part` (its ledger, its
    /// Sellsy connection) could not be connected: logged with the action. The document keeps
    /// its state (the records are the outbox), so `push` or the next run takes it again.
    pub async fn not_served(&self, msg: &StepMessage, configured: bool, part: &str) {
        let (message, action) = if configured {
            (
                format!(
                    "dossier '{}': its {part} is not connected (see the problems listed at start-up); the document keeps its place",
                    msg.dossier
                ),
                format!(
                    "fix the connection (passerelle test-connection {}), then run passerelle push {}",
                    msg.dossier, msg.dossier
                ),
            )
        } else {
            (
                format!(
                    "dossier '{}' is not configured; the message was dropped",
                    msg.dossier
                ),
                "add the dossier to the configuration, then run a sync again".to_string(),
            )
        };
        self.event(
            &msg.dossier,
            ObjectKind::Document,
            &msg.key,
            Severity::Error,
            message,
            action,
            msg.run.as_deref(),
        )
        .await;
    }
}
