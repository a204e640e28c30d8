//! Cold start of each Lambda function: builds the function binaries (release, host target),
//! starts each one against a minimal Lambda Runtime API emulator on 127.0.0.1 (the
//! `/2018-06-01/runtime/invocation/next`, `/response` and `/error` routes the runtime uses,
//! https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) with moto_server as AWS and
//! the Sellsy simulator as Sellsy, then prints per function: init time (spawn to the first
//! `next` call: SDK clients built, configuration read from S3, secrets read), the first
//! invocation's duration and outcome, and peak RSS (VmHWM).
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench -p lambda-handlers --bench cold_start`
//! (needs `scripts/setup` for moto_server). Figures, not assertions.

#[path = "../../../crates/aws/tests/support/mod.rs"]
mod aws_support;
#[path = "../tests/events/mod.rs"]
mod events;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use app::ports::BlobStore;
use aws_support::TestEnv;
use sellsy_sim::{Sim, SimConfig};
use serde_json::json;

const CONFIG_KEY: &str = "config/dossiers.toml";
const SYNC_KEY: &str = "whsec-bench-0123456789abcdef";

/// What the emulator saw of one function.
enum Seen {
    /// The runtime asked for its first event.
    FirstNext(Instant),
    /// The invocation ended: `/response` (true) or `/error` (false), with the body.
    Done(Instant, bool, String),
    /// `/init/error`: the init phase failed.
    InitError(String),
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { method, path, body })
}

fn respond(stream: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.write_all(body);
}

/// Serves one function: the event once, then holds further `next` calls.
fn emulator(event: String) -> (u16, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the emulator");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut served = false;
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let tx = tx.clone();
            let event = (!served).then(|| event.clone());
            served = true;
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut event = event;
                while let Some(req) = read_request(&mut reader) {
                    let now = Instant::now();
                    let text = String::from_utf8_lossy(&req.body).to_string();
                    if req.method == "GET" && req.path.ends_with("/runtime/invocation/next") {
                        let Some(body) = event.take() else {
                            // Later polls wait until the process is stopped.
                            std::thread::sleep(Duration::from_secs(3600));
                            return;
                        };
                        let _ = tx.send(Seen::FirstNext(now));
                        let deadline = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_millis()
                            + 60_000;
                        respond(
                            &mut writer,
                            200,
                            &[
                                ("Lambda-Runtime-Aws-Request-Id", "bench-1".into()),
                                ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                                (
                                    "Lambda-Runtime-Invoked-Function-Arn",
                                    "arn:aws:lambda:eu-west-3:123456789012:function:bench".into(),
                                ),
                                ("Lambda-Runtime-Trace-Id", "Root=1-bench".into()),
                                ("Content-Type", "application/json".into()),
                            ],
                            body.as_bytes(),
                        );
                    } else if req.path.ends_with("/response") {
                        respond(&mut writer, 202, &[], b"{}");
                        let _ = tx.send(Seen::Done(now, true, text));
                    } else if req.path.ends_with("/init/error") {
                        respond(&mut writer, 202, &[], b"{}");
                        let _ = tx.send(Seen::InitError(text));
                    } else if req.path.ends_with("/error") {
                        respond(&mut writer, 202, &[], b"{}");
                        let _ = tx.send(Seen::Done(now, false, text));
                    } else {
                        respond(&mut writer, 404, &[], b"{}");
                    }
                }
            });
        }
    });
    (port, rx)
}

/// Peak resident set (VmHWM) of a process, KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Figures {
    name: &'static str,
    binary_kib: u64,
    init: Option<Duration>,
    invoke: Option<Duration>,
    outcome: String,
    peak_kib: Option<u64>,
}

fn measure(
    name: &'static str,
    binary: &Path,
    env: &HashMap<String, String>,
    event: String,
) -> Figures {
    let (port, seen) = emulator(event);
    let binary_kib = std::fs::metadata(binary)
        .map(|m| m.len() / 1024)
        .unwrap_or(0);
    let start = Instant::now();
    let child: Child = Command::new(binary)
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            format!("2026/11/23/[$LATEST]{name}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let pid = child.id();
    let mut figures = Figures {
        name,
        binary_kib,
        init: None,
        invoke: None,
        outcome: String::new(),
        peak_kib: None,
    };
    let mut first_next = None;
    while let Ok(s) = seen.recv_timeout(Duration::from_secs(120)) {
        match s {
            Seen::FirstNext(at) => {
                first_next = Some(at);
                figures.init = Some(at - start);
            }
            Seen::Done(at, ok, body) => {
                figures.invoke = first_next.map(|n| at - n);
                let mut body = body.replace('\n', " ");
                body.truncate(90);
                figures.outcome = format!("{} {body}", if ok { "ok" } else { "error" });
                break;
            }
            Seen::InitError(body) => {
                figures.outcome = format!("init error {body}");
                break;
            }
        }
    }
    // Give the runtime a moment to poll again (its steady state), then read the peak.
    std::thread::sleep(Duration::from_millis(200));
    figures.peak_kib = peak_rss_kib(pid);
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let output = child.wait_with_output().ok();
    if figures.init.is_none() || figures.outcome.is_empty() {
        let stderr = output
            .map(|o| String::from_utf8_lossy(&o.stderr).to_string())
            .unwrap_or_default();
        figures.outcome = format!("{} | stderr: {stderr}", figures.outcome);
    }
    figures
}

fn build_functions(names: &[&str]) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--release", "--locked"]);
    for n in names {
        cmd.args(["-p", n]);
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building the functions failed");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release")
}

/// One message from a queue (the SQS event's body a function would get), taken off the queue.
async fn take_message(env: &TestEnv, queue_url: &str) -> String {
    let sqs = aws::sdk::sqs::Client::new(&env.sdk);
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(1)
        .wait_time_seconds(2)
        .send()
        .await
        .expect("receive from the queue");
    let message = out
        .messages()
        .first()
        .unwrap_or_else(|| panic!("no message in {queue_url}: the step before enqueued nothing"));
    sqs.delete_message()
        .queue_url(queue_url)
        .receipt_handle(message.receipt_handle().unwrap_or_default())
        .send()
        .await
        .expect("delete the message");
    message.body().unwrap_or_default().to_string()
}

/// A signed `GET /runs/{id}` for a run that does not exist: the whole path (signature check,
/// run lookup in DynamoDB) without starting a pull, answered 404.
fn signed_run_request() -> String {
    let path = "/runs/bench-no-such-run";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let headers = webhook::signing::sign(SYNC_KEY.as_bytes(), now, "GET", path, b"");
    serde_json::to_string(&events::url_event("GET", path, &headers, b"")).unwrap()
}

fn main() {
    let functions: Vec<&'static str> = vec![
        "sellsy-pull",
        "mapper",
        "ledger-sink",
        "mail-inbound",
        "sync-webhook",
    ];
    let release = build_functions(&functions);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, sim) = rt.block_on(async {
        let env = TestEnv::new().await;
        let sim = Sim::start(SimConfig {
            invoices: 20,
            credit_notes: 2,
            per_second: 200,
            per_minute: 10_000,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let config = format!(
            "[service]\nmail_domains = [\"collecte.example.fr\"]\n\n{}\n\
             [dossier.sellsy]\nclient_id = \"{}\"\nclient_secret = \"ssm:{}\"\n\
             api_base = \"{}\"\ntoken_url = \"{}\"\n",
            include_str!("../../../infra/dossiers.example.toml"),
            sim.client_id(),
            env.ssm_name,
            sim.api_base(),
            sim.token_url(),
        );
        aws::sdk::ssm::Client::new(&env.sdk)
            .put_parameter()
            .name(&env.ssm_name)
            .value(sim.client_secret())
            .r#type(aws::sdk::ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .unwrap();
        env.adapters
            .blobs
            .put(CONFIG_KEY, config.as_bytes(), "application/toml")
            .await
            .unwrap();
        env.adapters
            .blobs
            .put("inbound/bench-mail", events::WELYB_MAIL, "message/rfc822")
            .await
            .unwrap();
        // sync-webhook reads its /sync key at init.
        aws::sdk::ssm::Client::new(&env.sdk)
            .put_parameter()
            .name(format!("/passerelle/{}/sync", env.id))
            .value(SYNC_KEY)
            .r#type(aws::sdk::ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .unwrap();
        (env, sim)
    });
    let s = &env.settings;
    let vars: HashMap<String, String> = [
        ("PASSERELLE_TABLE", s.table.clone()),
        ("PASSERELLE_BUCKET", s.bucket.clone()),
        ("PASSERELLE_MAP_QUEUE_URL", s.map_queue_url.clone()),
        ("PASSERELLE_PUSH_QUEUE_URL", s.push_queue_url.clone()),
        ("PASSERELLE_MAIL_FROM", s.mail_from.clone()),
        ("PASSERELLE_CONFIG_KEY", CONFIG_KEY.into()),
        ("AWS_ENDPOINT_URL", env.moto.endpoint()),
        ("AWS_REGION", aws_support::REGION.into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".into()),
        ("RUST_LOG", "warn".into()),
        // sync-webhook: its /sync key, and the function it would start (not invoked here).
        (
            "PASSERELLE_SYNC_SECRET",
            format!("ssm:/passerelle/{}/sync", env.id),
        ),
        (
            "PASSERELLE_PULL_FUNCTION",
            "passerelle-bench-sellsy-pull".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    let sqs = |body: &str| {
        json!({"Records": [{
            "messageId": "bench-message-1", "receiptHandle": "bench", "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:bench", "awsRegion": "eu-west-3"
        }]})
        .to_string()
    };
    let ses = events::welyb_ses_event("bench-mail", "achat.acme@collecte.example.fr");
    println!(
        "\ncold start against a local Runtime API emulator, moto_server and the Sellsy simulator (release, host {})",
        std::env::consts::ARCH
    );
    println!(
        "{:<14} {:>10} {:>10} {:>14} {:>10}  first invocation",
        "function", "binary KiB", "init ms", "1st invoke ms", "peak RSS"
    );
    let run = |name: &'static str, event: String| {
        let f = measure(name, &release.join(name), &vars, event);
        let ms = |d: Option<Duration>| {
            d.map(|d| format!("{:.1}", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<14} {:>10} {:>10} {:>14} {:>7} MiB  {}",
            f.name,
            f.binary_kib,
            ms(f.init),
            ms(f.invoke),
            f.peak_kib
                .map(|k| format!("{:.1}", k as f64 / 1024.0))
                .unwrap_or_else(|| "-".into()),
            f.outcome
        );
    };
    // Each function gets the event the one before it produced, as on AWS: the nightly schedule
    // pulls and fills the map queue; the mapper takes one of those messages and fills the push
    // queue; the ledger sink takes one of those.
    run(
        "sellsy-pull",
        include_str!("../tests/fixtures/scheduler-event.json").to_string(),
    );
    let map_message = rt.block_on(take_message(&env, &s.map_queue_url));
    run("mapper", sqs(&map_message));
    let push_message = rt.block_on(take_message(&env, &s.push_queue_url));
    run("ledger-sink", sqs(&push_message));
    run("mail-inbound", ses.to_string());
    run("sync-webhook", signed_run_request());
    drop(sim);
    drop(env);
}
