//! Fakes with injected faults, for use-case tests: a source, a ledger, and wrappers that make a
//! store, a queue and a clock misbehave the way real ones do.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use domain::SourceDocument;
use domain::config::DossierConfig;

use crate::ports::{
    Booked, ConnectionReport, DocRef, DocRefKind, DocumentToPush, EntryToPush, LedgerSink, PdfFile,
    PullMode, PullWindow, Pulled, Queue, QueueError, QueueName, Received, Record, RecordStore,
    SinkError, SourceApi, SourceError, StoreError,
};
use crate::usecases::sha256_hex;

/// A small deterministic generator (xorshift64*), shared between tasks.
#[derive(Debug)]
pub struct Rng(Mutex<u64>);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(Mutex::new(seed.max(1)))
    }

    /// A number in [0, 1) in steps of 1/1000.
    pub fn draw(&self) -> u32 {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as u32 % 1000
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&self, per_mille: u32) -> bool {
        self.draw() < per_mille
    }
}

/// A source holding documents in memory; `fault_per_mille` of calls fail as 429/5xx/timeouts do
/// once the client's own retries are exhausted.
pub struct FakeSource {
    docs: Mutex<Vec<SourceDocument>>,
    pub fault_per_mille: AtomicU64,
    rng: Rng,
    /// Faults injected so far.
    pub injected: AtomicU64,
}

impl FakeSource {
    pub fn new(docs: Vec<SourceDocument>, fault_per_mille: u32, seed: u64) -> FakeSource {
        FakeSource {
            docs: Mutex::new(docs),
            fault_per_mille: AtomicU64::new(u64::from(fault_per_mille)),
            rng: Rng::new(seed),
            injected: AtomicU64::new(0),
        }
    }

    fn fault(&self, what: &str) -> Result<(), SourceError> {
        if self.rng.chance(self.fault_per_mille.load(Relaxed) as u32) {
            self.injected.fetch_add(1, Relaxed);
            let message = match self.rng.draw() % 3 {
                0 => format!("{what}: HTTP 429 quota exceeded (injected)"),
                1 => format!("{what}: HTTP 503 (injected)"),
                _ => format!("{what}: timed out (injected)"),
            };
            return Err(SourceError::Unavailable {
                attempts: 5,
                message,
            });
        }
        Ok(())
    }

    /// Changes a document at the source (a modification after copy).
    pub fn modify(&self, source_id: &str, change: impl FnOnce(&mut SourceDocument)) {
        let mut docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = docs.iter_mut().find(|d| d.source.source_id == source_id) {
            change(d);
        }
    }

    pub fn pdf_bytes(id: u64) -> Vec<u8> {
        format!("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% document {id}\n%%EOF\n")
            .into_bytes()
    }
}

impl SourceApi for FakeSource {
    async fn pull(&self, window: PullWindow, _mode: PullMode) -> Result<Pulled, SourceError> {
        self.fault("pull")?;
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(Pulled {
            documents: docs
                .iter()
                .filter(|d| window.contains(d.date))
                .cloned()
                .collect(),
            ..Default::default()
        })
    }

    async fn fetch(&self, doc: DocRef) -> Result<Option<SourceDocument>, SourceError> {
        self.fault("fetch")?;
        let docs = self.docs.lock().unwrap_or_else(|e| e.into_inner());
        Ok(docs
            .iter()
            .find(|d| d.source.source_id == doc.id.to_string())
            .cloned())
    }

    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        self.fault("pdf")?;
        let _ = matches!(doc.kind, DocRefKind::Invoice);
        let bytes = FakeSource::pdf_bytes(doc.id);
        Ok(Some(PdfFile {
            sha256: sha256_hex(&bytes),
            bytes,
        }))
    }

    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        Ok(ConnectionReport::default())
    }
}

/// A ledger in memory that counts every booking, so a duplicate cannot hide. Faults: half of the
/// injected ones fail before booking (HTTP 503), half book and then time out (the crash "after
/// the ledger accepted").
pub struct FakeLedger {
    booked: Mutex<BTreeMap<String, (String, u32, EntryToPushSummary)>>,
    pub fault_per_mille: AtomicU64,
    rng: Rng,
    pub injected_before: AtomicU64,
    pub injected_after: AtomicU64,
    next_id: AtomicU64,
}

/// What was booked for an external id (to check the ledger is untouched later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryToPushSummary {
    pub piece_ref: String,
    pub total: String,
    pub lines: usize,
    pub with_pdf: bool,
}

impl FakeLedger {
    pub fn new(fault_per_mille: u32, seed: u64) -> FakeLedger {
        FakeLedger {
            booked: Mutex::new(BTreeMap::new()),
            fault_per_mille: AtomicU64::new(u64::from(fault_per_mille)),
            rng: Rng::new(seed),
            injected_before: AtomicU64::new(0),
            injected_after: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    /// (distinct external ids booked, bookings beyond the first for an id).
    pub fn counts(&self) -> (usize, u32) {
        let booked = self.booked.lock().unwrap_or_else(|e| e.into_inner());
        let duplicates = booked.values().map(|(_, n, _)| n - 1).sum();
        (booked.len(), duplicates)
    }

    pub fn summary(&self, external_id: &str) -> Option<EntryToPushSummary> {
        let booked = self.booked.lock().unwrap_or_else(|e| e.into_inner());
        booked.get(external_id).map(|(_, _, s)| s.clone())
    }

    fn book(&self, external_id: &str, summary: EntryToPushSummary) -> Booked {
        let mut booked = self.booked.lock().unwrap_or_else(|e| e.into_inner());
        let id = self.next_id.fetch_add(1, Relaxed);
        let slot = booked
            .entry(external_id.to_string())
            .or_insert_with(|| (format!("L{id}"), 0, summary));
        slot.1 += 1;
        Booked {
            ledger_id: slot.0.clone(),
        }
    }

    fn find(&self, external_id: &str) -> Option<Booked> {
        let booked = self.booked.lock().unwrap_or_else(|e| e.into_inner());
        booked.get(external_id).map(|(id, _, _)| Booked {
            ledger_id: id.clone(),
        })
    }

    /// `Some(true)`: fail before booking; `Some(false)`: book, then fail.
    fn fault(&self) -> Option<bool> {
        if !self.rng.chance(self.fault_per_mille.load(Relaxed) as u32) {
            return None;
        }
        Some(self.rng.draw().is_multiple_of(2))
    }
}

impl LedgerSink for FakeLedger {
    fn name(&self) -> &str {
        "fake"
    }

    async fn push_entries(
        &self,
        _dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        let fault = self.fault();
        if fault == Some(true) {
            self.injected_before
                .fetch_add(entries.len() as u64, Relaxed);
            return entries
                .iter()
                .map(|_| Err(SinkError::retryable("HTTP 503 from the ledger (injected)")))
                .collect();
        }
        let booked: Vec<Booked> = entries
            .iter()
            .map(|e| {
                self.book(
                    &e.external_id,
                    EntryToPushSummary {
                        piece_ref: e.entry.piece_ref.clone(),
                        total: format!("{:.2}", e.entry.total_debit()),
                        lines: e.entry.lines().len(),
                        with_pdf: e.pdf.is_some(),
                    },
                )
            })
            .collect();
        if fault == Some(false) {
            self.injected_after.fetch_add(entries.len() as u64, Relaxed);
            return entries
                .iter()
                .map(|_| {
                    Err(SinkError::retryable(
                        "timed out waiting for the ledger's answer (injected after booking)",
                    ))
                })
                .collect();
        }
        booked.into_iter().map(Ok).collect()
    }

    async fn find_entry(
        &self,
        _dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(self.find(&entry.external_id))
    }

    async fn push_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        let fault = self.fault();
        if fault == Some(true) {
            self.injected_before.fetch_add(1, Relaxed);
            return Err(SinkError::retryable("HTTP 503 from the ledger (injected)"));
        }
        let booked = self.book(
            &document.external_id,
            EntryToPushSummary {
                piece_ref: document.file.file_name.clone(),
                total: String::new(),
                lines: 0,
                with_pdf: true,
            },
        );
        if fault == Some(false) {
            self.injected_after.fetch_add(1, Relaxed);
            return Err(SinkError::retryable("timed out (injected after filing)"));
        }
        Ok(booked)
    }

    async fn find_document(
        &self,
        _dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        Ok(self.find(&document.external_id))
    }

    /// The fake ledger has no chart of its own: every account is valid.
    async fn chart(
        &self,
        _: &DossierConfig,
    ) -> Result<Option<Vec<crate::ports::ChartAccount>>, SinkError> {
        Ok(None)
    }

    async fn test_connection(&self, _dossier: &DossierConfig) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A store whose updates of document records sometimes fail: before writing (unavailable), or
/// after writing (the answer is lost, as when a worker crashes right after its write).
pub struct FaultyStore<S> {
    pub inner: S,
    pub fault_per_mille: AtomicU64,
    rng: Rng,
    pub injected: AtomicU64,
}

impl<S> FaultyStore<S> {
    pub fn new(inner: S, fault_per_mille: u32, seed: u64) -> Self {
        FaultyStore {
            inner,
            fault_per_mille: AtomicU64::new(u64::from(fault_per_mille)),
            rng: Rng::new(seed),
            injected: AtomicU64::new(0),
        }
    }
}

impl<S: RecordStore> RecordStore for FaultyStore<S> {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Record>, StoreError> {
        self.inner.get(pk, sk).await
    }

    async fn create(&self, record: &Record) -> Result<(), StoreError> {
        self.inner.create(record).await
    }

    async fn update(&self, record: &Record) -> Result<(), StoreError> {
        let doc = record.pk.starts_with("DOC#");
        if doc && self.rng.chance(self.fault_per_mille.load(Relaxed) as u32) {
            self.injected.fetch_add(1, Relaxed);
            if self.rng.draw().is_multiple_of(2) {
                return Err(StoreError::Unavailable("throttled (injected)".into()));
            }
            self.inner.update(record).await?;
            return Err(StoreError::Unavailable(
                "connection lost after the write (injected)".into(),
            ));
        }
        self.inner.update(record).await
    }

    async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        self.inner.query(pk, from, to, limit).await
    }

    async fn query_back(
        &self,
        pk: &str,
        from: Option<&str>,
        below: Option<&str>,
        filter: &crate::ports::Filter,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        self.inner.query_back(pk, from, below, filter, limit).await
    }

    async fn count_by(
        &self,
        pk: &str,
        field: &'static str,
        values: &[&str],
    ) -> Result<Vec<u64>, StoreError> {
        self.inner.count_by(pk, field, values).await
    }
}

/// A queue that delivers some messages twice and hands batches over in a shuffled order.
pub struct FaultyQueue<Q> {
    pub inner: Q,
    pub duplicate_per_mille: u32,
    rng: Rng,
    pub duplicated: AtomicU64,
}

impl<Q> FaultyQueue<Q> {
    pub fn new(inner: Q, duplicate_per_mille: u32, seed: u64) -> Self {
        FaultyQueue {
            inner,
            duplicate_per_mille,
            rng: Rng::new(seed),
            duplicated: AtomicU64::new(0),
        }
    }
}

impl<Q: Queue> Queue for FaultyQueue<Q> {
    async fn send(&self, queue: QueueName, bodies: &[String]) -> Result<(), QueueError> {
        let mut out = Vec::with_capacity(bodies.len() * 2);
        for b in bodies {
            out.push(b.clone());
            if self.rng.chance(self.duplicate_per_mille) {
                self.duplicated.fetch_add(1, Relaxed);
                out.push(b.clone());
            }
        }
        // Re-ordered: the last ones first.
        out.reverse();
        self.inner.send(queue, &out).await
    }

    async fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Received>, QueueError> {
        let mut got = self.inner.receive(queue, max, visibility).await?;
        for i in (1..got.len()).rev() {
            let j = self.rng.draw() as usize % (i + 1);
            got.swap(i, j);
        }
        Ok(got)
    }

    async fn ack(&self, queue: QueueName, receipt: &str) -> Result<(), QueueError> {
        self.inner.ack(queue, receipt).await
    }
}

/// A [`crate::ports::Notifier`] that records what it is asked to send (and can be told to fail).
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    /// (to, subject, text) of every notice, in order.
    pub sent: Mutex<Vec<(String, String, String)>>,
    /// Refuse every notice (an SES outage, an unverified identity).
    pub fail: bool,
}

impl RecordingNotifier {
    pub fn sent(&self) -> Vec<(String, String, String)> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl crate::ports::Notifier for RecordingNotifier {
    async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
    ) -> Result<(), crate::ports::NotifyError> {
        if self.fail {
            return Err(crate::ports::NotifyError("the mail service refused".into()));
        }
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).push((
            to.to_string(),
            subject.to_string(),
            text.to_string(),
        ));
        Ok(())
    }
}
