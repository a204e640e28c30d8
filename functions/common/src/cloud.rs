//! The cloud runtime: the AWS adapters, the dossiers' configuration read from S3, and each
//! dossier's Sellsy client and ledger built with credentials from SSM / Secrets Manager.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use app::ports::{BlobStore, Secret, Secrets, SystemClock};
use app::usecases::worker::Dossiers;
use app::usecases::{Pipeline, Settings};
use aws::{AwsAdapters, AwsSecrets, DynamoStore, S3Blobs, SesNotifier, SqsQueue};
use domain::config::{ConfigFile, DossierConfig};
use ledgers::{
    FecConfig, FecSink, InqomConfig, InqomSink, PartyBook, PennylaneConfig, PennylaneSink,
};
use sellsy::{SellsyClient, SellsyConfig};
use serde::Deserialize;

/// The pipeline over DynamoDB, S3 and SQS.
pub type CloudPipeline = Pipeline<DynamoStore, S3Blobs, SqsQueue, SystemClock>;

/// Where the dossiers' configuration is in the bucket unless `PASSERELLE_CONFIG_KEY` says.
pub const DEFAULT_CONFIG_KEY: &str = "config/dossiers.toml";

/// Everything a function needs, built once in its init phase.
pub struct Cloud {
    pub pipeline: CloudPipeline,
    pub dossiers: CloudDossiers,
    /// `[service] mail_domains`: the domains of the collection addresses.
    pub mail_domains: Vec<String>,
    pub secrets: AwsSecrets,
    pub notifier: SesNotifier,
}

impl Cloud {
    /// Reads the environment (see the crate docs), builds the SDK clients and connects every
    /// dossier of the configuration object.
    pub async fn from_env() -> Result<Cloud> {
        let adapters = AwsAdapters::from_env().await?;
        let key = std::env::var("PASSERELLE_CONFIG_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CONFIG_KEY.to_string());
        Cloud::new(adapters, &key, settings_from_env()).await
    }

    /// Builds the runtime from adapters (tests pass their own), reading the configuration at
    /// `config_key` in the bucket.
    pub async fn new(adapters: AwsAdapters, config_key: &str, settings: Settings) -> Result<Cloud> {
        let AwsAdapters {
            store,
            blobs,
            queue,
            notifier,
            secrets,
        } = adapters;
        let text = blobs
            .get(config_key)
            .await
            .with_context(|| format!("reading the dossiers configuration s3://…/{config_key}"))?
            .ok_or_else(|| {
                anyhow!(
                    "the dossiers configuration is missing: upload it to s3://<bucket>/{config_key} (see infra/dossiers.example.toml and the README's deploy section)"
                )
            })?;
        let text = String::from_utf8(text).context("the dossiers configuration is not UTF-8")?;
        let file = ConfigFile::from_toml(&text)
            .map_err(|e| anyhow!("the dossiers configuration {config_key} is invalid: {e}"))?;
        let service: CloudService = file
            .service
            .clone()
            .try_into()
            .map_err(|e| anyhow!("[service] of {config_key}: {e}"))?;
        let dossiers = CloudDossiers::connect(&file, &secrets, &blobs).await?;
        let pipeline = Pipeline::new(store, blobs, queue, SystemClock).with_settings(settings);
        Ok(Cloud {
            pipeline,
            dossiers,
            mail_domains: service.mail_domains,
            secrets,
            notifier,
        })
    }
}

/// Pipeline settings in Lambda: the lease owner is the sandbox (its log stream is unique; the
/// process id is not, every sandbox runs the same few pids).
pub fn settings_from_env() -> Settings {
    let mut settings = Settings::default();
    if let Ok(stream) = std::env::var("AWS_LAMBDA_LOG_STREAM_NAME") {
        settings.worker_id = stream;
    }
    settings
}

/// `[service]` in the cloud configuration (the local runtime's other keys are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
struct CloudService {
    #[serde(default)]
    mail_domains: Vec<String>,
}

/// `[dossier.sellsy]` in the cloud: the same keys as the command line's, with secret names
/// (`ssm:<parameter>` or `secret:<id>`) where the command line names environment variables (its
/// `*_env` keys are ignored here, so one file serves both).
#[derive(Debug, Clone, Deserialize)]
struct SellsySection {
    client_id: String,
    client_secret: String,
    /// Sellsy's webhook sign key (`POST /sellsy/<dossier>` of sync-webhook).
    webhook_key: Option<String>,
    api_base: Option<String>,
    token_url: Option<String>,
}

/// `[dossier.ledger]` in the cloud, same convention.
#[derive(Debug, Clone, Deserialize)]
struct LedgerSection {
    /// `fec` (default), `inqom` or `pennylane`.
    #[serde(default = "default_kind")]
    kind: String,
    /// Inqom: the accounting folder, the firm's system user and the partner client.
    dossier_id: Option<u64>,
    username: Option<String>,
    password: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    api_url: Option<String>,
    token_url: Option<String>,
    /// Pennylane: the company API token, `X-Company-Id` for a firm token, the API base.
    token: Option<String>,
    company_id: Option<u64>,
    base_url: Option<String>,
}

fn default_kind() -> String {
    "fec".into()
}

/// A ledger of any kind (FEC files in the S3 bucket).
pub type CloudSink = ledgers::AnySink<S3Blobs, SystemClock>;

/// Every dossier of the configuration with its source and ledger.
pub struct CloudDossiers {
    pub configs: Vec<DossierConfig>,
    pub sources: BTreeMap<String, SellsyClient>,
    pub sinks: BTreeMap<String, CloudSink>,
    /// `[dossier.sellsy] webhook_key`: each dossier's Sellsy webhook sign key.
    pub webhook_keys: BTreeMap<String, sellsy::Secret>,
}

impl Dossiers for CloudDossiers {
    type Source = SellsyClient;
    type Sink = CloudSink;
    fn config(&self, id: &str) -> Option<&DossierConfig> {
        self.configs.iter().find(|d| d.id == id)
    }
    fn source(&self, id: &str) -> Option<&SellsyClient> {
        self.sources.get(id)
    }
    fn sink(&self, id: &str) -> Option<&CloudSink> {
        self.sinks.get(id)
    }
}

impl CloudDossiers {
    /// Active dossiers: those with a Sellsy connection (the nightly pull's list).
    pub fn active(&self) -> impl Iterator<Item = (&DossierConfig, &SellsyClient)> {
        self.configs
            .iter()
            .filter_map(|d| self.sources.get(&d.id).map(|s| (d, s)))
    }

    /// Reads every dossier's connection sections and fetches their secrets; every problem is
    /// reported at once.
    pub async fn connect(
        file: &ConfigFile,
        secrets: &impl Secrets,
        blobs: &S3Blobs,
    ) -> Result<CloudDossiers> {
        let mut problems = Vec::new();
        let mut sources = BTreeMap::new();
        let mut sinks = BTreeMap::new();
        let mut webhook_keys = BTreeMap::new();
        let parties = Arc::new(PartyBook::new());
        for d in &file.dossiers {
            let connections = file.connections_of(&d.id);
            if let Some(t) = &connections.sellsy {
                match sellsy_client(t, secrets).await {
                    Ok((client, key)) => {
                        sources.insert(d.id.clone(), client);
                        if let Some(key) = key {
                            webhook_keys.insert(d.id.clone(), key);
                        }
                    }
                    Err(e) => problems.push(format!("dossier {} [dossier.sellsy]: {e:#}", d.id)),
                }
            }
            match sink(connections.ledger.as_ref(), secrets, blobs, &parties).await {
                Ok(s) => {
                    sinks.insert(d.id.clone(), s);
                }
                Err(e) => problems.push(format!("dossier {} [dossier.ledger]: {e:#}", d.id)),
            }
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("; "));
        }
        Ok(CloudDossiers {
            configs: file.dossiers.clone(),
            sources,
            sinks,
            webhook_keys,
        })
    }
}

async fn secret(secrets: &impl Secrets, name: &str) -> Result<Secret> {
    secrets.get(name).await.map_err(|e| anyhow!("{e}"))
}

/// The dossier's Sellsy client and its webhook sign key, if any.
async fn sellsy_client(
    table: &toml::Table,
    secrets: &impl Secrets,
) -> Result<(SellsyClient, Option<sellsy::Secret>)> {
    let s: SellsySection = table.clone().try_into().context(
        "set client_id and client_secret (a secret name: ssm:/passerelle/<dossier>/sellsy or secret:<id>)",
    )?;
    let value = secret(secrets, &s.client_secret).await?;
    let mut cfg = SellsyConfig::new(s.client_id, sellsy::Secret::new(value.expose()));
    if let (Some(api), Some(token)) = (s.api_base, s.token_url) {
        cfg = cfg.with_base_urls(api, token);
    }
    let webhook_key = match &s.webhook_key {
        Some(name) => Some(sellsy::Secret::new(secret(secrets, name).await?.expose())),
        None => None,
    };
    let client = SellsyClient::new(cfg).map_err(|e| anyhow!("{e}"))?;
    Ok((client, webhook_key))
}

async fn sink(
    table: Option<&toml::Table>,
    secrets: &impl Secrets,
    blobs: &S3Blobs,
    parties: &Arc<PartyBook>,
) -> Result<CloudSink> {
    let s: LedgerSection = toml::Value::Table(table.cloned().unwrap_or_default())
        .try_into()
        .context("[dossier.ledger] is not readable")?;
    let required = |value: &Option<String>, key: &str, what: &str| {
        value
            .clone()
            .ok_or_else(|| anyhow!("set {key} ({what}) for kind = \"{}\"", s.kind))
    };
    match s.kind.as_str() {
        "fec" => Ok(CloudSink::Fec(FecSink::new(
            Arc::new(blobs.clone()),
            SystemClock,
            FecConfig::default(),
        ))),
        "inqom" => {
            let dossier_id = s
                .dossier_id
                .ok_or_else(|| anyhow!("set dossier_id (the Inqom accounting folder id)"))?;
            let username = required(&s.username, "username", "the firm's Inqom system user")?;
            let client_id = required(&s.client_id, "client_id", "issued by Inqom to the partner")?;
            let password = required(&s.password, "password", "a secret name")?;
            let client_secret = required(&s.client_secret, "client_secret", "a secret name")?;
            let mut cfg = InqomConfig::production(
                dossier_id,
                username,
                secret(secrets, &password).await?,
                client_id,
                secret(secrets, &client_secret).await?,
            );
            if let Some(u) = s.token_url {
                cfg.token_url = u;
            }
            if let Some(u) = s.api_url {
                cfg.documents_url = u.clone();
                cfg.api_url = u;
            }
            Ok(CloudSink::Inqom(
                InqomSink::new(cfg, parties.clone()).map_err(|e| anyhow!("{e}"))?,
            ))
        }
        "pennylane" => {
            let token = required(&s.token, "token", "a secret name")?;
            let mut cfg = PennylaneConfig::with_token(secret(secrets, &token).await?);
            cfg.company_id = s.company_id;
            if let Some(u) = s.base_url {
                cfg.base_url = u;
            }
            Ok(CloudSink::Pennylane(
                PennylaneSink::new(cfg, parties.clone()).map_err(|e| anyhow!("{e}"))?,
            ))
        }
        other => bail!("kind '{other}' is not a ledger: use fec, inqom or pennylane"),
    }
}
