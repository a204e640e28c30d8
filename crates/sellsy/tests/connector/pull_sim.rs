//! Pulls against the simulator: every finalized document of the window exactly once, drafts
//! never, amounts as generated, zero 429s when pacing works, and every exchange conformant to
//! the spec (the simulator validates requests and its own answers).

use std::collections::{BTreeMap, HashSet};

use crate::common::*;
use app::ports::{DocRef, DocRefKind, PullMode, PullWindow, SourceApi};
use domain::{DocumentKind, DocumentStatus, PartyKind, RowKind, Side};
use rust_decimal::Decimal;
use simulators::sellsy::{Kind, Sim, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_returns_each_finalized_document_of_the_window_exactly_once() {
    let sim = Sim::start(SimConfig {
        invoices: 150,
        credit_notes: 40,
        ..fast_sim()
    })
    .await
    .unwrap();
    let c = client(&sim);
    let window = PullWindow {
        from: d("2026-02-01"),
        to: d("2026-02-28"),
    };
    let pulled = c.pull(window, PullMode::Documents).await.unwrap();
    // The simulator's documents are complete and coherent: nothing is held, nothing to warn.
    assert_eq!(pulled.problems, vec![]);
    assert_eq!(pulled.warnings, vec![]);

    let expect = |k: Kind| -> BTreeMap<u64, simulators::sellsy::DocSummary> {
        sim.documents(k)
            .into_iter()
            .filter(|x| x.status != "draft" && window.contains(x.date))
            .map(|x| (x.id, x))
            .collect()
    };
    let (inv, cn) = (expect(Kind::Invoice), expect(Kind::CreditNote));
    assert!(
        inv.len() > 30 && cn.len() > 5,
        "dataset too small: {} {}",
        inv.len(),
        cn.len()
    );

    let mut seen = HashSet::new();
    for doc in &pulled.documents {
        assert!(seen.insert(doc.key()), "{} twice", doc.key());
        let id: u64 = doc.source.source_id.parse().unwrap();
        let s = match doc.source.kind {
            DocumentKind::SalesInvoice => &inv[&id],
            DocumentKind::SalesCreditNote => &cn[&id],
            k => panic!("unexpected kind {k:?}"),
        };
        assert_eq!(doc.number, s.number);
        assert_eq!(doc.date, s.date);
        assert_ne!(doc.status, DocumentStatus::Draft);
        assert_eq!(doc.totals.excl_tax, s.total_excl_tax, "{}", doc.number);
        assert_eq!(doc.totals.incl_tax, s.total_incl_tax, "{}", doc.number);
        // Per-rate VAT and totals are consistent.
        let vat: Decimal = doc.taxes.iter().map(|t| t.amount).sum();
        assert_eq!(
            doc.totals.excl_tax + vat,
            doc.totals.incl_tax,
            "{}",
            doc.number
        );
        let rates: Vec<Decimal> = doc.taxes.iter().map(|t| t.rate).collect();
        assert_eq!(rates, s.vat_rates);
        // Rows: money rows sum to the total before the document discount.
        let rows: Decimal = doc
            .rows
            .iter()
            .filter(|r| r.kind.carries_money() && !r.optional)
            .map(|r| r.amount_excl_tax)
            .sum();
        assert_eq!(
            rows - doc.discount_excl_tax,
            doc.totals.excl_tax,
            "{}",
            doc.number
        );
        for r in doc.rows.iter().filter(|r| r.kind.carries_money()) {
            assert!(
                r.account.as_deref().is_some_and(|a| a.starts_with('7')),
                "{r:?}"
            );
        }
        assert!(!doc.party.name.is_empty());
        if doc.party.kind == PartyKind::Company {
            assert_eq!(doc.party.siren.as_ref().unwrap().len(), 9);
            assert_eq!(doc.party.siret.as_ref().unwrap().len(), 14);
            assert!(doc.party.vat_number.as_ref().unwrap().starts_with("FR"));
        }
        assert!(doc.party.auxiliary_code.is_some());
        assert!(doc.pdf.is_some());
        if doc.source.kind == DocumentKind::SalesCreditNote {
            let linked = s.linked_invoice.unwrap();
            let number = sim
                .documents(Kind::Invoice)
                .into_iter()
                .find(|i| i.id == linked)
                .unwrap()
                .number;
            assert_eq!(doc.linked_invoice.as_deref(), Some(number.as_str()));
        }
    }
    assert_eq!(
        pulled
            .documents
            .iter()
            .filter(|x| x.source.kind == DocumentKind::SalesInvoice)
            .count(),
        inv.len()
    );
    assert_eq!(
        pulled
            .documents
            .iter()
            .filter(|x| x.source.kind == DocumentKind::SalesCreditNote)
            .count(),
        cn.len()
    );

    // Every VAT rate shows up, French names included.
    let rates: HashSet<String> = pulled
        .documents
        .iter()
        .flat_map(|x| x.taxes.iter().map(|t| t.rate.normalize().to_string()))
        .collect();
    for r in ["20", "10", "5.5", "2.1", "0"] {
        assert!(rates.contains(r), "rate {r} missing: {rates:?}");
    }
    assert!(
        pulled
            .documents
            .iter()
            .any(|x| x.party.kind == PartyKind::Individual)
    );
    assert!(
        pulled
            .documents
            .iter()
            .any(|x| !x.discount_excl_tax.is_zero())
    );

    // The simulator served each document once, never a draft, and saw no 429.
    let stats = sim.stats();
    for ((kind, id), n) in &stats.doc_gets {
        assert_eq!(*n, 1, "{kind:?} {id} fetched {n} times");
        let exp = if *kind == Kind::Invoice { &inv } else { &cn };
        assert!(
            exp.contains_key(id),
            "{kind:?} {id} fetched but not in the window or a draft"
        );
    }
    assert_eq!(stats.doc_gets.len(), inv.len() + cn.len());
    assert_eq!(stats.throttled, 0);
    assert_eq!(pulled.stats.throttled_429, 0);
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_run_under_tight_quotas_gets_no_429() {
    // Small dataset and Sellsy's real quotas (5/s, 150/min): the per-second window binds. The
    // client reads the limits from GET /quotas and paces itself. (The per-minute window is
    // exercised by the `sellsy-bench` example: crossing it takes minutes of real time.)
    let sim = Sim::start(SimConfig {
        invoices: 30,
        credit_notes: 6,
        per_second: 5,
        per_minute: 150,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let mut cfg = client_for(&sim);
    cfg.pacing.per_second = 100; // wrong on purpose: GET /quotas must correct it
    cfg.pacing.per_minute = 1000;
    let c = sellsy::SellsyClient::new(cfg).unwrap();
    let window = PullWindow {
        from: d("2026-01-01"),
        to: d("2026-03-31"),
    };
    let t0 = std::time::Instant::now();
    let pulled = c.pull(window, PullMode::Documents).await.unwrap();
    eprintln!("pull took {:?}", t0.elapsed());
    assert_eq!(c.pacing_limits(), (5, 150));
    let stats = sim.stats();
    assert_eq!(stats.throttled, 0, "{stats:?}");
    assert_eq!(pulled.stats.throttled_429, 0);
    assert!(
        stats.api_requests > 40,
        "{} requests: too few to test the pacing",
        stats.api_requests
    );
    assert!(stats.doc_gets.values().all(|n| *n == 1));
    let expected = sim
        .documents(Kind::Invoice)
        .iter()
        .chain(sim.documents(Kind::CreditNote).iter())
        .filter(|x| x.status != "draft")
        .count();
    assert_eq!(pulled.documents.len(), expected);
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_mode_returns_balanced_sales_journal_lines_including_exported_ones() {
    let sim = Sim::start(SimConfig {
        invoices: 80,
        credit_notes: 15,
        ..fast_sim()
    })
    .await
    .unwrap();
    let c = client(&sim);
    let window = PullWindow {
        from: d("2026-01-01"),
        to: d("2026-01-31"),
    };
    let pulled = c.pull(window, PullMode::Journal).await.unwrap();
    assert!(!pulled.journal.is_empty());
    let mut by_doc: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for l in &pulled.journal {
        assert!(window.contains(l.date));
        assert_eq!(l.currency, "EUR");
        let e = by_doc.entry(l.document.key()).or_default();
        match l.side {
            Side::Debit => e.0 += l.amount,
            Side::Credit => e.1 += l.amount,
        }
    }
    for (k, (dr, cr)) in &by_doc {
        assert_eq!(dr, cr, "{k} unbalanced");
    }
    // Lines of every document of the window, exported ones included.
    let docs: HashSet<String> = pulled.documents.iter().map(|x| x.key()).collect();
    let journal_docs: HashSet<String> = by_doc.keys().cloned().collect();
    assert_eq!(docs, journal_docs);
    // The third-party line carries the auxiliary code and the TTC amount.
    for doc in &pulled.documents {
        let line = pulled
            .journal
            .iter()
            .find(|l| l.document.key() == doc.key() && l.account == "411000")
            .unwrap();
        assert_eq!(line.amount, doc.totals.incl_tax);
        assert_eq!(line.auxiliary_code, doc.party.auxiliary_code);
        let expected_side = if doc.source.kind == DocumentKind::SalesInvoice {
            Side::Debit
        } else {
            Side::Credit
        };
        assert_eq!(line.side, expected_side);
    }
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_rereads_one_document_and_skips_drafts() {
    let sim = Sim::start(SimConfig {
        draft_share: 0.3,
        ..fast_sim()
    })
    .await
    .unwrap();
    let c = client(&sim);
    let docs = sim.documents(Kind::Invoice);
    let fin = docs.iter().find(|x| x.status != "draft").unwrap();
    let draft = docs.iter().find(|x| x.status == "draft").unwrap();
    let got = c
        .fetch(DocRef {
            kind: DocRefKind::Invoice,
            id: fin.id,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.number, fin.number);
    assert!(got.rows.iter().any(|r| r.kind != RowKind::Comment));
    assert!(
        c.fetch(DocRef {
            kind: DocRefKind::Invoice,
            id: draft.id
        })
        .await
        .unwrap()
        .is_none()
    );
    assert!(
        c.fetch(DocRef {
            kind: DocRefKind::Invoice,
            id: 999_999_999
        })
        .await
        .unwrap()
        .is_none()
    );
    // After "modify after copy" the re-read document differs.
    assert!(sim.modify_document(Kind::Invoice, fin.id));
    let again = c
        .fetch(DocRef {
            kind: DocRefKind::Invoice,
            id: fin.id,
        })
        .await
        .unwrap()
        .unwrap();
    assert_ne!(again.totals, got.totals);
    assert!(again.subject.ends_with("(modifié)"));
    assert_ne!(
        again.pdf, got.pdf,
        "Sellsy regenerates the PDF link after an edit"
    );
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}
