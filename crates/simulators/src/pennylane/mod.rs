//! A stateful Pennylane Company API v2 mock (research notes §2): bearer tokens (company token or
//! OAuth refresh), cursor-paginated lists `{items, has_more, next_cursor}` with JSON `filter`s,
//! `ratelimit-*` headers on every answer, both error shapes.
//!
//! Checked against its spec: every request is checked against the vendored extract of the
//! official spec ([`spec`], `spec/pennylane-company-v2-extract.json`): the operation exists, its
//! query parameters (filter fields and operators, sort fields, limits) are documented, the body
//! has the declared content type and follows the operation's JSON schema. A request that does
//! not is answered 400 `{message, code}` (404 for an unknown operation) and counted in
//! `violations`. Every answer the mock gives is checked against the shapes the official spec
//! declares ([`spec::answer_schema`]); injected faults are not (they stand for a proxy or an
//! outage, off the spec on purpose).
//!
//! Documented facts the routes follow (research notes §2): `POST /ledger_accounts` on a 401/411
//! number also creates the supplier/customer; entry lines must balance (422 "Entry lines are not
//! balanced"); `GET /ledger_entries` cannot filter on `piece_number`; `POST /file_attachments`
//! is multipart with one `file` part of an accepted content type and an optional `filename`, and
//! an entry's `file_attachment_id` must name an uploaded file; an operation the extract marks
//! **DEPRECATED** (`/ledger_attachments`) is refused, so no sink comes to depend on one; rate limit 25 requests per 5 s per token, announced in
//! `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset` on every answer, enforced per token in a sliding
//! window once a test calls `enforce_rate_limit` (429 with `retry-after` beyond it).

mod routes;
pub mod spec;
mod state;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Response;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use serde_json::json;

use crate::mock::{Fault, Faults, bearer, form, json_response, next_fault, serve};
pub use routes::ACCEPTED_TYPES;
use routes::*;
pub use state::{PennylaneState, ThirdParty, Upload};
use state::{Quota, S};

pub const API_TOKEN: &str = "pl-company-token";
pub const CLIENT_ID: &str = "pl-client";
pub const CLIENT_SECRET: &str = "pl-client-secret";
pub const REFRESH_TOKEN: &str = "pl-refresh-1";

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

    /// The next `n` entries created are booked, then answered 504 as a proxy whose wait ran
    /// out would: the client cannot know they were booked.
    pub fn lose_entry_answers(&self, n: usize) {
        self.state().lose_answers += n;
    }

    /// The API base (`.../api/external/v2`).
    pub fn api_base(&self) -> String {
        format!("{}/api/external/v2", self.url)
    }

    /// Enforces the rate limit from now on: at most `requests` per token in any window of `per`
    /// (Pennylane: 25 per 5 s), beyond which the answer is 429 "Rate limit exceeded. Please
    /// retry in X seconds." with `retry-after`, counted in `rate_limited`. Off by default, so
    /// the tests that do not pace their requests are not slowed.
    pub fn enforce_rate_limit(&self, requests: usize, per: std::time::Duration) {
        self.state().rate_limit = Some((requests, per));
    }

    /// The OAuth token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url)
    }
}

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
        .fallback(not_simulated)
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

/// The `ratelimit-*` headers of every answer: the enforced window's figures, else nominal ones.
fn with_ratelimit(mut r: Response<Body>, quota: &Quota) -> Response<Body> {
    let (limit, remaining, reset_in) = match *quota {
        Quota::Off => (25, 24, 5),
        Quota::Within(l, rem, secs) => (l, rem, secs),
        Quota::Over(l, secs) => (l, 0, secs),
    };
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + reset_in;
    let h = r.headers_mut();
    h.insert("ratelimit-limit", limit.to_string().parse().unwrap());
    h.insert(
        "ratelimit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    h.insert("ratelimit-reset", reset.to_string().parse().unwrap());
    r
}

/// Every API request: counted, checked against the extract, authenticated, then a queued fault
/// or the route; every answer but a fault is checked against the documented shapes.
async fn gate(State((state, faults)): S, req: Request, next: Next) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let query: Vec<(String, String)> = form(parts.uri.query().unwrap_or("")).into_iter().collect();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (op, checked) = spec::check_request(
        parts.method.as_str(),
        parts.uri.path(),
        &query,
        content_type,
        &body,
    );
    let (authorized, quota) = {
        let mut st = state.lock().unwrap();
        st.requests += 1;
        let token = bearer(&parts.headers).filter(|t| st.tokens.contains(t));
        let quota = match &token {
            Some(t) => st.quota(t),
            None => Quota::Off,
        };
        if !matches!(quota, Quota::Over(..)) {
            match &checked {
                Ok(c) => st.validated += usize::from(c.validated_body),
                Err(r) => st.violations.extend(r.violations.iter().cloned()),
            }
        }
        (token.is_some(), quota)
    };
    let answer = if !authorized {
        json_response(401, r#"{"error":"Unauthorized","status":401}"#)
    } else if let Quota::Over(_, secs) = quota {
        let mut r = json_response(
            429,
            &json!({"error": format!("Rate limit exceeded. Please retry in {secs} seconds."), "status": 429})
                .to_string(),
        );
        r.headers_mut()
            .insert("retry-after", secs.to_string().parse().unwrap());
        r
    } else if let Some(r) = next_fault(&faults).await {
        if r.status() == 401 {
            state.lock().unwrap().tokens.retain(|t| t == API_TOKEN);
        }
        return with_ratelimit(r, &quota);
    } else {
        match checked {
            Err(r) => json_response(r.status, &r.body.to_string()),
            Ok(_) => next.run(Request::from_parts(parts, Body::from(body))).await,
        }
    };
    let (head, body) = answer.into_parts();
    let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
    {
        let mut st = state.lock().unwrap();
        st.answers_checked += 1;
        if let Err(e) = spec::check_answer(op.as_ref(), head.status.as_u16(), &body) {
            st.violations.push(format!("answer: {e}"));
        }
    }
    with_ratelimit(Response::from_parts(head, Body::from(body)), &quota)
}

/// `POST /oauth/token`, `grant_type=refresh_token`: a new access token and a rotated refresh
/// token (research notes §2, OAuth 2.0; RFC 6749 §6).
async fn token(State((state, _)): S, body: String) -> Response<Body> {
    let form = form(&body);
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
