//! Intake: a mail sent to the collection addresses. The raw message is stored first; then it is
//! routed, authorized, parsed and classified (the `mail` crate, pure); every accepted file is
//! stored and put in the push outbox; every rejection is recorded with its reason and action;
//! an authenticated, allow-listed sender whose files were refused may be told why.
//!
//! What the sender wrote never sizes a key or a record (`mail_records.rs`): a mail is never
//! lost to its headers. Text the sender wrote is escaped ([`mail::for_terminal`]) before it
//! reaches the log.

use std::collections::{BTreeSet, HashSet};

use domain::Category;
use domain::config::DossierConfig;
use mail::{
    Directory, Envelope, MailOutcome, PartOutcome, ReasonCode, for_terminal, for_terminal_bounded,
};
use serde_json::json;

use super::einvoice::{EInvoiceOutcome, IncomingFile};
use super::intake_adapters::{ConfigDirectory, Known, NoNotices};
use super::mail_records::cut;
pub use super::mail_records::{
    DEFAULT_NOTICES_PER_SENDER_PER_DAY, MAX_STORED_PARTS, MAX_STORED_TEXT, MAX_SUMMARY_BYTES,
    mail_key, notice_pk, stored_summary,
};
use super::records::{
    CollectedFile, Content, DocState, DocumentRecord, Outbox, StepMessage, doc_pk, file_key,
    file_pk, mail_pk,
};
use super::{Pipeline, PipelineError, sha256_hex};
use crate::ports::{
    BlobStore, Clock, Notifier, ObjectKind, Queue, QueueName, Record, RecordStore, Severity,
    StoreError,
};

/// Dossier used in the log for mail that reaches no known dossier.
pub const UNROUTED: &str = "_unrouted";
/// What one intake did.
#[derive(Debug, Clone)]
pub struct IntakeReport {
    pub raw_key: String,
    /// The sort key of the mail's records (`MAIL#<dossier>`).
    pub mail_key: String,
    pub outcome: MailOutcome,
    /// Files put in the outbox (duplicates excluded).
    pub queued: usize,
    pub duplicates: usize,
    /// Notices sent to the sender about refused files.
    pub notices_sent: usize,
}

/// How notices to senders are rate-limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticePolicy {
    /// At most this many notices to one sender per (UTC) day; 0 sends none.
    pub per_sender_per_day: u32,
}

impl Default for NoticePolicy {
    fn default() -> Self {
        NoticePolicy {
            per_sender_per_day: DEFAULT_NOTICES_PER_SENDER_PER_DAY,
        }
    }
}

fn ignore_conflict(r: Result<(), StoreError>) -> Result<(), PipelineError> {
    match r {
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Takes one inbound message. `raw_key`: where the raw message already is (SES wrote it to
    /// S3); `None` stores it now, before anything else. Sends no notice to the sender: see
    /// [`Pipeline::intake_notifying`].
    pub async fn intake(
        &self,
        dossiers: &[DossierConfig],
        mail_domains: &[String],
        raw: &[u8],
        envelope: &Envelope,
        raw_key: Option<&str>,
    ) -> Result<IntakeReport, PipelineError> {
        let no = NoticePolicy {
            per_sender_per_day: 0,
        };
        self.intake_notifying(
            dossiers,
            mail_domains,
            raw,
            envelope,
            raw_key,
            &NoNotices,
            no,
        )
        .await
    }

    /// [`Pipeline::intake`], then a notice about the refused files to the sender, only when it
    /// is authenticated and allow-listed ([`mail::Delivery::notice_allowed`]), once per mail,
    /// and at most `notices.per_sender_per_day` times a day (counted in the store). A notice
    /// that cannot be sent is logged, never fails the intake.
    #[allow(clippy::too_many_arguments)]
    pub async fn intake_notifying<N: Notifier>(
        &self,
        dossiers: &[DossierConfig],
        mail_domains: &[String],
        raw: &[u8],
        envelope: &Envelope,
        raw_key: Option<&str>,
        notifier: &N,
        notices: NoticePolicy,
    ) -> Result<IntakeReport, PipelineError> {
        let raw_key = match raw_key {
            Some(k) => k.to_string(),
            None => {
                let key = format!("mail/raw/{}.eml", sha256_hex(raw));
                self.blobs.put_once(&key, raw, "message/rfc822").await?;
                key
            }
        };
        let directory = ConfigDirectory {
            dossiers,
            domains: mail_domains,
        };
        // The dossiers and mailboxes this mail is addressed to, from the envelope alone.
        let mut mailboxes = BTreeSet::new();
        for rcpt in &envelope.recipients {
            if let Ok(route) = mail::route(rcpt)
                && let Some(policy) = directory.sender_policy(&route.domain, &route.slug)
            {
                mailboxes.insert((policy.dossier_id, route.category));
            }
        }
        let mut known = HashSet::new();
        for (dossier, category) in &mailboxes {
            for r in self
                .store
                .query(&file_pk(dossier, *category), None, None, usize::MAX)
                .await?
            {
                known.insert((dossier.clone(), *category, r.sk));
            }
        }
        let outcome = mail::intake(raw, envelope, &directory, &Known(known), self.now());
        let key = mail_key(outcome.message_id.as_deref(), raw);
        let mut report = IntakeReport {
            raw_key,
            mail_key: key,
            outcome,
            queued: 0,
            duplicates: 0,
            notices_sent: 0,
        };
        let routed: BTreeSet<String> = mailboxes.into_iter().map(|(d, _)| d).collect();
        self.record_mail(&mut report, &routed, dossiers).await?;
        if notices.per_sender_per_day > 0 {
            report.notices_sent = self.notify_sender(&report, notifier, notices).await?;
        }
        Ok(report)
    }

    /// Log and store what the intake decided; store and queue the accepted files.
    async fn record_mail(
        &self,
        report: &mut IntakeReport,
        routed: &BTreeSet<String>,
        dossiers: &[DossierConfig],
    ) -> Result<(), PipelineError> {
        let outcome = &report.outcome;
        let from = outcome
            .from
            .as_deref()
            .map_or("an unknown sender".into(), for_terminal);
        let summary = json!({ "raw_key": report.raw_key, "outcome": stored_summary(outcome) });
        let mut summarized = BTreeSet::new();
        let mut to_push = Vec::new();
        // A mail refused whole (limits, From, virus) is recorded for every dossier it was
        // addressed to, so the firm sees it where it looks.
        if let Some(rejection) = &outcome.rejection {
            let dossiers: Vec<&str> = if routed.is_empty() {
                vec![UNROUTED]
            } else {
                routed.iter().map(String::as_str).collect()
            };
            for dossier in dossiers {
                let message = format!("mail from {from} rejected: {}", rejection.message);
                self.event(
                    dossier,
                    ObjectKind::Mail,
                    &report.mail_key,
                    Severity::Warning,
                    message,
                    rejection.action.clone(),
                    None,
                )
                .await;
                if dossier != UNROUTED {
                    summarized.insert(dossier.to_string());
                }
            }
        }
        for delivery in &outcome.deliveries {
            let recipient = for_terminal(&delivery.recipient);
            let Some(dossier) = delivery.dossier_id.clone() else {
                let reason = delivery.rejection.as_ref();
                self.event(
                    UNROUTED,
                    ObjectKind::Mail,
                    &report.mail_key,
                    Severity::Warning,
                    format!(
                        "mail to {recipient} from {from} rejected: {}",
                        reason.map_or("unknown collection address", |r| r.message.as_str())
                    ),
                    reason.map(|r| r.action.clone()).unwrap_or_default(),
                    None,
                )
                .await;
                continue;
            };
            summarized.insert(dossier.clone());
            if let Some(rejection) = &delivery.rejection {
                let action = if delivery.notice_allowed || rejection.action.contains("No notice") {
                    rejection.action.clone()
                } else {
                    format!(
                        "{} (no notice is sent to an unauthenticated or unlisted sender)",
                        rejection.action
                    )
                };
                self.event(
                    &dossier,
                    ObjectKind::Mail,
                    &report.mail_key,
                    Severity::Warning,
                    format!(
                        "mail to {recipient} from {from} rejected: {}",
                        rejection.message
                    ),
                    action,
                    None,
                )
                .await;
            }
            for doc in &delivery.documents {
                if let Some(outcome) = self.einvoice_collected(dossiers, &dossier, doc).await? {
                    match outcome {
                        EInvoiceOutcome::Booked { state, .. } => {
                            report.queued += usize::from(state == DocState::Mapped);
                        }
                        EInvoiceOutcome::Duplicate { .. } => report.duplicates += 1,
                        EInvoiceOutcome::Held { .. }
                        | EInvoiceOutcome::Refused { .. }
                        | EInvoiceOutcome::NotEInvoice => {}
                    }
                    continue;
                }
                let queued = self.collect(&dossier, doc, &recipient, &from).await?;
                match queued {
                    Some(body) => {
                        report.queued += 1;
                        to_push.push(body);
                    }
                    None => report.duplicates += 1,
                }
            }
        }
        for dossier in summarized {
            let record = Record::new(mail_pk(&dossier), &report.mail_key, summary.clone());
            ignore_conflict(self.store.create(&record).await)?;
        }
        if !to_push.is_empty() {
            self.queue.send(QueueName::Push, &to_push).await?;
        }
        Ok(())
    }

    /// Store one accepted file, index it, and create its document record. Returns the push
    /// message, or `None` for a duplicate.
    /// An e-invoice among the files of a purchases or sales mailbox is booked from its data
    /// ([`Pipeline::einvoice_file`]); `None` for any other file, collected as it is.
    async fn einvoice_collected(
        &self,
        dossiers: &[DossierConfig],
        dossier: &str,
        doc: &mail::CollectedDocument,
    ) -> Result<Option<EInvoiceOutcome>, PipelineError> {
        let Some(cfg) = dossiers.iter().find(|d| d.id == dossier) else {
            return Ok(None);
        };
        if doc.duplicate || !matches!(doc.category, Category::Purchase | Category::Sales) {
            return Ok(None);
        }
        let blob = file_key(
            dossier,
            doc.category,
            &doc.sha256,
            doc.file_type.extension(),
        );
        // Stored before it is read: a booked entry's attachment must exist.
        self.blobs
            .put_once(&blob, &doc.content, doc.media_type)
            .await?;
        let file = IncomingFile {
            category: doc.category,
            file_name: &doc.file_name,
            bytes: &doc.content,
            media_type: doc.media_type,
            sha256: &doc.sha256,
            blob_key: &blob,
            sender: &doc.sender,
            message_id: doc.message_id.as_deref(),
            received_at: doc.received_at,
        };
        Ok(match self.einvoice_file(cfg, &file, None).await? {
            EInvoiceOutcome::NotEInvoice => None,
            other => Some(other),
        })
    }

    async fn collect(
        &self,
        dossier: &str,
        doc: &mail::CollectedDocument,
        recipient: &str,
        from: &str,
    ) -> Result<Option<String>, PipelineError> {
        let blob = file_key(
            dossier,
            doc.category,
            &doc.sha256,
            doc.file_type.extension(),
        );
        self.blobs
            .put_once(&blob, &doc.content, doc.media_type)
            .await?;
        let message_id = doc.message_id.as_deref().map(|m| cut(m, MAX_STORED_TEXT));
        let index = Record::new(
            file_pk(dossier, doc.category),
            &doc.sha256,
            json!({ "file_name": doc.file_name, "message_id": message_id }),
        );
        ignore_conflict(self.store.create(&index).await)?;
        let key = format!("mail:{}:{}", doc.category.prefix(), doc.sha256);
        let name = for_terminal(&doc.file_name);
        for warning in &doc.warnings {
            self.event(
                dossier,
                ObjectKind::Mail,
                &key,
                Severity::Warning,
                format!("{name} from {from}: accepted, but {warning}"),
                "Open it only in a viewer with scripts disabled, and check with the sender that the file is genuine.",
                None,
            )
            .await;
        }
        if doc.duplicate {
            self.event(
                dossier,
                ObjectKind::Mail,
                &key,
                Severity::Warning,
                format!("{name} from {from}: the same file was already collected in this mailbox; kept, not sent to the ledger again"),
                "no action needed",
                None,
            )
            .await;
            return Ok(None);
        }
        let record = DocumentRecord {
            dossier: dossier.to_string(),
            key: key.clone(),
            state: DocState::Mapped,
            reason: None,
            action: None,
            content_hash: doc.sha256.clone(),
            content: Content::Collected(CollectedFile {
                category: doc.category,
                file_name: doc.file_name.clone(),
                media_type: doc.media_type.to_string(),
                size: doc.size,
                sha256: doc.sha256.clone(),
                blob_key: blob,
                sender: doc.sender.clone(),
                message_id,
                received_at: doc.received_at,
            }),
            changed_hash: None,
            entry: None,
            pdf_key: None,
            pdf_sha256: None,
            outbox: Outbox::default(),
            ledger_id: None,
            updated_at: self.now(),
        };
        ignore_conflict(
            self.store
                .create(&Record::new(doc_pk(dossier), &key, record.to_data()))
                .await,
        )?;
        self.event(
            dossier,
            ObjectKind::Mail,
            &key,
            Severity::Info,
            format!(
                "{name} ({}) collected from {from} for {recipient}",
                doc.file_type.extension()
            ),
            "no action needed",
            None,
        )
        .await;
        Ok(Some(
            StepMessage {
                dossier: dossier.to_string(),
                key,
                run: None,
            }
            .body(),
        ))
    }

    /// The notice about refused files, when one is due; returns how many were sent (0 or 1).
    async fn notify_sender<N: Notifier>(
        &self,
        report: &IntakeReport,
        notifier: &N,
        policy: NoticePolicy,
    ) -> Result<usize, PipelineError> {
        let outcome = &report.outcome;
        let (Some(sender), None) = (outcome.from.as_deref(), outcome.rejection.as_ref()) else {
            return Ok(0);
        };
        let told: Vec<&mail::Delivery> = outcome
            .deliveries
            .iter()
            .filter(|d| d.notice_allowed && d.dossier_id.is_some())
            .collect();
        let Some(dossier) = told.first().and_then(|d| d.dossier_id.clone()) else {
            return Ok(0);
        };
        let mut lines: Vec<String> = outcome
            .parts
            .iter()
            .filter_map(|p| match &p.outcome {
                PartOutcome::Rejected { rejection } => Some(format!("- {}", rejection.message)),
                _ => None,
            })
            .collect();
        let nothing_taken = told.iter().any(|d| {
            d.rejection
                .as_ref()
                .is_some_and(|r| r.code == ReasonCode::NoAcceptedAttachment)
        });
        if lines.is_empty() && nothing_taken {
            lines.push("- the mail has no attached file in an accepted format".into());
        }
        if lines.is_empty() {
            return Ok(0);
        }
        let pk = notice_pk(sender);
        // Once per mail (a redelivered mail sends nothing twice)…
        let claim = Record::new(&pk, format!("mail#{}", report.mail_key), json!({}));
        match self.store.create(&claim).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Ok(0),
            Err(e) => return Err(e.into()),
        }
        // …and at most N a day per sender.
        let day = self.now().format("%Y-%m-%d").to_string();
        if !self
            .count_notice(&pk, &day, policy.per_sender_per_day)
            .await?
        {
            self.event(
                &dossier,
                ObjectKind::Mail,
                &report.mail_key,
                Severity::Info,
                format!(
                    "no notice sent to {}: already {} today",
                    for_terminal(sender),
                    policy.per_sender_per_day
                ),
                "no action needed; tell the sender yourself if the refused files matter",
                None,
            )
            .await;
            return Ok(0);
        }
        let subject = outcome
            .subject
            .as_deref()
            .map_or(String::new(), |s| for_terminal_bounded(s, 200));
        let to: Vec<String> = told.iter().map(|d| d.recipient.clone()).collect();
        let text = format!(
            "Your mail “{subject}” to {} was received, but some of it could not be collected:\n{}\n\nPlease send the document again as a PDF file, to the same address.\n",
            to.join(", "),
            lines.join("\n")
        );
        let title = "Your document could not be collected";
        match notifier.send(sender, title, &text).await {
            Ok(()) => {
                self.event(
                    &dossier,
                    ObjectKind::Mail,
                    &report.mail_key,
                    Severity::Info,
                    format!(
                        "notice sent to {} about {} refused item(s)",
                        for_terminal(sender),
                        lines.len()
                    ),
                    "no action needed",
                    None,
                )
                .await;
                Ok(1)
            }
            Err(e) => {
                self.event(
                    &dossier,
                    ObjectKind::Mail,
                    &report.mail_key,
                    Severity::Warning,
                    format!("the notice to {} could not be sent: {e}", for_terminal(sender)),
                    "tell the sender yourself if the refused files matter; check the mail sending settings",
                    None,
                )
                .await;
                Ok(0)
            }
        }
    }

    /// Count one notice for `pk` on `day`; `false` when `max` were already sent.
    async fn count_notice(&self, pk: &str, day: &str, max: u32) -> Result<bool, PipelineError> {
        let sk = format!("day#{day}");
        for _ in 0..8 {
            match self.store.get(pk, &sk).await? {
                None => {
                    let mut first = Record::new(pk, &sk, json!({ "count": 1 }));
                    first.expires_at = Some(self.now().timestamp() + 3 * 86_400);
                    match self.store.create(&first).await {
                        Ok(()) => return Ok(true),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Some(current) => {
                    let n = current.data["count"].as_u64().unwrap_or(u64::MAX);
                    if n >= u64::from(max) {
                        return Ok(false);
                    }
                    let mut next = current.next(json!({ "count": n + 1 }));
                    next.expires_at = current.expires_at;
                    match self.store.update(&next).await {
                        Ok(()) => return Ok(true),
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        // Contended beyond reason: count it as spent rather than risk a flood.
        Ok(false)
    }
}
