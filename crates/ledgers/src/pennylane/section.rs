//! `[dossier.ledger] kind = "pennylane"`: the company API token (named, never written), the
//! company of a firm token, the API base.

use app::dossiers::{ConnectError, read_secret};
use app::ports::{BlobStore, Clock, SecretRef, SecretRefs, Secrets};
use domain::config::{ConfigIssue, DossierConfig};
use serde::Deserialize;

use super::{PennylaneConfig, PennylaneSink};
use crate::section::{SinkContext, SinkSection};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PennylaneSection {
    /// The API token: `env:VAR`, `ssm:/…` or `secret:…` (`token_env = "VAR"` also works).
    pub token: Option<SecretRef>,
    pub token_env: Option<String>,
    /// `X-Company-Id` when a firm token acts on one of its companies.
    pub company_id: Option<u64>,
    /// Override of the API base.
    pub base_url: Option<String>,
    /// Create a general account the Pennylane chart lacks instead of holding its entries
    /// (default false).
    pub create_missing_accounts: Option<bool>,
}

impl PennylaneSection {
    fn token(&self) -> SecretRefs {
        SecretRefs::of(self.token.clone(), self.token_env.as_deref())
    }
}

impl SinkSection for PennylaneSection {
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static> = PennylaneSink;

    fn validate(&self, at: &str, _dossier: Option<&DossierConfig>) -> Vec<ConfigIssue> {
        if self.token().is_empty() {
            vec![ConfigIssue::new(
                format!("{at}.token"),
                "is required for kind = \"pennylane\"",
                "set token = \"env:VAR\" (or ssm:/… in the cloud), or token_env = \"VAR\": where the Pennylane company API token is",
            )]
        } else {
            Vec::new()
        }
    }

    async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
        context: &SinkContext<B, C>,
    ) -> Result<PennylaneSink, ConnectError> {
        let token = read_secret(secrets, &format!("{at}.token"), &self.token()).await?;
        let mut cfg = PennylaneConfig::with_token(token);
        cfg.company_id = self.company_id;
        cfg.create_missing_accounts = self.create_missing_accounts.unwrap_or(false);
        if let Some(u) = &self.base_url {
            cfg.base_url = u.clone();
        }
        PennylaneSink::new(cfg, context.parties.clone())
            .map_err(|e| ConnectError::new(e.message, e.action))
    }
}
