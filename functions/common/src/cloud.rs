//! The cloud runtime: the AWS adapters, the dossiers' configuration read from S3, and each
//! dossier's Sellsy client and ledger built by the one wiring both runtimes share, with
//! credentials from SSM / Secrets Manager. A dossier that cannot be connected is logged with
//! its action and left out; the others run (one missing secret never stops every function).

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use app::ports::{BlobStore, SystemClock};
use app::usecases::{Pipeline, Settings};
use aws::{AwsAdapters, AwsSecrets, DynamoStore, S3Blobs, SesNotifier, SqsQueue};
use ledgers::{PartyBook, SinkContext};
pub use wiring::Needs;

/// The pipeline over DynamoDB, S3 and SQS.
pub type CloudPipeline = Pipeline<DynamoStore, S3Blobs, SqsQueue, SystemClock>;

/// Every dossier with its source and ledger (FEC files in the S3 bucket).
pub type CloudDossiers = wiring::Dossiers<S3Blobs, SystemClock>;

/// A ledger of any kind (FEC files in the S3 bucket).
pub type CloudSink = ledgers::AnySink<S3Blobs, SystemClock>;

/// Where the dossiers' configuration is in the bucket unless `PASSERELLE_CONFIG_KEY` says.
pub const DEFAULT_CONFIG_KEY: &str = "config/dossiers.toml";

/// Everything a function needs, built once in its init phase.
pub struct Cloud {
    pub pipeline: CloudPipeline,
    pub dossiers: CloudDossiers,
    pub config: wiring::Config,
    /// `[service] mail_domains`: the domains of the collection addresses.
    pub mail_domains: Vec<String>,
    pub secrets: AwsSecrets,
    pub notifier: SesNotifier,
}

impl Cloud {
    /// Reads the environment (see the crate docs), builds the SDK clients and connects what
    /// `needs` names of every dossier (a function reads only the secrets it uses).
    pub async fn from_env(needs: Needs) -> Result<Cloud> {
        let adapters = AwsAdapters::from_env().await?;
        let key = std::env::var("PASSERELLE_CONFIG_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_CONFIG_KEY.to_string());
        Cloud::new(adapters, &key, settings_from_env(), needs).await
    }

    /// Builds the runtime from adapters (tests pass their own), reading the configuration at
    /// `config_key` in the bucket.
    pub async fn new(
        adapters: AwsAdapters,
        config_key: &str,
        settings: Settings,
        needs: Needs,
    ) -> Result<Cloud> {
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
        let config = wiring::Config::from_toml(&text)
            .map_err(|e| anyhow!("the dossiers configuration {config_key} is invalid: {e}"))?;
        let context = SinkContext {
            blobs: Arc::new(blobs.clone()),
            clock: SystemClock,
            parties: Arc::new(PartyBook::new()),
        };
        let dossiers = wiring::connect(&config, needs, &secrets, &context).await;
        for problem in &dossiers.unconnected {
            tracing::error!(dossier = %problem.dossier, section = %problem.section, action = %problem.action, "{}", problem.problem);
        }
        let pipeline = Pipeline::new(store, blobs, queue, SystemClock).with_settings(settings);
        Ok(Cloud {
            pipeline,
            mail_domains: config.service.mail_domains.clone(),
            dossiers,
            config,
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
