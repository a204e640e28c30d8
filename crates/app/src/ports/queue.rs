//! Hand-off between steps: SQS queues with dead-letter queues in the cloud, an in-process queue
//! locally. Delivery is at least once and unordered: consumers are idempotent.

use std::future::Future;
use std::time::Duration;

/// The pipeline's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueueName {
    /// Documents to map (sellsy-pull → mapper).
    Map,
    /// Entries and collected documents to push (mapper, mail-inbound → ledger-sink).
    Push,
}

impl QueueName {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueName::Map => "map",
            QueueName::Push => "push",
        }
    }
}

/// A message taken from a queue; hidden from other consumers until acknowledged or until its
/// visibility timeout ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub body: String,
    /// Handle to acknowledge the message with.
    pub receipt: String,
    /// How many times it was delivered, this time included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    /// Some messages of a batch were not accepted (SQS partial failure); they must be sent again.
    #[error("{failed} of {total} messages were not accepted by the queue")]
    Partial { failed: usize, total: usize },
}

pub trait Queue: Send + Sync {
    /// Sends messages (batched by the adapter: SQS takes 10 per call).
    fn send(
        &self,
        queue: QueueName,
        bodies: &[String],
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Takes up to `max` messages, hidden for `visibility`.
    fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> impl Future<Output = Result<Vec<Received>, QueueError>> + Send;

    /// Removes a processed message.
    fn ack(
        &self,
        queue: QueueName,
        receipt: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;
}
