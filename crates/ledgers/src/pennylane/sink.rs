//! [`LedgerSink`] for Pennylane.

use app::ports::{Booked, ChartAccount, DocumentToPush, EntryToPush, LedgerSink, SinkError};
use domain::config::DossierConfig;
use reqwest::Method;
use serde_json::{Value, json};

use super::api::PennylaneSink;
use super::currencies::checked_currency;
use super::wire::{EntryItem, IdOnly, entry_body};
use crate::readable::pdf_of_xml_einvoice;

impl PennylaneSink {
    /// Resolves the journal and accounts of one entry, uploads its PDF, posts it.
    async fn push_one(
        &self,
        dossier: &DossierConfig,
        e: &EntryToPush,
    ) -> Result<Booked, SinkError> {
        let entry = &e.entry;
        checked_currency(&entry.currency, &entry.piece_ref)?;
        let journal_id = self.journal_id(&entry.journal_code).await?;
        let mut accounts = Vec::with_capacity(entry.lines().len());
        for line in entry.lines() {
            accounts.push(self.third_party_account(dossier, line).await?.0);
        }
        // An XML e-invoice goes as its readable PDF (Pennylane attaches PDFs and images only).
        let attachment = match &e.pdf {
            Some(file) => {
                let readable = pdf_of_xml_einvoice(file);
                Some(self.upload(readable.as_ref().unwrap_or(file)).await?)
            }
            None => None,
        };
        let body = entry_body(entry, journal_id, &accounts, attachment);
        let a = self
            .call(Method::POST, "/ledger_entries", &[], Some(&body))
            .await?;
        let created: IdOnly = self.ok_json(a, &format!("entry {}", entry.piece_ref))?;
        Ok(Booked {
            ledger_id: created.id.to_string(),
        })
    }
}

impl LedgerSink for PennylaneSink {
    fn name(&self) -> &str {
        "pennylane"
    }

    async fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let r = self.push_one(dossier, e).await;
            if let Err(err) = &r {
                tracing::warn!(dossier = %dossier.id, entry = %e.external_id, error = %err, "Pennylane push failed");
            }
            out.push(r);
        }
        out
    }

    /// Pennylane cannot filter on `piece_number`: lists the entries of that date and journal and
    /// looks for our piece number.
    async fn find_entry(
        &self,
        _dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let e = &entry.entry;
        let journal_id = self.journal_id(&e.journal_code).await?;
        let date = e.date.format("%Y-%m-%d").to_string();
        let filter = json!([
            {"field": "date", "operator": "eq", "value": date},
            {"field": "journal_id", "operator": "eq", "value": journal_id.to_string()},
        ]);
        let items: Vec<EntryItem> = self
            .list_all("/ledger_entries", Some(filter), "entry lookup")
            .await?;
        Ok(items
            .into_iter()
            .find(|i| i.piece_number.as_deref() == Some(e.piece_ref.as_str()))
            .map(|i| Booked {
                ledger_id: i.id.to_string(),
            }))
    }

    /// Uploads the file to `/file_attachments` (Pennylane has no API inbox for collected
    /// documents in the v2 extract; the file is then available to attach to an entry).
    async fn push_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        if let Some(id) = self.documents.lock().await.get(&document.external_id) {
            return Ok(Booked {
                ledger_id: id.clone(),
            });
        }
        let id = self.upload(&document.file).await?.to_string();
        self.documents
            .lock()
            .await
            .insert(document.external_id.clone(), id.clone());
        Ok(Booked { ledger_id: id })
    }

    /// Pennylane's v2 API cannot list file attachments: only uploads made by this process are
    /// known.
    async fn find_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(self
            .documents
            .lock()
            .await
            .get(&document.external_id)
            .map(|id| Booked {
                ledger_id: id.clone(),
            }))
    }

    async fn chart(
        &self,
        _dossier: &DossierConfig,
    ) -> Result<Option<Vec<ChartAccount>>, SinkError> {
        Ok(Some(
            self.ledger_chart()
                .await?
                .into_iter()
                .map(|a| ChartAccount {
                    number: a.number,
                    label: a.label,
                })
                .collect(),
        ))
    }

    async fn test_connection(&self, dossier: &DossierConfig) -> Result<(), SinkError> {
        let a = self.call(Method::GET, "/me", &[], None).await?;
        let _: Value = self.ok_json(a, "connection test")?;
        let mut codes = vec![
            dossier.journals.sales.code.clone(),
            dossier.journals.credit_notes.code.clone(),
            dossier.journals.purchases.code.clone(),
        ];
        codes.dedup();
        for code in codes {
            self.journal_id(&code).await?;
        }
        Ok(())
    }
}
