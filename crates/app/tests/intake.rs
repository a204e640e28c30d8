//! Intake through the pipeline: the raw mail is stored first, accepted files land in the outbox
//! and reach the ledger, duplicates and spoofed senders are recorded, never pushed.

use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{BlobStore, IntegrationLog, QueueName, RecordStore, Severity, SystemClock};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::intake::UNROUTED;
use app::usecases::records::{DocState, DocumentRecord, doc_pk};
use app::usecases::{Pipeline, Settings, sha256_hex};
use base64::Engine;
use mail::{AuthSource, Envelope, SesVerdicts};

const DOMAIN: &str = "collecte.example.fr";

fn mail(from: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut out = format!(
        "From: Welyb <{from}>\r\nTo: achat.acme@{DOMAIN}\r\nSubject: Factures\r\nMessage-ID: <{}@welyb.fr>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici les pièces.\r\n",
        sha256_hex(format!("{from}{}", files.len()).as_bytes())
    );
    for (name, ctype, bytes) in files {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        out.push_str(&format!(
            "--b1\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        for chunk in b64.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push_str("\r\n");
        }
    }
    out.push_str("--b1--\r\n");
    out.into_bytes()
}

fn ses(dmarc: &str) -> AuthSource {
    AuthSource::Ses(SesVerdicts {
        spam: "PASS".into(),
        virus: "PASS".into(),
        spf: "PASS".into(),
        dkim: "PASS".into(),
        dmarc: dmarc.into(),
    })
}

#[tokio::test]
async fn mailed_files_reach_the_ledger_once_and_rejections_are_logged() {
    let cfg = domain::testkit::example_config();
    let dossiers_cfg = vec![cfg.clone()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let settings = Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    };
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(settings);
    let pdf = include_bytes!("../../mail/tests/fixtures/facture.pdf");
    let zip = include_bytes!("../../mail/tests/fixtures/factures.zip");
    let raw = mail(
        "no-reply@welyb.fr",
        &[
            ("facture.pdf", "application/pdf", pdf),
            ("factures.zip", "application/zip", zip),
        ],
    );
    let envelope = Envelope {
        recipients: vec![
            format!("achat.acme@{DOMAIN}"),
            format!("VENTE.Acme@{DOMAIN}"),
        ],
        auth: ses("PASS"),
    };

    let report = p
        .intake(&dossiers_cfg, &domains, &raw, &envelope, None)
        .await
        .unwrap();
    // The raw message is kept, under its own hash.
    assert_eq!(report.raw_key, format!("mail/raw/{}.eml", sha256_hex(&raw)));
    assert_eq!(blobs.get(&report.raw_key).await.unwrap().unwrap(), raw);
    // One document per collection address; the zip is rejected with its reason.
    assert_eq!(report.queued, 2);
    assert_eq!(queue.depth(QueueName::Push), 2);
    let sha = sha256_hex(pdf);
    for category in ["purchase", "sales"] {
        let key = format!(
            "mail:{}:{sha}",
            if category == "purchase" {
                "achat"
            } else {
                "vente"
            }
        );
        let rec = store
            .get(&doc_pk("acme"), &key)
            .await
            .unwrap()
            .expect("document record");
        assert_eq!(
            DocumentRecord::from_record(&rec).unwrap().state,
            DocState::Mapped,
            "{category}"
        );
    }
    assert!(
        report
            .outcome
            .rejections()
            .any(|r| r.message.to_lowercase().contains("zip")
                || r.message.to_lowercase().contains("archive"))
    );

    // Pushed through the worker to the ledger's document inbox.
    let source = FakeSource::new(vec![], 0, 1);
    let ledger = FakeLedger::new(0, 2);
    let dossiers = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    p.run_until_idle(
        &dossiers,
        Duration::from_millis(300),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(ledger.counts(), (2, 0));

    // The same mail again: kept, flagged as duplicates, nothing new for the ledger.
    let again = p
        .intake(&dossiers_cfg, &domains, &raw, &envelope, None)
        .await
        .unwrap();
    assert_eq!((again.queued, again.duplicates), (0, 2));
    p.run_until_idle(
        &dossiers,
        Duration::from_millis(300),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(ledger.counts(), (2, 0));

    // A spoofed sender (DMARC fail) and an unknown mailbox: rejected and logged, nothing queued.
    let other = mail(
        "no-reply@welyb.fr",
        &[("autre.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")],
    );
    let spoofed = p
        .intake(
            &dossiers_cfg,
            &domains,
            &other,
            &Envelope {
                recipients: vec![format!("achat.acme@{DOMAIN}")],
                auth: ses("FAIL"),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(spoofed.queued, 0);
    assert!(!spoofed.outcome.notice_allowed());
    let unknown = p
        .intake(
            &dossiers_cfg,
            &domains,
            &other,
            &Envelope {
                recipients: vec![format!("achat.inconnu@{DOMAIN}")],
                auth: ses("PASS"),
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(unknown.queued, 0);

    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let to = chrono::Utc::now() + chrono::Duration::hours(1);
    let log = p.log();
    let warnings = log
        .query("acme", Severity::Warning, from, to)
        .await
        .unwrap();
    assert!(
        warnings
            .iter()
            .any(|e| e.message.contains("already collected")),
        "{warnings:#?}"
    );
    assert!(
        warnings.iter().any(|e| e.message.contains("rejected")
            && e.action.to_lowercase().contains("no notice is sent")),
        "{warnings:#?}"
    );
    let unrouted = log
        .query(UNROUTED, Severity::Warning, from, to)
        .await
        .unwrap();
    assert!(
        unrouted
            .iter()
            .any(|e| e.message.contains("achat.inconnu@")),
        "{unrouted:#?}"
    );
    let infos = log.query("acme", Severity::Info, from, to).await.unwrap();
    assert!(
        infos
            .iter()
            .any(|e| e.message.contains("facture.pdf") && e.message.contains("collected"))
    );
}
