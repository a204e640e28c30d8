//! What the console keeps between requests.

use domain::config::DossierConfig;

use std::sync::Arc;

use crate::connection::ConnectionTester;
use crate::users::Users;
use crate::{limiter, render};

/// A dossier as the console shows it.
#[derive(Debug, Clone)]
pub struct DossierInfo {
    pub config: DossierConfig,
    /// The ledger kind (`fec`, `inqom`, `pennylane`, `chift`).
    pub ledger: String,
    /// Is it connected to Sellsy (can it be synchronised)?
    pub has_source: bool,
}

/// What the console keeps between requests: its users, the login limiter, the compiled
/// templates, the dossiers and the collection domains.
pub struct Site {
    pub users: Users,
    pub limiter: limiter::LoginLimiter,
    pub dossiers: Vec<DossierInfo>,
    /// `[service] mail_domains`: the collection addresses are `achat.<slug>@<domain>`…
    pub mail_domains: Vec<String>,
    pub(crate) templates: minijinja::Environment<'static>,
    /// Runs "Tester la connexion" (`None`: the page says the runtime does not offer it).
    pub tester: Option<Arc<dyn ConnectionTester>>,
}

impl Site {
    pub fn new(users: Users, dossiers: Vec<DossierInfo>, mail_domains: Vec<String>) -> Site {
        Site {
            users,
            limiter: limiter::LoginLimiter::new(),
            dossiers,
            mail_domains,
            templates: render::templates(),
            tester: None,
        }
    }

    /// The site with "Tester la connexion" run by `tester`.
    pub fn with_tester(mut self, tester: Arc<dyn ConnectionTester>) -> Site {
        self.tester = Some(tester);
        self
    }

    pub(crate) fn dossier(&self, id: &str) -> Option<&DossierInfo> {
        self.dossiers.iter().find(|d| d.config.id == id)
    }
}
