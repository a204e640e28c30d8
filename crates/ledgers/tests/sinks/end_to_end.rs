//! End to end at the sink level: 500 mapped invoices (batches of 50 through `push_entries`) and
//! 100 collected documents (through `push_document`) pushed to each sink — Inqom and Pennylane
//! mocks on 127.0.0.1, the FEC in the blob store — with exact counts on the ledger side, every
//! entry found again by `find_entry`, and the FEC passing the independent checker.

use std::sync::Arc;

use app::memory::MemoryBlobs;
use app::ports::{BlobStore, LedgerSink};
use ledgers::{FecConfig, FecSink, InqomSink, PartyBook, PennylaneSink};
use simulators::{inqom as inqom_mock, pennylane as pennylane_mock};

use crate::support::{
    InqomMockConfig, PennylaneMockConfig, config, documents, entries, independent_check,
};

const ENTRIES: usize = 500;
const DOCUMENTS: usize = 100;

/// Pushes everything; returns (entries booked, documents filed) and checks `find_entry`.
async fn push_all<S: LedgerSink>(sink: &S, book: &PartyBook) -> (usize, usize) {
    let cfg = config();
    let items = entries(ENTRIES, 42, book);
    let mut booked = 0;
    for chunk in items.chunks(50) {
        let r = sink.push_entries(&cfg, chunk).await;
        assert_eq!(r.len(), chunk.len());
        for (e, r) in chunk.iter().zip(&r) {
            assert!(r.is_ok(), "{}: {r:?}", e.external_id);
        }
        booked += r.iter().filter(|r| r.is_ok()).count();
    }
    for e in &items {
        assert!(
            sink.find_entry(&cfg, e).await.unwrap().is_some(),
            "{} not found",
            e.external_id
        );
    }
    let mut filed = 0;
    for d in documents(DOCUMENTS) {
        sink.push_document(&cfg, &d).await.unwrap();
        assert!(sink.find_document(&cfg, &d).await.unwrap().is_some());
        filed += 1;
    }
    (booked, filed)
}

#[tokio::test]
async fn five_hundred_invoices_and_one_hundred_documents_to_inqom() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let sink = InqomSink::new(mock.config(), book.clone()).unwrap();
    let (booked, filed) = push_all(&sink, &book).await;
    let st = mock.state();
    assert_eq!((booked, filed), (ENTRIES, DOCUMENTS));
    assert_eq!(st.entries.len(), ENTRIES);
    assert_eq!(st.attachments.len(), ENTRIES);
    assert_eq!(st.documents.len() + st.expense_bills.len(), DOCUMENTS);
    assert_eq!(st.expense_bills.len(), DOCUMENTS / 4);
    assert!(st.batch_sizes.iter().all(|&n| n <= 50));
    assert_eq!(st.violations, Vec::<String>::new());
    let mut ids: Vec<&str> = st.entries.iter().map(|e| e.external_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), ENTRIES, "no entry booked twice");
    println!(
        "inqom e2e: {} entries booked ({} POST /entries), {} PDFs attached, {} documents + {} expense bills, {} auxiliary accounts created, {} requests, {} violations",
        st.entries.len(),
        st.entry_posts,
        st.attachments.len(),
        st.documents.len(),
        st.expense_bills.len(),
        st.accounts_created.len(),
        st.requests,
        st.violations.len()
    );
}

#[tokio::test]
async fn five_hundred_invoices_and_one_hundred_documents_to_pennylane() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let sink = PennylaneSink::new(mock.config(), book.clone()).unwrap();
    let (booked, filed) = push_all(&sink, &book).await;
    let st = mock.state();
    assert_eq!((booked, filed), (ENTRIES, DOCUMENTS));
    assert_eq!(st.entries.len(), ENTRIES);
    assert_eq!(st.file_attachments.len(), ENTRIES + DOCUMENTS);
    assert_eq!(st.violations, Vec::<String>::new());
    let mut pieces: Vec<&str> = st
        .entries
        .iter()
        .filter_map(|e| e["piece_number"].as_str())
        .collect();
    pieces.sort();
    pieces.dedup();
    assert_eq!(pieces.len(), ENTRIES, "no entry booked twice");
    println!(
        "pennylane e2e: {} entries booked, {} files uploaded ({} PDFs + {} documents), {} accounts created, {} bodies validated, {} violations, {} requests",
        st.entries.len(),
        st.file_attachments.len(),
        ENTRIES,
        DOCUMENTS,
        st.accounts_created.len(),
        st.validated,
        st.violations.len(),
        st.requests
    );
}

#[tokio::test]
async fn five_hundred_invoices_and_one_hundred_documents_to_the_fec() {
    let blobs = Arc::new(MemoryBlobs::new());
    let book = PartyBook::new();
    let sink = FecSink::new(blobs.clone(), AfterTheYear, FecConfig::default());
    let (booked, filed) = push_all(&sink, &book).await;
    assert_eq!((booked, filed), (ENTRIES, DOCUMENTS));
    let fec = blobs
        .get("fec/acme/20261231/732829320FEC20261231.txt")
        .await
        .unwrap()
        .unwrap();
    let jsonl = blobs
        .get("fec/acme/20261231/booked.jsonl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(String::from_utf8(jsonl).unwrap().lines().count(), ENTRIES);
    assert_eq!(
        blobs.list("fec/acme/documents").await.unwrap().len(),
        DOCUMENTS
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("732829320FEC20261231.txt");
    std::fs::write(&path, &fec).unwrap();
    let (code, report) = independent_check(&path);
    assert_eq!(code, 0, "{report}");
    println!(
        "fec e2e: {ENTRIES} entries booked, {DOCUMENTS} documents filed, {} FEC lines, checker ok={} errors={} warnings={} stats={}",
        String::from_utf8_lossy(&fec).lines().count() - 1,
        report["ok"],
        report["errors"],
        report["warnings"],
        report["stats"]
    );
}

/// Books after the end of 2026, so no generated document of 2026 is dated after its booking
/// day (the FEC sink holds those until their date).
#[derive(Clone, Copy)]
struct AfterTheYear;
impl app::ports::Clock for AfterTheYear {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        chrono::Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap()
    }
}
