//! Pulling a dossier's documents for a date window, fetching one document, its PDF, and the
//! connection check.

use std::collections::HashSet;

use app::ports::{
    ConnectionReport, DocRef, DocRefKind, PdfFile, PullMode, PullStats, PullWindow, Pulled,
};
use chrono::Duration as Days;
use domain::SourceDocument;
use futures_util::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client::{Call, SellsyClient};
use crate::convert::{self, Refs};
use crate::error::SellsyError;
use crate::wire;

/// research §2.1: maximum page size.
const PAGE: usize = 100;
/// Finalized statuses: drafts are never pulled (research §2.2, §2.3).
const INVOICE_STATUSES: &[&str] = &["due", "payinprogress", "paid", "late", "cancelled"];
const CREDIT_NOTE_STATUSES: &[&str] = &["stored", "partialspend", "spent", "cancelled"];
const CUSTOMER_EMBEDS: &[&str] = &["company", "individual"];

fn route(kind: DocRefKind) -> (&'static str, &'static str) {
    match kind {
        DocRefKind::Invoice => ("/invoices", "invoices.read"),
        DocRefKind::CreditNote => ("/credit-notes", "credit-notes.read"),
    }
}

fn cursor(p: &wire::Pagination) -> Option<String> {
    match &p.offset {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl SellsyClient {
    /// Walks a seek-paginated list (research §2.1): `limit=100`, the opaque
    /// `pagination.offset` passed back unchanged; stops when a page is short, the cursor is
    /// empty or `visit` says so.
    async fn paginate<T: DeserializeOwned>(
        &self,
        call: Call,
        mut visit: impl FnMut(T) -> bool,
    ) -> Result<(), SellsyError> {
        let mut offset: Option<String> = None;
        loop {
            let mut c = call.clone().q("limit", PAGE);
            if let Some(o) = &offset {
                c = c.q("offset", o);
            }
            let page: wire::Page<T> = self.call_json(c).await?;
            let n = page.data.len();
            let mut more = true;
            for item in page.data {
                if !visit(item) {
                    more = false;
                }
            }
            let next = cursor(&page.pagination);
            if !more || n < PAGE || next.is_none() || next == offset {
                return Ok(());
            }
            offset = next;
        }
    }

    /// Accounting codes, VAT accounts per tax and accounting settings (research §2.5).
    pub async fn reference_data(&self) -> Result<Refs, SellsyError> {
        let mut refs = Refs::default();
        self.paginate::<wire::AccountingCode>(
            Call::get("/accounting-codes", "accounting-codes.read"),
            |c| {
                refs.codes.insert(c.id, c.code);
                true
            },
        )
        .await?;
        let mut taxes = Vec::new();
        self.paginate::<wire::TaxCodes>(Call::get("/taxes/accounting-codes", "taxes.read"), |t| {
            taxes.push(t);
            true
        })
        .await?;
        for t in taxes {
            if let Some(r) = t.rate {
                refs.tax_rates.insert(t.id, r);
            }
            let code = |p: &Option<wire::VatPair>| p.as_ref()?.collected_vat.as_ref()?.code.clone();
            if let Some(c) = code(&t.debit_vat) {
                refs.vat_debit.insert(t.id, c);
            }
            if let Some(c) = code(&t.collection_vat) {
                refs.vat_collection.insert(t.id, c);
            }
        }
        refs.charts = Some(
            self.call_json(Call::get(
                "/settings/accounting-charts",
                "accounting-settings.read",
            ))
            .await?,
        );
        Ok(refs)
    }

    fn one_call(kind: DocRefKind, id: u64) -> Call {
        let (base, scope) = route(kind);
        let mut c = Call::get(format!("{base}/{id}"), scope);
        for e in CUSTOMER_EMBEDS {
            c = c.q("embed[]", e);
        }
        c
    }

    async fn linked_invoice_number(&self, credit_note: u64) -> Result<Option<String>, SellsyError> {
        // research §2.3: the credit note has no invoice reference; the link is its own route.
        let mut number = None;
        self.paginate::<wire::Document>(
            Call::get(
                format!("/credit-notes/{credit_note}/invoices"),
                "invoices.read",
            ),
            |d| {
                if number.is_none() {
                    number = d.number;
                }
                true
            },
        )
        .await?;
        Ok(number)
    }

    /// Reads one document with its rows and customer; `None` for drafts.
    async fn read_document(
        &self,
        doc: DocRef,
        refs: &Refs,
    ) -> Result<Option<SourceDocument>, SellsyError> {
        let d: wire::Document = self.call_json(Self::one_call(doc.kind, doc.id)).await?;
        if d.status.as_deref() == Some("draft") {
            return Ok(None);
        }
        let linked = match doc.kind {
            DocRefKind::CreditNote => self.linked_invoice_number(doc.id).await?,
            DocRefKind::Invoice => None,
        };
        convert::document(doc.kind, &d, refs, linked, &self.inner.cfg.source_name).map(Some)
    }

    /// Ids of finalized invoices dated in the window (`POST /invoices/search`).
    async fn invoice_ids(&self, w: PullWindow, skipped: &mut u64) -> Result<Vec<u64>, SellsyError> {
        let body = json!({ "filters": {
            "date": { "start": w.from.to_string(), "end": w.to.to_string() },
            "status": INVOICE_STATUSES,
        }});
        let call = Call::post("/invoices/search", "invoices.read", body)
            .q("order", "date")
            .q("direction", "asc");
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        self.paginate::<wire::Document>(call, |d| {
            let in_window = d.date.is_some_and(|x| w.contains(x));
            let draft = d.status.as_deref() == Some("draft");
            if in_window && !draft && seen.insert(d.id) {
                ids.push(d.id);
            } else {
                *skipped += 1;
            }
            true
        })
        .await?;
        Ok(ids)
    }

    /// Ids of finalized credit notes dated in the window. research §2.3: no date filter, so
    /// list by creation date, newest first, and stop once past the window (with a grace for
    /// documents dated before they were created).
    async fn credit_note_ids(
        &self,
        w: PullWindow,
        skipped: &mut u64,
    ) -> Result<Vec<u64>, SellsyError> {
        let body = json!({ "filters": { "status": CREDIT_NOTE_STATUSES } });
        let call = Call::post("/credit-notes/search", "credit-notes.read", body)
            .q("order", "created")
            .q("direction", "desc");
        let stop_before = w.from - Days::days(self.inner.cfg.credit_note_grace_days.max(0));
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        self.paginate::<wire::Document>(call, |d| {
            let created = d.created.map(|c| c.date_naive());
            let in_window = d.date.is_some_and(|x| w.contains(x));
            if in_window && d.status.as_deref() != Some("draft") && seen.insert(d.id) {
                ids.push(d.id);
            } else {
                *skipped += 1;
            }
            // Keep listing while creation dates may still hold documents of the window.
            created.is_none_or(|c| c >= stop_before)
        })
        .await?;
        Ok(ids)
    }

    async fn journal(&self, w: PullWindow) -> Result<Vec<domain::SourceJournalLine>, SellsyError> {
        // research §2.5: the default of include_exported_entries is unconfirmed: always send it.
        let body = json!({ "filters": {
            "date": { "start": w.from.to_string(), "end": w.to.to_string() },
            "include_exported_entries": true,
        }});
        let mut seen = HashSet::new();
        let mut raw = Vec::new();
        self.paginate::<wire::JournalLine>(
            Call::post(
                "/accounting-journal/sells/search",
                "accounting-entry.read",
                body,
            ),
            |l| {
                if seen.insert(l.id) && w.contains(l.date) {
                    raw.push(l);
                }
                true
            },
        )
        .await?;
        let source = &self.inner.cfg.source_name;
        raw.iter()
            .map(|l| convert::journal_line(l, source))
            .collect()
    }

    async fn fetch_all(
        &self,
        kind: DocRefKind,
        ids: Vec<u64>,
        refs: &Refs,
    ) -> Result<Vec<SourceDocument>, SellsyError> {
        let conc = self.inner.cfg.concurrency.max(1);
        let docs: Vec<Option<SourceDocument>> = futures_util::stream::iter(ids)
            .map(|id| self.read_document(DocRef { kind, id }, refs))
            .buffered(conc)
            .try_collect()
            .await?;
        Ok(docs.into_iter().flatten().collect())
    }

    /// Every finalized invoice and credit note dated in `window`, each fetched once.
    pub async fn pull_window(
        &self,
        window: PullWindow,
        mode: PullMode,
    ) -> Result<Pulled, SellsyError> {
        let span = tracing::info_span!("sellsy_pull", from = %window.from, to = %window.to, ?mode);
        tracing::Instrument::instrument(self.pull_inner(window, mode), span).await
    }

    async fn pull_inner(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SellsyError> {
        let before = self.stats();
        self.ensure_limits().await?;
        let refs = self.reference_data().await?;
        let mut skipped = 0;
        let invoice_ids = self.invoice_ids(window, &mut skipped).await?;
        let credit_ids = self.credit_note_ids(window, &mut skipped).await?;
        tracing::info!(
            invoices = invoice_ids.len(),
            credit_notes = credit_ids.len(),
            "sellsy: documents to fetch"
        );
        let mut documents = self
            .fetch_all(DocRefKind::Invoice, invoice_ids, &refs)
            .await?;
        documents.extend(
            self.fetch_all(DocRefKind::CreditNote, credit_ids, &refs)
                .await?,
        );
        let journal = match mode {
            PullMode::Journal => self.journal(window).await?,
            PullMode::Documents => Vec::new(),
        };
        let after = self.stats();
        Ok(Pulled {
            documents,
            journal,
            stats: PullStats {
                requests: after.requests - before.requests,
                retries: after.retries - before.retries,
                throttled_429: after.throttled_429 - before.throttled_429,
                token_renewals: after.token_renewals - before.token_renewals,
                skipped,
            },
        })
    }

    /// One document, read again (e.g. after a webhook). `None` for a draft or an unknown id.
    pub async fn fetch_document(&self, doc: DocRef) -> Result<Option<SourceDocument>, SellsyError> {
        let refs = self.reference_data().await?;
        match self.read_document(doc, &refs).await {
            Err(SellsyError::Api { status: 404, .. }) => Ok(None),
            other => other,
        }
    }

    /// Downloads a document's PDF from a freshly read `pdf_link` (research §2.4: the link is
    /// regenerated after each edit, so never from a cached one), checks it is a PDF and
    /// records its SHA-256. `None` when the document has no PDF.
    pub async fn download_pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SellsyError> {
        let (base, scope) = route(doc.kind);
        let d: wire::Document = self
            .call_json(Call::get(format!("{base}/{}", doc.id), scope))
            .await?;
        let link = match &d.pdf_link {
            wire::Presence::Value(l) => l.clone(),
            wire::Presence::Null => return Ok(None),
            wire::Presence::Absent => {
                return Err(SellsyError::Decode {
                    what: format!("{base}/{}", doc.id),
                    reason: "pdf_link absent from the answer".into(),
                });
            }
        };
        let what = format!("{base}/{}", doc.id);
        let bytes = self.get_file(&link, &what).await?;
        check_pdf(&bytes).map_err(|reason| SellsyError::NotPdf {
            what: what.clone(),
            reason,
        })?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        tracing::info!(document = %what, size = bytes.len(), %sha256, "sellsy: PDF downloaded");
        Ok(Some(PdfFile { bytes, sha256 }))
    }

    async fn get_file(&self, link: &str, what: &str) -> Result<Vec<u8>, SellsyError> {
        let inner = &self.inner;
        let cfg = &inner.cfg;
        let host = reqwest::Url::parse(link)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .ok_or_else(|| SellsyError::Decode {
                what: what.into(),
                reason: "pdf_link is not a URL".into(),
            })?;
        let mut attempt = 0;
        let mut with_bearer = false;
        loop {
            attempt += 1;
            let mut rb = inner.http.get(link).timeout(cfg.request_timeout);
            if with_bearer {
                let (t, _) = inner.auth.get(inner).await?;
                rb = rb.bearer_auth(t.expose());
            }
            // The link is a signed URL: errors are reported without it.
            let last = match rb.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let ctype = resp
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    match status {
                        200..=299 => match resp.bytes().await {
                            Ok(b) => {
                                if ctype.starts_with("text/html") {
                                    return Err(SellsyError::NotPdf {
                                        what: what.into(),
                                        reason: format!("content type {ctype}"),
                                    });
                                }
                                return Ok(b.to_vec());
                            }
                            Err(e) => e.without_url().to_string(),
                        },
                        // research §2.4: whether the link needs the bearer is unconfirmed.
                        401 | 403
                            if !with_bearer && cfg.trusted_pdf_hosts.iter().any(|h| h == &host) =>
                        {
                            with_bearer = true;
                            attempt -= 1;
                            continue;
                        }
                        429 | 500..=599 => format!("HTTP {status}"),
                        _ => {
                            return Err(SellsyError::Api {
                                status,
                                what: format!("PDF of {what}"),
                                message: format!("PDF download refused ({ctype})"),
                                context: None,
                                details: Default::default(),
                            });
                        }
                    }
                }
                Err(e) => e.without_url().to_string(),
            };
            if attempt >= cfg.retry.max_attempts {
                return Err(SellsyError::Exhausted {
                    what: format!("PDF of {what}"),
                    attempts: attempt,
                    status: None,
                    last,
                });
            }
            tokio::time::sleep(crate::client::backoff(&cfg.retry, attempt, None)).await;
        }
    }

    /// Checks the credentials, the scopes the pipeline needs (a cheap call each; 403 means the
    /// scope is missing) and reads `GET /quotas`.
    pub async fn check_connection(&self) -> Result<ConnectionReport, SellsyError> {
        let mut report = ConnectionReport::default();
        let filters = || json!({ "filters": {} });
        let probes: Vec<(&str, Call)> = vec![
            (
                "invoices.read",
                Call::post("/invoices/search", "invoices.read", filters()).q("limit", 1),
            ),
            (
                "credit-notes.read",
                Call::post("/credit-notes/search", "credit-notes.read", filters()).q("limit", 1),
            ),
            (
                "companies.read",
                Call::get("/companies", "companies.read").q("limit", 1),
            ),
            (
                "individuals.read",
                Call::get("/individuals", "individuals.read").q("limit", 1),
            ),
            (
                "accounting-codes.read",
                Call::get("/accounting-codes", "accounting-codes.read").q("limit", 1),
            ),
            (
                "taxes.read",
                Call::get("/taxes", "taxes.read").q("limit", 1),
            ),
            (
                "accounting-settings.read",
                Call::get("/settings/accounting-charts", "accounting-settings.read"),
            ),
            (
                "accounting-entry.read",
                Call::post(
                    "/accounting-journal/sells/search",
                    "accounting-entry.read",
                    filters(),
                )
                .q("limit", 1),
            ),
        ];
        match self
            .call_json::<wire::Quotas>(Call::get("/quotas", "accounts.read"))
            .await
        {
            Ok(q) => {
                report.limit_per_second = q.api_rate_seconds.as_ref().and_then(|r| r.limit);
                report.limit_per_minute = q.api_rate_minutes.as_ref().and_then(|r| r.limit);
                report.limit_per_day = q.api_rate_days.as_ref().and_then(|r| r.limit);
                report.used_today = q.api_rate_days.as_ref().and_then(|r| r.used);
                self.inner
                    .pacer
                    .set_limits(report.limit_per_second, report.limit_per_minute);
            }
            Err(SellsyError::Forbidden { .. }) => {
                report.missing_scopes.push("accounts.read".into())
            }
            Err(e) => return Err(e),
        }
        for (scope, call) in probes {
            match self.call(call).await {
                Ok(_) => {}
                Err(SellsyError::Forbidden { .. }) => report.missing_scopes.push(scope.to_string()),
                Err(e) => return Err(e),
            }
        }
        tracing::info!(missing_scopes = ?report.missing_scopes, "sellsy: connection checked");
        Ok(report)
    }
}

/// A PDF starts with `%PDF-` (within the first KiB, per the PDF spec's tolerance) and ends with
/// `%%EOF` (within the last KiB).
pub fn check_pdf(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(16)]).into_owned();
        return Err(format!("no %PDF- header (starts with {start:?})"));
    }
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err("no %%EOF trailer (truncated?)".into());
    }
    Ok(())
}
