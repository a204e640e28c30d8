//! Issue 17, acceptance 1 and 4: a dossier of scope `sales`, `purchases` or `both` pulls and
//! books exactly its documents from the simulator (counts per kind), in mode `documents` and
//! `journal`, through the pipeline into a ledger; incoming documents Sellsy has not turned into
//! purchases are listed in the log with the action; every request follows the spec.

use std::collections::BTreeMap;
use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{PullMode, PullWindow, RecordStore, SourceApi, SystemClock};
use app::testing::fakes::FakeLedger;
use app::testing::pipeline::OneDossier as One;
use app::usecases::records::{DocState, DocumentRecord};
use app::usecases::{Pipeline, Settings};
use domain::DocumentKind;
use domain::config::{Mode, Scope};
use rust_decimal::Decimal;
use sellsy::SellsyClient;
use simulators::sellsy::{PurFile, PurKind, Sim, SimConfig};

use crate::common::*;

fn window() -> PullWindow {
    PullWindow {
        from: d("2026-01-01"),
        to: d("2026-03-31"),
    }
}

async fn sim() -> Sim {
    Sim::start(SimConfig {
        invoices: 30,
        credit_notes: 6,
        purchases: 30,
        ..fast_sim()
    })
    .await
    .unwrap()
}

/// What one night booked, per kind, with the log's lines.
struct Night {
    booked: BTreeMap<DocumentKind, usize>,
    held: BTreeMap<DocumentKind, usize>,
    log: Vec<(String, String)>,
    ledger_duplicates: u32,
}

async fn night(sim: &Sim, scope: Scope, mode: Mode) -> Night {
    let mut cfg = domain::testkit::example_config();
    cfg.scope = scope;
    cfg.mode = mode;
    cfg.start_date = d("2026-01-01");
    let client = SellsyClient::new(client_for(sim).with_scope(scope)).unwrap();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let ledger = FakeLedger::new(0, 1);
    pipeline
        .pull(&cfg, &client, window(), Some("night"))
        .await
        .unwrap();
    let one = One {
        cfg: cfg.clone(),
        source: &client,
        sink: &ledger,
    };
    pipeline
        .run_until_idle(&one, Duration::from_millis(200), Duration::from_secs(120))
        .await
        .unwrap();
    let mut booked = BTreeMap::new();
    let mut held = BTreeMap::new();
    for r in store
        .query("DOC#acme", None, None, usize::MAX)
        .await
        .unwrap()
    {
        let doc = DocumentRecord::from_record(&r).unwrap();
        let kind = [
            "sales_invoice",
            "sales_credit_note",
            "purchase_invoice",
            "purchase_credit_note",
        ]
        .iter()
        .zip([
            DocumentKind::SalesInvoice,
            DocumentKind::SalesCreditNote,
            DocumentKind::PurchaseInvoice,
            DocumentKind::PurchaseCreditNote,
        ])
        .find(|(k, _)| doc.key.starts_with(&format!("sellsy:{k}:")))
        .map(|(_, k)| k);
        let Some(kind) = kind else { continue };
        match doc.state {
            DocState::Pushed => {
                assert!(
                    ledger.summary(&doc.key).is_some(),
                    "{} not in the ledger",
                    doc.key
                );
                *booked.entry(kind).or_default() += 1
            }
            DocState::Held => *held.entry(kind).or_default() += 1,
            _ => {}
        }
    }
    let log = store
        .query("LOG#acme", None, None, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let s = |k: &str| r.data[k].as_str().unwrap_or_default().to_string();
            (s("message"), s("action"))
        })
        .collect();
    Night {
        booked,
        held,
        log,
        ledger_duplicates: ledger.counts().1,
    }
}

fn count(n: &BTreeMap<DocumentKind, usize>, k: DocumentKind) -> usize {
    n.get(&k).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_scope_books_exactly_its_documents_in_both_modes() {
    let sim = sim().await;
    let purchases = sim.purchases();
    let expect = |kind: PurKind| {
        let of_kind = purchases
            .iter()
            .filter(|p| p.kind == kind && window().contains(p.date));
        // sync_without_pdf = false in the example dossier: a purchase without its file is held.
        let with_file = of_kind.clone().filter(|p| p.file != PurFile::None).count();
        (with_file, of_kind.count() - with_file)
    };
    let (pi, pi_held) = expect(PurKind::Invoice);
    let (pc, pc_held) = expect(PurKind::CreditNote);
    assert!(
        pi >= 10 && pc >= 2 && pi_held + pc_held >= 1,
        "{pi} {pc} {pi_held} {pc_held}"
    );
    assert!(purchases.iter().any(|p| p.file == PurFile::Png));
    assert!(purchases.iter().any(|p| p.sent_to_accounting));

    for mode in [Mode::Documents, Mode::Journal] {
        let sales = night(&sim, Scope::Sales, mode).await;
        let bought = night(&sim, Scope::Purchases, mode).await;
        let both = night(&sim, Scope::Both, mode).await;
        let si = count(&sales.booked, DocumentKind::SalesInvoice);
        let sc = count(&sales.booked, DocumentKind::SalesCreditNote);
        println!(
            "mode {mode:?}: sales {:?} | purchases {:?} held {:?} | both {:?}",
            sales.booked, bought.booked, bought.held, both.booked
        );
        assert!(si > 10 && sc > 0, "{mode:?}: {:?}", sales.booked);
        assert_eq!(count(&sales.booked, DocumentKind::PurchaseInvoice), 0);
        assert_eq!(count(&sales.booked, DocumentKind::PurchaseCreditNote), 0);
        assert_eq!(count(&bought.booked, DocumentKind::SalesInvoice), 0);
        assert_eq!(count(&bought.booked, DocumentKind::SalesCreditNote), 0);
        assert_eq!(
            count(&bought.booked, DocumentKind::PurchaseInvoice),
            pi,
            "{mode:?}"
        );
        assert_eq!(
            count(&bought.booked, DocumentKind::PurchaseCreditNote),
            pc,
            "{mode:?}"
        );
        assert_eq!(count(&bought.held, DocumentKind::PurchaseInvoice), pi_held);
        assert_eq!(
            count(&bought.held, DocumentKind::PurchaseCreditNote),
            pc_held
        );
        assert_eq!(count(&both.booked, DocumentKind::SalesInvoice), si);
        assert_eq!(count(&both.booked, DocumentKind::SalesCreditNote), sc);
        assert_eq!(count(&both.booked, DocumentKind::PurchaseInvoice), pi);
        assert_eq!(count(&both.booked, DocumentKind::PurchaseCreditNote), pc);
        for n in [&sales, &bought, &both] {
            assert_eq!(n.ledger_duplicates, 0);
        }
        // Incoming documents not turned into purchases: in the log with the action, not booked.
        for state in ["still pending", "still processing", "could not take in"] {
            let line = bought.log.iter().find(|(m, _)| m.contains(state));
            let (_, action) = line.unwrap_or_else(|| panic!("{state}: {:#?}", bought.log));
            assert!(action.contains("Sellsy"), "{action}");
        }
        assert!(!sales.log.iter().any(|(m, _)| m.contains("still pending")));
    }
    assert_eq!(sim.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchases_pull_rebuilds_each_purchase_as_the_simulator_has_it() {
    let sim = sim().await;
    let c = SellsyClient::new(client_for(&sim).with_scope(Scope::Purchases)).unwrap();
    let pulled = c.pull(window(), PullMode::Documents).await.unwrap();
    assert_eq!(pulled.warnings, vec![]);
    let expected: BTreeMap<String, _> = sim
        .purchases()
        .into_iter()
        .map(|p| {
            let kind = match p.kind {
                PurKind::Invoice => "purchase_invoice",
                PurKind::CreditNote => "purchase_credit_note",
            };
            (format!("sellsy:{kind}:{}", p.id), p)
        })
        .collect();
    assert_eq!(pulled.documents.len(), expected.len());
    for doc in &pulled.documents {
        let p = &expected[&doc.key()];
        assert_eq!(doc.number, p.number);
        assert_eq!(doc.date, p.date);
        assert_eq!(doc.party.name, p.supplier);
        assert_eq!(
            doc.party.auxiliary_code.as_deref(),
            Some(p.supplier_aux.as_str())
        );
        assert_eq!(doc.totals.incl_tax, p.total_incl_tax, "{}", doc.number);
        assert_eq!(doc.totals.excl_tax, p.total_excl_tax, "{}", doc.number);
        let mut vat: Vec<(Decimal, Decimal)> =
            doc.taxes.iter().map(|t| (t.rate, t.amount)).collect();
        vat.sort();
        let mut want: Vec<(Decimal, Decimal)> = p
            .vat
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(r, v)| (r.normalize(), *v))
            .collect();
        want.sort();
        assert_eq!(vat, want, "{}", doc.number);
        assert_eq!(doc.pdf.is_some(), p.file != PurFile::None, "{}", doc.number);
    }
    // Three incoming documents are not purchases yet: listed (not documents), nothing else.
    let listed: Vec<_> = pulled
        .problems
        .iter()
        .filter(|p| p.subject.key().contains("incoming_document"))
        .collect();
    assert_eq!(listed.len(), 3, "{:#?}", pulled.problems);
    assert_eq!(pulled.problems.len(), 3, "{:#?}", pulled.problems);
    // The files: a PDF or an image, downloaded from the link the journal gives.
    let with_png = pulled
        .documents
        .iter()
        .find(|d| expected[&d.key()].file == PurFile::Png)
        .unwrap();
    let doc =
        app::usecases::map::doc_ref(with_png.source.kind, &with_png.source.source_id).unwrap();
    let file = c
        .linked_pdf(doc, &with_png.pdf.as_ref().unwrap().location)
        .await
        .unwrap()
        .unwrap();
    assert!(file.bytes.starts_with(b"\x89PNG"));
    assert_eq!(sim.violations(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_checks_the_scopes_purchases_need() {
    let sim = sim().await;
    let scopes: Vec<&str> = simulators::sellsy::ALL_SCOPES
        .iter()
        .copied()
        .filter(|s| *s != "ocr.read")
        .collect();
    sim.set_scopes(&scopes);
    let sales = SellsyClient::new(client_for(&sim)).unwrap();
    assert_eq!(
        sales.test_connection().await.unwrap().missing_scopes,
        Vec::<String>::new()
    );
    for scope in [Scope::Purchases, Scope::Both] {
        let c = SellsyClient::new(client_for(&sim).with_scope(scope)).unwrap();
        let report = c.test_connection().await.unwrap();
        assert_eq!(
            report.missing_scopes,
            vec!["ocr.read".to_string()],
            "{scope:?}"
        );
        assert!(!report.disabled[0].blocks_pull);
    }
    let mut no_journal = scopes.clone();
    no_journal.retain(|s| *s != "accounting-entry.read");
    sim.set_scopes(&no_journal);
    let c = SellsyClient::new(client_for(&sim).with_scope(Scope::Purchases)).unwrap();
    let report = c.test_connection().await.unwrap();
    assert!(
        report
            .missing_scopes
            .contains(&"accounting-entry.read".to_string())
    );
    let journal = report
        .disabled
        .iter()
        .find(|m| m.scope == "accounting-entry.read")
        .unwrap();
    assert!(journal.blocks_pull && journal.disables.contains("purchases"));
    // A purchases dossier is not asked for the sales scopes it does not use.
    let mut no_sales = ALL.to_vec();
    no_sales.retain(|s| !["invoices.read", "credit-notes.read"].contains(s));
    sim.set_scopes(&no_sales);
    let c = SellsyClient::new(client_for(&sim).with_scope(Scope::Purchases)).unwrap();
    assert_eq!(
        c.test_connection().await.unwrap().missing_scopes,
        Vec::<String>::new()
    );
}

const ALL: &[&str] = simulators::sellsy::ALL_SCOPES;

/// Issue 17: the same idempotency and change detection after booking as sales. A second night
/// over an unchanged account books nothing again; a purchase modified in Sellsy after it was
/// booked is reported and held, and the ledger never gets it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_modified_after_booking_is_detected_and_never_booked_twice() {
    let sim = sim().await;
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Purchases;
    cfg.start_date = d("2026-01-01");
    let client = SellsyClient::new(client_for(&sim).with_scope(Scope::Purchases)).unwrap();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock).with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let ledger = FakeLedger::new(0, 1);
    let one = One {
        cfg: cfg.clone(),
        source: &client,
        sink: &ledger,
    };
    let night = |run: &'static str| pipeline.pull(&cfg, &client, window(), Some(run));
    let first = night("night-1").await.unwrap();
    assert!(first.new > 20, "{first:?}");
    pipeline
        .run_until_idle(&one, Duration::from_millis(200), Duration::from_secs(120))
        .await
        .unwrap();
    let (booked, duplicates) = ledger.counts();
    assert!(booked > 20 && duplicates == 0, "{booked} booked");

    let second = night("night-2").await.unwrap();
    assert_eq!(
        (second.new, second.modified_after_copy),
        (0, 0),
        "{second:?}"
    );

    let prefix = "sellsy:purchase_invoice:";
    let pushed = store
        .query("DOC#acme", None, None, usize::MAX)
        .await
        .unwrap()
        .iter()
        .map(|r| DocumentRecord::from_record(r).unwrap())
        .find(|d| d.state == DocState::Pushed && d.key.starts_with(prefix))
        .expect("a booked purchase invoice");
    let id: u64 = pushed.key[prefix.len()..].parse().unwrap();
    assert!(sim.modify_purchase(PurKind::Invoice, id));
    let third = night("night-3").await.unwrap();
    assert_eq!(third.modified_after_copy, 1, "{third:?}");
    assert_eq!(third.new, 0, "{third:?}");
    pipeline
        .run_until_idle(&one, Duration::from_millis(200), Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(ledger.counts(), (booked, 0), "booked again after a change");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    sim.stop().await;
}

/// An incoming document that stays pending is told once in the log, not at every night (then
/// again when its state changes, or a week later while it lasts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lasting_incoming_document_is_told_once_not_every_night() {
    let sim = sim().await;
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Purchases;
    cfg.start_date = d("2026-01-01");
    let client = SellsyClient::new(client_for(&sim).with_scope(Scope::Purchases)).unwrap();
    let (store, blobs, queue) = (MemoryStore::new(), MemoryBlobs::new(), MemoryQueue::new());
    let pipeline = Pipeline::new(&store, &blobs, &queue, SystemClock);
    for night in ["night-1", "night-2", "night-3"] {
        pipeline
            .pull(&cfg, &client, window(), Some(night))
            .await
            .unwrap();
    }
    let messages: Vec<String> = store
        .query("LOG#acme", None, None, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.data["message"].as_str().unwrap_or_default().to_string())
        .filter(|m| m.starts_with("incoming document"))
        .collect();
    assert_eq!(messages.len(), 3, "each of the 3 told once: {messages:#?}");
    sim.stop().await;
}
