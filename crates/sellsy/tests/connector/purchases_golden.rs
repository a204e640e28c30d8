//! Issue 17, acceptance 3: the purchase of the spec's own examples (`purInvoiceOne`
//! F_INV-20250916-00002 of supplier SELLSY, `Ocr` total excluding tax 35.00, `AccountingJournal`
//! auxiliary code 0EX11C; fixture `purchases_journal_search.json`, checked against the spec by
//! `spec_conformance.rs`) pulled from a spec-checking mock and booked in both modes, line by line.

use std::sync::Arc;

use crate::common::mock::{Mock, Req};
use crate::common::world;
use app::ports::{PullMode, PullWindow, SourceApi};
use domain::auxcode::AuxCodes;
use domain::config::{Mode, Scope};
use domain::mapping::{Mapped, map_document, map_journal};
use domain::{DocumentKind, LedgerEntry};

fn september() -> PullWindow {
    PullWindow {
        from: "2025-09-01".parse().unwrap(),
        to: "2025-09-30".parse().unwrap(),
    }
}

/// (account, auxiliary code, label, debit, credit)
fn lines(e: &LedgerEntry) -> Vec<(String, String, String, String, String)> {
    e.lines()
        .iter()
        .map(|l| {
            (
                l.account.clone(),
                l.auxiliary
                    .as_ref()
                    .map(|a| a.code.clone())
                    .unwrap_or_default(),
                l.label.clone(),
                format!("{:.2}", l.debit),
                format!("{:.2}", l.credit),
            )
        })
        .collect()
}

fn row(a: &str, x: &str, l: &str, d: &str, c: &str) -> (String, String, String, String, String) {
    (a.into(), x.into(), l.into(), d.into(), c.into())
}

#[tokio::test]
async fn the_spec_example_purchase_books_as_expected_in_both_modes() {
    let mock = Mock::start(Arc::new(|r: &Req| world::answer(r))).await;
    let client = sellsy::SellsyClient::new(mock.config().with_scope(Scope::Purchases)).unwrap();
    let mut cfg = domain::testkit::example_config();
    cfg.scope = Scope::Purchases;
    cfg.start_date = "2025-01-01".parse().unwrap();

    // Mode documents: the dossier's accounts (401000 + the supplier's code, 445660 for 20 %),
    // its label option (the supplier's name on its line, the account's name on the expense).
    let pulled = client.pull(september(), PullMode::Documents).await.unwrap();
    assert_eq!(mock.refused(), Vec::<String>::new());
    assert_eq!(pulled.documents.len(), 2, "{:#?}", pulled.problems);
    let pending: Vec<_> = pulled.problems.iter().map(|p| p.reason.clone()).collect();
    assert_eq!(
        pending,
        vec!["scan-20250917.pdf (received by e-invoicing) is still pending in Sellsy: not booked"]
    );
    let invoice = &pulled.documents[0];
    assert_eq!(invoice.source.key(), "sellsy:purchase_invoice:33");
    assert_eq!(invoice.number, "F_INV-20250916-00002");
    assert_eq!(invoice.party.name, "SELLSY");
    assert_eq!(invoice.party.source_id, "234");
    assert_eq!(invoice.party.auxiliary_code.as_deref(), Some("0EX11C"));
    assert_eq!(invoice.subject, "Abonnement septembre");
    assert_eq!(
        invoice.pdf.as_ref().unwrap().location,
        "https://file.sellsy.com/?id=pur33&key=5f2b9c&display=Y"
    );
    let credit = &pulled.documents[1];
    assert_eq!(credit.source.kind, DocumentKind::PurchaseCreditNote);
    assert!(credit.pdf.is_none());

    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let entry = match map_document(invoice, &cfg, &mut aux).unwrap() {
        Mapped::Entry(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(entry.journal_code, "HA");
    assert_eq!(entry.piece_ref, "F_INV-20250916-00002");
    assert_eq!(entry.date.to_string(), "2025-09-16");
    assert_eq!(entry.label, "Facture F_INV-20250916-00002 - SELLSY");
    assert_eq!(
        lines(&entry),
        vec![
            row("401000", "EX11C", "SELLSY", "0.00", "42.00"),
            row(
                "604000",
                "",
                "Achats d'études et prestations de services",
                "35.00",
                "0.00"
            ),
            row("445660", "", "TVA 20 %", "7.00", "0.00"),
        ]
    );
    // Without its file (sync_without_pdf = false), the credit note is held, not booked.
    assert!(matches!(
        map_document(credit, &cfg, &mut aux).unwrap(),
        Mapped::NotBooked(r) if r.is_hold()
    ));
    let mut with_file = cfg.clone();
    with_file.sync_without_pdf = true;
    let entry = match map_document(credit, &with_file, &mut aux).unwrap() {
        Mapped::Entry(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        lines(&entry),
        vec![
            row("401000", "EX11C", "SELLSY", "12.00", "0.00"),
            row(
                "604000",
                "",
                "Achats d'études et prestations de services",
                "0.00",
                "10.00"
            ),
            row("445660", "", "TVA 20 %", "0.00", "2.00"),
        ]
    );

    // Mode journal: Sellsy's lines as they are (445662), journal code from "PURCHASES".
    cfg.mode = Mode::Journal;
    let pulled = client.pull(september(), PullMode::Journal).await.unwrap();
    assert_eq!(pulled.journal.len(), 6);
    // A dossier has one mode: its own registry of auxiliary codes (mode journal keys a party
    // by its Sellsy code, mode documents by its Sellsy id).
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let entries = map_journal(&pulled.journal, &cfg, &mut aux);
    let entry = entries[0].1.as_ref().unwrap();
    assert_eq!(entry.journal_code, "PURC");
    assert_eq!(
        lines(entry),
        vec![
            // Sellsy's 0EX11C starts with a digit: the auxiliary-code rule makes it EX11C
            // (issue 14, defect 5), in mode journal too.
            row(
                "401000",
                "EX11C",
                "Facture fournisseur n°F_INV-20250916-00002 - SELLSY",
                "0.00",
                "42.00"
            ),
            row(
                "604000",
                "",
                "Facture fournisseur n°F_INV-20250916-00002 - SELLSY",
                "35.00",
                "0.00"
            ),
            row(
                "445662",
                "",
                "Facture fournisseur n°F_INV-20250916-00002 - SELLSY",
                "7.00",
                "0.00"
            ),
        ]
    );
    assert_eq!(mock.refused(), Vec::<String>::new());
}
