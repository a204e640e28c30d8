//! The API routes behind the gate: a valid bearer token, the queued faults, the dossier id.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use axum::middleware::{self, Next};
use axum::routing::{get, post};

use super::chart::{accounts, create_account, journals, periods};
use super::documents::{attach, expense_bill, list_documents, upload_document};
use super::entries::{create_entries, entry_lines};
use super::state::{DOSSIER, InqomState, S, St};
use crate::mock::{Faults, bearer, json_response, next_fault};

/// The API routes behind the gate (authentication, faults, the dossier id).
pub(super) fn api(state: &Arc<Mutex<InqomState>>, faults: &Faults) -> Router<St> {
    let d = "/v1/dossiers/{id}";
    Router::new()
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
        ))
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
