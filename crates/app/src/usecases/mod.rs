//! The use cases, written once over the ports: pull (per dossier and window), map, push,
//! intake (mail), synchronise-now, and a worker that drains the queues for the local runtime.
//!
//! Exactly once, nothing lost: every state change of a document is a conditional write on its
//! record (two workers never both advance it); the push outbox lives in the document record and
//! is claimed with a lease; after an interrupted push the ledger is asked whether the entry is
//! already there before anything is sent again; queue deliveries may be duplicated or reordered
//! and change nothing.

mod aliases;
pub mod connection;
pub mod dry_run;
pub mod einvoice;
pub mod identity;
pub mod intake;
mod intake_adapters;
pub mod log;
mod mail_records;
pub mod map;
pub mod pull;
pub mod push;
pub mod records;
pub mod recovery;
pub mod runs;
pub mod worker;

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::ports::{
    BlobError, BlobStore, Clock, LogEvent, ObjectKind, Queue, QueueError, RecordStore, Severity,
    StoreError,
};
pub use log::StoreLog;
pub use records::{DocState, DocumentRecord, RunRecord, RunState, StepMessage};

/// Why a step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Try the same message again later (store, queue, source or ledger unavailable).
    #[error("retry later: {0}")]
    Retryable(String),
    /// Retrying cannot help; the cause is recorded in the integration log.
    #[error("{0}")]
    Permanent(String),
}

impl PipelineError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, PipelineError::Retryable(_))
    }
}

impl From<StoreError> for PipelineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => PipelineError::Permanent(e.to_string()),
            _ => PipelineError::Retryable(e.to_string()),
        }
    }
}

impl From<BlobError> for PipelineError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::BadKey(_) | BlobError::Denied(_) => PipelineError::Permanent(e.to_string()),
            BlobError::Unavailable(_) => PipelineError::Retryable(e.to_string()),
        }
    }
}

impl From<QueueError> for PipelineError {
    fn from(e: QueueError) -> Self {
        PipelineError::Retryable(e.to_string())
    }
}

/// Tunables of the pipeline.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Who this worker is (lease owner).
    pub worker_id: String,
    /// How long a push claim holds before another worker may take over: longer than any push.
    pub lease: Duration,
    /// How long a message waits before it is delivered again after a failure (the queue's
    /// visibility timeout).
    pub retry_delay: Duration,
    /// Push attempts before a document goes to the dead letter.
    pub max_attempts: u32,
    /// How long log lines are kept.
    pub log_retention_days: i64,
    /// Entries sent to the ledger in one call (Inqom books at most 50 at once).
    pub push_batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            worker_id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(300),
            retry_delay: Duration::from_secs(30),
            max_attempts: 8,
            log_retention_days: 400,
            push_batch: 50,
        }
    }
}

/// The pipeline over one set of adapters.
pub struct Pipeline<S, B, Q, C> {
    pub store: S,
    pub blobs: B,
    pub queue: Q,
    pub clock: C,
    pub settings: Settings,
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    pub fn new(store: S, blobs: B, queue: Q, clock: C) -> Self {
        Pipeline {
            store,
            blobs,
            queue,
            clock,
            settings: Settings::default(),
        }
    }

    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The integration log of this pipeline.
    pub fn log(&self) -> StoreLog<'_, S> {
        StoreLog::new(&self.store, self.settings.log_retention_days)
    }

    /// Records an event; a log write that fails is reported on stderr through `tracing` but never
    /// fails the step (the step's own state is what matters).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn event(
        &self,
        dossier: &str,
        object: ObjectKind,
        object_id: &str,
        severity: Severity,
        message: impl Into<String>,
        action: impl Into<String>,
        run: Option<&str>,
    ) {
        let event = LogEvent {
            at: self.now(),
            dossier: dossier.to_string(),
            object,
            object_id: object_id.to_string(),
            severity,
            message: message.into(),
            action: action.into(),
            run: run.map(str::to_string),
        };
        use crate::ports::IntegrationLog;
        if let Err(e) = self.log().record(event.clone()).await {
            tracing::warn!(dossier, object_id, error = %e, "integration log write failed: {}", event.message);
        }
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
