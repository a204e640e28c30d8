//! FEC sink over the in-memory blob store: the FEC is valid after every push (independent
//! checker), pushes are idempotent, `find_entry` answers from the booked entries, errors.

use std::sync::Arc;

use app::memory::MemoryBlobs;
use app::ports::{
    BlobError, BlobStore, BlobVersion, Clock, LedgerSink, PutOnce, SinkErrorKind, Swap,
};
use chrono::{DateTime, TimeZone, Utc};
use ledgers::{FecConfig, FecSink, PartyBook};

use crate::support::{config, documents, entries, independent_check};

#[derive(Clone, Copy)]
struct Fixed;
impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap()
    }
}

fn check(bytes: &[u8], name: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (code, report) = independent_check(&path);
    assert_eq!(code, 0, "{report}");
    report
}

#[tokio::test]
async fn the_fec_is_valid_after_every_push_and_pushes_are_idempotent() {
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), Fixed, FecConfig::default());
    let cfg = config();
    let items = entries(60, 21, &PartyBook::new());
    let key = sink.fec_key(&cfg, items[0].entry.date);
    assert_eq!(key, "fec/acme/20261231/732829320FEC20261231.txt");
    for (n, chunk) in items.chunks(20).enumerate() {
        let r = sink.push_entries(&cfg, chunk).await;
        assert!(r.iter().all(Result::is_ok), "{r:?}");
        let fec = blobs.get(&key).await.unwrap().unwrap();
        let report = check(&fec, "732829320FEC20261231.txt");
        let lines = String::from_utf8(fec).unwrap().lines().count() - 1;
        let expected: usize = items[..(n + 1) * 20]
            .iter()
            .map(|e| e.entry.lines().len())
            .sum();
        assert_eq!(lines, expected, "{report}");
    }
    let before = blobs.get(&key).await.unwrap();
    let again = sink.push_entries(&cfg, &items[..30]).await;
    assert!(again.iter().all(Result::is_ok));
    assert_eq!(
        blobs.get(&key).await.unwrap(),
        before,
        "a re-push changes nothing"
    );
    let booked = blobs
        .get("fec/acme/20261231/booked.jsonl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(String::from_utf8(booked).unwrap().lines().count(), 60);
    // A fresh sink (after a crash) answers from the stored entries.
    let fresh = FecSink::new(blobs.clone(), Fixed, FecConfig::default());
    for e in &items {
        assert!(fresh.find_entry(&cfg, e).await.unwrap().is_some());
    }
    let mut other = items[0].clone();
    other.external_id = "sellsy:sales_invoice:nope".into();
    assert_eq!(fresh.find_entry(&cfg, &other).await.unwrap(), None);
    // The PDFs are kept once each.
    assert_eq!(blobs.list("fec/acme/pdf").await.unwrap().len(), 60);
}

#[tokio::test]
async fn each_fiscal_year_has_its_own_fec() {
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), Fixed, FecConfig::default());
    let cfg = config();
    let mut items = entries(4, 22, &PartyBook::new());
    items[0].entry.date = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    items[0].entry.piece_date = items[0].entry.date;
    let r = sink.push_entries(&cfg, &items).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    for (key, name) in [
        (
            "fec/acme/20251231/732829320FEC20251231.txt",
            "732829320FEC20251231.txt",
        ),
        (
            "fec/acme/20261231/732829320FEC20261231.txt",
            "732829320FEC20261231.txt",
        ),
    ] {
        check(&blobs.get(key).await.unwrap().unwrap(), name);
    }
}

#[tokio::test]
async fn documents_are_filed_once_and_found() {
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), Fixed, FecConfig::default());
    let cfg = config();
    for d in documents(8) {
        assert_eq!(sink.find_document(&cfg, &d).await.unwrap(), None);
        let b = sink.push_document(&cfg, &d).await.unwrap();
        assert!(
            b.ledger_id
                .starts_with(&format!("fec/acme/documents/{}/", d.category.prefix()))
        );
        assert_eq!(sink.push_document(&cfg, &d).await.unwrap(), b);
        assert_eq!(sink.find_document(&cfg, &d).await.unwrap(), Some(b));
    }
    assert_eq!(blobs.list("fec/acme/documents").await.unwrap().len(), 8);
}

/// A blob store that is down.
struct Down;
impl BlobStore for Down {
    async fn put_once(&self, _: &str, _: &[u8], _: &str) -> Result<PutOnce, BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
    async fn put(&self, _: &str, _: &[u8], _: &str) -> Result<(), BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
    async fn get(&self, _: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
    async fn get_versioned(&self, _: &str) -> Result<Option<(Vec<u8>, BlobVersion)>, BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
    async fn put_if(
        &self,
        _: &str,
        _: &[u8],
        _: &str,
        _: Option<&BlobVersion>,
    ) -> Result<Swap, BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
    async fn list(&self, _: &str) -> Result<Vec<String>, BlobError> {
        Err(BlobError::Unavailable("connection refused".into()))
    }
}

#[tokio::test]
async fn a_store_outage_is_retryable_and_a_bad_siren_is_permanent() {
    let cfg = config();
    let items = entries(2, 23, &PartyBook::new());
    let down = FecSink::new(Arc::new(Down), Fixed, FecConfig::default());
    for r in down.push_entries(&cfg, &items).await {
        assert_eq!(r.unwrap_err().kind, SinkErrorKind::Retryable);
    }
    assert_eq!(
        down.test_connection(&cfg).await.unwrap_err().kind,
        SinkErrorKind::Retryable
    );

    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), Fixed, FecConfig::default());
    let mut bad = cfg.clone();
    bad.siren = "123".into();
    for r in sink.push_entries(&bad, &items).await {
        let e = r.unwrap_err();
        assert_eq!(e.kind, SinkErrorKind::Permanent);
        assert!(e.message.contains("SIREN"), "{}", e.message);
    }
    assert!(
        blobs.list("fec").await.unwrap().is_empty(),
        "nothing written"
    );
    assert_eq!(
        sink.test_connection(&bad).await.unwrap_err().kind,
        SinkErrorKind::Permanent
    );
    sink.test_connection(&cfg).await.unwrap();
}
