//! End to end: each Lambda function's handler, called in-process with a real-shaped event
//! (fixtures/, AWS sample events), against moto_server (DynamoDB, S3, SQS, SSM, Secrets
//! Manager) started on 127.0.0.1, the Sellsy simulator and the Inqom mock on 127.0.0.1. The
//! runtime is built the way the functions build it: configuration from the bucket, credentials
//! from SSM and Secrets Manager.
//!
//! The world each test runs in (moto resources, simulators, configuration, secrets) is built in
//! `handlers/world.rs`.

mod console;
mod world;

use app::ports::{BlobStore, RecordStore};
use app::usecases::records::file_pk;
use app::usecases::{DocState, Settings};
use aws::sdk::ssm;
use aws::testing::TestEnv;
use aws_lambda_events::event::ses::SimpleEmailEvent;
use domain::Category;
use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use lambda_handlers::pull::{self, PullEvent, PullOutcome, ScheduledPull};
use lambda_handlers::sync_webhook::{self, LambdaLauncher};
use lambda_handlers::{inbound, steps};
use serde_json::{Value, json};
use simulators::lambda::{self, fixture, welyb_ses_event};
use simulators::mock::Fault;
use webhook::{Launch, Launcher};
use world::{CONFIG_KEY, DOMAIN, Ledger, World, s3_client, url_event, world, world_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_pulls_then_sqs_batches_map_and_push_to_the_ledger() {
    let w = world().await;
    let map_url = w.env.settings.map_queue_url.clone();
    let push_url = w.env.settings.push_queue_url.clone();

    // sellsy-pull: the scheduler's event, twice (at-least-once delivery): one run per dossier.
    let event: PullEvent = serde_json::from_value(fixture("scheduler-event.json")).unwrap();
    let PullOutcome::Nightly(summary) = pull::handle(&w.cloud, &event).await.expect("the pull")
    else {
        panic!("the scheduler's event is the nightly pull")
    };
    let PullEvent::Scheduled(event) = event else {
        unreachable!()
    };
    assert_eq!(summary.runs.len(), 1);
    let run = &summary.runs[0];
    assert_eq!(run.id, "schedule-20260701T003000Z-acme");
    assert_eq!(run.window_to.to_string(), "2026-07-01", "the Paris date");
    assert_eq!(run.pulled, 15, "12 invoices and 3 credit notes");
    assert_eq!(run.new, 15);
    let again = pull::scheduled(&w.cloud, &event).await.unwrap();
    assert_eq!(again.runs[0].started_at, run.started_at, "the same run");

    // mapper: the map queue's messages as the SQS event.
    let batch = w.sqs_event(&map_url).await;
    assert_eq!(batch.records.len(), 15);
    let response = steps::map_batch(&w.cloud, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let docs = w.documents().await;
    assert_eq!(docs.len(), 15);
    assert!(
        docs.iter().all(|d| d.state == DocState::Mapped),
        "{:?}",
        docs.iter().map(|d| d.state).collect::<Vec<_>>()
    );
    let pdfs = w.cloud.pipeline.blobs.list("pdf/acme/").await.unwrap();
    assert_eq!(pdfs.len(), 15, "every PDF in S3: {pdfs:?}");

    // The dossier's chart in Inqom holds the accounts Sellsy's accounting codes name (the mock
    // starts with the example configuration's accounts only, and refuses unknown ones).
    {
        let mut st = w.inqom.state();
        for line in docs
            .iter()
            .flat_map(|d| d.entry.iter().flat_map(|e| e.lines()))
        {
            if !st.accounts.iter().any(|(n, _, _)| *n == line.account) {
                let label = line.account_label.clone();
                st.accounts.push((line.account.clone(), label, None));
            }
        }
    }

    // ledger-sink: the push queue's messages, pushed to the Inqom mock.
    let batch = w.sqs_event(&push_url).await;
    assert_eq!(batch.records.len(), 15);
    let response = steps::push_batch(&w.cloud, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let docs = w.documents().await;
    // Every document is booked, with its PDF.
    let pushed = docs.iter().filter(|d| d.state == DocState::Pushed).count();
    let rejected = docs
        .iter()
        .filter(|d| d.state == DocState::Rejected)
        .count();
    assert_eq!(
        (pushed, rejected),
        (15, 0),
        "{:?}",
        docs.iter()
            .map(|d| (d.key.clone(), d.state, d.reason.clone()))
            .collect::<Vec<_>>()
    );
    {
        let st = w.inqom.state();
        assert_eq!(st.entries.len(), pushed, "one entry per booked document");
        assert_eq!(st.attachments.len(), pushed, "each with its PDF");
    }
    println!("schedule → map → push: 15 pulled, {pushed} booked in the Inqom mock with their PDFs");

    // A redelivered batch changes nothing (exactly once at the ledger).
    let mut redelivered = batch.clone();
    redelivered.records.truncate(3);
    let response = steps::push_batch(&w.cloud, &redelivered).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(w.inqom.state().entries.len(), pushed);
    assert!(w.sim.violations().is_empty(), "{:?}", w.sim.violations());
}

/// The cloud pipeline to the embedded default ledger: scheduled pull, map, push; the FEC file the
/// sink writes in the bucket passes the independent checker, one entry per booked document, and
/// a redelivered push batch leaves it byte for byte as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_map_and_push_write_a_fec_in_the_bucket_that_passes_the_checker() {
    let w = world_with(Ledger::Fec).await;
    let event: ScheduledPull = serde_json::from_value(fixture("scheduler-event.json")).unwrap();
    let summary = pull::scheduled(&w.cloud, &event).await.expect("the pull");
    assert_eq!(summary.runs[0].pulled, 15);
    let batch = w.sqs_event(&w.env.settings.map_queue_url).await;
    let response = steps::map_batch(&w.cloud, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let batch = w.sqs_event(&w.env.settings.push_queue_url).await;
    assert_eq!(batch.records.len(), 15);
    let response = steps::push_batch(&w.cloud, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let docs = w.documents().await;
    let pushed = docs.iter().filter(|d| d.state == DocState::Pushed).count();
    assert_eq!(
        pushed,
        15,
        "{:?}",
        docs.iter()
            .map(|d| (d.key.clone(), d.state, d.reason.clone()))
            .collect::<Vec<_>>()
    );

    // The example dossier's fiscal year closes on 31 December: one file for 2026.
    let key = "fec/acme/20261231/732829320FEC20261231.txt";
    let fec = w.cloud.pipeline.blobs.get(key).await.unwrap();
    let fec = fec.unwrap_or_else(|| panic!("no {key} in the bucket"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("732829320FEC20261231.txt");
    std::fs::write(&path, &fec).unwrap();
    let checked = crate::fec_check(path.to_str().unwrap());
    assert_eq!(checked["ok"], true, "{checked}");
    assert_eq!(checked["stats"]["ecritures"], pushed, "{checked}");

    let mut redelivered = batch.clone();
    redelivered.records.truncate(3);
    let response = steps::push_batch(&w.cloud, &redelivered).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let again = w.cloud.pipeline.blobs.get(key).await.unwrap();
    assert_eq!(again.as_deref(), Some(&fec[..]), "the FEC is unchanged");
    assert!(w.sim.violations().is_empty(), "{:?}", w.sim.violations());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_the_ledger_refuses_for_now_is_a_batch_item_failure() {
    let w = world().await;
    let event: ScheduledPull = serde_json::from_value(fixture("scheduler-event.json")).unwrap();
    pull::scheduled(&w.cloud, &event).await.unwrap();
    let batch = w.sqs_event(&w.env.settings.map_queue_url).await;
    assert!(
        steps::map_batch(&w.cloud, &batch)
            .await
            .batch_item_failures
            .is_empty()
    );
    let batch = w.sqs_event(&w.env.settings.push_queue_url).await;
    // The ledger asks to come back in 10 minutes (longer than a sink waits inside a call): the
    // messages must come back through SQS, none lost.
    for _ in 0..200 {
        w.inqom.fault(Fault::TooMany(600));
    }
    let mut ids: Vec<String> = batch
        .records
        .iter()
        .map(|r| r.message_id.clone().unwrap())
        .collect();
    let response = steps::push_batch(&w.cloud, &batch).await;
    let mut failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    ids.sort();
    failed.sort();
    assert_eq!(failed, ids, "every refused push is retried");
    assert!(w.inqom.state().entries.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ses_notification_takes_the_mail_in_and_the_sink_pushes_it() {
    let w = world().await;
    let to = format!("achat.acme@{DOMAIN}");
    let ses_id = format!("6n4thuhcbhpfiuf25gshf70rss364fuejrvmqk{}", w.env.id);
    // What the receipt rule's S3 action did before invoking the function.
    let key = format!("{}{ses_id}", inbound::DEFAULT_INBOUND_PREFIX);
    s3_client(&w.env)
        .put_object()
        .bucket(&w.env.settings.bucket)
        .key(&key)
        .body(lambda::WELYB_MAIL.to_vec().into())
        .send()
        .await
        .unwrap();

    let event = welyb_ses_event(&ses_id, &to);
    let event: SimpleEmailEvent = serde_json::from_value(event).expect("an SES event");

    let reports = inbound::handle(&w.cloud, &event, inbound::DEFAULT_INBOUND_PREFIX)
        .await
        .expect("the intake");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].queued, 1, "{:?}", reports[0].outcome);
    assert_eq!(reports[0].raw_key, key, "the raw mail is SES's object");

    // The document is in S3 and DynamoDB, and its push is on the queue.
    let files = w.cloud.pipeline.blobs.list("files/acme/").await.unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let collected = w
        .cloud
        .pipeline
        .store
        .query(&file_pk("acme", Category::Purchase), None, None, 10)
        .await
        .unwrap();
    assert_eq!(collected.len(), 1);
    let docs = w.documents().await;
    assert_eq!(docs.len(), 1);

    // The same notification again (Lambda retries async events): nothing new.
    let again = inbound::handle(&w.cloud, &event, inbound::DEFAULT_INBOUND_PREFIX)
        .await
        .unwrap();
    assert_eq!(again[0].queued, 0);
    assert_eq!(w.documents().await.len(), 1);

    let batch = w.sqs_event(&w.env.settings.push_queue_url).await;
    assert!(!batch.records.is_empty());
    let response = steps::push_batch(&w.cloud, &batch).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let st = w.inqom.state();
    assert_eq!(st.documents.len() + st.expense_bills.len(), 1);
    assert_eq!(st.violations, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ses_notification_without_its_raw_mail_fails_for_a_retry() {
    let w = world().await;
    let mut event = fixture("ses-lambda-event.json");
    event["Records"][0]["ses"]["mail"]["messageId"] = json!(format!("missing-{}", w.env.id));
    let event: SimpleEmailEvent = serde_json::from_value(event).unwrap();
    let err = inbound::handle(&w.cloud, &event, inbound::DEFAULT_INBOUND_PREFIX)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("not in the bucket"), "{err:#}");
    assert!(w.documents().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_configuration_is_named_and_a_missing_secret_leaves_only_its_dossier_out() {
    let env = TestEnv::new().await;
    let adapters = aws::AwsAdapters::new(&env.sdk, &env.settings);
    let err = Cloud::new(adapters, CONFIG_KEY, Settings::default(), Needs::ALL)
        .await
        .err()
        .expect("no configuration");
    assert!(format!("{err:#}").contains(CONFIG_KEY), "{err:#}");

    let config = format!(
        "{}\n[dossier.sellsy]\nclient_id = \"x\"\nclient_secret = \"ssm:/passerelle/{}/nothing\"\n",
        include_str!("../../../infra/dossiers.example.toml"),
        env.id
    );
    env.adapters
        .blobs
        .put(CONFIG_KEY, config.as_bytes(), "application/toml")
        .await
        .unwrap();
    let adapters = aws::AwsAdapters::new(&env.sdk, &env.settings);
    // One dossier's missing secret never stops a function: it is left out with the action,
    // the rest of the dossier (its ledger) and the other dossiers still run.
    let cloud = Cloud::new(adapters, CONFIG_KEY, Settings::default(), Needs::ALL)
        .await
        .expect("a missing secret leaves the dossier's source out, not the function");
    let text: Vec<String> = cloud
        .dossiers
        .unconnected
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert!(
        text.iter().any(|t| t.contains("dossier acme")
            && t.contains("nothing")
            && t.contains("aws ssm put-parameter")),
        "{text:?}"
    );
    assert!(cloud.dossiers.sources.is_empty());
    assert!(cloud.dossiers.sinks.contains_key("acme"));
}

/// The launcher under test (it invokes the sellsy-pull function in moto's Lambda), teed: what it
/// sent is kept so the test can deliver it to the sellsy-pull handler, as Lambda would.
struct Tee {
    real: LambdaLauncher,
    sent: std::sync::Mutex<Vec<Launch>>,
}

impl Launcher for Tee {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        self.real.launch(what.clone()).await?;
        self.sent.lock().unwrap().push(what);
        Ok(())
    }
}

/// IAM's CreateRole on moto (moto checks a function's role exists; the aws crate has no IAM
/// client, and this is the only IAM call): the query protocol, with an Authorization header that
/// only names the service (moto routes on it and does not check signatures).
fn create_role(port: u16, name: &str) -> String {
    use std::io::{Read, Write};
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let body = format!(
        "Action=CreateRole&Version=2010-05-08&RoleName={}&AssumeRolePolicyDocument={}",
        enc(name),
        enc(policy)
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    format!("arn:aws:iam::123456789012:role/{name}")
}

/// A sellsy-pull function in moto's Lambda, without Docker (moto then answers invocations
/// itself instead of running the code: the handler is run by the test).
async fn pull_function(w: &World) -> String {
    let moto = &w.env.moto;
    let port = moto.port;
    {
        use std::io::{Read, Write};
        let body = r#"{"lambda": {"use_docker": false}}"#;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "POST /moto-api/config HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.contains(" 201 "), "{answer}");
    }
    let role = create_role(port, &format!("passerelle-{}", w.env.id));
    let name = format!("passerelle-{}-sellsy-pull", w.env.id);
    // An empty zip archive (end-of-central-directory record only): moto stores it, never runs it.
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    aws_sdk_lambda::Client::new(&w.env.sdk)
        .create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .architectures(aws_sdk_lambda::types::Architecture::Arm64)
        .handler("bootstrap")
        .role(role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .expect("create the sellsy-pull function in moto");
    name
}

/// How many runs are recorded.
async fn runs(w: &World) -> usize {
    w.cloud
        .pipeline
        .store
        .query(app::usecases::records::RUN_PK, None, None, 100)
        .await
        .unwrap()
        .len()
}

/// `POST /sync` through the handler.
async fn post_sync(
    w: &World,
    secrets: &webhook::Secrets,
    launcher: &impl Launcher,
    headers: &[(String, String)],
    body: &[u8],
) -> aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse {
    let event = url_event("POST", "/sync", headers, body);
    sync_webhook::handle(&w.cloud, secrets, launcher, &event).await
}

fn body_of(r: &aws_lambda_events::event::lambda_function_urls::LambdaFunctionUrlResponse) -> Value {
    serde_json::from_str(r.body.as_deref().unwrap_or("null")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_refuses_bad_replayed_and_unsigned_requests_and_starts_a_good_one() {
    let w = world().await;
    let key = "whsec-0123456789abcdef";
    ssm::Client::new(&w.env.sdk)
        .put_parameter()
        .name(format!("/passerelle/{}/sync", w.env.id))
        .value(key)
        .r#type(ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let secrets = sync_webhook::secrets(
        &w.cloud,
        Some(&format!("ssm:/passerelle/{}/sync", w.env.id)),
    )
    .await
    .expect("the /sync key from SSM");
    let function = pull_function(&w).await;
    let lambda = aws_sdk_lambda::Client::new(&w.env.sdk);
    let tee = Tee {
        real: LambdaLauncher::new(lambda.clone(), function),
        sent: Default::default(),
    };
    let now = chrono::Utc::now().timestamp();
    let body = br#"{"dossier": "acme", "from": "2026-01-01", "to": "2026-06-30"}"#;
    let signed: Vec<(String, String)> =
        webhook::sign(key.as_bytes(), now, "POST", "/sync", body).into();

    // Unsigned, badly signed, stale: 401, nothing started, no run written.
    let unsigned = post_sync(&w, &secrets, &tee, &[], body).await;
    assert_eq!(unsigned.status_code, 401, "{:?}", body_of(&unsigned));
    let bad: Vec<(String, String)> =
        webhook::sign(b"not-the-key", now, "POST", "/sync", body).into();
    let refused = post_sync(&w, &secrets, &tee, &bad, body).await;
    assert_eq!(refused.status_code, 401);
    let stale: Vec<(String, String)> =
        webhook::sign(key.as_bytes(), now - 3600, "POST", "/sync", body).into();
    let refused = post_sync(&w, &secrets, &tee, &stale, body).await;
    assert_eq!(refused.status_code, 401);
    // Oversized: 413 before anything is read. Unknown dossier: 404.
    let big = vec![b' '; webhook::MAX_BODY + 1];
    let big_signed: Vec<(String, String)> =
        webhook::sign(key.as_bytes(), now, "POST", "/sync", &big).into();
    let refused = post_sync(&w, &secrets, &tee, &big_signed, &big).await;
    assert_eq!(refused.status_code, 413);
    let other = br#"{"dossier": "nobody"}"#;
    let other_signed: Vec<(String, String)> =
        webhook::sign(key.as_bytes(), now, "POST", "/sync", other).into();
    let refused = post_sync(&w, &secrets, &tee, &other_signed, other).await;
    assert_eq!(refused.status_code, 404);
    assert!(
        tee.sent.lock().unwrap().is_empty(),
        "a refused request starts nothing"
    );
    assert_eq!(runs(&w).await, 0, "and writes no run");

    // The good one: 202 with a run id; sellsy-pull invoked (moto's Lambda accepted the event).
    let accepted = post_sync(&w, &secrets, &tee, &signed, body).await;
    assert_eq!(accepted.status_code, 202, "{:?}", body_of(&accepted));
    assert_eq!(
        accepted.headers.get("content-type").unwrap(),
        "application/json"
    );
    let answer = body_of(&accepted);
    let run_id = answer["run_id"].as_str().expect("a run id").to_string();
    assert_eq!(tee.sent.lock().unwrap().len(), 1);

    // The same request again: a replay, refused.
    let replayed = post_sync(&w, &secrets, &tee, &signed, body).await;
    assert_eq!(replayed.status_code, 401, "{:?}", body_of(&replayed));
    assert_eq!(tee.sent.lock().unwrap().len(), 1);

    // sellsy-pull receives the launch (its async event, as JSON) and runs it.
    let launch = tee.sent.lock().unwrap()[0].clone();
    let event: PullEvent = serde_json::from_value(serde_json::to_value(&launch).unwrap()).unwrap();
    let PullOutcome::Run(run) = pull::handle(&w.cloud, &event).await.expect("the run") else {
        panic!("a run")
    };
    assert_eq!(run.id, run_id);
    assert_eq!(run.pulled, 15);
    // Delivered twice (Lambda retries async events): the run is claimed once.
    let PullOutcome::Run(again) = pull::handle(&w.cloud, &event).await.unwrap() else {
        panic!("a run")
    };
    assert_eq!(again.started_at, run.started_at);

    // GET /runs/{id}, signed over its method and path: the run's progress and log lines.
    let path = format!("/runs/{run_id}");
    let signed_get: Vec<(String, String)> = webhook::sign(
        key.as_bytes(),
        chrono::Utc::now().timestamp(),
        "GET",
        &path,
        b"",
    )
    .into();
    let status = sync_webhook::handle(
        &w.cloud,
        &secrets,
        &tee,
        &url_event("GET", &path, &signed_get, b""),
    )
    .await;
    assert_eq!(status.status_code, 200, "{:?}", body_of(&status));
    let status = body_of(&status);
    assert_eq!(status["run"]["pulled"], 15, "{status}");
    assert!(!status["log"].as_array().unwrap().is_empty(), "{status}");
}
