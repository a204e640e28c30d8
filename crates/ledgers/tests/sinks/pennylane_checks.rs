//! Pennylane v2 sink against the mock, on what its real API imposes beyond the request schemas:
//! the currency enum checked before sending, files attached the way the extract recommends,
//! and the rate limit (25 requests per 5 s per token) respected under load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ports::{LedgerSink, SinkErrorKind};
use ledgers::{PartyBook, PennylaneSink, RateLimit};
use simulators::pennylane::{self as pennylane_mock, spec};

use crate::support::{
    PennylaneMockConfig, config, einvoice_xml, embedded_files, entries, xml_file,
};

#[test]
fn currencies_are_the_extracts_enum() {
    for schema in ["postLedgerEntries", "putLedgerEntries"] {
        let listed: Vec<&str> =
            spec::extract()["schemas"][schema]["properties"]["currency"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
        assert_eq!(listed, ledgers::pennylane::CURRENCIES, "{schema}");
    }
}

#[tokio::test]
async fn an_unknown_currency_holds_the_entry_before_anything_is_sent() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 41, &book);
    items[0].entry.currency = "XYZ".into();
    items[1].entry.currency = "chf".into();
    let s = PennylaneSink::new(mock.config(), book).unwrap();
    let r = s.push_entries(&config(), &items).await;
    let e = r[0].as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, None));
    assert!(
        e.message.contains("\"XYZ\"") && e.message.contains(&items[0].entry.piece_ref),
        "{}",
        e.message
    );
    assert!(e.action.contains("currency"), "{}", e.action);
    assert!(r[1].is_ok(), "{:?}", r[1]);
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new(), "no 400 NotEnumInclude");
    assert_eq!(st.entries.len(), 1);
    assert_eq!(st.entries[0]["currency"], "CHF");
    assert_eq!(
        st.file_attachments.len(),
        1,
        "nothing uploaded for the held entry"
    );
    println!(
        "pennylane currency: XYZ held before sending ({}), CHF booked, {} violations",
        e.message,
        st.violations.len()
    );
}

/// Three sinks of one company token (three dossiers' workers of one process) push 60 entries
/// with their PDFs at once; the mock counts 25 requests per window per token and answers 429
/// beyond. They share one sliding window, so none is refused. The window is 1 s here (mock and
/// sinks alike) to keep the test short; Pennylane's is 5 s (`PennylaneConfig::RATE`).
#[tokio::test]
async fn requests_are_paced_to_25_per_5_seconds() {
    assert_eq!(
        ledgers::PennylaneConfig::RATE,
        RateLimit {
            requests: 25,
            per: Duration::from_secs(5)
        }
    );
    let window = Duration::from_secs(1);
    let mock = pennylane_mock::start().await;
    mock.enforce_rate_limit(25, window);
    let book = Arc::new(PartyBook::new());
    let items = entries(60, 43, &book);
    let sink = || {
        let mut cfg = mock.config();
        cfg.rate = RateLimit {
            requests: 25,
            per: window,
        };
        PennylaneSink::new(cfg, book.clone()).unwrap()
    };
    let (a, b, c) = (sink(), sink(), sink());
    let cfg = config();
    let t = Instant::now();
    let (ra, rb, rc) = tokio::join!(
        a.push_entries(&cfg, &items[..20]),
        b.push_entries(&cfg, &items[20..40]),
        c.push_entries(&cfg, &items[40..]),
    );
    let took = t.elapsed();
    for r in ra.iter().chain(&rb).chain(&rc) {
        assert!(r.is_ok(), "{r:?}");
    }
    let (requests, limited) = {
        let st = mock.state();
        assert_eq!(st.entries.len(), 60);
        assert_eq!(st.violations, Vec::<String>::new());
        (st.requests, st.rate_limited)
    };
    assert_eq!(limited, 0, "no 429 in {requests} requests");
    // Sanity: the mock does refuse a burst beyond the limit.
    tokio::time::sleep(window + window / 5).await;
    let http = reqwest::Client::new();
    let mut refused = 0;
    for _ in 0..30 {
        let r = http
            .get(format!("{}/me", mock.api_base()))
            .bearer_auth(pennylane_mock::API_TOKEN)
            .send()
            .await
            .unwrap();
        refused += usize::from(r.status() == 429);
    }
    assert_eq!(refused, 5, "the mock answers 429 beyond 25 in the window");
    println!(
        "pennylane rate limit: 3 sinks, 60 entries + PDFs, {requests} requests in {took:?} under 25 per {window:?} per token: {limited} answered 429 (a burst of 30 unpaced: {refused} refused)"
    );
}

/// PDFs go to `POST /file_attachments` (the extract's replacement for the deprecated
/// `/ledger_attachments`) as multipart `file` of an accepted content type, and each entry links
/// its own upload by `file_attachment_id`. A PDF labelled `application/octet-stream` (as mail
/// intake often labels them) is sent as `application/pdf`; a file Pennylane does not attach
/// holds its entry with the action, nothing sent.
#[tokio::test]
async fn pdfs_go_to_file_attachments_with_an_accepted_type_and_are_linked_to_their_entry() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(3, 45, &book);
    items[0].pdf.as_mut().unwrap().content_type = "application/octet-stream".into();
    items[1].pdf.as_mut().unwrap().content_type = "Application/PDF; name=f.pdf".into();
    items[2].pdf = Some(app::ports::Attachment {
        file_name: "facture.xml".into(),
        content_type: "application/xml".into(),
        bytes: b"<Invoice/>".to_vec(),
        sha256: String::new(),
    });
    let s = PennylaneSink::new(mock.config(), book).unwrap();
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok() && r[1].is_ok(), "{r:?}");
    let e = r[2].as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, None));
    assert!(e.message.contains("facture.xml"), "{}", e.message);
    assert!(e.action.contains("PDF"), "{}", e.action);
    {
        let st = mock.state();
        assert_eq!(st.violations, Vec::<String>::new());
        assert_eq!(st.uploads.len(), 2, "nothing uploaded for the held entry");
        assert_eq!(st.entries.len(), 2);
        for (entry, item) in st.entries.iter().zip(&items) {
            let linked = entry["file_attachment_id"].as_i64().unwrap();
            let (_, u) = st.uploads.iter().find(|(id, _)| *id == linked).unwrap();
            let pdf = item.pdf.as_ref().unwrap();
            assert_eq!(u.file_name, pdf.file_name);
            assert_eq!(u.filename.as_deref(), Some(pdf.file_name.as_str()));
            assert_eq!(
                (u.content_type.as_str(), u.size),
                ("application/pdf", pdf.bytes.len())
            );
        }
    }
    // The mock refuses what the endpoint refuses: another content type, no file, the
    // deprecated /ledger_attachments.
    use reqwest::multipart::{Form, Part};
    let send = |path: &'static str, form: Form| {
        let url = format!("{}{path}", mock.api_base());
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(pennylane_mock::API_TOKEN)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let xml = || {
        Part::bytes(b"<Invoice/>".to_vec())
            .file_name("f.xml")
            .mime_str("application/xml")
            .unwrap()
    };
    let pdf = || {
        Part::bytes(b"%PDF-1.4\n".to_vec())
            .file_name("f.pdf")
            .mime_str("application/pdf")
            .unwrap()
    };
    assert_eq!(
        send("/file_attachments", Form::new().part("file", xml())).await,
        400
    );
    assert_eq!(
        send("/file_attachments", Form::new().text("filename", "f.pdf")).await,
        400
    );
    assert_eq!(
        send("/ledger_attachments", Form::new().part("file", pdf())).await,
        400
    );
    let st = mock.state();
    assert_eq!(st.uploads.len(), 2);
    assert_eq!(st.violations.len(), 3, "{:#?}", st.violations);
    println!(
        "pennylane attachments: {} PDFs uploaded to /file_attachments as application/pdf and linked by file_attachment_id, the XML held ({}); the mock refused {:?}",
        st.uploads.len(),
        e.message,
        st.violations
    );
}

/// An entry booked from an XML e-invoice (no PDF) uploads the invoice's readable PDF
/// (`application/pdf`, named after the XML) with the XML embedded in it unchanged; an XML that
/// is no e-invoice still holds its entry, nothing sent.
#[tokio::test]
async fn an_xml_einvoice_is_uploaded_as_its_readable_pdf_and_other_xml_is_held() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 49, &book);
    let xml = einvoice_xml("in/FA-2026-0042.xml");
    items[0].pdf = Some(xml.clone());
    items[1].pdf = Some(xml_file("note.xml", b"<note>not an invoice</note>"));
    let s = PennylaneSink::new(mock.config(), book).unwrap();
    let r = s.push_entries(&config(), &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    let e = r[1].as_ref().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(e.message.contains("note.xml"), "{}", e.message);
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!((st.entries.len(), st.uploads.len()), (1, 1));
    let (id, upload) = &st.uploads[0];
    assert_eq!(st.entries[0]["file_attachment_id"], serde_json::json!(id));
    assert_eq!(
        (upload.file_name.as_str(), upload.content_type.as_str()),
        ("FA-2026-0042.pdf", "application/pdf")
    );
    assert_eq!(
        embedded_files(&upload.bytes),
        vec![("FA-2026-0042.xml".to_string(), xml.bytes)]
    );
}
