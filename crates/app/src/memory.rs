//! In-memory adapters: the in-process queue of the local runtime, and a record store and blob
//! store that keep nothing (for `sync --dry-run` and use-case tests).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::ports::{
    BlobError, BlobStore, BlobVersion, PutOnce, Queue, QueueError, QueueName, Received, Record,
    RecordStore, StoreError, Swap, valid_key,
};

/// Records in a map behind a mutex, with the same conditions as DynamoDB.
#[derive(Debug, Default)]
pub struct MemoryStore {
    items: Mutex<BTreeMap<(String, String), Record>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many items are stored (tests, dry-run reports).
    pub fn len(&self) -> usize {
        self.items.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("memory store lock poisoned".into())
}

impl RecordStore for MemoryStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Record>, StoreError> {
        let items = self.items.lock().map_err(poisoned)?;
        Ok(items.get(&(pk.to_string(), sk.to_string())).cloned())
    }

    async fn create(&self, record: &Record) -> Result<(), StoreError> {
        let mut items = self.items.lock().map_err(poisoned)?;
        let key = (record.pk.clone(), record.sk.clone());
        if items.contains_key(&key) || record.version != 1 {
            return Err(StoreError::Conflict {
                pk: record.pk.clone(),
                sk: record.sk.clone(),
            });
        }
        items.insert(key, record.clone());
        Ok(())
    }

    async fn update(&self, record: &Record) -> Result<(), StoreError> {
        let mut items = self.items.lock().map_err(poisoned)?;
        let key = (record.pk.clone(), record.sk.clone());
        match items.get(&key) {
            Some(current) if current.version + 1 == record.version => {
                items.insert(key, record.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict {
                pk: record.pk.clone(),
                sk: record.sk.clone(),
            }),
        }
    }

    async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let items = self.items.lock().map_err(poisoned)?;
        Ok(items
            .range((pk.to_string(), from.unwrap_or("").to_string())..)
            .take_while(|((p, s), _)| p == pk && to.is_none_or(|t| s.as_str() <= t))
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn count_by(
        &self,
        pk: &str,
        field: &'static str,
        values: &[&str],
    ) -> Result<Vec<u64>, StoreError> {
        // Counted in place: the default would clone every item of the partition.
        let items = self.items.lock().map_err(poisoned)?;
        let mut counts = vec![0; values.len()];
        for (_, r) in items
            .range((pk.to_string(), String::new())..)
            .take_while(|((p, _), _)| p == pk)
        {
            let v = r.data.get(field).and_then(|v| v.as_str());
            if let Some(i) = values.iter().position(|w| Some(*w) == v) {
                counts[i] += 1;
            }
        }
        Ok(counts)
    }
}

/// Objects in a map behind a mutex; each write gets the next version number.
#[derive(Debug, Default)]
pub struct MemoryBlobs {
    objects: Mutex<Objects>,
}

#[derive(Debug, Default)]
struct Objects {
    map: BTreeMap<String, (Vec<u8>, u64)>,
    writes: u64,
}

impl Objects {
    fn insert(&mut self, key: &str, bytes: &[u8]) {
        self.writes += 1;
        self.map
            .insert(key.to_string(), (bytes.to_vec(), self.writes));
    }
}

impl MemoryBlobs {
    pub fn new() -> MemoryBlobs {
        MemoryBlobs::default()
    }
}

fn blob_poisoned<T>(_: T) -> BlobError {
    BlobError::Unavailable("memory blob lock poisoned".into())
}

impl BlobStore for MemoryBlobs {
    async fn put_once(
        &self,
        key: &str,
        bytes: &[u8],
        _content_type: &str,
    ) -> Result<PutOnce, BlobError> {
        if !valid_key(key) {
            return Err(BlobError::BadKey(key.into()));
        }
        let mut objects = self.objects.lock().map_err(blob_poisoned)?;
        if objects.map.contains_key(key) {
            return Ok(PutOnce::AlreadyExists);
        }
        objects.insert(key, bytes);
        Ok(PutOnce::Created)
    }

    async fn put(&self, key: &str, bytes: &[u8], _content_type: &str) -> Result<(), BlobError> {
        if !valid_key(key) {
            return Err(BlobError::BadKey(key.into()));
        }
        let mut objects = self.objects.lock().map_err(blob_poisoned)?;
        objects.insert(key, bytes);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let objects = self.objects.lock().map_err(blob_poisoned)?;
        Ok(objects.map.get(key).map(|(bytes, _)| bytes.clone()))
    }

    async fn get_versioned(&self, key: &str) -> Result<Option<(Vec<u8>, BlobVersion)>, BlobError> {
        let objects = self.objects.lock().map_err(blob_poisoned)?;
        Ok(objects
            .map
            .get(key)
            .map(|(bytes, v)| (bytes.clone(), BlobVersion(v.to_string()))))
    }

    async fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        _content_type: &str,
        expected: Option<&BlobVersion>,
    ) -> Result<Swap, BlobError> {
        if !valid_key(key) {
            return Err(BlobError::BadKey(key.into()));
        }
        let mut objects = self.objects.lock().map_err(blob_poisoned)?;
        let current = objects
            .map
            .get(key)
            .map(|(_, v)| BlobVersion(v.to_string()));
        if current.as_ref() != expected {
            return Ok(Swap::Conflict);
        }
        objects.insert(key, bytes);
        Ok(Swap::Written)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let objects = self.objects.lock().map_err(blob_poisoned)?;
        Ok(objects
            .map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }
}

#[derive(Debug)]
struct Message {
    id: u64,
    body: String,
    receive_count: u32,
    visible_at: Instant,
}

/// The local runtime's in-process queue: at-least-once delivery with visibility timeouts, like SQS.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    inner: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    next_id: u64,
    queues: BTreeMap<QueueName, VecDeque<Message>>,
}

impl MemoryQueue {
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// Messages waiting or in flight on a queue.
    pub fn depth(&self, queue: QueueName) -> usize {
        self.inner
            .lock()
            .map(|s| s.queues.get(&queue).map_or(0, VecDeque::len))
            .unwrap_or(0)
    }
}

fn queue_poisoned<T>(_: T) -> QueueError {
    QueueError::Unavailable("in-process queue lock poisoned".into())
}

impl Queue for MemoryQueue {
    async fn send(&self, queue: QueueName, bodies: &[String]) -> Result<(), QueueError> {
        let mut state = self.inner.lock().map_err(queue_poisoned)?;
        let now = Instant::now();
        for body in bodies {
            state.next_id += 1;
            let id = state.next_id;
            state.queues.entry(queue).or_default().push_back(Message {
                id,
                body: body.clone(),
                receive_count: 0,
                visible_at: now,
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
        let mut state = self.inner.lock().map_err(queue_poisoned)?;
        let now = Instant::now();
        let mut out = Vec::new();
        if let Some(messages) = state.queues.get_mut(&queue) {
            for m in messages.iter_mut() {
                if out.len() >= max {
                    break;
                }
                if m.visible_at <= now {
                    m.receive_count += 1;
                    m.visible_at = now + visibility;
                    out.push(Received {
                        body: m.body.clone(),
                        receipt: format!("{}:{}", m.id, m.receive_count),
                        receive_count: m.receive_count,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn ack(&self, queue: QueueName, receipt: &str) -> Result<(), QueueError> {
        let mut state = self.inner.lock().map_err(queue_poisoned)?;
        // The receipt of an earlier delivery no longer deletes the message (as in SQS).
        let Some((id, count)) = receipt.split_once(':') else {
            return Ok(());
        };
        let (Ok(id), Ok(count)) = (id.parse::<u64>(), count.parse::<u32>()) else {
            return Ok(());
        };
        if let Some(messages) = state.queues.get_mut(&queue) {
            messages.retain(|m| !(m.id == id && m.receive_count == count));
        }
        Ok(())
    }
}

/// Secrets held in memory, any scheme (tests, the demo): `with("env:X", "value")`.
#[derive(Debug, Default, Clone)]
pub struct MemorySecrets {
    values: std::collections::BTreeMap<String, crate::ports::Secret>,
}

impl MemorySecrets {
    pub fn new() -> MemorySecrets {
        MemorySecrets::default()
    }

    /// Adds a value under a reference written as in the configuration (`env:X`, `ssm:/y`).
    pub fn with(mut self, reference: &str, value: &str) -> MemorySecrets {
        self.values
            .insert(reference.to_string(), crate::ports::Secret::new(value));
        self
    }
}

impl crate::ports::Secrets for MemorySecrets {
    fn resolves(&self, _: &crate::ports::SecretRef) -> bool {
        true
    }
    fn expects(&self) -> &'static str {
        "any reference"
    }
    async fn get(
        &self,
        reference: &crate::ports::SecretRef,
    ) -> Result<crate::ports::Secret, crate::ports::SecretError> {
        self.values
            .get(&reference.to_string())
            .cloned()
            .ok_or_else(|| crate::ports::SecretError::Missing {
                name: reference.to_string(),
                action: "add it to the test's secrets".into(),
            })
    }
}
