//! Chift sink against the Chift mock on 127.0.0.1, which checks every request against Chift's
//! official OpenAPI document: contract, faults, idempotency after a crash, folders, journals,
//! VAT codes, book years, and 500 entries with their PDFs through the pipeline.

use std::sync::Arc;
use std::time::Duration;

use app::ports::{LedgerSink, SinkErrorKind};
use app::usecases::records::DocState;
use ledgers::{ChiftSink, PartyBook, RetryPolicy};
use serde_json::json;
use simulators::chift::{self as chift_mock, ChiftMock, ChiftOptions};
use simulators::mock::Fault;

use crate::pipeline_end_to_end::{INVOICES, run_pipeline};
use crate::support::{
    ChiftMockConfig, config, documents, einvoice_xml, embedded_files, entries, xml_file,
};

fn sink(mock: &ChiftMock, book: Arc<PartyBook>) -> ChiftSink {
    ChiftSink::new(mock.config(), book).unwrap()
}

#[tokio::test]
async fn every_request_follows_the_spec_and_entries_carry_their_pdf_and_tax_codes() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(30, 7, &book);
    let s = sink(&mock, book);
    let r = s.push_entries(&config(), &items).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.answer_violations, Vec::<String>::new());
    assert_eq!(st.entries.len(), 30);
    let mut vat_lines_checked = 0;
    assert_eq!(st.token_requests, 1, "one token for the whole batch");
    for (e, pushed) in st.entries.iter().zip(&items) {
        assert_eq!(e.body["number"], json!(pushed.entry.piece_ref));
        assert_eq!(e.body["posted"], json!(true));
        assert_eq!(
            e.pdf.as_deref(),
            pushed.pdf.as_ref().map(|p| p.bytes.as_slice())
        );
        // Every VAT line names the folder's code of its rate.
        for (item, line) in e.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(pushed.entry.lines())
        {
            let rate = config()
                .vat
                .sales
                .iter()
                .find(|(_, a)| **a == line.account)
                .map(|(r, _)| r.to_string());
            if let Some(rate) = rate {
                let code = st
                    .vat_codes
                    .iter()
                    .find(|c| Some(&c.id) == item["tax_code"].as_str().map(str::to_string).as_ref())
                    .unwrap_or_else(|| panic!("VAT line without a known tax code: {item}"));
                assert_eq!(code.rate.to_string(), rate, "{item}");
                assert_ne!(code.kind, "purchase");
                vat_lines_checked += 1;
            } else if line.auxiliary.is_some() {
                assert!(
                    item.get("tax_code").is_none(),
                    "a partner line has no VAT code: {item}"
                );
            }
        }
    }
    assert!(
        vat_lines_checked >= 30,
        "every entry has VAT lines: {vat_lines_checked}"
    );
    println!(
        "chift contract: {} requests checked against the spec, {} violations, {} entries",
        st.requests,
        st.violations.len(),
        st.entries.len()
    );
}

#[tokio::test]
async fn drafts_are_sent_unposted() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 3, &book);
    for e in &mut items {
        e.entry.draft = true;
    }
    let r = sink(&mock, book).push_entries(&config(), &items).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    assert!(
        mock.state()
            .entries
            .iter()
            .all(|e| e.body["posted"] == json!(false))
    );
}

#[tokio::test]
async fn a_second_send_after_a_crash_finds_the_booked_entry_instead_of_booking_twice() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(6, 9, &book);
    let first = sink(&mock, book.clone())
        .push_entries(&config(), &items[..5])
        .await;
    // A fresh process: looks the entries up, then sends them all again.
    let s = sink(&mock, book);
    for (e, r) in items[..5].iter().zip(&first) {
        assert_eq!(
            s.find_entry(&config(), e).await.unwrap().as_ref(),
            r.as_ref().ok()
        );
    }
    assert_eq!(s.find_entry(&config(), &items[5]).await.unwrap(), None);
    let again = s.push_entries(&config(), &items).await;
    for (a, b) in again.iter().zip(&first) {
        assert_eq!(
            a.as_ref().unwrap(),
            b.as_ref().unwrap(),
            "the booked entry is the answer"
        );
    }
    assert!(again[5].is_ok());
    let st = mock.state();
    assert_eq!(st.entries.len(), 6, "nothing booked twice");
    assert_eq!(st.violations, Vec::<String>::new());
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_refused_credentials_say_what_to_check() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 1, &book);
    let s = sink(&mock, book.clone());
    mock.fault(Fault::Unauthorized);
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    assert_eq!(mock.state().token_requests, 2);
    let mut bad = mock.config();
    bad.client_secret = app::ports::Secret::new("wrong");
    let e = ChiftSink::new(bad, book)
        .unwrap()
        .test_connection(&config())
        .await
        .unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Auth);
    assert!(e.action.contains("client_secret"), "{}", e.action);
}

#[tokio::test]
async fn timeouts_and_server_errors_are_retried_then_handed_back_as_retryable() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 2, &book);
    let mut cfg = mock.config();
    cfg.retry = RetryPolicy {
        timeout: Duration::from_millis(500),
        ..cfg.retry
    };
    let s = ChiftSink::new(cfg, book).unwrap();
    mock.fault(Fault::Status(502, "<html>Bad gateway</html>".into()));
    mock.fault(Fault::Hang(Duration::from_secs(1)));
    mock.fault(Fault::Status(
        503,
        r#"{"message":"down","status":"error"}"#.into(),
    ));
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    for _ in 0..4 {
        mock.fault(Fault::Status(
            503,
            r#"{"message":"down","status":"error"}"#.into(),
        ));
    }
    let mut other = items[0].clone();
    other.entry.piece_ref.push_str("-2");
    let e = s
        .push_entries(&config(), &[other])
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Retryable, "{e}");
    assert_eq!(mock.state().entries.len(), 1);
}

#[tokio::test]
async fn refusals_are_permanent_with_chifts_message_and_the_action() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(3, 4, &book);
    mock.reject_number(&items[1].entry.piece_ref);
    let r = sink(&mock, book).push_entries(&config(), &items).await;
    assert!(r[0].is_ok() && r[2].is_ok(), "{r:?}");
    let e = r[1].as_ref().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(
        e.message.contains("ERROR_ENTRY_NOT_BALANCED"),
        "{}",
        e.message
    );
    assert!(
        e.action.contains("check the document's amounts"),
        "{}",
        e.action
    );
    assert_eq!(mock.state().entries.len(), 2);
}

#[tokio::test]
async fn missing_journals_accounts_and_closed_book_years_hold_the_entry_with_the_fix() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let items = entries(1, 5, &book);
    let mut other_journal = items.clone();
    other_journal[0].entry.journal_code = "VE".into();
    let e = sink(&mock, book.clone())
        .push_entries(&config(), &other_journal)
        .await
        .remove(0)
        .unwrap_err();
    assert!(e.message.contains("journal VE"), "{}", e.message);
    assert!(
        e.action.contains("[dossier.ledger.journals]"),
        "{}",
        e.action
    );
    mock.state()
        .accounts
        .retain(|(n, _, _)| !n.starts_with('7'));
    let e = sink(&mock, book.clone())
        .push_entries(&config(), &items)
        .await
        .remove(0)
        .unwrap_err();
    assert!(
        e.message.contains("not in the chart of accounts"),
        "{}",
        e.message
    );
    assert!(e.action.contains("[dossier.accounts_map]"), "{}", e.action);
    let mock = chift_mock::start().await;
    let year = items[0].entry.date.format("%Y").to_string();
    mock.close_book_year(&year);
    let e = sink(&mock, book)
        .push_entries(&config(), &items)
        .await
        .remove(0)
        .unwrap_err();
    assert!(e.message.contains("is closed"), "{}", e.message);
    assert_eq!(mock.state().entries.len(), 0);
}

#[tokio::test]
async fn a_consumer_with_several_folders_needs_folder_id_and_every_request_names_it() {
    let mock = chift_mock::start_with(ChiftOptions { folders: 2 }).await;
    let book = Arc::new(PartyBook::new());
    let items = entries(2, 6, &book);
    let e = sink(&mock, book.clone())
        .test_connection(&config())
        .await
        .unwrap_err();
    assert!(e.message.contains("2 folders"), "{}", e.message);
    assert!(e.message.contains(chift_mock::FOLDER_ID), "{}", e.message);
    assert!(e.action.contains("folder_id"), "{}", e.action);
    let mut cfg = mock.config();
    cfg.folder_id = Some("FOLDER-2".into());
    let s = ChiftSink::new(cfg, book).unwrap();
    s.test_connection(&config()).await.unwrap();
    let r = s.push_entries(&config(), &items).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let st = mock.state();
    assert!(st.entries.iter().all(|e| e.folder_id == "FOLDER-2"));
    assert_eq!(st.violations, Vec::<String>::new());
}

#[tokio::test]
async fn collected_documents_are_refused_with_where_to_send_them() {
    let mock = chift_mock::start().await;
    let s = sink(&mock, Arc::new(PartyBook::new()));
    let doc = &documents(1)[0];
    let e = s.push_document(&config(), doc).await.unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(e.action.contains("e-invoice"), "{}", e.action);
}

/// Issue 16, acceptance 3: 500 entries and their PDFs booked once through the pipeline, with
/// timeouts and 5xx injected all along, answers lost after Chift booked (the pipeline asks
/// before it sends again), and one bad entry: the others are booked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_books_500_entries_with_their_pdfs_once_despite_faults_and_one_bad_entry() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut cfg = mock.config();
    cfg.retry = RetryPolicy {
        timeout: Duration::from_millis(400),
        ..cfg.retry
    };
    let s = ChiftSink::new(cfg, book).unwrap();
    // The bad one: the pipeline's first invoice number (testkit's generator, seed 99).
    let bad = domain::testkit::invoices(INVOICES, 5, 99)[17]
        .number
        .clone();
    mock.reject_number(&bad);
    // Booked by Chift but the answer lost, at the start and along the run.
    mock.lose_entry_answers(3);
    let injector = {
        let mock = mock.clone();
        tokio::spawn(async move {
            for i in 0..30 {
                tokio::time::sleep(Duration::from_millis(120)).await;
                if i % 10 == 9 {
                    mock.lose_entry_answers(1);
                }
                mock.fault(match i % 3 {
                    0 => Fault::Status(
                        503,
                        r#"{"message":"Service unavailable","status":"error"}"#.into(),
                    ),
                    1 => Fault::Hang(Duration::from_millis(700)),
                    _ => Fault::Status(502, "<html><body>502 Bad Gateway</body></html>".into()),
                });
            }
        })
    };
    let docs = run_pipeline(&s, 0).await;
    injector.await.unwrap();
    assert_eq!(docs.len(), INVOICES);
    let (pushed, other): (Vec<_>, Vec<_>) = docs.iter().partition(|d| d.state == DocState::Pushed);
    assert_eq!(
        pushed.len(),
        INVOICES - 1,
        "{:?}",
        other
            .iter()
            .map(|d| (&d.key, &d.state, &d.reason))
            .collect::<Vec<_>>()
    );
    assert_eq!(other.len(), 1);
    let reason = format!("{:?}", other[0].reason);
    assert!(reason.contains("ERROR_ENTRY_NOT_BALANCED"), "{reason}");
    let st = mock.state();
    assert_eq!(st.entries.len(), INVOICES - 1);
    let mut numbers: Vec<&str> = st.entries.iter().map(|e| e.number.as_str()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), INVOICES - 1, "each booked once");
    assert!(
        st.entries.iter().all(|e| e.pdf.is_some()),
        "every entry with its PDF"
    );
    assert_eq!(st.violations, Vec::<String>::new());
    println!(
        "pipeline → chift: {} entries with their PDFs, 1 refused, {} requests checked against the spec, 0 violations, 30 faults injected, 6 answers lost after booking",
        st.entries.len(),
        st.requests,
    );
}

/// Self-assessed VAT (e-invoice categories K and AE): the 445662 / 4452 pair and the base take
/// the folder's reverse-charge code of that scope, never the domestic deductible one.
#[tokio::test]
async fn self_assessed_vat_takes_the_folders_reverse_charge_code() {
    use domain::{DocumentKind, SelfAssessedVat, SelfAssessment};
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut cfg = config();
    cfg.scope = domain::config::Scope::Both;
    let mut doc = domain::testkit::sellsy_example_invoice();
    doc.source.kind = DocumentKind::PurchaseInvoice;
    doc.rows.truncate(1);
    doc.rows[0].tax_rate = rust_decimal::Decimal::ZERO;
    doc.rows[0].tax_amount = rust_decimal::Decimal::ZERO;
    let basis = doc.rows[0].amount_excl_tax;
    doc.taxes.clear();
    doc.totals.excl_tax = basis;
    doc.totals.incl_tax = basis;
    doc.self_assessed_vat = vec![SelfAssessedVat {
        regime: SelfAssessment::IntraCommunity,
        basis,
        rate: None,
    }];
    let mut aux = domain::auxcode::AuxCodes::new(8);
    let entry = match domain::mapping::map_document(&doc, &cfg, &mut aux) {
        Ok(domain::mapping::Mapped::Entry(e)) => e,
        other => panic!("{other:?}"),
    };
    let accounts: Vec<&str> = entry.lines().iter().map(|l| l.account.as_str()).collect();
    assert!(
        accounts.contains(&"445662") && accounts.contains(&"4452"),
        "{accounts:?}"
    );
    let push = app::ports::EntryToPush {
        external_id: entry.source.key(),
        pdf: Some(crate::support::pdf("AIC-1")),
        entry,
    };
    let r = sink(&mock, book).push_entries(&cfg, &[push]).await;
    assert!(r[0].is_ok(), "{r:?}");
    let st = mock.state();
    let aic = st
        .vat_codes
        .iter()
        .find(|c| c.code == "AIC20")
        .unwrap()
        .id
        .clone();
    let body = &st.entries[0].body;
    for item in body["items"].as_array().unwrap() {
        if item["account_type"] == "general_account" {
            assert_eq!(item["tax_code"], json!(aic), "{item}");
        } else {
            assert!(item.get("tax_code").is_none(), "{item}");
        }
    }
    assert_eq!(st.violations, Vec::<String>::new());
}

/// A connector that serves pages of 7 whatever `size` asks: the chart and the client list are
/// read to the spec's `total`, so no account is "missing" and no client is created twice.
#[tokio::test]
async fn short_pages_are_read_to_the_total() {
    let mock = chift_mock::start().await;
    for n in 0..20 {
        mock.add_client(simulators::chift::Partner {
            name: format!("Client {n}"),
            external_reference: Some(format!("C{n:02}")),
            ..Default::default()
        });
    }
    mock.cap_pages(7);
    let book = Arc::new(PartyBook::new());
    let s = sink(&mock, book);
    let chart = s.chart(&config()).await.unwrap().unwrap();
    assert_eq!(chart.len(), mock.state().accounts.len());
    let aux = domain::Auxiliary {
        code: "C19".into(),
        label: "Client 19".into(),
    };
    let (id, rule) = s.partner(&config(), "411", &aux).await.unwrap();
    assert_eq!(rule, Some(ledgers::MatchRule::AuxiliaryCode));
    assert_eq!(
        mock.state().clients.len(),
        20,
        "found on the third page, not created"
    );
    assert_eq!(mock.state().clients[19].id, id);
}

/// An entry booked from an XML e-invoice (no PDF) goes with the invoice's readable PDF, named
/// after the XML, the XML embedded in it unchanged; an XML that is no e-invoice still holds its
/// entry with the action.
#[tokio::test]
async fn an_xml_einvoice_goes_as_its_readable_pdf_and_other_xml_is_held() {
    let mock = chift_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 47, &book);
    let xml = einvoice_xml("FA-2026-0042 été.xml");
    items[0].pdf = Some(xml.clone());
    items[1].pdf = Some(xml_file("note.xml", b"<note>not an invoice</note>"));
    let r = sink(&mock, book).push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    let e = r[1].as_ref().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(e.message.contains("note.xml"), "{}", e.message);
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.entries.len(), 1, "the other XML is held");
    assert_eq!(
        st.entries[0].body["pdf_name"],
        json!("FA-2026-0042 _t_.pdf")
    );
    let pdf = st.entries[0].pdf.as_ref().expect("booked with a PDF");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        embedded_files(pdf),
        vec![("FA-2026-0042 été.xml".to_string(), xml.bytes)]
    );
}
