//! The blob store: PDFs, raw mail, collected files, FEC files. S3 in the cloud (server-side
//! encryption, write-once objects with `If-None-Match`), a directory locally (atomic rename).

use std::future::Future;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOnce {
    Created,
    /// An object was already there; it was not replaced.
    AlreadyExists,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    #[error("invalid blob key '{0}'")]
    BadKey(String),
    /// The store refused access (a permission, not a missing object): the message says which
    /// permission to grant.
    #[error("blob store access refused: {0}")]
    Denied(String),
}

/// Keys are `/`-separated paths of letters, digits and `-_.:@=+`; no `..`, no leading `/`.
pub trait BlobStore: Send + Sync {
    /// Writes an object only if the key is free (write-once: raw mail, PDFs, collected files).
    fn put_once(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<PutOnce, BlobError>> + Send;

    /// Writes or replaces an object (the FEC file, rewritten after every push).
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<(), BlobError>> + Send;

    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, BlobError>> + Send;

    /// Keys under a prefix, sorted.
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, BlobError>> + Send;
}

/// Whether a key is acceptable for every adapter (S3 and file names).
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 900
        && !key.starts_with('/')
        && !key.ends_with('/')
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:@=+".contains(c))
        })
}
