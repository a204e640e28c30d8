//! Inqom sink against a stateful mock on 127.0.0.1: documented field names, batch limit,
//! multipart fields, all-or-nothing batches split to isolate the bad entry, errors, locked
//! periods, auxiliary accounts, idempotency.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ports::{LedgerSink, SinkErrorKind};
use domain::Category;
use ledgers::inqom::type_scan;
use ledgers::{InqomSink, MatchRule, PartyBook};
use simulators::inqom::{self as inqom_mock, InqomMock};
use simulators::mock::Fault;

use crate::support::{InqomMockConfig, config, documents, entries};

fn sink(mock: &InqomMock, book: Arc<PartyBook>) -> InqomSink {
    InqomSink::new(mock.config(), book).unwrap()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn requests_use_the_documented_fields_batch_limit_and_multipart_fields() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(120, 11, &book);
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    assert!(
        r.iter().all(Result::is_ok),
        "{:?}",
        r.iter().find(|r| r.is_err())
    );
    for d in documents(8) {
        s.push_document(&config(), &d).await.unwrap();
    }
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.batch_sizes, vec![50, 50, 20], "batches of at most 50");
    assert_eq!(st.entries.len(), 120);
    assert_eq!(st.attachments.len(), 120);
    assert!(
        st.attachments
            .iter()
            .all(|f| *f == set(&["entryId", "date", "reference", "fileName", "file"]))
    );
    assert!(st.document_fields.iter().all(|f| *f
        == set(&[
            "TypeScan",
            "FileSource",
            "Document",
            "DocRef",
            "SourceId",
            "WithoutWorkflow",
            "DocumentName"
        ])));
    assert!(st.expense_fields.iter().all(|f| *f
        == set(&[
            "File",
            "BeneficiaryFullName",
            "FileNameWithExtension",
            "DocumentReference"
        ])));
    assert_eq!((st.documents.len(), st.expense_bills.len()), (6, 2));
    // ExternalId = our document key; the line carries our key too.
    let e = &st.entries[0];
    assert_eq!(e.external_id, items[0].external_id);
    assert_eq!(
        e.lines[0]["ExternalId"],
        format!("{}#1", items[0].external_id)
    );
    println!(
        "inqom contract: {} entries in batches {:?}, {} attachments, {} documents, {} expense bills, {} violations",
        st.entries.len(),
        st.batch_sizes,
        st.attachments.len(),
        st.documents.len(),
        st.expense_bills.len(),
        st.violations.len()
    );
}

#[tokio::test]
async fn a_batch_of_50_with_one_bad_entry_books_49() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(50, 12, &book);
    items[23].entry.piece_ref = format!("BAD-{}", items[23].entry.piece_ref);
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    let ok = r.iter().filter(|r| r.is_ok()).count();
    let failed: Vec<usize> = r
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!((ok, failed.clone()), (49, vec![23]));
    let e = r[23].as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, Some(400)));
    assert!(
        e.message.contains("InsertEntryIsForbidden") && e.message.contains("BAD-"),
        "{}",
        e.message
    );
    assert!(!e.action.is_empty());
    let st = mock.state();
    assert_eq!(
        st.entries.len(),
        49,
        "the ledger holds exactly the 49 good entries"
    );
    assert_eq!(st.attachments.len(), 49);
    println!(
        "inqom batch of 50 with one bad entry: {ok} booked, failed index {failed:?} with \"{}\", {} POST /entries",
        e.message, st.entry_posts
    );
}

#[tokio::test]
async fn a_401_triggers_exactly_one_reauthentication() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(2, 13, &book);
    let s = sink(&mock, book.clone());
    mock.fault(Fault::Unauthorized);
    let r = s.push_entries(&config(), &items).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    assert_eq!(mock.state().token_requests, 2);

    mock.fault(Fault::Unauthorized);
    mock.fault(Fault::Unauthorized);
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Auth, Some(401)));
    assert_eq!(mock.state().token_requests, 3, "one re-auth, no loop");

    // Wrong credentials: the OAuth error code, never the password.
    let mut cfg = mock.config();
    cfg.password = app::ports::Secret::new("wrong-password");
    let s = InqomSink::new(cfg, book).unwrap();
    let e = s.test_connection(&config()).await.unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Auth, Some(400)));
    assert!(e.message.contains("invalid_grant"), "{}", e.message);
    let all = format!("{e:?} {e}");
    assert!(!all.contains("wrong-password") && !all.contains(inqom_mock::CLIENT_SECRET));
}

#[tokio::test]
async fn a_429_waits_as_told() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 14, &book);
    let s = sink(&mock, book.clone());
    mock.fault(Fault::TooMany(1));
    let t = Instant::now();
    assert!(s.push_entries(&config(), &items).await[0].is_ok());
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    mock.fault(Fault::TooMany(60));
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!(
        (e.kind, e.retry_after),
        (SinkErrorKind::Retryable, Some(Duration::from_secs(60)))
    );
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retryable_and_400_is_permanent() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(3, 15, &book);
    let mut cfg = mock.config();
    cfg.retry.timeout = Duration::from_millis(300);
    let s = InqomSink::new(cfg, book).unwrap();
    mock.fault(Fault::Status(502, "Bad Gateway".into()));
    let r = s.push_entries(&config(), &items[..1]).await;
    assert!(r[0].is_ok(), "{r:?}");
    for _ in 0..4 {
        mock.fault(Fault::Status(
            500,
            r#"{"Message":"An error has occurred."}"#.into(),
        ));
    }
    let r = s.push_entries(&config(), &items[1..]).await;
    for r in &r {
        let e = r.as_ref().unwrap_err();
        assert_eq!((e.kind, e.status), (SinkErrorKind::Retryable, Some(500)));
        assert!(e.retry_after.is_some());
    }
    for _ in 0..4 {
        mock.fault(Fault::Hang(Duration::from_secs(1)));
    }
    let e = s.find_entry(&config(), &items[0]).await.unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Retryable);
    assert!(e.message.contains("timed out"), "{}", e.message);
    // A 400 outside a batch (a single entry) is permanent, with Inqom's message.
    mock.fault(Fault::Status(400, r#"{"Message":"The request is invalid.","ModelState":{"entries[0].Date":["The Date field is required."]}}"#.into()));
    let e = s
        .push_entries(&config(), &items[1..2])
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, Some(400)));
    assert!(
        e.message.contains("The Date field is required."),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn never_posts_into_a_locked_period_nor_into_a_missing_journal() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(3, 16, &book);
    items[0].entry.date = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    items[1].entry.journal_code = "XX".into();
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    let locked = r[0].as_ref().unwrap_err();
    assert_eq!(locked.kind, SinkErrorKind::Permanent);
    assert!(locked.message.contains("locked"), "{}", locked.message);
    assert_eq!(
        locked.action,
        "the period is locked in Inqom: ask the firm to reopen it or change the entry date"
    );
    let journal = r[1].as_ref().unwrap_err();
    assert!(
        journal.action.starts_with("create the journal XX"),
        "{}",
        journal.action
    );
    assert!(r[2].is_ok());
    let st = mock.state();
    assert_eq!(st.entries.len(), 1);
    assert_eq!(
        st.batch_sizes,
        vec![1],
        "the refused entries were never sent"
    );
}

fn dupont_line() -> (app::ports::EntryToPush, domain::EntryLine, Arc<PartyBook>) {
    let cfg = config();
    let doc = domain::testkit::sellsy_example_invoice();
    let mut aux = domain::auxcode::AuxCodes::new(8);
    let domain::mapping::Mapped::Entry(entry) =
        domain::mapping::map_document(&doc, &cfg, &mut aux).unwrap()
    else {
        panic!("mapped")
    };
    let book = Arc::new(PartyBook::new());
    book.remember(&cfg.id, "DUPONT", &doc.party);
    let line = entry
        .lines()
        .iter()
        .find(|l| l.auxiliary.is_some())
        .unwrap()
        .clone();
    (
        app::ports::EntryToPush {
            external_id: entry.source.key(),
            pdf: None,
            entry,
        },
        line,
        book,
    )
}

#[tokio::test]
async fn auxiliary_accounts_are_created_once_keeping_the_number_inqom_returns() {
    let mock = inqom_mock::start().await;
    let (e, _, book) = dupont_line();
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), std::slice::from_ref(&e)).await;
    assert!(r[0].is_ok(), "{r:?}");
    let mut again = e.clone();
    again.external_id.push_str("-2");
    assert!(s.push_entries(&config(), &[again]).await[0].is_ok());
    let st = mock.state();
    assert_eq!(
        st.accounts_created,
        vec![("411DUPONT".to_string(), "4111DUPONT".to_string())]
    );
    assert!(
        st.entries
            .iter()
            .all(|e| e.lines[0]["AccountNumber"] == "4111DUPONT"),
        "the returned number is used"
    );
}

#[tokio::test]
async fn auxiliary_accounts_match_by_code_then_name_before_creating() {
    for (existing, rule) in [
        (("4111DUPONT", "Autre libellé"), MatchRule::AuxiliaryCode),
        (("411DUPONT", "Autre libellé"), MatchRule::AuxiliaryCode),
        (("4111DUP", "DUPONT SARL"), MatchRule::Name),
    ] {
        let mock = inqom_mock::start().await;
        mock.state()
            .accounts
            .push((existing.0.into(), existing.1.into(), Some("4111".into())));
        let (_, line, book) = dupont_line();
        let s = sink(&mock, book);
        let (number, found) = s.account_for(&config(), &line).await.unwrap();
        assert_eq!((number.as_str(), found), (existing.0, Some(rule)));
        assert!(mock.state().accounts_created.is_empty());
    }
}

#[tokio::test]
async fn find_entry_reads_entry_lines_by_date_and_journal() {
    let mock = inqom_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(6, 17, &book);
    let s = sink(&mock, book.clone());
    let pushed = s.push_entries(&config(), &items[..5]).await;
    let fresh = sink(&mock, book);
    for (e, r) in items[..5].iter().zip(&pushed) {
        assert_eq!(
            fresh.find_entry(&config(), e).await.unwrap().as_ref(),
            r.as_ref().ok()
        );
    }
    assert_eq!(fresh.find_entry(&config(), &items[5]).await.unwrap(), None);
}

#[tokio::test]
async fn documents_go_to_the_right_inbox_and_are_found_again() {
    assert_eq!(type_scan(Category::Purchase), "Supplier");
    assert_eq!(type_scan(Category::Sales), "Client");
    assert_eq!(type_scan(Category::Administrative), "Others");
    let mock = inqom_mock::start().await;
    let s = sink(&mock, Arc::new(PartyBook::new()));
    let docs = documents(4);
    for d in &docs {
        assert_eq!(s.find_document(&config(), d).await.unwrap(), None);
        let b = s.push_document(&config(), d).await.unwrap();
        assert_eq!(s.find_document(&config(), d).await.unwrap(), Some(b));
    }
    let st = mock.state();
    let scans: Vec<&str> = st
        .documents
        .iter()
        .map(|(_, f)| f["TypeScan"].as_str())
        .collect();
    assert_eq!(scans, vec!["Supplier", "Client", "Others"]);
    assert_eq!(st.expense_bills.len(), 1);
    assert_eq!(
        st.expense_bills[0]["DocumentReference"],
        docs[2].external_id
    );
}

#[tokio::test]
async fn test_connection_checks_credentials_and_journals() {
    let mock = inqom_mock::start().await;
    let s = sink(&mock, Arc::new(PartyBook::new()));
    s.test_connection(&config()).await.unwrap();
    mock.state().journals.retain(|j| j.1 != "AV");
    let s = sink(&mock, Arc::new(PartyBook::new()));
    let e = s.test_connection(&config()).await.unwrap_err();
    assert_eq!(
        e.action,
        "create the journal AV in Inqom or change the dossier's journal codes"
    );
}

#[tokio::test]
async fn requests_are_paced_to_15_per_second() {
    let mock = inqom_mock::start().await;
    let mut cfg = mock.config();
    cfg.rate = ledgers::InqomConfig::RATE;
    let s = InqomSink::new(cfg, Arc::new(PartyBook::new())).unwrap();
    let t = Instant::now();
    for d in documents(30) {
        s.push_document(&config(), &d).await.unwrap();
    }
    // Token + 30 uploads at 15/s after a burst of 15: at least ~1 s.
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(950), "{took:?}");
    assert_eq!(mock.state().requests, 30);
}
