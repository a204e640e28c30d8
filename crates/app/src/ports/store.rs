//! The record store: items addressed by (partition key, sort key), written with conditions so two
//! workers never both advance the same item. DynamoDB in the cloud, SQLite locally.

use std::future::Future;

use serde::{Deserialize, Serialize};

/// One item. `version` starts at 1 and grows by one on every update; updates are conditional on
/// the version the writer read (optimistic concurrency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub pk: String,
    pub sk: String,
    pub version: u64,
    pub data: serde_json::Value,
    /// Unix time after which the store may drop the item (log lines); `None`: kept.
    pub expires_at: Option<i64>,
}

impl Record {
    /// A new item (version 1).
    pub fn new(pk: impl Into<String>, sk: impl Into<String>, data: serde_json::Value) -> Record {
        Record {
            pk: pk.into(),
            sk: sk.into(),
            version: 1,
            data,
            expires_at: None,
        }
    }

    /// The same item with new data, one version up: pass it to [`RecordStore::update`].
    pub fn next(&self, data: serde_json::Value) -> Record {
        Record {
            pk: self.pk.clone(),
            sk: self.sk.clone(),
            version: self.version + 1,
            data,
            expires_at: self.expires_at,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition failed: the item exists already (create) or changed since it was read (update).
    #[error("conflict on {pk} / {sk}: the item was written by someone else")]
    Conflict { pk: String, sk: String },
    /// The store could not be reached or throttled us: retry later.
    #[error("record store unavailable: {0}")]
    Unavailable(String),
    /// An item that cannot be read back (bad JSON, missing attribute).
    #[error("corrupt item {pk} / {sk}: {message}")]
    Corrupt {
        pk: String,
        sk: String,
        message: String,
    },
}

/// Items sorted by `sk` inside each `pk`.
pub trait RecordStore: Send + Sync {
    fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;

    /// Writes a new item; `Conflict` when (pk, sk) exists. `record.version` must be 1.
    fn create(&self, record: &Record) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces an item whose stored version is `record.version - 1`; `Conflict` otherwise
    /// (including when it does not exist).
    fn update(&self, record: &Record) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Items of `pk` with `from <= sk <= to` (either bound optional), in ascending `sk` order,
    /// at most `limit`.
    fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send;
}
