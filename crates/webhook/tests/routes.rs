//! The trigger routes over the in-memory adapters and a launcher that records what it is asked
//! to start: every status of `/sync`, `/runs/{id}` and `/sellsy/{dossier}`, and that a refused
//! request starts nothing and writes no run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{Clock, DocRef, DocRefKind, PullWindow, RecordStore};
use app::testing::fakes::FakeSource;
use app::usecases::records::RUN_PK;
use app::usecases::{Pipeline, RunState};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::config::DossierConfig;
use serde_json::{Value, json};
use webhook::{
    HttpRequest, HttpResponse, Launch, Launcher, MAX_BODY, Secret, Secrets, handle, sign,
};

const SYNC_SECRET: &str = "whsec-test";
const SELLSY_KEY: &str = "sellsy-sign-key";

/// A clock the test moves.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Records launches; refuses them when `fail` is set.
#[derive(Default)]
struct Recorder {
    launched: Mutex<Vec<Launch>>,
    fail: AtomicBool,
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

struct Fixture {
    pipeline: Pipeline<MemoryStore, MemoryBlobs, MemoryQueue, TestClock>,
    dossiers: Vec<DossierConfig>,
    secrets: Secrets,
    launcher: Recorder,
}

fn now0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 9, 30, 0).unwrap()
}

fn fixture() -> Fixture {
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
    async fn send(&self, req: HttpRequest) -> HttpResponse {
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
    async fn sync(&self, body: Value) -> HttpResponse {
        self.send(sync_request(&body, self.now())).await
    }

    /// `GET path` signed now.
    async fn get(&self, path: &str) -> HttpResponse {
        self.send(signed("GET", path, b"", SYNC_SECRET, self.now()))
            .await
    }

    fn now(&self) -> i64 {
        self.pipeline.now().timestamp()
    }

    fn launches(&self) -> Vec<Launch> {
        self.launcher.launched.lock().unwrap().clone()
    }

    async fn runs(&self) -> usize {
        self.pipeline
            .store
            .query(RUN_PK, None, None, usize::MAX)
            .await
            .unwrap()
            .len()
    }

    /// Asserts nothing was started nor recorded.
    async fn assert_nothing_started(&self) {
        assert_eq!(
            self.launches(),
            vec![],
            "a refused request launched something"
        );
        assert_eq!(self.runs().await, 0, "a refused request wrote a run");
    }
}

fn signed(method: &str, path: &str, body: &[u8], secret: &str, ts: i64) -> HttpRequest {
    let signed_body: &[u8] = if body.is_empty() {
        path.as_bytes()
    } else {
        body
    };
    let mut headers: Vec<(String, String)> = sign(secret.as_bytes(), ts, signed_body).into();
    headers.push(("Content-Type".into(), "application/json".into()));
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers,
        body: body.to_vec(),
    }
}

fn sync_request(body: &Value, ts: i64) -> HttpRequest {
    signed(
        "POST",
        "/sync",
        &serde_json::to_vec(body).unwrap(),
        SYNC_SECRET,
        ts,
    )
}

fn assert_refusal(resp: &HttpResponse, status: u16, error_contains: &str) {
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

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Known answer computed independently:
    // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec-test",
    //   b"1767225600.{\"dossier\": \"acme\"}", hashlib.sha256).hexdigest())'
    let [ts, sig] = sign(b"whsec-test", 1_767_225_600, br#"{"dossier": "acme"}"#);
    assert_eq!(
        ts,
        (
            "X-Passerelle-Timestamp".to_string(),
            "1767225600".to_string()
        )
    );
    assert_eq!(
        sig,
        (
            "X-Passerelle-Signature".to_string(),
            "v1=8c76347181ca50c99ff975996ef349d16c70544cdfe62940e9985fe8e6268937".to_string()
        )
    );
}

#[test]
fn launch_serialises_as_the_pull_function_event() {
    let run = Launch::Run {
        run_id: "sync-1".into(),
        dossier: "acme".into(),
        from: date("2026-01-01"),
        to: date("2026-01-31"),
        trigger: "http /sync".into(),
    };
    let v = serde_json::to_value(&run).unwrap();
    assert_eq!(
        v,
        json!({"kind": "run", "run_id": "sync-1", "dossier": "acme", "from": "2026-01-01",
               "to": "2026-01-31", "trigger": "http /sync"})
    );
    assert_eq!(serde_json::from_value::<Launch>(v).unwrap(), run);
    let refetch = Launch::Refetch {
        dossier: "acme".into(),
        doc: DocRef {
            kind: DocRefKind::CreditNote,
            id: 12,
        },
    };
    let v = serde_json::to_value(&refetch).unwrap();
    assert_eq!(
        v,
        json!({"kind": "refetch", "dossier": "acme", "doc": {"kind": "credit_note", "id": 12}})
    );
    assert_eq!(serde_json::from_value::<Launch>(v).unwrap(), refetch);
}

#[tokio::test]
async fn a_signed_sync_queues_one_run_and_launches_it() {
    let f = fixture();
    let body = json!({"dossier": "acme", "from": "2026-01-01", "to": "2026-01-31"});
    let resp = f.send(sync_request(&body, f.now())).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let run_id = resp.body["run_id"].as_str().expect("run_id").to_string();
    assert_eq!(resp.body["status_url"], json!(format!("/runs/{run_id}")));
    assert_eq!(resp.body["state"], json!("queued"));

    let run = f.pipeline.run(&run_id).await.unwrap().expect("the run");
    assert_eq!(run.state, RunState::Queued);
    assert_eq!(run.dossier, "acme");
    assert_eq!(
        (run.window_from, run.window_to),
        (date("2026-01-01"), date("2026-01-31"))
    );
    assert_eq!(run.queued_at, Some(now0()));
    assert_eq!(f.runs().await, 1);
    assert_eq!(
        f.launches(),
        vec![Launch::Run {
            run_id,
            dossier: "acme".into(),
            from: date("2026-01-01"),
            to: date("2026-01-31"),
            trigger: "http /sync".into(),
        }]
    );
}

#[tokio::test]
async fn the_window_defaults_to_the_start_date_through_today() {
    let f = fixture();
    let resp = f.sync(json!({"dossier": "acme"})).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let launched = f.launches();
    let [Launch::Run { from, to, .. }] = launched.as_slice() else {
        panic!("one run launched: {launched:?}");
    };
    assert_eq!(*from, f.dossiers[0].start_date);
    // Today wherever the dossier is (UTC+14 at most): 2026-02-10 09:30 UTC is the 10th in Paris.
    assert_eq!(*to, date("2026-02-10"));
}

#[tokio::test]
async fn unsigned_and_badly_signed_syncs_are_refused() {
    let f = fixture();
    let body = serde_json::to_vec(&json!({"dossier": "acme"})).unwrap();

    let unsigned = HttpRequest {
        method: "POST".into(),
        path: "/sync".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.clone(),
    };
    assert_refusal(&f.send(unsigned).await, 401, "not signed");

    let wrong_secret = signed("POST", "/sync", &body, "not-the-secret", f.now());
    assert_refusal(&f.send(wrong_secret).await, 401, "invalid signature");

    // A valid signature over another body.
    let mut tampered = sync_request(&json!({"dossier": "acme"}), f.now());
    tampered.body = serde_json::to_vec(&json!({"dossier": "acme", "from": "2026-01-02"})).unwrap();
    assert_refusal(&f.send(tampered).await, 401, "invalid signature");

    let mut no_prefix = sync_request(&json!({"dossier": "acme"}), f.now() + 1);
    for (k, v) in &mut no_prefix.headers {
        if k == "X-Passerelle-Signature" {
            *v = v.trim_start_matches("v1=").to_string();
        }
    }
    assert_refusal(&f.send(no_prefix).await, 401, "invalid signature");

    let mut not_a_time = sync_request(&json!({"dossier": "acme"}), f.now());
    not_a_time.headers[0].1 = "yesterday".into();
    assert_refusal(&f.send(not_a_time).await, 401, "not a number");

    f.assert_nothing_started().await;
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let f = fixture();
    let body = json!({"dossier": "acme"});
    let old = sync_request(&body, f.now() - 6 * 60);
    assert_refusal(&f.send(old).await, 401, "behind");
    let future = sync_request(&body, f.now() + 6 * 60);
    assert_refusal(&f.send(future).await, 401, "ahead of");
    f.assert_nothing_started().await;

    // 4 minutes either way is inside the window.
    let resp = f.send(sync_request(&body, f.now() - 4 * 60)).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let resp = f.send(sync_request(&body, f.now() + 4 * 60)).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(f.launches().len(), 2);
}

#[tokio::test]
async fn a_replayed_request_is_refused_inside_the_window() {
    let f = fixture();
    let req = sync_request(&json!({"dossier": "acme"}), f.now());
    let first = f.send(req.clone()).await;
    assert_eq!(first.status, 202, "{:?}", first.body);
    // The same bytes again a minute later, still inside the 5-minute window.
    *f.pipeline.clock.0.lock().unwrap() += chrono::Duration::seconds(60);
    let replay = f.send(req).await;
    assert_refusal(&replay, 401, "replayed");
    assert_eq!(f.launches().len(), 1, "the replay launched a second run");
    assert_eq!(f.runs().await, 1, "the replay wrote a second run");
}

#[tokio::test]
async fn header_names_are_case_insensitive() {
    let f = fixture();
    let mut req = sync_request(&json!({"dossier": "acme"}), f.now());
    for (k, _) in &mut req.headers {
        *k = k.to_ascii_lowercase();
    }
    let resp = f.send(req).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
}

#[tokio::test]
async fn no_sync_secret_refuses_everything() {
    let mut f = fixture();
    f.secrets.sync = None;
    let resp = f.sync(json!({"dossier": "acme"})).await;
    assert_refusal(&resp, 401, "no sync secret");
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn an_unknown_dossier_is_404() {
    let f = fixture();
    let resp = f.sync(json!({"dossier": "globex"})).await;
    assert_refusal(&resp, 404, "no dossier 'globex'");
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn an_oversized_body_is_413_before_the_signature_is_looked_at() {
    let f = fixture();
    let filler = "x".repeat(65 * 1024);
    let body = json!({"dossier": "acme", "note": filler});
    assert!(serde_json::to_vec(&body).unwrap().len() > MAX_BODY);
    let resp = f.send(sync_request(&body, f.now())).await;
    assert_refusal(&resp, 413, "at most 65536");
    let mut unsigned = sync_request(&body, f.now());
    unsigned.headers.clear();
    assert_refusal(&f.send(unsigned).await, 413, "at most 65536");
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn malformed_json_and_bad_windows_are_400() {
    let f = fixture();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{\"dossier\": \"acme\"".to_vec(), "not a sync request"),
        (b"".to_vec(), "not a sync request"),
        (b"[1, 2]".to_vec(), "not a sync request"),
        (
            br#"{"dossier": "acme", "from": "2026-13-01"}"#.to_vec(),
            "not a sync request",
        ),
        (
            br#"{"dossier": "acme", "form": "2026-01-01"}"#.to_vec(),
            "unknown field",
        ),
        (
            br#"{"dossier": "acme", "from": "2026-02-01", "to": "2026-01-01"}"#.to_vec(),
            "is empty",
        ),
        (
            br#"{"dossier": "acme", "to": "2025-06-30"}"#.to_vec(),
            "is empty",
        ),
    ];
    for (i, (body, says)) in cases.into_iter().enumerate() {
        // Each request signed anew (a new second), as a client would.
        let req = signed("POST", "/sync", &body, SYNC_SECRET, f.now() + i as i64);
        assert_refusal(&f.send(req).await, 400, says);
    }
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn a_launcher_failure_is_503_and_the_run_is_marked_failed() {
    let f = fixture();
    f.launcher.fail.store(true, Ordering::SeqCst);
    let resp = f.sync(json!({"dossier": "acme"})).await;
    assert_refusal(&resp, 503, "could not be started");
    let run_id = resp.body["run_id"].as_str().expect("run_id");
    let run = f.pipeline.run(run_id).await.unwrap().expect("the run");
    assert_eq!(run.state, RunState::Failed);
    assert!(run.error.unwrap().contains("could not be invoked"));
}

#[tokio::test]
async fn get_run_shows_the_state_and_the_log_lines() {
    let f = fixture();
    let resp = f
        .sync(json!({"dossier": "acme", "from": "2026-01-01", "to": "2026-12-31"}))
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let run_id = resp.body["run_id"].as_str().unwrap().to_string();
    let path = format!("/runs/{run_id}");

    // Queued: no pull yet. Polled twice in the same second (the same signature): a read is
    // never refused as a replay.
    for _ in 0..2 {
        let resp = f.get(&path).await;
        assert_eq!(resp.status, 200, "{:?}", resp.body);
        assert_eq!(resp.body["run"]["state"], json!("queued"));
    }

    // What the pull function does with the launch.
    let launched = f.launches();
    let [
        Launch::Run {
            from, to, trigger, ..
        },
    ] = launched.as_slice()
    else {
        panic!("one run launched: {launched:?}");
    };
    let source = FakeSource::new(domain::testkit::invoices(40, 2, 3), 0, 1);
    let cfg = &f.dossiers[0];
    let window = PullWindow {
        from: *from,
        to: *to,
    };
    let run = f
        .pipeline
        .start_run(cfg, &source, window, &run_id, trigger)
        .await
        .unwrap();
    assert_eq!(run.state, RunState::Pulled);
    assert_eq!(run.pulled, 40);

    *f.pipeline.clock.0.lock().unwrap() += chrono::Duration::seconds(2);
    let resp = f.get(&path).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    let body = &resp.body;
    assert_eq!(body["run"]["id"], json!(run_id));
    assert_eq!(body["run"]["state"], json!("pulled"));
    assert_eq!(body["run"]["pulled"], json!(run.pulled));
    assert_eq!(body["run"]["new"], json!(run.pulled));
    assert_eq!(body["run"]["window_from"], json!("2026-01-01"));
    assert_eq!(body["log_truncated"], json!(false));
    let messages: Vec<&str> = body["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages[0].starts_with("run queued"), "{messages:?}");
    assert!(messages[1].starts_with("run started"), "{messages:?}");
    assert!(
        messages[2].starts_with(&format!("pulled {} documents", run.pulled)),
        "{messages:?}"
    );
    for line in body["log"].as_array().unwrap() {
        assert_eq!(line["run"], json!(run_id));
        assert!(line["action"].as_str().is_some());
    }
}

#[tokio::test]
async fn a_run_left_running_for_over_an_hour_is_reported_as_interrupted() {
    let f = fixture();
    let resp = f.sync(json!({"dossier": "acme"})).await;
    let run_id = resp.body["run_id"].as_str().unwrap().to_string();
    let path = format!("/runs/{run_id}");
    let resp = f.get(&path).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    assert!(resp.body.get("warning").is_none(), "{:?}", resp.body);
    // The launch was lost: an hour later the run is still queued.
    *f.pipeline.clock.0.lock().unwrap() += chrono::Duration::minutes(61);
    let resp = f.get(&path).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    let warning = resp.body["warning"].as_str().expect("a warning");
    assert!(warning.contains("queued for 61 minutes"), "{warning}");
    assert!(resp.body["action"].as_str().unwrap().contains("POST /sync"));
}

#[tokio::test]
async fn get_run_refuses_unsigned_and_other_paths_signatures_and_404s_unknown_ids() {
    let f = fixture();
    let resp = f
        .send(HttpRequest {
            method: "GET".into(),
            path: "/runs/abc".into(),
            ..HttpRequest::default()
        })
        .await;
    assert_refusal(&resp, 401, "not signed");

    // Signed for another run: the path is the signed body.
    let mut other = signed("GET", "/runs/other", b"", SYNC_SECRET, f.now());
    other.path = "/runs/abc".into();
    assert_refusal(&f.send(other).await, 401, "invalid signature");

    let resp = f.get("/runs/abc").await;
    assert_refusal(&resp, 404, "no run 'abc'");

    // A query string is not part of the route nor of the signed path.
    let mut with_query = signed("GET", "/runs/abc", b"", SYNC_SECRET, f.now() + 1);
    with_query.path = "/runs/abc?verbose=1".into();
    assert_refusal(&f.send(with_query).await, 404, "no run 'abc'");
}

fn sellsy_request(dossier: &str, body: &Value, key: &str) -> HttpRequest {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = sellsy::webhook::signature(&Secret::new(key), &raw);
    HttpRequest {
        method: "POST".into(),
        path: format!("/sellsy/{dossier}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-webhook-signature".into(), sig),
        ],
        body: raw,
    }
}

fn invoice_event() -> Value {
    json!({"eventType": "docslog", "event": "step", "relatedtype": "invoice",
           "relatedid": "4711", "timestamp": "1770715800",
           "ownerid": 1, "relatedobject": {"status": "paid", "amount": "1000000"}})
}

#[tokio::test]
async fn a_sellsy_webhook_about_an_invoice_schedules_a_refetch() {
    let f = fixture();
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: 4711,
    };
    assert_eq!(resp.body["refetch"], serde_json::to_value(doc).unwrap());
    assert_eq!(
        f.launches(),
        vec![Launch::Refetch {
            dossier: "acme".into(),
            doc
        }]
    );
    // A webhook never writes a run.
    assert_eq!(f.runs().await, 0);

    // The same delivery again (Sellsy retrying, or a replay) re-fetches nothing more.
    let again = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert!(again.body["duplicate"].is_string(), "{:?}", again.body);
    assert_eq!(f.launches().len(), 1);

    let credit = json!({"eventType": "docslog", "event": "created",
                        "relatedtype": "creditnote", "relatedid": 12});
    let resp = f.send(sellsy_request("acme", &credit, SELLSY_KEY)).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(f.launches().len(), 2);
}

#[tokio::test]
async fn sellsy_webhooks_with_a_bad_signature_or_an_unknown_dossier_are_refused() {
    let mut f = fixture();
    let bad = sellsy_request("acme", &invoice_event(), "another-key");
    assert_refusal(&f.send(bad).await, 401, "invalid webhook signature");

    let mut unsigned = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    unsigned.headers.pop();
    assert_refusal(&f.send(unsigned).await, 401, "missing");

    let unknown = sellsy_request("globex", &invoice_event(), SELLSY_KEY);
    assert_refusal(&f.send(unknown).await, 404, "no dossier 'globex'");

    let mut big = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    big.body = vec![b' '; MAX_BODY + 1];
    assert_refusal(&f.send(big).await, 413, "at most");

    // A configured dossier without a sign key accepts no webhook.
    f.secrets.sellsy_sign_keys.clear();
    let keyless = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    assert_refusal(&f.send(keyless).await, 404, "no dossier 'acme'");
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn a_sellsy_delivery_whose_launch_failed_is_acted_on_when_it_comes_back() {
    let f = fixture();
    f.launcher.fail.store(true, Ordering::SeqCst);
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_refusal(&resp, 503, "could not be started");
    f.launcher.fail.store(false, Ordering::SeqCst);
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(f.launches().len(), 1);
}

#[tokio::test]
async fn a_form_encoded_sellsy_webhook_is_accepted() {
    // Sellsy's default content type unless the webhook has json_content_type (research §4).
    let f = fixture();
    let raw =
        b"eventType=docslog&event=paymentadd&relatedtype=invoice&relatedid=77&timestamp=1770715800"
            .to_vec();
    let sig = sellsy::webhook::signature(&Secret::new(SELLSY_KEY), &raw);
    let resp = f
        .send(HttpRequest {
            method: "POST".into(),
            path: "/sellsy/acme".into(),
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("X-Webhook-Signature".into(), sig),
            ],
            body: raw,
        })
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(
        f.launches(),
        vec![Launch::Refetch {
            dossier: "acme".into(),
            doc: DocRef {
                kind: DocRefKind::Invoice,
                id: 77
            }
        }]
    );
}

#[tokio::test]
async fn sellsy_webhooks_about_other_objects_are_ignored() {
    let f = fixture();
    let client = json!({"eventType": "client", "event": "updated",
                        "relatedtype": "client", "relatedid": 99});
    let resp = f.send(sellsy_request("acme", &client, SELLSY_KEY)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    assert!(
        resp.body["ignored"].as_str().unwrap().contains("'client'"),
        "{:?}",
        resp.body
    );
    let estimate = json!({"eventType": "docslog", "event": "created",
                          "relatedtype": "estimate", "relatedid": 5});
    let resp = f.send(sellsy_request("acme", &estimate, SELLSY_KEY)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn other_routes_and_methods_are_404_and_405() {
    let f = fixture();
    for path in ["/", "/syncs", "/runs/", "/runs/a/b", "/sellsy", "/admin"] {
        let resp = f
            .send(HttpRequest {
                method: "POST".into(),
                path: path.into(),
                ..HttpRequest::default()
            })
            .await;
        assert_refusal(&resp, 404, "no route");
    }
    for (method, path) in [
        ("GET", "/sync"),
        ("POST", "/runs/abc"),
        ("PUT", "/sellsy/acme"),
    ] {
        let resp = f
            .send(HttpRequest {
                method: method.into(),
                path: path.into(),
                ..HttpRequest::default()
            })
            .await;
        assert_refusal(&resp, 405, "not allowed");
    }
    f.assert_nothing_started().await;
}

#[test]
fn handle_is_send_for_spawning_runtimes() {
    fn assert_send<T: Send>(_: &T) {}
    let f = fixture();
    let fut = handle(
        &f.pipeline,
        &f.dossiers,
        &f.secrets,
        &f.launcher,
        HttpRequest::default(),
    );
    assert_send(&fut);
}

/// The whole webhook path with the real Sellsy client against the simulator (127.0.0.1, a free
/// port): `/sync` → the pull, then Sellsy webhooks → `Pipeline::refetch` through the API. A
/// re-fetched document that did not change must compare equal to what the pull stored (in both
/// modes; in mode journal with its journal lines), or every webhook would re-map documents and
/// hold booked ones as "modified after booking".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sellsy_webhooks_refetch_through_the_sellsy_client_and_see_only_real_changes() {
    use simulators::sellsy::{Kind, Sim, SimConfig};
    let sim = Sim::start(SimConfig {
        invoices: 25,
        credit_notes: 4,
        per_second: 200,
        per_minute: 6000,
        ..SimConfig::default()
    })
    .await
    .expect("the Sellsy simulator could not listen on 127.0.0.1");
    let mut sellsy_cfg =
        sellsy::SellsyConfig::new(sim.client_id(), Secret::new(sim.client_secret()))
            .with_base_urls(sim.api_base(), sim.token_url());
    sellsy_cfg.request_timeout = std::time::Duration::from_secs(5);
    let client = sellsy::SellsyClient::new(sellsy_cfg).expect("a Sellsy client");
    let window = (date("2026-01-01"), date("2026-12-31"));
    let invoice = sim
        .documents(Kind::Invoice)
        .into_iter()
        .find(|d| d.status != "draft" && window.0 <= d.date && d.date <= window.1)
        .expect("a finalized invoice of 2026 in the simulator");
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: invoice.id,
    };

    for (round, mode) in [
        domain::config::Mode::Documents,
        domain::config::Mode::Journal,
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = fixture();
        f.dossiers[0].mode = mode;
        let resp = f
            .sync(json!({"dossier": "acme", "from": window.0, "to": window.1}))
            .await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let launched = f.launches();
        let [
            Launch::Run {
                run_id,
                from,
                to,
                trigger,
                ..
            },
        ] = launched.as_slice()
        else {
            panic!("one run launched: {launched:?}");
        };
        let cfg = f.dossiers[0].clone();
        let window = PullWindow {
            from: *from,
            to: *to,
        };
        let run = f
            .pipeline
            .start_run(&cfg, &client, window, run_id, trigger)
            .await
            .expect("the pull");
        assert_eq!(run.state, RunState::Pulled, "{mode:?}");
        assert!(run.new > 0, "{mode:?}: nothing pulled");

        // Sellsy says the invoice changed (a payment): it did not, as far as the ledger goes.
        let event = json!({"eventType": "docslog", "event": "paymentadd", "relatedtype": "invoice",
                           "relatedid": invoice.id.to_string(), "timestamp": format!("{round}1")});
        let resp = f.send(sellsy_request("acme", &event, SELLSY_KEY)).await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let Some(Launch::Refetch { doc: asked, .. }) = f.launches().pop() else {
            panic!("a re-fetch launched");
        };
        assert_eq!(asked, doc);
        let report = f.pipeline.refetch(&cfg, &client, asked).await.unwrap();
        assert_eq!(
            (report.pulled, report.unchanged, report.changed, report.new),
            (1, 1, 0, 0),
            "{mode:?}: an unchanged invoice re-fetched looks changed"
        );
        let key = format!("sellsy:sales_invoice:{}", invoice.id);
        let stored = f
            .pipeline
            .store
            .get(&app::usecases::records::doc_pk("acme"), &key)
            .await
            .unwrap()
            .expect("the invoice's record");
        let stored = app::usecases::DocumentRecord::from_record(&stored).unwrap();
        let app::usecases::records::Content::Source { journal, .. } = &stored.content else {
            panic!("a Sellsy document");
        };
        assert_eq!(
            journal.is_empty(),
            mode == domain::config::Mode::Documents,
            "{mode:?}: journal lines {}",
            journal.len()
        );

        // Edited in Sellsy (not booked yet): the re-fetch takes the new version.
        assert!(sim.modify_document(Kind::Invoice, invoice.id));
        let event = json!({"eventType": "docslog", "event": "step", "relatedtype": "invoice",
                           "relatedid": invoice.id.to_string(), "timestamp": format!("{round}2")});
        let resp = f.send(sellsy_request("acme", &event, SELLSY_KEY)).await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let report = f.pipeline.refetch(&cfg, &client, doc).await.unwrap();
        assert_eq!(report.changed, 1, "{mode:?}: the edit was not seen");
    }
    let violations = sim.violations();
    assert!(
        violations.is_empty(),
        "requests off the Sellsy spec: {violations:?}"
    );
    sim.stop().await;
}
