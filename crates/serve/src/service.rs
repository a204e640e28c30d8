//! What the tasks of `serve` share: the pipeline over SQLite and the files directory, the
//! connected dossiers, the configuration and the keys the HTTP routes check signatures with.

use app::ports::SystemClock;
use app::usecases::Pipeline;
use local::{DirBlobs, InProcessQueue, SqliteStore};

/// The pipeline of the one-machine runtime.
pub type LocalPipeline = Pipeline<SqliteStore, DirBlobs, InProcessQueue, SystemClock>;

/// The dossiers of the one-machine runtime (FEC files in the data directory).
pub type LocalDossiers = wiring::Dossiers<DirBlobs, SystemClock>;

/// Everything the service's tasks share.
pub struct Service {
    pub pipeline: LocalPipeline,
    /// Shared with the console's "Tester la connexion".
    pub dossiers: std::sync::Arc<LocalDossiers>,
    pub config: wiring::Config,
    /// The keys the HTTP routes check signatures with.
    pub secrets: webhook::Secrets,
    /// The web console under `/console` (`None`: no `[[console.users]]` in the configuration).
    pub console: Option<web_console::Site>,
}
