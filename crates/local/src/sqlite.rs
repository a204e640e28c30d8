//! [`SqliteStore`]: the record store of the one-machine runtime, one SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::ports::{Clock, Filter, Record, RecordStore, StoreError, SystemClock};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::sqlite_sql::{
    COLUMNS, MIGRATIONS, PROBE, back_statement, count_statement, uses_text_index,
};

/// How long a writer waits for another connection (another handle, another process) to release
/// the database before the call fails with [`StoreError::Unavailable`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Expired items are deleted on one write out of this many (and at open, and on demand with
/// [`SqliteStore::purge_expired`]); reads hide them in between.
const PURGE_EVERY: u64 = 128;
/// At most this many expired items are deleted by one opportunistic purge, so a write never pays
/// for a large backlog.
const PURGE_BATCH: i64 = 500;

/// Why a SQLite file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the record store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the record store {path} has schema version {found}, newer than this program's \
         ({known}): upgrade passerelle, or restore a backup made by this version"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "the record store {path} cannot use write-ahead logging (journal mode is '{mode}'): \
         put it on a local disk, not a network share"
    )]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot create the directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Records in one SQLite file, with the same conditional writes as DynamoDB.
///
/// Concurrency: each handle owns one connection behind a `std::sync::Mutex` (a pool of one), and
/// every call runs on Tokio's blocking pool (`spawn_blocking`). Most calls take well under a
/// millisecond, but not all: a commit in `synchronous = FULL` waits for an `fsync`, and a writer
/// may wait up to [`BUSY_TIMEOUT`] for another handle or process holding the write lock. Holding a
/// mutex and blocking inside an `async fn` for that long would stall a runtime worker (and, on a
/// current-thread runtime, everything), so the blocking pool it is. Several handles (or
/// processes) may open the same file: WAL lets readers run beside the one writer, and every
/// conditional write is a single statement, atomic in SQLite, so no update is ever lost.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
    writes: AtomicU64,
    location: String,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (creating it if needed) the SQLite file at `path`, switches it to WAL and brings its
    /// schema up to date. Safe to call concurrently from several processes.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, OpenError> {
        let path = path.as_ref();
        let err = |source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OpenError::NoWal {
                path: path.to_path_buf(),
                mode,
            });
        }
        // FULL: a transaction reported committed survives a power cut, not only a crash of the
        // process (NORMAL would lose the last commits). The local runtime writes little; the
        // bookkeeping feed cannot afford to forget that an entry was pushed.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        SqliteStore::setup(conn, path)
    }

    /// A private database in memory, gone when the handle is dropped (tests, dry runs).
    pub fn in_memory() -> Result<SqliteStore, OpenError> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        SqliteStore::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<SqliteStore, OpenError> {
        let err = |source| OpenError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        register_functions(&conn).map_err(err)?;
        let found = migrate(&mut conn).map_err(err)?;
        if found > SCHEMA_VERSION {
            return Err(OpenError::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let store = SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            clock: Arc::new(SystemClock),
            writes: AtomicU64::new(1),
            location: path.display().to_string(),
        };
        {
            let conn = store.conn.lock().expect("a fresh mutex is not poisoned");
            purge(&conn, store.now(), None).map_err(err)?;
        }
        Ok(store)
    }

    /// Uses `clock` to decide which items have expired (tests, or the runtime's clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> SqliteStore {
        self.clock = clock;
        self
    }

    /// The schema version of the open database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn| {
            conn.query_row("SELECT MAX(version) FROM schema_version", [], |row| {
                row.get(0)
            })
            .map_err(sql)
        })
        .await
    }

    /// Deletes every expired item now; returns how many. Writes also do it from time to time.
    pub async fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.now();
        self.with_conn(move |conn| {
            let mut total = 0;
            loop {
                let n = purge(conn, now, Some(PURGE_BATCH)).map_err(sql)?;
                total += n;
                if n < PURGE_BATCH as usize {
                    return Ok(total);
                }
            }
        })
        .await
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Whether this write should also purge a batch of expired items.
    fn purge_due(&self) -> bool {
        self.writes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PURGE_EVERY)
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        crate::blocking::run_blocking(move || {
            let mut conn = conn
                .lock()
                .map_err(|_| StoreError::Unavailable("sqlite connection lock poisoned".into()))?;
            f(&mut conn)
        })
        .await
        .map_err(StoreError::Unavailable)?
    }
}

/// `pl_contains(haystack, needle)`: [`app::ports::contains_ignoring_case`], so a filter means
/// the same in SQL as in memory (SQLite's own `LIKE` folds ASCII only: "É" ≠ "é").
pub(crate) fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "pl_contains",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let haystack: Option<String> = ctx.get(0)?;
            let needle: String = ctx.get(1)?;
            Ok(haystack.is_some_and(|h| app::ports::contains_ignoring_case(&h, &needle)))
        },
    )
}

/// Applies the missing migrations in one write transaction; returns the version found before.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<i64> {
    // IMMEDIATE takes the write lock first, so two processes opening a new file at once do not
    // both run migration 1.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let found: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |row| row.get(0),
    )?;
    for (version, migration) in (1i64..).zip(MIGRATIONS) {
        if version > found {
            tx.execute_batch(migration)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, unixepoch())",
                [version],
            )?;
        }
    }
    tx.commit()?;
    Ok(found)
}

/// Deletes expired items, at most `limit` of them when given.
fn purge(conn: &Connection, now: i64, limit: Option<i64>) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM records WHERE (pk, sk) IN (
             SELECT pk, sk FROM records WHERE expires_at IS NOT NULL AND expires_at < ?1 LIMIT ?2
         )",
    )?
    .execute((now, limit.unwrap_or(-1)))
}

/// A row as stored: (pk, sk, version, data, expires_at).
type Row = (String, String, i64, String, Option<i64>);

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_record((pk, sk, version, data, expires_at): Row) -> Result<Record, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        pk: pk.clone(),
        sk: sk.clone(),
        message,
    };
    let version = u64::try_from(version).map_err(|_| corrupt(format!("version {version}")))?;
    let data = serde_json::from_str(&data).map_err(|e| corrupt(format!("data: {e}")))?;
    Ok(Record {
        pk,
        sk,
        version,
        data,
        expires_at,
    })
}

fn conflict(record: &Record) -> StoreError {
    StoreError::Conflict {
        pk: record.pk.clone(),
        sk: record.sk.clone(),
    }
}

/// The columns written for `record`: (version, JSON data).
fn encode(record: &Record) -> Result<(i64, String), StoreError> {
    let version = i64::try_from(record.version).map_err(|_| conflict(record))?;
    let data = serde_json::to_string(&record.data)
        .map_err(|e| StoreError::Unavailable(format!("cannot encode the item's data: {e}")))?;
    Ok((version, data))
}

impl RecordStore for SqliteStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Record>, StoreError> {
        let (pk, sk, now) = (pk.to_owned(), sk.to_owned(), self.now());
        self.with_conn(move |conn| {
            let row = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM records
                     WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at >= ?3)"
                ))
                .map_err(sql)?
                .query_row((&pk, &sk, now), read_row)
                .optional()
                .map_err(sql)?;
            row.map(to_record).transpose()
        })
        .await
    }

    async fn create(&self, record: &Record) -> Result<(), StoreError> {
        if record.version != 1 {
            return Err(conflict(record));
        }
        let (version, data) = encode(record)?;
        let (record, now, purge_due) = (record.clone(), self.now(), self.purge_due());
        self.with_conn(move |conn| {
            // One statement, so atomic: insert, or take the place of an expired item (expired
            // items count as absent, as for `get`), or change nothing when a live item is there.
            let changed = conn
                .prepare_cached(
                    "INSERT INTO records (pk, sk, version, data, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (pk, sk) DO UPDATE SET
                         version = excluded.version,
                         data = excluded.data,
                         expires_at = excluded.expires_at
                     WHERE records.expires_at IS NOT NULL AND records.expires_at < ?6",
                )
                .map_err(sql)?
                .execute((
                    &record.pk,
                    &record.sk,
                    version,
                    &data,
                    record.expires_at,
                    now,
                ))
                .map_err(sql)?;
            if purge_due {
                // Opportunistic: a failure here must not fail the write that succeeded.
                let _ = purge(conn, now, Some(PURGE_BATCH));
            }
            if changed == 1 {
                Ok(())
            } else {
                Err(conflict(&record))
            }
        })
        .await
    }

    async fn update(&self, record: &Record) -> Result<(), StoreError> {
        let (version, data) = encode(record)?;
        let Some(expected) = version.checked_sub(1) else {
            return Err(conflict(record));
        };
        let (record, now, purge_due) = (record.clone(), self.now(), self.purge_due());
        self.with_conn(move |conn| {
            let changed = conn
                .prepare_cached(
                    "UPDATE records SET version = ?3, data = ?4, expires_at = ?5
                     WHERE pk = ?1 AND sk = ?2 AND version = ?6
                       AND (expires_at IS NULL OR expires_at >= ?7)",
                )
                .map_err(sql)?
                .execute((
                    &record.pk,
                    &record.sk,
                    version,
                    &data,
                    record.expires_at,
                    expected,
                    now,
                ))
                .map_err(sql)?;
            if purge_due {
                let _ = purge(conn, now, Some(PURGE_BATCH));
            }
            if changed == 1 {
                Ok(())
            } else {
                Err(conflict(&record))
            }
        })
        .await
    }

    async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        // Bounds are added only when given, so each query is a plain range scan of the primary
        // key (an `?2 IS NULL OR sk >= ?2` form would keep SQLite from using the index on sk).
        let mut statement = format!(
            "SELECT {COLUMNS} FROM records
             WHERE pk = ?1 AND (expires_at IS NULL OR expires_at >= ?2)"
        );
        let mut params = vec![Value::Text(pk.to_owned()), Value::Integer(self.now())];
        for (op, bound) in [(">=", from), ("<=", to)] {
            if let Some(bound) = bound {
                params.push(Value::Text(bound.to_owned()));
                statement += &format!(" AND sk {op} ?{}", params.len());
            }
        }
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        statement += &format!(" ORDER BY sk LIMIT ?{}", params.len());
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(&statement).map_err(sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), read_row)
                .map_err(sql)?;
            rows.map(|row| to_record(row.map_err(sql)?)).collect()
        })
        .await
    }
    async fn query_back(
        &self,
        pk: &str,
        from: Option<&str>,
        below: Option<&str>,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let now = self.now();
        let probe = uses_text_index(pk, filter)
            .then(|| back_statement(pk, from, below, filter, limit, now, Some(PROBE)))
            .transpose()?;
        let full = back_statement(pk, from, below, filter, limit, now, None)?;
        self.with_conn(move |conn| {
            let read = |(statement, params): (String, Vec<Value>)| {
                let mut stmt = conn.prepare_cached(&statement).map_err(sql)?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(params), read_row)
                    .map_err(sql)?;
                rows.map(|row| to_record(row.map_err(sql)?))
                    .collect::<Result<Vec<_>, _>>()
            };
            if let Some(probe) = probe {
                // A full page from the newest lines is the answer (nothing newer was skipped).
                let found = read(probe)?;
                if found.len() >= limit {
                    return Ok(found);
                }
            }
            read(full)
        })
        .await
    }

    async fn count_by(
        &self,
        pk: &str,
        field: &'static str,
        values: &[&str],
    ) -> Result<Vec<u64>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let statement = count_statement(field, values.len())?;
        let mut params = vec![Value::Text(pk.to_owned()), Value::Integer(self.now())];
        params.extend(values.iter().map(|v| Value::Text(v.to_string())));
        let n = values.len();
        self.with_conn(move |conn| {
            let mut stmt = conn.prepare_cached(&statement).map_err(sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(params), |row| {
                    Ok((row.get::<_, usize>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(sql)?;
            let mut counts = vec![0; n];
            for row in rows {
                let (i, count) = row.map_err(sql)?;
                counts[i] = u64::try_from(count).unwrap_or(0);
            }
            Ok(counts)
        })
        .await
    }
}
