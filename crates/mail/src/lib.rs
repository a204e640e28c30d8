//! # passerelle `mail`: document collection by e-mail
//!
//! Pure and synchronous: no I/O, no async, no clock. One call, [`intake`], turns a raw inbound
//! message plus its SMTP envelope into a [`MailOutcome`]:
//!
//! 1. **route**: each envelope recipient `achat.|vente.|ndf.|admin.<slug>@<domain>` (RCPT TO,
//!    SES `receipt.recipients`, case-insensitive) gives a [`Delivery`] to one dossier and one
//!    [`Category`]; unknown prefix or slug is rejected with a reason. Several collection
//!    addresses give one set of documents per address.
//! 2. **authorize** per dossier ([`Directory`] gives the [`SenderPolicy`]): the From addr-spec is
//!    allow-listed **and** the message is authenticated (DMARC pass, or aligned DKIM pass), from
//!    the SES verdicts or a trusted `Authentication-Results` header ([`AuthSource`]). SPF or
//!    Return-Path never authorize. `Sender:` is ignored: DMARC binds the From domain only.
//! 3. **parse** with mail-parser 0.11.9, walking every part (forwarded messages up to depth
//!    [`MAX_NESTING`]); signatures, calendar invites and `cid:`-referenced inline logos are skipped.
//! 4. **classify by content** ([`classify::classify`]): pdf, png, jpeg, doc, docx, xls, xlsx,
//!    txt, csv; everything else is rejected with a [`Rejection`] (stable [`ReasonCode`], plain
//!    message, action to take).
//!
//! ## Contract with the pipeline
//! - The pipeline **stores the raw message before calling [`intake`]** (S3 object written by
//!   SES in the cloud, the local blob store for SMTP / `passerelle ingest`). `intake` never
//!   fails and never panics: every problem is a [`Rejection`] inside the outcome, so the
//!   stored raw message plus the outcome always explain what happened.
//! - Each [`CollectedDocument`] carries its bytes ([`CollectedDocument::content`], shared
//!   between deliveries); the pipeline stores it, keyed by its SHA-256.
//! - [`Delivery::notice_allowed`] / [`MailOutcome::notice_allowed`] is `false` whenever the
//!   sender is not authenticated and authorized: the pipeline must then **not** send any
//!   notice to the sender (backscatter), only record the outcome for the firm.
//! - Duplicates (same SHA-256 already seen for the dossier and category, or twice in the same
//!   mail) are kept and flagged ([`CollectedDocument::duplicate`]).

pub mod auth;
pub mod classify;
mod extract;
pub mod names;
pub mod reason;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mail_parser::{HeaderName, MessageParser};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use auth::{AuthSource, Envelope, SenderPolicy, SesVerdicts, Verdict};
pub use classify::{Classified, FileType, TextEncoding};
pub use domain::Category;
pub use reason::{ReasonCode, Rejection, SkipReason};

use crate::extract::Found;

/// Largest raw message accepted (SES receiving limit: 40 MB).
pub const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;
/// Largest decoded file accepted.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
/// Largest total of decoded candidate files in one mail.
pub const MAX_TOTAL_DECODED_BYTES: usize = 60 * 1024 * 1024;
/// Most candidate files read from one mail; further ones are rejected.
pub const MAX_CANDIDATES: usize = 50;
/// Deepest forwarded `message/rfc822` whose parts are read (the top message is depth 0).
pub const MAX_NESTING: usize = 3;

/// Resolves a collection address to the dossier's sender policy. Implemented by the pipeline
/// from the dossier configuration.
pub trait Directory {
    /// `domain` and `slug` are lower-cased. `None`: no such dossier.
    fn sender_policy(&self, domain: &str, slug: &str) -> Option<SenderPolicy>;
}

/// Answers whether a file was already collected for a dossier and category (mailbox).
pub trait DuplicateIndex {
    /// `sha256` is lower-case hex.
    fn seen(&self, dossier_id: &str, category: Category, sha256: &str) -> bool;
}

/// A [`DuplicateIndex`] that has seen nothing (first run, tests).
pub struct NoDuplicates;

impl DuplicateIndex for NoDuplicates {
    fn seen(&self, _: &str, _: Category, _: &str) -> bool {
        false
    }
}

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
    /// Set when the whole mail is rejected before any delivery (too large, unparseable, no or
    /// several From, virus, no recipient).
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

/// A routed collection address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub address: String,
    pub category: Category,
    pub slug: String,
    pub domain: String,
}

/// Parse a recipient `prefix.slug@domain` (case-insensitive, optional angle brackets).
pub fn route(recipient: &str) -> Result<Route, Rejection> {
    let address = recipient
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase();
    let not_collection = || {
        Rejection::new(
            ReasonCode::NotACollectionAddress,
            format!(
                "{address} is not a collection address (expected achat|vente|ndf|admin.<dossier>@<domain>)."
            ),
            "Check the receiving rule: only collection addresses should reach this service.",
        )
    };
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(not_collection());
    };
    let Some((prefix, slug)) = local.split_once('.') else {
        return Err(not_collection());
    };
    if slug.is_empty() || domain.is_empty() || prefix.is_empty() {
        return Err(not_collection());
    }
    let Some(category) = Category::from_prefix(prefix) else {
        return Err(Rejection::new(
            ReasonCode::UnknownMailbox,
            format!(
                "{address}: “{prefix}” is not a collection mailbox (achat, vente, ndf, admin)."
            ),
            "Tell the sender the right address (achat., vente., ndf. or admin.<dossier>@…).",
        ));
    };
    Ok(Route {
        category,
        slug: slug.to_string(),
        domain: domain.to_string(),
        address,
    })
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

struct AcceptedFile {
    path: String,
    original_name: Option<String>,
    file_name: String,
    classified: Classified,
    sha256: String,
    content: Arc<[u8]>,
}

/// Extract the single From addr-spec, lower-cased, or the mail-level rejection.
fn single_from(msg: &mail_parser::Message<'_>) -> Result<String, Rejection> {
    let from_headers = msg
        .headers()
        .iter()
        .filter(|h| h.name == HeaderName::From)
        .count();
    let addrs: Vec<&str> = msg
        .from()
        .map(|a| a.iter().filter_map(|a| a.address()).collect())
        .unwrap_or_default();
    if from_headers > 1 || addrs.len() > 1 {
        return Err(Rejection::new(
            ReasonCode::MultipleFrom,
            "The message has several From addresses; the sender cannot be identified.",
            "Ask the sender to send from a single address. No notice is sent to the sender.",
        ));
    }
    match addrs.first() {
        Some(a) if a.contains('@') => Ok(a.trim().to_lowercase()),
        _ => Err(Rejection::new(
            ReasonCode::MissingFrom,
            "The message has no usable From address; the sender cannot be identified.",
            "No action needed unless you expected this mail; the raw message is kept.",
        )),
    }
}

/// Raw values of the `Authentication-Results` headers, topmost first.
fn auth_results_headers(msg: &mail_parser::Message<'_>) -> Vec<String> {
    let raw = msg.raw_message();
    msg.headers()
        .iter()
        .filter(|h| h.name == HeaderName::AuthenticationResults)
        .filter_map(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

/// Route, authorize, parse and classify one inbound message. Never panics, never fails: every
/// problem is a [`Rejection`] in the outcome. See the crate docs for the pipeline contract.
pub fn intake(
    raw: &[u8],
    envelope: &Envelope,
    directory: &impl Directory,
    dups: &impl DuplicateIndex,
    received_at: DateTime<Utc>,
) -> MailOutcome {
    let mut outcome = MailOutcome {
        message_id: None,
        subject: None,
        from: None,
        received_at,
        size: raw.len(),
        auth: None,
        rejection: None,
        parts: Vec::new(),
        deliveries: Vec::new(),
    };
    if raw.len() > MAX_MESSAGE_BYTES {
        outcome.rejection = Some(Rejection::new(
            ReasonCode::MessageTooLarge,
            format!(
                "The message is {} MB, above the {} MB limit.",
                raw.len() / 1_000_000,
                MAX_MESSAGE_BYTES / 1_000_000
            ),
            "Ask the sender to split the documents over several mails.",
        ));
        return outcome;
    }
    if envelope.recipients.is_empty() {
        outcome.rejection = Some(Rejection::new(
            ReasonCode::NoRecipient,
            "The envelope has no recipient, so no dossier can be chosen.",
            "Check the receiving rule or the ingest command: the RCPT TO addresses must be passed.",
        ));
        return outcome;
    }
    // mail-parser 0.11.9 has `debug_assert!(false, …)` on some corrupted nestings (found by our
    // fuzz target, see README): with debug assertions on they panic. Release builds recover, but
    // a panic must never lose a mail, so it becomes an "unparseable" rejection here.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MessageParser::default().parse(raw)
    }));
    let Some(msg) = parsed.ok().flatten() else {
        outcome.rejection = Some(Rejection::new(
            ReasonCode::Unparseable,
            "The message could not be read as an e-mail.",
            "No action needed; the raw message is kept for inspection.",
        ));
        return outcome;
    };
    outcome.message_id = msg.message_id().map(str::to_string);
    outcome.subject = msg.subject().map(str::to_string);

    let facts = auth::gather_facts(&envelope.auth, &auth_results_headers(&msg));
    if facts.virus == Verdict::Fail {
        outcome.rejection = Some(Rejection::new(
            ReasonCode::VirusDetected,
            "The receiving service detected a virus in this message.",
            "Do not open the attachments. Warn the client if the sender is known. No notice is sent to the sender.",
        ));
        return outcome;
    }

    // Parts: classified once, shared by every delivery.
    let mut accepted: Vec<AcceptedFile> = Vec::new();
    let mut candidates = 0usize;
    let mut total_decoded = 0usize;
    for walked in extract::walk(&msg) {
        let mut report = PartReport {
            path: walked.path,
            content_type: walked.content_type,
            file_name: walked.name.as_deref().and_then(names::sanitize_file_name),
            original_name: walked.name,
            size: 0,
            sha256: None,
            outcome: PartOutcome::Skipped {
                reason: SkipReason::MessageBody,
            },
        };
        match walked.found {
            Found::Skipped(reason) => report.outcome = PartOutcome::Skipped { reason },
            Found::Rejected(rejection) => report.outcome = PartOutcome::Rejected { rejection },
            Found::Candidate { name, bytes, tnef } => {
                candidates += 1;
                total_decoded = total_decoded.saturating_add(bytes.len());
                let sanitized = name.as_deref().and_then(names::sanitize_file_name);
                let shown = sanitized.clone().unwrap_or_else(|| "(unnamed)".into());
                report.original_name = name.clone();
                report.file_name = sanitized.clone();
                report.size = bytes.len();
                let verdict = if candidates > MAX_CANDIDATES {
                    Err(Rejection::new(
                        ReasonCode::TooManyAttachments,
                        format!(
                            "“{shown}” was not read: the mail has more than {MAX_CANDIDATES} files."
                        ),
                        format!("Ask the sender to send at most {MAX_CANDIDATES} files per mail."),
                    ))
                } else if bytes.len() > MAX_FILE_BYTES || total_decoded > MAX_TOTAL_DECODED_BYTES {
                    Err(Rejection::new(
                        ReasonCode::FileTooLarge,
                        format!(
                            "“{shown}” is {} MB; files are limited to {} MB each.",
                            bytes.len() / 1_000_000,
                            MAX_FILE_BYTES / 1_000_000
                        ),
                        "Ask the sender to compress the document (e.g. a lighter PDF scan) or split it.",
                    ))
                } else if tnef {
                    Err(classify::tnef_rejection(&shown))
                } else {
                    report.sha256 = Some(sha256_hex(&bytes));
                    classify::classify(&bytes, sanitized.as_deref())
                };
                match verdict {
                    Ok(classified) => {
                        let file_name = match &sanitized {
                            Some(n) if !classified.extension_corrected => n.clone(),
                            Some(n) => format!("{n}.{}", classified.file_type.extension()),
                            None => format!(
                                "attachment-{}.{}",
                                accepted.len() + 1,
                                classified.file_type.extension()
                            ),
                        };
                        let file_name = names::sanitize_file_name(&file_name).unwrap_or(file_name);
                        report.file_name = Some(file_name.clone());
                        report.outcome = PartOutcome::Accepted {
                            file_type: classified.file_type,
                            extension_corrected: classified.extension_corrected,
                        };
                        accepted.push(AcceptedFile {
                            path: report.path.clone(),
                            original_name: name,
                            file_name,
                            sha256: report.sha256.clone().unwrap_or_default(),
                            classified,
                            content: Arc::from(bytes.as_ref()),
                        });
                    }
                    Err(rejection) => report.outcome = PartOutcome::Rejected { rejection },
                }
            }
        }
        outcome.parts.push(report);
    }

    let from = match single_from(&msg) {
        Ok(f) => f,
        Err(r) => {
            outcome.rejection = Some(r);
            return outcome;
        }
    };
    outcome.from = Some(from.clone());
    let from_domain = from.rsplit_once('@').map_or("", |(_, d)| d).to_string();

    let authentication = auth::authenticate(&facts, &from_domain);
    outcome.auth = Some(AuthSummary {
        authenticated: authentication.authenticated,
        detail: authentication.detail.clone(),
        dmarc: facts.dmarc.clone(),
        spf: facts.spf.clone(),
        spam: facts.spam.clone(),
        virus: facts.virus.clone(),
        spam_flagged: facts.spam == Verdict::Fail,
    });
    // Deliveries: one per distinct collection address.
    let mut seen_recipients = HashSet::new();
    for rcpt in &envelope.recipients {
        let key = rcpt
            .trim()
            .trim_matches(|c| c == '<' || c == '>')
            .to_lowercase();
        if !seen_recipients.insert(key.clone()) {
            continue;
        }
        let mut delivery = Delivery {
            recipient: key,
            dossier_id: None,
            category: None,
            documents: Vec::new(),
            rejection: None,
            notice_allowed: false,
        };
        let route = match route(rcpt) {
            Ok(r) => r,
            Err(r) => {
                delivery.rejection = Some(r);
                outcome.deliveries.push(delivery);
                continue;
            }
        };
        delivery.recipient = route.address.clone();
        delivery.category = Some(route.category);
        let Some(policy) = directory.sender_policy(&route.domain, &route.slug) else {
            delivery.rejection = Some(Rejection::new(
                ReasonCode::UnknownDossier,
                format!(
                    "{}: no dossier “{}” is configured for {}.",
                    route.address, route.slug, route.domain
                ),
                "Check the address with the sender, or create the dossier's collection addresses.",
            ));
            outcome.deliveries.push(delivery);
            continue;
        };
        delivery.dossier_id = Some(policy.dossier_id.clone());
        let authz = auth::authorize(&policy, &from, &authentication);
        delivery.notice_allowed = authz.notice_allowed;
        if let Some(r) = authz.rejection {
            delivery.rejection = Some(r);
            outcome.deliveries.push(delivery);
            continue;
        }
        let mut in_this_mail: HashSet<&str> = HashSet::new();
        for file in &accepted {
            let duplicate = !in_this_mail.insert(file.sha256.as_str())
                || dups.seen(&policy.dossier_id, route.category, &file.sha256);
            delivery.documents.push(CollectedDocument {
                dossier_id: policy.dossier_id.clone(),
                category: route.category,
                recipient: route.address.clone(),
                original_name: file.original_name.clone(),
                file_name: file.file_name.clone(),
                file_type: file.classified.file_type,
                media_type: file.classified.file_type.media_type(),
                text_encoding: file.classified.text_encoding,
                size: file.content.len(),
                sha256: file.sha256.clone(),
                message_id: outcome.message_id.clone(),
                sender: from.clone(),
                received_at,
                part_path: file.path.clone(),
                duplicate,
                content: Arc::clone(&file.content),
            });
        }
        if delivery.documents.is_empty() {
            delivery.rejection = Some(Rejection::new(
                ReasonCode::NoAcceptedAttachment,
                "no attachment in an accepted format (pdf, png, jpeg, doc, docx, xls, xlsx, txt, csv)",
                "Ask the sender to attach the document as a PDF file and resend.",
            ));
        }
        outcome.deliveries.push(delivery);
    }
    outcome
}
