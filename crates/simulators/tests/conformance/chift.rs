//! The Chift mock follows its spec (`spec/chift-openapi.json`): conformant requests get answers
//! of the declared shapes with no violation; requests that break the spec (missing required
//! field, bad date, undeclared or out-of-bounds query parameter, bad uuid) are answered 422
//! HTTPValidationError and recorded; the business rules answer the spec's ChiftError codes.

use reqwest::Method;
use serde_json::{Value, json};
use simulators::chift::{
    self, ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, CONSUMER_ID, ChiftMock, ChiftOptions, Partner,
};
use simulators::mock::Fault;

async fn token(m: &ChiftMock) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/token", m.base_url()))
        .json(
            &json!({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "accountId": ACCOUNT_ID}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

/// `method {accounting_url}/{path}?query` with the token and an optional JSON body.
async fn call(
    m: &ChiftMock,
    tok: &str,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}/{path}", m.accounting_url()))
        .query(query)
        .bearer_auth(tok);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn journal_id(m: &ChiftMock, code: &str) -> String {
    let st = m.state();
    st.journals
        .iter()
        .find(|j| j.code == code)
        .unwrap()
        .id
        .clone()
}

fn sale(m: &ChiftMock, number: &str, client: &str) -> Value {
    let vat20 = m.state().vat_codes[0].id.clone();
    json!({"journal_id": journal_id(m, "VT"), "number": number, "currency": "EUR",
    "date": today(), "reference": format!("F-{number}"),
    "items": [
        {"account_type": "customer_account", "account": client, "debit": 120.0, "credit": 0.0},
        {"account_type": "general_account", "account": "706000", "debit": 0.0, "credit": 100.0,
         "tax_code": vat20},
        {"account_type": "general_account", "account": "445711", "debit": 0.0, "credit": 20.0}
    ]})
}

fn client_seed(m: &ChiftMock, reference: &str) -> String {
    m.add_client(Partner {
        name: format!("Client {reference}"),
        external_reference: Some(reference.into()),
        company_number: Some("73282932000074".into()),
        vat: Some("FR40732829320".into()),
        ..Partner::default()
    })
}

fn assert_clean(m: &ChiftMock) {
    let st = m.state();
    assert!(st.violations.is_empty(), "{:?}", st.violations);
    assert!(
        st.answer_violations.is_empty(),
        "{:?}",
        st.answer_violations
    );
}

#[tokio::test]
async fn chift_token_and_auth() {
    let m = chift::start().await;
    let bad = reqwest::Client::new()
        .post(format!("{}/token", m.base_url()))
        .json(&json!({"clientId": CLIENT_ID, "clientSecret": "nope", "accountId": ACCOUNT_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["status"], "error");
    let (s, _) = call(&m, "forged", Method::GET, "journals", &[], None).await;
    assert_eq!(s, 401);
    let tok = token(&m).await;
    let (s, v) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["VT", "AV", "HA", "OD"]);
    assert_eq!(m.state().token_requests, 2);
    assert_clean(&m);
}

#[tokio::test]
async fn chift_seeded_reads_follow_the_spec() {
    let m = chift::start().await;
    let tok = token(&m).await;
    for path in [
        "folders",
        "bookyears",
        "vat-codes",
        "chart-of-accounts",
        "clients",
        "suppliers",
    ] {
        let (s, v) = call(&m, &tok, Method::GET, path, &[], None).await;
        assert_eq!(s, 200, "{path}: {v}");
    }
    let (_, v) = call(&m, &tok, Method::GET, "vat-codes", &[("size", "100")], None).await;
    assert_eq!(v["total"], 11);
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["rate"] == 5.5 && c["type"] == "purchase")
    );
    let (_, v) = call(
        &m,
        &tok,
        Method::GET,
        "chart-of-accounts",
        &[("size", "100")],
        None,
    )
    .await;
    assert_eq!(v["total"], 33);
    let (_, v) = call(&m, &tok, Method::GET, "folders", &[], None).await;
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_clean(&m);
    assert_eq!(m.state().requests, 9);
}

#[tokio::test]
async fn chift_entry_roundtrip_with_pdf() {
    let m = chift::start().await;
    let tok = token(&m).await;
    let client = client_seed(&m, "C001");
    let mut body = sale(&m, "VT-0001", &client);
    body["pdf"] = json!("JVBERi0xLjQKJSVFT0YK"); // "%PDF-1.4\n%%EOF\n"
    let (s, v) = call(&m, &tok, Method::POST, "journal-entries", &[], Some(body)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "VT-0001");
    assert_eq!(v["items"][0]["partner_id"], client.as_str());
    assert_eq!(v["items"][0]["partner_name"], "Client C001");
    let id = v["id"].as_str().unwrap().to_string();
    let (s, got) = call(
        &m,
        &tok,
        Method::GET,
        &format!("journal/entries/{id}"),
        &[],
        None,
    )
    .await;
    assert_eq!((s, &got), (200, &v));
    let (s, list) = call(
        &m,
        &tok,
        Method::GET,
        "journal/entries",
        &[
            ("unposted_allowed", "false"),
            ("date_from", &today()),
            ("date_to", &today()),
        ],
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1);
    let (s, _) = call(&m, &tok, Method::GET, "journal/entries/nope", &[], None).await;
    assert_eq!(s, 404);
    {
        let st = m.state();
        assert_eq!(st.entries.len(), 1);
        assert!(st.entries[0].pdf.as_ref().unwrap().starts_with(b"%PDF-1.4"));
    }
    assert_clean(&m);
}

#[tokio::test]
async fn chift_invalid_requests_are_violations() {
    let m = chift::start().await;
    let tok = token(&m).await;
    let client = client_seed(&m, "C001");
    let mut no_number = sale(&m, "X", &client);
    no_number.as_object_mut().unwrap().remove("number");
    let (s, v) = call(
        &m,
        &tok,
        Method::POST,
        "journal-entries",
        &[],
        Some(no_number),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["detail"][0]["loc"], json!(["body", "number"]));
    let mut bad_date = sale(&m, "X", &client);
    bad_date["date"] = json!("2026-13-45");
    let (s, v) = call(
        &m,
        &tok,
        Method::POST,
        "journal-entries",
        &[],
        Some(bad_date),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["detail"][0]["loc"], json!(["body", "date"]));
    // unposted_allowed is required; size is at most 100.
    let (s, _) = call(&m, &tok, Method::GET, "journal/entries", &[], None).await;
    assert_eq!(s, 422);
    let (s, _) = call(&m, &tok, Method::GET, "journals", &[("size", "101")], None).await;
    assert_eq!(s, 422);
    let (s, _) = call(
        &m,
        &tok,
        Method::GET,
        "journals",
        &[("colour", "red")],
        None,
    )
    .await;
    assert_eq!(s, 422);
    let r = reqwest::Client::new()
        .get(format!(
            "{}/consumers/not-a-uuid/accounting/journals",
            m.base_url()
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = reqwest::Client::new()
        .get(format!(
            "{}/consumers/00000000-0000-4000-8000-000000000000/accounting/journals",
            m.base_url()
        ))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (s, _) = call(&m, &tok, Method::GET, "nowhere", &[], None).await;
    assert_eq!(s, 404);
    let st = m.state();
    assert_eq!(st.violations.len(), 7, "{:?}", st.violations);
    assert!(
        st.violations[0].starts_with("POST /consumers/"),
        "{}",
        st.violations[0]
    );
    assert!(st.entries.is_empty());
    assert!(
        st.answer_violations.is_empty(),
        "{:?}",
        st.answer_violations
    );
}

#[tokio::test]
async fn chift_business_refusals() {
    let m = chift::start().await;
    let tok = token(&m).await;
    let client = client_seed(&m, "C001");
    let post = |b: Value| call(&m, &tok, Method::POST, "journal-entries", &[], Some(b));
    let (s, _) = post(sale(&m, "VT-1", &client)).await;
    assert_eq!(s, 200);
    let (s, v) = post(sale(&m, "VT-1", &client)).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (400, Some("ERROR_ENTRY_NUMBER_ALREADY_USED"))
    );
    let mut unbalanced = sale(&m, "VT-2", &client);
    unbalanced["items"][0]["debit"] = json!(120.01);
    let (s, v) = post(unbalanced).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("ERROR_ENTRY_NOT_BALANCED"))
    );
    let mut account = sale(&m, "VT-3", &client);
    account["items"][1]["account"] = json!("706999");
    let (s, v) = post(account).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (404, Some("ERROR_ACCOUNT_NUMBER_NOT_FOUND"))
    );
    let (s, v) = post(sale(&m, "VT-4", "no-such-client")).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (404, Some("ERROR_PARTNER_NOT_FOUND"))
    );
    let mut journal = sale(&m, "VT-5", &client);
    journal["journal_id"] = json!("VT");
    let (s, v) = post(journal).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (404, Some("ERROR_JOURNAL_NOT_FOUND"))
    );
    let mut pdf = sale(&m, "VT-6", &client);
    pdf["pdf"] = json!("aGVsbG8="); // "hello"
    let (s, _) = post(pdf).await;
    assert_eq!(s, 422);
    m.reject_number("VT-7");
    let (s, v) = post(sale(&m, "VT-7", &client)).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("ERROR_ENTRY_NOT_BALANCED"))
    );
    let mut two_sided = sale(&m, "VT-9", &client);
    two_sided["items"][0]["credit"] = json!(1.0);
    two_sided["items"][1]["credit"] = json!(99.0);
    let (s, v) = post(two_sided).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (422, Some("ERROR_DEBIT_CREDIT_VALUE"))
    );
    let mut tax = sale(&m, "VT-10", &client);
    tax["items"][1]["tax_code"] = json!("V20");
    let (s, v) = post(tax).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (404, Some("ERROR_TAX_CODE_NOT_FOUND"))
    );
    let mut old = sale(&m, "VT-11", &client);
    old["date"] = json!("2001-06-30");
    let (s, v) = post(old).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (400, Some("ERROR_BOOKYEAR_NOT_FOUND"))
    );
    let year = chrono::Utc::now().format("%Y").to_string();
    m.close_book_year(&year);
    let (s, v) = post(sale(&m, "VT-8", &client)).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (400, Some("ERROR_BOOKYEAR_CLOSED"))
    );
    let (s, v) = call(
        &m,
        &tok,
        Method::GET,
        "journal/entries",
        &[
            ("unposted_allowed", "true"),
            ("date_from", "2026-01-01"),
            ("date_to", "2026-04-02"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (400, Some("ERROR_MAX_DIFFERENCE_MONTHS"))
    );
    assert_eq!(m.state().entries.len(), 1);
    assert_clean(&m);
}

#[tokio::test]
async fn chift_partners_and_pagination() {
    let m = chift::start().await;
    let tok = token(&m).await;
    let body = json!({"name": "Dupont SA", "external_reference": "C042", "company_number": "73282932000074",
                      "vat": "FR40732829320", "addresses": []});
    let (s, v) = call(&m, &tok, Method::POST, "clients", &[], Some(body.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["third_party_account"], "411C042");
    assert_eq!(v["account_number"], "411000", "the collective account");
    assert!(v["id"].is_string());
    let (s, v) = call(&m, &tok, Method::POST, "clients", &[], Some(body)).await;
    assert_eq!(
        (s, v["error_code"].as_str()),
        (400, Some("ERROR_PARTNER_ALREADY_EXISTS"))
    );
    let sup = json!({"name": "Fournil", "external_reference": "F01", "addresses": []});
    let (s, v) = call(&m, &tok, Method::POST, "suppliers", &[], Some(sup)).await;
    assert_eq!(
        (s, v["third_party_account"].as_str()),
        (200, Some("401F01"))
    );
    for n in 0..6 {
        client_seed(&m, &format!("P{n}"));
    }
    let mut seen = Vec::new();
    for (page, len) in [("1", 3), ("2", 3), ("3", 1)] {
        let (s, v) = call(
            &m,
            &tok,
            Method::GET,
            "clients",
            &[("page", page), ("size", "3")],
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(v["total"], 7);
        assert_eq!(v["items"].as_array().unwrap().len(), len, "page {page}");
        seen.extend(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone()),
        );
    }
    seen.dedup();
    assert_eq!(seen.len(), 7);
    assert_eq!(m.state().clients.len(), 7);
    assert_clean(&m);
}

#[tokio::test]
async fn chift_multi_folder_needs_folder_id() {
    let m = chift::start_with(ChiftOptions { folders: 2 }).await;
    let tok = token(&m).await;
    let (s, v) = call(&m, &tok, Method::GET, "folders", &[], None).await;
    assert_eq!((s, v.as_array().map(Vec::len)), (200, Some(2)));
    let (s, v) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 400);
    assert!(v["message"].as_str().unwrap().contains("folder_id"));
    let (s, _) = call(
        &m,
        &tok,
        Method::GET,
        "journals",
        &[("folder_id", "FOLDER-9")],
        None,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = call(
        &m,
        &tok,
        Method::GET,
        "journals",
        &[("folder_id", "FOLDER-2")],
        None,
    )
    .await;
    assert_eq!(s, 200);
    let client = m.add_client(Partner {
        name: "X".into(),
        folder_id: "FOLDER-2".into(),
        ..Partner::default()
    });
    let (s, _) = call(
        &m,
        &tok,
        Method::POST,
        "journal-entries",
        &[],
        Some(sale(&m, "VT-1", &client)),
    )
    .await;
    assert_eq!(s, 400);
    let (s, v) = call(
        &m,
        &tok,
        Method::POST,
        "journal-entries",
        &[("folder_id", "FOLDER-2")],
        Some(sale(&m, "VT-1", &client)),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(m.state().entries[0].folder_id, "FOLDER-2");
    assert_eq!(CONSUMER_ID.len(), 36);
    assert_clean(&m);
}

#[tokio::test]
async fn chift_faults_apply_once_per_api_request() {
    let m = chift::start().await;
    m.fault(Fault::Status(503, r#"{"message":"down"}"#.into()));
    let tok = token(&m).await; // /token meets no fault
    let (s, _) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 503);
    let (s, _) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 200);
    m.fault(Fault::Unauthorized);
    let (s, _) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 401);
    let (s, _) = call(&m, &tok, Method::GET, "journals", &[], None).await;
    assert_eq!(s, 401, "the token is forgotten");
    assert_clean(&m);
}

#[test]
fn chift_answer_check_catches_off_spec_answers() {
    use simulators::chift::spec::{check_answer, operation};
    let path = format!("/consumers/{CONSUMER_ID}/accounting/journals");
    let op = operation("GET", &path).unwrap();
    assert_eq!(op.id, "accounting_get_journals");
    assert!(
        check_answer(
            Some(&op),
            200,
            br#"{"items":[],"total":0,"page":1,"size":50}"#
        )
        .is_ok()
    );
    // `total` missing; a journal without `journal_type`.
    assert!(check_answer(Some(&op), 200, br#"{"items":[],"page":1,"size":50}"#).is_err());
    let bad = br#"{"items":[{"id":"1","name":"Ventes"}],"total":1,"page":1,"size":50}"#;
    assert!(check_answer(Some(&op), 200, bad).is_err());
    assert!(check_answer(Some(&op), 400, br#"{"status":"error"}"#).is_err());
    // Literal segments win over parameters.
    let multi = format!("/consumers/{CONSUMER_ID}/accounting/journal/entries/multi-analytic-plans");
    assert_eq!(
        operation("GET", &multi).unwrap().id,
        "accounting_get_journal_entries_multi_plan"
    );
    assert_eq!(chift::base64_decode("JVBERg==").unwrap(), b"%PDF");
    assert!(chift::base64_decode("JVB*").is_none());
}
