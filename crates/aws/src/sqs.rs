//! The pipeline's queues over SQS (standard queues with dead-letter queues).

use std::time::Duration;

use app::ports::{Queue, QueueError, QueueName, Received};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};

use crate::error::describe;

/// SQS takes at most 10 entries per batch call...
const MAX_BATCH_ENTRIES: usize = 10;
/// ...and at most 256 KiB of bodies per call (the historical limit, which every queue accepts).
const MAX_BATCH_BYTES: usize = 256 * 1024;
/// Entries SQS failed on its side (not the sender's fault) are sent again this many times.
const PARTIAL_RETRIES: u32 = 3;
/// Longest visibility timeout SQS accepts (12 hours).
const MAX_VISIBILITY_SECS: u64 = 12 * 60 * 60;

/// [`Queue`] over two SQS queues, one per [`QueueName`].
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    map_url: String,
    push_url: String,
}

impl SqsQueue {
    pub fn new(
        client: Client,
        map_url: impl Into<String>,
        push_url: impl Into<String>,
    ) -> SqsQueue {
        SqsQueue {
            client,
            map_url: map_url.into(),
            push_url: push_url.into(),
        }
    }

    pub fn url(&self, queue: QueueName) -> &str {
        match queue {
            QueueName::Map => &self.map_url,
            QueueName::Push => &self.push_url,
        }
    }

    /// Sends one batch (≤ 10 entries); returns how many entries could not be sent.
    async fn send_batch(&self, queue: QueueName, batch: &[&String]) -> Result<usize, QueueError> {
        // Entry ids are positions in `batch`; only the not-yet-accepted ones are sent again.
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let entries = pending
                .iter()
                .map(|&i| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(batch[i].as_str())
                        .build()
                        .map_err(|e| QueueError::Unavailable(format!("SQS entry: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(self.url(queue))
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|err| {
                    QueueError::Unavailable(format!(
                        "{} to the {} queue",
                        describe("SQS SendMessageBatch", &err),
                        queue.as_str()
                    ))
                })?;
            let failed = out.failed();
            if failed.is_empty() {
                return Ok(0);
            }
            for f in failed {
                tracing::warn!(
                    queue = queue.as_str(),
                    code = f.code(),
                    sender_fault = f.sender_fault(),
                    message = f.message().unwrap_or_default(),
                    "SQS refused a message of a batch"
                );
            }
            // The sender's fault (too big, invalid characters) will fail the same way again.
            if failed.iter().any(|f| f.sender_fault()) || attempt > PARTIAL_RETRIES {
                return Ok(failed.len());
            }
            pending = failed
                .iter()
                .filter_map(|f| f.id().parse::<usize>().ok())
                .filter(|&i| i < batch.len())
                .collect();
            if pending.len() != failed.len() {
                return Ok(failed.len());
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
        }
    }
}

/// Splits bodies into SQS batches: at most 10 entries and 256 KiB each, order kept.
fn batches(bodies: &[String]) -> Vec<Vec<&String>> {
    let mut out: Vec<Vec<&String>> = Vec::new();
    let mut size = 0;
    for body in bodies {
        let fits = out
            .last()
            .is_some_and(|b| b.len() < MAX_BATCH_ENTRIES && size + body.len() <= MAX_BATCH_BYTES);
        if !fits {
            out.push(Vec::new());
            size = 0;
        }
        size += body.len();
        if let Some(last) = out.last_mut() {
            last.push(body);
        }
    }
    out
}

/// Whole seconds, rounded up (a 1.5 s visibility must not become 1 s), within SQS's range.
fn visibility_secs(visibility: Duration) -> i32 {
    let secs = visibility.as_secs() + u64::from(visibility.subsec_nanos() > 0);
    i32::try_from(secs.min(MAX_VISIBILITY_SECS)).unwrap_or(i32::MAX)
}

impl Queue for SqsQueue {
    async fn send(&self, queue: QueueName, bodies: &[String]) -> Result<(), QueueError> {
        let mut failed = 0;
        for batch in batches(bodies) {
            failed += self.send_batch(queue, &batch).await?;
        }
        if failed > 0 {
            return Err(QueueError::Partial {
                failed,
                total: bodies.len(),
            });
        }
        Ok(())
    }

    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .receive_message()
            .queue_url(self.url(queue))
            .max_number_of_messages(max.min(10) as i32)
            .visibility_timeout(visibility_secs(visibility))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|err| {
                QueueError::Unavailable(format!(
                    "{} from the {} queue",
                    describe("SQS ReceiveMessage", &err),
                    queue.as_str()
                ))
            })?;
        let mut received = Vec::new();
        for m in out.messages() {
            let (Some(body), Some(receipt)) = (m.body(), m.receipt_handle()) else {
                continue;
            };
            let receive_count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            received.push(Received {
                body: body.to_string(),
                receipt: receipt.to_string(),
                receive_count,
            });
        }
        Ok(received)
    }

    async fn ack(&self, queue: QueueName, receipt: &str) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(self.url(queue))
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|err| {
                QueueError::Unavailable(format!(
                    "{} on the {} queue",
                    describe("SQS DeleteMessage", &err),
                    queue.as_str()
                ))
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_ten_entries_and_256_kib() {
        let small: Vec<String> = (0..23).map(|i| i.to_string()).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);

        let big: Vec<String> = (0..5).map(|_| "x".repeat(100 * 1024)).collect();
        let sizes: Vec<usize> = batches(&big).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1], "two 100 KiB bodies per 256 KiB batch");
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn visibility_rounds_up_and_is_capped() {
        assert_eq!(visibility_secs(Duration::from_millis(1500)), 2);
        assert_eq!(visibility_secs(Duration::from_secs(30)), 30);
        assert_eq!(visibility_secs(Duration::ZERO), 0);
        assert_eq!(visibility_secs(Duration::from_secs(1 << 40)), 43_200);
    }
}
