//! The routes the Pennylane sink uses. Request bodies reach them checked (see the gate).

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Multipart, Query, State};
use axum::http::Response;
use serde_json::{Value, json};

use super::state::{S, ThirdParty, Upload};
use crate::mock::json_response;

/// An operation of the extract the mock does not serve (the gate answered 404 for the others).
pub(super) async fn not_simulated() -> Response<Body> {
    json_response(404, r#"{"error":"Not simulated","status":404}"#)
}

pub(super) fn filters(q: &HashMap<String, String>) -> Vec<(String, String, Value)> {
    q.get("filter")
        .and_then(|f| serde_json::from_str::<Vec<Value>>(f).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or("").to_string(),
                f["operator"].as_str().unwrap_or("").to_string(),
                f["value"].clone(),
            )
        })
        .collect()
}

pub(super) fn page(items: Vec<Value>, q: &HashMap<String, String>) -> Response<Body> {
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let has_more = items.len() > start + limit;
    let slice: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    json_response(
        200,
        &json!({"items": slice, "has_more": has_more,
                "next_cursor": if has_more { Some((start + limit).to_string()) } else { None }})
        .to_string(),
    )
}

pub(super) async fn me() -> Response<Body> {
    json_response(
        200,
        r#"{"user":{"id":1,"first_name":"Cabinet","email":"api@cabinet.fr"},"company":{"id":42,"name":"ACME SAS","reg_no":"732829320"},"scopes":["ledger_entries:all"]}"#,
    )
}

pub(super) async fn journals(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let items = st
        .journals
        .iter()
        .map(|(id, code, label)| json!({"id": id, "code": code, "label": label, "type": "sales"}))
        .collect();
    page(items, &q)
}

pub(super) fn account_json(a: &(i64, String, String)) -> Value {
    json!({"id": a.0, "number": a.1, "label": a.2, "vat_rate": "", "country_alpha2": "", "enabled": true})
}

pub(super) async fn list_accounts(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let f = filters(&q);
    let items = st
        .ledger_accounts
        .iter()
        .filter(|a| {
            f.iter()
                .all(|(field, op, v)| match (field.as_str(), op.as_str()) {
                    ("number", "eq") => v.as_str() == Some(a.1.as_str()),
                    ("number", "start_with") => v.as_str().is_some_and(|p| a.1.starts_with(p)),
                    _ => true,
                })
        })
        .map(account_json)
        .collect();
    page(items, &q)
}

pub(super) async fn create_account(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let number = v["number"].as_str().unwrap().to_string();
    let label = v["label"].as_str().unwrap().to_string();
    if st.ledger_accounts.iter().any(|a| a.1 == number) {
        return json_response(
            422,
            &json!({"error": format!("Ledger account {number} already exists"), "status": 422})
                .to_string(),
        );
    }
    let id = st.add_account(&number, &label);
    st.accounts_created.push(number.clone());
    // "If the number starts with 401/411 a supplier/company customer is also created."
    if number.starts_with("411") || number.starts_with("401") {
        let tid = st.id();
        let tp = ThirdParty {
            id: tid,
            name: label.clone(),
            ledger_account_id: id,
            ..ThirdParty::default()
        };
        if number.starts_with("411") {
            st.customers.push(tp)
        } else {
            st.suppliers.push(tp)
        }
    }
    json_response(201, &account_json(&(id, number, label)).to_string())
}

pub(super) fn third_party_json(t: &ThirdParty, kind: &str) -> Value {
    json!({"id": t.id, "name": t.name, "customer_type": kind, "reg_no": t.reg_no, "establishment_no": t.establishment_no,
           "vat_number": t.vat_number, "external_reference": t.external_reference,
           "ledger_account": {"id": t.ledger_account_id, "url": format!("/api/external/v2/ledger_accounts/{}", t.ledger_account_id)}})
}

pub(super) async fn customers(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    page(
        st.customers
            .iter()
            .map(|c| third_party_json(c, "company"))
            .collect(),
        &q,
    )
}

pub(super) async fn suppliers(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    page(
        st.suppliers
            .iter()
            .map(|c| third_party_json(c, "supplier"))
            .collect(),
        &q,
    )
}

pub(super) async fn create_supplier(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let name = v["name"].as_str().unwrap().to_string();
    let number = v["ledger_account"]["number"].as_str().map(str::to_string);
    let la = match number {
        Some(n) => match st.ledger_accounts.iter().find(|a| a.1 == n) {
            Some(a) => a.0,
            None => st.add_account(&n, &name),
        },
        None => {
            let n = format!("401{}", st.next_id);
            st.add_account(&n, &name)
        }
    };
    let id = st.id();
    let t = ThirdParty {
        id,
        name: name.clone(),
        reg_no: v["reg_no"].as_str().map(str::to_string),
        establishment_no: v["establishment_no"].as_str().map(str::to_string),
        vat_number: v["vat_number"].as_str().map(str::to_string),
        external_reference: v["external_reference"].as_str().map(str::to_string),
        ledger_account_id: la,
    };
    st.suppliers_created.push(name);
    let out = third_party_json(&t, "supplier");
    st.suppliers.push(t);
    json_response(201, &out.to_string())
}

/// The content types `POST /file_attachments` accepts (the official reference page,
/// https://pennylane.readme.io/reference/postfileattachments: the extract has no multipart
/// field list).
pub const ACCEPTED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/tiff",
    "image/bmp",
    "image/gif",
    "application/pdf",
];

/// `POST /file_attachments`: multipart (checked by the gate against the extract's
/// `body_content_type`), one `file` part with a file name, not empty, at most 100 MB, of an
/// accepted content type, and an optional `filename`; nothing else. Answered 201 `{id, url,
/// filename, created_at, updated_at}`. The 400 codes for a refused part are chosen here (the
/// spec's 400 enum has `NotAMultipartFile`, `NotExistRequiredKey`, `NotEnumInclude`,
/// `NotExistPropertyDefinition`).
pub(super) async fn file_attachment(State((state, _)): S, mut m: Multipart) -> Response<Body> {
    let mut files = Vec::new();
    let mut filename = None;
    let mut bad = Vec::new();
    loop {
        let f = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                bad.push((
                    format!("file_attachments: unreadable multipart body ({e})"),
                    "NotAMultipartFile",
                ));
                break;
            }
        };
        let name = f.name().unwrap_or("").to_string();
        let fname = f.file_name().map(str::to_string);
        let ct = f.content_type().map(str::to_string);
        let bytes = f.bytes().await.unwrap_or_default();
        match name.as_str() {
            "file" => files.push((fname, ct, bytes.to_vec())),
            "filename" => filename = Some(String::from_utf8_lossy(&bytes).into_owned()),
            other => bad.push((
                format!("file_attachments: unknown part {other:?}"),
                "NotExistPropertyDefinition",
            )),
        }
    }
    let upload = match files.as_slice() {
        [(Some(fname), ct, bytes)] if !bytes.is_empty() && bytes.len() <= 100 * 1024 * 1024 => {
            let ct = ct.clone().unwrap_or_default();
            // The media type is what counts (parameters such as `name=` aside).
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !ACCEPTED_TYPES.contains(&essence.as_str()) {
                bad.push((
                    format!("file_attachments: content type {ct:?} of {fname} is not accepted"),
                    "NotEnumInclude",
                ));
            }
            Some(Upload {
                file_name: fname.clone(),
                content_type: ct,
                size: bytes.len(),
                filename: filename.clone(),
                bytes: bytes.clone(),
            })
        }
        [] => {
            bad.push((
                "file_attachments: no file part".into(),
                "NotExistRequiredKey",
            ));
            None
        }
        _ => {
            let got: Vec<_> = files
                .iter()
                .map(|(name, ct, bytes)| (name, ct, bytes.len()))
                .collect();
            bad.push((format!("file_attachments: one non-empty file part of at most 100 MB with a file name expected, got {got:?}"), "NotAMultipartFile"));
            None
        }
    };
    let mut st = state.lock().unwrap();
    if let (true, Some(u)) = (bad.is_empty(), upload) {
        let id = st.id();
        let shown = u.filename.clone().unwrap_or_else(|| u.file_name.clone());
        st.file_attachments.push(u.file_name.clone());
        st.uploads.push((id, u));
        let now = "2026-12-03T10:00:00.000Z";
        return json_response(
            201,
            &json!({"id": id, "url": format!("https://files.example/{id}"), "filename": shown,
                    "created_at": now, "updated_at": now})
            .to_string(),
        );
    }
    let code = bad[0].1;
    let message: Vec<String> = bad.into_iter().map(|(m, _)| m).collect();
    st.violations.extend(message.iter().cloned());
    json_response(
        400,
        &json!({"message": message.join("; "), "code": code}).to_string(),
    )
}

pub(super) async fn create_entry(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if !st
        .journals
        .iter()
        .any(|j| Some(j.0) == v["journal_id"].as_i64())
    {
        return json_response(404, r#"{"error":"Journal not found","status":404}"#);
    }
    let mut balance = 0i64;
    for l in v["ledger_entry_lines"].as_array().unwrap() {
        if !st
            .ledger_accounts
            .iter()
            .any(|a| Some(a.0) == l["ledger_account_id"].as_i64())
        {
            return json_response(422, &json!({"error": format!("Ledger account {} not found", l["ledger_account_id"]), "status": 422}).to_string());
        }
        let cents =
            |s: &Value| (s.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64;
        balance += cents(&l["debit"]) - cents(&l["credit"]);
    }
    if balance != 0 {
        return json_response(
            422,
            r#"{"error":"Entry lines are not balanced","status":422}"#,
        );
    }
    if v["piece_number"]
        .as_str()
        .is_some_and(|p| p.contains("BAD"))
    {
        return json_response(
            422,
            r#"{"error":"unprocessable_entity","message":"La date de la pièce est dans un exercice clôturé","details":{"field":"date","issue":"closed_fiscal_year"}}"#,
        );
    }
    if let Some(fa) = v.get("file_attachment_id")
        && !st.uploads.iter().any(|(id, _)| fa.as_i64() == Some(*id))
    {
        return json_response(
            422,
            &json!({"error": format!("File attachment {fa} not found"), "status": 422}).to_string(),
        );
    }
    let id = st.id();
    let mut stored = v.clone();
    stored["id"] = json!(id);
    st.entries.push(stored.clone());
    if st.lose_answers > 0 {
        st.lose_answers -= 1;
        return json_response(
            504,
            "<html><body><h1>504 Gateway Time-out</h1></body></html>",
        );
    }
    json_response(201, &stored.to_string())
}

pub(super) async fn list_entries(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let f = filters(&q);
    let items = st
        .entries
        .iter()
        .filter(|e| {
            f.iter().all(|(field, op, v)| match (field.as_str(), op.as_str()) {
                ("date", "eq") => e["date"].as_str() == v.as_str(),
                ("journal_id", "eq") => v.as_str().and_then(|s| s.parse::<i64>().ok()).or(v.as_i64()) == e["journal_id"].as_i64(),
                _ => true,
            })
        })
        .map(|e| json!({"id": e["id"], "label": e["label"], "date": e["date"], "journal": {"id": e["journal_id"]},
                        "piece_number": e["piece_number"], "currency": e["currency"]}))
        .collect();
    page(items, &q)
}
