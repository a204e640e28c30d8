//! The FEC sink over a blob store: keys, the yearly rewrite, [`LedgerSink`].

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use app::ports::{
    BlobStore, BlobVersion, Booked, Clock, DocumentToPush, EntryToPush, LedgerSink, SinkError, Swap,
};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use domain::config::DossierConfig;
use domain::fec::{BookedEntry, describe, description_name, file_name, write_fec};

use super::config::FecConfig;
use super::errors::{bad_siren, blob_error, contended, draft, held, journal_clash, unwritable};
use super::wire::{self, Stored};

/// Compare-and-swap attempts on the booked list before the batch is given back to the queue.
const SWAP_ATTEMPTS: u32 = 64;

/// The FEC sink over a blob store.
pub struct FecSink<B, C> {
    blobs: Arc<B>,
    clock: C,
    config: FecConfig,
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

    /// The key of the booked entries of the fiscal year closing on `closing`.
    pub fn booked_key(&self, dossier: &DossierConfig, closing: NaiveDate) -> String {
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

    async fn load(&self, key: &str) -> Result<(Vec<Stored>, Option<BlobVersion>), SinkError> {
        match self.blobs.get_versioned(key).await.map_err(blob_error)? {
            Some((bytes, version)) => Ok((wire::parse(key, &bytes)?, Some(version))),
            None => Ok((Vec::new(), None)),
        }
    }

    fn booked(ledger_file: &str, external_id: &str) -> Booked {
        Booked {
            ledger_id: format!("{ledger_file}#{external_id}"),
        }
    }

    /// What stops an entry before the state is touched: a draft, a date after today (held until
    /// that day), its PDF not stored.
    async fn precheck(
        &self,
        dossier: &DossierConfig,
        e: &EntryToPush,
        now: DateTime<Utc>,
    ) -> Option<SinkError> {
        let tz = self.config.time_zone;
        let today = now.with_timezone(&tz).date_naive();
        if e.entry.draft {
            return Some(draft(&e.entry.piece_ref));
        }
        if e.entry.date > today {
            let start = tz
                .from_local_datetime(&e.entry.date.and_time(NaiveTime::MIN))
                .earliest()
                .map_or(now, |t| t.with_timezone(&Utc));
            let wait = (start - now).to_std().unwrap_or_default();
            return Some(held(&e.entry.piece_ref, e.entry.date, today, tz, wait));
        }
        let pdf = e.pdf.as_ref()?;
        let pdf_key = format!(
            "{}/{}/pdf/{}.{}",
            self.config.prefix,
            dossier.id,
            pdf.sha256,
            extension(&pdf.file_name, &pdf.content_type)
        );
        self.blobs
            .put_once(&pdf_key, &pdf.bytes, &pdf.content_type)
            .await
            .err()
            .map(blob_error)
    }

    /// Books the entries of one fiscal year: appends them to the booked list with the next
    /// numbers of their journals and today's date, by compare-and-swap (another worker's append
    /// in between makes this one start again from the new list), then writes the FEC.
    async fn push_year(
        &self,
        dossier: &DossierConfig,
        closing: NaiveDate,
        entries: &[&EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let file = file_name(&dossier.siren, closing);
        let key = self.booked_key(dossier, closing);
        let now = self.clock.now();
        let today = now.with_timezone(&self.config.time_zone).date_naive();
        let mut refused: Results = vec![None; entries.len()];
        for (i, e) in entries.iter().enumerate() {
            refused[i] = self.precheck(dossier, e, now).await.map(Err);
        }
        let mut results = refused.clone();
        for attempt in 0..SWAP_ATTEMPTS {
            let (mut stored, version) = match self.load(&key).await {
                Ok(s) => s,
                Err(e) => {
                    fail(e, &mut results);
                    break;
                }
            };
            results.clone_from(&refused);
            let mut known: HashSet<String> = stored.iter().map(|s| s.external_id.clone()).collect();
            let mut last = wire::last_numbers(&stored);
            // One label per journal code: the first entry booked in a journal names it.
            let mut labels: BTreeMap<String, String> = BTreeMap::new();
            for s in &stored {
                labels
                    .entry(s.entry.journal_code.clone())
                    .or_insert_with(|| s.entry.journal_label.clone());
            }
            // The file is in validation order: a worker whose clock is behind never dates an
            // entry before the one booked ahead of it.
            let validated_on = stored.last().map_or(today, |s| s.validated_on.max(today));
            let (mut added, mut redelivered) = (0, false);
            // Within one batch, numbers follow the entries' dates (then piece numbers): the
            // order in which one push validates them is ours to choose, and a date-ordered
            // series is what a reader of the FEC expects (Test Compta Demat warns otherwise).
            let mut order: Vec<usize> = (0..entries.len()).collect();
            order.sort_by(|&a, &b| {
                let (x, y) = (&entries[a].entry, &entries[b].entry);
                (x.date, &x.piece_ref).cmp(&(y.date, &y.piece_ref))
            });
            for i in order {
                let e = entries[i];
                if results[i].is_some() {
                    continue;
                }
                if known.contains(&e.external_id) {
                    redelivered = true;
                    continue;
                }
                let label = labels
                    .entry(e.entry.journal_code.clone())
                    .or_insert_with(|| e.entry.journal_label.clone());
                if *label != e.entry.journal_label {
                    let (piece, code) = (&e.entry.piece_ref, &e.entry.journal_code);
                    results[i] = Some(Err(journal_clash(
                        piece,
                        code,
                        &e.entry.journal_label,
                        label,
                    )));
                    continue;
                }
                known.insert(e.external_id.clone());
                let number = last.entry(e.entry.journal_code.clone()).or_insert(0);
                *number += 1;
                stored.push(Stored {
                    external_id: e.external_id.clone(),
                    number: *number,
                    validated_on,
                    entry: e.entry.clone(),
                });
                added += 1;
            }
            if added == 0 {
                // Nothing new: a redelivery, maybe after a crash before the FEC was written.
                if redelivered && let Err(err) = self.write_fec(dossier, closing, stored).await {
                    fail(err, &mut results);
                }
                break;
            }
            let lines = match wire::render(&stored) {
                Ok(l) => l,
                Err(err) => {
                    fail(err, &mut results);
                    break;
                }
            };
            match self
                .blobs
                .put_if(
                    &key,
                    lines.as_bytes(),
                    "application/x-ndjson",
                    version.as_ref(),
                )
                .await
            {
                Ok(Swap::Written) => {
                    if let Err(err) = self.write_fec(dossier, closing, stored).await {
                        fail(err, &mut results);
                    }
                    break;
                }
                Ok(Swap::Conflict) if attempt + 1 < SWAP_ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Ok(Swap::Conflict) => fail(contended(&key), &mut results),
                Err(err) => {
                    fail(blob_error(err), &mut results);
                    break;
                }
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| Ok(Self::booked(&file, &entries[i].external_id))))
            .collect()
    }

    /// Writes the year's FEC (and its description) from the booked list `stored`, then checks
    /// that the list did not change meanwhile; if it did, writes again from the newer list. So
    /// whichever worker writes last writes the latest list, and the FEC never goes back.
    async fn write_fec(
        &self,
        dossier: &DossierConfig,
        closing: NaiveDate,
        mut stored: Vec<Stored>,
    ) -> Result<(), SinkError> {
        let (start, _) = dossier.fiscal_year_of(closing);
        let key = self.booked_key(dossier, closing);
        for _ in 0..SWAP_ATTEMPTS {
            let all: Vec<BookedEntry> = stored.iter().map(Stored::booked).collect();
            let fec = write_fec(&all, &dossier.siren, (start, closing), self.config.options)
                .map_err(|e| unwritable(e.to_string()))?;
            let dir = self.year_dir(dossier, closing);
            let description = describe(&fec, (start, closing), self.config.options);
            self.blobs
                .put(&format!("{dir}/{}", fec.name), &fec.bytes, "text/plain")
                .await
                .map_err(blob_error)?;
            self.blobs
                .put(
                    &format!("{dir}/{}", description_name(&fec.name)),
                    description.as_bytes(),
                    "text/plain; charset=utf-8",
                )
                .await
                .map_err(blob_error)?;
            let (now, _) = self.load(&key).await?;
            if now.len() == stored.len() {
                return Ok(());
            }
            stored = now;
        }
        Err(contended(&key))
    }
}

/// Waits a little longer after each lost swap, with a jitter so racing workers spread out.
fn backoff(attempt: u32) -> Duration {
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 20,
    );
    Duration::from_millis(u64::from(attempt.min(10)) * 5 + jitter)
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
        let (stored, _) = self.load(&self.booked_key(dossier, closing)).await?;
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

    /// A FEC file has no chart of its own: every PCG account is valid.
    async fn chart(
        &self,
        _: &DossierConfig,
    ) -> Result<Option<Vec<app::ports::ChartAccount>>, SinkError> {
        Ok(None)
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
