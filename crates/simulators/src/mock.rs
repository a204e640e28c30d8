//! What the ledger mocks share: faults a test queues for the next API request, JSON answers,
//! bearer tokens, form bodies, and serving a router on 127.0.0.1 with a free port.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};

/// A fault the next API request meets.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 401: the token is no longer accepted (the mock forgets the tokens it issued).
    Unauthorized,
    /// 429 with `Retry-After` seconds.
    TooMany(u64),
    /// Any status with a raw body (an HTML 502 from a proxy, a canned API error...).
    Status(u16, String),
    /// Answers a 500 after this long (the client should time out first).
    Hang(Duration),
}

/// The queue of faults a mock applies, one per API request, in order.
pub type Faults = Arc<Mutex<VecDeque<Fault>>>;

/// Applies the next fault, if any. The bodies are Pennylane's documented shapes (research notes
/// §2: `{"error": .., "status": ..}` and "Rate limit exceeded. Please retry in X seconds.").
pub async fn next_fault(faults: &Faults) -> Option<Response<Body>> {
    let fault = faults.lock().unwrap().pop_front()?;
    Some(match fault {
        Fault::Unauthorized => json_response(401, r#"{"error":"unauthorized","status":401}"#),
        Fault::TooMany(secs) => {
            let mut r = json_response(
                429,
                &format!(
                    r#"{{"error":"Rate limit exceeded. Please retry in {secs} seconds.","status":429}}"#
                ),
            );
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            r
        }
        Fault::Status(code, body) => json_response(code, &body),
        Fault::Hang(d) => {
            tokio::time::sleep(d).await;
            json_response(500, r#"{"error":"late"}"#)
        }
    })
}

/// An `application/json` answer.
pub fn json_response(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The token of an `Authorization: Bearer ...` header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

/// An `application/x-www-form-urlencoded` body (RFC 6749 §4.3.2, §6 token requests).
pub fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Serves `app` on 127.0.0.1 with a free port; returns the base URL. The server runs until the
/// test's runtime ends.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}
