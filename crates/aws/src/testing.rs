//! Test support for the adapters' users (feature `testing`): one test's AWS world on the shared
//! `moto_server` of `simulators::aws` — a table, a bucket, the two queues with their DLQ, a
//! parameter, a secret and the SES identity, all named for the test — and the adapters built on
//! it from `PASSERELLE_*` settings, as the functions build them. Used by this crate's tests, the
//! Lambda handlers' end-to-end suite (package `e2e`) and the cold-start bench.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use simulators::aws::Moto;

use crate::sdk::aws_config::retry::RetryConfig;
use crate::sdk::aws_config::{self, BehaviorVersion, Region, SdkConfig};
use crate::sdk::dynamodb::config::Credentials;
use crate::sdk::{dynamodb, s3, secretsmanager, sesv2, sqs, ssm};
use crate::{AwsAdapters, AwsSettings, configure_loader};

pub const REGION: &str = "eu-west-3";
pub const MAIL_FROM: &str = "passerelle@notices.example.fr";
pub const SSM_VALUE: &str = "sellsy-client-secret-ssm-1234";
pub const SECRET_VALUE: &str = "{\"api_key\":\"inqom-key-5678\"}";

/// An SDK config for a local endpoint: fixed region, dummy credentials, passerelle's timeouts.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    sdk_config_with_retries(endpoint, RetryConfig::standard()).await
}

/// The same with chosen retries (fast ones for tests of failures).
pub async fn sdk_config_with_retries(endpoint: &str, retries: RetryConfig) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(retries);
    configure_loader(loader, Some(endpoint)).load().await
}

/// One test's AWS world on the shared moto.
pub struct TestEnv {
    pub moto: Arc<Moto>,
    pub sdk: SdkConfig,
    pub settings: AwsSettings,
    pub adapters: AwsAdapters,
    pub id: String,
    pub ssm_name: String,
    pub secret_name: String,
    pub dlq_url: String,
}

impl TestEnv {
    /// Creates a table, a bucket, the two queues (with a DLQ), a parameter, a secret and the SES
    /// identity, all named for this test, then builds the adapters from `PASSERELLE_*` settings.
    pub async fn new() -> TestEnv {
        static N: AtomicU64 = AtomicU64::new(0);
        let id = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let moto = Moto::shared();
        let sdk = sdk_config(&moto.endpoint()).await;

        let table = format!("passerelle-{id}");
        create_table(&dynamodb::Client::new(&sdk), &table).await;

        let bucket = format!("passerelle-{id}");
        let s3_client = s3::Client::from_conf(
            s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        s3_client
            .create_bucket()
            .bucket(&bucket)
            .create_bucket_configuration(
                s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(s3::types::BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .expect("create bucket");
        s3_client
            .put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(
                s3::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .block_public_policy(true)
                    .ignore_public_acls(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .expect("block public access");

        let sqs_client = sqs::Client::new(&sdk);
        let dlq_url = create_queue(&sqs_client, &format!("passerelle-dlq-{id}"), None).await;
        let dlq_arn = sqs_client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("DLQ attributes")
            .attributes
            .and_then(|a| a.get(&sqs::types::QueueAttributeName::QueueArn).cloned())
            .expect("DLQ arn");
        // High on purpose: the fault suite injects 30 % faults and leases send messages back many
        // times; the pipeline's own attempt counter decides the dead letter.
        let redrive =
            format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":\"50\"}}");
        let map_url =
            create_queue(&sqs_client, &format!("passerelle-map-{id}"), Some(&redrive)).await;
        let push_url = create_queue(
            &sqs_client,
            &format!("passerelle-push-{id}"),
            Some(&redrive),
        )
        .await;

        let ssm_name = format!("/passerelle/{id}/sellsy");
        ssm::Client::new(&sdk)
            .put_parameter()
            .name(&ssm_name)
            .value(SSM_VALUE)
            .r#type(ssm::types::ParameterType::SecureString)
            .send()
            .await
            .expect("put SSM parameter");
        let secret_name = format!("passerelle/{id}/inqom");
        secretsmanager::Client::new(&sdk)
            .create_secret()
            .name(&secret_name)
            .secret_string(SECRET_VALUE)
            .send()
            .await
            .expect("create secret");
        sesv2::Client::new(&sdk)
            .create_email_identity()
            .email_identity(MAIL_FROM)
            .send()
            .await
            .expect("create SES identity");

        let endpoint = moto.endpoint();
        let vars = [
            ("PASSERELLE_TABLE", table),
            ("PASSERELLE_BUCKET", bucket),
            ("PASSERELLE_MAP_QUEUE_URL", map_url),
            ("PASSERELLE_PUSH_QUEUE_URL", push_url),
            ("PASSERELLE_MAIL_FROM", MAIL_FROM.to_string()),
            ("AWS_ENDPOINT_URL", endpoint),
        ];
        let settings = AwsSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("complete settings");
        let adapters = AwsAdapters::new(&sdk, &settings);
        TestEnv {
            moto,
            sdk,
            settings,
            adapters,
            id,
            ssm_name,
            secret_name,
            dlq_url,
        }
    }

    /// An S3 client for checks the port does not offer (HeadObject).
    pub fn s3(&self) -> s3::Client {
        s3::Client::from_conf(
            s3::config::Builder::from(&self.sdk)
                .force_path_style(true)
                .build(),
        )
    }
}

async fn create_table(client: &dynamodb::Client, table: &str) {
    use dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key schema")
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .expect("create table");
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .expect("TTL specification"),
        )
        .send()
        .await
        .expect("enable TTL");
}

async fn create_queue(client: &sqs::Client, name: &str, redrive: Option<&str>) -> String {
    let mut create = client.create_queue().queue_name(name);
    if let Some(policy) = redrive {
        create = create.attributes(sqs::types::QueueAttributeName::RedrivePolicy, policy);
    }
    create
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue URL")
}
