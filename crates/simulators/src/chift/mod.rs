//! A stateful mock of Chift's unified accounting API (`spec/chift-openapi.json`, OpenAPI 3.1):
//! `POST /token` (AuthItem → Token, 30 min), then bearer-authenticated
//! `/consumers/{consumer_id}/accounting/*` routes: folders, bookyears, journals, vat-codes,
//! chart-of-accounts, clients and suppliers (GET/POST), journal-entries (POST), journal/entries
//! (GET, GET by id). Lists are `ChiftPage {items, total, page, size}`.
//!
//! Checked against its spec ([`spec`]): every request is matched to an operation (method + path
//! template; none → 404), its path and query parameters and JSON body validated against the
//! declared schemas (JSON Schema 2020-12, formats `date` and `uuid` asserted). A request that
//! does not conform is answered 422 `HTTPValidationError` `{message, detail: [{loc, msg, type}]}`
//! and recorded in `violations`. Every answer of the mock (not injected faults) is checked
//! against the operation's response schema; a mismatch, a bug of the mock, is recorded in
//! `answer_violations`.
//!
//! Folders: the journals, VAT codes, book years and chart are the consumer's; clients,
//! suppliers and entries belong to one folder (entry numbers are unique per folder). With more
//! than one selected folder every `/accounting/*` request but `folders` must name one in
//! `folder_id` (400 ERROR_FOLDER_ID_MISSING otherwise, assumption).
//!
//! Errors are `ChiftError` `{message, status: "error", error_code}` with the spec's example
//! codes where it has them; the assumed ones are marked in `routes.rs` and `entries.rs`.

mod entries;
mod routes;
pub mod spec;
mod state;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Response;
use axum::http::header::CONTENT_TYPE;
use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};

pub use entries::base64_decode;
pub use state::{BookYear, ChiftState, Entry, Folder, Journal, Partner, VatCode};

use crate::mock::{Fault, Faults, bearer, json_response, next_fault, serve};

/// The consumer (one connection of the account) the mock serves.
pub const CONSUMER_ID: &str = "5b3a2f0e-8c1d-4e7a-9f21-6d0c4b8a1e35";
/// The Chift account (`AuthItem.accountId`).
pub const ACCOUNT_ID: &str = "0f6e9d4c-2b7a-4c3e-8d15-a9b8c7d6e5f4";
pub const CLIENT_ID: &str = "chift-client";
pub const CLIENT_SECRET: &str = "chift-client-secret";
/// The first folder's id (`FOLDER-2`, ... for the others).
pub const FOLDER_ID: &str = "FOLDER-1";

/// How to seed the mock.
#[derive(Debug, Clone)]
pub struct ChiftOptions {
    /// Selected folders of the consumer; more than one makes `folder_id` mandatory.
    pub folders: usize,
}

impl Default for ChiftOptions {
    fn default() -> Self {
        ChiftOptions { folders: 1 }
    }
}

#[derive(Clone)]
pub struct ChiftMock {
    pub url: String,
    pub state: Arc<Mutex<ChiftState>>,
    pub faults: Faults,
}

impl ChiftMock {
    pub fn state(&self) -> MutexGuard<'_, ChiftState> {
        self.state.lock().unwrap()
    }

    /// Queues a fault for the next API request (`POST /token` meets none).
    pub fn fault(&self, f: Fault) {
        self.faults.lock().unwrap().push_back(f);
    }

    /// The API base (`POST {base}/token`, `{base}/consumers/...`).
    pub fn base_url(&self) -> String {
        self.url.clone()
    }

    /// `{base}/consumers/{CONSUMER_ID}/accounting`.
    pub fn accounting_url(&self) -> String {
        format!("{}/consumers/{CONSUMER_ID}/accounting", self.url)
    }

    /// From now on, an entry numbered `number` is refused 422 ERROR_ENTRY_NOT_BALANCED whatever
    /// its content ("one bad entry in a batch").
    pub fn reject_number(&self, number: &str) {
        self.state().rejected_numbers.push(number.to_string());
    }

    /// The next `n` entries created are booked, then answered 504 as a proxy whose wait ran
    /// out would: the client cannot know they were booked.
    pub fn lose_entry_answers(&self, n: usize) {
        self.state().lose_answers += n;
    }

    /// From now on, pages hold at most `n` items whatever `size` asks (a connector's own cap).
    pub fn cap_pages(&self, n: usize) {
        self.state().page_cap = Some(n.max(1));
    }

    /// Seeds a client (ids and account number generated when empty); returns its id.
    pub fn add_client(&self, p: Partner) -> String {
        self.state().add_partner(false, p)
    }

    /// Seeds a supplier (ids and account number generated when empty); returns its id.
    pub fn add_supplier(&self, p: Partner) -> String {
        self.state().add_partner(true, p)
    }

    /// Closes the book year `name` ("2025"): entries dated in it are refused.
    pub fn close_book_year(&self, name: &str) {
        for y in self
            .state()
            .book_years
            .iter_mut()
            .filter(|y| y.name == name)
        {
            y.closed = true;
        }
    }
}

/// The seeded chart of accounts (number, name, `AccountItemType`): a French PCG extract with the
/// accounts the example dossier, the Sellsy simulator and the demo's e-invoice use.
const CHART: &[(&str, &str, &str)] = &[
    ("411000", "Clients", "receivable"),
    ("401000", "Fournisseurs", "payable"),
    ("706000", "Prestations de services", "income"),
    ("707000", "Ventes de marchandises", "income"),
    ("709600", "RRR accordés sur prestations", "income"),
    ("709700", "RRR accordés sur marchandises", "income"),
    ("445711", "TVA collectée 20 %", "vat"),
    ("445712", "TVA collectée 10 %", "vat"),
    ("445713", "TVA collectée 5,5 %", "vat"),
    ("445714", "TVA collectée 2,1 %", "vat"),
    ("445661", "TVA déductible 20 %", "vat"),
    ("445662", "TVA déductible 10 %", "vat"),
    ("445663", "TVA déductible 5,5 %", "vat"),
    ("445664", "TVA déductible 2,1 %", "vat"),
    (
        "445660",
        "TVA déductible sur autres biens et services",
        "vat",
    ),
    (
        "604000",
        "Achats d'études et prestations de services",
        "expense",
    ),
    (
        "609000",
        "Rabais, remises et ristournes obtenus sur achats",
        "expense",
    ),
    ("445662", "TVA intracommunautaire déductible", "vat"),
    ("4452", "TVA due intracommunautaire", "vat"),
    ("4457", "TVA autoliquidée", "vat"),
    ("606000", "Achats non stockés", "expense"),
    (
        "606100",
        "Fournitures non stockables (eau, énergie)",
        "expense",
    ),
    ("606400", "Fournitures administratives", "expense"),
    ("622200", "Commissions et courtages sur ventes", "expense"),
    (
        "626000",
        "Frais postaux et de télécommunications",
        "expense",
    ),
    ("708500", "Ports et frais accessoires facturés", "income"),
    ("709000", "Rabais, remises et ristournes accordés", "income"),
    ("607000", "Achats de marchandises", "expense"),
    ("611000", "Sous-traitance générale", "expense"),
    ("622600", "Honoraires", "expense"),
    (
        "658000",
        "Charges diverses de gestion courante",
        "other_expense",
    ),
    ("758000", "Produits divers de gestion courante", "income"),
    ("512000", "Banque", "bank"),
];

/// Starts the mock with one folder.
pub async fn start() -> ChiftMock {
    start_with(ChiftOptions::default()).await
}

/// Starts the mock: folders, journals VT, AV, HA, OD, French VAT codes, this year's and last
/// year's (open) book years, a French chart of accounts.
pub async fn start_with(opts: ChiftOptions) -> ChiftMock {
    let state = Arc::new(Mutex::new(seed(&opts)));
    let faults: Faults = Arc::default();
    let app = Router::new()
        .fallback(gate)
        .with_state((state.clone(), faults.clone()));
    let url = serve(app).await;
    ChiftMock { url, state, faults }
}

fn seed(opts: &ChiftOptions) -> ChiftState {
    let mut st = ChiftState {
        consumer_id: CONSUMER_ID.into(),
        ..ChiftState::default()
    };
    for n in 1..=opts.folders.max(1) {
        st.folders.push(Folder {
            id: format!("FOLDER-{n}"),
            name: format!("ACME SAS {n}"),
            selected: true,
        });
    }
    for (code, name, kind) in [
        ("VT", "Ventes", "customer_invoice"),
        ("AV", "Avoirs clients", "customer_refund"),
        ("HA", "Achats", "supplier_invoice"),
        ("OD", "Opérations diverses", "miscellaneous_operation"),
    ] {
        let id = st.id();
        st.journals.push(Journal {
            id,
            code: code.into(),
            name: name.into(),
            journal_type: kind.into(),
        });
    }
    let rates = [
        (20.0, "20", "1"),
        (10.0, "10", "2"),
        (5.5, "5,5", "3"),
        (2.1, "2,1", "4"),
    ];
    for (kind, prefix, root) in [("sale", "V", "44571"), ("purchase", "A", "44566")] {
        for (rate, label, digit) in rates {
            let id = st.id();
            st.vat_codes.push(VatCode {
                id,
                code: format!("{prefix}{label}"),
                label: format!("TVA {label} % ({kind})"),
                rate,
                kind: kind.into(),
                account: Some(format!("{root}{digit}")),
                scope: "nat".into(),
                reversed: false,
            });
        }
    }
    let id = st.id();
    st.vat_codes.push(VatCode {
        id,
        code: "EXO".into(),
        label: "Exonéré 0 %".into(),
        rate: 0.0,
        kind: "both".into(),
        account: None,
        scope: "nat".into(),
        reversed: false,
    });
    // Self-assessed purchases (autoliquidation): intra-community (CGI art. 256 bis) and
    // domestic reverse charge (art. 283-2).
    for (code, label, scope, account) in [
        (
            "AIC20",
            "Acquisitions intracommunautaires 20 %",
            "eu",
            "445662",
        ),
        ("AUTO20", "Autoliquidation 20 %", "nat", "445660"),
    ] {
        let id = st.id();
        st.vat_codes.push(VatCode {
            id,
            code: code.into(),
            label: label.into(),
            rate: 20.0,
            kind: "purchase".into(),
            account: Some(account.into()),
            scope: scope.into(),
            reversed: true,
        });
    }
    let year = Utc::now().date_naive().year();
    for y in [year - 1, year] {
        st.book_years.push(BookYear {
            name: y.to_string(),
            start: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(y, 12, 31).unwrap(),
            closed: false,
        });
    }
    for (n, name, kind) in CHART {
        st.accounts
            .push((n.to_string(), name.to_string(), kind.to_string()));
    }
    st
}

type S = State<(Arc<Mutex<ChiftState>>, Faults)>;

/// Every request: checked against the spec (violations recorded), `POST /token` answered, the
/// rest authenticated, then a queued fault or the route; every answer but a fault checked
/// against the spec's response schema.
async fn gate(State((state, faults)): S, req: Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let query: HashMap<String, String> = pairs.iter().cloned().collect();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (method, path) = (parts.method.as_str(), parts.uri.path());
    let (op, checked) = spec::check_request(method, path, &pairs, content_type, &body);
    let is_token = op.as_ref().is_some_and(|o| o.path == "/token");
    let authorized = {
        let mut st = state.lock().unwrap();
        if let Err(details) = &checked {
            for d in details {
                st.violations
                    .push(format!("{method} {path}: {} at {}", d["msg"], d["loc"]));
            }
        }
        if !is_token {
            st.requests += 1;
        }
        bearer(&parts.headers).is_some_and(|t| st.tokens.contains(&t))
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, answer) = match (&op, checked) {
        (None, _) => spec::chift_error(404, "ERROR_NOT_FOUND", "Not Found"),
        (Some(_), _) if !is_token && !authorized => {
            spec::chift_error(401, "ERROR_UNAUTHORIZED", "Not authenticated")
        }
        (Some(_), Err(d)) => (422, spec::validation_error(&d)),
        (Some(_), Ok(())) if is_token => token(&state, &body),
        (Some(op), Ok(())) => {
            if let Some(r) = next_fault(&faults).await {
                if r.status() == 401 {
                    state.lock().unwrap().tokens.clear();
                }
                return r;
            }
            let mut st = state.lock().unwrap();
            // A connector that serves shorter pages than asked (its own cap).
            let mut query = query.clone();
            if let Some(cap) = st.page_cap {
                let size: usize = query.get("size").and_then(|s| s.parse().ok()).unwrap_or(50);
                query.insert("size".into(), size.min(cap).to_string());
            }
            let (status, answer) = routes::dispatch(&mut st, op, &query, &body);
            // Booked, but the answer lost on the way back (a proxy's timeout).
            if op.id == "accounting_create_generic_journal_entry"
                && status == 200
                && st.lose_answers > 0
            {
                st.lose_answers -= 1;
                return json_response(504, "<html><body>504 Gateway Time-out</body></html>");
            }
            (status, answer)
        }
    };
    let text = answer.to_string();
    if cfg!(debug_assertions)
        && let Err(e) = spec::check_answer(op.as_ref(), status, text.as_bytes())
    {
        state.lock().unwrap().answer_violations.push(e);
    }
    json_response(status, &text)
}

/// `POST /token`: the `AuthItem` of the mock's account → a `Token` valid 30 minutes; wrong
/// credentials → 401 ChiftError (assumption: the spec declares no 401 for this operation).
fn token(state: &Arc<Mutex<ChiftState>>, body: &Value) -> (u16, Value) {
    let mut st = state.lock().unwrap();
    st.token_requests += 1;
    let good = body["clientId"] == CLIENT_ID
        && body["clientSecret"] == CLIENT_SECRET
        && body["accountId"] == ACCOUNT_ID;
    if !good {
        return spec::chift_error(401, "ERROR_INVALID_CREDENTIALS", "Invalid credentials");
    }
    let access = format!("chift-token-{}", st.token_requests);
    st.tokens.push(access.clone());
    let expires_on = Utc::now().timestamp() + 1800;
    (
        200,
        json!({"access_token": access, "token_type": "bearer", "expires_in": 1800,
               "expires_on": expires_on}),
    )
}
