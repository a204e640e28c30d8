//! Intake: a mail sent to the collection addresses. The raw message is stored first; then it is
//! routed, authorized, parsed and classified (the `mail` crate, pure); every accepted file is
//! stored and put in the push outbox; every rejection is recorded with its reason and action.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use domain::Category;
use domain::config::DossierConfig;
use mail::{Directory, DuplicateIndex, Envelope, MailOutcome, SenderPolicy};

use super::einvoice::{EInvoiceOutcome, IncomingFile};
use super::records::{
    CollectedFile, Content, DocState, DocumentRecord, Outbox, StepMessage, doc_pk, file_key,
    file_pk, mail_pk,
};
use super::{Pipeline, PipelineError, sha256_hex};
use crate::ports::{
    BlobStore, Clock, ObjectKind, Queue, QueueName, Record, RecordStore, Severity, StoreError,
};

/// Dossier used in the log for mail that reaches no known dossier.
pub const UNROUTED: &str = "_unrouted";

/// What one intake did.
#[derive(Debug, Clone)]
pub struct IntakeReport {
    pub raw_key: String,
    pub outcome: MailOutcome,
    /// Files put in the outbox (duplicates excluded).
    pub queued: usize,
    pub duplicates: usize,
}

/// Resolves collection addresses from the dossiers' configuration.
struct ConfigDirectory<'a> {
    dossiers: &'a [DossierConfig],
    domains: &'a [String],
}

impl Directory for ConfigDirectory<'_> {
    fn sender_policy(&self, domain: &str, slug: &str) -> Option<SenderPolicy> {
        if !self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            return None;
        }
        self.dossiers
            .iter()
            .find(|d| d.mail.slug == slug)
            .map(|d| SenderPolicy {
                dossier_id: d.id.clone(),
                allowed_senders: d.mail.allowed_senders.clone(),
                allowed_domains: d.mail.allowed_domains.clone(),
                allow_everyone: d.mail.allow_everyone,
            })
    }
}

/// Hashes already collected, loaded before parsing (the mail crate asks synchronously).
struct Known(HashSet<(String, Category, String)>);

impl DuplicateIndex for Known {
    fn seen(&self, dossier_id: &str, category: Category, sha256: &str) -> bool {
        self.0
            .contains(&(dossier_id.to_string(), category, sha256.to_string()))
    }
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Takes one inbound message. `raw_key`: where the raw message already is (SES wrote it to
    /// S3); `None` stores it now, before anything else.
    pub async fn intake(
        &self,
        dossiers: &[DossierConfig],
        mail_domains: &[String],
        raw: &[u8],
        envelope: &Envelope,
        raw_key: Option<&str>,
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
        // Load the duplicate index of the mailboxes this mail is addressed to.
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
        let mail_id = outcome
            .message_id
            .clone()
            .unwrap_or_else(|| raw_key.clone());

        let mut queued = 0;
        let mut duplicates = 0;
        let mut to_push = Vec::new();
        let mut summaries: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for delivery in &outcome.deliveries {
            let Some(dossier) = delivery.dossier_id.clone() else {
                let reason = delivery.rejection.as_ref();
                self.event(
                    UNROUTED,
                    ObjectKind::Mail,
                    &mail_id,
                    Severity::Warning,
                    format!(
                        "mail to {} from {} rejected: {}",
                        delivery.recipient,
                        outcome.from.as_deref().unwrap_or("an unknown sender"),
                        reason
                            .map(|r| r.message.as_str())
                            .unwrap_or("unknown collection address")
                    ),
                    reason.map(|r| r.action.clone()).unwrap_or_default(),
                    None,
                )
                .await;
                continue;
            };
            summaries.insert(
                dossier.clone(),
                serde_json::to_value(&outcome).unwrap_or_default(),
            );
            if let Some(rejection) = &delivery.rejection {
                self.event(
                    &dossier,
                    ObjectKind::Mail,
                    &mail_id,
                    Severity::Warning,
                    format!(
                        "mail to {} from {} rejected: {}",
                        delivery.recipient,
                        outcome.from.as_deref().unwrap_or("an unknown sender"),
                        rejection.message
                    ),
                    if delivery.notice_allowed || rejection.action.contains("No notice") {
                        rejection.action.clone()
                    } else {
                        format!(
                            "{} (no notice is sent to an unauthenticated sender)",
                            rejection.action
                        )
                    },
                    None,
                )
                .await;
            }
            for doc in &delivery.documents {
                let blob = file_key(
                    &dossier,
                    doc.category,
                    &doc.sha256,
                    doc.file_type.extension(),
                );
                self.blobs
                    .put_once(&blob, &doc.content, doc.media_type)
                    .await?;
                let index = Record::new(
                    file_pk(&dossier, doc.category),
                    &doc.sha256,
                    serde_json::json!({ "file_name": doc.file_name, "message_id": doc.message_id }),
                );
                match self.store.create(&index).await {
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                let key = format!("mail:{}:{}", doc.category.prefix(), doc.sha256);
                if !doc.duplicate
                    && let Some(cfg) = dossiers.iter().find(|d| d.id == dossier)
                {
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
                    match self.einvoice_file(cfg, &file, None).await? {
                        EInvoiceOutcome::NotEInvoice => {}
                        EInvoiceOutcome::Duplicate { .. } => {
                            duplicates += 1;
                            continue;
                        }
                        EInvoiceOutcome::Booked { state, .. } => {
                            queued += usize::from(state == DocState::Mapped);
                            continue;
                        }
                        EInvoiceOutcome::Held { .. } | EInvoiceOutcome::Refused { .. } => {
                            continue;
                        }
                    }
                }
                if doc.duplicate {
                    duplicates += 1;
                    self.event(
                        &dossier,
                        ObjectKind::Mail,
                        &key,
                        Severity::Warning,
                        format!("{} from {}: the same file was already collected in this mailbox; kept, not sent to the ledger again", doc.file_name, doc.sender),
                        "no action needed",
                        None,
                    )
                    .await;
                    continue;
                }
                let record = DocumentRecord {
                    dossier: dossier.clone(),
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
                        message_id: doc.message_id.clone(),
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
                match self
                    .store
                    .create(&Record::new(doc_pk(&dossier), &key, record.to_data()))
                    .await
                {
                    Ok(()) | Err(StoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                queued += 1;
                to_push.push(
                    StepMessage {
                        dossier: dossier.clone(),
                        key: key.clone(),
                        run: None,
                    }
                    .body(),
                );
                self.event(
                    &dossier,
                    ObjectKind::Mail,
                    &key,
                    Severity::Info,
                    format!(
                        "{} ({}) collected from {} for {}",
                        doc.file_name,
                        doc.file_type.extension(),
                        doc.sender,
                        delivery.recipient
                    ),
                    "no action needed",
                    None,
                )
                .await;
            }
        }
        for (dossier, summary) in summaries {
            let record = Record::new(
                mail_pk(&dossier),
                &mail_id,
                serde_json::json!({ "raw_key": raw_key, "outcome": summary }),
            );
            match self.store.create(&record).await {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if outcome.deliveries.is_empty()
            && let Some(rejection) = &outcome.rejection
        {
            self.event(
                UNROUTED,
                ObjectKind::Mail,
                &mail_id,
                Severity::Warning,
                format!("mail rejected: {}", rejection.message),
                rejection.action.clone(),
                None,
            )
            .await;
        }
        if !to_push.is_empty() {
            self.queue.send(QueueName::Push, &to_push).await?;
        }
        Ok(IntakeReport {
            raw_key,
            outcome,
            queued,
            duplicates,
        })
    }
}
