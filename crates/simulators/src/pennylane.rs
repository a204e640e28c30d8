//! A stateful Pennylane Company API v2 mock (research notes §2): bearer tokens (company token or
//! OAuth refresh), cursor-paginated lists `{items, has_more, next_cursor}` with JSON `filter`s,
//! `ratelimit-*` headers on every answer, both error shapes. Every JSON request body is validated
//! against the request schema of its operation in the vendored extract
//! (`spec/pennylane-company-v2-extract.json`); deviations are counted in `violations`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, Query, Request, State};
use axum::http::Response;
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Fault, Faults, bearer, json_response, next_fault, serve};

pub const API_TOKEN: &str = "pl-company-token";
pub const CLIENT_ID: &str = "pl-client";
pub const CLIENT_SECRET: &str = "pl-client-secret";
pub const REFRESH_TOKEN: &str = "pl-refresh-1";

/// The vendored extract.
pub fn extract() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/spec/pennylane-company-v2-extract.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A validator of one request schema of the extract.
pub fn validator(operation: &str) -> jsonschema::Validator {
    jsonschema::validator_for(&extract()["schemas"][operation]).unwrap()
}

#[derive(Debug, Clone, Default)]
pub struct ThirdParty {
    pub id: i64,
    pub name: String,
    pub reg_no: Option<String>,
    pub establishment_no: Option<String>,
    pub vat_number: Option<String>,
    pub external_reference: Option<String>,
    pub ledger_account_id: i64,
}

#[derive(Debug, Default)]
pub struct PennylaneState {
    pub tokens: Vec<String>,
    pub refresh_token: String,
    pub token_requests: usize,
    pub journals: Vec<(i64, String, String)>,
    pub ledger_accounts: Vec<(i64, String, String)>,
    pub customers: Vec<ThirdParty>,
    pub suppliers: Vec<ThirdParty>,
    pub accounts_created: Vec<String>,
    pub suppliers_created: Vec<String>,
    pub file_attachments: Vec<String>,
    pub entries: Vec<Value>,
    pub validated: usize,
    pub violations: Vec<String>,
    pub requests: usize,
    next_id: i64,
}

impl PennylaneState {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        5_000 + self.next_id
    }

    /// Adds a ledger account; returns its id.
    pub fn add_account(&mut self, number: &str, label: &str) -> i64 {
        let id = self.id();
        self.ledger_accounts.push((id, number.into(), label.into()));
        id
    }

    /// Adds a customer with its own 411 account; returns the account id.
    pub fn add_customer(&mut self, number: &str, mut c: ThirdParty) -> i64 {
        let la = self.add_account(number, &c.name);
        c.id = self.id();
        c.ledger_account_id = la;
        self.customers.push(c);
        la
    }
}

#[derive(Clone)]
pub struct PennylaneMock {
    pub url: String,
    pub state: Arc<Mutex<PennylaneState>>,
    pub faults: Faults,
}

impl PennylaneMock {
    pub fn state(&self) -> std::sync::MutexGuard<'_, PennylaneState> {
        self.state.lock().unwrap()
    }

    pub fn fault(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }

    pub fn config(&self) -> ledgers::PennylaneConfig {
        let mut c = ledgers::PennylaneConfig::with_token(app::ports::Secret::new(API_TOKEN));
        c.base_url = format!("{}/api/external/v2", self.url);
        c.retry = super::retry();
        c.rate = ledgers::RateLimit {
            requests: 1_000,
            per: std::time::Duration::from_secs(1),
        };
        c
    }

    pub fn oauth_config(&self) -> ledgers::PennylaneConfig {
        let mut c = self.config();
        c.auth = ledgers::PennylaneAuth::OAuth {
            token_url: format!("{}/oauth/token", self.url),
            client_id: CLIENT_ID.into(),
            client_secret: app::ports::Secret::new(CLIENT_SECRET),
            refresh_token: app::ports::Secret::new(REFRESH_TOKEN),
            access_token: None,
        };
        c
    }
}

type S = State<(Arc<Mutex<PennylaneState>>, Faults)>;

/// Starts the mock with journals VT, AV, HA and the example dossier's general accounts.
pub async fn start() -> PennylaneMock {
    let mut st = PennylaneState {
        tokens: vec![API_TOKEN.into()],
        refresh_token: REFRESH_TOKEN.into(),
        ..PennylaneState::default()
    };
    for (code, label) in [("VT", "Ventes"), ("AV", "Avoirs"), ("HA", "Achats")] {
        let id = st.id();
        st.journals.push((id, code.into(), label.into()));
    }
    for (n, l) in [
        ("411000", "Clients"),
        ("4111DIVERS", "Clients divers"),
        ("706000", "Prestations de services"),
        ("707000", "Ventes de marchandises"),
        ("709600", "RRR accordés sur prestations"),
        ("709700", "RRR accordés sur marchandises"),
        ("445711", "TVA collectée 20 %"),
        ("445712", "TVA collectée 10 %"),
        ("445713", "TVA collectée 5,5 %"),
        ("445714", "TVA collectée 2,1 %"),
        ("658000", "Charges diverses"),
    ] {
        st.add_account(n, l);
    }
    let state = Arc::new(Mutex::new(st));
    let faults: Faults = Arc::default();
    let v2 = "/api/external/v2";
    let api = Router::new()
        .route(&format!("{v2}/me"), get(me))
        .route(&format!("{v2}/journals"), get(journals))
        .route(
            &format!("{v2}/ledger_accounts"),
            get(list_accounts).post(create_account),
        )
        .route(&format!("{v2}/customers"), get(customers))
        .route(
            &format!("{v2}/suppliers"),
            get(suppliers).post(create_supplier),
        )
        .route(&format!("{v2}/file_attachments"), post(file_attachment))
        .route(
            &format!("{v2}/ledger_entries"),
            get(list_entries).post(create_entry),
        )
        .layer(middleware::from_fn_with_state(
            (state.clone(), faults.clone()),
            gate,
        ));
    let app = Router::new()
        .route("/oauth/token", post(token))
        .merge(api)
        .with_state((state.clone(), faults.clone()));
    let url = serve(app).await;
    PennylaneMock { url, state, faults }
}

fn with_ratelimit(mut r: Response<Body>) -> Response<Body> {
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 5;
    let h = r.headers_mut();
    h.insert("ratelimit-limit", "25".parse().unwrap());
    h.insert("ratelimit-remaining", "24".parse().unwrap());
    h.insert("ratelimit-reset", reset.to_string().parse().unwrap());
    r
}

async fn gate(State((state, faults)): S, req: Request, next: Next) -> Response<Body> {
    {
        let mut st = state.lock().unwrap();
        st.requests += 1;
        let ok = bearer(req.headers()).is_some_and(|t| st.tokens.contains(&t));
        if !ok {
            return with_ratelimit(json_response(
                401,
                r#"{"error":"Unauthorized","status":401}"#,
            ));
        }
    }
    if let Some(r) = next_fault(&faults).await {
        if r.status() == 401 {
            let mut st = state.lock().unwrap();
            st.tokens.retain(|t| t == API_TOKEN);
        }
        return with_ratelimit(r);
    }
    with_ratelimit(next.run(req).await)
}

async fn token(State((state, _)): S, body: String) -> Response<Body> {
    let form: HashMap<String, String> = body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut st = state.lock().unwrap();
    st.token_requests += 1;
    let good = form.get("grant_type").map(String::as_str) == Some("refresh_token")
        && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        && form.get("refresh_token") == Some(&st.refresh_token);
    if !good {
        return json_response(400, r#"{"error":"invalid_grant"}"#);
    }
    let n = st.token_requests;
    let access = format!("pl-access-{n}");
    st.refresh_token = format!("pl-refresh-{}", n + 1);
    st.tokens.push(access.clone());
    json_response(
        200,
        &json!({"access_token": access, "token_type": "Bearer", "expires_in": 86400,
                "refresh_token": st.refresh_token, "scope": "ledger_entries:all"})
        .to_string(),
    )
}

fn filters(q: &HashMap<String, String>) -> Vec<(String, String, Value)> {
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

fn page(items: Vec<Value>, q: &HashMap<String, String>) -> Response<Body> {
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

fn invalid(st: &mut PennylaneState, operation: &str, body: &Value) -> Option<Response<Body>> {
    let v = validator(operation);
    st.validated += 1;
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    if errors.is_empty() {
        return None;
    }
    st.violations
        .push(format!("{operation}: {}", errors.join("; ")));
    Some(json_response(
        400,
        &json!({"message": errors.join("; "), "code": "InvalidPattern"}).to_string(),
    ))
}

async fn me() -> Response<Body> {
    json_response(
        200,
        r#"{"user":{"id":1,"first_name":"Cabinet","email":"api@cabinet.fr"},"company":{"id":42,"name":"ACME SAS","reg_no":"732829320"},"scopes":["ledger_entries:all"]}"#,
    )
}

async fn journals(
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

fn account_json(a: &(i64, String, String)) -> Value {
    json!({"id": a.0, "number": a.1, "label": a.2, "vat_rate": "", "country_alpha2": "", "enabled": true})
}

async fn list_accounts(
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

async fn create_account(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(r) = invalid(&mut st, "postLedgerAccounts", &v) {
        return r;
    }
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

fn third_party_json(t: &ThirdParty, kind: &str) -> Value {
    json!({"id": t.id, "name": t.name, "customer_type": kind, "reg_no": t.reg_no, "establishment_no": t.establishment_no,
           "vat_number": t.vat_number, "external_reference": t.external_reference,
           "ledger_account": {"id": t.ledger_account_id, "url": format!("/api/external/v2/ledger_accounts/{}", t.ledger_account_id)}})
}

async fn customers(
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

async fn suppliers(
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

async fn create_supplier(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(r) = invalid(&mut st, "postSupplier", &v) {
        return r;
    }
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

async fn file_attachment(State((state, _)): S, mut m: Multipart) -> Response<Body> {
    let mut file = None;
    while let Ok(Some(f)) = m.next_field().await {
        let name = f.name().unwrap_or("").to_string();
        let fname = f.file_name().map(str::to_string);
        let bytes = f.bytes().await.unwrap_or_default();
        if name == "file" && fname.is_some() && !bytes.is_empty() {
            file = fname;
        }
    }
    let mut st = state.lock().unwrap();
    let Some(fname) = file else {
        st.violations.push("file_attachments: no file part".into());
        return json_response(
            400,
            r#"{"message":"file is missing","code":"NotExistRequiredKey"}"#,
        );
    };
    let id = st.id();
    st.file_attachments.push(fname.clone());
    json_response(
        201,
        &json!({"id": id, "filename": fname, "url": format!("https://files.example/{id}")})
            .to_string(),
    )
}

async fn create_entry(State((state, _)): S, body: String) -> Response<Body> {
    let mut st = state.lock().unwrap();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(r) = invalid(&mut st, "postLedgerEntries", &v) {
        return r;
    }
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
        && !st.file_attachments.is_empty()
        && fa.as_i64().is_none()
    {
        return json_response(422, r#"{"error":"file_attachment_id","status":422}"#);
    }
    let id = st.id();
    let mut stored = v.clone();
    stored["id"] = json!(id);
    st.entries.push(stored.clone());
    json_response(201, &stored.to_string())
}

async fn list_entries(
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
                ("piece_number", _) => panic!("Pennylane cannot filter ledger entries on piece_number"),
                _ => true,
            })
        })
        .map(|e| json!({"id": e["id"], "label": e["label"], "date": e["date"], "journal": {"id": e["journal_id"]},
                        "piece_number": e["piece_number"], "currency": e["currency"]}))
        .collect();
    page(items, &q)
}
