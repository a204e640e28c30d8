//! The Inqom mock follows the documented facts its module docs list (research notes §1): each
//! route is called with a documented request and its answer checked, then with a request that
//! breaks a documented rule, which must be refused (and, for malformed requests, recorded).

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use simulators::inqom::{self, CLIENT_ID, CLIENT_SECRET, DOSSIER, InqomMock, PASSWORD, USER};

async fn token(m: &InqomMock, scope: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(m.token_url())
        .form(&[
            ("grant_type", "password"),
            ("username", USER),
            ("password", PASSWORD),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

/// A mock and a valid access token.
async fn session() -> (InqomMock, String) {
    let m = inqom::start().await;
    let r = token(&m, "openid apidata").await;
    assert_eq!(r.status().as_u16(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert!(
        t["expires_in"].as_u64().unwrap() > 300 * 86_400,
        "about a year"
    );
    (m, t["access_token"].as_str().unwrap().to_string())
}

fn url(m: &InqomMock, path: &str) -> String {
    format!("{}/v1/dossiers/{DOSSIER}{path}", m.api_url())
}

async fn call(r: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
    let r = r.bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn get(m: &InqomMock, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(url(m, path))
}

fn post(m: &InqomMock, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().post(url(m, path))
}

fn entry(journal: i64, date: &str, reference: &str, lines: &[(&str, f64, f64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(account, d, c)| {
            json!({"Label": format!("Acme {reference}"), "DebitAmount": d,
            "CreditAmount": c, "Currency": "EUR", "AccountNumber": account})
        })
        .collect();
    json!({"JournalId": journal, "Date": date, "Document": {"Reference": reference, "Date": date},
           "ExternalId": format!("sellsy:{reference}"), "Lines": lines})
}

fn pdf(name: &str) -> Part {
    Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
        .file_name(name.to_string())
        .mime_str("application/pdf")
        .unwrap()
}

#[tokio::test]
async fn the_token_and_the_chart_follow_the_documented_shapes() {
    let (m, tok) = session().await;
    assert_eq!(
        token(&m, "openid").await.status().as_u16(),
        400,
        "scope openid apidata"
    );
    let (status, _) = call(get(&m, "/journals"), "not-a-token").await;
    assert_eq!(status, 401, "a bearer token is required");
    let (status, journals) = call(get(&m, "/journals"), &tok).await;
    assert_eq!(status, 200);
    for j in journals.as_array().unwrap() {
        for k in ["Id", "Name", "Description", "Type"] {
            assert!(j.get(k).is_some(), "journal {j} has {k}");
        }
    }
    let (_, periods) = call(get(&m, "/accounting-periods"), &tok).await;
    assert!(
        periods
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["Locked"] == true)
    );
    for p in periods.as_array().unwrap() {
        assert!(p["BeginDate"].is_string() && p["EndDate"].is_string());
    }
    let (status, _) = call(get(&m, "/accounts?accountNumberPrefix=411"), &tok).await;
    assert_eq!(status, 400, "accountType is required");
    // "401FOURNISSEUR" becomes "4011FOURNISSEUR" (§1.2): the created number is answered.
    let (status, created) = call(
        post(&m, "/accounts").json(&json!({"AccountNumber": "401FOURNIL", "Name": "Fournil"})),
        &tok,
    )
    .await;
    assert_eq!((status, created), (201, json!("4011FOURNIL")));
    let (_, found) = call(
        get(&m, "/accounts?accountNumberPrefix=4011F&accountType=All"),
        &tok,
    )
    .await;
    let f = &found.as_array().unwrap()[0];
    assert_eq!(
        (f["Number"].clone(), f["ParentAccountNumber"].clone()),
        (json!("4011FOURNIL"), json!("4011"))
    );
    for k in ["Name", "IsImpactable", "IsDivisible"] {
        assert!(f.get(k).is_some(), "account has {k}");
    }
    let (status, _) = call(
        post(&m, "/accounts").json(&json!({"AccountNumber": "411X", "Label": "X"})),
        &tok,
    )
    .await;
    assert_eq!(status, 400, "Name, not Label");
    let other = format!("{}/v1/dossiers/{}/journals", m.api_url(), DOSSIER + 1);
    let (status, _) = call(reqwest::Client::new().get(other), &tok).await;
    assert_eq!(status, 404, "another dossier");
    let v = m.state().violations.clone();
    assert_eq!(v.len(), 2, "Label unknown, Name missing: {v:#?}");
}

#[tokio::test]
async fn entries_are_booked_in_batches_of_50_all_or_nothing() {
    let (m, tok) = session().await;
    let good = |n: usize| {
        entry(
            948156,
            "2026-02-03",
            &format!("F{n}"),
            &[
                ("411000", 120.0, 0.0),
                ("706000", 0.0, 100.0),
                ("445711", 0.0, 20.0),
            ],
        )
    };
    let (status, booked) = call(post(&m, "/entries").json(&json!([good(1), good(2)])), &tok).await;
    assert_eq!(status, 200, "{booked}");
    for e in booked.as_array().unwrap() {
        assert!(e["Id"].is_i64() && e["EntryRef"].is_string() && e["ExternalId"].is_string());
        assert!(
            e["Lines"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["Id"].is_i64())
        );
    }
    let batch: Vec<Value> = (3..54).map(good).collect();
    let (status, _) = call(post(&m, "/entries").json(&batch), &tok).await;
    assert_eq!(status, 400, "51 entries");
    // One entry in the locked 2025 year refuses the whole batch.
    let locked = entry(
        948156,
        "2025-06-30",
        "F-OLD",
        &[("411000", 10.0, 0.0), ("706000", 0.0, 10.0)],
    );
    let (status, refused) = call(post(&m, "/entries").json(&json!([good(60), locked])), &tok).await;
    assert_eq!(status, 400);
    assert!(
        refused["Message"]
            .as_str()
            .unwrap()
            .contains("ExerciseLockedForDates")
    );
    let unknown = entry(
        1,
        "2026-02-03",
        "F-J",
        &[("411000", 10.0, 0.0), ("706000", 0.0, 10.0)],
    );
    let (_, refused) = call(post(&m, "/entries").json(&json!([unknown])), &tok).await;
    assert!(
        refused["Message"]
            .as_str()
            .unwrap()
            .contains("JournalNotFound")
    );
    let unbalanced = entry(
        948156,
        "2026-02-03",
        "F-U",
        &[("411000", 10.0, 0.0), ("706000", 0.0, 9.0)],
    );
    let (status, _) = call(post(&m, "/entries").json(&json!([unbalanced])), &tok).await;
    assert_eq!(status, 400);
    let both = entry(948156, "2026-02-03", "F-B", &[("411000", 10.0, 10.0)]);
    let (status, _) = call(post(&m, "/entries").json(&json!([both])), &tok).await;
    assert_eq!(status, 400, "exactly one of DebitAmount, CreditAmount > 0");
    let mut renamed = good(70);
    renamed["Reference"] = json!("F70");
    let (status, _) = call(post(&m, "/entries").json(&json!([renamed])), &tok).await;
    assert_eq!(status, 400, "an undocumented field");
    assert_eq!(
        m.state().entries.len(),
        2,
        "nothing of the refused batches was booked"
    );

    let (status, _) = call(
        get(&m, "/entry-lines?startDate=2026-01-01&endDate=2026-12-31"),
        &tok,
    )
    .await;
    assert_eq!(status, 400, "pageNumber is required");
    let (status, page) = call(
        get(
            &m,
            "/entry-lines?startDate=2026-01-01&endDate=2026-12-31&pageNumber=1&journalId=948156",
        ),
        &tok,
    )
    .await;
    assert_eq!(status, 200);
    let lines = page["EntryLines"].as_array().unwrap();
    assert_eq!(lines.len(), 6);
    assert!(
        lines
            .iter()
            .all(|l| l["Label"].as_str().unwrap().starts_with("ACME ")),
        "labels come back upper-cased"
    );
    let v = m.state().violations.clone();
    assert_eq!(
        v.len(),
        3,
        "51 entries, both amounts, an unknown field: {v:#?}"
    );
}

#[tokio::test]
async fn files_follow_the_documented_multipart_forms() {
    let (m, tok) = session().await;
    let e = entry(
        948156,
        "2026-02-03",
        "F1",
        &[("411000", 12.0, 0.0), ("706000", 0.0, 12.0)],
    );
    let (_, booked) = call(post(&m, "/entries").json(&json!([e])), &tok).await;
    let id = booked[0]["Id"].as_i64().unwrap().to_string();
    let form = Form::new()
        .text("entryId", id)
        .text("reference", "F1")
        .part("file", pdf("F1.pdf"));
    let (status, att) = call(post(&m, "/accounting-documents").multipart(form), &tok).await;
    assert_eq!(status, 201);
    assert!(att["Id"].is_i64());
    let form = Form::new()
        .text("reference", "F1")
        .part("file", pdf("F1.pdf"));
    let (status, _) = call(post(&m, "/accounting-documents").multipart(form), &tok).await;
    assert_eq!(status, 400, "entryId is required");

    let docs = format!(
        "{}/api/accounting-documents/accounting-folders/{DOSSIER}/Documents",
        m.api_url()
    );
    let upload = || {
        Form::new()
            .text("TypeScan", "Supplier")
            .text("FileSource", "Api")
            .text("DocRef", "mail:abc")
            .text("WithoutWorkflow", "false")
            .part("Document", pdf("scan.pdf"))
    };
    let c = reqwest::Client::new();
    let (_, first) = call(c.post(format!("{docs}/")).multipart(upload()), &tok).await;
    assert_eq!(first["Status"], "Received");
    let (_, again) = call(c.post(format!("{docs}/")).multipart(upload()), &tok).await;
    assert_eq!(
        (again["Status"].clone(), again["Id"].clone()),
        (json!("Duplicate"), first["Id"].clone())
    );
    let (_, listed) = call(c.get(&docs), &tok).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let bad = Form::new()
        .text("TypeScan", "Invoice")
        .text("FileSource", "Api")
        .part("Document", pdf("x.pdf"));
    let (status, _) = call(c.post(format!("{docs}/")).multipart(bad), &tok).await;
    assert_eq!(status, 400, "TypeScan is Client, Supplier or Others");

    let bills = format!(
        "{}/api/v1/accounting-folders/{DOSSIER}/expense-bills",
        m.api_url()
    );
    let form = Form::new()
        .text("BeneficiaryFullName", "Jeanne Martin")
        .text("FileNameWithExtension", "ndf.pdf")
        .text("DocumentReference", "mail:ndf")
        .part("File", pdf("ndf.pdf"));
    let (status, _) = call(c.post(&bills).multipart(form), &tok).await;
    assert_eq!(status, 201);
    let v = m.state().violations.clone();
    assert_eq!(v.len(), 2, "entryId missing, bad TypeScan: {v:#?}");
}
