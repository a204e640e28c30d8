//! Ports implemented for shared references, so several pipelines (workers) can run over one set
//! of adapters.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::SourceDocument;
use domain::config::DossierConfig;

use super::*;

impl<T: RecordStore + ?Sized> RecordStore for &T {
    fn get(
        &self,
        pk: &str,
        sk: &str,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send {
        (**self).get(pk, sk)
    }
    fn create(&self, record: &Record) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).create(record)
    }
    fn update(&self, record: &Record) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).update(record)
    }
    fn query(
        &self,
        pk: &str,
        from: Option<&str>,
        to: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send {
        (**self).query(pk, from, to, limit)
    }
    fn query_back(
        &self,
        pk: &str,
        from: Option<&str>,
        below: Option<&str>,
        filter: &store::Filter,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Record>, StoreError>> + Send {
        (**self).query_back(pk, from, below, filter, limit)
    }
    fn count_by(
        &self,
        pk: &str,
        field: &'static str,
        values: &[&str],
    ) -> impl Future<Output = Result<Vec<u64>, StoreError>> + Send {
        (**self).count_by(pk, field, values)
    }
}

impl<T: BlobStore + ?Sized> BlobStore for &T {
    fn put_once(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<PutOnce, BlobError>> + Send {
        (**self).put_once(key, bytes, content_type)
    }
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<(), BlobError>> + Send {
        (**self).put(key, bytes, content_type)
    }
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, BlobError>> + Send {
        (**self).get(key)
    }
    fn get_versioned(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<(Vec<u8>, BlobVersion)>, BlobError>> + Send {
        (**self).get_versioned(key)
    }
    fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
        expected: Option<&BlobVersion>,
    ) -> impl Future<Output = Result<Swap, BlobError>> + Send {
        (**self).put_if(key, bytes, content_type, expected)
    }
    fn list(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, BlobError>> + Send {
        (**self).list(prefix)
    }
}

impl<T: Queue + ?Sized> Queue for &T {
    fn send(
        &self,
        queue: QueueName,
        bodies: &[String],
    ) -> impl Future<Output = Result<(), QueueError>> + Send {
        (**self).send(queue, bodies)
    }
    fn receive(
        &self,
        queue: QueueName,
        max: usize,
        visibility: Duration,
    ) -> impl Future<Output = Result<Vec<Received>, QueueError>> + Send {
        (**self).receive(queue, max, visibility)
    }
    fn ack(
        &self,
        queue: QueueName,
        receipt: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send {
        (**self).ack(queue, receipt)
    }
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<T: SourceApi + ?Sized> SourceApi for &T {
    fn pull(
        &self,
        window: PullWindow,
        mode: PullMode,
    ) -> impl Future<Output = Result<Pulled, SourceError>> + Send {
        (**self).pull(window, mode)
    }
    fn fetch(
        &self,
        doc: DocRef,
    ) -> impl Future<Output = Result<Option<SourceDocument>, SourceError>> + Send {
        (**self).fetch(doc)
    }
    fn pdf(
        &self,
        doc: DocRef,
    ) -> impl Future<Output = Result<Option<PdfFile>, SourceError>> + Send {
        (**self).pdf(doc)
    }
    fn linked_pdf(
        &self,
        doc: DocRef,
        link: &str,
    ) -> impl Future<Output = Result<Option<PdfFile>, SourceError>> + Send {
        (**self).linked_pdf(doc, link)
    }
    fn test_connection(
        &self,
    ) -> impl Future<Output = Result<ConnectionReport, SourceError>> + Send {
        (**self).test_connection()
    }
}

impl<T: LedgerSink + ?Sized> LedgerSink for &T {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn push_entries(
        &self,
        dossier: &DossierConfig,
        entries: &[EntryToPush],
    ) -> impl Future<Output = Vec<Result<Booked, SinkError>>> + Send {
        (**self).push_entries(dossier, entries)
    }
    fn find_entry(
        &self,
        dossier: &DossierConfig,
        entry: &EntryToPush,
    ) -> impl Future<Output = Result<Option<Booked>, SinkError>> + Send {
        (**self).find_entry(dossier, entry)
    }
    fn push_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> impl Future<Output = Result<Booked, SinkError>> + Send {
        (**self).push_document(dossier, document)
    }
    fn find_document(
        &self,
        dossier: &DossierConfig,
        document: &DocumentToPush,
    ) -> impl Future<Output = Result<Option<Booked>, SinkError>> + Send {
        (**self).find_document(dossier, document)
    }
    fn chart(
        &self,
        dossier: &DossierConfig,
    ) -> impl Future<Output = Result<Option<Vec<ChartAccount>>, SinkError>> + Send {
        (**self).chart(dossier)
    }
    fn test_connection(
        &self,
        dossier: &DossierConfig,
    ) -> impl Future<Output = Result<(), SinkError>> + Send {
        (**self).test_connection(dossier)
    }
    fn third_party_records(&self) -> bool {
        (**self).third_party_records()
    }
}
