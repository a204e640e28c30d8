//! Issue 13, acceptance 2: one test per answer the official spec allows that used to cost a
//! dossier its whole night. Each starts from the spec-checked fixture account
//! (`crate::common::world`), changes one answer as the spec permits, and checks that the pull goes on
//! and that no request the client made is refused by the spec.

use std::sync::Arc;

use crate::common::mock::{Answer, Mock, Req};
use crate::common::world::{self, november};
use app::ports::{PullMode, SourceApi};
use serde_json::{Value, json};

async fn mock(f: impl Fn(&Req) -> Option<Answer> + Send + Sync + 'static) -> Mock {
    Mock::start(Arc::new(move |r: &Req| {
        f(r).unwrap_or_else(|| world::answer(r))
    }))
    .await
}

fn assert_spec_clean(m: &Mock) {
    assert_eq!(
        m.refused(),
        Vec::<String>::new(),
        "requests the spec refuses"
    );
}

/// Spec example of `GET /accounting-codes`: `"code": 411000`, a number where the schema says
/// string. The code must be read as its digits and still resolve the rows' accounts.
#[tokio::test]
async fn a_number_typed_accounting_code_is_read_as_its_digits() {
    let m = mock(|r| {
        (r.path == "/accounting-codes").then(|| {
            let mut v = world::fixture("accounting_codes");
            v["data"][0]["code"] = json!(706000);
            v["data"][1]["code"] = json!(707000);
            Answer::ok(v)
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    let inv = pulled
        .documents
        .iter()
        .find(|d| d.source.source_id == "4711")
        .expect("invoice 4711 pulled");
    let accounts: Vec<Option<&str>> = inv.rows.iter().map(|r| r.account.as_deref()).collect();
    assert_eq!(accounts, vec![Some("706000"), Some("707000")]);
    assert_spec_clean(&m);
    m.stop().await;
}

/// `AccountingJournal.document` is nullable: a line without one must not fail the night, and
/// the other lines (and documents) still come back.
#[tokio::test]
async fn a_journal_line_whose_document_is_null_does_not_fail_the_night() {
    let m = mock(|r| {
        (r.path == "/accounting-journal/sells/search").then(|| {
            let mut v = world::fixture("journal_search");
            let mut orphan = v["data"][1].clone();
            orphan["id"] = json!(99);
            orphan["document"] = Value::Null;
            orphan["documents"] = Value::Null;
            orphan["related"] = json!([]);
            v["data"].as_array_mut().unwrap().push(orphan);
            v["pagination"]["count"] = json!(6);
            v["pagination"]["total"] = json!(6);
            Answer::ok(v)
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Journal)
        .await
        .unwrap();
    assert_eq!(pulled.documents.len(), 3);
    let ids: Vec<&str> = pulled.journal.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, vec!["1", "2", "3", "4", "5"]);
    assert_spec_clean(&m);
    m.stop().await;
}

/// A journal line with no `document` but an invoice in `related[]` (both allowed by the spec)
/// is attached to that invoice.
#[tokio::test]
async fn a_journal_line_without_document_is_attached_through_related() {
    let m = mock(|r| {
        (r.path == "/accounting-journal/sells/search").then(|| {
            let mut v = world::fixture("journal_search");
            v["data"][2]["document"] = Value::Null;
            v["data"][2]["documents"] = Value::Null;
            Answer::ok(v)
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Journal)
        .await
        .unwrap();
    let l = pulled.journal.iter().find(|l| l.id == "3").unwrap();
    assert_eq!(l.document.source_id, "4711");
    assert_eq!(l.document.kind, domain::DocumentKind::SalesInvoice);
    m.stop().await;
}

/// Rates as numbers of any precision (`/taxes/accounting-codes` `rate` is a JSON number:
/// `1e-39` is one) and as strings with more decimals than a `Decimal` holds (28).
#[tokio::test]
async fn a_high_precision_rate_is_rounded_not_fatal() {
    let m = mock(|r| match r.path.as_str() {
        "/taxes/accounting-codes" => {
            let mut v = world::fixture("taxes_accounting_codes");
            v["data"][0]["rate"] = serde_json::from_str("1.5e-39").unwrap();
            v["data"][1]["rate"] = serde_json::from_str("1.0e30").unwrap();
            Some(Answer::ok(v))
        }
        "/invoices/4711" => {
            let mut v = world::invoice(4711);
            v["taxes"][0]["rate"] = json!("20.00000000000000000000000000000000000001");
            v["rows"][0]["tax_rate"] = json!("20.000000000000000000000000000000000000004");
            Some(Answer::ok(v))
        }
        _ => None,
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    let inv = pulled
        .documents
        .iter()
        .find(|d| d.source.source_id == "4711")
        .expect("invoice 4711 pulled");
    assert_eq!(inv.taxes[0].rate.normalize().to_string(), "20");
    assert_eq!(inv.rows[0].tax_rate.normalize().to_string(), "20");
    assert_spec_clean(&m);
    m.stop().await;
}

/// `/settings/accounting-charts`: integers without a minimum in the spec may be negative.
#[tokio::test]
async fn negative_integers_in_the_accounting_settings_are_accepted() {
    let m = mock(|r| {
        (r.path == "/settings/accounting-charts").then(|| {
            let mut v = world::fixture("accounting_charts");
            v["accounting_code_length"] = json!(-6);
            v["default_codes"]["thirds"] = json!(-12345);
            v["discount"]["sell_discount_code_id"] = json!(-1);
            Answer::ok(v)
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    assert_eq!(pulled.documents.len(), 3);
    m.stop().await;
}

/// Optional fields left out (the spec requires none of these): the embedded company without
/// `id`, a `related[]` item without `type`, an accounting code without `id`.
#[tokio::test]
async fn missing_optional_fields_do_not_fail_a_document() {
    let m = mock(|r| match r.path.as_str() {
        "/invoices/4711" => {
            let mut v = world::invoice(4711);
            v["_embed"]["company"].as_object_mut().unwrap().remove("id");
            v["related"][1].as_object_mut().unwrap().remove("type");
            v.as_object_mut().unwrap().remove("subject");
            Some(Answer::ok(v))
        }
        "/accounting-codes" => {
            let mut v = world::fixture("accounting_codes");
            v["data"][2].as_object_mut().unwrap().remove("id");
            Some(Answer::ok(v))
        }
        _ => None,
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    let inv = pulled
        .documents
        .iter()
        .find(|d| d.source.source_id == "4711")
        .expect("invoice 4711 pulled");
    // The customer's id comes from related[] when the embed has none.
    assert_eq!(inv.party.source_id, "5783612");
    assert_eq!(inv.party.auxiliary_code.as_deref(), Some("0DUPONT"));
    assert_eq!(inv.subject, "");
    assert_spec_clean(&m);
    m.stop().await;
}

/// `GET /quotas` needs `accounts.read`; without it the pull keeps the default quotas.
#[tokio::test]
async fn quotas_without_the_accounts_scope_fall_back_to_default_quotas() {
    let m = mock(|r| {
        (r.path == "/quotas").then(|| {
            Answer::error(
                403,
                "Vous n'avez pas les droits nécessaires pour accéder à cette ressource",
            )
        })
    })
    .await;
    let c = m.client();
    let pulled = c.pull(november(), PullMode::Documents).await.unwrap();
    assert_eq!(pulled.documents.len(), 3);
    assert_eq!(
        c.pacing_limits(),
        (100_000, 1_000_000),
        "default pacing kept"
    );
    assert_spec_clean(&m);
    m.stop().await;
}

/// A page shorter than the limit is not the end while `pagination.total` says more is coming
/// (Sellsy's seek cursor in `pagination.offset`).
#[tokio::test]
async fn a_short_page_with_more_to_come_is_not_the_end() {
    let m = mock(|r| {
        (r.path == "/invoices/search").then(|| {
            let all = world::fixture("invoices_search")["data"].clone();
            let v = match r.q("offset") {
                None => world::page(vec![all[0].clone()], 2, "WyIxIl0="),
                Some("WyIxIl0=") => world::page(vec![all[1].clone()], 2, "WyIyIl0="),
                Some(_) => world::page(vec![], 2, "WyIyIl0="),
            };
            Answer::ok(v)
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    let mut ids: Vec<&str> = pulled
        .documents
        .iter()
        .filter(|d| d.source.kind == domain::DocumentKind::SalesInvoice)
        .map(|d| d.source.source_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["4711", "4712"]);
    assert_spec_clean(&m);
    m.stop().await;
}

/// `test-connection` lists every missing scope with what it disables, and whether a pull
/// fails without it, instead of stopping at the first refusal.
#[tokio::test]
async fn test_connection_lists_every_missing_scope_and_what_it_disables() {
    let m = mock(|r| {
        let refused = matches!(
            r.path.as_str(),
            "/quotas" | "/accounting-codes" | "/companies" | "/credit-notes/search"
        );
        refused.then(|| Answer::error(403, "Accès refusé"))
    })
    .await;
    let report = m.client().test_connection().await.unwrap();
    assert_eq!(
        report.missing_scopes,
        vec![
            "accounts.read",
            "credit-notes.read",
            "companies.read",
            "accounting-codes.read"
        ]
    );
    let what: Vec<(&str, bool, &str)> = report
        .disabled
        .iter()
        .map(|d| (d.scope.as_str(), d.blocks_pull, d.disables.as_str()))
        .collect();
    assert_eq!(what.len(), 4);
    assert!(
        what[0].2.contains("default quotas") && !what[0].1,
        "{what:?}"
    );
    assert!(
        what[1].2.contains("every pull fails") && what[1].1,
        "{what:?}"
    );
    assert!(
        what[2].2.contains("auxiliary code") && !what[2].1,
        "{what:?}"
    );
    assert!(what[3].2.contains("held") && !what[3].1, "{what:?}");
    assert_spec_clean(&m);
    m.stop().await;
}

/// Without `accounting-codes.read` the chart of accounts is unknown: the pull goes on, only
/// the documents whose rows name an account are held, with the reason.
#[tokio::test]
async fn an_unreadable_chart_of_accounts_holds_only_the_documents_that_need_it() {
    let m = mock(|r| match r.path.as_str() {
        "/accounting-codes" => Some(Answer::error(403, "Accès refusé")),
        "/invoices/4712" => {
            // This one names no account: the dossier's default accounts apply.
            let mut v = world::invoice(4712);
            for row in v["rows"].as_array_mut().unwrap() {
                row.as_object_mut().unwrap().remove("accounting_code_id");
            }
            Some(Answer::ok(v))
        }
        _ => None,
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    let ids: Vec<&str> = pulled
        .documents
        .iter()
        .map(|d| d.source.source_id.as_str())
        .collect();
    assert_eq!(ids, vec!["4712"]);
    let held: Vec<(String, &str)> = pulled
        .problems
        .iter()
        .map(|p| (p.subject.key(), p.reason.as_str()))
        .collect();
    assert_eq!(held.len(), 2, "{held:#?}");
    assert_eq!(held[0].0, "sellsy:sales_invoice:4711");
    assert!(
        held[0].1.contains(
            "accounting code id 7576 is unknown: the chart of accounts could not be read"
        ),
        "{held:#?}"
    );
    assert_eq!(held[1].0, "sellsy:sales_credit_note:812");
    assert!(
        pulled
            .problems
            .iter()
            .all(|p| p.action.contains("accounting-codes.read"))
    );
    assert!(
        pulled
            .warnings
            .iter()
            .any(|w| w.subject == "GET /accounting-codes")
    );
    m.stop().await;
}

/// An answer that keeps saying "more" with the same page ends the listing with a warning
/// instead of looping (here the cursor never moves).
#[tokio::test]
async fn a_listing_that_does_not_move_ends_with_a_warning() {
    let m = mock(|r| {
        (r.path == "/invoices/search").then(|| {
            let all = world::fixture("invoices_search")["data"].clone();
            Answer::ok(world::page(vec![all[0].clone()], 50, "WyIxIl0="))
        })
    })
    .await;
    let pulled = m
        .client()
        .pull(november(), PullMode::Documents)
        .await
        .unwrap();
    assert!(
        pulled
            .documents
            .iter()
            .any(|d| d.source.source_id == "4711")
    );
    let w = pulled
        .warnings
        .iter()
        .find(|w| w.subject == "POST /invoices/search")
        .expect("a warning about the listing");
    assert!(
        w.message.contains("stopped after 1 of 50 items"),
        "{}",
        w.message
    );
    let searches = m
        .requests()
        .iter()
        .filter(|r| r.path == "/invoices/search")
        .count();
    assert_eq!(searches, 2);
    m.stop().await;
}

/// `sync --dry-run --json`: every pulled document with its fate. The JSON printed here is the
/// README's example.
#[tokio::test]
async fn a_dry_run_explains_every_document() {
    let m = crate::common::mock::Mock::start_with(|base| {
        Arc::new(move |r: &Req| match r.path.as_str() {
            "/invoices/4711" => {
                let mut v = world::invoice(4711);
                v["pdf_link"] = json!(format!("{base}/files/4711.pdf"));
                Answer::ok(v)
            }
            "/invoices/4712" => {
                let mut v = world::invoice(4712);
                v.as_object_mut().unwrap().remove("amounts");
                Answer::ok(v)
            }
            "/credit-notes/812" => {
                let mut v = world::fixture("credit_note_one");
                v["subject"] = json!("Garantie : remplacement de la pièce");
                v["pdf_link"] = json!(format!("{base}/files/812.pdf"));
                Answer::ok(v)
            }
            _ => world::answer(r),
        })
    })
    .await;
    let cfg = domain::testkit::example_config();
    let dry = app::usecases::dry_run::dry_run(&cfg, &m.client(), november())
        .await
        .unwrap();
    println!("{}", serde_json::to_string_pretty(&dry).unwrap());
    use app::usecases::dry_run::Fate;
    let fates: Vec<(&str, &Fate)> = dry
        .documents
        .iter()
        .map(|d| (d.key.as_str(), &d.fate))
        .collect();
    assert!(
        matches!(
            fates[0],
            ("sellsy:sales_credit_note:812", Fate::Skipped { .. })
        ),
        "{fates:#?}"
    );
    assert!(
        matches!(
            fates[1],
            ("sellsy:sales_invoice:4711", Fate::WouldBeBooked { .. })
        ),
        "{fates:#?}"
    );
    match fates[2] {
        ("sellsy:sales_invoice:4712", Fate::Held { reason, action }) => {
            assert_eq!(reason, "Sellsy sent it without its amounts");
            assert!(action.contains("Sellsy"));
        }
        other => panic!("{other:?}"),
    }
    assert_spec_clean(&m);
    m.stop().await;
}
