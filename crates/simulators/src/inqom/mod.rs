//! A stateful Inqom mock. Inqom publishes no OpenAPI document to check against (its Swagger is
//! "for documentation only" and partner-gated, research notes §1.1), so each route follows the
//! documented facts listed here, from the research notes §1 (`/work/shared/research/ledger-apis.md`
//! at the time of writing), which cite Inqom's "API Accounting v0.1 - 04/2021" and "API
//! Accounting Documents" PDFs and a field-verified summary (`API_INQOM_STRUCTURES_VERIFIEES.md`,
//! Dec 2025). Request field names are checked against the documented ones; every deviation is
//! counted in `violations` and answered 400, as Inqom does.
//!
//! | Route | Documented facts it follows |
//! |---|---|
//! | `POST /identity/connect/token` | OAuth2 password grant, form-urlencoded `username`, `password`, `grant_type=password`, `scope=openid apidata`, `client_id`, `client_secret`; answers a JWT `access_token`, `expires_in` about a year (§1.1) |
//! | every API route | `Authorization: Bearer <jwt>`; 401 without a valid token; the dossier id in the path must be one the user can reach (§1.2: "ids: dossier = one client's books") |
//! | `GET /v1/dossiers/{id}/journals` | `[{Id, Name (code: VT, HA...), Description, Type}]`, `Type` one of Other, Buy, Sell, ... (§1.2) |
//! | `GET /v1/dossiers/{id}/accounting-periods` | `[{BeginDate, EndDate, Locked}]`; never post into a locked year (§1.2) |
//! | `GET /v1/dossiers/{id}/accounts` | `accountNumberPrefix`, `accountType` (All, Impactable, ...) required; `[{Number, Name, IsImpactable, IsDivisible, ParentAccountNumber}]`, the parent set for auxiliaries (§1.2, §5: sub-collectives 4011/4111) |
//! | `POST /v1/dossiers/{id}/accounts` | `{AccountNumber (≤22), Name (≤100), Auxiliarize?}` → 201 and the number actually created: Inqom files third parties under 4011/4111 ("401FOURNISSEUR" becomes "4011FOURNISSEUR", §1.2) |
//! | `POST /v1/dossiers/{id}/entries` | a batch of at most 50, synchronous and all-or-nothing; per entry `JournalId`*, `Date`* (YYYY-MM-DD), `Document{Reference (≤256), Date}`, `AccountingDocumentId?`, `ExternalId?`, `Lines`*; per line `Label`, `DebitAmount` / `CreditAmount` (numbers, one of the two > 0), `Currency` (≤5), `AccountNumber`, `ExternalId?`, `Quantities?`, `Analytics?`; the answer gives `Id`, `EntryRef`, `ExternalId` and the line `Id`s; labels come back upper-cased; refusals name the failing entries and lines with reasons such as `ExerciseLockedForDates`, `JournalNotFound`, `InsertEntryIsForbidden` (§1.2) |
//! | `GET /v1/dossiers/{id}/entry-lines` | `startDate`, `endDate`, `pageNumber` required, `journalId` optional; pages of 100 (§1.2); each line with its `Id`, `Label`, `DebitAmount`, `CreditAmount`, `Currency`, `AccountNumber`, `Entry {Id, Date}`, `Journal`, `AccountingDocument {Id, Reference}` and **no `ExternalId`** (the notes list none among what the API returns: only the `POST /entries` answer echoes the ExternalIds sent) |
//! | `POST /v1/dossiers/{id}/accounting-documents` | multipart `entryId`*, `date`, `reference`, `fileName`, `file`*; 201 and the `Id` (§1.2) |
//! | `POST .../accounting-folders/{id}/Documents/` | multipart `TypeScan` (Client, Supplier, Others), `FileSource=Api`, `Document`, `DocRef`, `SourceId`, `WithoutWorkflow`, `DocumentName`; status `Received`, `Duplicate` for a file already received (§1.2, §6) |
//! | `GET .../accounting-folders/{id}/Documents` | the documents with `Id`, `Name`, `Type`, `Source`, `DocRef`, `Status` (§1.2, §1.4) |
//! | `POST /api/v1/accounting-folders/{id}/expense-bills` | multipart `File`, `BeneficiaryFullName`, `FileNameWithExtension`, `DocumentReference` (§1.2) |
//!
//! | uploads redirected | Inqom's `api.inqom.com` fronts other hosts (§1.1), so an upload may be answered with a redirect to another host: once a test calls `InqomMock::redirect_uploads(status)`, the uploads are redirected to a second listener that requires the bearer token (`redirect`) |
//!
//! Not documented, so chosen here and marked so: the 400 bodies (`{"Message": ...}`, the shape
//! of ASP.NET Web API errors Inqom's services answer), the document id of a duplicate, and
//! that a reference containing `BAD` is refused as `InsertEntryIsForbidden` (a test hook).

mod chart;
mod documents;
mod entries;
mod redirect;
mod router;
mod state;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Response;
use axum::middleware;
use axum::routing::post;
use serde_json::json;

use crate::mock::{Fault, Faults, form, json_response, serve};
use router::api;
use state::S;
pub use state::{CLIENT_ID, CLIENT_SECRET, DOSSIER, InqomState, PASSWORD, StoredEntry, USER};

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

    /// The next `n` entry batches are booked, then answered 504 as a proxy whose wait ran out
    /// would: the client cannot know they were booked.
    pub fn lose_entry_answers(&self, n: usize) {
        self.state().lose_answers += n;
    }

    /// The API base (accounting and documents are served on one host here).
    pub fn api_url(&self) -> String {
        self.url.clone()
    }

    /// From now on uploads are answered `status` (301, 302, 307, 308...) with a `Location` on a
    /// second listener that requires the bearer token ([`redirect`]); returns its base URL.
    pub async fn redirect_uploads(&self, status: u16) -> String {
        let known = self
            .state()
            .redirect_uploads
            .as_ref()
            .map(|(_, h)| h.clone());
        let host = match known {
            Some(h) => h,
            None => redirect::upload_host(&self.state, &self.faults).await,
        };
        self.state().redirect_uploads = Some((status, host.clone()));
        host
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/identity/connect/token", self.url)
    }
}

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
    let app = Router::new()
        .route("/identity/connect/token", post(token))
        .merge(api(&state, &faults))
        .layer(middleware::from_fn_with_state(
            (state.clone(), faults.clone()),
            redirect::redirector,
        ))
        .with_state((state.clone(), faults.clone()));
    let url = serve(app).await;
    InqomMock { url, state, faults }
}

/// The password grant (§1.1).
async fn token(State((state, _)): S, body: String) -> Response<Body> {
    let form = form(&body);
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
