//! The Pennylane mock follows its spec: conformant requests to every served route get answers of
//! the documented shapes with no violation; requests that break the extract (unknown operation,
//! undocumented query parameter, filter or sort, limit out of bounds, body off its schema, wrong
//! content type) are refused the way Pennylane refuses them and recorded.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use simulators::pennylane::spec::{check_answer, operation, validator};
use simulators::pennylane::{self, API_TOKEN, PennylaneMock};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get(m: &PennylaneMock, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .get(format!("{}{path}", m.api_base()))
        .query(query)
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(r.headers().contains_key("ratelimit-remaining"), "{path}");
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(m: &PennylaneMock, path: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", m.api_base()))
        .bearer_auth(API_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn filter(field: &str, operator: &str, value: &str) -> String {
    json!([{"field": field, "operator": operator, "value": value}]).to_string()
}

#[test]
fn the_schema_check_rejects_what_pennylane_rejects() {
    let v = validator("postLedgerEntries");
    let good = json!({"date": "2026-11-20", "label": "F1", "journal_id": 1, "piece_number": "F1",
        "ledger_entry_lines": [{"debit": "10.00", "credit": "0.00", "ledger_account_id": 2}]});
    assert!(v.is_valid(&good));
    let mut numeric = good.clone();
    numeric["ledger_entry_lines"][0]["debit"] = json!(10.0);
    assert!(!v.is_valid(&numeric), "amounts must be strings");
    let mut comma = good.clone();
    comma["ledger_entry_lines"][0]["debit"] = json!("10,00");
    assert!(!v.is_valid(&comma), "dot decimals");
    let mut extra = good.clone();
    extra["external_id"] = json!("x");
    assert!(!v.is_valid(&extra), "additionalProperties false");
    let mut date = good.clone();
    date["date"] = json!("20/11/2026");
    assert!(!v.is_valid(&date), "ISO dates");
    assert!(!validator("postSupplier").is_valid(&json!({"name": "X", "reg_no": "12345"})));
}

#[test]
fn the_registry_knows_the_operations_and_the_answer_shapes() {
    let op = operation("GET", "/api/external/v2/ledger_entries").unwrap();
    assert_eq!(op.id, "getLedgerEntries");
    assert!(op.paginated);
    let one = operation("PUT", "/api/external/v2/ledger_entries/42").unwrap();
    assert_eq!(one.path, "/api/external/v2/ledger_entries/{id}");
    assert!(operation("DELETE", "/api/external/v2/ledger_entries").is_none());
    let page = br#"{"items": [], "has_more": false, "next_cursor": null}"#;
    assert!(check_answer(Some(&op), 200, page).is_ok());
    let legacy = br#"{"items": [], "has_more": false, "next_cursor": null, "total_pages": 1}"#;
    assert!(
        check_answer(Some(&op), 200, legacy).is_err(),
        "no other key"
    );
    assert!(check_answer(Some(&op), 401, br#"{"error": "x", "status": 401}"#).is_ok());
    assert!(check_answer(Some(&op), 401, br#"{"message": "x"}"#).is_err());
    assert!(
        check_answer(
            Some(&op),
            400,
            br#"{"message": "x", "code": "InvalidPattern"}"#
        )
        .is_ok()
    );
    assert!(
        check_answer(Some(&op), 418, b"{}").is_err(),
        "undocumented status"
    );
}

#[tokio::test]
async fn conformant_requests_to_every_route_get_documented_answers() {
    let m = pennylane::start().await;
    for (path, query) in [
        ("/me", vec![]),
        ("/journals", vec![("limit", "100".to_string())]),
        (
            "/ledger_accounts",
            vec![("filter", filter("number", "start_with", "4457"))],
        ),
        ("/customers", vec![("limit", "100".to_string())]),
        ("/suppliers", vec![("sort", "-id".to_string())]),
        (
            "/ledger_entries",
            vec![("filter", filter("date", "eq", "2026-01-15"))],
        ),
    ] {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = get(&m, path, &q).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, page) = get(
        &m,
        "/ledger_accounts",
        &[
            ("filter", &filter("number", "start_with", "4457")),
            ("limit", "2"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], true);
    let (status, _) = post(
        &m,
        "/ledger_accounts",
        &json!({"number": "411ACME", "label": "ACME"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, supplier) = post(
        &m,
        "/suppliers",
        &json!({"name": "Fournil SAS", "reg_no": "732829320", "ledger_account": {"number": "401FOURNIL"}}),
    )
    .await;
    assert_eq!(status, 201, "{supplier}");
    let form = Form::new().part(
        "file",
        Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
            .file_name("f.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let r = client()
        .post(format!("{}/file_attachments", m.api_base()))
        .bearer_auth(API_TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (journal, account) = {
        let st = m.state();
        (st.journals[0].0, st.ledger_accounts[0].0)
    };
    let entry = json!({"date": "2026-01-15", "label": "F1", "journal_id": journal, "piece_number": "F1",
        "ledger_entry_lines": [
            {"debit": "12.00", "credit": "0.00", "ledger_account_id": account},
            {"debit": "0.00", "credit": "12.00", "ledger_account_id": account}]});
    let (status, created) = post(&m, "/ledger_entries", &entry).await;
    assert_eq!(status, 201, "{created}");
    let mut unbalanced = entry.clone();
    unbalanced["ledger_entry_lines"][1]["credit"] = json!("11.00");
    let (status, refused) = post(&m, "/ledger_entries", &unbalanced).await;
    assert_eq!(status, 422);
    assert_eq!(refused["error"], "Entry lines are not balanced");
    let st = m.state();
    assert_eq!(st.violations, Vec::<String>::new());
    assert_eq!(st.answers_checked, st.requests, "every answer was checked");
    assert_eq!(st.validated, 4, "every JSON body was validated");
}

#[tokio::test]
async fn requests_that_break_the_extract_are_refused_and_recorded() {
    let m = pennylane::start().await;
    // Pennylane cannot filter ledger entries on piece_number (research notes §2).
    let (status, body) = get(
        &m,
        "/ledger_entries",
        &[("filter", &filter("piece_number", "eq", "F1"))],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("piece_number"));
    let (status, _) = get(
        &m,
        "/ledger_accounts",
        &[("filter", &filter("number", "like", "4"))],
    )
    .await;
    assert_eq!(status, 400, "an undocumented operator");
    let (status, _) = get(&m, "/journals", &[("limit", "101")]).await;
    assert_eq!(status, 400, "journals take at most 100 per page");
    let (status, _) = get(&m, "/ledger_accounts", &[("limit", "1000")]).await;
    assert_eq!(status, 200, "ledger accounts take up to 1000");
    let (status, _) = get(&m, "/customers", &[("page", "2")]).await;
    assert_eq!(status, 400, "v1 page numbers are gone");
    let (status, _) = get(&m, "/customers", &[("sort", "name")]).await;
    assert_eq!(status, 400, "customers sort on id only");
    let (status, body) = post(
        &m,
        "/ledger_accounts",
        &json!({"number": "411X", "label": "X", "kind": "c"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "NotExistPropertyDefinition");
    let (status, body) = post(&m, "/ledger_accounts", &json!({"label": "X"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "NotExistRequiredKey");
    let (status, _) = post(&m, "/file_attachments", &json!({"file": "x"})).await;
    assert_eq!(status, 400, "file attachments are multipart");
    let (status, _) = get(&m, "/invoices", &[]).await;
    assert_eq!(status, 404, "no such operation");
    let st = m.state();
    assert_eq!(st.violations.len(), 9, "{:#?}", st.violations);
    assert!(
        st.violations.iter().all(|v| !v.starts_with("answer:")),
        "the refusals themselves have the documented shapes: {:#?}",
        st.violations
    );
}
