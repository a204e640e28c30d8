//! "Tester la connexion" over the fakes: a source whose connection report has quotas and a
//! missing scope, a ledger whose chart lacks an account the dossier books on.

use std::sync::Arc;

use app::dossiers::DossierSet;
use app::ports::{
    Booked, ChartAccount, ConnectionReport, DocRef, DocumentToPush, EntryToPush, LedgerSink,
    MissingScope, PdfFile, PullMode, PullWindow, Pulled, SinkError, SourceApi, SourceError,
};
use app::testing::fakes::{FakeLedger, FakeSource};
use domain::SourceDocument;
use domain::config::DossierConfig;
use web_console::SetTester;

pub struct ReportingSource(pub FakeSource);

impl SourceApi for ReportingSource {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        self.0.pull(window, mode).await
    }
    async fn fetch(&self, doc: DocRef) -> Result<Option<SourceDocument>, SourceError> {
        self.0.fetch(doc).await
    }
    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        self.0.pdf(doc).await
    }
    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        Ok(ConnectionReport {
            missing_scopes: vec!["quotas.read".into()],
            disabled: vec![MissingScope {
                scope: "quotas.read".into(),
                disables: "GET /quotas: the default quotas are used".into(),
                blocks_pull: false,
            }],
            limit_per_second: Some(5),
            limit_per_minute: Some(180),
            limit_per_day: Some(100_000),
            used_today: Some(1234),
            ..ConnectionReport::default()
        })
    }
}

/// A ledger whose chart has every account of the example dossier but `missing`.
pub struct ChartLedger {
    pub inner: FakeLedger,
    pub missing: &'static str,
}

impl LedgerSink for ChartLedger {
    fn name(&self) -> &str {
        "pennylane"
    }
    async fn push_entries(
        &self,
        d: &DossierConfig,
        entries: &[EntryToPush],
    ) -> Vec<Result<Booked, SinkError>> {
        self.inner.push_entries(d, entries).await
    }
    async fn find_entry(
        &self,
        d: &DossierConfig,
        e: &EntryToPush,
    ) -> Result<Option<Booked>, SinkError> {
        self.inner.find_entry(d, e).await
    }
    async fn push_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Booked, SinkError> {
        self.inner.push_document(d, doc).await
    }
    async fn find_document(
        &self,
        d: &DossierConfig,
        doc: &DocumentToPush,
    ) -> Result<Option<Booked>, SinkError> {
        self.inner.find_document(d, doc).await
    }
    async fn test_connection(&self, d: &DossierConfig) -> Result<(), SinkError> {
        self.inner.test_connection(d).await
    }
    async fn chart(&self, d: &DossierConfig) -> Result<Option<Vec<ChartAccount>>, SinkError> {
        let accounts = domain::chart::ledger::dossier_accounts(d)
            .into_iter()
            .map(|(number, _)| number)
            .filter(|n| n != self.missing)
            .map(|number| ChartAccount {
                number,
                label: String::new(),
            })
            .collect();
        Ok(Some(accounts))
    }
}

/// The tester of dossier `cfg` (acme): the reporting source, a chart without `missing`.
pub fn tester(
    cfg: DossierConfig,
    missing: &'static str,
) -> Arc<SetTester<ReportingSource, ChartLedger>> {
    let mut set = DossierSet::default();
    let id = cfg.id.clone();
    set.configs.push(cfg);
    set.sources
        .insert(id.clone(), ReportingSource(FakeSource::new(vec![], 0, 1)));
    set.sinks.insert(
        id.clone(),
        ChartLedger {
            inner: FakeLedger::new(0, 1),
            missing,
        },
    );
    Arc::new(SetTester {
        set: Arc::new(set),
        source_sections: vec![id],
    })
}
