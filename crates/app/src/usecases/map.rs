//! Map: turn a received document into a balanced entry (with its PDF stored), claim its piece
//! number, and put it in the push outbox.

use domain::auxcode::{AuxCodes, candidates, normalize_code};
use domain::config::{DossierConfig, Mode};
use domain::mapping::{Mapped, MappingError, map_document, map_journal, not_booked};
use domain::{
    AttachmentRef, DocumentKind, LedgerEntry, Party, PdfRef, SourceDocument, SourceJournalLine,
};

use super::aliases::alias_keys;
use super::records::{
    Content, DocState, DocumentRecord, StepMessage, aux_pk, auxcode_pk, doc_pk, journal_code_pk,
    num_pk,
};
use super::{Pipeline, PipelineError};
use crate::ports::{
    BlobStore, Clock, DocRef, DocRefKind, ObjectKind, Queue, QueueName, Record, RecordStore,
    Severity, SourceApi, StoreError,
};

/// What a step did with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The document moved to this state.
    Moved(DocState),
    /// Nothing to do (already done, or not in the state this step handles): a duplicate delivery.
    Nothing,
}

/// The source's reference of a document key (`sellsy:sales_invoice:4711`).
pub fn doc_ref(kind: DocumentKind, source_id: &str) -> Option<DocRef> {
    let id = source_id.parse().ok()?;
    let kind = match kind {
        DocumentKind::SalesInvoice => DocRefKind::Invoice,
        DocumentKind::SalesCreditNote => DocRefKind::CreditNote,
        DocumentKind::PurchaseInvoice => DocRefKind::PurchaseInvoice,
        DocumentKind::PurchaseCreditNote => DocRefKind::PurchaseCreditNote,
    };
    Some(DocRef { kind, id })
}

/// Blob key of a document's PDF.
pub fn pdf_key(dossier: &str, key: &str) -> String {
    format!("pdf/{dossier}/{key}.pdf")
}

/// The extension and media type of a document's file, from its first bytes: a PDF, or the
/// image a supplier's invoice may be stored as in Sellsy (PNG, JPEG, TIFF).
pub fn file_type(bytes: &[u8]) -> (&'static str, &'static str) {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("png", "image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        ("jpg", "image/jpeg")
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        ("tiff", "image/tiff")
    } else {
        ("pdf", "application/pdf")
    }
}

/// Blob key of a document's file: [`pdf_key`] for a PDF, the image's extension otherwise.
pub fn document_file_key(dossier: &str, key: &str, bytes: &[u8]) -> String {
    match file_type(bytes) {
        ("pdf", _) => pdf_key(dossier, key),
        (ext, _) => format!("pdf/{dossier}/{key}.{ext}"),
    }
}

impl<S: RecordStore, B: BlobStore, Q: Queue, C: Clock> Pipeline<S, B, Q, C> {
    pub async fn map_step<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        msg: &StepMessage,
    ) -> Result<StepOutcome, PipelineError> {
        let pk = doc_pk(&cfg.id);
        let run = msg.run.as_deref();
        for _ in 0..8 {
            let Some(stored) = self.store.get(&pk, &msg.key).await? else {
                return Ok(StepOutcome::Nothing);
            };
            let mut rec = DocumentRecord::from_record(&stored)?;
            if rec.state == DocState::Mapped {
                // Mapped, but the hand-off may have been lost with an interrupted step: hand it
                // over again (pushing is idempotent).
                self.queue.send(QueueName::Push, &[msg.body()]).await?;
                return Ok(StepOutcome::Nothing);
            }
            if rec.state != DocState::Received {
                return Ok(StepOutcome::Nothing);
            }
            let Content::Source { document, journal } = &rec.content else {
                return Ok(StepOutcome::Nothing);
            };
            let mut document = document.clone();
            let journal = journal.clone();

            self.fetch_pdf(cfg, source, &mut rec, &mut document, run)
                .await?;

            if let Some(done) = self
                .map_loaded(cfg, &stored, rec, document, &journal, msg.run.as_deref())
                .await?
            {
                return Ok(done);
            }
        }
        Err(PipelineError::Retryable(format!(
            "{}: too many concurrent writes",
            msg.key
        )))
    }

    /// Maps a loaded document (its PDF, if any, already stored) and saves the outcome: `None`
    /// when another writer changed the record or took an auxiliary code meanwhile (map again).
    pub(super) async fn map_loaded(
        &self,
        cfg: &DossierConfig,
        stored: &Record,
        mut rec: DocumentRecord,
        document: SourceDocument,
        journal: &[SourceJournalLine],
        run: Option<&str>,
    ) -> Result<Option<StepOutcome>, PipelineError> {
        let mut aux = match cfg.mode {
            Mode::Journal if !journal.is_empty() => self.aux_codes(cfg).await?,
            // The document's own party; in mode journal, the journal's lines name parties of
            // their own and need the whole registry.
            _ => self.aux_codes_of(cfg, &document.party).await?,
        };
        let known: Vec<(String, String)> = aux
            .assignments()
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        let mapped = map_content(cfg, &document, journal, &mut aux);
        if !self.save_aux_codes(cfg, &known, &aux).await? {
            return Ok(None);
        }
        self.save_aliases(cfg, &document.party, &aux).await?;

        let (state, severity, message, action) =
            self.outcome(cfg, &mut rec, &document, mapped).await?;
        rec.state = state;
        rec.reason = (state != DocState::Mapped).then(|| message.clone());
        rec.action = (state != DocState::Mapped).then(|| action.clone());
        rec.updated_at = self.now();
        if let Content::Source { document: d, .. } = &mut rec.content {
            d.pdf = document.pdf.clone();
        }
        match self.store.update(&stored.next(rec.to_data())).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        if state == DocState::Mapped {
            let body = StepMessage {
                dossier: cfg.id.clone(),
                key: rec.key.clone(),
                run: run.map(str::to_string),
            }
            .body();
            self.queue.send(QueueName::Push, &[body]).await?;
        }
        self.event(
            &cfg.id,
            ObjectKind::Document,
            &rec.key,
            severity,
            message,
            action,
            run,
        )
        .await;
        Ok(Some(StepOutcome::Moved(state)))
    }

    /// The PDF, read from a fresh link and stored write-once; without one, the document has
    /// none (and the mapping holds it unless `sync_without_pdf`).
    async fn fetch_pdf<Src: SourceApi>(
        &self,
        cfg: &DossierConfig,
        source: &Src,
        rec: &mut DocumentRecord,
        document: &mut SourceDocument,
        run: Option<&str>,
    ) -> Result<(), PipelineError> {
        if document.pdf.is_some() && rec.pdf_key.is_none() {
            match doc_ref(document.source.kind, &document.source.source_id) {
                Some(r) => {
                    // A purchase has no file route of its own: its file comes from the link
                    // the pull brought (see `SourceApi::linked_pdf`).
                    let downloaded = match (document.source.kind.is_sales(), &document.pdf) {
                        (false, Some(link)) => source.linked_pdf(r, &link.location).await,
                        _ => source.pdf(r).await,
                    };
                    match downloaded {
                        Ok(Some(pdf)) => {
                            let key = document_file_key(&cfg.id, &rec.key, &pdf.bytes);
                            let (_, media_type) = file_type(&pdf.bytes);
                            self.blobs.put_once(&key, &pdf.bytes, media_type).await?;
                            rec.pdf_key = Some(key);
                            rec.pdf_sha256 = Some(pdf.sha256.clone());
                        }
                        Ok(None) => document.pdf = None,
                        // Logged by the caller, which retries the message.
                        Err(e) if e.is_transient() => {
                            return Err(PipelineError::Retryable(format!(
                                "{}: PDF download failed: {e}",
                                document.number
                            )));
                        }
                        Err(e) => {
                            self.event(&cfg.id, ObjectKind::Document, &rec.key, Severity::Warning, format!("{}: the PDF could not be used: {e}", document.number), "regenerate the PDF in Sellsy; the document is held until it has one", run).await;
                            document.pdf = None;
                        }
                    }
                }
                None => document.pdf = None,
            }
        }
        if let (Some(key), Some(pdf)) = (&rec.pdf_key, document.pdf.as_mut()) {
            *pdf = PdfRef {
                location: key.clone(),
                sha256: rec.pdf_sha256.clone(),
                size: pdf.size,
            };
        }
        Ok(())
    }

    /// The document's next state from what the mapping gave, with the log line: an entry
    /// claims its piece number (a number used by another document holds it).
    async fn outcome(
        &self,
        cfg: &DossierConfig,
        rec: &mut DocumentRecord,
        document: &SourceDocument,
        mapped: Result<Mapped, MappingError>,
    ) -> Result<(DocState, Severity, String, String), PipelineError> {
        let label = document.number.clone();
        Ok(match mapped {
            Ok(Mapped::Entry(mut entry)) => {
                // The mapping names the file `<number>.pdf`; a supplier's image keeps its type.
                for a in entry.attachments.iter_mut() {
                    if rec.pdf_key.as_deref() == Some(a.location.as_str()) {
                        let ext = attachment_extension(&a.location);
                        if let Some((stem, _)) = a.file_name.rsplit_once('.') {
                            a.file_name = format!("{stem}.{ext}");
                        }
                    }
                }
                if entry.attachments.is_empty()
                    && let Some(key) = &rec.pdf_key
                {
                    entry.attachments.push(AttachmentRef {
                        location: key.clone(),
                        file_name: format!(
                            "{}.{}",
                            label.replace(['/', '\\'], "_"),
                            attachment_extension(key)
                        ),
                        sha256: rec.pdf_sha256.clone(),
                    });
                }
                if let Some(first) = self.claim_journal_code(cfg, document, &entry).await? {
                    rec.entry = None;
                    return Ok((
                        DocState::Held,
                        Severity::Error,
                        format!(
                            "{label}: the Sellsy journal \"{}\" would be booked as {code}, the code already booked for \"{first}\": one number series under two labels; it is not booked",
                            entry.journal_label,
                            code = entry.journal_code
                        ),
                        format!(
                            "give \"{}\" its own code in [dossier.journal_codes] (2 to 4 letters or digits, e.g. \"{}\" = \"{}X\"), then retry the document",
                            entry.journal_label,
                            entry.journal_label,
                            entry.journal_code.chars().take(3).collect::<String>()
                        ),
                    ));
                }
                if let Some(same) = self.claim_identity(cfg, document, &rec.key).await? {
                    rec.entry = None;
                    return Ok((
                        DocState::Skipped,
                        Severity::Warning,
                        format!(
                            "{label}: the same invoice (same {}, date, total{}) is already a document from {} ({}); this copy is not booked again",
                            if document.source.kind.is_sales() {
                                "customer"
                            } else {
                                "supplier"
                            },
                            if document.source.kind.is_sales() {
                                " and number"
                            } else {
                                ""
                            },
                            same.source,
                            same.key
                        ),
                        "none if it is the same invoice; if it is another one, book it by hand"
                            .to_string(),
                    ));
                }
                match self
                    .claim_number(cfg, &entry, &number_claim(document, &entry), &rec.key)
                    .await?
                {
                    Some(other) => {
                        rec.entry = None;
                        (
                            DocState::Held,
                            Severity::Error,
                            format!("{label}: piece number {} is already used in journal {} by another document ({other}); it is not booked twice", entry.piece_ref, entry.journal_code),
                            "two Sellsy numbering series give the same number: renumber one series in Sellsy, or book this document by hand".to_string(),
                        )
                    }
                    None => {
                        let lines = entry.lines().len();
                        let total = entry.total_debit();
                        rec.entry = Some(entry);
                        (
                            DocState::Mapped,
                            Severity::Info,
                            format!("{label}: mapped to an entry of {lines} lines, {total:.2} EUR"),
                            "no action needed".to_string(),
                        )
                    }
                }
            }
            Ok(Mapped::NotBooked(reason)) => {
                let state = if reason.is_hold() {
                    DocState::Held
                } else {
                    DocState::Skipped
                };
                let severity = if reason.is_hold() {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                (
                    state,
                    severity,
                    format!("{label}: {}", reason.message()),
                    reason.action(),
                )
            }
            Err(e) => (
                DocState::Rejected,
                Severity::Error,
                e.to_string(),
                e.action(),
            ),
        })
    }

    /// The dossier's auxiliary codes given so far.
    async fn aux_codes(&self, cfg: &DossierConfig) -> Result<AuxCodes, PipelineError> {
        let records = self
            .store
            .query(&aux_pk(&cfg.id), None, None, usize::MAX)
            .await?;
        let assignments = records.into_iter().filter_map(|r| {
            r.data
                .get("code")
                .and_then(|c| c.as_str())
                .map(|c| (r.sk.clone(), c.to_string()))
        });
        Ok(AuxCodes::with_assignments(
            cfg.auxiliary.length,
            assignments,
        ))
    }

    /// The part of the registry that decides this party's code: its own assignment, or the
    /// owners of the codes it would try (see `domain::auxcode::candidates`). Two or three reads
    /// instead of the whole registry at every mapping (which grows with the customers).
    async fn aux_codes_of(
        &self,
        cfg: &DossierConfig,
        party: &Party,
    ) -> Result<AuxCodes, PipelineError> {
        let length = cfg.auxiliary.length;
        let key = party.key();
        let code_of = |r: Option<Record>, field: &str| {
            r.and_then(|r| {
                r.data
                    .get(field)
                    .and_then(|c| c.as_str())
                    .map(str::to_string)
            })
        };
        // A party's own source code wins over its assignment, but only when no other party owns
        // it: the owners of its candidates are read then too.
        let has_own_code = party
            .auxiliary_code
            .as_deref()
            .is_some_and(|c| normalize_code(c, length).is_some());
        let assigned = code_of(self.store.get(&aux_pk(&cfg.id), &key).await?, "code");
        if let Some(code) = assigned.clone().filter(|_| !has_own_code) {
            return Ok(AuxCodes::with_assignments(length, [(key, code)]));
        }
        // A company already registered under its SIREN or VAT id (by another source, or an
        // e-invoice of another name spelling) keeps the code it has there.
        if assigned.is_none() && !has_own_code {
            for alias in alias_keys(party) {
                if let Some(code) = code_of(self.store.get(&aux_pk(&cfg.id), &alias).await?, "code")
                {
                    return Ok(AuxCodes::with_assignments(length, [(key, code)]));
                }
            }
        }
        let mut owners: Vec<(String, String)> = assigned
            .map(|code| (key.clone(), code))
            .into_iter()
            .collect();
        if let Some(candidates) = candidates(party, length) {
            for code in candidates {
                let record = self.store.get(&auxcode_pk(&cfg.id), &code).await?;
                match code_of(record, "party") {
                    Some(owner) if owner != key => owners.push((owner, code)),
                    _ => break,
                }
            }
        }
        Ok(AuxCodes::with_assignments(length, owners))
    }

    /// Saves codes given during this mapping. `false` when another worker took one of the codes
    /// for another party meanwhile: the mapping must be done again with the fresh registry.
    async fn save_aux_codes(
        &self,
        cfg: &DossierConfig,
        known: &[(String, String)],
        aux: &AuxCodes,
    ) -> Result<bool, PipelineError> {
        for (party, code) in aux.assignments() {
            if known.iter().any(|(p, c)| p == party && c == code) {
                continue;
            }
            let owner = Record::new(
                auxcode_pk(&cfg.id),
                code,
                serde_json::json!({ "party": party }),
            );
            match self.store.create(&owner).await {
                Ok(()) => {}
                Err(StoreError::Conflict { .. }) => {
                    let current = self.store.get(&auxcode_pk(&cfg.id), code).await?;
                    let holder = current.as_ref().and_then(|r| {
                        r.data
                            .get("party")
                            .and_then(|p| p.as_str())
                            .map(str::to_string)
                    });
                    // A code belongs to one party, set at the source or derived.
                    if holder.as_deref() != Some(party.as_str()) {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e.into()),
            }
            let assignment =
                Record::new(aux_pk(&cfg.id), party, serde_json::json!({ "code": code }));
            match self.store.create(&assignment).await {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Mode `journal`: claims the entry's journal code for its source journal, across runs
    /// (a pull only sees some of the journals). `Some(first journal)` when the code already
    /// numbers another source journal's entries: issue 14, defect 9.
    async fn claim_journal_code(
        &self,
        cfg: &DossierConfig,
        document: &SourceDocument,
        entry: &LedgerEntry,
    ) -> Result<Option<String>, PipelineError> {
        if cfg.mode != Mode::Journal || document.source.source == einvoice::map::SOURCE {
            return Ok(None);
        }
        let pk = journal_code_pk(&cfg.id);
        let journal = entry.journal_label.trim().to_string();
        let claim = Record::new(
            &pk,
            &entry.journal_code,
            serde_json::json!({ "journal": journal }),
        );
        match self.store.create(&claim).await {
            Ok(()) => Ok(None),
            Err(StoreError::Conflict { .. }) => {
                let holder = self
                    .store
                    .get(&pk, &entry.journal_code)
                    .await?
                    .and_then(|r| r.data.get("journal")?.as_str().map(str::to_string));
                match holder {
                    Some(h) if h.eq_ignore_ascii_case(&journal) => Ok(None),
                    Some(h) => Ok(Some(h)),
                    None => Err(PipelineError::Retryable(
                        "journal code claim vanished".into(),
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Claims the entry's piece number in its journal. `Some(other key)` when another document
    /// holds it.
    async fn claim_number(
        &self,
        cfg: &DossierConfig,
        entry: &LedgerEntry,
        claim: &str,
        key: &str,
    ) -> Result<Option<String>, PipelineError> {
        let pk = num_pk(&cfg.id, &entry.journal_code);
        let claim = Record::new(&pk, claim, serde_json::json!({ "document": key }));
        match self.store.create(&claim).await {
            Ok(()) => Ok(None),
            Err(StoreError::Conflict { .. }) => {
                let holder = self.store.get(&pk, &claim.sk).await?.and_then(|r| {
                    r.data
                        .get("document")
                        .and_then(|d| d.as_str())
                        .map(str::to_string)
                });
                match holder {
                    Some(h) if h == key => Ok(None),
                    Some(h) => Ok(Some(h)),
                    None => Err(PipelineError::Retryable(
                        "piece number claim vanished".into(),
                    )),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The entry of a document (mode `documents`), or its own journal lines copied (mode
/// `journal`): scope, status, exclusion words and the PDF rule apply in both modes.
fn map_content(
    cfg: &DossierConfig,
    document: &SourceDocument,
    journal: &[SourceJournalLine],
    aux: &mut AuxCodes,
) -> Result<Mapped, MappingError> {
    match cfg.mode {
        // An e-invoice has no Sellsy journal lines: its own data is the whole entry.
        Mode::Journal if document.source.source != einvoice::map::SOURCE => {
            match not_booked(document, cfg) {
                Some(reason) => Ok(Mapped::NotBooked(reason)),
                None => map_journal(journal, cfg, aux)
                    .into_iter()
                    .find(|(source, _)| *source == document.source)
                    .map(|(_, r)| r.map(Mapped::Entry))
                    .unwrap_or_else(|| {
                        Err(MappingError::NotInJournal {
                            document: document.number.clone(),
                        })
                    }),
            }
        }
        _ => map_document(document, cfg, aux),
    }
}

/// What must be unique in a journal: the piece number of our own documents; a supplier's
/// invoice number only for that supplier (two suppliers may both send invoice "F-001").
fn number_claim(document: &SourceDocument, entry: &LedgerEntry) -> String {
    if !document.source.kind.is_sales() {
        format!("{}#{}", document.party.key(), entry.piece_ref)
    } else {
        entry.piece_ref.clone()
    }
}

/// The attachment's extension from its stored key (`.pdf`, or `.xml` for an e-invoice that
/// came without a PDF).
pub(crate) fn attachment_extension(key: &str) -> &str {
    match key.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && !ext.contains('/') => ext,
        _ => "pdf",
    }
}
