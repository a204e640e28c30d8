//! What the routes need from the runtime: a launcher, the secrets, the dossiers.

use std::collections::BTreeMap;
use std::future::Future;

use app::ports::DocRef;
use app::ports::Secret;
use app::usecases::worker::Dossiers;
use chrono::NaiveDate;
use domain::config::{ConfigFile, DossierConfig};
use serde::{Deserialize, Serialize};

/// What a route asks the runtime to start. The cloud invokes the sellsy-pull function
/// asynchronously with it (serialised as JSON, it IS that function's event); `serve` spawns a
/// task. `Run`: call `Pipeline::start_run` with these values (the run is already queued).
/// `Refetch`: call `Pipeline::refetch`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Launch {
    Run {
        run_id: String,
        dossier: String,
        from: NaiveDate,
        to: NaiveDate,
        trigger: String,
    },
    Refetch {
        dossier: String,
        doc: DocRef,
    },
}

/// Starts what a route asked for, without waiting for it to finish. An error means it was not
/// started (the route answers 503 and, for a run, marks it failed).
pub trait Launcher: Send + Sync {
    fn launch(&self, what: Launch) -> impl Future<Output = Result<(), String>> + Send;
}

impl<L: Launcher + ?Sized> Launcher for &L {
    fn launch(&self, what: Launch) -> impl Future<Output = Result<(), String>> + Send {
        (**self).launch(what)
    }
}

/// The secrets the routes check requests with. Never logged, never echoed.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// The HMAC key of `/sync` and `/runs` (`None`: those routes refuse everything).
    pub sync: Option<Secret>,
    /// Each dossier's Sellsy webhook sign key (Sellsy: Settings → API → webhooks).
    pub sellsy_sign_keys: BTreeMap<String, Secret>,
}

/// A dossier's configuration by id.
pub trait DossierLookup: Send + Sync {
    fn dossier(&self, id: &str) -> Option<&DossierConfig>;
}

impl DossierLookup for ConfigFile {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        ConfigFile::dossier(self, id)
    }
}

impl DossierLookup for [DossierConfig] {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.iter().find(|d| d.id == id)
    }
}

impl DossierLookup for Vec<DossierConfig> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.as_slice().dossier(id)
    }
}

impl DossierLookup for BTreeMap<String, DossierConfig> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.get(id)
    }
}

/// The dossiers of a worker's [`Dossiers`] (configurations, sources, ledgers).
pub struct ViaDossiers<'a, D: ?Sized>(pub &'a D);

impl<D: Dossiers + ?Sized> DossierLookup for ViaDossiers<'_, D> {
    fn dossier(&self, id: &str) -> Option<&DossierConfig> {
        self.0.config(id)
    }
}
