//! Connects every dossier of a [`Config`]: its Sellsy client where `[dossier.sellsy]` is set,
//! the ledger its `[dossier.ledger]` names. Secrets come from the runtime's store; a
//! connection that fails is listed in [`DossierSet::unconnected`] with its action.

use app::dossiers::DossierSet;
use app::ports::{BlobStore, Clock, Secrets};
use ledgers::{AnySink, SinkContext};
use sellsy::SellsyClient;

use crate::load::Config;

/// The dossiers of a runtime whose blob store is `B` (files directory or S3).
pub type Dossiers<B, C> = DossierSet<SellsyClient, AnySink<B, C>>;

/// What a runtime connects: each Lambda function reads only the secrets of what it uses (its
/// role may read nothing else); the command line and `serve` connect everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The Sellsy clients (their client secrets).
    pub sources: bool,
    /// The Sellsy webhook sign keys.
    pub webhook_keys: bool,
    /// The ledgers (their credentials).
    pub sinks: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        sources: true,
        webhook_keys: true,
        sinks: true,
    };
    pub const NOTHING: Needs = Needs {
        sources: false,
        webhook_keys: false,
        sinks: false,
    };
}

/// Connects every dossier's parts that `needs` names. Nothing fails as a whole: each
/// dossier's source and ledger is connected on its own, and what cannot be is recorded with
/// the reason and the action.
pub async fn connect<S, B, C>(
    config: &Config,
    needs: Needs,
    secrets: &S,
    context: &SinkContext<B, C>,
) -> Dossiers<B, C>
where
    S: Secrets,
    B: BlobStore + 'static,
    C: Clock + Clone + 'static,
{
    let mut set = Dossiers::<B, C> {
        configs: config.file.dossiers.clone(),
        ..DossierSet::default()
    };
    for (i, d) in config.file.dossiers.iter().enumerate() {
        if let Some(section) = config.sellsy.get(&d.id) {
            let at = format!("dossier[{i}].sellsy");
            if needs.sources {
                match section.connect_for(&at, secrets, d.scope).await {
                    Ok(client) => {
                        set.sources.insert(d.id.clone(), client);
                    }
                    Err(e) => set.unconnected.push(e.unconnected(&d.id, &at)),
                }
            }
            let key = if needs.webhook_keys {
                section.webhook_sign_key(&at, secrets).await
            } else {
                Ok(None)
            };
            match key {
                Ok(Some(key)) => {
                    set.webhook_keys.insert(d.id.clone(), key);
                }
                Ok(None) => {}
                Err(e) => set.unconnected.push(e.unconnected(&d.id, &at)),
            }
        }
        if let Some(section) = config.ledgers.get(&d.id).filter(|_| needs.sinks) {
            let at = format!("dossier[{i}].ledger");
            match section.connect(&at, secrets, context).await {
                Ok(sink) => {
                    set.sinks.insert(d.id.clone(), sink);
                }
                Err(e) => set.unconnected.push(e.unconnected(&d.id, &at)),
            }
        }
    }
    set
}
