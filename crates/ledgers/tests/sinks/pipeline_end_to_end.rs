//! End to end through the pipeline: 500 invoices pulled from a source, mapped, pushed with their
//! PDFs, and 100 mailed documents taken in by the intake, to each sink (Inqom and Pennylane
//! mocks on 127.0.0.1, the FEC in the blob store); the ledger counts match exactly and the FEC
//! passes the independent checker.

use std::sync::Arc;
use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{BlobStore, LedgerSink, PullWindow, SystemClock};
use app::testing::fakes::FakeSource;
use app::usecases::worker::Dossiers;
use app::usecases::{Pipeline, Settings};
use base64::Engine;
use chrono::NaiveDate;
use domain::config::DossierConfig;
use ledgers::{FecConfig, FecSink, InqomSink, PartyBook, PennylaneSink};
use mail::{AuthSource, Envelope};
use simulators::{inqom as inqom_mock, pennylane as pennylane_mock};

use crate::support::{InqomMockConfig, PennylaneMockConfig, config, independent_check};

pub const INVOICES: usize = 500;
const MAILS: usize = 100;
const DOMAIN: &str = "collecte.example.fr";

struct One<'a, K> {
    cfg: DossierConfig,
    source: &'a FakeSource,
    sink: &'a K,
}

impl<'a, K: LedgerSink> Dossiers for One<'a, K> {
    type Source = &'a FakeSource;
    type Sink = &'a K;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        (id == self.cfg.id).then_some(&self.cfg)
    }
    fn source(&self, id: &str) -> Option<&Self::Source> {
        (id == self.cfg.id).then_some(&self.source)
    }
    fn sink(&self, id: &str) -> Option<&Self::Sink> {
        (id == self.cfg.id).then_some(&self.sink)
    }
}

/// A mail from the allow-listed platform, authenticated by our MTA, with one distinct PDF.
fn mail(i: usize) -> (Vec<u8>, String) {
    let prefix = ["achat", "vente", "ndf", "admin"][i % 4];
    let to = format!("{prefix}.acme@{DOMAIN}");
    let pdf = format!("%PDF-1.4\n% piece {i}\n%%EOF\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(pdf.as_bytes());
    let raw = format!(
        "Authentication-Results: mx.test; dkim=pass header.d=welyb.fr; dmarc=pass header.from=welyb.fr\r\nFrom: no-reply@welyb.fr\r\nTo: {to}\r\nSubject: piece {i}\r\nMessage-ID: <piece-{i}@welyb.fr>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n--b\r\nContent-Type: application/pdf; name=\"piece-{i}.pdf\"\r\nContent-Disposition: attachment; filename=\"piece-{i}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"
    );
    (raw.into_bytes(), to)
}

/// Runs the pipeline into `sink`; returns (invoices pushed, files pushed) as the store sees them.
async fn run<K: LedgerSink>(sink: &K) -> (usize, usize) {
    let mut invoices = 0;
    let mut files = 0;
    for doc in run_pipeline(sink, MAILS).await {
        assert_eq!(
            doc.state,
            app::usecases::records::DocState::Pushed,
            "{}: {:?}",
            doc.key,
            doc.reason
        );
        if doc.key.starts_with("mail:") {
            files += 1
        } else {
            invoices += 1
        }
    }
    (invoices, files)
}

/// Pulls 500 invoices, takes in `mails` mailed documents and runs the worker until idle into
/// `sink`; returns every document record.
pub async fn run_pipeline<K: LedgerSink>(
    sink: &K,
    mails: usize,
) -> Vec<app::usecases::records::DocumentRecord> {
    let cfg = config();
    let docs = domain::testkit::invoices(INVOICES, 5, 99);
    let source = FakeSource::new(docs, 0, 5);
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(100),
        ..Settings::default()
    });
    let window = PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    let report = pipeline
        .pull(&cfg, &source, window, Some("e2e"))
        .await
        .unwrap();
    assert_eq!(report.new as usize, INVOICES);
    let domains = vec![DOMAIN.to_string()];
    for i in 0..mails {
        let (raw, to) = mail(i);
        let envelope = Envelope {
            recipients: vec![to],
            auth: AuthSource::AuthenticationResults {
                authserv_id: "mx.test".into(),
            },
        };
        let r = pipeline
            .intake(std::slice::from_ref(&cfg), &domains, &raw, &envelope, None)
            .await
            .unwrap();
        assert_eq!(
            r.queued,
            1,
            "mail {i}: {:?}",
            r.outcome.rejections().collect::<Vec<_>>()
        );
    }
    let one = One {
        cfg: cfg.clone(),
        source: &source,
        sink,
    };
    pipeline
        .run_until_idle(&one, Duration::from_millis(500), Duration::from_secs(600))
        .await
        .unwrap();
    app::ports::RecordStore::query(&store, "DOC#acme", None, None, usize::MAX)
        .await
        .unwrap()
        .iter()
        .map(|r| app::usecases::records::DocumentRecord::from_record(r).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_to_inqom() {
    let mock = inqom_mock::start().await;
    let sink = InqomSink::new(mock.config(), Arc::new(PartyBook::new())).unwrap();
    assert_eq!(run(&sink).await, (INVOICES, MAILS));
    let st = mock.state();
    assert_eq!(st.entries.len(), INVOICES);
    assert_eq!(st.attachments.len(), INVOICES, "every entry with its PDF");
    assert_eq!(st.documents.len() + st.expense_bills.len(), MAILS);
    assert_eq!(st.violations, Vec::<String>::new());
    println!(
        "pipeline → inqom: {} entries, {} PDFs, {} documents + {} expense bills",
        st.entries.len(),
        st.attachments.len(),
        st.documents.len(),
        st.expense_bills.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_to_pennylane() {
    let mock = pennylane_mock::start().await;
    let sink = PennylaneSink::new(mock.config(), Arc::new(PartyBook::new())).unwrap();
    assert_eq!(run(&sink).await, (INVOICES, MAILS));
    let st = mock.state();
    assert_eq!(st.entries.len(), INVOICES);
    assert_eq!(st.file_attachments.len(), INVOICES + MAILS);
    assert_eq!(st.violations, Vec::<String>::new());
    println!(
        "pipeline → pennylane: {} entries, {} files",
        st.entries.len(),
        st.file_attachments.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_to_the_fec() {
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), AfterTheYear, FecConfig::default());
    assert_eq!(run(&sink).await, (INVOICES, MAILS));
    let fec = blobs
        .get("fec/acme/20261231/732829320FEC20261231.txt")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(blobs.list("fec/acme/documents").await.unwrap().len(), MAILS);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("732829320FEC20261231.txt");
    std::fs::write(&path, &fec).unwrap();
    let (code, report) = independent_check(&path);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["stats"]["ecritures"], INVOICES);
    println!(
        "pipeline → fec: {INVOICES} entries, {MAILS} documents, checker ok={} errors={}",
        report["ok"], report["errors"]
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
