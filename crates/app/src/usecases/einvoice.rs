//! E-invoices collected as files (a mail to `achat.` / `vente.`, or `passerelle ingest FILE`):
//! booked from their own data (EN 16931), never filed as an image for OCR. The file itself is
//! the entry's attachment; the same invoice received twice (its PDF and its XML, two mails) is
//! one document, booked once.

use chrono::{DateTime, Utc};
use domain::config::DossierConfig;
use domain::{Category, PdfRef};
use einvoice::{Assessment, Side};

use super::records::{CollectedFile, Content, DocState, DocumentRecord, Outbox, doc_pk};
use super::{Pipeline, PipelineError};
use crate::ports::{
    BlobStore, Clock, ObjectKind, Queue, Record, RecordStore, Severity, StoreError,
};

/// A collected file, already stored at `blob_key`.
#[derive(Debug, Clone)]
pub struct IncomingFile<'a> {
    pub category: Category,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub media_type: &'a str,
    pub sha256: &'a str,
    pub blob_key: &'a str,
    pub sender: &'a str,
    pub message_id: Option<&'a str>,
    pub received_at: DateTime<Utc>,
}

/// What became of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EInvoiceOutcome {
    /// Not an e-invoice (or not in a purchases / sales mailbox): filed as a document.
    NotEInvoice,
    /// Read from its data and given to the mapping rules: the document's state (mapped, or
    /// held / skipped with the reason and action, as for any document).
    Booked {
        key: String,
        state: DocState,
        reason: Option<String>,
        action: Option<String>,
    },
    /// The same invoice is already a document of the dossier: logged, not booked again.
    Duplicate { key: String },
    /// Held for a person (addressed to another company, not mappable): recorded with the action.
    Held {
        key: String,
        message: String,
        action: String,
    },
    /// Refused (a business rule broken, hostile or other XML): logged with the rule and action.
    Refused { message: String, action: String },
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    /// Books `file` from its data when it is an e-invoice of this dossier.
    pub async fn einvoice_file(
        &self,
        cfg: &DossierConfig,
        file: &IncomingFile<'_>,
        run: Option<&str>,
    ) -> Result<EInvoiceOutcome, PipelineError> {
        let side = match file.category {
            Category::Purchase => Side::Purchase,
            Category::Sales => Side::Sales,
            // Expense reports and administrative documents are filed as they are.
            Category::ExpenseReport | Category::Administrative => {
                return Ok(EInvoiceOutcome::NotEInvoice);
            }
        };
        let options = einvoice::intake::options_for(known_rates(cfg, side), &cfg.einvoice);
        let assessment = einvoice::assess(file.bytes, file.file_name, side, &cfg.siren, &options);
        let file_key = format!("einvoice-file:{}", file.sha256);
        match assessment {
            Assessment::NotEInvoice { .. } => Ok(EInvoiceOutcome::NotEInvoice),
            Assessment::Ready { mapped, key, .. } => {
                let mut document = mapped.document;
                document.pdf = Some(PdfRef {
                    location: file.blob_key.to_string(),
                    sha256: Some(file.sha256.to_string()),
                    size: Some(file.bytes.len() as u64),
                });
                let doc_key = document.key();
                for note in &mapped.notes {
                    self.event(
                        &cfg.id,
                        ObjectKind::Document,
                        &doc_key,
                        Severity::Info,
                        format!("{}: {note}", document.number),
                        "no action needed",
                        run,
                    )
                    .await;
                }
                let rec = DocumentRecord {
                    dossier: cfg.id.clone(),
                    key: doc_key.clone(),
                    state: DocState::Received,
                    reason: None,
                    action: None,
                    content_hash: key.digest(),
                    content: Content::Source {
                        document: document.clone(),
                        journal: Vec::new(),
                    },
                    changed_hash: None,
                    entry: None,
                    pdf_key: Some(file.blob_key.to_string()),
                    pdf_sha256: Some(file.sha256.to_string()),
                    outbox: Outbox::default(),
                    ledger_id: None,
                    updated_at: self.now(),
                };
                let record = Record::new(doc_pk(&cfg.id), &doc_key, rec.to_data());
                match self.store.create(&record).await {
                    Ok(()) => {}
                    Err(StoreError::Conflict { .. }) => {
                        self.event(
                            &cfg.id,
                            ObjectKind::Document,
                            &doc_key,
                            Severity::Warning,
                            format!(
                                "{} from {}: invoice {} of this seller, issued the same day for the same total, was already received; this copy is not booked again",
                                file.file_name, file.sender, document.number
                            ),
                            "no action needed",
                            run,
                        )
                        .await;
                        return Ok(EInvoiceOutcome::Duplicate { key: doc_key });
                    }
                    Err(e) => return Err(e.into()),
                }
                self.map_new(cfg, &doc_key, run).await
            }
            Assessment::NotForDossier { .. } | Assessment::NotMapped { .. } => {
                let (message, action) = (assessment.message(), assessment.action().to_string());
                self.hold_file(cfg, file, &file_key, &message, &action, run)
                    .await?;
                Ok(EInvoiceOutcome::Held {
                    key: file_key,
                    message,
                    action,
                })
            }
            Assessment::Invalid { .. } | Assessment::OtherXml { .. } | Assessment::Refused(_) => {
                let message = format!("{}: {}", file.file_name, assessment.message());
                let action = assessment.action().to_string();
                self.event(
                    &cfg.id,
                    ObjectKind::Mail,
                    &file_key,
                    Severity::Error,
                    message.clone(),
                    action.clone(),
                    run,
                )
                .await;
                Ok(EInvoiceOutcome::Refused { message, action })
            }
        }
    }

    /// `passerelle ingest FILE`: one e-invoice file taken as if collected in the dossier's
    /// `category` mailbox. A file that is no e-invoice is refused here (mail it, or ingest the
    /// mail): without a mail there is no authenticated sender to file it for.
    pub async fn ingest_einvoice(
        &self,
        cfg: &DossierConfig,
        category: Category,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<EInvoiceOutcome, PipelineError> {
        let sha256 = super::sha256_hex(bytes);
        let (extension, media_type) = if bytes.starts_with(b"%PDF-") {
            ("pdf", "application/pdf")
        } else {
            ("xml", "application/xml")
        };
        let blob_key = super::records::file_key(&cfg.id, category, &sha256, extension);
        let file = IncomingFile {
            category,
            file_name,
            bytes,
            media_type,
            sha256: &sha256,
            blob_key: &blob_key,
            sender: "passerelle ingest",
            message_id: None,
            received_at: self.now(),
        };
        // Stored before it is read: a booked entry's attachment must exist.
        self.blobs.put_once(&blob_key, bytes, media_type).await?;
        self.einvoice_file(cfg, &file, None).await
    }

    /// Maps the document just created (its file already stored), retrying on a concurrent write.
    async fn map_new(
        &self,
        cfg: &DossierConfig,
        key: &str,
        run: Option<&str>,
    ) -> Result<EInvoiceOutcome, PipelineError> {
        for _ in 0..8 {
            let Some(stored) = self.store.get(&doc_pk(&cfg.id), key).await? else {
                break;
            };
            let rec = DocumentRecord::from_record(&stored)?;
            if rec.state != DocState::Received {
                return Ok(EInvoiceOutcome::Booked {
                    key: key.to_string(),
                    state: rec.state,
                    reason: rec.reason,
                    action: rec.action,
                });
            }
            let Content::Source { document, .. } = &rec.content else {
                break;
            };
            let document = document.clone();
            // Mapped (or held / skipped): the next turn reads the outcome back.
            self.map_loaded(cfg, &stored, rec, document, &[], run)
                .await?;
        }
        Err(PipelineError::Retryable(format!(
            "{key}: too many concurrent writes"
        )))
    }

    /// Records a file a person must look at, with the reason and the action.
    async fn hold_file(
        &self,
        cfg: &DossierConfig,
        file: &IncomingFile<'_>,
        key: &str,
        message: &str,
        action: &str,
        run: Option<&str>,
    ) -> Result<(), PipelineError> {
        let rec = DocumentRecord {
            dossier: cfg.id.clone(),
            key: key.to_string(),
            state: DocState::Held,
            reason: Some(message.to_string()),
            action: Some(action.to_string()),
            content_hash: file.sha256.to_string(),
            content: Content::Collected(CollectedFile {
                category: file.category,
                file_name: file.file_name.to_string(),
                media_type: file.media_type.to_string(),
                size: file.bytes.len(),
                sha256: file.sha256.to_string(),
                blob_key: file.blob_key.to_string(),
                sender: file.sender.to_string(),
                message_id: file.message_id.map(str::to_string),
                received_at: file.received_at,
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
            .create(&Record::new(doc_pk(&cfg.id), key, rec.to_data()))
            .await
        {
            Ok(()) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.event(
            &cfg.id,
            ObjectKind::Document,
            key,
            Severity::Warning,
            format!("{}: {message}", file.file_name),
            action,
            run,
        )
        .await;
        Ok(())
    }
}

/// The VAT rates the dossier has accounts for on this side: a header-only invoice (MINIMUM,
/// BASIC WL) whose breakdown omits the rate is read against these.
fn known_rates(cfg: &DossierConfig, side: Side) -> Vec<rust_decimal::Decimal> {
    let table = match side {
        Side::Purchase => &cfg.vat.purchases,
        Side::Sales => &cfg.vat.sales,
    };
    table.keys().copied().collect()
}
