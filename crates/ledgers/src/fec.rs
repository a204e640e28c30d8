//! The FEC file, the embedded default ledger. Per dossier and fiscal year the blob store holds:
//!
//! - `{prefix}/{dossier}/{closing AAAAMMJJ}/booked.jsonl`: every booked entry of the year, one JSON
//!   object a line (`external_id`, `validated_on`, `entry`); `find_entry` answers from it;
//! - `{prefix}/{dossier}/{closing}/<SIREN>FEC<closing>.txt`: the FEC, rewritten from all booked
//!   entries after every push with `domain::fec::write_fec`, so it is valid after every push;
//! - `{prefix}/{dossier}/pdf/<sha256>.<ext>`: entry PDFs;
//! - `{prefix}/{dossier}/documents/<category>/<sha256>.<ext>`: collected documents.
//!
//! The FEC is written before the booked list, so a crash between the two only leaves entries
//! in the FEC that the next push writes again from the list (no entry is ever lost or doubled).
//! One sink serialises its writes; run one writer per dossier.

pub mod section;

use std::collections::BTreeMap;
use std::sync::Arc;

use app::ports::{
    BlobStore, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, SinkError, SinkErrorKind,
};
use chrono::NaiveDate;
use domain::LedgerEntry;
use domain::config::DossierConfig;
use domain::fec::{BookedEntry, FecOptions, file_name, write_fec};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// Where and how the FEC sink writes.
#[derive(Debug, Clone)]
pub struct FecConfig {
    /// Key prefix in the blob store (default `fec`).
    pub prefix: String,
    /// Separator and charset of the file (default tab, UTF-8).
    pub options: FecOptions,
}

impl Default for FecConfig {
    fn default() -> Self {
        FecConfig {
            prefix: "fec".into(),
            options: FecOptions::default(),
        }
    }
}

/// The FEC sink over a blob store.
pub struct FecSink<B, C> {
    blobs: Arc<B>,
    clock: C,
    config: FecConfig,
    write: Mutex<()>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    external_id: String,
    validated_on: NaiveDate,
    entry: LedgerEntry,
}

fn blob_error(e: app::ports::BlobError) -> SinkError {
    SinkError::retryable(format!("the file store is unavailable: {e}"))
}

fn bad_siren(dossier: &DossierConfig) -> SinkError {
    SinkError::permanent(
        format!(
            "'{}' is not a valid SIREN: the FEC file is named after it",
            dossier.siren
        ),
        "set the company's 9-digit SIREN in the dossier configuration (field siren)",
    )
}

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
        let Some(bytes) = self.blobs.get(key).await.map_err(blob_error)? else {
            return Ok(Vec::new());
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            SinkError::permanent(
                format!("{key} is not UTF-8 text"),
                "restore the booked-entries file from a backup",
            )
        })?;
        let mut out = Vec::new();
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let stored: Stored = serde_json::from_str(line).map_err(|e| {
                SinkError::permanent(
                    format!("{key} line {}: {e}", n + 1),
                    "restore the booked-entries file from a backup",
                )
            })?;
            let entry = stored.entry.clone().revalidate().map_err(|e| {
                SinkError::permanent(
                    format!("{key} line {}: {e}", n + 1),
                    "restore the booked-entries file from a backup",
                )
            })?;
            out.push(Stored { entry, ..stored });
        }
        Ok(out)
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
        let (start, _) = dossier.fiscal_year_of(closing);
        let file = file_name(&dossier.siren, closing);
        let key = self.booked_key(dossier, closing);
        let mut stored = match self.load(&key).await {
            Ok(s) => s,
            Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
        };
        let today = self.clock.now().date_naive();
        let mut results: Vec<Option<Result<Booked, SinkError>>> = vec![None; entries.len()];
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
        if added > 0 {
            let all: Vec<BookedEntry> = stored
                .iter()
                .map(|s| BookedEntry {
                    entry: s.entry.clone(),
                    validated_on: s.validated_on,
                })
                .collect();
            let fail = |err: SinkError, results: &mut Vec<Option<Result<Booked, SinkError>>>| {
                for r in results.iter_mut().filter(|r| r.is_none()) {
                    *r = Some(Err(err.clone()));
                }
            };
            match write_fec(&all, &dossier.siren, (start, closing), self.config.options) {
                Err(e) => fail(
                    SinkError {
                        kind: SinkErrorKind::Permanent,
                        status: None,
                        message: e.to_string(),
                        action: "correct the dossier configuration (SIREN, fiscal year) or the entry, then push again".into(),
                        retry_after: None,
                    },
                    &mut results,
                ),
                Ok(fec) => {
                    let mut lines = String::new();
                    for s in &stored {
                        match serde_json::to_string(s) {
                            Ok(l) => {
                                lines.push_str(&l);
                                lines.push('\n');
                            }
                            Err(e) => {
                                fail(SinkError::retryable(format!("cannot serialise an entry: {e}")), &mut results);
                                return results.into_iter().flatten().collect();
                            }
                        }
                    }
                    let fec_key = format!("{}/{}", self.year_dir(dossier, closing), fec.name);
                    let written = async {
                        self.blobs
                            .put(&fec_key, &fec.bytes, "text/plain")
                            .await?;
                        self.blobs
                            .put(&key, lines.as_bytes(), "application/x-ndjson")
                            .await
                    };
                    if let Err(e) = written.await {
                        fail(blob_error(e), &mut results);
                    }
                }
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| Ok(Self::booked(&file, &entries[i].external_id))))
            .collect()
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
        let mut results: Vec<Option<Result<Booked, SinkError>>> = vec![None; entries.len()];
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
