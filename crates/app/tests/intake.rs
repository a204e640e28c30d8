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
    let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
    let mut out = format!(
        "Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=bounce@{domain}; helo=mail.{domain}; dkim=pass header.i=@{domain}; dmarc=pass header.from={domain};\r\nFrom: Welyb <{from}>\r\nTo: achat.acme@{DOMAIN}\r\nSubject: Factures\r\nMessage-ID: <{}@welyb.fr>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici les pièces.\r\n",
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
    assert_mapped_in_both_categories(&store, pdf).await;
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

    assert_intake_logged(&p).await;
}

/// The PDF is a mapped document of both the purchase and the sales journal.
async fn assert_mapped_in_both_categories(store: &MemoryStore, pdf: &[u8]) {
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
}

/// The duplicate, the rejection (no notice), the unknown mailbox and the collected file are in
/// the integration log.
async fn assert_intake_logged<
    S: RecordStore,
    B: BlobStore,
    Q: app::ports::Queue,
    C: app::ports::Clock,
>(
    p: &Pipeline<S, B, Q, C>,
) {
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

fn pipeline<'a>(
    store: &'a MemoryStore,
    blobs: &'a MemoryBlobs,
    queue: &'a MemoryQueue,
) -> Pipeline<&'a MemoryStore, &'a MemoryBlobs, &'a MemoryQueue, SystemClock> {
    Pipeline::new(store, blobs, queue, SystemClock)
}

fn to_acme(auth: AuthSource) -> Envelope {
    Envelope {
        recipients: vec![format!("achat.acme@{DOMAIN}")],
        auth,
    }
}

/// A mail with its own Message-ID and Subject and one file per (name, bytes).
fn mail_with(from: &str, message_id: &str, subject: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
    let mut out = format!(
        "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom={domain}; dkim=pass header.i=@{domain}; dmarc=pass header.from={domain};\r\nFrom: {from}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
    );
    for (name, bytes) in files {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        out.push_str(&format!(
            "--b1\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        ));
    }
    out.push_str("--b1--\r\n");
    out.into_bytes()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

#[tokio::test]
async fn a_huge_message_id_and_outcome_never_lose_the_mail() {
    let cfg = vec![domain::testkit::example_config()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = pipeline(&store, &blobs, &queue);
    // Over DynamoDB's 1024-byte sort key, with a Subject and 900 refused parts that would make
    // the stored outcome far larger than its 400 KB item.
    let id = format!("{}@welyb.fr", "x".repeat(5000));
    let subject = "S".repeat(150_000);
    let names: Vec<String> = (0..900)
        .map(|i| format!("{}-{i}.exe", "n".repeat(150)))
        .collect();
    let mut files: Vec<(&str, &[u8])> = vec![("facture.pdf", PDF)];
    files.extend(names.iter().map(|n| (n.as_str(), &b"MZ\x90\x00"[..])));
    let raw = mail_with("no-reply@welyb.fr", &id, &subject, &files);
    let report = p
        .intake(&cfg, &domains, &raw, &to_acme(ses("PASS")), None)
        .await
        .unwrap();
    assert_eq!(report.queued, 1, "the sender was judged and the PDF kept");
    assert_eq!(report.mail_key, sha256_hex(id.as_bytes()));
    let rec = store
        .get(&app::usecases::records::mail_pk("acme"), &report.mail_key)
        .await
        .unwrap()
        .expect("the mail's record");
    assert!(rec.sk.len() <= 1024);
    let size = serde_json::to_vec(&rec.data).unwrap().len();
    assert!(size < 400 * 1024, "stored summary is {size} bytes");
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let to = chrono::Utc::now() + chrono::Duration::hours(1);
    for e in p
        .log()
        .query("acme", Severity::Info, from, to)
        .await
        .unwrap()
    {
        assert!(e.object_id.len() <= 1024, "{}", e.object_id.len());
    }
}

#[tokio::test]
async fn a_mail_refused_whole_is_recorded_in_the_dossier_it_was_sent_to() {
    let cfg = vec![domain::testkit::example_config()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = pipeline(&store, &blobs, &queue);
    let raw = mail_with(
        "<a@evil.example> no-reply@welyb.fr",
        "m1@x",
        "Facture",
        &[("f.pdf", PDF)],
    );
    let report = p
        .intake(&cfg, &domains, &raw, &to_acme(ses("PASS")), None)
        .await
        .unwrap();
    assert_eq!(
        report.outcome.rejection.as_ref().map(|r| r.code),
        Some(mail::ReasonCode::InvalidFrom)
    );
    assert!(
        store
            .get(&app::usecases::records::mail_pk("acme"), &report.mail_key)
            .await
            .unwrap()
            .is_some()
    );
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let to = chrono::Utc::now() + chrono::Duration::hours(1);
    let warnings = p
        .log()
        .query("acme", Severity::Warning, from, to)
        .await
        .unwrap();
    assert!(
        warnings
            .iter()
            .any(|e| e.message.contains("not a valid mailbox")),
        "{warnings:#?}"
    );
}

#[tokio::test]
async fn a_refused_file_is_explained_to_an_authenticated_listed_sender_at_most_n_times_a_day() {
    use app::testing::fakes::RecordingNotifier;
    use app::usecases::intake::NoticePolicy;
    let cfg = vec![domain::testkit::example_config()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = pipeline(&store, &blobs, &queue);
    let notifier = RecordingNotifier::default();
    let policy = NoticePolicy {
        per_sender_per_day: 2,
    };
    let zip = include_bytes!("../../mail/tests/fixtures/factures.zip");
    let refused = |n: usize| {
        mail_with(
            "no-reply@welyb.fr",
            &format!("m{n}@welyb.fr"),
            "Factures",
            &[("facture.pdf", PDF), ("factures.zip", &zip[..])],
        )
    };
    let take = |raw: Vec<u8>, auth: AuthSource| {
        let (p, notifier, cfg, domains) = (&p, &notifier, &cfg, &domains);
        async move {
            p.intake_notifying(cfg, domains, &raw, &to_acme(auth), None, notifier, policy)
                .await
                .unwrap()
        }
    };
    // Authenticated and allow-listed: told which file and why.
    let r = take(refused(1), ses("PASS")).await;
    assert_eq!((r.queued, r.notices_sent), (1, 1));
    let sent = notifier.sent();
    assert_eq!(sent[0].0, "no-reply@welyb.fr");
    assert!(
        sent[0].2.contains("factures.zip") && sent[0].2.contains("PDF"),
        "{}",
        sent[0].2
    );
    // The same mail delivered again: no second notice.
    assert_eq!(take(refused(1), ses("PASS")).await.notices_sent, 0);
    // Forged (DMARC fails) or unknown senders: never.
    assert_eq!(take(refused(2), ses("FAIL")).await.notices_sent, 0);
    let stranger = mail_with(
        "compta@other.example",
        "m3@x",
        "F",
        &[("factures.zip", &zip[..])],
    );
    assert_eq!(take(stranger, ses("PASS")).await.notices_sent, 0);
    // A mail whose files were all taken: nothing to say.
    let fine = mail_with(
        "no-reply@welyb.fr",
        "m4@welyb.fr",
        "F",
        &[("facture.pdf", PDF)],
    );
    assert_eq!(take(fine, ses("PASS")).await.notices_sent, 0);
    // The day's second notice, then no more.
    assert_eq!(take(refused(5), ses("PASS")).await.notices_sent, 1);
    assert_eq!(take(refused(6), ses("PASS")).await.notices_sent, 0);
    assert_eq!(notifier.sent().len(), 2);
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let to = chrono::Utc::now() + chrono::Duration::hours(1);
    let infos = p
        .log()
        .query("acme", Severity::Info, from, to)
        .await
        .unwrap();
    assert!(
        infos.iter().any(|e| e.message.contains("already 2 today")),
        "{infos:#?}"
    );

    // A notice that cannot be sent is logged; the intake still succeeds.
    let failing = RecordingNotifier {
        fail: true,
        ..Default::default()
    };
    let raw = refused(7);
    let r = p
        .intake_notifying(
            &cfg,
            &domains,
            &raw,
            &to_acme(ses("PASS")),
            None,
            &failing,
            NoticePolicy::default(),
        )
        .await
        .unwrap();
    assert_eq!(r.notices_sent, 0);
    let warnings = p
        .log()
        .query("acme", Severity::Warning, from, to)
        .await
        .unwrap();
    assert!(
        warnings
            .iter()
            .any(|e| e.message.contains("could not be sent"))
    );
}

#[tokio::test]
async fn a_pdf_with_javascript_is_collected_with_a_warning_in_the_log() {
    let cfg = vec![domain::testkit::example_config()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = pipeline(&store, &blobs, &queue);
    let js = b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n";
    let raw = mail_with(
        "no-reply@welyb.fr",
        "js@welyb.fr",
        "F",
        &[("facture.pdf", &js[..])],
    );
    let r = p
        .intake(&cfg, &domains, &raw, &to_acme(ses("PASS")), None)
        .await
        .unwrap();
    assert_eq!(r.queued, 1);
    let from = chrono::Utc::now() - chrono::Duration::hours(1);
    let to = chrono::Utc::now() + chrono::Duration::hours(1);
    let warnings = p
        .log()
        .query("acme", Severity::Warning, from, to)
        .await
        .unwrap();
    assert!(
        warnings
            .iter()
            .any(|e| e.message.contains("JavaScript") && e.message.contains("facture.pdf")),
        "{warnings:#?}"
    );
}
