//! The AWS adapters against `moto_server` over HTTP: the ports' behavioural suite, plus what
//! only AWS has (encryption at rest, SES, SSM and Secrets Manager).

use app::ports::{
    BlobStore, Condition, Filter, Notifier, PutOnce, Queue, QueueName, Record, RecordStore,
    SecretError, SecretRef, Secrets,
};
use app::testing::{blob_store_suite, queue_suite, record_store_suite};
use aws::sdk::s3::types::ServerSideEncryption;
use aws::testing::{MAIL_FROM, SECRET_VALUE, SSM_VALUE, TestEnv};
use serde_json::json;
use simulators::aws::http_get;

#[tokio::test]
async fn dynamo_store_passes_the_port_suite() {
    let env = TestEnv::new().await;
    record_store_suite(&env.adapters.store).await;
}

#[tokio::test]
async fn s3_blobs_pass_the_port_suite() {
    let env = TestEnv::new().await;
    blob_store_suite(&env.adapters.blobs).await;
}

#[tokio::test]
async fn sqs_queue_passes_the_port_suite() {
    let env = TestEnv::new().await;
    queue_suite(&env.adapters.queue).await;
}

#[tokio::test]
async fn dynamo_query_back_reads_backwards_and_agrees_with_the_reference_reading() {
    let env = TestEnv::new().await;
    let store = env.adapters.store.clone().with_page_size(3);
    let memory = app::memory::MemoryStore::new();
    let pk = format!("LOG#{}", env.id);
    for i in 0..20 {
        let severity = ["info", "warning", "error"][i % 3];
        let r = Record::new(
            &pk,
            format!("2026-11-23T10:{i:02}:00Z#{i}"),
            json!({"severity": severity, "message": format!("Ligne {i}")}),
        );
        store.create(&r).await.unwrap();
        memory.create(&r).await.unwrap();
    }
    let errors = Condition::OneOf {
        field: "severity",
        values: vec!["error".into()],
    };
    let text = Condition::Contains {
        fields: vec!["message"],
        needle: "LIGNE 1".into(),
    };
    // (from, below, filter, limit)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<Condition>, usize);
    let cases: Vec<Case> = vec![
        (None, None, vec![], 4),
        (None, None, vec![errors.clone()], 100),
        (
            Some("2026-11-23T10:05"),
            Some("2026-11-23T10:14:00Z#14"),
            vec![],
            100,
        ),
        (
            None,
            Some("2026-11-23T10:17"),
            vec![errors, text.clone()],
            2,
        ),
        (Some("2026-11-23T10:10"), None, vec![text], 100),
        (
            Some("2026-11-23T10:09"),
            Some("2026-11-23T10:09"),
            vec![],
            10,
        ),
    ];
    for (from, below, all, limit) in cases {
        let filter = Filter { all };
        let keys = |rs: Vec<Record>| rs.into_iter().map(|r| r.sk).collect::<Vec<_>>();
        let got = store.query_back(&pk, from, below, &filter, limit).await;
        let want = memory.query_back(&pk, from, below, &filter, limit).await;
        assert_eq!(
            keys(got.unwrap()),
            keys(want.unwrap()),
            "{from:?} {below:?} {filter:?} {limit}"
        );
    }
}

#[tokio::test]
async fn dynamo_query_follows_pages_until_the_limit() {
    let env = TestEnv::new().await;
    let store = env.adapters.store.clone().with_page_size(2);
    let pk = format!("LOG#{}", env.id);
    for i in 0..7 {
        store
            .create(&Record::new(
                &pk,
                format!("2026-11-23T10:0{i}:00Z#{i}"),
                json!({"i": i}),
            ))
            .await
            .unwrap();
    }
    let sks = |records: Vec<Record>| -> Vec<i64> {
        records
            .iter()
            .map(|r| r.data["i"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        sks(store.query(&pk, None, None, 100).await.unwrap()),
        [0, 1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        sks(store.query(&pk, None, None, 5).await.unwrap()),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(
        sks(store
            .query(&pk, Some("2026-11-23T10:02"), None, 100)
            .await
            .unwrap()),
        [2, 3, 4, 5, 6]
    );
    assert_eq!(
        sks(store
            .query(&pk, None, Some("2026-11-23T10:02"), 100)
            .await
            .unwrap()),
        [0, 1],
        "the upper bound is inclusive and compares as text"
    );
    assert!(
        store
            .query(&pk, Some("2026-11-24"), Some("2026-11-23"), 10)
            .await
            .unwrap()
            .is_empty(),
        "reversed bounds select nothing"
    );
    assert!(store.query(&pk, None, None, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn s3_objects_are_encrypted_and_typed() {
    let env = TestEnv::new().await;
    let blobs = &env.adapters.blobs;
    let pdf = format!("{}/pdf/sellsy:invoice:1.pdf", env.id);
    let fec = format!("{}/fec/FEC.txt", env.id);
    assert_eq!(
        blobs
            .put_once(&pdf, b"%PDF-1.7", "application/pdf")
            .await
            .unwrap(),
        PutOnce::Created
    );
    blobs
        .put(&fec, b"JournalCode|...", "text/plain")
        .await
        .unwrap();
    for (key, content_type) in [(&pdf, "application/pdf"), (&fec, "text/plain")] {
        let head = env
            .s3()
            .head_object()
            .bucket(&env.settings.bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption,
            Some(ServerSideEncryption::Aes256),
            "{key} encrypted at rest"
        );
        assert_eq!(head.content_type.as_deref(), Some(content_type));
    }
}

#[tokio::test]
async fn concurrent_write_once_puts_leave_exactly_one_winner() {
    let env = TestEnv::new().await;
    let blobs = &env.adapters.blobs;
    let key = format!("{}/raw/same-message.eml", env.id);
    let bodies: Vec<Vec<u8>> = (0..8).map(|i| format!("copy {i}").into_bytes()).collect();
    let results = futures::future::join_all(
        bodies
            .iter()
            .map(|b| blobs.put_once(&key, b, "message/rfc822")),
    )
    .await;
    let created: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r, Ok(PutOnce::Created)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(created.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(PutOnce::Created | PutOnce::AlreadyExists))),
        "{results:?}"
    );
    assert_eq!(
        blobs.get(&key).await.unwrap().unwrap(),
        bodies[created[0]],
        "the winner's bytes stay"
    );
}

#[tokio::test]
async fn dead_letter_queue_is_wired_to_the_pipeline_queues() {
    // The harness creates the queues like the SAM template should: with a redrive policy.
    let env = TestEnv::new().await;
    let sqs = aws::sdk::sqs::Client::new(&env.sdk);
    use aws::sdk::sqs::types::QueueAttributeName;
    for url in [&env.settings.map_queue_url, &env.settings.push_queue_url] {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let policy = attrs
            .get(&QueueAttributeName::RedrivePolicy)
            .expect("redrive policy");
        assert!(
            policy.contains(&format!("passerelle-dlq-{}", env.id)),
            "{policy}"
        );
    }
    // A message sent through the port carries what a consumer needs.
    env.adapters
        .queue
        .send(
            QueueName::Push,
            &["{\"doc\":\"sellsy:invoice:1\"}".to_string()],
        )
        .await
        .unwrap();
    let got = env
        .adapters
        .queue
        .receive(QueueName::Push, 10, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "{\"doc\":\"sellsy:invoice:1\"}");
    assert_eq!(got[0].receive_count, 1);
    env.adapters
        .queue
        .ack(QueueName::Push, &got[0].receipt)
        .await
        .unwrap();
    let dlq = sqs
        .receive_message()
        .queue_url(&env.dlq_url)
        .send()
        .await
        .unwrap();
    assert!(dlq.messages().is_empty(), "nothing dead-lettered");
}

#[tokio::test]
async fn ses_notice_is_sent_from_the_configured_identity() {
    let env = TestEnv::new().await;
    let subject = format!("passerelle: 2 pièces à vérifier ({})", env.id);
    env.adapters
        .notifier
        .send(
            "compta@client.example.fr",
            &subject,
            "Bonjour,\nla facture F-2026-001 attend le compte 706100.\n",
        )
        .await
        .unwrap();
    let data: serde_json::Value =
        serde_json::from_str(&http_get(env.moto.port, "/moto-api/data.json").unwrap()).unwrap();
    let messages = data["ses"]["Message"]
        .as_array()
        .unwrap_or_else(|| panic!("no ses.Message in moto's data: {}", data["ses"]));
    let sent = messages
        .iter()
        .find(|m| m.to_string().contains(&env.id))
        .unwrap_or_else(|| panic!("our notice is not among {messages:?}"));
    let text = sent.to_string();
    assert!(text.contains(MAIL_FROM), "{text}");
    assert!(text.contains("compta@client.example.fr"), "{text}");
    assert!(text.contains("706100"), "{text}");

    let err = env
        .adapters
        .notifier
        .send("a@x.fr, b@y.fr", "s", "t")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exactly one recipient"), "{err}");
}

#[tokio::test]
async fn ses_refuses_an_unverified_sender() {
    let env = TestEnv::new().await;
    let notifier = aws::SesNotifier::new(
        aws::sdk::sesv2::Client::new(&env.sdk),
        "someone@unverified.example.com",
    );
    let err = notifier
        .send("compta@client.example.fr", "s", "t")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("SES SendEmail: request rejected"),
        "{err}"
    );
}

#[tokio::test]
async fn secrets_come_from_ssm_and_secrets_manager() {
    let env = TestEnv::new().await;
    let secrets = &env.adapters.secrets;
    let from_ssm = secrets
        .get(&SecretRef::Ssm(env.ssm_name.clone()))
        .await
        .unwrap();
    assert_eq!(from_ssm.expose(), SSM_VALUE, "SecureString decrypted");
    assert_eq!(format!("{from_ssm:?} {from_ssm}"), "Secret(***) ***");
    let from_sm = secrets
        .get(&SecretRef::SecretsManager(env.secret_name.clone()))
        .await
        .unwrap();
    assert_eq!(from_sm.expose(), SECRET_VALUE);

    match secrets
        .get(&SecretRef::Ssm("/passerelle/nobody/sellsy".into()))
        .await
    {
        Err(SecretError::Missing { name, action }) => {
            assert_eq!(name, "ssm:/passerelle/nobody/sellsy");
            assert!(
                action.contains(
                    "aws ssm put-parameter --type SecureString --name /passerelle/nobody/sellsy"
                ),
                "{action}"
            );
        }
        other => panic!("{other:?}"),
    }
    match secrets
        .get(&SecretRef::SecretsManager("passerelle/nobody/inqom".into()))
        .await
    {
        Err(SecretError::Missing { action, .. }) => {
            assert!(
                action.contains("aws secretsmanager create-secret --name passerelle/nobody/inqom"),
                "{action}"
            );
        }
        other => panic!("{other:?}"),
    }
    match secrets.get(&SecretRef::env("ACME_SECRET")).await {
        Err(SecretError::Missing { action, .. }) => assert!(action.contains("ssm:"), "{action}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn secrets_are_cached_until_their_ttl() {
    let env = TestEnv::new().await;
    let name = SecretRef::Ssm(env.ssm_name.clone());
    let ssm = aws::sdk::ssm::Client::new(&env.sdk);
    let rotate = |value: &'static str| {
        ssm.put_parameter()
            .name(&env.ssm_name)
            .value(value)
            .r#type(aws::sdk::ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
    };
    let cached = &env.adapters.secrets;
    assert_eq!(cached.get(&name).await.unwrap().expose(), SSM_VALUE);
    rotate("rotated").await.unwrap();
    assert_eq!(
        cached.get(&name).await.unwrap().expose(),
        SSM_VALUE,
        "served from memory"
    );

    let uncached = aws::AwsSecrets::new(
        aws::sdk::ssm::Client::new(&env.sdk),
        aws::sdk::secretsmanager::Client::new(&env.sdk),
    )
    .with_cache_ttl(std::time::Duration::ZERO);
    assert_eq!(uncached.get(&name).await.unwrap().expose(), "rotated");
}
