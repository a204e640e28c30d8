//! The behavioural suite every adapter set must pass (feature `testing`): the same checks run
//! against the in-memory adapters, the local ones (SQLite, files) and the AWS ones (moto).
//! Each check uses its own key prefix, so it can run on a shared store.

pub mod counting;
pub mod fakes;
pub mod pipeline;

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;

use crate::ports::{
    BlobError, BlobStore, PutOnce, Queue, QueueName, Record, RecordStore, StoreError,
};

/// A prefix no other run uses.
pub fn unique_prefix(tag: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{tag}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Conditional writes, reads, range queries, and concurrent increments that lose nothing.
pub async fn record_store_suite<S: RecordStore>(store: &S) {
    let pk = unique_prefix("suite-records");
    assert!(store.get(&pk, "a").await.unwrap().is_none(), "missing item");

    let rec = Record::new(
        &pk,
        "a",
        json!({"state": "received", "n": 1, "nested": {"é": [1, 2.5, null]}}),
    );
    store.create(&rec).await.unwrap();
    let read = store.get(&pk, "a").await.unwrap().expect("created item");
    assert_eq!(read, rec, "round trip of data and version");
    assert!(
        matches!(store.create(&rec).await, Err(StoreError::Conflict { .. })),
        "a second create must fail"
    );

    let next = read.next(json!({"state": "mapped"}));
    store.update(&next).await.unwrap();
    assert!(
        matches!(store.update(&next).await, Err(StoreError::Conflict { .. })),
        "a stale update must fail"
    );
    let stale = read.next(json!({"state": "pushed"}));
    assert!(
        matches!(store.update(&stale).await, Err(StoreError::Conflict { .. })),
        "an update from an old read must fail"
    );
    let got = store.get(&pk, "a").await.unwrap().unwrap();
    assert_eq!(
        (got.version, got.data["state"].as_str()),
        (2, Some("mapped"))
    );
    let ghost = Record::new(&pk, "ghost", json!({})).next(json!({}));
    assert!(
        matches!(store.update(&ghost).await, Err(StoreError::Conflict { .. })),
        "updating a missing item must fail"
    );

    // Counts by state follow every write: "a" went from received to mapped.
    let count_pk = format!("{pk}-count");
    for (sk, data) in [
        ("1", json!({"state": "held"})),
        ("2", json!({"state": "pushed"})),
        ("3", json!({"state": "held"})),
        ("4", json!({"state": 4})),
        ("5", json!({"other": "held"})),
    ] {
        store
            .create(&Record::new(&count_pk, sk, data))
            .await
            .unwrap();
    }
    let two = store.get(&count_pk, "2").await.unwrap().unwrap();
    store
        .update(&two.next(json!({"state": "held"})))
        .await
        .unwrap();
    let counts = store
        .count_by(&count_pk, "state", &["pushed", "held", "4", "other"])
        .await
        .unwrap();
    assert_eq!(counts, [0, 3, 0, 0], "strings only, after the update");
    let counts = store
        .count_by(&pk, "state", &["received", "mapped"])
        .await
        .unwrap();
    assert_eq!(counts, [0, 1]);

    let mut ttl = Record::new(&pk, "ttl", json!({"x": "y"}));
    ttl.expires_at = Some(1_900_000_000);
    store.create(&ttl).await.unwrap();
    assert_eq!(
        store.get(&pk, "ttl").await.unwrap().unwrap().expires_at,
        Some(1_900_000_000)
    );

    // Range queries: ascending sort keys, bounds inclusive, limit, other partitions unseen.
    let log_pk = format!("{pk}-log");
    for i in [5, 1, 9, 3, 7] {
        store
            .create(&Record::new(
                &log_pk,
                format!("2026-11-0{i}T00:00:00Z#{i}"),
                json!({"i": i}),
            ))
            .await
            .unwrap();
    }
    store
        .create(&Record::new(format!("{log_pk}x"), "2026-11-04", json!({})))
        .await
        .unwrap();
    let all = store.query(&log_pk, None, None, 100).await.unwrap();
    let order: Vec<i64> = all.iter().map(|r| r.data["i"].as_i64().unwrap()).collect();
    assert_eq!(order, [1, 3, 5, 7, 9]);
    let mid = store
        .query(
            &log_pk,
            Some("2026-11-03"),
            Some("2026-11-07T00:00:00Z#7"),
            100,
        )
        .await
        .unwrap();
    assert_eq!(mid.len(), 3, "3, 5 and 7");
    assert_eq!(
        store.query(&log_pk, None, None, 2).await.unwrap().len(),
        2,
        "limit"
    );

    // Two workers never both advance the same item: concurrent read-modify-write with retries.
    let counter_pk = format!("{pk}-counter");
    store
        .create(&Record::new(&counter_pk, "c", json!({"n": 0})))
        .await
        .unwrap();
    let workers = (0..6).map(|_| async {
        let mut conflicts = 0u32;
        for _ in 0..10 {
            loop {
                let cur = store.get(&counter_pk, "c").await.unwrap().unwrap();
                let n = cur.data["n"].as_u64().unwrap();
                match store.update(&cur.next(json!({"n": n + 1}))).await {
                    Ok(()) => break,
                    Err(StoreError::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        conflicts
    });
    join_all(workers).await;
    let end = store.get(&counter_pk, "c").await.unwrap().unwrap();
    assert_eq!(end.data["n"], 60, "no increment lost");
    assert_eq!(end.version, 61);
}

/// Write-once objects, overwrites, binary round trip, listing, key validation.
pub async fn blob_store_suite<B: BlobStore>(blobs: &B) {
    let prefix = unique_prefix("suite-blobs");
    let key = format!("{prefix}/raw/message-1.eml");
    assert!(blobs.get(&key).await.unwrap().is_none());
    assert_eq!(
        blobs
            .put_once(&key, b"first", "message/rfc822")
            .await
            .unwrap(),
        PutOnce::Created
    );
    assert_eq!(
        blobs
            .put_once(&key, b"second", "message/rfc822")
            .await
            .unwrap(),
        PutOnce::AlreadyExists
    );
    assert_eq!(
        blobs.get(&key).await.unwrap().unwrap(),
        b"first",
        "write-once kept the first"
    );

    let fec = format!("{prefix}/fec/732829320FEC20261231.txt");
    blobs.put(&fec, b"v1", "text/plain").await.unwrap();
    blobs.put(&fec, b"v2", "text/plain").await.unwrap();
    assert_eq!(blobs.get(&fec).await.unwrap().unwrap(), b"v2");

    let binary: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 7).collect();
    let pdf = format!("{prefix}/pdf/sellsy:sales_invoice:4711.pdf");
    blobs
        .put_once(&pdf, &binary, "application/pdf")
        .await
        .unwrap();
    assert_eq!(
        blobs.get(&pdf).await.unwrap().unwrap(),
        binary,
        "binary round trip"
    );

    let listed = blobs.list(&format!("{prefix}/")).await.unwrap();
    assert_eq!(
        listed,
        vec![fec.clone(), pdf.clone(), key.clone()],
        "sorted listing"
    );
    assert!(
        blobs
            .list(&format!("{prefix}/nothing/"))
            .await
            .unwrap()
            .is_empty()
    );

    for bad in ["", "/abs", "a/../b", "a//b", "a/b/", "sp ace"] {
        assert!(
            matches!(
                blobs.put(bad, b"x", "text/plain").await,
                Err(BlobError::BadKey(_))
            ),
            "key {bad:?} must be refused"
        );
    }
}

/// At-least-once delivery: every message arrives, unacknowledged ones come back after their
/// visibility timeout, acknowledged ones never do.
pub async fn queue_suite<Q: Queue>(queue: &Q) {
    let tag = unique_prefix("suite-queue");
    let bodies: Vec<String> = (0..23)
        .map(|i| format!("{{\"tag\":\"{tag}\",\"i\":{i}}}"))
        .collect();
    queue.send(QueueName::Map, &bodies).await.unwrap();

    let mut seen = Vec::new();
    let mut receipts = Vec::new();
    for _ in 0..50 {
        let got = queue
            .receive(QueueName::Map, 10, Duration::from_secs(60))
            .await
            .unwrap();
        if got.is_empty() && seen.len() >= bodies.len() {
            break;
        }
        for m in got {
            if m.body.contains(&tag) {
                assert_eq!(m.receive_count, 1);
                seen.push(m.body.clone());
                receipts.push(m.receipt);
            }
        }
    }
    seen.sort();
    let mut expected = bodies.clone();
    expected.sort();
    assert_eq!(
        seen, expected,
        "each message delivered once while in flight"
    );
    for r in &receipts[1..] {
        queue.ack(QueueName::Map, r).await.unwrap();
    }

    // The one message not acknowledged comes back once its visibility times out.
    let late = format!("{{\"tag\":\"{tag}\",\"late\":true}}");
    queue
        .send(QueueName::Push, std::slice::from_ref(&late))
        .await
        .unwrap();
    let first = loop_receive(queue, QueueName::Push, &tag, Duration::from_secs(1)).await;
    assert_eq!(first.len(), 1);
    tokio_free_sleep(Duration::from_millis(1500)).await;
    let again = loop_receive(queue, QueueName::Push, &tag, Duration::from_secs(30)).await;
    assert_eq!(again.len(), 1, "redelivered after the visibility timeout");
    assert_eq!(again[0].receive_count, 2);
    queue.ack(QueueName::Push, &again[0].receipt).await.unwrap();
    queue.ack(QueueName::Map, &receipts[0]).await.unwrap();
}

async fn loop_receive<Q: Queue>(
    queue: &Q,
    name: QueueName,
    tag: &str,
    visibility: Duration,
) -> Vec<crate::ports::Received> {
    for _ in 0..20 {
        let got: Vec<_> = queue
            .receive(name, 10, visibility)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.body.contains(tag))
            .collect();
        if !got.is_empty() {
            return got;
        }
        tokio_free_sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

/// Sleeps without tying the suite to one async runtime.
async fn tokio_free_sleep(d: Duration) {
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(d);
        let _ = tx.send(());
    });
    let _ = rx.await;
}
