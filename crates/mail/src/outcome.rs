//! What [`crate::intake`] returns: per mail, per collection address, per part.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Verdict;
use crate::classify::{FileType, TextEncoding};
use crate::reason::{Rejection, SkipReason};
use domain::Category;

/// One accepted file for one dossier and category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectedDocument {
    pub dossier_id: String,
    pub category: Category,
    /// The collection address it was sent to (lower-cased).
    pub recipient: String,
    /// Name as sent (decoded), if any.
    pub original_name: Option<String>,
    /// Safe name: no path separators or control characters, bounded length, right extension.
    pub file_name: String,
    pub file_type: FileType,
    pub media_type: &'static str,
    pub text_encoding: Option<TextEncoding>,
    pub size: usize,
    /// Lower-case hex SHA-256 of the decoded bytes.
    pub sha256: String,
    pub message_id: Option<String>,
    /// From addr-spec, lower-cased.
    pub sender: String,
    pub received_at: DateTime<Utc>,
    /// Where in the MIME tree (see [`PartReport::path`]).
    pub part_path: String,
    /// Same SHA-256 already collected for this dossier and category (or earlier in this mail).
    pub duplicate: bool,
    /// Accepted, but to be shown to the firm (a PDF with JavaScript or a launch action).
    pub warnings: Vec<String>,
    /// The decoded bytes to store.
    #[serde(skip)]
    pub content: Arc<[u8]>,
}

/// What happened to one MIME part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PartOutcome {
    Accepted {
        file_type: FileType,
        extension_corrected: bool,
    },
    Rejected {
        #[serde(flatten)]
        rejection: Rejection,
    },
    Skipped {
        reason: SkipReason,
    },
}

/// One line of the mail-level result: every part, accepted, rejected or skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartReport {
    /// MIME part ids from the top message down, '/' entering a forwarded message ("3/1").
    pub path: String,
    /// Declared Content-Type (a hint only).
    pub content_type: String,
    pub original_name: Option<String>,
    pub file_name: Option<String>,
    pub size: usize,
    pub sha256: Option<String>,
    pub outcome: PartOutcome,
}

/// The result for one collection address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub recipient: String,
    pub dossier_id: Option<String>,
    pub category: Option<Category>,
    pub documents: Vec<CollectedDocument>,
    /// `None` when at least one document was collected.
    pub rejection: Option<Rejection>,
    /// The sender may be told about this delivery (authenticated and authorized).
    pub notice_allowed: bool,
}

/// Authentication as seen for this mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthSummary {
    pub authenticated: bool,
    pub detail: String,
    pub dmarc: Verdict,
    pub spf: Verdict,
    pub spam: Verdict,
    pub virus: Verdict,
    /// Spam verdict FAIL on an accepted mail: accepted, but shown to the firm.
    pub spam_flagged: bool,
}

/// The mail-level result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailOutcome {
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// From addr-spec, lower-cased (when exactly one).
    pub from: Option<String>,
    pub received_at: DateTime<Utc>,
    pub size: usize,
    pub auth: Option<AuthSummary>,
    /// Set when the whole mail is rejected before any delivery (too large, over a structure
    /// limit, unparseable, no or several From, virus, no recipient).
    pub rejection: Option<Rejection>,
    pub parts: Vec<PartReport>,
    pub deliveries: Vec<Delivery>,
}

impl MailOutcome {
    /// All collected documents, across deliveries.
    pub fn documents(&self) -> impl Iterator<Item = &CollectedDocument> {
        self.deliveries.iter().flat_map(|d| d.documents.iter())
    }

    /// At least one document was collected.
    pub fn is_accepted(&self) -> bool {
        self.documents().next().is_some()
    }

    /// A notice may be sent to the sender about this mail (never for unauthenticated senders).
    pub fn notice_allowed(&self) -> bool {
        self.rejection.is_none() && self.deliveries.iter().any(|d| d.notice_allowed)
    }

    /// Every rejection in the outcome (mail, deliveries, parts).
    pub fn rejections(&self) -> impl Iterator<Item = &Rejection> {
        self.rejection
            .iter()
            .chain(self.deliveries.iter().filter_map(|d| d.rejection.as_ref()))
            .chain(self.parts.iter().filter_map(|p| match &p.outcome {
                PartOutcome::Rejected { rejection } => Some(rejection),
                _ => None,
            }))
    }
}
