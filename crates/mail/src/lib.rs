//! # passerelle `mail`: document collection by e-mail
//!
//! Pure and synchronous: no I/O, no async, no clock. One call, [`intake`], turns a raw inbound
//! message plus its SMTP envelope into a [`MailOutcome`]:
//!
//! 0. **limits** on the raw bytes ([`limits`]): size, header sections, MIME parts, nesting;
//!    then only the top header section is parsed: From must be exactly one mailbox
//!    ([`from`]), authentication and routing are decided from it, and the bodies are decoded
//!    only when at least one collection address accepts the sender.
//! 1. **route**: each envelope recipient `achat.|vente.|ndf.|admin.<slug>@<domain>` (RCPT TO,
//!    SES `receipt.recipients`, case-insensitive) gives a [`Delivery`] to one dossier and one
//!    [`Category`]; unknown prefix or slug is rejected with a reason. Several collection
//!    addresses give one set of documents per address.
//! 2. **authorize** per dossier ([`Directory`] gives the [`SenderPolicy`]): the From addr-spec is
//!    allow-listed **and** the message is authenticated (DMARC pass, or aligned DKIM pass), from
//!    the SES verdicts (bound to the From domain SES judged) or our MTA's
//!    `Authentication-Results` fields, read by the RFC 8601 grammar ([`authres`],
//!    [`AuthSource`]). SPF or
//!    Return-Path never authorize. `Sender:` is ignored: DMARC binds the From domain only.
//! 3. **parse** with mail-parser 0.11.9, walking every part (forwarded messages up to depth
//!    [`MAX_NESTING`]); signatures, calendar invites and `cid:`-referenced inline logos are skipped.
//! 4. **classify by content** ([`classify::classify`]): [`FileType::ALL`] (pdf, png, jpeg,
//!    doc, docx, xls, xlsx, txt, csv, and xml as an e-invoice only); everything else is
//!    rejected with a [`Rejection`] (stable [`ReasonCode`], plain message, action to take).
//!
//! ## Contract with the pipeline
//! - The pipeline **stores the raw message before calling [`intake`]** (S3 object written by
//!   SES in the cloud, the local blob store for SMTP / `passerelle ingest`). `intake` never
//!   fails and never panics: every problem is a [`Rejection`] inside the outcome, so the
//!   stored raw message plus the outcome always explain what happened.
//! - Each [`CollectedDocument`] carries its bytes ([`CollectedDocument::content`], shared
//!   between deliveries); the pipeline stores it, keyed by its SHA-256.
//! - [`Delivery::notice_allowed`] / [`MailOutcome::notice_allowed`] is `false` whenever the
//!   sender is not authenticated and explicitly allow-listed: the pipeline must then **not**
//!   send any notice to the sender (backscatter), only record the outcome for the firm.
//! - Text the sender wrote (From, Subject, Message-ID, file names) goes through
//!   [`escape::for_terminal`] before it reaches a terminal or a log line.
//! - Duplicates (same SHA-256 already seen for the dossier and category, or twice in the same
//!   mail) are kept and flagged ([`CollectedDocument::duplicate`]).

pub mod auth;
pub mod authres;
pub mod classify;
mod container;
pub mod escape;
mod extract;
mod filetype;
pub mod from;
pub mod limits;
pub mod names;
mod outcome;
mod pdf;
pub mod reason;
mod routing;
mod sniff;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use sha2::{Digest, Sha256};

pub use auth::{AuthSource, Envelope, SenderPolicy, SesVerdicts, Verdict};
pub use classify::{Classified, FileType, TextEncoding};
pub use domain::Category;
pub use escape::{for_terminal, for_terminal_bounded};
pub use limits::{
    MAX_CANDIDATES, MAX_FILE_BYTES, MAX_MESSAGE_BYTES, MAX_NESTING, MAX_TOTAL_DECODED_BYTES,
};
pub use outcome::{AuthSummary, CollectedDocument, Delivery, MailOutcome, PartOutcome, PartReport};
pub use reason::{ReasonCode, Rejection, SkipReason};
pub use routing::{Route, route};

use crate::escape::for_terminal as shown;
use crate::extract::Found;
use crate::limits::{LimitError, RawField};

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

fn reject(outcome: &mut MailOutcome, r: Rejection) {
    outcome.rejection = Some(r);
}

fn limit_rejection(e: &LimitError) -> Rejection {
    let action = "Ask the sender to resend the documents in an ordinary mail. No notice is sent to the sender.";
    match e {
        LimitError::HeaderSectionTooLarge { bytes } => Rejection::new(
            ReasonCode::HeadersTooLarge,
            format!(
                "A header section of the message is over {} KiB ({} KiB at least); it was not read.",
                limits::MAX_HEADER_SECTION_BYTES / 1024,
                bytes / 1024
            ),
            action,
        ),
        LimitError::TooManyHeaderFields {
            fields,
            in_one_section,
        } => Rejection::new(
            ReasonCode::HeadersTooLarge,
            if *in_one_section {
                format!(
                    "A header section of the message has more than {} fields ({fields} at least); it was not read.",
                    limits::MAX_HEADER_FIELDS
                )
            } else {
                format!(
                    "The message has more than {} header fields in all ({fields} at least); it was not read.",
                    limits::MAX_TOTAL_HEADER_FIELDS
                )
            },
            action,
        ),
        LimitError::TooManyParts { parts } => Rejection::new(
            ReasonCode::TooManyParts,
            format!(
                "The message has more than {} MIME parts ({parts} at least); it was not read.",
                limits::MAX_MIME_PARTS
            ),
            action,
        ),
        LimitError::TooManyBoundaries { boundaries } => Rejection::new(
            ReasonCode::TooManyParts,
            format!(
                "The message declares more than {} multipart sections ({boundaries} at least); it was not read.",
                limits::MAX_BOUNDARIES
            ),
            action,
        ),
        LimitError::TooDeep { depth } => Rejection::new(
            ReasonCode::NestedTooDeep,
            format!(
                "The message's parts are nested {depth} levels deep (at most {}); it was not read.",
                limits::MAX_MIME_DEPTH
            ),
            action,
        ),
    }
}

/// The single From mailbox of the top header section, or the mail-level rejection.
fn single_from(fields: &[RawField<'_>]) -> Result<from::Mailbox, Rejection> {
    let froms: Vec<&RawField<'_>> = fields.iter().filter(|f| f.is("from")).collect();
    let parsed = match froms.as_slice() {
        [] => Err(from::FromError::Missing),
        [one] => from::parse_mailbox(one.value),
        many => Err(from::FromError::Duplicate(many.len())),
    };
    parsed.map_err(|e| {
        let (code, action) = match e {
            from::FromError::Missing => (
                ReasonCode::MissingFrom,
                "No action needed unless you expected this mail; the raw message is kept.",
            ),
            from::FromError::Duplicate(_) | from::FromError::SeveralMailboxes => (
                ReasonCode::MultipleFrom,
                "Ask the sender to send from a single address. No notice is sent to the sender.",
            ),
            _ => (
                ReasonCode::InvalidFrom,
                "Ask the sender to send from an ordinary address (one mailbox, no encoded address). No notice is sent to the sender.",
            ),
        };
        Rejection::new(
            code,
            format!("{}; the sender cannot be identified.", capitalize(&e.describe())),
            action,
        )
    })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Raw values of the top section's `Authentication-Results` fields, topmost first.
fn auth_results(fields: &[RawField<'_>]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.is("authentication-results"))
        .map(|f| String::from_utf8_lossy(f.value).into_owned())
        .collect()
}

/// What the header section decides: the sender, its authentication, the deliveries (with
/// their rejections). `Err`: the whole mail is rejected (its reason is in the outcome).
fn judge(
    raw: &[u8],
    envelope: &Envelope,
    directory: &impl Directory,
    outcome: &mut MailOutcome,
) -> Option<Vec<(Delivery, Option<SenderPolicy>)>> {
    if raw.len() > MAX_MESSAGE_BYTES {
        reject(
            outcome,
            Rejection::new(
                ReasonCode::MessageTooLarge,
                format!(
                    "The message is {} MB, above the {} MB limit.",
                    raw.len() / 1_000_000,
                    MAX_MESSAGE_BYTES / 1_000_000
                ),
                "Ask the sender to split the documents over several mails.",
            ),
        );
        return None;
    }
    if envelope.recipients.is_empty() {
        reject(
            outcome,
            Rejection::new(
                ReasonCode::NoRecipient,
                "The envelope has no recipient, so no dossier can be chosen.",
                "Check the receiving rule or the ingest command: the RCPT TO addresses must be passed.",
            ),
        );
        return None;
    }
    let scanned = match limits::scan(raw) {
        Ok(s) => s,
        Err(e) => {
            reject(outcome, limit_rejection(&e));
            return None;
        }
    };
    // Only the top header section (bounded by the scan) is parsed here.
    if let Some(top) = MessageParser::default().parse_headers(raw) {
        outcome.message_id = top.message_id().map(str::to_string);
        outcome.subject = top.subject().map(str::to_string);
    }
    let facts = auth::gather_facts(&envelope.auth, &auth_results(&scanned.fields));
    if facts.virus == Verdict::Fail {
        reject(
            outcome,
            Rejection::new(
                ReasonCode::VirusDetected,
                "The receiving service detected a virus in this message.",
                "Do not open the attachments. Warn the client if the sender is known. No notice is sent to the sender.",
            ),
        );
        return None;
    }
    let mailbox = match single_from(&scanned.fields) {
        Ok(m) => m,
        Err(r) => {
            reject(outcome, r);
            return None;
        }
    };
    let from = mailbox.addr_spec.to_lowercase();
    outcome.from = Some(from.clone());
    let authentication = auth::authenticate(&facts, &mailbox.domain);
    outcome.auth = Some(AuthSummary {
        authenticated: authentication.authenticated,
        detail: shown(&authentication.detail).into_owned(),
        dmarc: facts.dmarc.clone(),
        spf: facts.spf.clone(),
        spam: facts.spam.clone(),
        virus: facts.virus.clone(),
        spam_flagged: facts.spam == Verdict::Fail,
    });
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for rcpt in &envelope.recipients {
        let key = rcpt
            .trim()
            .trim_matches(|c| c == '<' || c == '>')
            .to_lowercase();
        if !seen.insert(key.clone()) {
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
                out.push((delivery, None));
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
                    shown(&route.address),
                    shown(&route.slug),
                    shown(&route.domain)
                ),
                "Check the address with the sender, or create the dossier's collection addresses.",
            ));
            out.push((delivery, None));
            continue;
        };
        delivery.dossier_id = Some(policy.dossier_id.clone());
        let authz = auth::authorize(&policy, &from, &authentication);
        delivery.notice_allowed = authz.notice_allowed;
        delivery.rejection = authz.rejection;
        let policy = authz.authorized.then_some(policy);
        out.push((delivery, policy));
    }
    Some(out)
}

/// Parse the bodies and classify every part (only called once a delivery accepts the sender).
fn read_parts(raw: &[u8], outcome: &mut MailOutcome) -> Option<Vec<AcceptedFile>> {
    // mail-parser 0.11.9 has `debug_assert!(false, …)` on some corrupted nestings (found by our
    // fuzz target, see README): with debug assertions on they panic. Release builds recover, but
    // a panic must never lose a mail, so it becomes an "unparseable" rejection here.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MessageParser::default().parse(raw)
    }));
    let Some(msg) = parsed.ok().flatten() else {
        reject(
            outcome,
            Rejection::new(
                ReasonCode::Unparseable,
                "The message could not be read as an e-mail.",
                "No action needed; the raw message is kept for inspection.",
            ),
        );
        return None;
    };
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
    Some(accepted)
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
    let Some(judged) = judge(raw, envelope, directory, &mut outcome) else {
        return outcome;
    };
    // Bodies are decoded only for a sender some collection address accepts.
    let accepted = if judged.iter().any(|(_, p)| p.is_some()) {
        match read_parts(raw, &mut outcome) {
            Some(a) => a,
            None => return outcome,
        }
    } else {
        Vec::new()
    };
    let from = outcome.from.clone().unwrap_or_default();
    for (mut delivery, policy) in judged {
        if let (Some(policy), Some(category)) = (policy, delivery.category) {
            let mut in_this_mail: HashSet<&str> = HashSet::new();
            for file in &accepted {
                let duplicate = !in_this_mail.insert(file.sha256.as_str())
                    || dups.seen(&policy.dossier_id, category, &file.sha256);
                delivery.documents.push(CollectedDocument {
                    dossier_id: policy.dossier_id.clone(),
                    category,
                    recipient: delivery.recipient.clone(),
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
                    warnings: file.classified.warnings.clone(),
                    content: Arc::clone(&file.content),
                });
            }
            if delivery.documents.is_empty() {
                delivery.rejection = Some(Rejection::new(
                    ReasonCode::NoAcceptedAttachment,
                    format!(
                        "no attachment in an accepted format ({})",
                        FileType::accepted_list()
                    ),
                    "Ask the sender to attach the document as a PDF file and resend.",
                ));
            }
        }
        outcome.deliveries.push(delivery);
    }
    outcome
}
