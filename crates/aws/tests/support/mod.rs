//! Test harness: a `moto_server` started by the tests themselves on 127.0.0.1 (a free port),
//! shared by the tests of one binary while any of them runs, killed by PID when the last one
//! ends; fresh AWS resources (table, bucket, queues with a DLQ, parameter, secret, SES identity)
//! for every test; and a scripted fake AWS endpoint for failures moto cannot produce.

#![allow(dead_code)] // each test binary uses part of the harness

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use aws::sdk::aws_config::retry::RetryConfig;
use aws::sdk::aws_config::{self, BehaviorVersion, Region, SdkConfig};
use aws::sdk::dynamodb::config::Credentials;
use aws::sdk::{dynamodb, s3, secretsmanager, sesv2, sqs, ssm};
use aws::{AwsAdapters, AwsSettings, configure_loader};

pub const REGION: &str = "eu-west-3";
pub const MAIL_FROM: &str = "passerelle@notices.example.fr";
pub const SSM_VALUE: &str = "sellsy-client-secret-ssm-1234";
pub const SECRET_VALUE: &str = "{\"api_key\":\"inqom-key-5678\"}";

/// A running `moto_server`.
pub struct Moto {
    pub port: u16,
    pid: u32,
    /// The `sh` wrapper; it kills moto when its stdin closes, so moto also dies when the test
    /// process dies without running destructors.
    wrapper: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
}

fn moto_binary() -> PathBuf {
    // tools/moto_server runs .venv's moto with a fix for an O(n^2) SQS receive (see moto_server.py).
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/moto_server")
}

static SHARED: Mutex<Weak<Moto>> = Mutex::new(Weak::new());

impl Moto {
    /// The moto of this test binary, started if no test holds it.
    pub fn shared() -> Arc<Moto> {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(moto) = shared.upgrade() {
            return moto;
        }
        let moto = Arc::new(Moto::start());
        *shared = Arc::downgrade(&moto);
        moto
    }

    pub fn start() -> Moto {
        let binary = moto_binary();
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
        assert!(
            venv.exists(),
            "{} is missing: run scripts/setup from the repository root (it installs \
             moto[server]==5.2.5 into .venv); the AWS adapter tests need it",
            venv.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
        let mut wrapper = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & echo $!; read _; kill $! 2>/dev/null"#)
            .arg(&binary)
            .arg(port.to_string())
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh starts moto_server");
        let stdin = wrapper.stdin.take();
        let mut pid_line = String::new();
        BufReader::new(wrapper.stdout.take().expect("piped stdout"))
            .read_line(&mut pid_line)
            .expect("moto's pid from the wrapper");
        let pid: u32 = pid_line.trim().parse().expect("moto's pid is a number");
        let moto = Moto {
            port,
            pid,
            wrapper: Mutex::new(wrapper),
            stdin: Mutex::new(stdin),
        };
        let started = Instant::now();
        while http_get(port, "/moto-api/data.json").is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("moto_server did not answer on port {port} within 30 s; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        // EOF on its stdin ends the wrapper (its own `kill` then finds moto gone).
        drop(self.stdin.lock().map(|mut s| s.take()));
        if let Ok(mut wrapper) = self.wrapper.lock() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(wrapper.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = wrapper.kill();
            let _ = wrapper.wait();
        }
    }
}

/// `GET path` on 127.0.0.1:port over HTTP/1.0; the body if the status is 200.
pub fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP header"))?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("{path}: {head}")));
    }
    Ok(body.to_string())
}

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

/// A request the fake endpoint received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
    pub body: String,
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/x-amz-json-1.0".into())],
            body: body.into(),
        }
    }

    pub fn xml(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: body.into(),
        }
    }

    /// An AWS JSON-protocol error (DynamoDB, SQS).
    pub fn json_error(status: u16, code: &str, message: &str) -> Answer {
        let mut answer = Answer::json(
            status,
            &format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
        );
        answer
            .headers
            .push(("x-amzn-query-error".into(), format!("{code};Sender")));
        answer
    }
}

/// A scripted HTTP endpoint: answers requests in order (the last answer repeats) and records
/// them. For failures moto does not produce: throttling, 5xx, partial batch failures.
pub struct FakeAws {
    pub endpoint: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeAws {
    pub async fn start(answers: Vec<Answer>) -> FakeAws {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake endpoint");
        let endpoint = format!("http://{}", listener.local_addr().expect("local addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, answers) = (log.clone(), answers.clone());
                tokio::spawn(async move {
                    let _ = serve_one(stream, log, answers).await;
                });
            }
        });
        FakeAws { endpoint, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve_one(
    mut stream: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<Answer>>>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    log.lock().unwrap().push(Seen { head, body });
    let answer = {
        let mut answers = answers.lock().unwrap();
        if answers.len() > 1 {
            answers.pop_front()
        } else {
            answers.front().cloned()
        }
    }
    .unwrap_or_else(|| Answer::json(500, "{}"));
    let mut out = format!("HTTP/1.1 {} X\r\n", answer.status);
    for (name, value) in &answer.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nx-amzn-RequestId: fake\r\nConnection: close\r\n\r\n{}",
        answer.body.len(),
        answer.body
    ));
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}
