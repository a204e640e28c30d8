//! The console in a real browser: the harness's site and pipeline behind a small HTTP/1 server
//! on a free 127.0.0.1 port, a launcher that really runs "Synchroniser maintenant" (a source
//! that answers in about two seconds, a worker mapping and pushing to an in-memory ledger), and
//! headless Chromium driven through WebDriver by a chromedriver the test starts on a free port.
//! Both processes are stopped by PID when the test ends, also when it panics ([`Driver`]'s
//! `Drop`). Without chromium and chromedriver the tests fail and say how to install them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::ports::{
    ConnectionReport, DocRef, PdfFile, PullMode, PullWindow, Pulled, SourceApi, SourceError,
};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use domain::SourceDocument;
use domain::config::DossierConfig;
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::task::JoinHandle;
use webhook::{Launch, Launcher};

use crate::harness::{PASSWORD, TestPipeline, World};

const SETUP: &str = "the browser tests need the Debian packages chromium and chromium-driver: \
    run ./scripts/setup (it installs them with apt-get when they are missing)";

/// Browsers one at a time: the machine has 2 cores, and a test waiting on a page must not time
/// out because three other Chromiums are starting.
pub static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A source that takes `delay` to answer a pull, as Sellsy does, so the run page is seen in
/// progress before it ends.
pub struct SlowSource {
    pub inner: FakeSource,
    pub delay: Duration,
}

impl SourceApi for SlowSource {
    async fn pull(&self, window: PullWindow, mode: PullMode) -> Result<Pulled, SourceError> {
        tokio::time::sleep(self.delay).await;
        self.inner.pull(window, mode).await
    }
    async fn fetch(&self, doc: DocRef) -> Result<Option<SourceDocument>, SourceError> {
        self.inner.fetch(doc).await
    }
    async fn pdf(&self, doc: DocRef) -> Result<Option<PdfFile>, SourceError> {
        self.inner.pdf(doc).await
    }
    async fn test_connection(&self) -> Result<ConnectionReport, SourceError> {
        self.inner.test_connection().await
    }
}

/// The console as `serve` runs it: the site, the pipeline, dossier acme's source and ledger, and
/// the configuration the worker maps with (a test changes it as an operator edits the file).
pub struct Live {
    pub world: World,
    pub source: SlowSource,
    pub ledger: FakeLedger,
    pub config: Mutex<DossierConfig>,
    pub launches: AtomicUsize,
}

impl Live {
    pub fn pipeline(&self) -> &TestPipeline {
        &self.world.pipeline
    }

    /// The worker's configuration of acme, as it is now.
    pub fn config(&self) -> DossierConfig {
        self.config.lock().unwrap().clone()
    }

    /// One pass of the worker over what the queues hold.
    pub async fn work_once(&self) {
        let d = OneDossier {
            cfg: self.config(),
            source: &self.source,
            sink: &self.ledger,
        };
        let _ = self.world.pipeline.work_once(&d).await;
    }

    /// Works until the queues stay empty for a moment.
    pub async fn work_until_idle(&self) {
        let d = OneDossier {
            cfg: self.config(),
            source: &self.source,
            sink: &self.ledger,
        };
        self.world
            .pipeline
            .run_until_idle(&d, Duration::from_millis(200), Duration::from_secs(30))
            .await
            .expect("the worker");
    }
}

/// Runs what the console launches in a task of its own, as `serve`'s launcher does.
struct Spawner(Arc<Live>);

impl Launcher for Spawner {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        let live = self.0.clone();
        live.launches.fetch_add(1, SeqCst);
        let Launch::Run {
            run_id,
            dossier,
            from,
            to,
            trigger,
        } = what
        else {
            return Err("only runs are launched from the console".into());
        };
        tokio::spawn(async move {
            let cfg = live.config();
            assert_eq!(cfg.id, dossier, "only acme has a source here");
            let window = PullWindow { from, to };
            let _ = live
                .pipeline()
                .start_run(&cfg, &live.source, window, &run_id, &trigger)
                .await;
        });
        Ok(())
    }
}

/// The console's answer to one HTTP request, translated as `serve` does.
async fn answer(
    live: Arc<Live>,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let request = web_console::Request {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
            .collect(),
        body: body.to_vec(),
        peer: peer.ip().to_string(),
    };
    let launcher = Spawner(live.clone());
    let r = web_console::handle(&live.world.site, live.pipeline(), &launcher, None, request).await;
    let mut response = hyper::Response::new(Full::new(Bytes::from(r.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(r.status).unwrap();
    for (k, v) in r.headers {
        response.headers_mut().append(
            hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            hyper::header::HeaderValue::from_str(&v).unwrap(),
        );
    }
    Ok(response)
}

/// The console served on a free 127.0.0.1 port, with its worker; both stop with the value.
pub struct Server {
    pub live: Arc<Live>,
    pub base: String,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Server {
    /// Serves the harness's world; acme's source holds `docs`, pulled in about 2 s.
    pub async fn start(docs: Vec<SourceDocument>) -> Server {
        let World {
            site,
            pipeline,
            launcher,
        } = World::new();
        let config = site.dossiers[0].config.clone();
        // "Tester la connexion": a chart that lacks the first account acme books on.
        let missing = domain::chart::ledger::dossier_accounts(&config)[0]
            .0
            .clone();
        let tester =
            crate::harness::connection::tester(config.clone(), Box::leak(missing.into_boxed_str()));
        let world = World {
            site: site.with_tester(tester),
            pipeline,
            launcher,
        };
        let live = Arc::new(Live {
            world,
            source: SlowSource {
                inner: FakeSource::new(docs, 0, 1),
                delay: Duration::from_millis(2500),
            },
            ledger: FakeLedger::new(0, 1),
            config: Mutex::new(config),
            launches: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1 for the console");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = live.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let live = served.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| answer(live.clone(), peer, req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        let worked = live.clone();
        let worker = tokio::spawn(async move {
            loop {
                worked.work_once().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Server {
            live,
            base,
            tasks: vec![server, worker],
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The first of `names` found on the PATH (or as a path).
fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        if name.starts_with('/') {
            return Path::new(name).is_file().then(|| PathBuf::from(name));
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// A chromedriver process (in a process group of its own, so that the Chromium it starts goes
/// with it) and the WebDriver session on it.
pub struct Driver {
    pub client: Client,
    child: Child,
}

/// Kills chromedriver's process group by its PID (chromedriver leads it), then reaps it.
struct Reaper(u32);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        drop(Reaper(self.child.id()));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1 for chromedriver")
        .port()
}

impl Driver {
    /// Starts chromedriver and a headless Chromium of 1280×800.
    pub async fn start() -> Driver {
        let driver = find(&["chromedriver", "/usr/lib/chromium/chromedriver"])
            .unwrap_or_else(|| panic!("chromedriver not found: {SETUP}"));
        let chromium = find(&[
            "/usr/lib/chromium/chromium",
            "chromium",
            "chromium-browser",
            "google-chrome",
        ])
        .unwrap_or_else(|| panic!("chromium not found: {SETUP}"));
        let port = free_port();
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{} could not start: {e}; {SETUP}", driver.display()));
        let reaper = Reaper(child.id());
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromedriver exited ({status}) before listening; {SETUP}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen on 127.0.0.1:{port} within 20 s; {SETUP}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                    "--window-size=1280,800", "--disable-gpu", "--no-first-run",
                ],
                // What a French browser sends (the console would answer in English otherwise).
                "prefs": { "intl.accept_languages": "fr-FR,fr" },
            }
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("no Chromium session from chromedriver: {e}; {SETUP}"));
        std::mem::forget(reaper);
        Driver { client, child }
    }

    /// Ends the session (Chromium exits), then chromedriver.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }

    /// Opens the login page, types `name` and `password`, and signs in.
    pub async fn log_in(&self, server: &Server, name: &str, password: &str) {
        let c = &self.client;
        c.goto(&server.url("/console/login")).await.unwrap();
        c.find(Locator::Id("name"))
            .await
            .unwrap()
            .send_keys(name)
            .await
            .unwrap();
        c.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(password)
            .await
            .unwrap();
        self.click_and_load(Locator::Css("form[action$='/login'] button[type=submit]"))
            .await;
    }

    /// Clicks what `locator` finds and returns once the *next* page has loaded. Waiting for an
    /// element is not enough when the old page has it too (the login page re-rendered with its
    /// error has the same `h1`): the page is marked first and the wait is for an unmarked one.
    pub async fn click_and_load(&self, locator: Locator<'_>) {
        let c = &self.client;
        c.execute("window.__passerelle_old_page = true;", vec![])
            .await
            .unwrap();
        c.find(locator).await.unwrap().click().await.unwrap();
        for _ in 0..200 {
            let loaded = c
                .execute(
                    "return window.__passerelle_old_page !== true \
                     && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page after the click did not load within 10 s");
    }

    /// Signs in with the harness's password and checks that the dossiers page opened.
    pub async fn logged_in(&self, server: &Server, name: &str) {
        self.log_in(server, name, PASSWORD).await;
        let url = self.client.current_url().await.unwrap();
        assert_eq!(
            url.path(),
            "/console/",
            "login of {name} did not reach the dossiers"
        );
    }

    /// The HTTP status of the page shown (Navigation Timing's `responseStatus`).
    pub async fn status(&self) -> u64 {
        self.client
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus;",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .expect("a response status")
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Saves a PNG of the window to `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

/// `target/screenshots` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

/// Waits up to `secs` for `check` to hold, re-checking every 200 ms.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
