//! The ledger sink: where entries and collected documents are booked (Inqom API, Pennylane API
//! v2, or the FEC file of the embedded default).

use std::future::Future;
use std::time::Duration;

use domain::config::DossierConfig;
use domain::{Category, LedgerEntry};

/// A file sent along (the invoice PDF, a collected document).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("len", &self.bytes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// An entry to book, with our external id (the document key) that makes pushes idempotent.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryToPush {
    /// `sellsy:sales_invoice:4711`: Inqom `ExternalId`; Pennylane keeps the piece number.
    pub external_id: String,
    pub entry: LedgerEntry,
    pub pdf: Option<Attachment>,
}

/// A document collected by mail, to file in the ledger's document inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentToPush {
    /// `mail:<sha256>:<category>`.
    pub external_id: String,
    pub category: Category,
    pub file: Attachment,
    /// Who sent it, for the ledger's reviewers.
    pub sender: String,
}

/// What the ledger answered for a booked item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    /// The ledger's own id of the entry or document.
    pub ledger_id: String,
}

/// One account of a ledger's own chart, as the ledger writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartAccount {
    pub number: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkErrorKind {
    /// 429, 5xx, timeouts: try again later (after `retry_after` when given).
    Retryable,
    /// 400, 422, locked period, unknown journal: a person must act; retrying changes nothing.
    Permanent,
    /// Credentials refused even after one re-authentication.
    Auth,
}

/// A ledger failure, with the ledger's own message and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub kind: SinkErrorKind,
    pub status: Option<u16>,
    pub message: String,
    pub action: String,
    pub retry_after: Option<Duration>,
}

impl SinkError {
    pub fn retryable(message: impl Into<String>) -> SinkError {
        SinkError {
            kind: SinkErrorKind::Retryable,
            status: None,
            message: message.into(),
            action: "no action needed; passerelle retries".into(),
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>, action: impl Into<String>) -> SinkError {
        SinkError {
            kind: SinkErrorKind::Permanent,
            status: None,
            message: message.into(),
            action: action.into(),
            retry_after: None,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.kind == SinkErrorKind::Retryable
    }
}

pub trait LedgerSink: Send + Sync {
    /// A short name for logs ("fec", "inqom", "pennylane").
    fn name(&self) -> &str;

    /// Books entries; one result per entry, in order. A sink that books batches all-or-nothing
    /// (Inqom) isolates a bad entry itself so the others are booked.
    fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> impl Future<Output = Vec<Result<Booked, SinkError>>> + Send;

    /// Whether the entry is already booked (by external id or piece reference): asked before
    /// sending again after a crash.
    fn find_entry(
        &self,
        dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> impl Future<Output = Result<Option<Booked>, SinkError>> + Send;

    fn push_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> impl Future<Output = Result<Booked, SinkError>> + Send;

    /// Whether the collected document is already filed (after a crash).
    fn find_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> impl Future<Output = Result<Option<Booked>, SinkError>> + Send;

    /// Checks credentials and that the dossier's journals exist.
    fn test_connection(
        &self,
        dossier: &DossierConfig,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// The ledger's chart of general accounts, to map the dossier's accounts onto
    /// (`domain::chart::ledger`). `None`: this ledger has no chart of its own (the FEC file:
    /// every PCG account is valid).
    fn chart(
        &self,
        dossier: &DossierConfig,
    ) -> impl Future<Output = Result<Option<Vec<ChartAccount>>, SinkError>> + Send;

    /// Whether a line on a customer or supplier account (411…, 401…, the fallbacks such as
    /// `4111DIVERS` included) books on a client or supplier record the sink matches or creates
    /// (Chift) rather than on a general account of the chart.
    fn third_party_records(&self) -> bool {
        false
    }
}
