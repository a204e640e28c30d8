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

    /// Items of `pk` with `from <= sk < below` (either bound optional) whose data `filter`
    /// accepts, in descending `sk` order, at most `limit`: the newest first, filtered before
    /// the limit (a page of the integration log). The filter is applied by the store when it
    /// can (SQLite: in SQL, on an index); this default reads the range in ascending pages and
    /// keeps the last `limit` matches, correct on any store but proportional to the range.
    fn query_back(
        &self,
        pk: &str,
        from: Option<&str>,
        below: Option<&str>,
        filter: &Filter,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send {
        async move {
            let mut kept = std::collections::VecDeque::new();
            let mut cursor = from.map(str::to_string);
            loop {
                let page = self.query(pk, cursor.as_deref(), below, QUERY_PAGE).await?;
                let full = page.len() == QUERY_PAGE;
                let last = page.last().map(|r| r.sk.clone());
                for r in page {
                    if below.is_some_and(|b| r.sk.as_str() >= b) || !filter.matches(&r.data) {
                        continue;
                    }
                    kept.push_back(r);
                    if kept.len() > limit {
                        kept.pop_front();
                    }
                }
                match (full, last) {
                    // The next page starts just after the last key ('\u{1}' sorts right after it).
                    (true, Some(last)) => cursor = Some(format!("{last}\u{1}")),
                    _ => break,
                }
            }
            Ok(kept.into_iter().rev().collect())
        }
    }

    /// How many items of `pk` have each of `values` in the top-level string field `field`, in
    /// the order of `values`: a dossier's documents by state, computed at each call so it can
    /// never drift from the items. This default reads the partition in pages; SQLite counts
    /// each value on an index, without reading the items.
    fn count_by(
        &self,
        pk: &str,
        field: &'static str,
        values: &[&str],
    ) -> impl Future<Output = Result<Vec<u64>, StoreError>> + Send {
        async move {
            let mut counts = vec![0; values.len()];
            let mut cursor: Option<String> = None;
            loop {
                let page = self.query(pk, cursor.as_deref(), None, QUERY_PAGE).await?;
                for r in &page {
                    let v = r.data.get(field).and_then(|v| v.as_str());
                    if let Some(i) = values.iter().position(|w| Some(*w) == v) {
                        counts[i] += 1;
                    }
                }
                match page.last() {
                    Some(last) if page.len() == QUERY_PAGE => {
                        cursor = Some(format!("{}\u{1}", last.sk));
                    }
                    _ => return Ok(counts),
                }
            }
        }
    }
}

/// The page size of [`RecordStore::query_back`]'s default reading.
const QUERY_PAGE: usize = 1000;

/// Which items [`RecordStore::query_back`] keeps: those for which every condition holds (no
/// condition: all). Conditions name top-level string fields of the item's data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub all: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The field is one of `values`.
    OneOf {
        field: &'static str,
        values: Vec<String>,
    },
    /// One of the fields contains `needle`, ignoring case (Unicode lower case of both).
    Contains {
        fields: Vec<&'static str>,
        needle: String,
    },
}

/// Unicode-lowercase containment, the meaning of [`Condition::Contains`] on every store.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

impl Filter {
    pub fn matches(&self, data: &serde_json::Value) -> bool {
        let text = |f: &str| data.get(f).and_then(|v| v.as_str());
        self.all.iter().all(|c| match c {
            Condition::OneOf { field, values } => {
                text(field).is_some_and(|v| values.iter().any(|w| w == v))
            }
            Condition::Contains { fields, needle } => fields
                .iter()
                .any(|f| text(f).is_some_and(|v| contains_ignoring_case(v, needle))),
        })
    }
}
