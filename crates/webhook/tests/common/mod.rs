//! Shared by the route tests: a movable clock, a recording launcher, signed requests.
#![allow(dead_code)]

pub use std::sync::Mutex;
pub use std::sync::atomic::{AtomicBool, Ordering};

pub use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
pub use app::ports::{Clock, DocRef, DocRefKind, PullWindow, RecordStore};
pub use app::usecases::records::RUN_PK;
pub use app::usecases::{Pipeline, RunState};
pub use chrono::{DateTime, NaiveDate, TimeZone, Utc};
pub use domain::config::DossierConfig;
pub use serde_json::{Value, json};
pub use webhook::{
    HttpRequest, HttpResponse, Launch, Launcher, MAX_BODY, Secret, Secrets, handle, sign,
};

pub const SYNC_SECRET: &str = "whsec-test";
pub const SELLSY_KEY: &str = "sellsy-sign-key";

/// A clock the test moves.
pub struct TestClock(pub Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Records launches; refuses them when `fail` is set.
#[derive(Default)]
pub struct Recorder {
    pub launched: Mutex<Vec<Launch>>,
    pub fail: AtomicBool,
}

impl Launcher for Recorder {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("the pull function could not be invoked (test)".into());
        }
        self.launched.lock().unwrap().push(what);
        Ok(())
    }
}

pub struct Fixture {
    pub pipeline: Pipeline<MemoryStore, MemoryBlobs, MemoryQueue, TestClock>,
    pub dossiers: Vec<DossierConfig>,
    pub secrets: Secrets,
    pub launcher: Recorder,
}

pub fn now0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 9, 30, 0).unwrap()
}

pub fn fixture() -> Fixture {
    let cfg = domain::testkit::example_config();
    assert_eq!(cfg.id, "acme");
    let mut secrets = Secrets {
        sync: Some(Secret::new(SYNC_SECRET)),
        ..Secrets::default()
    };
    secrets
        .sellsy_sign_keys
        .insert("acme".into(), Secret::new(SELLSY_KEY));
    Fixture {
        pipeline: Pipeline::new(
            MemoryStore::new(),
            MemoryBlobs::new(),
            MemoryQueue::new(),
            TestClock(Mutex::new(now0())),
        ),
        dossiers: vec![cfg],
        secrets,
        launcher: Recorder::default(),
    }
}

impl Fixture {
    pub async fn send(&self, req: HttpRequest) -> HttpResponse {
        handle(
            &self.pipeline,
            &self.dossiers,
            &self.secrets,
            &self.launcher,
            req,
        )
        .await
    }

    /// `POST /sync` signed now.
    pub async fn sync(&self, body: Value) -> HttpResponse {
        self.send(sync_request(&body, self.now())).await
    }

    /// `GET path` signed now.
    pub async fn get(&self, path: &str) -> HttpResponse {
        self.send(signed("GET", path, b"", SYNC_SECRET, self.now()))
            .await
    }

    pub fn now(&self) -> i64 {
        self.pipeline.now().timestamp()
    }

    pub fn launches(&self) -> Vec<Launch> {
        self.launcher.launched.lock().unwrap().clone()
    }

    pub async fn runs(&self) -> usize {
        self.pipeline
            .store
            .query(RUN_PK, None, None, usize::MAX)
            .await
            .unwrap()
            .len()
    }

    /// Asserts nothing was started nor recorded.
    pub async fn assert_nothing_started(&self) {
        assert_eq!(
            self.launches(),
            vec![],
            "a refused request launched something"
        );
        assert_eq!(self.runs().await, 0, "a refused request wrote a run");
    }
}

pub fn signed(method: &str, path: &str, body: &[u8], secret: &str, ts: i64) -> HttpRequest {
    let route = path.split('?').next().unwrap_or(path);
    let mut headers: Vec<(String, String)> =
        sign(secret.as_bytes(), ts, method, route, body).into();
    headers.push(("Content-Type".into(), "application/json".into()));
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers,
        body: body.to_vec(),
    }
}

pub fn sync_request(body: &Value, ts: i64) -> HttpRequest {
    signed(
        "POST",
        "/sync",
        &serde_json::to_vec(body).unwrap(),
        SYNC_SECRET,
        ts,
    )
}

pub fn assert_refusal(resp: &HttpResponse, status: u16, error_contains: &str) {
    assert_eq!(resp.status, status, "{:?}", resp.body);
    let error = resp.body["error"].as_str().expect("an error message");
    assert!(
        error.to_lowercase().contains(error_contains),
        "{error:?} does not say {error_contains:?}"
    );
    let action = resp.body["action"].as_str().expect("an action");
    assert!(!action.is_empty());
    let text = resp.body.to_string();
    assert!(!text.contains(SYNC_SECRET) && !text.contains(SELLSY_KEY));
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
