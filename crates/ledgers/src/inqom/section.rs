//! `[dossier.ledger] kind = "inqom"`: the accounting folder, the firm's system user and the
//! partner client; secrets named, never written.

use app::dossiers::{ConnectError, read_secret};
use app::ports::{BlobStore, Clock, SecretRef, SecretRefs, Secrets};
use domain::config::{ConfigIssue, DossierConfig};
use serde::Deserialize;

use super::{InqomConfig, InqomSink};
use crate::section::{SinkContext, SinkSection};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InqomSection {
    /// The Inqom accounting folder id.
    pub dossier_id: Option<u64>,
    /// The firm's Inqom system user.
    pub username: Option<String>,
    /// Its password: `env:VAR`, `ssm:/…` or `secret:…` (`password_env = "VAR"` also works).
    pub password: Option<SecretRef>,
    pub password_env: Option<String>,
    /// The partner client pair issued by Inqom.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretRef>,
    pub client_secret_env: Option<String>,
    /// Overrides of the production URLs (staging, a mock). `api_url` also moves the documents
    /// API unless `documents_url` says otherwise.
    pub token_url: Option<String>,
    pub api_url: Option<String>,
    pub documents_url: Option<String>,
}

impl InqomSection {
    fn password(&self) -> SecretRefs {
        SecretRefs::of(self.password.clone(), self.password_env.as_deref())
    }

    fn client_secret(&self) -> SecretRefs {
        SecretRefs::of(
            self.client_secret.clone(),
            self.client_secret_env.as_deref(),
        )
    }
}

impl SinkSection for InqomSection {
    type Sink<B: BlobStore + 'static, C: Clock + Clone + 'static> = InqomSink;

    fn validate(&self, at: &str, _dossier: Option<&DossierConfig>) -> Vec<ConfigIssue> {
        let required = [
            (
                "dossier_id",
                self.dossier_id.is_some(),
                "the Inqom accounting folder id (a number)",
            ),
            (
                "username",
                self.username.is_some(),
                "the Inqom system user of the firm",
            ),
            (
                "password",
                !self.password().is_empty(),
                "where its password is: password = \"env:VAR\" (or ssm:/… in the cloud), or password_env = \"VAR\"",
            ),
            (
                "client_id",
                self.client_id.is_some(),
                "the partner client id issued by Inqom",
            ),
            (
                "client_secret",
                !self.client_secret().is_empty(),
                "where the partner client secret is: client_secret = \"env:VAR\" (or ssm:/…), or client_secret_env = \"VAR\"",
            ),
        ];
        required
            .iter()
            .filter(|(_, present, _)| !present)
            .map(|(field, _, what)| {
                ConfigIssue::new(
                    format!("{at}.{field}"),
                    "is required for kind = \"inqom\"",
                    format!("set {field}: {what}"),
                )
            })
            .collect()
    }

    async fn connect<B: BlobStore + 'static, C: Clock + Clone + 'static, S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
        context: &SinkContext<B, C>,
    ) -> Result<InqomSink, ConnectError> {
        let password = read_secret(secrets, &format!("{at}.password"), &self.password()).await?;
        let client_secret = read_secret(
            secrets,
            &format!("{at}.client_secret"),
            &self.client_secret(),
        )
        .await?;
        let mut cfg = InqomConfig::production(
            self.dossier_id.unwrap_or_default(),
            self.username.clone().unwrap_or_default(),
            password,
            self.client_id.clone().unwrap_or_default(),
            client_secret,
        );
        if let Some(u) = &self.token_url {
            cfg.token_url = u.clone();
        }
        if let Some(u) = &self.api_url {
            cfg.api_url = u.clone();
            cfg.documents_url = u.clone();
        }
        if let Some(u) = &self.documents_url {
            cfg.documents_url = u.clone();
        }
        InqomSink::new(cfg, context.parties.clone())
            .map_err(|e| ConnectError::new(e.message, e.action))
    }
}
