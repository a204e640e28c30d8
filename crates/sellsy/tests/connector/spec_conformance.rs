//! Acceptance 1: fixtures (requests and responses) validate against the official Sellsy spec
//! (vendored in `crates/sellsy/spec/`), the client parses each of them, and renaming a field in
//! a fixture makes validation fail.

use std::path::PathBuf;

use app::ports::DocRefKind;
use sellsy::{convert, wire};
use serde_json::{Value, json};
use simulators::sellsy::spec::spec;

struct Fixture {
    name: String,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    status: u16,
    response: Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let req = &v["request"];
        out.push(Fixture {
            name: p.file_stem().unwrap().to_string_lossy().into_owned(),
            method: req["method"].as_str().unwrap().to_string(),
            path: req["path"].as_str().unwrap().to_string(),
            query: req["query"]
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| {
                    (
                        kv[0].as_str().unwrap().to_string(),
                        kv[1].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            body: Some(req["body"].clone()).filter(|b| !b.is_null()),
            status: v["response"]["status"].as_u64().unwrap() as u16,
            response: v["response"]["body"].clone(),
        });
    }
    assert!(out.len() >= 15, "fixtures missing");
    out
}

/// Decodes a 2xx fixture with the wire type the client uses for that operation, and converts
/// documents and journal lines to domain types.
fn parse_like_the_client(f: &Fixture) -> Result<(), String> {
    let (op, _) = spec().find(&f.method, &f.path).ok_or("no operation")?;
    let e = |e: serde_json::Error| e.to_string();
    // The chart of accounts of `accounting_codes.json`, which the document fixtures name.
    let mut refs = convert::Refs::default();
    refs.codes.extend([
        (7576, "706000".to_string()),
        (7577, "707000".into()),
        (12345, "411000".into()),
    ]);
    match (op.method.as_str(), op.path.as_str()) {
        ("GET", "/invoices/{id}") | ("GET", "/credit-notes/{id}") => {
            let d: wire::Document = serde_json::from_value(f.response.clone()).map_err(e)?;
            let kind = if op.path.starts_with("/invoices") {
                DocRefKind::Invoice
            } else {
                DocRefKind::CreditNote
            };
            let id = d.id.unwrap() as u64;
            let mut notes = convert::Notes::default();
            let doc = convert::document(kind, id, &d, &refs, None, "sellsy", &mut notes)
                .map_err(|u| u.reason)?;
            assert!(!doc.rows.is_empty());
        }
        ("POST", "/invoices/search")
        | ("POST", "/credit-notes/search")
        | ("GET", "/credit-notes/{id}/invoices") => {
            let p: wire::Page<wire::Document> =
                serde_json::from_value(f.response.clone()).map_err(e)?;
            assert!(!p.data.is_empty());
        }
        ("POST", "/accounting-journal/{type}/search") => {
            let p: wire::Page<Value> = serde_json::from_value(f.response.clone()).map_err(e)?;
            for raw in &p.data {
                let l: wire::JournalLine = serde_json::from_value(raw.clone()).map_err(e)?;
                let (kind, id, number) = wire::line_document(raw).ok_or("no document")?;
                let document = domain::SourceRef {
                    source: "sellsy".into(),
                    kind: convert::document_kind(&kind).ok_or("document kind")?,
                    source_id: id.to_string(),
                };
                let mut notes = convert::Notes::default();
                let line_id = l.id.unwrap().to_string();
                convert::journal_line(&l, line_id, document, number, &mut notes)?;
            }
        }
        ("POST", "/ocr/pur-invoice/search") => {
            let p: wire::Page<wire::Ocr> = serde_json::from_value(f.response.clone()).map_err(e)?;
            assert!(
                p.data
                    .iter()
                    .any(|o| o.state.as_deref() == Some("completed"))
            );
        }
        ("GET", "/accounting-codes") => {
            serde_json::from_value::<wire::Page<wire::AccountingCode>>(f.response.clone())
                .map_err(e)?;
        }
        ("GET", "/taxes/accounting-codes") => {
            serde_json::from_value::<wire::Page<wire::TaxCodes>>(f.response.clone()).map_err(e)?;
        }
        ("GET", "/settings/accounting-charts") => {
            serde_json::from_value::<wire::AccountingCharts>(f.response.clone()).map_err(e)?;
        }
        ("GET", "/quotas") => {
            serde_json::from_value::<wire::Quotas>(f.response.clone()).map_err(e)?;
        }
        other => return Err(format!("no parser for {other:?}")),
    }
    Ok(())
}

#[test]
fn every_fixture_request_and_response_follows_the_spec_and_parses() {
    assert_eq!(spec().version(), "2.264.0");
    for f in fixtures() {
        spec()
            .check_request(&f.method, &f.path, &f.query, f.body.as_ref())
            .unwrap_or_else(|e| panic!("{}: request: {e:?}", f.name));
        spec()
            .check_response(&f.method, &f.path, f.status, Some(&f.response))
            .unwrap_or_else(|e| panic!("{}: response: {e:?}", f.name));
        if f.status < 300 {
            parse_like_the_client(&f).unwrap_or_else(|e| panic!("{}: client parse: {e}", f.name));
        }
    }
}

fn key_paths(v: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = prefix.clone();
                p.push(json!(k));
                out.push(p.clone());
                key_paths(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(json!(i));
                key_paths(x, p, out);
            }
        }
        _ => {}
    }
}

fn rename_at(v: &mut Value, path: &[Value]) {
    let (last, parents) = path.split_last().unwrap();
    let mut cur = v;
    for p in parents {
        cur = match p {
            Value::String(k) => cur.get_mut(k.as_str()).unwrap(),
            Value::Number(i) => cur.get_mut(i.as_u64().unwrap() as usize).unwrap(),
            _ => unreachable!(),
        };
    }
    let o = cur.as_object_mut().unwrap();
    let k = last.as_str().unwrap();
    let x = o.remove(k).unwrap();
    o.insert(format!("{k}_renamed"), x);
}

#[test]
fn renaming_a_required_field_in_a_fixture_fails_validation() {
    // The spec marks `pagination` and `data` required on list answers and `filters` on search
    // bodies: renaming them must fail.
    let fx = fixtures();
    let search = fx.iter().find(|f| f.name == "invoices_search").unwrap();
    for field in ["pagination", "data"] {
        let mut body = search.response.clone();
        rename_at(&mut body, &[json!(field)]);
        let err = spec()
            .check_response("POST", "/invoices/search", 200, Some(&body))
            .unwrap_err();
        assert!(err.join(" ").contains(field), "{err:?}");
    }
    let mut req = search.body.clone().unwrap();
    rename_at(&mut req, &[json!("filters")]);
    let err = spec()
        .check_request("POST", "/invoices/search", &search.query, Some(&req))
        .unwrap_err();
    assert!(err.join(" ").contains("filters"), "{err:?}");
    // Pagination's own required fields.
    let mut body = search.response.clone();
    rename_at(&mut body, &[json!("pagination"), json!("offset")]);
    assert!(
        spec()
            .check_response("POST", "/invoices/search", 200, Some(&body))
            .is_err()
    );
}

#[test]
fn renaming_any_field_of_any_fixture_fails_validation() {
    // Strict mode: an object that lists its properties accepts no other, so a renamed field
    // fails even where the spec declares no `required` list. The only exceptions are the
    // free-form objects of the spec (the error envelope's `details`).
    let mut tolerated = Vec::new();
    let mut checked = 0;
    for f in fixtures() {
        let mut paths = Vec::new();
        key_paths(&f.response, vec![], &mut paths);
        for p in paths {
            let mut body = f.response.clone();
            rename_at(&mut body, &p);
            checked += 1;
            if spec()
                .check_response(&f.method, &f.path, f.status, Some(&body))
                .is_ok()
            {
                tolerated.push(format!("{}:{}", f.name, serde_json::to_string(&p).unwrap()));
            }
        }
    }
    assert!(checked > 400, "only {checked} renames checked");
    assert_eq!(
        tolerated,
        vec![r#"error_400:["error","details","filters.date.start"]"#.to_string()],
        "renamed fields the validator did not catch"
    );
}

#[test]
fn wrong_types_formats_and_enums_fail_validation() {
    let f = fixtures()
        .into_iter()
        .find(|f| f.name == "invoice_one")
        .unwrap();
    let cases: Vec<(&str, Value)> = vec![
        ("/amounts/total_incl_tax", json!(491.88)),
        ("/date", json!("20/11/2026")),
        ("/status", json!("brouillon")),
        ("/rows/0/quantity", json!(2)),
        ("/pdf_link", json!("pas une url")),
        ("/taxes/0/id", json!("101")),
    ];
    for (ptr, bad) in cases {
        let mut body = f.response.clone();
        *body.pointer_mut(ptr).unwrap() = bad;
        assert!(
            spec()
                .check_response("GET", "/invoices/4711", 200, Some(&body))
                .is_err(),
            "{ptr} accepted"
        );
    }
    // Nullable where the spec says so, not elsewhere.
    let mut body = f.response.clone();
    body["pdf_link"] = Value::Null;
    spec()
        .check_response("GET", "/invoices/4711", 200, Some(&body))
        .unwrap();
    body["number"] = Value::Null;
    assert!(
        spec()
            .check_response("GET", "/invoices/4711", 200, Some(&body))
            .is_err()
    );
}

#[test]
fn requests_are_checked_for_path_method_query_and_body() {
    let s = spec();
    let body = json!({"filters": {"status": ["due"]}});
    assert!(
        s.check_request(
            "POST",
            "/invoices/search",
            &[("limit".into(), "100".into())],
            Some(&body)
        )
        .is_ok()
    );
    // Unknown route, wrong method.
    assert!(
        s.check_request("POST", "/invoices/search/all", &[], Some(&body))
            .is_err()
    );
    assert!(
        s.check_request("DELETE", "/invoices/search", &[], None)
            .is_err()
    );
    // Query: out of range, unknown, array without brackets, wrong enum.
    for q in [
        ("limit", "500"),
        ("page", "2"),
        ("embed", "company"),
        ("order", "montant"),
    ] {
        let q = vec![(q.0.to_string(), q.1.to_string())];
        assert!(
            s.check_request("POST", "/invoices/search", &q, Some(&body))
                .is_err(),
            "{q:?} accepted"
        );
    }
    assert!(
        s.check_request(
            "GET",
            "/invoices/4711",
            &[("embed[]".into(), "company".into())],
            None
        )
        .is_ok()
    );
    assert!(
        s.check_request(
            "GET",
            "/invoices/4711",
            &[("embed[]".into(), "rows".into())],
            None
        )
        .is_err()
    );
    // Path parameter type.
    assert!(s.check_request("GET", "/invoices/abc", &[], None).is_err());
    // Body: unknown status, unknown filter, missing body.
    assert!(
        s.check_request(
            "POST",
            "/invoices/search",
            &[],
            Some(&json!({"filters": {"status": ["brouillon"]}}))
        )
        .is_err()
    );
    assert!(
        s.check_request(
            "POST",
            "/credit-notes/search",
            &[],
            Some(&json!({"filters": {"date": {"start": "2026-01-01"}}}))
        )
        .is_err()
    );
    assert!(
        s.check_request("POST", "/invoices/search", &[], None)
            .is_err()
    );
}
