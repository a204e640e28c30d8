//! The blob store: PDFs, raw mail, collected files, FEC files. S3 in the cloud (server-side
//! encryption, write-once objects with `If-None-Match`, compare-and-swap with `If-Match`), a
//! directory locally (atomic rename, a lock file for compare-and-swap).

use std::future::Future;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOnce {
    Created,
    /// An object was already there; it was not replaced.
    AlreadyExists,
}

/// An object's version as the store reports it (S3's ETag, a digest of the content locally):
/// opaque, only compared. Two writes of different bytes never share a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobVersion(pub String);

/// What a compare-and-swap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    Written,
    /// The object was not at the expected version (someone wrote it meanwhile): nothing written.
    Conflict,
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

    /// The object and its current version, for a later [`BlobStore::put_if`].
    fn get_versioned(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, BlobVersion)>, BlobError>> + Send;

    /// Compare-and-swap: writes only if the object is still at `expected` (`None`: only if there
    /// is no object), atomically against every other writer, in this process or another. State
    /// that several workers update (the FEC's booked entries) is written only this way.
    fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
        expected: Option<&BlobVersion>,
    ) -> impl Future<Output = Result<Swap, BlobError>> + Send;

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
