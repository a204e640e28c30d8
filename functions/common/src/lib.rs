//! The handlers of passerelle's six Lambda functions. Each function (`functions/<name>`) is a
//! small binary whose `main` builds everything once ([`Cloud::from_env`]: SDK clients, the
//! dossiers' configuration, their Sellsy clients and ledgers) and then serves invocations with one
//! handler of this crate; the end-to-end tests call the same handlers in-process.
//!
//! | function | trigger | handler |
//! |---|---|---|
//! | sellsy-pull | EventBridge Scheduler (nightly, Europe/Paris); sync-webhook's launches | [`pull::handle`] |
//! | mapper | SQS map queue, partial batch failures | [`steps::map_batch`] |
//! | ledger-sink | SQS push queue, partial batch failures | [`steps::push_batch`] |
//! | mail-inbound | SES receipt rule (S3 action, then Lambda action) | [`inbound::handle`] |
//! | sync-webhook | Lambda Function URL | [`sync_webhook::handle`] |
//! | console | Lambda Function URL (the web console) | [`console::handle`] |
//!
//! # Environment
//!
//! Every function reads the variables of [`aws::AwsSettings`] (`PASSERELLE_TABLE`,
//! `PASSERELLE_BUCKET`, `PASSERELLE_MAP_QUEUE_URL`, `PASSERELLE_PUSH_QUEUE_URL`,
//! `PASSERELLE_MAIL_FROM`, optional `PASSERELLE_SES_CONFIGURATION_SET` and `AWS_ENDPOINT_URL`),
//! plus:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PASSERELLE_CONFIG_KEY` | `config/dossiers.toml` | the dossiers' configuration in the bucket |
//! | `PASSERELLE_INBOUND_PREFIX` | `inbound/` | mail-inbound: the receipt rule's S3 `ObjectKeyPrefix` |
//! | `PASSERELLE_PULL_FUNCTION` | (required) | sync-webhook, console: the sellsy-pull function they invoke |
//! | `PASSERELLE_SYNC_SECRET` | none: `/sync` refuses all | sync-webhook: the secret name of the `/sync` HMAC key |
//! | `PASSERELLE_NIGHTLY_SCHEDULE` | none: no next run shown | console: the template's `NightlySchedule` |
//! | `RUST_LOG` | `info` | log filter (logs are JSON when the function's log format is JSON) |
//!
//! # The dossiers' configuration in the cloud
//!
//! The same TOML as the command line's (`infra/dossiers.example.toml`), stored in the bucket at
//! `PASSERELLE_CONFIG_KEY` and read once per sandbox (a changed file is used by new sandboxes;
//! redeploy or wait for sandboxes to recycle). S3 rather than SSM: the file outgrows SSM's 4 KB
//! (8 KB advanced) parameters with a few dossiers. It names secrets, never holds them:
//!
//! ```toml
//! [service]
//! mail_domains = ["collecte.example.fr"]
//!
//! [[dossier]]
//! id = "acme"
//! # … the mapping settings …
//! [dossier.sellsy]
//! client_id = "12345"
//! client_secret = "ssm:/passerelle/acme/sellsy"          # SSM SecureString, or secret:<id>
//! webhook_key = "ssm:/passerelle/acme/sellsy-webhook"    # optional: POST /sellsy/acme
//! [dossier.ledger]
//! kind = "inqom"                                         # fec (default), inqom, pennylane or chift
//! dossier_id = 4242
//! username = "systeme@cabinet.fr"
//! password = "secret:passerelle/acme/inqom-password"
//! client_id = "partner-client"
//! client_secret = "secret:passerelle/inqom-client-secret"
//! # kind = "pennylane": token = "secret:passerelle/acme/pennylane", company_id, base_url
//! # kind = "chift": consumer_id, account_id, client_id, client_secret = "secret:passerelle/chift", folder_id
//! ```
//!
//! The keys are the command line's, with secret names where the command line names environment
//! variables (its `*_env` keys are ignored here, so one file can serve both); `api_url`,
//! `token_url` (Inqom, Sellsy `api_base` + `token_url`) and `base_url` (Pennylane, Chift) override the
//! production URLs. Secret names must start with `/passerelle/` (SSM) or `passerelle/` (Secrets
//! Manager): the functions' IAM policies grant nothing else.
//! A dossier without `[dossier.sellsy]` is not pulled (mail intake only).

pub mod cloud;
pub mod console;
pub mod inbound;
pub mod pull;
pub mod steps;
pub mod sync_webhook;

pub use cloud::{Cloud, CloudDossiers, CloudPipeline, CloudSink, Needs};

/// Logs for CloudWatch: JSON lines (the functions' `LoggingConfig.LogFormat` is JSON), filtered by
/// `RUST_LOG` (default `info`), without ANSI colours or timestamps (Lambda adds both fields).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}
