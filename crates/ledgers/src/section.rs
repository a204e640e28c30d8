//! What every ledger kind's configuration section provides ([`SinkSection`]) and what its
//! `connect` may use ([`SinkContext`]). The kinds themselves are listed in [`crate::kinds`].

use std::future::Future;
use std::sync::Arc;

use app::dossiers::ConnectError;
use app::ports::{BlobStore, Clock, LedgerSink, Secrets};
use domain::config::{ConfigIssue, DossierConfig};
use serde::de::DeserializeOwned;

use crate::parties::PartyBook;

/// What a sink's `connect` may use besides its section and the secrets.
pub struct SinkContext<B, C> {
    /// The runtime's blob store (files directory or S3): where the FEC is written.
    pub blobs: Arc<B>,
    pub clock: C,
    /// Party identifiers shared between the pipeline and the sinks.
    pub parties: Arc<PartyBook>,
}

/// The configuration section of one ledger kind.
pub trait SinkSection: DeserializeOwned + std::fmt::Debug + Clone + Send + Sync {
    /// The sink it connects, over the runtime's blob store `B` and clock `C` where it needs them.
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static>: LedgerSink;

    /// Every problem of the section (`at`: its path in the file, e.g. `dossier[0].ledger`),
    /// including the dossier settings this kind of ledger cannot honour (a FEC has no draft).
    /// `dossier` is `None` when the dossier's own settings are invalid (the domain reports
    /// them); the checks that need them wait until they are fixed.
    fn validate(&self, at: &str, dossier: Option<&DossierConfig>) -> Vec<ConfigIssue>;

    /// Builds the sink, reading its credentials from `secrets`.
    fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
        context: &SinkContext<B, C>,
    ) -> impl Future<Output = Result<Self::Sink<B, C>, ConnectError>> + Send;
}

/// Reads the section `T` from the table without its `kind` key.
pub(crate) fn read<T: SinkSection>(table: &toml::Table, at: &str) -> Result<T, Vec<ConfigIssue>> {
    let mut table = table.clone();
    table.remove("kind");
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| {
            vec![ConfigIssue::new(
                at.to_string(),
                e.message().trim().to_string(),
                "see the commented [dossier.ledger] examples in infra/dossiers.example.toml",
            )]
        })
}
