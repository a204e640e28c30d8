//! "Tester la connexion": the console runs the checks of `passerelle test-connection`
//! (`app::usecases::connection`) through a [`ConnectionTester`] the runtime gives the
//! [`Site`](crate::Site), since only the runtime holds the dossiers' sources and ledgers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use app::dossiers::DossierSet;
use app::ports::{LedgerSink, SourceApi};
use app::usecases::connection::{Check, connection_checks};

/// The checks of a dossier, when the runtime serves it.
pub type Checks<'a> = Pin<Box<dyn Future<Output = Option<Vec<Check>>> + Send + 'a>>;

/// Runs the connection checks of a dossier (it calls the source's and the ledger's APIs and
/// changes nothing).
pub trait ConnectionTester: Send + Sync {
    /// The checks of dossier `id`; `None` when this runtime does not serve it.
    fn test<'a>(&'a self, id: &'a str) -> Checks<'a>;
}

/// The tester over a runtime's connected dossiers.
pub struct SetTester<Src, Sink> {
    pub set: Arc<DossierSet<Src, Sink>>,
    /// The dossiers whose configuration has a source section (`[dossier.sellsy]`): for them a
    /// missing source is explained by the set's `unconnected`.
    pub source_sections: Vec<String>,
}

impl<Src: SourceApi, Sink: LedgerSink> ConnectionTester for SetTester<Src, Sink> {
    fn test<'a>(&'a self, id: &'a str) -> Checks<'a> {
        Box::pin(async move {
            let cfg = self.set.dossier(id)?;
            let checks = connection_checks(
                cfg,
                &self.set.unconnected,
                self.set.sources.get(id),
                self.source_sections.iter().any(|s| s == id),
                self.set.sinks.get(id),
            )
            .await;
            Some(checks)
        })
    }
}
