//! A stateful Inqom mock following the research notes §1 and the field-verified structures:
//! password-grant token, journals, accounting periods (Locked), accounts (auxiliary numbers
//! rewritten 401X → 4011X, 411X → 4111X), entries in batches of at most 50 booked all-or-nothing,
//! entry lines read back by date and journal, accounting documents, the documents (OCR) API and
//! expense bills. Request field names are checked against the documented ones; every deviation
//! is counted in `violations`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, Query, Request, State};
use axum::http::Response;
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Fault, Faults, bearer, json_response, next_fault, serve};

pub const USER: &str = "systeme@cabinet.fr";
pub const PASSWORD: &str = "mot-de-passe-secret";
pub const CLIENT_ID: &str = "passerelle";
pub const CLIENT_SECRET: &str = "client-secret-value";
pub const DOSSIER: u64 = 80548;

#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub id: i64,
    pub journal_id: i64,
    pub date: String,
    pub reference: String,
    pub external_id: String,
    pub lines: Vec<Value>,
}

#[derive(Debug, Default)]
pub struct InqomState {
    pub token_requests: usize,
    pub current_token: Option<String>,
    pub journals: Vec<(i64, String)>,
    /// (begin, end, locked)
    pub periods: Vec<(String, String, bool)>,
    /// (number, name, parent)
    pub accounts: Vec<(String, String, Option<String>)>,
    pub accounts_created: Vec<(String, String)>,
    pub entries: Vec<StoredEntry>,
    pub entry_posts: usize,
    pub batch_sizes: Vec<usize>,
    pub attachments: Vec<BTreeSet<String>>,
    pub documents: Vec<(i64, HashMap<String, String>)>,
    pub document_fields: Vec<BTreeSet<String>>,
    pub expense_bills: Vec<HashMap<String, String>>,
    pub expense_fields: Vec<BTreeSet<String>>,
    pub violations: Vec<String>,
    pub requests: usize,
    next_id: i64,
}

impl InqomState {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        1_000 + self.next_id
    }
}

#[derive(Clone)]
pub struct InqomMock {
    pub url: String,
    pub state: Arc<Mutex<InqomState>>,
    pub faults: Faults,
}

impl InqomMock {
    pub fn state(&self) -> std::sync::MutexGuard<'_, InqomState> {
        self.state.lock().unwrap()
    }

    pub fn fault(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }

    pub fn config(&self) -> ledgers::InqomConfig {
        let mut c = ledgers::InqomConfig::production(
            DOSSIER,
            USER,
            app::ports::Secret::new(PASSWORD),
            CLIENT_ID,
            app::ports::Secret::new(CLIENT_SECRET),
        );
        c.token_url = format!("{}/identity/connect/token", self.url);
        c.api_url = self.url.clone();
        c.documents_url = self.url.clone();
        c.retry = super::retry();
        c.rate = ledgers::RateLimit {
            requests: 1_000,
            per: std::time::Duration::from_secs(1),
        };
        c
    }
}

type S = State<(Arc<Mutex<InqomState>>, Faults)>;

/// Starts the mock with the example dossier's chart: journals VT, AV, HA; fiscal year 2026 open,
/// 2025 locked; general accounts of the example configuration.
pub async fn start() -> InqomMock {
    let mut st = InqomState {
        journals: vec![
            (948156, "VT".into()),
            (948157, "AV".into()),
            (948155, "HA".into()),
        ],
        periods: vec![
            (
                "2025-01-01T00:00:00Z".into(),
                "2025-12-31T00:00:00Z".into(),
                true,
            ),
            (
                "2026-01-01T00:00:00Z".into(),
                "2026-12-31T00:00:00Z".into(),
                false,
            ),
        ],
        ..InqomState::default()
    };
    for (n, name) in [
        ("411", "Clients"),
        (
            "4111",
            "Clients - ventes de biens ou de prestations de services",
        ),
        ("401", "Fournisseurs"),
        (
            "4011",
            "Fournisseurs - achats de biens et prestations de services",
        ),
        ("411000", "Clients"),
        ("401000", "Fournisseurs"),
        ("4111DIVERS", "Clients divers"),
        ("706000", "Prestations de services"),
        ("707000", "Ventes de marchandises"),
        ("709600", "RRR accordés sur prestations"),
        ("709700", "RRR accordés sur marchandises"),
        ("607000", "Achats de marchandises"),
        ("445711", "TVA collectée 20 %"),
        ("445712", "TVA collectée 10 %"),
        ("445713", "TVA collectée 5,5 %"),
        ("445714", "TVA collectée 2,1 %"),
        ("445660", "TVA déductible"),
        ("658000", "Charges diverses de gestion courante"),
        ("758000", "Produits divers de gestion courante"),
    ] {
        st.accounts.push((n.into(), name.into(), None));
    }
    let state = Arc::new(Mutex::new(st));
    let faults: Faults = Arc::default();
    let d = "/v1/dossiers/{id}";
    let api = Router::new()
        .route(&format!("{d}/journals"), get(journals))
        .route(&format!("{d}/accounting-periods"), get(periods))
        .route(&format!("{d}/accounts"), get(accounts).post(create_account))
        .route(&format!("{d}/entries"), post(create_entries))
        .route(&format!("{d}/entry-lines"), get(entry_lines))
        .route(&format!("{d}/accounting-documents"), post(attach))
        .route(
            "/api/accounting-documents/accounting-folders/{id}/Documents/",
            post(upload_document),
        )
        .route(
            "/api/accounting-documents/accounting-folders/{id}/Documents",
            get(list_documents),
        )
        .route(
            "/api/v1/accounting-folders/{id}/expense-bills",
            post(expense_bill),
        )
        .layer(middleware::from_fn_with_state(
            (state.clone(), faults.clone()),
            gate,
        ));
    let app = Router::new()
        .route("/identity/connect/token", post(token))
        .merge(api)
        .with_state((state.clone(), faults.clone()));
    let url = serve(app).await;
    InqomMock { url, state, faults }
}

async fn gate(State((state, faults)): S, req: Request, next: Next) -> Response<Body> {
    {
        let mut st = state.lock().unwrap();
        st.requests += 1;
        let ok = bearer(req.headers()).is_some_and(|t| Some(t) == st.current_token);
        if !ok {
            return json_response(
                401,
                r#"{"Message":"Authorization has been denied for this request."}"#,
            );
        }
    }
    if let Some(r) = next_fault(&faults).await {
        if r.status() == 401 {
            state.lock().unwrap().current_token = None;
        }
        return r;
    }
    if let Some(id) = req
        .uri()
        .path()
        .split('/')
        .find_map(|p| p.parse::<u64>().ok())
        && id != DOSSIER
    {
        return json_response(404, r#"{"Message":"Dossier not found"}"#);
    }
    next.run(req).await
}

async fn token(State((state, _)): S, body: String) -> Response<Body> {
    let form: HashMap<String, String> = body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect();
    let mut st = state.lock().unwrap();
    st.token_requests += 1;
    let good = form.get("grant_type").map(String::as_str) == Some("password")
        && form.get("username").map(String::as_str) == Some(USER)
        && form.get("password").map(String::as_str) == Some(PASSWORD)
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && form.get("scope").map(String::as_str) == Some("openid apidata");
    if !good {
        return json_response(400, r#"{"error":"invalid_grant"}"#);
    }
    let t = format!("jwt-{}", st.token_requests);
    st.current_token = Some(t.clone());
    json_response(
        200,
        &json!({"access_token": t, "expires_in": 31104000, "token_type": "Bearer"}).to_string(),
    )
}

fn decode(v: &str) -> String {
    let v = v.replace('+', " ");
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(&v[i + 1..i + 3], 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn journals(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let list: Vec<Value> = st
        .journals
        .iter()
        .map(|(id, name)| json!({"Id": id, "Name": name, "Description": name, "Type": "Sell"}))
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

async fn periods(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let list: Vec<Value> = st
        .periods
        .iter()
        .enumerate()
        .map(|(i, (b, e, l))| {
            json!({"Id": 240810 + i, "DossierId": DOSSIER, "BeginDate": b, "EndDate": e, "Locked": l, "Name": &e[..7]})
        })
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

async fn accounts(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let prefix = q.get("accountNumberPrefix").cloned().unwrap_or_default();
    if !matches!(
        q.get("accountType").map(String::as_str),
        Some("All" | "Impactable" | "Auxiliary" | "General")
    ) {
        return json_response(400, r#"{"Message":"accountType is required"}"#);
    }
    let list: Vec<Value> = st
        .accounts
        .iter()
        .filter(|(n, _, _)| n.starts_with(&prefix))
        .map(|(n, name, parent)| {
            let mut v = json!({"Number": n, "Name": name, "IsImpactable": n.len() > 4, "IsDivisible": n.len() <= 4, "IsManaged": false});
            if let Some(p) = parent {
                v["ParentAccountNumber"] = json!(p);
            }
            v
        })
        .collect();
    json_response(200, &Value::Array(list).to_string())
}

fn check_keys(v: &Value, allowed: &[&str], required: &[&str], what: &str, out: &mut Vec<String>) {
    let Some(m) = v.as_object() else {
        out.push(format!("{what} is not an object"));
        return;
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            out.push(format!("{what}: unknown field {k}"));
        }
    }
    for k in required {
        if !m.contains_key(*k) {
            out.push(format!("{what}: missing field {k}"));
        }
    }
}

async fn create_account(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut bad = Vec::new();
    check_keys(
        &v,
        &["AccountNumber", "Name", "Auxiliarize"],
        &["AccountNumber", "Name"],
        "account",
        &mut bad,
    );
    let number = v["AccountNumber"].as_str().unwrap_or("").to_string();
    let name = v["Name"].as_str().unwrap_or("").to_string();
    if number.len() > 22 || name.chars().count() > 100 {
        bad.push(format!("account {number}: too long"));
    }
    if !bad.is_empty() {
        st.violations.extend(bad.clone());
        return json_response(400, &json!({"Message": bad.join("; ")}).to_string());
    }
    // Inqom files third parties under its sub-collectives 4011 / 4111.
    let created = match number.get(..3) {
        Some(root @ ("401" | "411")) if !number[3..].starts_with('1') => {
            format!("{root}1{}", &number[3..])
        }
        _ => number.clone(),
    };
    if st.accounts.iter().any(|(n, _, _)| *n == created) {
        return json_response(
            400,
            &json!({"Message": format!("Account {created} already exists")}).to_string(),
        );
    }
    let parent = created.get(..4).map(str::to_string);
    st.accounts.push((created.clone(), name.clone(), parent));
    st.accounts_created.push((number, created.clone()));
    json_response(201, &json!(created).to_string())
}

async fn create_entries(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    st.entry_posts += 1;
    let Ok(Value::Array(batch)) = serde_json::from_str::<Value>(&body) else {
        st.violations.push("entries body is not an array".into());
        return json_response(400, r#"{"Message":"The request is invalid."}"#);
    };
    st.batch_sizes.push(batch.len());
    if batch.len() > 50 {
        st.violations.push(format!("batch of {}", batch.len()));
        return json_response(400, r#"{"Message":"Too many entries: 50 at most"}"#);
    }
    let mut bad = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        check_keys(
            e,
            &[
                "JournalId",
                "Date",
                "Document",
                "AccountingDocumentId",
                "ExternalId",
                "Lines",
            ],
            &["JournalId", "Date", "Lines"],
            &format!("entry {i}"),
            &mut bad,
        );
        check_keys(
            &e["Document"],
            &["Reference", "Date"],
            &["Reference", "Date"],
            &format!("entry {i} Document"),
            &mut bad,
        );
        let reference = e["Document"]["Reference"].as_str().unwrap_or("");
        if !e["JournalId"].is_i64() {
            bad.push(format!("entry {i}: JournalId is not an integer"));
        } else if !st
            .journals
            .iter()
            .any(|(id, _)| Some(*id) == e["JournalId"].as_i64())
        {
            refused.push(format!("Entry {reference}: JournalNotFound"));
        }
        let date = e["Date"].as_str().unwrap_or("");
        if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
            bad.push(format!("entry {i}: Date {date} is not YYYY-MM-DD"));
        }
        if st
            .periods
            .iter()
            .any(|(b, end, locked)| *locked && &b[..10] <= date && date <= &end[..10])
        {
            refused.push(format!("Entry {reference}: ExerciseLockedForDates"));
        }
        let Some(lines) = e["Lines"].as_array() else {
            bad.push(format!("entry {i}: Lines is not an array"));
            continue;
        };
        let (mut debit, mut credit) = (0i64, 0i64);
        for (j, l) in lines.iter().enumerate() {
            check_keys(
                l,
                &[
                    "Label",
                    "DebitAmount",
                    "CreditAmount",
                    "Currency",
                    "AccountNumber",
                    "ExternalId",
                    "Quantities",
                    "Analytics",
                ],
                &[
                    "Label",
                    "DebitAmount",
                    "CreditAmount",
                    "Currency",
                    "AccountNumber",
                ],
                &format!("entry {i} line {j}"),
                &mut bad,
            );
            let cents = |v: &Value| v.as_f64().map(|f| (f * 100.0).round() as i64);
            let (Some(d), Some(c)) = (cents(&l["DebitAmount"]), cents(&l["CreditAmount"])) else {
                bad.push(format!("entry {i} line {j}: amounts are not numbers"));
                continue;
            };
            if (d > 0) == (c > 0) {
                bad.push(format!(
                    "entry {i} line {j}: exactly one of DebitAmount, CreditAmount must be > 0"
                ));
            }
            debit += d;
            credit += c;
            if l["Currency"].as_str().is_none_or(|c| c.len() > 5) {
                bad.push(format!("entry {i} line {j}: Currency"));
            }
            let account = l["AccountNumber"].as_str().unwrap_or("");
            if !st.accounts.iter().any(|(n, _, _)| n == account) {
                refused.push(format!(
                    "Entry {reference} line {}: account {account} not found",
                    j + 1
                ));
            }
        }
        if debit != credit {
            refused.push(format!("Entry {reference} is not balanced"));
        }
        if reference.contains("BAD") {
            refused.push(format!("Entry {reference} line 2: the account 706000 is not allowed in journal VT (InsertEntryIsForbidden)"));
        }
    }
    if !bad.is_empty() {
        st.violations.extend(bad.clone());
        return json_response(
            400,
            &json!({"Message": "The request is invalid.", "Errors": bad}).to_string(),
        );
    }
    if !refused.is_empty() {
        // All or nothing: one refused entry refuses the batch.
        return json_response(400, &json!({"Message": refused.join("; ")}).to_string());
    }
    let mut out = Vec::new();
    for e in batch {
        let id = st.id();
        let mut lines = Vec::new();
        let mut out_lines = Vec::new();
        for l in e["Lines"].as_array().unwrap() {
            let lid = st.id();
            let mut l = l.clone();
            l["Id"] = json!(lid);
            l["Label"] = json!(l["Label"].as_str().unwrap_or("").to_uppercase());
            out_lines.push(json!({"Id": lid, "Label": l["Label"], "AccountNumber": l["AccountNumber"], "ExternalId": l["ExternalId"]}));
            lines.push(l);
        }
        st.entries.push(StoredEntry {
            id,
            journal_id: e["JournalId"].as_i64().unwrap(),
            date: e["Date"].as_str().unwrap().into(),
            reference: e["Document"]["Reference"].as_str().unwrap_or("").into(),
            external_id: e["ExternalId"].as_str().unwrap_or("").into(),
            lines,
        });
        out.push(json!({"Id": id, "EntryRef": format!("VT{id}"), "ExternalId": e["ExternalId"], "Lines": out_lines}));
    }
    json_response(200, &Value::Array(out).to_string())
}

async fn entry_lines(
    State((state, _)): S,
    Query(q): Query<HashMap<String, String>>,
) -> Response<Body> {
    let st = state.lock().unwrap();
    let (Some(start), Some(end), Some(page)) = (
        q.get("startDate"),
        q.get("endDate"),
        q.get("pageNumber").and_then(|p| p.parse::<usize>().ok()),
    ) else {
        return json_response(
            400,
            r#"{"Message":"startDate, endDate and pageNumber are required"}"#,
        );
    };
    let journal: Option<i64> = q.get("journalId").and_then(|j| j.parse().ok());
    let all: Vec<Value> = st
        .entries
        .iter()
        .filter(|e| e.date >= *start && e.date <= *end && journal.is_none_or(|j| j == e.journal_id))
        .flat_map(|e| {
            let code = st
                .journals
                .iter()
                .find(|(id, _)| *id == e.journal_id)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            e.lines
                .iter()
                .map(move |l| {
                    json!({
                        "TypeOfChange": "Creation",
                        "Id": l["Id"],
                        "Label": l["Label"],
                        "DebitAmount": l["DebitAmount"],
                        "CreditAmount": l["CreditAmount"],
                        "Currency": l["Currency"],
                        "Entry": {"Id": e.id, "Date": format!("{}T00:00:00Z", e.date)},
                        "AccountNumber": l["AccountNumber"],
                        "ExternalId": l["ExternalId"],
                        "Journal": {"Id": e.journal_id, "Code": code},
                        "AccountingDocument": {"Id": e.id + 500_000, "Reference": e.reference},
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let lines: Vec<Value> = all
        .into_iter()
        .skip((page.max(1) - 1) * 100)
        .take(100)
        .collect();
    json_response(
        200,
        &json!({"EntryLines": lines, "CurrentPage": page}).to_string(),
    )
}

async fn fields(mut m: Multipart) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    while let Some(f) = m.next_field().await.map_err(|e| e.to_string())? {
        let name = f.name().unwrap_or("").to_string();
        let file = f.file_name().map(str::to_string);
        let bytes = f.bytes().await.map_err(|e| e.to_string())?;
        let value = match file {
            Some(fname) => format!("file:{fname}:{}", bytes.len()),
            None => String::from_utf8_lossy(&bytes).into_owned(),
        };
        out.insert(name, value);
    }
    Ok(out)
}

async fn attach(State((state, _)): S, m: Multipart) -> Response<Body> {
    let f = match fields(m).await {
        Ok(f) => f,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if !["entryId", "date", "reference", "fileName", "file"].contains(&k.as_str()) {
            st.violations
                .push(format!("accounting-documents: unknown field {k}"));
        }
    }
    let entry_ok = f
        .get("entryId")
        .and_then(|e| e.parse::<i64>().ok())
        .is_some_and(|id| st.entries.iter().any(|e| e.id == id));
    if !entry_ok || !f.get("file").is_some_and(|v| v.starts_with("file:")) {
        st.violations
            .push("accounting-documents: entryId and file are required".into());
        return json_response(400, r#"{"Message":"entryId and file are required"}"#);
    }
    st.attachments.push(names);
    let id = st.id();
    json_response(201, &json!({"Id": id}).to_string())
}

async fn upload_document(State((state, _)): S, m: Multipart) -> Response<Body> {
    let f = match fields(m).await {
        Ok(f) => f,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if ![
            "TypeScan",
            "FileSource",
            "Document",
            "DocRef",
            "SourceId",
            "WithoutWorkflow",
            "DocumentName",
        ]
        .contains(&k.as_str())
        {
            st.violations.push(format!("Documents: unknown field {k}"));
        }
    }
    if !matches!(
        f.get("TypeScan").map(String::as_str),
        Some("Client" | "Supplier" | "Others")
    ) || f.get("FileSource").map(String::as_str) != Some("Api")
        || !f.get("Document").is_some_and(|v| v.starts_with("file:"))
    {
        st.violations.push(format!("Documents: bad form {f:?}"));
        return json_response(
            400,
            r#"{"Message":"TypeScan, FileSource and Document are required"}"#,
        );
    }
    if let Some(existing) = st
        .documents
        .iter()
        .find(|(_, d)| d.get("DocRef") == f.get("DocRef"))
    {
        let id = existing.0;
        return json_response(200, &json!({"Id": id, "Status": "Duplicate"}).to_string());
    }
    let id = st.id();
    st.document_fields.push(names);
    st.documents.push((id, f));
    json_response(200, &json!({"Id": id, "Status": "Received"}).to_string())
}

async fn list_documents(State((state, _)): S) -> Response<Body> {
    let st = state.lock().unwrap();
    let mut list: Vec<Value> = st
        .documents
        .iter()
        .map(|(id, f)| {
            json!({"Id": id, "AccountingFolderId": DOSSIER, "Name": f.get("DocumentName"), "Type": f.get("TypeScan"),
                   "Source": "Api", "DocRef": f.get("DocRef"), "Status": "Received"})
        })
        .collect();
    list.extend(st.expense_bills.iter().enumerate().map(|(i, f)| {
        json!({"Id": 900_000 + i, "AccountingFolderId": DOSSIER, "Name": f.get("FileNameWithExtension"), "Type": "ExpenseReport",
               "Source": "Api", "DocRef": f.get("DocumentReference"), "Status": "Received"})
    }));
    json_response(200, &Value::Array(list).to_string())
}

async fn expense_bill(State((state, _)): S, m: Multipart) -> Response<Body> {
    let f = match fields(m).await {
        Ok(f) => f,
        Err(e) => return json_response(400, &json!({"Message": e}).to_string()),
    };
    let mut st = state.lock().unwrap();
    let names: BTreeSet<String> = f.keys().cloned().collect();
    for k in &names {
        if ![
            "File",
            "BeneficiaryFullName",
            "FileNameWithExtension",
            "DocumentReference",
        ]
        .contains(&k.as_str())
        {
            st.violations
                .push(format!("expense-bills: unknown field {k}"));
        }
    }
    if !f.get("File").is_some_and(|v| v.starts_with("file:")) {
        st.violations.push("expense-bills: File is required".into());
        return json_response(400, r#"{"Message":"File is required"}"#);
    }
    let id = 900_000 + st.expense_bills.len() as i64;
    st.expense_fields.push(names);
    st.expense_bills.push(f);
    json_response(201, &json!({"Id": id}).to_string())
}
