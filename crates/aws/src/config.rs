//! Building the SDK configuration and the adapters once per process, from the environment.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::{AwsSecrets, DynamoStore, S3Blobs, SesNotifier, SqsQueue};

/// Time to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time for one attempt of an operation (a 20 MB PDF upload included).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// Time for an operation, its retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Names and endpoints of passerelle's AWS resources (see the crate docs for the variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    pub table: String,
    pub bucket: String,
    pub map_queue_url: String,
    pub push_queue_url: String,
    pub mail_from: String,
    pub ses_configuration_set: Option<String>,
    /// `AWS_ENDPOINT_URL`: every service at one endpoint (moto), S3 with path-style addressing.
    pub endpoint_url: Option<String>,
}

/// The environment does not describe the AWS resources; lists every problem at once.
#[derive(Debug, thiserror::Error)]
#[error("AWS configuration incomplete: {}", problems.join("; "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl AwsSettings {
    /// Reads the `PASSERELLE_*` variables and `AWS_ENDPOINT_URL`.
    pub fn from_env() -> Result<AwsSettings, ConfigError> {
        AwsSettings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Same as [`AwsSettings::from_env`] over any lookup (tests, a config file).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<AwsSettings, ConfigError> {
        let mut problems = Vec::new();
        let optional = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut required = |name: &str, what: &str| {
            optional(name).unwrap_or_else(|| {
                problems.push(format!("set {name} to {what}"));
                String::new()
            })
        };
        let table = required("PASSERELLE_TABLE", "the DynamoDB table name");
        let bucket = required("PASSERELLE_BUCKET", "the S3 bucket name");
        let map_queue_url = required("PASSERELLE_MAP_QUEUE_URL", "the URL of the map SQS queue");
        let push_queue_url = required("PASSERELLE_PUSH_QUEUE_URL", "the URL of the push SQS queue");
        let mail_from = required(
            "PASSERELLE_MAIL_FROM",
            "the verified SES address notices are sent from",
        );
        for (name, url) in [
            ("PASSERELLE_MAP_QUEUE_URL", &map_queue_url),
            ("PASSERELLE_PUSH_QUEUE_URL", &push_queue_url),
        ] {
            if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
                problems.push(format!(
                    "{name} must be a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>), not '{url}'"
                ));
            }
        }
        if !mail_from.is_empty() && !mail_from.contains('@') {
            problems.push(format!(
                "PASSERELLE_MAIL_FROM must be a mail address, not '{mail_from}'"
            ));
        }
        let settings = AwsSettings {
            table,
            bucket,
            map_queue_url,
            push_queue_url,
            mail_from,
            ses_configuration_set: optional("PASSERELLE_SES_CONFIGURATION_SET"),
            endpoint_url: optional("AWS_ENDPOINT_URL"),
        };
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigError { problems })
        }
    }
}

/// The SDK's HTTPS client: hyper 1 and rustls with ring, trusting the system's roots. The same
/// client as the SDK's `default-https-client` feature, but with ring instead of aws-lc (see
/// crates/aws/Cargo.toml); without a proxy, which a Lambda function does not have.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Adds passerelle's HTTPS client, timeouts and endpoint override to an SDK config loader. Use it
/// on `aws_config::defaults(BehaviorVersion::latest())`, with explicit credentials in tests: the
/// SDK crates are built without a default HTTP client, so a client not made from a config that
/// went through here cannot send a request.
pub fn configure_loader(loader: ConfigLoader, endpoint_url: Option<&str>) -> ConfigLoader {
    let loader = loader.http_client(https_client()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build(),
    );
    match endpoint_url {
        Some(url) => loader.endpoint_url(url),
        None => loader,
    }
}

/// The SDK configuration from the default chain (region and credentials from the environment in
/// Lambda), with passerelle's timeouts.
pub async fn load_sdk_config(endpoint_url: Option<&str>) -> SdkConfig {
    configure_loader(
        aws_config::defaults(BehaviorVersion::latest()),
        endpoint_url,
    )
    .load()
    .await
}

/// Every AWS adapter, sharing one SDK configuration. Build it once per process.
#[derive(Debug)]
pub struct AwsAdapters {
    pub store: DynamoStore,
    pub blobs: S3Blobs,
    pub queue: SqsQueue,
    pub notifier: SesNotifier,
    pub secrets: AwsSecrets,
}

impl AwsAdapters {
    /// Reads [`AwsSettings::from_env`], loads the SDK config and builds the clients.
    pub async fn from_env() -> Result<AwsAdapters, ConfigError> {
        let settings = AwsSettings::from_env()?;
        let sdk = load_sdk_config(settings.endpoint_url.as_deref()).await;
        Ok(AwsAdapters::new(&sdk, &settings))
    }

    /// Builds the clients from a loaded SDK config. S3 uses path-style addressing when the
    /// config has an endpoint override (moto at `http://localhost:5055` has no `bucket.localhost`
    /// host); on AWS it keeps virtual-hosted addressing, which path style is deprecated in favour of.
    pub fn new(sdk: &SdkConfig, settings: &AwsSettings) -> AwsAdapters {
        let s3_config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        let mut notifier = SesNotifier::new(aws_sdk_sesv2::Client::new(sdk), &settings.mail_from);
        if let Some(set) = &settings.ses_configuration_set {
            notifier = notifier.with_configuration_set(set);
        }
        AwsAdapters {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &settings.table),
            blobs: S3Blobs::new(aws_sdk_s3::Client::from_conf(s3_config), &settings.bucket),
            queue: SqsQueue::new(
                aws_sdk_sqs::Client::new(sdk),
                &settings.map_queue_url,
                &settings.push_queue_url,
            ),
            notifier,
            secrets: AwsSecrets::new(
                aws_sdk_ssm::Client::new(sdk),
                aws_sdk_secretsmanager::Client::new(sdk),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn every_missing_variable_is_reported_at_once() {
        let err = AwsSettings::from_lookup(lookup(&[("PASSERELLE_TABLE", "t")])).unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        let text = err.to_string();
        for name in [
            "PASSERELLE_BUCKET",
            "PASSERELLE_MAP_QUEUE_URL",
            "PASSERELLE_PUSH_QUEUE_URL",
            "PASSERELLE_MAIL_FROM",
        ] {
            assert!(text.contains(name), "{text}");
        }
    }

    #[test]
    fn settings_are_read_and_checked() {
        let vars = [
            ("PASSERELLE_TABLE", "passerelle"),
            ("PASSERELLE_BUCKET", "passerelle-files"),
            (
                "PASSERELLE_MAP_QUEUE_URL",
                "https://sqs.eu-west-3.amazonaws.com/1/map",
            ),
            (
                "PASSERELLE_PUSH_QUEUE_URL",
                "https://sqs.eu-west-3.amazonaws.com/1/push",
            ),
            ("PASSERELLE_MAIL_FROM", "passerelle@example.fr"),
            ("PASSERELLE_SES_CONFIGURATION_SET", "  "),
        ];
        let s = AwsSettings::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(s.table, "passerelle");
        assert_eq!(s.ses_configuration_set, None, "blank is unset");
        assert_eq!(s.endpoint_url, None);

        let mut bad = vars.to_vec();
        bad[2] = ("PASSERELLE_MAP_QUEUE_URL", "map");
        bad[4] = ("PASSERELLE_MAIL_FROM", "passerelle");
        let err = AwsSettings::from_lookup(lookup(&bad)).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{err}");
    }
}
