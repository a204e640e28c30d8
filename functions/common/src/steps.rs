//! mapper and ledger-sink: SQS batches with partial batch failures. A message whose step must be
//! retried is reported in `batchItemFailures` (SQS delivers it again after its visibility timeout,
//! and moves it to the dead-letter queue after `maxReceiveCount`); every other message is done.

use std::collections::BTreeMap;

use app::ports::{IntegrationLog, LogEvent, ObjectKind, Severity};
use app::usecases::StepMessage;
use app::usecases::map::StepOutcome;
use app::usecases::worker::Dossiers;
use app::usecases::{DocState, PipelineError};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::cloud::Cloud;

fn failure(message_id: &str) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = message_id.to_string();
    f
}

fn response(failures: Vec<BatchItemFailure>) -> SqsBatchResponse {
    let mut r = SqsBatchResponse::default();
    r.batch_item_failures = failures;
    r
}

/// The messages of a batch: (SQS message id, step message); a body that is not a step message
/// is logged and dropped (retrying cannot make it one).
fn messages(event: &SqsEvent) -> Vec<(String, StepMessage)> {
    let mut out = Vec::new();
    for record in &event.records {
        let id = record.message_id.clone().unwrap_or_default();
        match record.body.as_deref().and_then(StepMessage::parse) {
            Some(m) => out.push((id, m)),
            None => {
                tracing::error!(message_id = %id, body = ?record.body, "not a step message; dropped")
            }
        }
    }
    out
}

async fn log(cloud: &Cloud, msg: &StepMessage, severity: Severity, message: String, action: &str) {
    let event = LogEvent {
        at: cloud.pipeline.now(),
        dossier: msg.dossier.clone(),
        object: ObjectKind::Document,
        object_id: msg.key.clone(),
        severity,
        message,
        action: action.to_string(),
        run: msg.run.clone(),
    };
    if let Err(e) = cloud.pipeline.log().record(event).await {
        tracing::warn!(error = %e, "integration log write failed");
    }
}

async fn retry_later(cloud: &Cloud, msg: &StepMessage, e: &PipelineError) {
    log(
        cloud,
        msg,
        Severity::Warning,
        format!("step interrupted, will retry: {e}"),
        "no action needed; passerelle retries",
    )
    .await;
}

/// mapper: maps each document, stores its entry and PDF, hands it to the push queue.
pub async fn map_batch(cloud: &Cloud, event: &SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for (id, msg) in messages(event) {
        let (Some(cfg), Some(source)) = (
            cloud.dossiers.config(&msg.dossier),
            cloud.dossiers.source(&msg.dossier),
        ) else {
            // Not configured: dropped. Configured but not connected: back to the queue (after
            // its retries, the dead-letter queue and its alarm), the document keeps its place.
            let configured = cloud.dossiers.config(&msg.dossier).is_some();
            cloud
                .pipeline
                .not_served(&msg, configured, "Sellsy connection")
                .await;
            if configured {
                failures.push(failure(&id));
            }
            continue;
        };
        match cloud.pipeline.map_step(cfg, source, &msg).await {
            Err(e) if e.is_retryable() => {
                retry_later(cloud, &msg, &e).await;
                failures.push(failure(&id));
            }
            // Permanent failures are recorded on the document and in the log by the step.
            _ => {}
        }
    }
    response(failures)
}

/// ledger-sink: pushes each dossier's documents in one call of the push step.
pub async fn push_batch(cloud: &Cloud, event: &SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    let mut by_dossier: BTreeMap<String, Vec<(String, StepMessage)>> = BTreeMap::new();
    for (id, msg) in messages(event) {
        by_dossier
            .entry(msg.dossier.clone())
            .or_default()
            .push((id, msg));
    }
    for (dossier, items) in by_dossier {
        let (Some(cfg), Some(sink)) = (
            cloud.dossiers.config(&dossier),
            cloud.dossiers.sink(&dossier),
        ) else {
            let configured = cloud.dossiers.config(&dossier).is_some();
            for (id, msg) in &items {
                cloud.pipeline.not_served(msg, configured, "ledger").await;
                if configured {
                    failures.push(failure(id));
                }
            }
            continue;
        };
        let msgs: Vec<StepMessage> = items.iter().map(|(_, m)| m.clone()).collect();
        let results = cloud.pipeline.push_step(cfg, sink, &msgs).await;
        for ((id, msg), result) in items.iter().zip(results) {
            match result {
                // The push step logged it; the message comes back after its visibility timeout.
                Ok(StepOutcome::Moved(DocState::Failed)) => failures.push(failure(id)),
                Err(e) if e.is_retryable() => {
                    retry_later(cloud, msg, &e).await;
                    failures.push(failure(id));
                }
                Ok(_) | Err(_) => {}
            }
        }
    }
    response(failures)
}
