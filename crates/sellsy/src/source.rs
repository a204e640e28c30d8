//! `app::ports::SourceApi` for Sellsy.

use app::ports::{
    ConnectionReport, DocRef, PdfFile, PullMode, PullWindow, Pulled, SourceApi, SourceError,
};
use domain::SourceDocument;

use crate::client::SellsyClient;

impl SourceApi for SellsyClient {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        Ok(self.pull_window(window, mode).await?)
    }

    async fn fetch(&self, doc: DocRef) -> Result<Option<SourceDocument>, SourceError> {
        Ok(self.fetch_document(doc).await?)
    }

    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        Ok(self.download_pdf(doc).await?)
    }

    async fn linked_pdf(&self, doc: DocRef, link: &str) -> Result<Option<PdfFile>, SourceError> {
        Ok(self.download_linked(doc, link).await?)
    }

    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        Ok(self.check_connection().await?)
    }
}
