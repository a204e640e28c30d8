//! The FEC sink over a blob store: keys, the yearly rewrite, [`LedgerSink`].

use std::collections::BTreeMap;
use std::sync::Arc;

use app::ports::{BlobStore, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, SinkError};
use chrono::NaiveDate;
use domain::config::DossierConfig;
use domain::fec::{BookedEntry, file_name, write_fec};
use tokio::sync::Mutex;

use super::config::FecConfig;
use super::errors::{bad_siren, blob_error, unwritable};
use super::wire::{self, Stored};

/// The FEC sink over a blob store.
pub struct FecSink<B, C> {
    blobs: Arc<B>,
    clock: C,
    config: FecConfig,
    write: Mutex<()>,
}

type Results = Vec<Option<Result<Booked, SinkError>>>;

fn extension(file_name: &str, content_type: &str) -> String {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    ext.unwrap_or_else(|| match content_type {
        "application/pdf" => "pdf".into(),
        "image/png" => "png".into(),
        "image/jpeg" => "jpg".into(),
        _ => "bin".into(),
    })
}

/// Every entry not answered yet fails with `err`.
fn fail(err: SinkError, results: &mut Results) {
    for r in results.iter_mut().filter(|r| r.is_none()) {
        *r = Some(Err(err.clone()));
    }
}

impl<B: BlobStore, C: Clock> FecSink<B, C> {
    pub fn new(blobs: Arc<B>, clock: C, config: FecConfig) -> Self {
        FecSink {
            blobs,
            clock,
            config,
            write: Mutex::new(()),
        }
    }

    fn year_dir(&self, dossier: &DossierConfig, closing: NaiveDate) -> String {
        format!(
            "{}/{}/{}",
            self.config.prefix,
            dossier.id,
            closing.format("%Y%m%d")
        )
    }

    /// The key of the FEC file of the fiscal year holding `date`.
    pub fn fec_key(&self, dossier: &DossierConfig, date: NaiveDate) -> String {
        let (_, closing) = dossier.fiscal_year_of(date);
        format!(
            "{}/{}",
            self.year_dir(dossier, closing),
            file_name(&dossier.siren, closing)
        )
    }

    fn booked_key(&self, dossier: &DossierConfig, closing: NaiveDate) -> String {
        format!("{}/booked.jsonl", self.year_dir(dossier, closing))
    }

    fn document_key(&self, dossier: &DossierConfig, d: &DocumentToPush) -> String {
        format!(
            "{}/{}/documents/{}/{}.{}",
            self.config.prefix,
            dossier.id,
            d.category.prefix(),
            d.file.sha256,
            extension(&d.file.file_name, &d.file.content_type)
        )
    }

    async fn load(&self, key: &str) -> Result<Vec<Stored>, SinkError> {
        match self.blobs.get(key).await.map_err(blob_error)? {
            Some(bytes) => wire::parse(key, bytes),
            None => Ok(Vec::new()),
        }
    }

    fn booked(ledger_file: &str, external_id: &str) -> Booked {
        Booked {
            ledger_id: format!("{ledger_file}#{external_id}"),
        }
    }

    async fn push_year(
        &self,
        dossier: &DossierConfig,
        closing: NaiveDate,
        entries: &[&EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let file = file_name(&dossier.siren, closing);
        let key = self.booked_key(dossier, closing);
        let mut stored = match self.load(&key).await {
            Ok(s) => s,
            Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
        };
        let today = self.clock.now().date_naive();
        let mut results: Results = vec![None; entries.len()];
        let mut added = 0;
        for (i, e) in entries.iter().enumerate() {
            if stored.iter().any(|s| s.external_id == e.external_id) {
                results[i] = Some(Ok(Self::booked(&file, &e.external_id)));
                continue;
            }
            if let Some(pdf) = &e.pdf {
                let pdf_key = format!(
                    "{}/{}/pdf/{}.{}",
                    self.config.prefix,
                    dossier.id,
                    pdf.sha256,
                    extension(&pdf.file_name, &pdf.content_type)
                );
                if let Err(err) = self
                    .blobs
                    .put_once(&pdf_key, &pdf.bytes, &pdf.content_type)
                    .await
                {
                    results[i] = Some(Err(blob_error(err)));
                    continue;
                }
            }
            stored.push(Stored {
                external_id: e.external_id.clone(),
                validated_on: today.max(e.entry.date),
                entry: e.entry.clone(),
            });
            added += 1;
        }
        if added > 0
            && let Err(err) = self.rewrite(dossier, closing, &key, &stored).await
        {
            fail(err, &mut results);
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| Ok(Self::booked(&file, &entries[i].external_id))))
            .collect()
    }

    /// Writes the year's FEC from every booked entry, then the booked list (in that order: see
    /// the module's notes).
    async fn rewrite(
        &self,
        dossier: &DossierConfig,
        closing: NaiveDate,
        key: &str,
        stored: &[Stored],
    ) -> Result<(), SinkError> {
        let (start, _) = dossier.fiscal_year_of(closing);
        let all: Vec<BookedEntry> = stored
            .iter()
            .map(|s| BookedEntry {
                entry: s.entry.clone(),
                validated_on: s.validated_on,
            })
            .collect();
        let fec = write_fec(&all, &dossier.siren, (start, closing), self.config.options)
            .map_err(|e| unwritable(e.to_string()))?;
        let lines = wire::render(stored)?;
        let fec_key = format!("{}/{}", self.year_dir(dossier, closing), fec.name);
        self.blobs
            .put(&fec_key, &fec.bytes, "text/plain")
            .await
            .map_err(blob_error)?;
        self.blobs
            .put(key, lines.as_bytes(), "application/x-ndjson")
            .await
            .map_err(blob_error)
    }
}

impl<B: BlobStore, C: Clock> LedgerSink for FecSink<B, C> {
    fn name(&self) -> &str {
        "fec"
    }

    async fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        if !domain::config::is_valid_siren(&dossier.siren) {
            let e = bad_siren(dossier);
            return entries.iter().map(|_| Err(e.clone())).collect();
        }
        let _guard = self.write.lock().await;
        let mut by_year: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_year
                .entry(dossier.fiscal_year_of(e.entry.date).1)
                .or_default()
                .push(i);
        }
        let mut results: Results = vec![None; entries.len()];
        for (closing, idx) in by_year {
            let group: Vec<&EntryToPush> = idx.iter().map(|&i| &entries[i]).collect();
            for (i, r) in idx
                .into_iter()
                .zip(self.push_year(dossier, closing, &group).await)
            {
                results[i] = Some(r);
            }
        }
        results.into_iter().flatten().collect()
    }

    async fn find_entry(
        &self,
        dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let closing = dossier.fiscal_year_of(entry.entry.date).1;
        let stored = self.load(&self.booked_key(dossier, closing)).await?;
        Ok(stored
            .iter()
            .any(|s| s.external_id == entry.external_id)
            .then(|| Self::booked(&file_name(&dossier.siren, closing), &entry.external_id)))
    }

    async fn push_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        let key = self.document_key(dossier, document);
        self.blobs
            .put_once(&key, &document.file.bytes, &document.file.content_type)
            .await
            .map_err(blob_error)?;
        Ok(Booked { ledger_id: key })
    }

    async fn find_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        let key = self.document_key(dossier, document);
        Ok(self
            .blobs
            .get(&key)
            .await
            .map_err(blob_error)?
            .map(|_| Booked { ledger_id: key }))
    }

    async fn test_connection(&self, dossier: &DossierConfig) -> Result<(), SinkError> {
        if !domain::config::is_valid_siren(&dossier.siren) {
            return Err(bad_siren(dossier));
        }
        self.blobs
            .list(&format!("{}/{}", self.config.prefix, dossier.id))
            .await
            .map_err(blob_error)?;
        Ok(())
    }
}
