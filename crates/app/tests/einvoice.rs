//! E-invoices collected by mail are booked from their data: a Factur-X PDF mailed to
//! `achat.<dossier>` becomes a balanced purchase entry whose VAT per rate is the invoice's
//! breakdown, with the PDF attached; the same invoice received again is logged as a duplicate;
//! one addressed to another company is held; one whose totals break EN 16931 is refused with
//! the rule named. The invoices are written by `einvoice::testkit` (checked there by
//! independent validators).

use std::collections::BTreeMap;
use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{IntegrationLog, LogEvent, RecordStore, Severity, SystemClock};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::einvoice::EInvoiceOutcome;
use app::usecases::records::{Content, DocState, DocumentRecord, doc_pk};
use app::usecases::{Pipeline, Settings, sha256_hex};
use base64::Engine;
use domain::config::{DossierConfig, Scope};
use einvoice::testkit::forge::{Kind, Level, Party, Spec};
use einvoice::testkit::{pdfout, xmlout};
use mail::{AuthSource, Envelope, SesVerdicts};
use rust_decimal::Decimal;

const DOMAIN: &str = "collecte.example.fr";

fn mail(id: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = format!(
        "Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=192.0.2.1; envelope-from=bounce@welyb.fr; helo=mail.welyb.fr; dkim=pass header.i=@welyb.fr; dmarc=pass header.from=welyb.fr;\r\nFrom: Welyb <no-reply@welyb.fr>\r\nTo: achat.acme@{DOMAIN}\r\nSubject: Factures\r\nMessage-ID: <{id}@welyb.fr>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n"
    );
    for (name, bytes) in files {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        out.push_str(&format!(
            "--b1\r\nContent-Type: application/pdf; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        for chunk in b64.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(chunk).unwrap());
            out.push_str("\r\n");
        }
    }
    out.push_str("--b1--\r\n");
    out.into_bytes()
}

fn envelope() -> Envelope {
    Envelope {
        recipients: vec![format!("achat.acme@{DOMAIN}")],
        auth: AuthSource::Ses(SesVerdicts {
            spam: "PASS".into(),
            virus: "PASS".into(),
            spf: "PASS".into(),
            dkim: "PASS".into(),
            dmarc: "PASS".into(),
        }),
    }
}

/// A Factur-X EN 16931 PDF of this spec.
fn facturx(spec: &Spec) -> Vec<u8> {
    pdfout::pdf("factur-x.xml", xmlout::write(spec).as_bytes(), true, 0)
}

fn dossier() -> DossierConfig {
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Both;
    cfg
}

fn addressed_to(cfg: &DossierConfig) -> Spec {
    let mut spec = Spec::typical(Kind::Cii(Level::En16931));
    spec.buyer = Party::french("Acme SAS", &cfg.siren);
    spec
}

async fn log_of(
    p: &Pipeline<&MemoryStore, &MemoryBlobs, &MemoryQueue, SystemClock>,
) -> Vec<LogEvent> {
    let now = chrono::Utc::now();
    p.log()
        .query(
            "acme",
            Severity::Info,
            now - chrono::Duration::hours(1),
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap()
}

async fn documents(store: &MemoryStore) -> Vec<DocumentRecord> {
    store
        .query(&doc_pk("acme"), None, None, usize::MAX)
        .await
        .unwrap()
        .iter()
        .map(|r| DocumentRecord::from_record(r).unwrap())
        .collect()
}

#[tokio::test]
async fn a_mailed_facturx_is_booked_from_its_data_once_with_its_pdf() {
    let cfg = dossier();
    let dossiers_cfg = vec![cfg.clone()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let spec = addressed_to(&cfg);
    let figures = spec.figures();
    let pdf = facturx(&spec);

    let report = p
        .intake(
            &dossiers_cfg,
            &domains,
            &mail("m1", &[("facture.pdf", &pdf)]),
            &envelope(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.queued, report.duplicates),
        (1, 0),
        "{:#?}",
        report.outcome
    );
    let docs = documents(&store).await;
    assert_eq!(docs.len(), 1, "{docs:#?}");
    let doc = &docs[0];
    assert!(
        doc.key.starts_with("einvoice:purchase_invoice:"),
        "{}",
        doc.key
    );
    assert_eq!(
        doc.state,
        DocState::Mapped,
        "{:?} {:?}",
        doc.reason,
        doc.action
    );
    assert!(matches!(doc.content, Content::Source { .. }));
    let entry = doc.entry.as_ref().expect("an entry");
    assert_eq!(entry.total_debit(), entry.total_credit());
    // The supplier's line is the total including VAT; VAT per rate is the breakdown's.
    let supplier: Decimal = entry
        .lines()
        .iter()
        .filter(|l| l.account.starts_with("401"))
        .map(|l| l.credit - l.debit)
        .sum();
    assert_eq!(supplier, figures.grand);
    let mut vat_booked: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in entry
        .lines()
        .iter()
        .filter(|l| l.account.starts_with("4456"))
    {
        *vat_booked.entry(l.account.clone()).or_default() += l.debit - l.credit;
    }
    let mut vat_expected: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &figures.rows {
        let account = cfg.vat.purchases[&row.cat.rate()].clone();
        *vat_expected.entry(account).or_default() += row.vat;
    }
    assert_eq!(vat_booked, vat_expected);
    // The invoice file itself goes with the entry.
    assert_eq!(doc.pdf_sha256.as_deref(), Some(sha256_hex(&pdf).as_str()));
    assert_eq!(entry.attachments.len(), 1);

    let source = FakeSource::new(vec![], 0, 1);
    let ledger = FakeLedger::new(0, 3);
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
    assert_eq!(ledger.counts(), (1, 0));
    let summary = ledger
        .summary(&doc.key)
        .expect("booked under the document key");
    assert!(summary.with_pdf);

    // The same invoice again, in another mail and as another file: one
    // document, logged as a duplicate, nothing more for the ledger.
    // Written again without compression: other bytes, the same invoice.
    let renamed = pdfout::pdf("factur-x.xml", xmlout::write(&spec).as_bytes(), false, 0);
    assert_ne!(renamed, pdf);
    let report = p
        .intake(
            &dossiers_cfg,
            &domains,
            &mail("m2", &[("copie-facture.pdf", &renamed)]),
            &envelope(),
            None,
        )
        .await
        .unwrap();
    assert_eq!((report.queued, report.duplicates), (0, 1));
    p.run_until_idle(
        &dossiers,
        Duration::from_millis(300),
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(ledger.counts(), (1, 0));
    // And as its bare XML, the other channel the same invoice comes by: still one document.
    let xml = xmlout::write(&spec);
    let report = p
        .intake(
            &dossiers_cfg,
            &domains,
            &mail("m2x", &[("facture.xml", xml.as_bytes())]),
            &envelope(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (report.queued, report.duplicates),
        (0, 1),
        "{:#?}",
        report.outcome
    );
    let log = log_of(&p).await;
    assert!(
        log.iter().any(|e| e.message.contains("already received")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn an_einvoice_for_another_company_is_held_and_one_with_wrong_totals_is_refused() {
    let cfg = dossier();
    let dossiers_cfg = vec![cfg.clone()];
    let domains = vec![DOMAIN.to_string()];
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let grand = addressed_to(&cfg).figures().grand;
    // Addressed to another company: held, with the reason and the action.
    let mut other = Spec::typical(Kind::Cii(Level::En16931));
    other.number = "FA-2026-0099".into();
    other.buyer = Party::french("Autre SAS", "552081317");
    let report = p
        .intake(
            &dossiers_cfg,
            &domains,
            &mail("m3", &[("autre.pdf", &facturx(&other))]),
            &envelope(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.queued, 0);
    let held: Vec<_> = documents(&store)
        .await
        .into_iter()
        .filter(|d| d.state == DocState::Held)
        .collect();
    assert_eq!(held.len(), 1, "{held:#?}");
    let reason = held[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("addressed to another company"), "{reason}");
    assert!(held[0].action.is_some());

    // Totals that do not add up (BR-CO-15): refused, the rule named, nothing recorded to book.
    let mut broken = addressed_to(&cfg);
    broken.number = "FA-2026-0100".into();
    let xml = xmlout::write(&broken).replacen(
        &format!("<ram:GrandTotalAmount>{}</ram:GrandTotalAmount>", grand),
        &format!(
            "<ram:GrandTotalAmount>{}</ram:GrandTotalAmount>",
            grand + Decimal::ONE
        ),
        1,
    );
    assert!(xml.contains(&format!("{}", grand + Decimal::ONE)));
    let pdf = pdfout::pdf("factur-x.xml", xml.as_bytes(), true, 0);
    let before = documents(&store).await.len();
    let report = p
        .intake(
            &dossiers_cfg,
            &domains,
            &mail("m4", &[("fausse.pdf", &pdf)]),
            &envelope(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.queued, 0);
    assert_eq!(documents(&store).await.len(), before);
    let log = log_of(&p).await;
    assert!(
        log.iter()
            .any(|e| e.message.contains("BR-CO-15") && e.action.contains("re-issue")),
        "{log:#?}"
    );
}

/// The auxiliary code of the party line of a mapped document.
async fn party_code(store: &MemoryStore, key: &str) -> String {
    let record = store.get(&doc_pk("acme"), key).await.unwrap();
    let record = DocumentRecord::from_record(&record.expect("recorded")).unwrap();
    let entry = record
        .entry
        .unwrap_or_else(|| panic!("{key} not mapped: {:?}", record.reason));
    let line = entry.lines().iter().find_map(|l| l.auxiliary.clone());
    line.expect("a party line").code
}

async fn ingest_code(
    p: &Pipeline<&MemoryStore, &MemoryBlobs, &MemoryQueue, SystemClock>,
    store: &MemoryStore,
    cfg: &DossierConfig,
    spec: &Spec,
) -> String {
    let xml = xmlout::write(spec);
    let outcome = p
        .ingest_einvoice(cfg, domain::Category::Purchase, "f.xml", xml.as_bytes())
        .await
        .unwrap();
    let EInvoiceOutcome::Booked { key, .. } = outcome else {
        panic!("{}: {outcome:?}", spec.number);
    };
    party_code(store, &key).await
}

#[tokio::test]
async fn an_einvoice_seller_gets_the_code_of_the_supplier_of_its_siren() {
    let cfg = dossier();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let spec = addressed_to(&cfg);
    // A Sellsy supplier of the seller's SIREN, under another name, mapped first.
    let mut purchase = domain::testkit::sellsy_example_invoice();
    purchase.source.kind = domain::DocumentKind::PurchaseInvoice;
    purchase.source.source_id = "501".into();
    purchase.party.source_id = "77".into();
    purchase.party.name = "Zénith Papeterie".into();
    purchase.party.auxiliary_code = None;
    purchase.party.siren = Some(spec.seller.siren.clone());
    purchase.rows.iter_mut().for_each(|r| r.account = None);
    let source = FakeSource::new(vec![purchase.clone()], 0, 1);
    let window = app::ports::PullWindow {
        from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    p.pull(&cfg, &source, window, None).await.unwrap();
    let ledger = FakeLedger::new(0, 1);
    let one = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    p.run_until_idle(&one, Duration::from_millis(150), Duration::from_secs(20))
        .await
        .unwrap();
    let sellsy = party_code(&store, &purchase.key()).await;
    assert!(sellsy.starts_with("ZENITH"), "{sellsy}");

    // The e-invoice of that SIREN, named otherwise: the supplier's code, not one from its name.
    assert_eq!(ingest_code(&p, &store, &cfg, &spec).await, sellsy);
    // Another e-invoice of the seller, its name spelt otherwise: the same code.
    let mut again = spec.clone();
    again.number = "FA-2026-0200".into();
    again.seller.name = "DUPONT FOURNITURES".into();
    assert_eq!(ingest_code(&p, &store, &cfg, &again).await, sellsy);
    // Another company of the same name as the Sellsy supplier: a code of its own.
    let mut other = spec.clone();
    other.number = "FA-2026-0300".into();
    other.seller = Party::french("Zénith Papeterie", "552081317");
    let code = ingest_code(&p, &store, &cfg, &other).await;
    // (derived from the name, with the suffix of its own key as the name's code is taken).
    assert_ne!(code, sellsy);
    assert!(code.starts_with("ZENIT"), "{code}");
}

/// The stored source document of `key`.
async fn source_document(store: &MemoryStore, key: &str) -> domain::SourceDocument {
    let record = store.get(&doc_pk("acme"), key).await.unwrap().unwrap();
    match DocumentRecord::from_record(&record).unwrap().content {
        Content::Source { document, .. } => document,
        other => panic!("{key}: {other:?}"),
    }
}

#[tokio::test]
async fn an_einvoice_mailed_and_also_received_by_sellsy_is_booked_once() {
    let cfg = dossier();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let spec = addressed_to(&cfg);
    let xml = xmlout::write(&spec);
    let outcome = p
        .ingest_einvoice(&cfg, domain::Category::Purchase, "f.xml", xml.as_bytes())
        .await
        .unwrap();
    let EInvoiceOutcome::Booked { key, state, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(state, DocState::Mapped);
    // Sellsy made a purchase of the same invoice from its e-invoicing intake: its own id and
    // number, the supplier known by its VAT number only.
    let mailed = source_document(&store, &key).await;
    let mut purchase = mailed.clone();
    purchase.source.source = "sellsy".into();
    purchase.source.source_id = "601".into();
    purchase.number = "F_INV-20260301-00007".into();
    purchase.party.source_id = "88".into();
    purchase.party.siren = None;
    purchase.party.siret = None;
    purchase.party.vat_number = Some(format!("FR 12 {}", spec.seller.siren));
    purchase.pdf = domain::testkit::sellsy_example_invoice().pdf;
    // And another purchase of that supplier the same day, another total: a different invoice.
    let mut other = purchase.clone();
    other.source.source_id = "602".into();
    other.number = "F_INV-20260301-00008".into();
    other.totals.incl_tax += Decimal::ONE;
    let source = FakeSource::new(vec![purchase.clone(), other.clone()], 0, 1);
    let window = app::ports::PullWindow {
        from: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    };
    p.pull(&cfg, &source, window, None).await.unwrap();
    let ledger = FakeLedger::new(0, 1);
    let one = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    p.run_until_idle(&one, Duration::from_millis(150), Duration::from_secs(20))
        .await
        .unwrap();
    let record = |k: String| {
        let store = &store;
        async move {
            let r = store.get(&doc_pk("acme"), &k).await.unwrap().unwrap();
            DocumentRecord::from_record(&r).unwrap()
        }
    };
    let copy = record(purchase.key()).await;
    assert_eq!(copy.state, DocState::Skipped, "{:?}", copy.reason);
    let reason = copy.reason.unwrap_or_default();
    assert!(
        reason.contains("same invoice") && reason.contains(&key),
        "{reason}"
    );
    assert!(copy.entry.is_none() && copy.ledger_id.is_none());
    let different = record(other.key()).await;
    assert!(
        different.state != DocState::Skipped,
        "{:?}",
        different.reason
    );
    let log = log_of(&p).await;
    assert!(
        log.iter()
            .any(|e| e.severity == Severity::Warning && e.message.contains("not booked again")),
        "{log:?}"
    );
}

/// The first channel's copy is held after it claimed the invoice (as a piece number used by
/// another document holds it): the other channel's copy is booked instead, and the first one,
/// retried once its cause is fixed, is then the duplicate. Booked once, never zero times.
#[tokio::test]
async fn a_held_first_copy_does_not_keep_the_other_channel_from_booking_the_invoice() {
    let cfg = dossier();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let p = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let spec = addressed_to(&cfg);
    let xml = xmlout::write(&spec);
    let outcome = p
        .ingest_einvoice(&cfg, domain::Category::Purchase, "f.xml", xml.as_bytes())
        .await
        .unwrap();
    let EInvoiceOutcome::Booked { key, .. } = outcome else {
        panic!("{outcome:?}");
    };
    // The mapping's outcome after the claim: held, nothing sent (map.rs, piece number taken).
    let stored = store.get(&doc_pk("acme"), &key).await.unwrap().unwrap();
    let mut held = DocumentRecord::from_record(&stored).unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    held.state = DocState::Held;
    held.entry = None;
    held.reason = Some("piece number already used".into());
    held.updated_at = chrono::Utc::now();
    store.update(&stored.next(held.to_data())).await.unwrap();

    let mailed = source_document(&store, &key).await;
    let mut purchase = mailed.clone();
    purchase.source.source = "sellsy".into();
    purchase.source.source_id = "601".into();
    purchase.number = "F_INV-20260301-00007".into();
    purchase.party.source_id = "88".into();
    purchase.pdf = domain::testkit::sellsy_example_invoice().pdf;
    let source = FakeSource::new(vec![purchase.clone()], 0, 1);
    let window = app::ports::PullWindow {
        from: chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        to: chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    };
    p.pull(&cfg, &source, window, None).await.unwrap();
    let ledger = FakeLedger::new(0, 1);
    let one = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    let run = || p.run_until_idle(&one, Duration::from_millis(150), Duration::from_secs(20));
    run().await.unwrap();
    let state = |k: String| {
        let store = &store;
        async move {
            let r = store.get(&doc_pk("acme"), &k).await.unwrap().unwrap();
            DocumentRecord::from_record(&r).unwrap()
        }
    };
    let copy = state(purchase.key()).await;
    assert_eq!(copy.state, DocState::Pushed, "{:?}", copy.reason);
    assert_eq!(ledger.counts().0, 1);

    // The first copy's cause is fixed and it is retried: it is now the duplicate.
    let retried = p.retry("acme", &key, "test").await.unwrap();
    assert!(
        matches!(retried, app::usecases::recovery::Retried::Queued),
        "{retried:?}"
    );
    run().await.unwrap();
    let first = state(key.clone()).await;
    assert_eq!(first.state, DocState::Skipped, "{:?}", first.reason);
    assert!(
        first.reason.unwrap_or_default().contains(&purchase.key()),
        "the skip names the booked copy"
    );
    assert_eq!(ledger.counts().0, 1, "booked once");
}
