//! `[dossier.sellsy]`: the dossier's Sellsy "Personal" API client and its webhook sign key,
//! secrets named (`env:VAR` locally, `ssm:/…` or `secret:…` in the cloud; the `*_env` keys of
//! earlier files still work), never written.

use app::dossiers::{ConnectError, read_secret};
use app::ports::{Secret, SecretRef, SecretRefs, Secrets};
use domain::config::{ConfigIssue, Scope};
use serde::Deserialize;

use crate::{SellsyClient, SellsyConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SellsySection {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretRef>,
    /// Name of the environment variable holding the client secret (`client_secret = "env:…"`).
    pub client_secret_env: Option<String>,
    /// Sellsy's webhook sign key (`POST /sellsy/<dossier>`).
    pub webhook_key: Option<SecretRef>,
    pub webhook_key_env: Option<String>,
    /// Overrides of the production URLs (both together: a mock, the simulator).
    pub api_base: Option<String>,
    pub token_url: Option<String>,
}

impl SellsySection {
    /// Parses and validates the section at `at` (`dossier[0].sellsy`).
    pub fn parse(table: &toml::Table, at: &str) -> Result<SellsySection, Vec<ConfigIssue>> {
        let section: SellsySection = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                vec![ConfigIssue::new(
                    at.to_string(),
                    e.message().trim().to_string(),
                    "set client_id and client_secret (env:VARIABLE, or ssm:/… in the cloud); see infra/dossiers.example.toml",
                )]
            })?;
        let issues = section.validate(at);
        if issues.is_empty() {
            Ok(section)
        } else {
            Err(issues)
        }
    }

    fn client_secret(&self) -> SecretRefs {
        SecretRefs::of(
            self.client_secret.clone(),
            self.client_secret_env.as_deref(),
        )
    }

    fn webhook_key(&self) -> SecretRefs {
        SecretRefs::of(self.webhook_key.clone(), self.webhook_key_env.as_deref())
    }

    pub fn validate(&self, at: &str) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        if self
            .client_id
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            issues.push(ConfigIssue::new(
                format!("{at}.client_id"),
                "is missing",
                "copy the client id of the dossier's Sellsy API client (Settings → API → Personal client)",
            ));
        }
        if self.client_secret().is_empty() {
            issues.push(ConfigIssue::new(
                format!("{at}.client_secret"),
                "is missing",
                "set client_secret = \"env:VARIABLE\" (or ssm:/… in the cloud), or client_secret_env = \"VARIABLE\": where the client secret is",
            ));
        }
        if self.api_base.is_some() != self.token_url.is_some() {
            issues.push(ConfigIssue::new(
                format!("{at}.api_base"),
                "api_base and token_url override the production URLs together",
                "set both (a mock or the simulator), or neither",
            ));
        }
        issues
    }

    /// Whether the dossier has a webhook sign key (the `POST /sellsy/<dossier>` route).
    pub fn has_webhook_key(&self) -> bool {
        !self.webhook_key().is_empty()
    }

    /// The dossier's Sellsy client, pulling sales only (see [`SellsySection::connect_for`]).
    pub async fn connect<S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
    ) -> Result<SellsyClient, ConnectError> {
        self.connect_for(at, secrets, Scope::Sales).await
    }

    /// The dossier's Sellsy client, pulling what the dossier's `scope` books.
    pub async fn connect_for<S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
        scope: Scope,
    ) -> Result<SellsyClient, ConnectError> {
        let secret = read_secret(
            secrets,
            &format!("{at}.client_secret"),
            &self.client_secret(),
        )
        .await?;
        let mut cfg =
            SellsyConfig::new(self.client_id.clone().unwrap_or_default(), secret).with_scope(scope);
        if let (Some(api), Some(token)) = (&self.api_base, &self.token_url) {
            cfg = cfg.with_base_urls(api.clone(), token.clone());
        }
        SellsyClient::new(cfg).map_err(|e| {
            ConnectError::new(
                format!("{at}: {e}"),
                "check client_id and the client secret of the Sellsy API client",
            )
        })
    }

    /// The webhook sign key, when the section names one.
    pub async fn webhook_sign_key<S: Secrets>(
        &self,
        at: &str,
        secrets: &S,
    ) -> Result<Option<Secret>, ConnectError> {
        if !self.has_webhook_key() {
            return Ok(None);
        }
        read_secret(secrets, &format!("{at}.webhook_key"), &self.webhook_key())
            .await
            .map(Some)
    }
}
