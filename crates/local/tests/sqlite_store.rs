//! What the SQLite record store guarantees beyond the shared suite: persistence, several handles
//! on one file, expiry, schema versioning.

use std::sync::{Arc, Mutex};

use app::ports::{Clock, Record, RecordStore, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use local::{OpenError, SCHEMA_VERSION, SqliteStore};
use serde_json::json;

#[tokio::test]
async fn the_file_keeps_its_records_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/records.sqlite3");
    let rec = Record::new(
        "dossier#acme",
        "doc#sellsy:4711",
        json!({"state": "mapped", "€": 1}),
    );
    {
        let store = SqliteStore::open(&path).unwrap();
        store.create(&rec).await.unwrap();
        store
            .update(&rec.next(json!({"state": "pushed"})))
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let got = store
        .get("dossier#acme", "doc#sellsy:4711")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.version, 2);
    assert_eq!(got.data, json!({"state": "pushed"}));
    assert!(matches!(
        store.create(&rec).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
}

#[tokio::test]
async fn reopening_does_not_reapply_migrations_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    drop(SqliteStore::open(&path).unwrap());
    drop(SqliteStore::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, SCHEMA_VERSION, "one row per migration, applied once");
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    }
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, OpenError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade passerelle"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_on_one_file_lose_no_concurrent_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    let handles = [
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SqliteStore::open(&path).unwrap()),
    ];
    handles[0]
        .create(&Record::new("counter", "c", json!({"n": 0})))
        .await
        .unwrap();

    let workers: Vec<_> = (0..8)
        .map(|w| {
            let store = Arc::clone(&handles[w % 2]);
            tokio::spawn(async move {
                let mut conflicts = 0u32;
                for _ in 0..15 {
                    loop {
                        let cur = store.get("counter", "c").await.unwrap().unwrap();
                        let n = cur.data["n"].as_u64().unwrap();
                        match store.update(&cur.next(json!({"n": n + 1}))).await {
                            Ok(()) => break,
                            Err(StoreError::Conflict { .. }) => conflicts += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for w in workers {
        conflicts += w.await.unwrap();
    }
    for store in &handles {
        let end = store.get("counter", "c").await.unwrap().unwrap();
        assert_eq!(
            end.data["n"], 120,
            "no increment lost (conflicts: {conflicts})"
        );
        assert_eq!(end.version, 121);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_racing_to_create_one_item_give_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    let a = Arc::new(SqliteStore::open(&path).unwrap());
    let b = Arc::new(SqliteStore::open(&path).unwrap());
    for i in 0..20 {
        let sk = format!("claim#{i}");
        let tasks: Vec<_> = [&a, &b, &a, &b]
            .into_iter()
            .enumerate()
            .map(|(w, store)| {
                let (store, sk) = (Arc::clone(store), sk.clone());
                tokio::spawn(async move {
                    store
                        .create(&Record::new("outbox", sk, json!({"worker": w})))
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => created += 1,
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(created, 1, "exactly one create of {sk} succeeds");
    }
}

/// A clock the test moves by hand.
struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn expired_items_are_hidden_then_purged_and_count_as_absent() {
    let start = DateTime::parse_from_rfc3339("2026-11-05T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let clock = Arc::new(ManualClock(Mutex::new(start)));
    let store = SqliteStore::in_memory().unwrap().with_clock(clock.clone());

    let mut line = Record::new(
        "log#acme",
        "2026-11-05T10:00:00Z#1",
        json!({"msg": "pulled"}),
    );
    line.expires_at = Some(start.timestamp() + 60);
    store.create(&line).await.unwrap();
    store
        .create(&Record::new(
            "log#acme",
            "2026-11-05T10:00:00Z#2",
            json!({"msg": "kept"}),
        ))
        .await
        .unwrap();

    // Still valid at its expiry second, as with DynamoDB's TTL.
    clock.advance(TimeDelta::seconds(60));
    assert!(store.get(&line.pk, &line.sk).await.unwrap().is_some());
    assert_eq!(
        store.query("log#acme", None, None, 10).await.unwrap().len(),
        2
    );

    clock.advance(TimeDelta::seconds(1));
    assert!(
        store.get(&line.pk, &line.sk).await.unwrap().is_none(),
        "hidden by get"
    );
    let left = store.query("log#acme", None, None, 10).await.unwrap();
    assert_eq!(left.len(), 1, "hidden by query");
    assert_eq!(left[0].data["msg"], "kept");
    let bounded = store
        .query("log#acme", Some("2026-11-05"), Some("2026-11-06"), 10)
        .await
        .unwrap();
    assert_eq!(bounded.len(), 1, "hidden by a bounded query");
    assert!(
        matches!(
            store.update(&line.next(json!({"msg": "late"}))).await,
            Err(StoreError::Conflict { .. })
        ),
        "an expired item cannot be updated"
    );

    assert_eq!(store.purge_expired().await.unwrap(), 1, "purged");
    assert_eq!(store.purge_expired().await.unwrap(), 0);

    // Its key is free again.
    store.create(&line).await.unwrap();
    let mut other = Record::new("log#acme", "old", json!({}));
    other.expires_at = Some(start.timestamp());
    store.create(&other).await.unwrap();
    assert!(store.get("log#acme", "old").await.unwrap().is_none());
    store
        .create(&Record::new("log#acme", "old", json!({"again": true})))
        .await
        .expect("an expired, not yet purged item does not block a create");
    assert_eq!(
        store.get("log#acme", "old").await.unwrap().unwrap().data,
        json!({"again": true})
    );
}

#[tokio::test]
async fn expired_items_are_purged_when_the_file_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    {
        let store = SqliteStore::open(&path).unwrap();
        let mut gone = Record::new("log", "a", json!({}));
        gone.expires_at = Some(1_000);
        store.create(&gone).await.unwrap();
        store
            .create(&Record::new("log", "b", json!({})))
            .await
            .unwrap();
    }
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let keys: Vec<String> = conn
        .prepare("SELECT sk FROM records ORDER BY sk")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, ["b"]);
}

#[tokio::test]
async fn a_create_must_be_version_one_and_an_update_version_two_or_more() {
    let store = SqliteStore::in_memory().unwrap();
    let mut rec = Record::new("p", "s", json!(null));
    rec.version = 2;
    assert!(matches!(
        store.create(&rec).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(store.get("p", "s").await.unwrap().is_none());
    rec.version = 0;
    assert!(matches!(
        store.update(&rec).await,
        Err(StoreError::Conflict { .. })
    ));
}

#[tokio::test]
async fn query_bounds_are_inclusive_and_limit_zero_returns_nothing() {
    let store = SqliteStore::in_memory().unwrap();
    for sk in ["a", "b", "c", "d"] {
        store
            .create(&Record::new("p", sk, json!(sk)))
            .await
            .unwrap();
    }
    let sks = |v: Vec<Record>| v.into_iter().map(|r| r.sk).collect::<Vec<_>>();
    assert_eq!(
        sks(store.query("p", Some("b"), None, 10).await.unwrap()),
        ["b", "c", "d"]
    );
    assert_eq!(
        sks(store.query("p", None, Some("b"), 10).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        sks(store.query("p", Some("b"), Some("c"), 10).await.unwrap()),
        ["b", "c"]
    );
    assert_eq!(
        sks(store.query("p", Some("c"), Some("b"), 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert!(store.query("p", None, None, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn unreadable_data_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    store
        .create(&Record::new("p", "s", json!({})))
        .await
        .unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE records SET data = 'not json' WHERE pk = 'p'", [])
        .unwrap();
    assert!(matches!(
        store.get("p", "s").await,
        Err(StoreError::Corrupt { pk, sk, .. }) if pk == "p" && sk == "s"
    ));
}

#[tokio::test]
async fn writes_purge_expired_items_from_time_to_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("records.sqlite3");
    let store = SqliteStore::open(&path).unwrap();
    let mut gone = Record::new("log", "expired", json!({}));
    gone.expires_at = Some(1_000);
    store.create(&gone).await.unwrap();
    let raw_count = || -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM records WHERE sk = 'expired'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(raw_count(), 1, "hidden, not yet deleted");
    let mut rec = Record::new("counter", "c", json!(0));
    store.create(&rec).await.unwrap();
    for n in 1..300 {
        rec = rec.next(json!(n));
        store.update(&rec).await.unwrap();
    }
    assert_eq!(raw_count(), 0, "deleted by a later write");
}
