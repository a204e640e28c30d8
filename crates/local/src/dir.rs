//! [`DirBlobs`]: the blob store of the one-machine runtime, a directory of plain files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use app::ports::{BlobError, BlobStore, BlobVersion, PutOnce, Swap, valid_key};
use sha2::{Digest, Sha256};

/// Temporary files start with this; `~` is not allowed in keys, so a temporary file can never be
/// taken for an object, listed, or collide with one.
const TMP_PREFIX: &str = ".~tmp.";
/// The lock file of a compare-and-swap on `name` is `.~lock.<name>` beside it (never a key).
const LOCK_PREFIX: &str = ".~lock.";
/// Temporary files older than this are left-overs of a crash and are removed by [`DirBlobs::open`].
const STALE_TMP: Duration = Duration::from_secs(3600);
/// The longest file name most file systems accept (bytes).
const NAME_MAX: usize = 255;

/// Objects as files under a root directory: key `a/b/c.pdf` is the file `ROOT/a/b/c.pdf`, so a
/// person can browse the PDFs and the FEC files with any file manager.
///
/// Every write goes to a temporary file in the target's directory, is flushed to disk (`fsync`),
/// then appears under its final name in one atomic step: `rename` for [`BlobStore::put`] (replace),
/// `hard_link` for [`BlobStore::put_once`] (which fails if the name exists, so of two concurrent
/// writers, in this process or another, exactly one creates the object). A reader therefore sees
/// the old content or the new one, never a partial file, even after a crash.
#[derive(Debug, Clone)]
pub struct DirBlobs {
    root: PathBuf,
}

fn io_error(what: &str, path: &Path, e: io::Error) -> BlobError {
    BlobError::Unavailable(format!("{what} {}: {e}", path.display()))
}

impl DirBlobs {
    /// Uses (creating it if needed) the directory `root`, and removes temporary files a crash
    /// left behind.
    pub fn open(root: impl AsRef<Path>) -> io::Result<DirBlobs> {
        let root = root.as_ref();
        fs::create_dir_all(root)?;
        let blobs = DirBlobs {
            root: root.to_path_buf(),
        };
        remove_stale_tmp(&blobs.root, SystemTime::now())?;
        Ok(blobs)
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds (or would hold) `key`; `BadKey` for a key the port refuses.
    pub fn path_of(&self, key: &str) -> Result<PathBuf, BlobError> {
        // `valid_key` rules out `..`, `.`, empty parts, a leading `/` and every character but
        // `[A-Za-z0-9-_.:@=+]`, so the path stays under the root.
        if !valid_key(key) || key.split('/').any(|part| part.len() > NAME_MAX) {
            return Err(BlobError::BadKey(key.into()));
        }
        Ok(self.root.join(key))
    }

    async fn blocking<T, F>(&self, f: F) -> Result<T, BlobError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, BlobError> + Send + 'static,
    {
        crate::blocking::run_blocking(f)
            .await
            .map_err(BlobError::Unavailable)?
    }
}

impl BlobStore for DirBlobs {
    async fn put_once(
        &self,
        key: &str,
        bytes: &[u8],
        _content_type: &str,
    ) -> Result<PutOnce, BlobError> {
        let path = self.path_of(key)?;
        let (root, key, bytes) = (self.root.clone(), key.to_owned(), bytes.to_vec());
        self.blocking(move || {
            // Cheap early answer; the hard link below is what decides under a race.
            if let Ok(meta) = fs::symlink_metadata(&path) {
                return existing(meta.is_dir(), key);
            }
            let dir = parent_dirs(&root, &path, &key)?;
            let tmp = write_tmp(dir, &bytes)?;
            let linked = fs::hard_link(&tmp, &path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    sync_dir(dir)?;
                    Ok(PutOnce::Created)
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => existing(path.is_dir(), key),
                Err(e) => Err(io_error("cannot create", &path, e)),
            }
        })
        .await
    }

    async fn put(&self, key: &str, bytes: &[u8], _content_type: &str) -> Result<(), BlobError> {
        let path = self.path_of(key)?;
        let (root, key, bytes) = (self.root.clone(), key.to_owned(), bytes.to_vec());
        self.blocking(move || {
            let dir = parent_dirs(&root, &path, &key)?;
            let tmp = write_tmp(dir, &bytes)?;
            if let Err(e) = fs::rename(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return if path.is_dir() {
                    Err(BlobError::BadKey(key))
                } else {
                    Err(io_error("cannot replace", &path, e))
                };
            }
            sync_dir(dir)
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let path = self.path_of(key)?;
        self.blocking(move || match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => match fs::read(&path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io_error("cannot read", &path, e)),
            },
            // A folder (the parent of other keys) or something this store did not write.
            Ok(_) => Ok(None),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(io_error("cannot read", &path, e)),
        })
        .await
    }

    async fn get_versioned(&self, key: &str) -> Result<Option<(Vec<u8>, BlobVersion)>, BlobError> {
        Ok(self.get(key).await?.map(|bytes| {
            let version = version_of(&bytes);
            (bytes, version)
        }))
    }

    /// Under an exclusive lock on the key's lock file (`flock`, so writers in other processes
    /// wait too), compares the current content's digest and replaces the file by rename.
    async fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        _content_type: &str,
        expected: Option<&BlobVersion>,
    ) -> Result<Swap, BlobError> {
        let path = self.path_of(key)?;
        let (root, key, bytes) = (self.root.clone(), key.to_owned(), bytes.to_vec());
        let expected = expected.cloned();
        self.blocking(move || {
            let dir = parent_dirs(&root, &path, &key)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| BlobError::BadKey(key.clone()))?;
            let lock_path = dir.join(format!("{LOCK_PREFIX}{name}"));
            let lock = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| io_error("cannot open the lock", &lock_path, e))?;
            lock.lock()
                .map_err(|e| io_error("cannot lock", &lock_path, e))?;
            let current = match fs::read(&path) {
                Ok(old) => Some(version_of(&old)),
                Err(e) if is_absent(&e) => None,
                Err(e) => return Err(io_error("cannot read", &path, e)),
            };
            if current != expected {
                return Ok(Swap::Conflict);
            }
            let tmp = write_tmp(dir, &bytes)?;
            if let Err(e) = fs::rename(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return Err(io_error("cannot replace", &path, e));
            }
            sync_dir(dir)?;
            // The lock is released when `lock` is dropped.
            Ok(Swap::Written)
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        // Only the folder part of the prefix (up to its last `/`) is a path; the rest is matched
        // against names. A folder part that no key could have matches nothing, as in S3, and is
        // never turned into a path.
        let folder = folder_of(prefix);
        if !folder.is_empty() && self.path_of(folder).is_err() {
            return Ok(Vec::new());
        }
        let (start, folder, prefix) =
            (self.root.join(folder), folder.to_owned(), prefix.to_owned());
        self.blocking(move || {
            let mut keys = Vec::new();
            collect(&start, &folder, &prefix, &mut keys)?;
            keys.sort();
            Ok(keys)
        })
        .await
    }
}

/// A local object's version: the SHA-256 of its bytes.
fn version_of(bytes: &[u8]) -> BlobVersion {
    BlobVersion(hex::encode(Sha256::digest(bytes)))
}

/// The folder part of a prefix: `a/b/c` → `a/b`, `a/b/` → `a/b`, `abc` → ``.
fn folder_of(prefix: &str) -> &str {
    prefix.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// Adds to `keys` the keys of the files under `dir` (whose key is `dir_key`) that start with
/// `prefix`. Symbolic links are not followed; names that are not key parts (temporary files,
/// files someone else put there) are not objects.
fn collect(
    dir: &Path,
    dir_key: &str,
    prefix: &str,
    keys: &mut Vec<String>,
) -> Result<(), BlobError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if is_absent(&e) => return Ok(()),
        Err(e) => return Err(io_error("cannot list", dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error("cannot list", dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let key = if dir_key.is_empty() {
            name
        } else {
            format!("{dir_key}/{name}")
        };
        if !valid_key(&key) {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| io_error("cannot list", &entry.path(), e))?;
        if kind.is_dir() {
            // Descend only where keys can still match: the folder's key and the prefix agree
            // on their common length.
            let with_slash = format!("{key}/");
            if with_slash.starts_with(prefix) || prefix.starts_with(&with_slash) {
                collect(&entry.path(), &key, prefix, keys)?;
            }
        } else if kind.is_file() && key.starts_with(prefix) {
            keys.push(key);
        }
    }
    Ok(())
}

fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// The answer when `put_once` finds its key taken: by an object, or by a folder of other keys
/// (which a directory cannot also be a file: the key cannot be stored here).
fn existing(is_dir: bool, key: String) -> Result<PutOnce, BlobError> {
    if is_dir {
        Err(BlobError::BadKey(key))
    } else {
        Ok(PutOnce::AlreadyExists)
    }
}

/// Creates the folders of `path` below `root` (each made durable by an `fsync` of its parent)
/// and returns the one that will hold the file. A folder name taken by an object (`a/b` stored,
/// then `a/b/c` written) makes the key unusable here: `BadKey`.
fn parent_dirs<'p>(root: &Path, path: &'p Path, key: &str) -> Result<&'p Path, BlobError> {
    let dir = path.parent().ok_or_else(|| BlobError::BadKey(key.into()))?;
    if dir.is_dir() {
        return Ok(dir);
    }
    let mut current = root.to_path_buf();
    let relative = dir.strip_prefix(root).unwrap_or(Path::new(""));
    for part in relative.components() {
        let next = current.join(part);
        match fs::create_dir(&next) {
            Ok(()) => sync_dir(&current)?,
            Err(_) if next.is_dir() => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory
                ) =>
            {
                return Err(BlobError::BadKey(key.into()));
            }
            Err(e) => return Err(io_error("cannot create the folder", &next, e)),
        }
        current = next;
    }
    Ok(dir)
}

/// Writes `bytes` to a new temporary file in `dir`, flushed to disk; returns its path.
fn write_tmp(dir: &Path, bytes: &[u8]) -> Result<PathBuf, BlobError> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tmp = dir.join(format!(
        "{TMP_PREFIX}{}.{}.{nanos}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(io_error("cannot write", &tmp, e))
        }
    }
}

/// Makes a new or renamed name in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot flush the folder", dir, e))
}

/// Removes the temporary files older than [`STALE_TMP`] under `dir` (a writer that crashed
/// between writing and linking). Younger ones may belong to a live writer in another process.
fn remove_stale_tmp(dir: &Path, now: SystemTime) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            remove_stale_tmp(&entry.path(), now)?;
        } else if kind.is_file() && entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
            let modified = entry.metadata()?.modified()?;
            if now.duration_since(modified).unwrap_or_default() > STALE_TMP {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}
