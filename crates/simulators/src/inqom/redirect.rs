//! The documents host behind a redirect. Inqom's `api.inqom.com` fronts other hosts
//! (`wa-fred-accounting-documents-prod.azurewebsites.net` for the documents, research notes
//! §1.1), so an upload may be answered with a redirect there. Once a test calls
//! `InqomMock::redirect_uploads`, every multipart upload (`accounting-documents`,
//! `Documents/`, `expense-bills`) reaching the main listener is answered with that status and a
//! `Location` on a second listener (another port of 127.0.0.1: another host for an HTTP client).
//! The second listener serves the same routes behind the same gate, so it requires the bearer
//! token, takes only the documented methods (a POST turned into a GET is answered 405), and
//! records what reached it in `upload_host_requests`. Which status Inqom uses is not
//! documented: the tests try 307, 308 and 301.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Response;
use axum::middleware::{self, Next};

use std::sync::{Arc, Mutex};

use super::router::api;
use super::state::{InqomState, S};
use crate::mock::{Faults, bearer, serve};

/// Whether a request is a document upload (the routes that take a multipart file).
fn is_upload(method: &str, path: &str) -> bool {
    method == "POST"
        && (path.ends_with("/accounting-documents")
            || path.ends_with("/Documents/")
            || path.ends_with("/expense-bills"))
}

/// Starts the upload host: the same routes behind the same gate, what reached it recorded.
pub(super) async fn upload_host(state: &Arc<Mutex<InqomState>>, faults: &Faults) -> String {
    let st = (state.clone(), faults.clone());
    let app = Router::new()
        .merge(api(state, faults))
        .layer(middleware::from_fn_with_state(st.clone(), record))
        .with_state(st);
    serve(app).await
}

/// The main listener: uploads are sent on to the upload host when asked to.
pub(super) async fn redirector(State((state, _)): S, req: Request, next: Next) -> Response<Body> {
    let target = {
        let st = state.lock().unwrap();
        st.redirect_uploads
            .clone()
            .filter(|_| is_upload(req.method().as_str(), req.uri().path()))
    };
    let Some((status, host)) = target else {
        return next.run(req).await;
    };
    let rest = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Response::builder()
        .status(status)
        .header("location", format!("{host}{rest}"))
        .body(Body::empty())
        .unwrap()
}

/// The upload host: what reached it, then the gate and the routes.
async fn record(State((state, _)): S, req: Request, next: Next) -> Response<Body> {
    {
        let mut st = state.lock().unwrap();
        let authorized = bearer(req.headers()).is_some_and(|t| Some(t) == st.current_token);
        let seen = (
            req.method().to_string(),
            req.uri().path().to_string(),
            authorized,
        );
        st.upload_host_requests.push(seen);
    }
    next.run(req).await
}
