//! One test's world: moto resources, the Sellsy simulator, the Inqom mock, the credentials in SSM
//! and Secrets Manager, the configuration in the bucket, and the runtime built from them.

use std::time::Duration;

use app::ports::{BlobStore, RecordStore};
use app::usecases::records::doc_pk;
use app::usecases::{DocumentRecord, Settings};
use aws::sdk::{s3, secretsmanager, sqs, ssm};
use aws::testing::{REGION, TestEnv};
use aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlRequest;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use serde_json::json;
use simulators::inqom as inqom_mock;
use simulators::lambda::fixture;
use simulators::sellsy::{Sim, SimConfig};

pub const CONFIG_KEY: &str = "config/dossiers.toml";
pub const DOMAIN: &str = "collecte.example.fr";

/// One test's world: moto resources, the Sellsy simulator, the Inqom mock, the credentials in
/// SSM / Secrets Manager, the configuration in the bucket, and the runtime built from them.
pub struct World {
    pub env: TestEnv,
    pub sim: Sim,
    pub inqom: inqom_mock::InqomMock,
    pub cloud: Cloud,
}

/// The dossier's ledger in a world.
#[derive(Clone, Copy, PartialEq)]
pub enum Ledger {
    /// The Inqom mock, its credentials in Secrets Manager.
    Inqom,
    /// No `[dossier.ledger]`: the FEC file, in the bucket.
    Fec,
}

/// A world whose dossier books in the Inqom mock.
pub async fn world() -> World {
    world_with(Ledger::Inqom).await
}

pub async fn world_with(ledger: Ledger) -> World {
    let env = TestEnv::new().await;
    let sim = Sim::start(SimConfig {
        invoices: 12,
        credit_notes: 3,
        to: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        draft_share: 0.0,
        per_second: 200,
        per_minute: 10_000,
        ..SimConfig::default()
    })
    .await
    .expect("the Sellsy simulator starts");
    let inqom = inqom_mock::start().await;

    let id = &env.id;
    let ssm = ssm::Client::new(&env.sdk);
    ssm.put_parameter()
        .name(format!("/passerelle/{id}/sellsy"))
        .value(sim.client_secret())
        .r#type(ssm::types::ParameterType::SecureString)
        // TestEnv made one with this name; this is the simulator's secret.
        .overwrite(true)
        .send()
        .await
        .expect("put the Sellsy secret");
    let sm = secretsmanager::Client::new(&env.sdk);
    for (name, value) in [
        ("inqom-password", inqom_mock::PASSWORD),
        ("inqom-client-secret", inqom_mock::CLIENT_SECRET),
    ] {
        sm.create_secret()
            .name(format!("passerelle/{id}/{name}"))
            .secret_string(value)
            .send()
            .await
            .expect("create an Inqom secret");
    }
    // The example dossier (the one the ledger mocks' charts follow), connected the cloud way.
    let mut config = format!(
        "[service]\nmail_domains = [\"{DOMAIN}\"]\n\n{}\n\
         [dossier.sellsy]\nclient_id = \"{}\"\nclient_secret = \"ssm:/passerelle/{id}/sellsy\"\n\
         api_base = \"{}\"\ntoken_url = \"{}\"\n",
        include_str!("../../../../infra/dossiers.example.toml"),
        sim.client_id(),
        sim.api_base(),
        sim.token_url(),
    );
    if ledger == Ledger::Inqom {
        config.push_str(&format!(
            "\n[dossier.ledger]\nkind = \"inqom\"\ndossier_id = {}\nusername = \"{}\"\n\
             password = \"secret:passerelle/{id}/inqom-password\"\nclient_id = \"{}\"\n\
             client_secret = \"secret:passerelle/{id}/inqom-client-secret\"\n\
             api_url = \"{}\"\ntoken_url = \"{}/identity/connect/token\"\n",
            inqom_mock::DOSSIER,
            inqom_mock::USER,
            inqom_mock::CLIENT_ID,
            inqom.url,
            inqom.url,
        ));
    }
    env.adapters
        .blobs
        .put(CONFIG_KEY, config.as_bytes(), "application/toml")
        .await
        .expect("upload the configuration");
    let adapters = aws::AwsAdapters::new(&env.sdk, &env.settings);
    let settings = Settings {
        // Failed pushes come back quickly in the test, as SQS would after the visibility timeout.
        retry_delay: Duration::from_secs(1),
        ..Settings::default()
    };
    let cloud = Cloud::new(adapters, CONFIG_KEY, settings, Needs::ALL)
        .await
        .expect("the runtime is built from the bucket's configuration and the secrets");
    World {
        env,
        sim,
        inqom,
        cloud,
    }
}

impl World {
    /// Receives what is on a queue (as the Lambda event source mapping would), deletes it, and
    /// wraps it in the AWS sample SQS event.
    pub async fn sqs_event(&self, queue_url: &str) -> SqsEvent {
        let client = sqs::Client::new(&self.env.sdk);
        let mut messages = Vec::new();
        loop {
            let got = client
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive")
                .messages
                .unwrap_or_default();
            if got.is_empty() {
                break;
            }
            for m in &got {
                client
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .expect("delete");
            }
            messages.extend(got);
        }
        let mut event = fixture("sqs-event.json");
        let template = event["Records"][0].clone();
        let arn = format!(
            "arn:aws:sqs:{}:123456789012:{}",
            REGION,
            queue_url.rsplit('/').next().unwrap()
        );
        event["Records"] = messages
            .iter()
            .map(|m| {
                let mut r = template.clone();
                r["messageId"] = json!(m.message_id().unwrap());
                r["receiptHandle"] = json!(m.receipt_handle().unwrap());
                r["body"] = json!(m.body().unwrap());
                r["md5OfBody"] = json!(m.md5_of_body().unwrap_or_default());
                r["eventSourceARN"] = json!(arn);
                r["awsRegion"] = json!(REGION);
                r["messageAttributes"] = json!({});
                r
            })
            .collect();
        serde_json::from_value(event).expect("an SQS event")
    }

    pub async fn documents(&self) -> Vec<DocumentRecord> {
        self.cloud
            .pipeline
            .store
            .query(&doc_pk("acme"), None, None, usize::MAX)
            .await
            .unwrap()
            .iter()
            .map(|r| DocumentRecord::from_record(r).unwrap())
            .collect()
    }
}

pub fn s3_client(env: &TestEnv) -> s3::Client {
    env.s3()
}

/// A Function URL request, as the sync-webhook function receives it.
pub fn url_event(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> LambdaFunctionUrlRequest {
    serde_json::from_value(simulators::lambda::url_event(method, path, headers, body))
        .expect("a Function URL event")
}
