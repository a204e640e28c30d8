//! The source port: where sales documents come from (Sellsy API v2 today).

use std::future::Future;

use chrono::NaiveDate;
use domain::{SourceDocument, SourceJournalLine, SourceRef};
use serde::{Deserialize, Serialize};

/// An inclusive range of document dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl PullWindow {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// What a pull brings back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PullMode {
    /// Documents only; the mapping rules build the entries.
    Documents,
    /// Documents (for their PDFs and parties) and the source's own sales-journal lines.
    Journal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocRefKind {
    Invoice,
    CreditNote,
    /// A supplier's invoice (Sellsy `purInvoice`).
    PurchaseInvoice,
    /// A supplier's credit note (Sellsy `purCreditNote`).
    PurchaseCreditNote,
}

/// A document at the source, by kind and id (e.g. a webhook asks to re-fetch it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocRef {
    pub kind: DocRefKind,
    pub id: u64,
}

/// Counters of one pull, for the integration log and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullStats {
    pub requests: u64,
    pub retries: u64,
    pub throttled_429: u64,
    pub token_renewals: u64,
    /// Documents the search returned but the pull skipped (drafts, outside the window).
    pub skipped: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    /// Finalized sales invoices and credit notes dated in the window, each exactly once.
    pub documents: Vec<SourceDocument>,
    /// Sales-journal lines dated in the window (mode `Journal` only; empty otherwise).
    pub journal: Vec<SourceJournalLine>,
    /// What the source answered that could not be used (a document, a journal line, a
    /// reference item), each with its fate, reason and action: the rest of the pull goes on.
    #[serde(default)]
    pub problems: Vec<PullProblem>,
    /// Things worth a person's attention that cost no document (a scope missing for an
    /// optional call, a value rounded, a listing that stopped early).
    #[serde(default)]
    pub warnings: Vec<PullWarning>,
    pub stats: PullStats,
}

/// What becomes of something the source sent that could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemFate {
    /// Not booked until it is fixed at the source (or a person acts): read again every run.
    Held,
    /// Not booked, and nothing is lost by it.
    Skipped,
}

/// What a problem is about, by its id at the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum ProblemSubject {
    /// An invoice or credit note. `number` and `date` when the source told them.
    Document {
        source: SourceRef,
        number: Option<String>,
        date: Option<NaiveDate>,
    },
    /// A journal line that belongs to no document the pull could name.
    JournalLine {
        /// The source system ("sellsy").
        source: String,
        id: String,
        date: Option<NaiveDate>,
    },
    /// An item of reference data (an accounting code, a tax, the accounting settings, a
    /// listing): never booked itself; the documents that need it are held on their own.
    Reference {
        source: String,
        what: String,
        id: Option<String>,
    },
}

impl ProblemSubject {
    /// The record key: the document key for a document (`sellsy:sales_invoice:4711`),
    /// `sellsy:journal_line:<id>` for a journal line, `sellsy:reference:<what>:<id>`.
    pub fn key(&self) -> String {
        match self {
            ProblemSubject::Document { source, .. } => source.key(),
            ProblemSubject::JournalLine { source, id, .. } => format!("{source}:journal_line:{id}"),
            ProblemSubject::Reference { source, what, id } => format!(
                "{source}:reference:{}:{}",
                what.replace(' ', "_"),
                id.as_deref().unwrap_or("-")
            ),
        }
    }

    /// How a person knows it: "invoice FACT-2026-00042 (Sellsy id 4711)".
    pub fn label(&self) -> String {
        match self {
            ProblemSubject::Document { source, number, .. } => {
                let kind = source.kind.as_str().replace('_', " ");
                let kind = kind.strip_prefix("sales ").unwrap_or(&kind).to_string();
                match number {
                    Some(n) => format!("{kind} {n} (Sellsy id {})", source.source_id),
                    None => format!("{kind} with Sellsy id {}", source.source_id),
                }
            }
            ProblemSubject::JournalLine { id, .. } => format!("sales-journal line {id}"),
            ProblemSubject::Reference { what, id, .. } => match id {
                Some(id) => format!("{what} {id}"),
                None => what.clone(),
            },
        }
    }

    /// The date it is booked at, when known (documents before the dossier's start are ignored).
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            ProblemSubject::Document { date, .. } | ProblemSubject::JournalLine { date, .. } => {
                *date
            }
            ProblemSubject::Reference { .. } => None,
        }
    }
}

/// Something the source sent that could not be decoded or mapped, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullProblem {
    pub subject: ProblemSubject,
    pub fate: ProblemFate,
    /// What is wrong, in words a person can check at the source.
    pub reason: String,
    /// What to do about it.
    pub action: String,
}

/// A warning of the pull that concerns no document on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullWarning {
    /// What it is about ("GET /quotas", "invoice 4711").
    pub subject: String,
    pub message: String,
    pub action: String,
}

/// A downloaded PDF, checked to be one.
#[derive(Clone, PartialEq, Eq)]
pub struct PdfFile {
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
}

impl std::fmt::Debug for PdfFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfFile")
            .field("len", &self.bytes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// What `test_connection` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// Scopes the pipeline needs that the API client was refused (HTTP 403).
    pub missing_scopes: Vec<String>,
    /// For each missing scope, what it disables (same order as `missing_scopes`).
    #[serde(default)]
    pub disabled: Vec<MissingScope>,
    /// Quota limits read from the source (per second, minute, day), when it tells.
    pub limit_per_second: Option<u64>,
    pub limit_per_minute: Option<u64>,
    pub limit_per_day: Option<u64>,
    pub used_today: Option<u64>,
    /// The names of the source journals seen in the most recent lines of the journals the
    /// dossier reads (sales journal, purchases journal), for the journal-code check: two names
    /// that give one code would be one number series under two labels.
    #[serde(default)]
    pub sales_journals: Vec<String>,
    #[serde(default)]
    pub purchase_journals: Vec<String>,
}

/// A scope the API client lacks and what the pipeline cannot do without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingScope {
    pub scope: String,
    /// What it disables, in words ("GET /quotas: the default quotas are used").
    pub disables: String,
    /// Whether a pull fails without it (`false`: the pull goes on, degraded).
    pub blocks_pull: bool,
}

impl ConnectionReport {
    pub fn is_ok(&self) -> bool {
        self.missing_scopes.is_empty()
    }
}

/// Source failures the pipeline can act on. Messages never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The credentials were refused.
    #[error("authentication refused by the source (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    /// A permanent refusal (400, 402 plan limit, 403 missing scope, 404, ...): retrying will not help.
    #[error("source refused the request (HTTP {status}): {message}")]
    Rejected {
        status: u16,
        message: String,
        /// Missing scope (403) or exceeded limit (402), when the source names it.
        detail: Option<String>,
    },
    /// Transient failures (5xx, timeouts, 429) that outlasted the retry budget.
    #[error("source unavailable after {attempts} attempts: {message}")]
    Unavailable { attempts: u32, message: String },
    /// The source answered something that does not follow its contract.
    #[error("unexpected answer from the source: {0}")]
    Protocol(String),
    /// A downloaded file is not what it claims to be (e.g. a "PDF" that is HTML).
    #[error("invalid file from the source: {0}")]
    InvalidFile(String),
}

impl SourceError {
    /// Whether a later retry of the same call may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Unavailable { .. })
    }
}

/// A source of sales documents. Implemented by `sellsy::SellsyClient`.
pub trait SourceApi: Send + Sync {
    /// Every finalized document dated in `window`, each exactly once (and journal lines in
    /// mode `Journal`).
    fn pull(
        &self,
        window: PullWindow,
        mode: PullMode,
    ) -> impl Future<Output = Result<Pulled, SourceError>> + Send;

    /// One document, read again from the source (e.g. after a webhook). `Ok(None)` when it is
    /// a draft or does not exist.
    fn fetch(
        &self,
        doc: DocRef,
    ) -> impl Future<Output = Result<Option<SourceDocument>, SourceError>> + Send;

    /// The document's PDF, downloaded from a freshly read link. `Ok(None)` when the source has
    /// no PDF for it.
    fn pdf(&self, doc: DocRef)
    -> impl Future<Output = Result<Option<PdfFile>, SourceError>> + Send;

    /// The document's file from the link the pull brought (`PdfRef::location` before the file
    /// is stored), for documents the source cannot be asked for one by id (Sellsy purchases:
    /// API v2 has no purchase-document route). By default, the same as [`SourceApi::pdf`].
    fn linked_pdf(
        &self,
        doc: DocRef,
        link: &str,
    ) -> impl Future<Output = Result<Option<PdfFile>, SourceError>> + Send {
        let _ = link;
        self.pdf(doc)
    }

    /// Checks the credentials, the scopes the pipeline needs and reads the quotas.
    fn test_connection(&self)
    -> impl Future<Output = Result<ConnectionReport, SourceError>> + Send;
}
