//! Inqom sink against the mock, on what its real API does beyond the documented fields: uploads
//! redirected to another host (the token and the method kept), and an entry booked before a
//! crash found again by what the entry lines return (no `ExternalId`).

use std::collections::BTreeSet;
use std::sync::Arc;

use app::ports::{LedgerSink, SinkErrorKind};
use ledgers::{InqomSink, PartyBook};
use serde_json::json;
use simulators::inqom::{self as inqom_mock, InqomMock, StoredEntry};

use crate::support::{InqomMockConfig, config, documents, einvoice_xml, embedded_files, entries};

fn sink(mock: &InqomMock, book: Arc<PartyBook>) -> InqomSink {
    InqomSink::new(mock.config(), book).unwrap()
}

#[tokio::test]
async fn uploads_redirected_307_or_308_to_another_host_keep_their_token_method_and_body() {
    for status in [307, 308] {
        let mock = inqom_mock::start().await;
        let host = mock.redirect_uploads(status).await;
        assert_ne!(host, mock.url, "a second listener");
        let book = Arc::new(PartyBook::new());
        let items = entries(3, 61, &book);
        let s = sink(&mock, book);
        let r = s.push_entries(&config(), &items).await;
        assert!(r.iter().all(Result::is_ok), "{r:?}");
        for d in documents(4) {
            s.push_document(&config(), &d)
                .await
                .unwrap_or_else(|e| panic!("{status}: {e}"));
        }
        let st = mock.state();
        assert_eq!(st.violations, Vec::<String>::new());
        let fields: BTreeSet<String> = ["entryId", "date", "reference", "fileName", "file"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(st.attachments.len(), 3, "{status}: every PDF attached");
        assert!(st.attachments.iter().all(|f| *f == fields));
        assert_eq!((st.documents.len(), st.expense_bills.len()), (3, 1));
        assert_eq!(st.upload_host_requests.len(), 7, "3 PDFs + 4 documents");
        assert!(
            st.upload_host_requests
                .iter()
                .all(|(method, _, with_token)| method == "POST" && *with_token),
            "{status}: {:?}",
            st.upload_host_requests
        );
        println!(
            "inqom upload redirect {status}: {} uploads re-sent to {host} as POST with the bearer token, {} attachments, {} documents, {} expense bills",
            st.upload_host_requests.len(),
            st.attachments.len(),
            st.documents.len(),
            st.expense_bills.len()
        );
    }
}

#[tokio::test]
async fn a_post_redirected_301_or_302_is_an_error_not_a_get() {
    for status in [301, 302, 303] {
        let mock = inqom_mock::start().await;
        mock.redirect_uploads(status).await;
        let s = sink(&mock, Arc::new(PartyBook::new()));
        let e = s
            .push_document(&config(), &documents(1)[0])
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind, e.status),
            (SinkErrorKind::Permanent, Some(status)),
            "{e:?}"
        );
        assert!(
            e.message.contains("would turn the POST into a GET"),
            "{}",
            e.message
        );
        assert!(e.action.contains("new address"), "{}", e.action);
        let st = mock.state();
        assert!(
            st.upload_host_requests.is_empty(),
            "{:?}",
            st.upload_host_requests
        );
        assert!(st.documents.is_empty());
        println!("inqom upload redirect {status}: {}", e.message);
    }
}

/// An entry by hand in the same journal on the same day with the same reference but other
/// amounts (an accountant's correction).
fn decoy(mock: &InqomMock, like: &app::ports::EntryToPush, id: i64) {
    let mut st = mock.state();
    let journal_id = st
        .journals
        .iter()
        .find(|(_, code)| *code == like.entry.journal_code)
        .unwrap()
        .0;
    let line = |d: f64, c: f64, account: &str| {
        json!({"Id": id * 10 + 1, "Label": "CORRECTION", "DebitAmount": d, "CreditAmount": c,
               "Currency": "EUR", "AccountNumber": account})
    };
    st.entries.push(StoredEntry {
        id,
        journal_id,
        date: like.entry.date.format("%Y-%m-%d").to_string(),
        reference: like.entry.piece_ref.clone(),
        external_id: String::new(),
        lines: vec![line(1.0, 0.0, "411000"), line(0.0, 1.0, "706000")],
    });
}

#[tokio::test]
async fn after_a_crash_between_booking_and_recording_the_rerun_finds_the_entry_and_books_it_once() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(4, 62, &book);
    decoy(&mock, &items[1], 9_001);
    decoy(&mock, &items[2], 9_002);
    // First run: the entries 0 and 1 are created in Inqom, then the process dies before the
    // ledger ids are recorded.
    let first = sink(&mock, book.clone());
    let booked = first.push_entries(&config(), &items[..2]).await;
    let booked: Vec<String> = booked.into_iter().map(|b| b.unwrap().ledger_id).collect();
    let token = mock.state().current_token.clone().unwrap();
    let day = items[0].entry.date.format("%Y-%m-%d").to_string();
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/dossiers/{}/entry-lines",
            mock.url,
            inqom_mock::DOSSIER
        ))
        .query(&[
            ("startDate", &day),
            ("endDate", &day),
            ("pageNumber", &"1".to_string()),
        ])
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lines = listed["EntryLines"].as_array().unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.get("ExternalId").is_none()),
        "the mock answers entry lines as the API does, without ExternalId"
    );
    // The rerun (a fresh process): ask the ledger first, push only what it does not hold.
    let rerun = sink(&mock, book);
    let mut found = Vec::new();
    let mut pushed = 0;
    for e in &items {
        match rerun.find_entry(&config(), e).await.unwrap() {
            Some(b) => found.push(b.ledger_id),
            None => {
                assert!(rerun.push_entries(&config(), std::slice::from_ref(e)).await[0].is_ok());
                pushed += 1;
            }
        }
    }
    assert_eq!(
        found, booked,
        "the entries booked before the crash, not the decoys"
    );
    assert_eq!(pushed, 2);
    let st = mock.state();
    for (i, e) in items.iter().enumerate() {
        let ours = st
            .entries
            .iter()
            .filter(|s| s.reference == e.entry.piece_ref && s.id < 9_000)
            .count();
        assert_eq!(ours, 1, "entry {i} booked once");
    }
    assert_eq!(st.entries.len(), 4 + 2, "4 entries and the 2 decoys");
    println!(
        "inqom crash-resume: {} found again by reference, journal, date and amounts, {pushed} pushed, {} entries in the ledger (2 decoys with the same references untouched)",
        found.len(),
        st.entries.len()
    );
}

#[tokio::test]
async fn an_answer_lost_after_inqom_booked_is_not_replayed_and_the_entries_are_found() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(3, 63, &book);
    mock.lose_entry_answers(1);
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    assert!(
        r.iter().all(|a| a
            .as_ref()
            .is_err_and(|e| e.kind == SinkErrorKind::Retryable)),
        "a lost answer is handed back as retryable: {r:?}"
    );
    assert_eq!(mock.state().entry_posts, 1, "the batch is not sent twice");
    assert_eq!(mock.state().entries.len(), 3, "Inqom booked it once");
    // What the pipeline does with a retried entry: ask the ledger before sending again.
    for e in &items {
        assert!(s.find_entry(&config(), e).await.unwrap().is_some());
    }
    assert_eq!(mock.state().entries.len(), 3);
}

#[tokio::test]
async fn an_xml_einvoice_is_attached_as_its_readable_pdf_since_inqom_takes_no_xml() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(1, 64, &book);
    let xml = einvoice_xml("FA-2026-0042.xml");
    items[0].pdf = Some(xml.clone());
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    let [(name, bytes)] = st.attached_files.as_slice() else {
        panic!("one file attached: {:?}", st.attachments);
    };
    assert_eq!(name, "FA-2026-0042.pdf");
    assert_eq!(
        embedded_files(bytes),
        vec![("FA-2026-0042.xml".to_string(), xml.bytes.clone())],
        "the XML itself inside"
    );
}
