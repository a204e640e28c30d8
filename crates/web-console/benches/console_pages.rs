//! How long the console takes to answer its pages over the real SQLite record store with 50
//! dossiers and 100,000 integration-log lines (acceptance 4 of issue 18: under 100 ms).
//!
//! Run: `cargo bench -p web-console --bench console_pages` (figures in BENCHMARKS.md).
//! `PASSERELLE_BENCH_RENDERS` sets how many times each page is rendered (default 30).
//!
//! The data: 50 dossiers; the first holds 51,000 log lines and each other one 1,000 (100,000 in
//! all), spread over the last 25 days, 2 % errors and 8 % warnings; 200 documents per dossier
//! (10,000, a tenth held or rejected) and 30 runs per dossier (1,500). The store is
//! `SqliteStore::in_memory()`: the same schema, indexes and SQL as the file the local runtime
//! opens, without the disk (the fill would otherwise wait for 100,000 fsyncs).

use std::time::{Duration as Elapsed, Instant};

use app::memory::{MemoryBlobs, MemoryQueue};
use app::ports::{
    IntegrationLog, LogEvent, ObjectKind, Record, RecordStore, Severity, SystemClock,
};
use app::usecases::Pipeline;
use app::usecases::records::{
    Content, DocState, DocumentRecord, Outbox, RUN_PK, RunRecord, RunState, doc_pk,
};
use chrono::{Duration, Utc};
use local::SqliteStore;
use web_console::{DossierInfo, Request, Role, Site, User, Users, hash_password};
use webhook::{Launch, Launcher};

type BenchPipeline = Pipeline<SqliteStore, MemoryBlobs, MemoryQueue, SystemClock>;

const DOSSIERS: usize = 50;
const BIG: usize = 51_000;
const SMALL: usize = 1_000;
const DOCS: usize = 200;
const RUNS: usize = 30;
const PASSWORD: &str = "benchmark password, long enough";

struct NoLaunch;

impl Launcher for NoLaunch {
    async fn launch(&self, _: Launch) -> Result<(), String> {
        Err("the benchmark runs nothing".into())
    }
}

fn main() {
    let renders: usize = std::env::var("PASSERELLE_BENCH_RENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(renders));
}

fn id(i: usize) -> String {
    format!("d{i:02}")
}

async fn fill(pipeline: &BenchPipeline) {
    let now = Utc::now();
    let started = Instant::now();
    let mut lines = 0;
    for d in 0..DOSSIERS {
        let n = if d == 0 { BIG } else { SMALL };
        let step = Duration::days(25).num_seconds() / n as i64;
        for i in 0..n {
            let severity = match i % 50 {
                0 => Severity::Error,
                1..=4 => Severity::Warning,
                _ => Severity::Info,
            };
            let event = LogEvent {
                at: now - Duration::days(25) + Duration::seconds(step * i as i64),
                dossier: id(d),
                object: ObjectKind::Document,
                object_id: format!("sellsy:sales_invoice:{}", 10_000 + i),
                severity,
                message: format!("facture F-{i} : {}", severity.as_str()),
                action: "no action needed".into(),
                run: None,
            };
            pipeline.log().record(event).await.expect("log line");
            lines += 1;
        }
        for k in 0..DOCS {
            let state = match k % 20 {
                0 => DocState::Held,
                1 => DocState::Rejected,
                _ => DocState::Pushed,
            };
            let key = format!("sellsy:sales_invoice:{}", 10_000 + k);
            let doc = DocumentRecord {
                dossier: id(d),
                key: key.clone(),
                state,
                reason: Some("account 706100 missing".into()),
                action: Some("create account 706100 in the ledger".into()),
                content_hash: "00".into(),
                content: Content::Unread(app::ports::ProblemSubject::JournalLine {
                    source: "sellsy".into(),
                    id: key.clone(),
                    date: None,
                }),
                changed_hash: None,
                entry: None,
                pdf_key: None,
                pdf_sha256: None,
                outbox: Outbox::default(),
                ledger_id: None,
                updated_at: now,
            };
            let record = Record::new(doc_pk(&id(d)), key, doc.to_data());
            pipeline.store.create(&record).await.expect("document");
        }
        for r in 0..RUNS {
            let at = now - Duration::days((RUNS - r) as i64);
            let run = RunRecord {
                id: format!("nightly-{}-{}", at.format("%Y%m%d"), id(d)),
                dossier: id(d),
                trigger: "schedule".into(),
                window_from: at.date_naive(),
                window_to: at.date_naive(),
                state: RunState::Pulled,
                started_at: at,
                queued_at: None,
                finished_at: Some(at + Duration::minutes(2)),
                pulled: 12,
                new: 3,
                unchanged: 9,
                changed: 0,
                modified_after_copy: 0,
                error: None,
            };
            let record = Record::new(RUN_PK, run.id.clone(), run.to_data());
            pipeline.store.create(&record).await.expect("run");
        }
    }
    println!(
        "filled {DOSSIERS} dossiers: {lines} log lines, {} documents, {} runs in {:.1} s",
        DOSSIERS * DOCS,
        DOSSIERS * RUNS,
        started.elapsed().as_secs_f64()
    );
}

fn site() -> Site {
    let dossiers = (0..DOSSIERS)
        .map(|d| {
            let mut config = domain::testkit::example_config();
            config.id = id(d);
            config.name = format!("Dossier {d}");
            config.mail.slug = id(d);
            DossierInfo {
                config,
                ledger: "fec".into(),
                has_source: true,
            }
        })
        .collect();
    let user = User {
        name: "alice".into(),
        password_hash: hash_password(PASSWORD).expect("hash"),
        role: Role::Admin,
        dossiers: vec![],
    };
    Site::new(
        Users(vec![user]),
        dossiers,
        vec!["collecte.example.fr".into()],
    )
}

fn request(method: &str, path: &str, cookie: &str, body: String) -> Request {
    Request {
        method: method.into(),
        path: path.into(),
        headers: vec![("Cookie".into(), cookie.into())],
        body: body.into_bytes(),
        peer: "192.0.2.1".into(),
    }
}

/// Logs in; returns the session cookie.
async fn log_in(site: &Site, pipeline: &BenchPipeline) -> String {
    let page = web_console::handle(
        site,
        pipeline,
        &NoLaunch,
        None,
        request("GET", "/console/login", "", String::new()),
    )
    .await;
    let token = {
        let at = page
            .body
            .find("name=\"csrf\" value=\"")
            .expect("login form")
            + 19;
        page.body[at..at + page.body[at..].find('"').unwrap()].to_string()
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf", token.as_str()),
            ("name", "alice"),
            ("password", PASSWORD),
        ])
        .finish();
    let cookie = format!("pl_login={token}");
    let r = web_console::handle(
        site,
        pipeline,
        &NoLaunch,
        None,
        request("POST", "/console/login", &cookie, body),
    )
    .await;
    assert_eq!(r.status, 303, "login: {}", r.body);
    let set = r.header("Set-Cookie").expect("session cookie");
    set.split(';').next().unwrap().to_string()
}

async fn run(renders: usize) {
    let store = SqliteStore::in_memory().expect("sqlite");
    let pipeline = Pipeline::new(store, MemoryBlobs::new(), MemoryQueue::new(), SystemClock);
    fill(&pipeline).await;
    let site = site();
    let cookie = log_in(&site, &pipeline).await;
    let next = Some(Utc::now() + Duration::hours(6));
    let pages = [
        ("dossiers page (50 rows)", "/console/".to_string()),
        (
            "dossier page, 51,000-line dossier",
            format!("/console/dossiers/{}", id(0)),
        ),
        (
            "  … errors only",
            format!("/console/dossiers/{}?severity=error", id(0)),
        ),
        (
            "  … warnings and errors",
            format!("/console/dossiers/{}?severity=warning", id(0)),
        ),
        (
            "  … text \"F-4242\" (11 lines)",
            format!("/console/dossiers/{}?q=F-4242", id(0)),
        ),
        // Every line of every dossier holds "facture": the text index finds 100,000.
        (
            "  … text \"facture\" (every line)",
            format!("/console/dossiers/{}?q=facture", id(0)),
        ),
        (
            "  … text \"F-\" (2 characters: a scan)",
            format!("/console/dossiers/{}?q=F-", id(0)),
        ),
        (
            "dossier page, 1,000-line dossier",
            format!("/console/dossiers/{}", id(7)),
        ),
        (
            "  … errors only",
            format!("/console/dossiers/{}?severity=error", id(7)),
        ),
    ];
    println!("{renders} renders of each page (after one warm-up render):");
    println!(
        "{:<42} {:>9} {:>9} {:>9} {:>8}",
        "page", "median", "p95", "max", "lines"
    );
    for (name, path) in pages {
        let get = || request("GET", &path, &cookie, String::new());
        let warm = web_console::handle(&site, &pipeline, &NoLaunch, next, get()).await;
        assert_eq!(warm.status, 200, "{path}: {}", warm.body);
        let lines = warm.body.matches("<tr class=\"sev-").count();
        let mut times: Vec<Elapsed> = Vec::with_capacity(renders);
        for _ in 0..renders {
            let started = Instant::now();
            let r = web_console::handle(&site, &pipeline, &NoLaunch, next, get()).await;
            times.push(started.elapsed());
            assert_eq!(r.status, 200);
        }
        times.sort();
        let at =
            |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
        let ms = |d: Elapsed| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        println!(
            "{name:<42} {:>9} {:>9} {:>9} {lines:>8}",
            ms(at(0.5)),
            ms(at(0.95)),
            ms(*times.last().unwrap())
        );
    }
}
