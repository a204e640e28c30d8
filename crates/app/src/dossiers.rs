//! The dossiers a runtime serves: each one's configuration, its source (when it is pulled) and
//! its ledger. Built by the one wiring both runtimes share (crate `wiring`), from the
//! configuration file and a [`Secrets`](crate::ports::Secrets) store; a dossier that cannot be
//! connected is left out with the reason and the action, and the others run.

use std::collections::BTreeMap;

use domain::config::DossierConfig;

use crate::ports::{LedgerSink, Secret, SourceApi};
use crate::usecases::worker::Dossiers;

/// Why a dossier (or one of its connections) is not served, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unconnected {
    pub dossier: String,
    /// The configuration section at fault (`dossier[0].ledger`, …).
    pub section: String,
    pub problem: String,
    pub action: String,
}

impl std::fmt::Display for Unconnected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dossier {} ({}): {}. Action: {}",
            self.dossier, self.section, self.problem, self.action
        )
    }
}

/// Every connected dossier of a runtime.
pub struct DossierSet<Src, Sink> {
    pub configs: Vec<DossierConfig>,
    /// Dossiers pulled from a source (others only collect mail).
    pub sources: BTreeMap<String, Src>,
    pub sinks: BTreeMap<String, Sink>,
    /// Each pulled dossier's webhook sign key at its source (Sellsy), when it has one.
    pub webhook_keys: BTreeMap<String, Secret>,
    /// The dossiers, or connections, left out: logged with their action.
    pub unconnected: Vec<Unconnected>,
}

impl<Src, Sink> Default for DossierSet<Src, Sink> {
    fn default() -> Self {
        DossierSet {
            configs: Vec::new(),
            sources: BTreeMap::new(),
            sinks: BTreeMap::new(),
            webhook_keys: BTreeMap::new(),
            unconnected: Vec::new(),
        }
    }
}

impl<Src, Sink> DossierSet<Src, Sink> {
    /// Dossiers with a source: the nightly pull's list.
    pub fn active(&self) -> impl Iterator<Item = (&DossierConfig, &Src)> {
        self.configs
            .iter()
            .filter_map(|d| self.sources.get(&d.id).map(|s| (d, s)))
    }

    pub fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.configs.iter().find(|d| d.id == id)
    }
}

impl<Src: SourceApi, Sink: LedgerSink> Dossiers for DossierSet<Src, Sink> {
    type Source = Src;
    type Sink = Sink;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        self.dossier(id)
    }
    fn source(&self, id: &str) -> Option<&Src> {
        self.sources.get(id)
    }
    fn sink(&self, id: &str) -> Option<&Sink> {
        self.sinks.get(id)
    }
}

/// Why a connector could not be connected (a secret missing, a client that cannot be built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub problem: String,
    pub action: String,
}

impl ConnectError {
    pub fn new(problem: impl Into<String>, action: impl Into<String>) -> ConnectError {
        ConnectError {
            problem: problem.into(),
            action: action.into(),
        }
    }

    /// The dossier's problem, for the log and the list of dossiers left out.
    pub fn unconnected(self, dossier: &str, section: &str) -> Unconnected {
        Unconnected {
            dossier: dossier.to_string(),
            section: section.to_string(),
            problem: self.problem,
            action: self.action,
        }
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}. Action: {}", self.problem, self.action)
    }
}

/// Reads the secret a configuration field names, from the first reference `store` resolves.
/// `field` names it in errors (`dossier[0].ledger.password`).
pub async fn read_secret<S: crate::ports::Secrets + ?Sized>(
    store: &S,
    field: &str,
    refs: &crate::ports::SecretRefs,
) -> Result<Secret, ConnectError> {
    let Some(reference) = refs.for_store(store) else {
        let named: Vec<String> = refs.0.iter().map(|r| r.to_string()).collect();
        return Err(ConnectError::new(
            if named.is_empty() {
                format!("{field} names no secret")
            } else {
                format!(
                    "{field} names {} but this runtime cannot read it",
                    named.join(" and ")
                )
            },
            store.expects(),
        ));
    };
    store.get(reference).await.map_err(|e| {
        let problem = match &e {
            crate::ports::SecretError::Missing { name, .. } => {
                format!("{field}: {name} is not set")
            }
            crate::ports::SecretError::Denied { name, .. } => {
                format!("{field}: {name} cannot be read")
            }
            crate::ports::SecretError::Unavailable(m) => format!("{field}: {m}"),
        };
        ConnectError::new(problem, e.action().to_string())
    })
}
