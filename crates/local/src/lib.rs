//! passerelle's one-machine adapters: the storage ports of `app` over the local disk, for the
//! `passerelle` CLI (`demo`, `serve`, `sync`, ...). The cloud runtime uses DynamoDB, S3 and SQS
//! for the same ports; the use cases cannot tell the difference, and both sets pass the same
//! behavioural suite (`app::testing`).
//!
//! | port | here | cloud |
//! |---|---|---|
//! | [`RecordStore`](app::ports::RecordStore) | [`SqliteStore`]: one SQLite file | DynamoDB |
//! | [`BlobStore`](app::ports::BlobStore) | [`DirBlobs`]: a directory of files | S3 |
//! | [`Queue`](app::ports::Queue) | [`InProcessQueue`] (memory of the process) | SQS |
//!
//! # Layout on disk
//!
//! [`DataDir::open`] lays out one data directory:
//!
//! ```text
//! DATA/
//!   passerelle.sqlite3        records: documents, entries, outbox, integration log, ...
//!   passerelle.sqlite3-wal    SQLite's write-ahead log (part of the database: copy it along)
//!   passerelle.sqlite3-shm    SQLite's shared index of the log (rebuilt if missing)
//!   files/                    blobs, one file per key, key `a/b/c.pdf` at `files/a/b/c.pdf`
//!     <dossier>/raw/...         e.g. raw mail, kept before it is parsed
//!     <dossier>/pdf/...         PDFs of documents
//!     <dossier>/fec/...         FEC files
//!     .../.~tmp.*               a write in progress (or left by a crash; swept after an hour)
//! ```
//!
//! The SQLite file holds one table `records (pk, sk, version, data JSON, expires_at)` keyed by
//! `(pk, sk)`, with indexes on the log's severity and the documents' state; the log's text index
//! (`log_text`, FTS5 trigram, with `log_keys` giving each line a row id), kept by triggers on
//! `records` in the writing statement, so no write can leave it behind; and a `schema_version`
//! table listing the migrations applied, so a later version can migrate a file in place (and an
//! older program refuses a newer file instead of misreading it).
//! To back up, stop `serve` and copy the directory, or use `sqlite3 DATA/passerelle.sqlite3
//! ".backup copy.sqlite3"` while it runs.
//!
//! # Crash safety
//!
//! - Records: SQLite in WAL mode with `synchronous = FULL`. A write is one statement, hence one
//!   transaction: after a crash or a power cut, every write reported as done is there and no
//!   half-write is; the conditions of [`RecordStore`](app::ports::RecordStore) (create only if
//!   absent, update only from the version read) are checked inside that same statement, so they
//!   hold across handles and processes sharing the file.
//! - Files: written to a temporary file in the target folder, `fsync`ed, then given their name
//!   atomically (`rename` to replace, `hard_link` to create only if absent), and the folder is
//!   `fsync`ed. A file under a key is always complete: the old content or the new one. A crash
//!   leaves at worst a temporary file, which is never listed and is removed later.
//! - The in-process queue is memory only: messages in flight when the process stops are lost.
//!   Nothing may depend on them alone: the records are the truth, and whatever reads the queue
//!   must be able to find pending work again from the records after a restart.
//!
//! Keys map to file names as they are; the characters `valid_key` allows are fine on Unix file
//! systems (`:` is not allowed on Windows, which this runtime does not target). One difference
//! from S3 remains: a key cannot be both an object and the folder of other keys (`a/b` and
//! `a/b/c`): the second write gets [`BlobError::BadKey`](app::ports::BlobError::BadKey).

mod blocking;
mod dir;
mod secrets;
mod sqlite;
mod sqlite_sql;

use std::path::{Path, PathBuf};

pub use app::memory::MemoryQueue as InProcessQueue;
pub use dir::DirBlobs;
pub use secrets::EnvSecrets;
pub use sqlite::{BUSY_TIMEOUT, OpenError, SCHEMA_VERSION, SqliteStore};

/// The SQLite file's name in a data directory.
pub const RECORDS_FILE: &str = "passerelle.sqlite3";
/// The files folder's name in a data directory.
pub const FILES_DIR: &str = "files";

/// The storage of the one-machine runtime, opened from one data directory (see the crate docs).
#[derive(Debug)]
pub struct DataDir {
    pub root: PathBuf,
    pub records: SqliteStore,
    pub files: DirBlobs,
}

impl DataDir {
    /// Opens (creating them if needed) `dir/passerelle.sqlite3` and `dir/files/`.
    pub fn open(dir: impl AsRef<Path>) -> Result<DataDir, OpenError> {
        let root = dir.as_ref().to_path_buf();
        let records = SqliteStore::open(root.join(RECORDS_FILE))?;
        let files_dir = root.join(FILES_DIR);
        let files = DirBlobs::open(&files_dir).map_err(|source| OpenError::Io {
            path: files_dir,
            source,
        })?;
        Ok(DataDir {
            root,
            records,
            files,
        })
    }
}
