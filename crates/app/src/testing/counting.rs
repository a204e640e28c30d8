//! Adapters that count what they are asked, to measure the requests (and DynamoDB capacity units)
//! a document costs. The use cases issue the same port calls whatever the adapter, and each port
//! call is one DynamoDB / S3 / SQS request (a query may be several pages; one page here).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::ports::{
    BlobError, BlobStore, BlobVersion, PutOnce, Queue, QueueError, QueueName, Received, Record,
    RecordStore, StoreError, Swap,
};

/// Request counters.
#[derive(Debug, Default)]
pub struct Counts {
    pub get_item: AtomicU64,
    pub put_item: AtomicU64,
    pub query: AtomicU64,
    /// Write request units: one per started KB of item written.
    pub write_units: AtomicU64,
    /// Read request units, strongly consistent: one per started 4 KB read.
    pub read_units: AtomicU64,
    pub s3_put: AtomicU64,
    pub s3_get: AtomicU64,
    pub s3_list: AtomicU64,
    pub s3_bytes_put: AtomicU64,
    pub sqs_send: AtomicU64,
    pub sqs_receive: AtomicU64,
    pub sqs_delete: AtomicU64,
}

fn item_bytes(r: &Record) -> u64 {
    (r.pk.len() + r.sk.len() + 16 + serde_json::to_vec(&r.data).map_or(0, |v| v.len())) as u64
}

pub struct CountingStore<S> {
    pub inner: S,
    pub counts: Counts,
}

impl<S> CountingStore<S> {
    pub fn new(inner: S) -> Self {
        CountingStore {
            inner,
            counts: Counts::default(),
        }
    }
}

impl<S: RecordStore> RecordStore for CountingStore<S> {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Record>, StoreError> {
        self.counts.get_item.fetch_add(1, Relaxed);
        let r = self.inner.get(pk, sk).await?;
        let size = r.as_ref().map_or(1, item_bytes);
        self.counts
            .read_units
            .fetch_add(size.div_ceil(4096).max(1), Relaxed);
        Ok(r)
    }

    async fn create(&self, record: &Record) -> Result<(), StoreError> {
        self.counts.put_item.fetch_add(1, Relaxed);
        self.counts
            .write_units
            .fetch_add(item_bytes(record).div_ceil(1024).max(1), Relaxed);
        self.inner.create(record).await
    }

    async fn update(&self, record: &Record) -> Result<(), StoreError> {
        self.counts.put_item.fetch_add(1, Relaxed);
        self.counts
            .write_units
            .fetch_add(item_bytes(record).div_ceil(1024).max(1), Relaxed);
        self.inner.update(record).await
    }

    async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let items = self.inner.query(pk, from, to, limit).await?;
        let bytes: u64 = items.iter().map(item_bytes).sum();
        // DynamoDB returns at most 1 MB per page.
        let pages = bytes.div_ceil(1 << 20).max(1);
        self.counts.query.fetch_add(pages, Relaxed);
        self.counts
            .read_units
            .fetch_add(bytes.div_ceil(4096).max(1), Relaxed);
        Ok(items)
    }
}

pub struct CountingBlobs<B> {
    pub inner: B,
    pub counts: Counts,
}

impl<B> CountingBlobs<B> {
    pub fn new(inner: B) -> Self {
        CountingBlobs {
            inner,
            counts: Counts::default(),
        }
    }
}

impl<B: BlobStore> BlobStore for CountingBlobs<B> {
    async fn put_once(&self, key: &str, bytes: &[u8], ct: &str) -> Result<PutOnce, BlobError> {
        self.counts.s3_put.fetch_add(1, Relaxed);
        self.counts
            .s3_bytes_put
            .fetch_add(bytes.len() as u64, Relaxed);
        self.inner.put_once(key, bytes, ct).await
    }

    async fn put(&self, key: &str, bytes: &[u8], ct: &str) -> Result<(), BlobError> {
        self.counts.s3_put.fetch_add(1, Relaxed);
        self.counts
            .s3_bytes_put
            .fetch_add(bytes.len() as u64, Relaxed);
        self.inner.put(key, bytes, ct).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        self.counts.s3_get.fetch_add(1, Relaxed);
        self.inner.get(key).await
    }

    async fn get_versioned(&self, key: &str) -> Result<Option<(Vec<u8>, BlobVersion)>, BlobError> {
        self.counts.s3_get.fetch_add(1, Relaxed);
        self.inner.get_versioned(key).await
    }

    async fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        ct: &str,
        expected: Option<&BlobVersion>,
    ) -> Result<Swap, BlobError> {
        self.counts.s3_put.fetch_add(1, Relaxed);
        self.counts
            .s3_bytes_put
            .fetch_add(bytes.len() as u64, Relaxed);
        self.inner.put_if(key, bytes, ct, expected).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        self.counts.s3_list.fetch_add(1, Relaxed);
        self.inner.list(prefix).await
    }
}

pub struct CountingQueue<Q> {
    pub inner: Q,
    pub counts: Counts,
}

impl<Q> CountingQueue<Q> {
    pub fn new(inner: Q) -> Self {
        CountingQueue {
            inner,
            counts: Counts::default(),
        }
    }
}

impl<Q: Queue> Queue for CountingQueue<Q> {
    async fn send(&self, queue: QueueName, bodies: &[String]) -> Result<(), QueueError> {
        // SendMessageBatch takes 10 messages.
        self.counts
            .sqs_send
            .fetch_add(bodies.len().div_ceil(10) as u64, Relaxed);
        self.inner.send(queue, bodies).await
    }

    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        let got = self.inner.receive(queue, max, visibility).await?;
        // Empty polls are left out: in the cloud, SQS invokes the functions.
        if !got.is_empty() {
            self.counts.sqs_receive.fetch_add(1, Relaxed);
        }
        Ok(got)
    }

    async fn ack(&self, queue: QueueName, receipt: &str) -> Result<(), QueueError> {
        self.counts.sqs_delete.fetch_add(1, Relaxed);
        self.inner.ack(queue, receipt).await
    }
}
