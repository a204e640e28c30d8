//! A scriptable Sellsy on 127.0.0.1 (free port): every API request is checked against the
//! official spec (`simulators::sellsy::spec`, the vendored v2.264.0 document) and answered by a
//! function the test gives. Token requests are answered with a fixed bearer token; paths
//! under `/files/` (PDF links) are answered by the same function without a spec check.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::ports::Secret;
use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::Response;
use sellsy::{Pacing, RetryPolicy, SellsyClient, SellsyConfig};
use serde_json::{Value, json};

/// One request as the mock saw it (`path` without the `/v2` base).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Req {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the mock answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Json(u16, Value),
    Bytes(u16, &'static str, Vec<u8>),
}

impl Answer {
    pub fn ok(v: Value) -> Answer {
        Answer::Json(200, v)
    }

    /// Sellsy's error envelope (spec `components.schemas.Error`).
    pub fn error(status: u16, message: &str) -> Answer {
        Answer::Json(
            status,
            json!({"error": {"code": status, "message": message, "context": null, "details": {}}}),
        )
    }
}

pub type Handler = Arc<dyn Fn(&Req) -> Answer + Send + Sync>;

struct Shared {
    handler: Handler,
    requests: Mutex<Vec<Req>>,
    refused: Mutex<Vec<String>>,
}

pub struct Mock {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

pub const TOKEN_PATH: &str = "/oauth2/access-tokens";

async fn serve(shared: Arc<Shared>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    if path == TOKEN_PATH {
        return json_response(
            200,
            &json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "mock-token"}),
        );
    }
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let body: Option<Value> = if body.is_empty() {
        None
    } else {
        Some(serde_json::from_slice(&body).unwrap_or(Value::String("<not JSON>".into())))
    };
    let api_path = path.strip_prefix("/v2").map(str::to_string);
    if let Some(p) = &api_path {
        let check = simulators::sellsy::spec::spec().check_request(
            method.as_str(),
            p,
            &query,
            body.as_ref(),
        );
        if let Err(errs) = check {
            shared.refused.lock().unwrap().extend(errs);
        }
    }
    let req = Req {
        method: method.to_string(),
        path: api_path.unwrap_or(path),
        query,
        body,
    };
    shared.requests.lock().unwrap().push(req.clone());
    // A panicking handler is a test bug: answer 500 so the client reports it, and record it.
    let handler = shared.handler.clone();
    let answer = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&req))) {
        Ok(a) => a,
        Err(_) => {
            shared.refused.lock().unwrap().push(format!(
                "mock handler panicked on {} {}",
                req.method, req.path
            ));
            Answer::error(500, "mock handler panicked")
        }
    };
    match answer {
        Answer::Json(status, v) => json_response(status, &v),
        Answer::Bytes(status, ctype, bytes) => Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header(header::CONTENT_TYPE, ctype)
            .body(Body::from(bytes))
            .unwrap(),
    }
}

fn json_response(status: u16, v: &Value) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(v).unwrap()))
        .unwrap()
}

impl Mock {
    pub async fn start(handler: Handler) -> Mock {
        Mock::start_with(|_| handler).await
    }

    /// Starts a mock whose handler needs the mock's own base URL (`http://127.0.0.1:<port>`).
    pub async fn start_with(make: impl FnOnce(String) -> Handler) -> Mock {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            handler: make(format!("http://{addr}")),
            requests: Mutex::new(Vec::new()),
            refused: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let s = s.clone();
            async move { serve(s, method, uri, body).await }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Mock { addr, shared, task }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api_base(&self) -> String {
        format!("{}/v2", self.base())
    }

    /// Every violation of the spec found in the requests so far (and handler panics).
    pub fn refused(&self) -> Vec<String> {
        self.shared.refused.lock().unwrap().clone()
    }

    pub fn requests(&self) -> Vec<Req> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// A fast client configuration pointed at the mock: no pacing to speak of, short backoffs.
    pub fn config(&self) -> SellsyConfig {
        let mut cfg = SellsyConfig::new("mock-client", Secret::new("mock-secret"))
            .with_base_urls(self.api_base(), format!("{}{TOKEN_PATH}", self.base()));
        cfg.retry = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        };
        cfg.request_timeout = Duration::from_secs(5);
        cfg.pacing = Pacing {
            per_second: 100_000,
            per_minute: 1_000_000,
            margin: Duration::ZERO,
            read_quotas: true,
        };
        cfg.trusted_pdf_hosts = vec!["127.0.0.1".into()];
        cfg
    }

    pub fn client(&self) -> SellsyClient {
        SellsyClient::new(self.config()).unwrap()
    }

    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
