//! [`LedgerSink`] for Inqom.

use std::collections::BTreeMap;

use app::ports::{Booked, ChartAccount, DocumentToPush, EntryToPush, LedgerSink, SinkError};
use domain::Category;
use domain::config::DossierConfig;
use reqwest::multipart::Form;
use serde_json::Value;

use super::api::InqomSink;
use super::wire::{LinesPage, amounts_sent, cents, cut, file_part, id_of, type_scan};
use crate::readable::pdf_of_xml_einvoice;

impl LedgerSink for InqomSink {
    fn name(&self) -> &str {
        "inqom"
    }

    async fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let mut results: Vec<Option<Result<Booked, SinkError>>> = vec![None; entries.len()];
        let setup =
            async { Ok::<_, SinkError>((self.journal_ids().await?, self.periods().await?)) };
        let (journals, periods) = match setup.await {
            Ok(x) => x,
            Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut ready: Vec<(usize, Value)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match self.prepare(dossier, &journals, &periods, e).await {
                Ok(v) => ready.push((i, v)),
                Err(err) => results[i] = Some(Err(err)),
            }
        }
        let mut posted = Vec::new();
        for chunk in ready.chunks(self.batch_size) {
            posted.extend(self.post_batch(chunk.to_vec()).await);
        }
        posted.sort_by_key(|(i, _)| *i);
        for (i, r) in posted {
            let e = &entries[i];
            results[i] = Some(match r {
                Ok(id) => {
                    // Inqom attaches PDFs, images and office files, not XML: an e-invoice
                    // received as XML alone goes as its readable PDF (the XML embedded).
                    let readable = e.pdf.as_ref().and_then(pdf_of_xml_einvoice);
                    if let Some(pdf) = readable.as_ref().or(e.pdf.as_ref())
                        && let Err(err) = self.attach(id, e, pdf).await
                    {
                        // The entry is booked (Inqom has no draft state): reporting a failure
                        // would make the pipeline post it twice. The missing PDF is logged.
                        tracing::warn!(dossier = %dossier.id, entry = %e.external_id, inqom_entry = id, error = %err, "entry booked in Inqom but its PDF was not attached");
                    }
                    Ok(Booked {
                        ledger_id: id.to_string(),
                    })
                }
                Err(err) => {
                    tracing::warn!(dossier = %dossier.id, entry = %e.external_id, error = %err, "Inqom push failed");
                    Err(err)
                }
            });
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SinkError::retryable("entry not sent"))))
            .collect()
    }

    /// Reads the entry lines of the entry's date and journal and looks for an entry whose
    /// accounting document carries our piece reference and whose lines have our amounts. The
    /// API returns no `ExternalId` on the lines it lists, so that is all there is to go by; a
    /// same-day entry with the same reference and other amounts (an accountant's correction) is
    /// not taken for ours.
    async fn find_entry(
        &self,
        _dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let e = &entry.entry;
        let journals = self.journal_ids().await?;
        let Some(journal) = journals.get(&e.journal_code.to_ascii_uppercase()) else {
            // No such journal in Inqom: nothing can have been booked in it.
            return Ok(None);
        };
        let date = e.date.format("%Y-%m-%d").to_string();
        let query = vec![
            ("startDate", date.clone()),
            ("endDate", date),
            ("journalId", journal.to_string()),
        ];
        let url = self.dossier_path("/entry-lines");
        let reference = cut(&e.piece_ref, 256);
        let mut candidates: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
        for page in 1..=10_000u32 {
            let mut q = query.clone();
            q.push(("pageNumber", page.to_string()));
            let a = self.get(&url, &q).await?;
            let lines: LinesPage = self.ok_json(a, "entry lines")?;
            if lines.entry_lines.is_empty() {
                break;
            }
            for l in &lines.entry_lines {
                let (Some(en), Some(doc)) = (&l.entry, &l.accounting_document) else {
                    continue;
                };
                if doc.reference.as_deref() == Some(reference.as_str()) {
                    let amounts = (
                        cents(l.debit_amount.unwrap_or(0.0)),
                        cents(l.credit_amount.unwrap_or(0.0)),
                    );
                    candidates.entry(en.id).or_default().push(amounts);
                }
            }
        }
        let wanted = amounts_sent(e);
        Ok(candidates
            .into_iter()
            .find(|(_, amounts)| {
                let mut a = amounts.clone();
                a.sort_unstable();
                a == wanted
            })
            .map(|(id, _)| Booked {
                ledger_id: id.to_string(),
            }))
    }

    async fn push_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        let f = &document.file;
        let (url, what) = if document.category == Category::ExpenseReport {
            (
                format!(
                    "{}/api/v1/accounting-folders/{}/expense-bills",
                    self.docs, self.dossier_id
                ),
                "expense report",
            )
        } else {
            (
                format!(
                    "{}/api/accounting-documents/accounting-folders/{}/Documents/",
                    self.docs, self.dossier_id
                ),
                "document",
            )
        };
        let a = self
            .core
            .send(|http| {
                let form = if document.category == Category::ExpenseReport {
                    Form::new()
                        .part("File", file_part(f))
                        .text("BeneficiaryFullName", document.sender.clone())
                        .text("FileNameWithExtension", f.file_name.clone())
                        .text("DocumentReference", document.external_id.clone())
                } else {
                    Form::new()
                        .text("TypeScan", type_scan(document.category))
                        .text("FileSource", "Api")
                        .part("Document", file_part(f))
                        .text("DocRef", document.external_id.clone())
                        .text("SourceId", document.external_id.clone())
                        .text("WithoutWorkflow", "false")
                        .text("DocumentName", f.file_name.clone())
                };
                http.post(&url).multipart(form)
            })
            .await?;
        let v: Value = self.ok_json(a, &format!("{what} {}", f.file_name))?;
        let id = id_of(&v).ok_or_else(|| {
            SinkError::retryable(format!(
                "Inqom accepted the {what} without returning its id"
            ))
        })?;
        Ok(Booked {
            ledger_id: id.to_string(),
        })
    }

    async fn find_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(self
            .documents()
            .await?
            .into_iter()
            .find(|d| {
                d.doc_ref.as_deref() == Some(document.external_id.as_str())
                    || d.source_id.as_deref() == Some(document.external_id.as_str())
            })
            .map(|d| Booked {
                ledger_id: d.id.to_string(),
            }))
    }

    /// The folder's general accounts, class by class (the API lists accounts by number
    /// prefix); auxiliary accounts (with a parent) are left out.
    async fn chart(
        &self,
        _dossier: &DossierConfig,
    ) -> Result<Option<Vec<ChartAccount>>, SinkError> {
        let mut out = Vec::new();
        for class in 1..=8 {
            for a in self.accounts_with_prefix(&class.to_string()).await? {
                if a.parent_account_number.is_none() {
                    out.push(ChartAccount {
                        number: a.number,
                        label: a.name,
                    });
                }
            }
        }
        Ok(Some(out))
    }

    async fn test_connection(&self, dossier: &DossierConfig) -> Result<(), SinkError> {
        let journals = self.journal_ids().await?;
        let mut missing = Vec::new();
        for j in [
            &dossier.journals.sales,
            &dossier.journals.credit_notes,
            &dossier.journals.purchases,
        ] {
            if !journals.contains_key(&j.code.to_ascii_uppercase()) && !missing.contains(&j.code) {
                missing.push(j.code.clone());
            }
        }
        if !missing.is_empty() {
            return Err(SinkError::permanent(
                format!("journals missing in Inqom: {}", missing.join(", ")),
                format!(
                    "create the journal{} {} in Inqom or change the dossier's journal codes",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", ")
                ),
            ));
        }
        Ok(())
    }
}
