//! A Sellsy API v2 simulator for development and tests, and the OpenAPI conformance checker
//! ([`spec`]). Never a dependency of shipped code.
//!
//! [`Sim::start`] serves, on 127.0.0.1 and a free port:
//! - `POST /oauth2/access-tokens` (client credentials, expiring tokens);
//! - the `/v2/...` routes the connector uses, with spec-shaped data generated from a seed,
//!   per-second/minute/day quotas (sliding windows, 429 + `Retry-After`, `X-Quota-*` headers),
//!   scopes (403), injectable faults (5xx, hangs, slow answers) and injectable errors (402/403/400);
//! - `GET /file?id=..&key=..&display=Y`: the documents' PDFs (the `pdf_link` host).
//!
//! With `validate` on (the default) every request is checked against the official spec (a
//! violation is answered 400, as Sellsy does, and recorded) and every response too.

mod config;
pub mod data;
mod envelope;
mod pdf;
mod server;
pub mod spec;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::NaiveDate;
use serde_json::{Value, json};

pub use config::{ALL_SCOPES, ErrorRule, Faults, SimConfig, SimStats};
pub use data::Kind;
pub use data::{PurFile, PurKind};

/// A summary of one generated document, for tests to compare against what a client pulled.
#[derive(Debug, Clone, PartialEq)]
pub struct DocSummary {
    pub kind: Kind,
    pub id: u64,
    pub number: String,
    pub status: String,
    pub date: NaiveDate,
    pub total_excl_tax: rust_decimal::Decimal,
    pub total_incl_tax: rust_decimal::Decimal,
    pub vat_rates: Vec<rust_decimal::Decimal>,
    pub has_pdf: bool,
    pub linked_invoice: Option<u64>,
}

/// A summary of one generated purchase (purchases journal), for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseSummary {
    pub kind: PurKind,
    pub id: u64,
    pub number: String,
    pub date: NaiveDate,
    pub supplier: String,
    pub supplier_aux: String,
    pub total_excl_tax: rust_decimal::Decimal,
    pub total_incl_tax: rust_decimal::Decimal,
    /// (rate, VAT) per rate.
    pub vat: Vec<(rust_decimal::Decimal, rust_decimal::Decimal)>,
    pub file: PurFile,
    /// Exported already (`recorded`): listed only with `include_exported_entries`.
    pub sent_to_accounting: bool,
}

/// A running simulator. Dropping it stops the server.
pub struct Sim {
    addr: SocketAddr,
    state: server::Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sim {
    /// Starts the simulator on 127.0.0.1 (`cfg.port`, 0 = a free port).
    pub async fn start(cfg: SimConfig) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let state: server::Shared = Arc::new(Mutex::new(server::Inner::new(cfg, base)));
        let st = state.clone();
        let app = axum::Router::new().fallback(
            move |method: axum::http::Method,
                  uri: axum::http::Uri,
                  headers: axum::http::HeaderMap,
                  body: axum::body::Bytes| {
                let st = st.clone();
                async move { server::handle(st, method, uri, headers, body).await }
            },
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sim {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `http://127.0.0.1:PORT/v2` (the connector's API base).
    pub fn api_base(&self) -> String {
        format!("http://{}/v2", self.addr)
    }
    /// `http://127.0.0.1:PORT/oauth2/access-tokens`
    pub fn token_url(&self) -> String {
        format!("http://{}/oauth2/access-tokens", self.addr)
    }
    pub fn client_id(&self) -> String {
        self.state.lock().unwrap().cfg.client_id.clone()
    }
    pub fn client_secret(&self) -> String {
        self.state.lock().unwrap().cfg.client_secret.clone()
    }

    pub fn stats(&self) -> SimStats {
        self.state.lock().unwrap().stats.clone()
    }
    /// Spec violations seen in requests received and responses sent.
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
    /// Access tokens issued so far (tests look for them in logs).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().tokens.keys().cloned().collect()
    }

    pub fn set_faults(&self, f: Faults) {
        self.state.lock().unwrap().faults = f;
    }
    pub fn set_scopes(&self, scopes: &[&str]) {
        self.state.lock().unwrap().scopes = scopes.iter().map(|s| s.to_string()).collect();
    }
    pub fn add_error_rule(&self, rule: ErrorRule) {
        self.state.lock().unwrap().rules.push(rule);
    }
    pub fn clear_error_rules(&self) {
        self.state.lock().unwrap().rules.clear();
    }
    /// Makes every issued token expire now (the next API call gets a 401).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for exp in self.state.lock().unwrap().tokens.values_mut() {
            *exp = now;
        }
    }

    /// "Modify a document after copy": changes its subject and first money row (so its totals
    /// and content hash change) and regenerates its PDF link, as Sellsy does after an edit.
    pub fn modify_document(&self, kind: Kind, id: u64) -> bool {
        let mut s = self.state.lock().unwrap();
        let Some(d) = s.data.docs_mut(kind).iter_mut().find(|d| d.id == id) else {
            return false;
        };
        d.version += 1;
        d.subject = format!("{} (modifié)", d.subject);
        if let Some(r) = d
            .rows
            .iter_mut()
            .find(|r| r.row_type != data::RowType::Comment)
        {
            r.unit_amount += rust_decimal::Decimal::TEN;
        }
        true
    }
    /// Puts a document in another sales journal (its lines' `type`, e.g. "Ventes export").
    pub fn set_journal(&self, kind: Kind, id: u64, journal: &str) -> bool {
        let mut s = self.state.lock().unwrap();
        match s.data.docs_mut(kind).iter_mut().find(|d| d.id == id) {
            Some(d) => {
                d.journal = Some(journal.to_string());
                true
            }
            None => false,
        }
    }
    /// Makes a document have no PDF (`pdf_link: null`).
    pub fn remove_pdf(&self, kind: Kind, id: u64) -> bool {
        let mut s = self.state.lock().unwrap();
        match s.data.docs_mut(kind).iter_mut().find(|d| d.id == id) {
            Some(d) => {
                d.has_pdf = false;
                true
            }
            None => false,
        }
    }
    /// Serves an HTML page (with a PDF content type) instead of the document's PDF.
    pub fn corrupt_pdf(&self, kind: Kind, id: u64) {
        self.state.lock().unwrap().corrupt_pdfs.insert((kind, id));
    }

    /// The generated documents (drafts included).
    pub fn documents(&self, kind: Kind) -> Vec<DocSummary> {
        let s = self.state.lock().unwrap();
        s.data
            .docs(kind)
            .iter()
            .map(|d| {
                let a = data::compute(d, &s.data.taxes);
                DocSummary {
                    kind,
                    id: d.id,
                    number: d.number.clone(),
                    status: d.status.to_string(),
                    date: d.date,
                    total_excl_tax: a.excl,
                    total_incl_tax: a.incl,
                    vat_rates: a
                        .per_rate
                        .iter()
                        .map(|(t, _, _)| s.data.taxes[*t].rate)
                        .collect(),
                    has_pdf: d.has_pdf,
                    linked_invoice: d.linked_invoice,
                }
            })
            .collect()
    }

    /// The PDF bytes the simulator serves for a document now.
    pub fn pdf_bytes(&self, kind: Kind, id: u64) -> Option<Vec<u8>> {
        let s = self.state.lock().unwrap();
        let d = s.data.find(kind, id)?;
        d.has_pdf.then(|| pdf::document(&s.data, d))
    }

    /// The JSON `GET /invoices/{id}` (or credit note) would answer, with `embeds`.
    pub fn document_json(&self, kind: Kind, id: u64, embeds: &[&str]) -> Option<Value> {
        let s = self.state.lock().unwrap();
        let d = s.data.find(kind, id)?;
        let e: Vec<String> = embeds.iter().map(|x| x.to_string()).collect();
        Some(s.data.doc_json(d, true, &e, &s.base))
    }

    /// Journal lines of one document, as the sales-journal search returns them.
    pub fn journal_json(&self, kind: Kind, id: u64) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        match s.data.find(kind, id) {
            Some(d) => s.data.journal_lines(d),
            None => vec![],
        }
    }

    /// The generated purchases.
    pub fn purchases(&self) -> Vec<PurchaseSummary> {
        let s = self.state.lock().unwrap();
        s.data
            .purchases
            .iter()
            .map(|p| {
                let a = data::purchases::compute(p, &s.data.taxes);
                let sup = &s.data.suppliers[p.supplier];
                PurchaseSummary {
                    kind: p.kind,
                    id: p.id,
                    number: p.number.clone(),
                    date: p.date,
                    supplier: sup.name.clone(),
                    supplier_aux: sup.auxiliary_code.clone(),
                    total_excl_tax: a.excl,
                    total_incl_tax: a.incl,
                    vat: a
                        .per_rate
                        .iter()
                        .map(|(t, _, v)| (s.data.taxes[*t].rate, *v))
                        .collect(),
                    file: p.file,
                    sent_to_accounting: p.sent_to_accounting,
                }
            })
            .collect()
    }

    /// The incoming documents as `GET /ocr/pur-invoice` lists them.
    pub fn intakes(&self) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        s.data
            .intakes
            .iter()
            .map(|i| s.data.intake_json(i))
            .collect()
    }

    /// A purchase's lines as the purchases-journal search returns them.
    pub fn purchase_lines(&self, kind: PurKind, id: u64) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        match s.data.purchase(kind, id) {
            Some(p) => s.data.purchase_lines(p, &s.base),
            None => vec![],
        }
    }

    /// "Modify a purchase after copy": its first line costs 10 more (VAT follows) and its file
    /// link changes, as an edit in Sellsy does.
    pub fn modify_purchase(&self, kind: PurKind, id: u64) -> bool {
        let mut s = self.state.lock().unwrap();
        let Some(p) = s
            .data
            .purchases
            .iter_mut()
            .find(|p| p.kind == kind && p.id == id)
        else {
            return false;
        };
        p.version += 1;
        if let Some(l) = p.lines.first_mut() {
            l.net += rust_decimal::Decimal::TEN;
        }
        true
    }

    pub fn summary(&self) -> Value {
        let s = self.state.lock().unwrap();
        json!({
            "invoices": s.data.invoices.len(),
            "credit_notes": s.data.credit_notes.len(),
            "companies": s.data.companies.len(),
            "individuals": s.data.individuals.len(),
        })
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
