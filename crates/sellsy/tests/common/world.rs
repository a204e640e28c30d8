//! A small Sellsy account built from the spec-checked fixtures (`tests/fixtures`, each
//! validated against the official spec by `spec_conformance.rs`): invoices 4711 and 4712 and
//! credit note 812 of November 2026, their reference data and sales-journal lines. Tests
//! change one answer and keep the others.

use std::path::PathBuf;

use serde_json::Value;

use super::mock::{Answer, Req};

pub fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.json"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    v["response"]["body"].clone()
}

/// The window the fixtures' documents are dated in.
pub fn november() -> app::ports::PullWindow {
    app::ports::PullWindow {
        from: "2026-11-01".parse().unwrap(),
        to: "2026-11-30".parse().unwrap(),
    }
}

/// `GET /invoices/{id}`: the fixture invoice, renumbered for ids other than 4711.
pub fn invoice(id: u64) -> Value {
    let mut v = fixture("invoice_one");
    if id != 4711 {
        v["id"] = id.into();
        v["number"] = format!("FACT-2026-{id:05}").into();
        v["date"] = "2026-11-21".into();
    }
    v
}

/// The default answer of the fixture account.
pub fn answer(r: &Req) -> Answer {
    let segs: Vec<&str> = r.path.trim_matches('/').split('/').collect();
    let v = match (r.method.as_str(), segs.as_slice()) {
        ("GET", ["quotas"]) => fixture("quotas"),
        ("GET", ["accounting-codes"]) => fixture("accounting_codes"),
        ("GET", ["taxes", "accounting-codes"]) => fixture("taxes_accounting_codes"),
        ("GET", ["settings", "accounting-charts"]) => fixture("accounting_charts"),
        ("POST", ["invoices", "search"]) => fixture("invoices_search"),
        ("POST", ["credit-notes", "search"]) => fixture("credit_notes_search"),
        ("POST", ["accounting-journal", "sells", "search"]) => fixture("journal_search"),
        ("POST", ["accounting-journal", "purchases", "search"]) => {
            fixture("purchases_journal_search")
        }
        ("POST", ["ocr", "pur-invoice", "search"]) => fixture("ocr_pur_invoice_search"),
        ("GET", ["credit-notes", "812"]) => fixture("credit_note_one"),
        ("GET", ["credit-notes", "812", "invoices"]) => fixture("credit_note_invoices"),
        ("GET", ["invoices", id]) if id.parse::<u64>().is_ok() => invoice(id.parse().unwrap()),
        ("GET", ["files", ..]) => {
            return Answer::Bytes(
                200,
                "application/pdf",
                b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec(),
            );
        }
        _ => return Answer::error(404, "Ressource introuvable"),
    };
    Answer::ok(v)
}

/// A page answer with the given items, total and cursor.
pub fn page(items: Vec<Value>, total: u64, offset: &str) -> Value {
    serde_json::json!({
        "pagination": { "limit": 100, "count": items.len(), "total": total, "offset": offset },
        "data": items,
    })
}
