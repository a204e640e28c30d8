//! Failures moto does not produce, over real HTTP from a scripted endpoint: throttling, 5xx,
//! unreachable services, partial batch failures, access denied. Each must reach the port as the
//! right error, with a message that says what happened.

mod support;

use std::time::Duration;

use app::ports::{
    BlobError, BlobStore, Queue, QueueError, QueueName, Record, RecordStore, SecretError,
    SecretRef, Secrets, StoreError,
};
use aws::sdk::aws_config::retry::RetryConfig;
use aws::sdk::{dynamodb, s3, secretsmanager, sqs, ssm};
use aws::{AwsSecrets, DynamoStore, S3Blobs, SqsQueue};
use support::{Answer, FakeAws, sdk_config_with_retries};

fn fast_retries(attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(5))
}

#[tokio::test]
async fn dynamodb_throttling_is_retried_then_unavailable() {
    let fake = FakeAws::start(vec![Answer::json_error(
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    )])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, fast_retries(2)).await;
    let store = DynamoStore::new(dynamodb::Client::new(&sdk), "passerelle");
    let err = store
        .create(&Record::new(
            "DOC#acme",
            "sellsy:invoice:1",
            serde_json::json!({}),
        ))
        .await
        .unwrap_err();
    match &err {
        StoreError::Unavailable(message) => {
            assert!(
                message.contains("DynamoDB PutItem (create): throttled, retry later"),
                "{message}"
            );
            assert!(
                message.contains("ProvisionedThroughputExceededException"),
                "{message}"
            );
            assert!(message.contains("DOC#acme / sellsy:invoice:1"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.requests().len(),
        2,
        "the SDK retried the throttled call once"
    );
}

#[tokio::test]
async fn dynamodb_validation_error_is_reported_as_rejected() {
    let fake = FakeAws::start(vec![Answer::json_error(
        400,
        "com.amazon.coral.validate#ValidationException",
        "Item size has exceeded the maximum allowed size",
    )])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, fast_retries(3)).await;
    let store = DynamoStore::new(dynamodb::Client::new(&sdk), "passerelle");
    let err = store
        .update(&Record::new("DOC#acme", "big", serde_json::json!({})).next(serde_json::json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Unavailable(m) if m.contains("request rejected (ValidationException")),
        "{err:?}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "a rejected request is not retried"
    );
}

/// Without s3:ListBucket, S3 answers 403 AccessDenied for a missing key: that is a permission to
/// grant, not a missing object (the FEC sink would think a year empty, the config loader would
/// say "upload it"); a bare 404 is missing.
#[tokio::test]
async fn s3_access_denied_is_a_permission_problem_and_a_404_is_missing() {
    let fake = FakeAws::start(vec![
        Answer::xml(
            403,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>\
             <Message>Access Denied</Message></Error>",
        ),
        Answer::xml(404, ""),
    ])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let client = s3::Client::from_conf(
        s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let blobs = S3Blobs::new(client, "passerelle-files");
    match blobs.get("config/dossiers.toml").await {
        Err(BlobError::Denied(m)) => {
            assert!(
                m.contains("s3:ListBucket") && m.contains("s3:GetObject"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(blobs.get("fec/acme/booked.jsonl").await.unwrap(), None);
}

#[tokio::test]
async fn s3_slow_down_and_server_errors_are_unavailable() {
    let fake = FakeAws::start(vec![
        Answer::xml(
            503,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>\
             <Message>Please reduce your request rate.</Message></Error>",
        ),
        Answer::xml(
            500,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>\
             <Message>We encountered an internal error.</Message></Error>",
        ),
    ])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let client = s3::Client::from_conf(
        s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let blobs = S3Blobs::new(client, "passerelle-files");
    match blobs.get("acme/pdf/1.pdf").await {
        Err(BlobError::Unavailable(m)) => {
            assert!(
                m.contains("S3 GetObject: throttled, retry later (SlowDown, HTTP 503"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    match blobs.put("acme/fec/FEC.txt", b"x", "text/plain").await {
        Err(BlobError::Unavailable(m)) => {
            assert!(
                m.contains("S3 PutObject: service error, retry later (InternalError, HTTP 500"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let seen = fake.requests();
    assert!(
        seen[0]
            .head
            .starts_with("GET /passerelle-files/acme/pdf/1.pdf"),
        "{}",
        seen[0].head
    );
    let put = seen[1].head.to_ascii_lowercase();
    assert!(
        put.contains("x-amz-server-side-encryption: aes256"),
        "{put}"
    );
    assert!(!put.contains("if-none-match"), "a plain put replaces");
}

#[tokio::test]
async fn unreachable_services_are_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdk =
        sdk_config_with_retries(&format!("http://127.0.0.1:{port}"), RetryConfig::disabled()).await;
    let store = DynamoStore::new(dynamodb::Client::new(&sdk), "passerelle");
    match store.get("DOC#acme", "x").await {
        Err(StoreError::Unavailable(m)) => {
            assert!(
                m.contains("DynamoDB GetItem: service unreachable, retry later"),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
    let queue = SqsQueue::new(
        sqs::Client::new(&sdk),
        "http://127.0.0.1:1/q/map",
        "http://127.0.0.1:1/q/push",
    );
    match queue.send(QueueName::Map, &["{}".to_string()]).await {
        Err(QueueError::Unavailable(m)) => assert!(m.contains("unreachable"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// The SDK crates are built without their default HTTP client (crates/aws/Cargo.toml): an
/// `https://` endpoint must still be spoken to in TLS (a ClientHello, record type 0x16, version
/// 3.x) by the client `configure_loader` sets, and a failed handshake must be an ordinary
/// "unreachable" error, not a panic for a missing client or crypto provider.
#[tokio::test]
async fn https_endpoints_are_spoken_to_in_tls() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let first_bytes = std::thread::spawn(move || {
        use std::io::Read;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => return Err(format!("the client never connected: {e}")),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut head = [0u8; 3];
        stream
            .read_exact(&mut head)
            .map_err(|e| format!("the client sent nothing: {e}"))?;
        Ok(head)
        // The stream is dropped: the handshake fails.
    });
    let sdk = sdk_config_with_retries(
        &format!("https://127.0.0.1:{port}"),
        RetryConfig::disabled(),
    )
    .await;
    let store = DynamoStore::new(dynamodb::Client::new(&sdk), "passerelle");
    match store.get("DOC#acme", "x").await {
        Err(StoreError::Unavailable(m)) => assert!(m.contains("DynamoDB GetItem"), "{m}"),
        other => panic!("{other:?}"),
    }
    let head = first_bytes.join().unwrap().unwrap();
    assert_eq!(head[0], 0x16, "a TLS handshake record, got {head:?}");
    assert_eq!(head[1], 0x03, "TLS record version 3.x, got {head:?}");
}

const SENT_0_2: &str = r#"{"Successful":[
    {"Id":"0","MessageId":"m0","MD5OfMessageBody":"00000000000000000000000000000000"},
    {"Id":"2","MessageId":"m2","MD5OfMessageBody":"00000000000000000000000000000000"}],
  "Failed":[{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"try again"}]}"#;

#[tokio::test]
async fn sqs_partial_failures_resend_only_the_failed_entries() {
    let fake = FakeAws::start(vec![
        Answer::json(200, SENT_0_2),
        Answer::json(
            200,
            r#"{"Successful":[{"Id":"1","MessageId":"m1","MD5OfMessageBody":"00000000000000000000000000000000"}],"Failed":[]}"#,
        ),
    ])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let url = format!("{}/123456789012/map", fake.endpoint);
    let queue = SqsQueue::new(sqs::Client::new(&sdk), &url, &url);
    let bodies: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| format!("{{\"m\":\"{s}\"}}"))
        .collect();
    queue.send(QueueName::Map, &bodies).await.unwrap();
    let seen = fake.requests();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].body.contains("\\\"m\\\":\\\"a\\\""),
        "{}",
        seen[0].body
    );
    let retry = &seen[1].body;
    assert!(
        retry.contains(r#""Id":"1""#) && retry.contains("\\\"m\\\":\\\"b\\\""),
        "{retry}"
    );
    assert!(
        !retry.contains(r#""Id":"0""#) && !retry.contains(r#""Id":"2""#),
        "{retry}"
    );
}

#[tokio::test]
async fn sqs_entries_refused_for_the_senders_fault_are_a_partial_failure() {
    let refused = SENT_0_2.replace(
        r#""SenderFault":false,"Code":"InternalError""#,
        r#""SenderFault":true,"Code":"InvalidMessageContents""#,
    );
    let fake = FakeAws::start(vec![Answer::json(200, &refused)]).await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let url = format!("{}/123456789012/push", fake.endpoint);
    let queue = SqsQueue::new(sqs::Client::new(&sdk), &url, &url);
    let bodies: Vec<String> = (0..3).map(|i| i.to_string()).collect();
    match queue.send(QueueName::Push, &bodies).await {
        Err(QueueError::Partial {
            failed: 1,
            total: 3,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.requests().len(),
        1,
        "the same entry would be refused again"
    );
}

#[tokio::test]
async fn sqs_failures_that_persist_end_as_partial_after_bounded_retries() {
    let fake = FakeAws::start(vec![Answer::json(200, SENT_0_2)]).await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let url = format!("{}/123456789012/map", fake.endpoint);
    let queue = SqsQueue::new(sqs::Client::new(&sdk), &url, &url);
    let bodies: Vec<String> = (0..3).map(|i| i.to_string()).collect();
    match queue.send(QueueName::Map, &bodies).await {
        Err(QueueError::Partial {
            failed: 1,
            total: 3,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.requests().len(),
        4,
        "one call and three retries of the failed entry"
    );
}

#[tokio::test]
async fn secret_store_access_denied_names_the_permission_not_the_value() {
    let fake = FakeAws::start(vec![Answer::json_error(
        400,
        "AccessDeniedException",
        "User: arn:aws:sts::1:assumed-role/fn is not authorized to perform: ssm:GetParameter",
    )])
    .await;
    let sdk = sdk_config_with_retries(&fake.endpoint, RetryConfig::disabled()).await;
    let secrets = AwsSecrets::new(ssm::Client::new(&sdk), secretsmanager::Client::new(&sdk));
    match secrets
        .get(&SecretRef::Ssm("/passerelle/acme/sellsy".into()))
        .await
    {
        Err(SecretError::Unavailable(m)) => {
            assert!(m.contains("AccessDeniedException"), "{m}");
            assert!(
                m.contains("may call ssm:GetParameter (and kms:Decrypt"),
                "{m}"
            );
            assert!(m.contains("'ssm:/passerelle/acme/sellsy'"), "{m}");
        }
        other => panic!("{other:?}"),
    }
}
