//! Test support: data (mapped invoices, collected documents), stateful mocks of Inqom and
//! Pennylane on 127.0.0.1 following the research notes' shapes, and the independent FEC checker.
#![allow(dead_code)]

pub mod inqom_mock;
pub mod pennylane_mock;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::ports::{Attachment, DocumentToPush, EntryToPush};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};
use domain::Category;
use domain::auxcode::AuxCodes;
use domain::config::DossierConfig;
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, invoices};
use ledgers::{PartyBook, RetryPolicy};
use sha2::Digest;

pub fn config() -> DossierConfig {
    example_config()
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn pdf(name: &str) -> Attachment {
    let bytes = format!("%PDF-1.4\n% {name}\n%%EOF\n").into_bytes();
    Attachment {
        file_name: format!("{name}.pdf"),
        content_type: "application/pdf".into(),
        sha256: sha256(&bytes),
        bytes,
    }
}

/// `n` mapped invoices of the example dossier, with their PDF; their parties go to `book`.
pub fn entries(n: usize, seed: u64, book: &PartyBook) -> Vec<EntryToPush> {
    let cfg = config();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let mut out = Vec::new();
    let mut batch = 0;
    while out.len() < n {
        for mut doc in invoices(n, 3, seed + batch) {
            doc.source.source_id = format!("{}-{}", batch, doc.source.source_id);
            doc.number = format!("F{}-{}", batch, doc.number);
            let Ok(Mapped::Entry(entry)) = map_document(&doc, &cfg, &mut aux) else {
                continue;
            };
            for l in entry.lines() {
                if let Some(a) = &l.auxiliary {
                    book.remember(&cfg.id, &a.code, &doc.party);
                }
            }
            out.push(EntryToPush {
                external_id: entry.source.key(),
                pdf: Some(pdf(&entry.piece_ref)),
                entry,
            });
            if out.len() == n {
                break;
            }
        }
        batch += 1;
    }
    out
}

/// `n` collected documents cycling through the four categories.
pub fn documents(n: usize) -> Vec<DocumentToPush> {
    (0..n)
        .map(|i| {
            let category = Category::ALL[i % 4];
            let file = pdf(&format!("scan-{i}"));
            DocumentToPush {
                external_id: format!("mail:{}:{}", file.sha256, category.prefix()),
                category,
                file,
                sender: "no-reply@welyb.fr".into(),
            }
        })
        .collect()
}

/// Fast retries for tests.
pub fn retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

/// A fault the next API request meets.
#[derive(Debug, Clone)]
pub enum Fault {
    Unauthorized,
    /// 429 with `Retry-After` seconds.
    TooMany(u64),
    Status(u16, String),
    Hang(Duration),
}

pub type Faults = Arc<Mutex<std::collections::VecDeque<Fault>>>;

/// Applies the next fault, if any.
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

pub fn json_response(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::to_string)
}

/// Serves `app` on 127.0.0.1 with a free port; returns the base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the independent checker (tools/fec_check.py, installed by scripts/setup); returns
/// (exit code, JSON report).
pub fn independent_check(path: &Path) -> (i32, serde_json::Value) {
    let python = std::env::var_os("PASSERELLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "the independent FEC checker is not installed ({} is missing): run scripts/setup first",
        python.display()
    );
    let out = Command::new(&python)
        .arg(repo_root().join("tools/fec_check.py"))
        .arg(path)
        .output()
        .expect("run tools/fec_check.py");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "fec_check failed to run (exit {code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        code,
        serde_json::from_slice(&out.stdout).expect("fec_check prints JSON"),
    )
}
