//! `[dossier.ledger] kind = "fec"` (the default): the FEC file in the runtime's blob store.

use app::dossiers::ConnectError;
use app::ports::{BlobStore, Clock, Secrets};
use domain::config::ConfigIssue;
use serde::Deserialize;

use super::{FecConfig, FecSink};
use crate::kinds::{SinkContext, SinkSection};

/// The FEC sink takes no setting yet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FecSection {}

impl SinkSection for FecSection {
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static> = FecSink<B, C>;

    fn validate(&self, _at: &str) -> Vec<ConfigIssue> {
        Vec::new()
    }

    async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        _at: &str,
        _secrets: &S,
        context: &SinkContext<B, C>,
    ) -> Result<FecSink<B, C>, ConnectError> {
        Ok(FecSink::new(
            context.blobs.clone(),
            context.clock.clone(),
            FecConfig::default(),
        ))
    }
}
