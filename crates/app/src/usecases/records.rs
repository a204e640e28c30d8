//! What the pipeline keeps in the record store, and under which keys.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | document (state machine + push outbox) | `DOC#<dossier>` | document key (`sellsy:sales_invoice:4711`, `mail:purchase:<sha256>`) |
//! | piece number claim | `NUM#<dossier>#<journal>` | piece reference |
//! | invoice identity claim (one invoice, two channels) | `INVID#<dossier>` | side, kind, party SIREN, date, total (number for sales) |
//! | auxiliary code of a party | `AUX#<dossier>` | party key |
//! | owner of an auxiliary code | `AUXCODE#<dossier>` | code |
//! | collected file (duplicate index) | `FILE#<dossier>#<category>` | sha256 |
//! | mail outcome | `MAIL#<dossier>` | message id or raw sha256 |
//! | run | `RUN` | run id |
//! | used request signature (replay guard of the HTTP triggers) | `SIG` | signature (hex) (with a TTL) |
//! | Sellsy webhook delivery acted on (deduplication) | `HOOK#<dossier>` | delivery hash (with a TTL) |
//! | log line | `LOG#<dossier>` | `<RFC 3339 time>#<seq>` (with a TTL) |

use chrono::{DateTime, Utc};
use domain::{Category, LedgerEntry, SourceDocument, SourceJournalLine};
use serde::{Deserialize, Serialize};

use crate::ports::{Record, StoreError};

/// An item's data read back as `T`; `Corrupt` when it is not one.
fn decode<T: serde::de::DeserializeOwned>(record: &Record) -> Result<T, StoreError> {
    serde_json::from_value(record.data.clone()).map_err(|e| StoreError::Corrupt {
        pk: record.pk.clone(),
        sk: record.sk.clone(),
        message: e.to_string(),
    })
}

pub fn doc_pk(dossier: &str) -> String {
    format!("DOC#{dossier}")
}

pub fn num_pk(dossier: &str, journal: &str) -> String {
    format!("NUM#{dossier}#{journal}")
}

/// The source journal each journal code was first booked for (mode `journal`).
pub fn identity_pk(dossier: &str) -> String {
    format!("INVID#{dossier}")
}

pub fn journal_code_pk(dossier: &str) -> String {
    format!("JCODE#{dossier}")
}

/// When each lasting reference problem was last logged (see `pull::problems`).
pub fn told_pk(dossier: &str) -> String {
    format!("TOLD#{dossier}")
}

pub fn aux_pk(dossier: &str) -> String {
    format!("AUX#{dossier}")
}

pub fn auxcode_pk(dossier: &str) -> String {
    format!("AUXCODE#{dossier}")
}

pub fn file_pk(dossier: &str, category: Category) -> String {
    format!("FILE#{dossier}#{}", category.prefix())
}

/// Blob key of a collected file.
pub fn file_key(dossier: &str, category: Category, sha256: &str, extension: &str) -> String {
    format!("files/{dossier}/{}/{sha256}.{extension}", category.prefix())
}

pub fn mail_pk(dossier: &str) -> String {
    format!("MAIL#{dossier}")
}

pub const RUN_PK: &str = "RUN";

/// Signatures of accepted HTTP trigger requests, kept for their replay window (crate `webhook`).
pub const SIGNATURE_PK: &str = "SIG";

/// Sellsy webhook deliveries already acted on: Sellsy sends no event id, so a hash of the
/// delivery (`sellsy::webhook::WebhookEvent::dedup_key`) stands for it (research §4).
pub fn hook_pk(dossier: &str) -> String {
    format!("HOOK#{dossier}")
}

pub fn log_pk(dossier: &str) -> String {
    format!("LOG#{dossier}")
}

/// Where a document is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    /// Pulled (or re-pulled with a change before it was pushed); waiting to be mapped.
    Received,
    /// Mapped to an entry (or a collected file ready): in the push outbox.
    Mapped,
    /// Booked in the ledger.
    Pushed,
    /// Not bookable as it is: reason and action recorded.
    Rejected,
    /// Waiting for something (a PDF, a person: modified after copy, duplicate number).
    Held,
    /// Skipped for good (excluded word, out of scope, not finalized, duplicate file).
    Skipped,
    /// The last push failed and will be retried.
    Failed,
    /// Failed too many times: a person must look.
    DeadLetter,
}

impl DocState {
    pub fn as_str(self) -> &'static str {
        match self {
            DocState::Received => "received",
            DocState::Mapped => "mapped",
            DocState::Pushed => "pushed",
            DocState::Rejected => "rejected",
            DocState::Held => "held",
            DocState::Skipped => "skipped",
            DocState::Failed => "failed",
            DocState::DeadLetter => "dead_letter",
        }
    }
}

/// A collected file (from mail) waiting to be filed in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectedFile {
    pub category: Category,
    pub file_name: String,
    pub media_type: String,
    pub size: usize,
    pub sha256: String,
    pub blob_key: String,
    pub sender: String,
    pub message_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

#[allow(clippy::large_enum_variant)] // one value per document, moved, not stored in bulk
/// What the document record holds about the source document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Content {
    /// A Sellsy invoice or credit note (and, in mode journal, its journal lines).
    Source {
        document: SourceDocument,
        #[serde(default)]
        journal: Vec<SourceJournalLine>,
    },
    /// A file collected by mail.
    Collected(CollectedFile),
    /// Something a pull could not read or use (a document, a journal line without a
    /// document): held or skipped with the reason and action recorded on the record.
    Unread(crate::ports::ProblemSubject),
}

/// The outbox part of a document: who is pushing it, until when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Push attempts started (an attempt may have reached the ledger before a crash).
    pub attempts: u32,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// One document and its state machine: received → mapped → pushed, or rejected / held /
/// skipped / failed → dead letter. Every change is a conditional write on the record's version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub dossier: String,
    pub key: String,
    pub state: DocState,
    pub reason: Option<String>,
    pub action: Option<String>,
    /// SHA-256 of the content as last accepted (detects a change after copy).
    pub content_hash: String,
    pub content: Content,
    /// A newer version seen at the source after the document was pushed (never applied).
    pub changed_hash: Option<String>,
    pub entry: Option<LedgerEntry>,
    /// Blob key and SHA-256 of the downloaded PDF.
    pub pdf_key: Option<String>,
    pub pdf_sha256: Option<String>,
    pub outbox: Outbox,
    pub ledger_id: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl DocumentRecord {
    pub fn from_record(record: &Record) -> Result<DocumentRecord, StoreError> {
        decode(record)
    }

    pub fn to_data(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The document number (or file name) people know it by.
    pub fn label(&self) -> String {
        match &self.content {
            Content::Source { document, .. } => document.number.clone(),
            Content::Collected(file) => file.file_name.clone(),
            Content::Unread(subject) => subject.label(),
        }
    }
}

/// Queue messages between steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMessage {
    pub dossier: String,
    pub key: String,
    /// The run that enqueued it, for the run's log lines.
    pub run: Option<String>,
}

impl StepMessage {
    pub fn body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(body: &str) -> Option<StepMessage> {
        serde_json::from_str(body).ok()
    }
}

/// A synchronisation run ("synchronise now" or the nightly schedule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub dossier: String,
    pub trigger: String,
    pub window_from: chrono::NaiveDate,
    pub window_to: chrono::NaiveDate,
    pub state: RunState,
    /// When the pull started; for a queued run, when it was queued.
    pub started_at: DateTime<Utc>,
    /// When a request queued the run (`None`: started directly, e.g. by the schedule).
    #[serde(default)]
    pub queued_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pulled: u64,
    pub new: u64,
    pub unchanged: u64,
    pub changed: u64,
    pub modified_after_copy: u64,
    pub error: Option<String>,
}

impl RunRecord {
    pub fn from_record(record: &Record) -> Result<RunRecord, StoreError> {
        decode(record)
    }

    pub fn to_data(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Recorded by a request ("synchronise now"); the pull has not started yet.
    Queued,
    Running,
    /// Pulled and enqueued; mapping and pushing go on through the queues.
    Pulled,
    Failed,
}
