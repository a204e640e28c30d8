//! The AWS side of the tests: a `moto_server` (installed by `scripts/setup`) started by the tests
//! themselves on 127.0.0.1 with a free port, shared by the tests of one binary while any of them
//! runs and killed by PID when the last one ends; and a scripted fake AWS endpoint for failures
//! moto cannot produce (throttling, 5xx, partial batch failures). The AWS resources a test needs
//! are made by `aws::testing` (feature `testing` of the `aws` crate), which builds passerelle's
//! adapters on this moto.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// A running `moto_server`.
pub struct Moto {
    pub port: u16,
    pid: u32,
    /// The `sh` wrapper; it kills moto when its stdin closes, so moto also dies when the test
    /// process dies without running destructors.
    wrapper: Mutex<Child>,
    stdin: Mutex<Option<ChildStdin>>,
}

/// The repository's root (this crate is `crates/simulators`).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn moto_binary() -> PathBuf {
    // tools/moto_server runs .venv's moto with a fix for an O(n^2) SQS receive (see moto_server.py).
    repo_root().join("tools/moto_server")
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
        let venv = repo_root().join(".venv/bin/moto_server");
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
        let log = std::env::temp_dir().join(format!("passerelle-moto-{port}.log"));
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
