//! A 429's `Retry-After` is honoured in both forms RFC 9110 §10.2.3 allows: delay-seconds and
//! an HTTP date. The retry is not sent before the date.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::ports::Secret;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The first request is refused with `429` and `Retry-After` set by `value` (given the time of
/// the answer, in unix seconds); the next ones get an empty page. Records when each arrived and
/// the instant the server asked to wait for.
#[derive(Clone)]
struct Throttled {
    value: fn(u64) -> (String, SystemTime),
    seen: Arc<Mutex<Vec<SystemTime>>>,
    asked: Arc<Mutex<Option<SystemTime>>>,
}

impl Respond for Throttled {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let now = SystemTime::now();
        let mut seen = self.seen.lock().unwrap();
        seen.push(now);
        if seen.len() > 1 {
            return ResponseTemplate::new(200).set_body_json(empty_page());
        }
        let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let (header, until) = (self.value)(secs);
        *self.asked.lock().unwrap() = Some(until);
        ResponseTemplate::new(429)
            .insert_header("retry-after", header.as_str())
            .set_body_json(json!({"error": {"code": 429, "message": "Too many requests"}}))
    }
}

fn empty_page() -> Value {
    json!({"pagination": {"limit": 100, "count": 0, "total": 0, "offset": null}, "data": []})
}

/// An IMF-fixdate (RFC 9110 §5.6.7) three seconds after `secs`: between two and three seconds
/// ahead, whole seconds only.
fn date_in_3s(secs: u64) -> (String, SystemTime) {
    let at = UNIX_EPOCH + Duration::from_secs(secs + 3);
    let text = chrono::DateTime::<chrono::Utc>::from(at)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    (text, at)
}

fn seconds_2(secs: u64) -> (String, SystemTime) {
    // `secs` is the answer's time rounded down: the wait ends at least 2 s after the answer.
    ("2".into(), UNIX_EPOCH + Duration::from_secs(secs + 2))
}

/// Runs `reference_data` (three listings) against a mock whose first listing is throttled;
/// returns when the retry arrived and the instant the server asked for.
async fn retried(value: fn(u64) -> (String, SystemTime)) -> (SystemTime, SystemTime) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/access-tokens"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "mock-token"}),
        ))
        .mount(&server)
        .await;
    let throttled = Throttled {
        value,
        seen: Arc::default(),
        asked: Arc::default(),
    };
    Mock::given(method("GET"))
        .and(path("/v2/accounting-codes"))
        .respond_with(throttled.clone())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/taxes/accounting-codes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(empty_page()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/settings/accounting-charts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let mut cfg = sellsy::SellsyConfig::new("id", Secret::new("secret")).with_base_urls(
        format!("{}/v2", server.uri()),
        format!("{}/oauth2/access-tokens", server.uri()),
    );
    // Short backoffs: only the server's wait can explain a retry seconds later.
    cfg.retry.base_delay = Duration::from_millis(5);
    let c = sellsy::SellsyClient::new(cfg).unwrap();
    c.reference_data().await.unwrap();
    assert_eq!(c.stats().throttled_429, 1);
    let seen = throttled.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one refusal, one retry");
    let asked = throttled.asked.lock().unwrap().unwrap();
    (seen[1], asked)
}

#[tokio::test]
async fn a_429_with_an_http_date_is_waited_for() {
    let (retry, asked) = retried(date_in_3s).await;
    assert!(
        retry >= asked,
        "retried {:?} before the date Sellsy gave",
        asked.duration_since(retry).unwrap()
    );
}

#[tokio::test]
async fn a_429_with_delay_seconds_is_waited_for() {
    let (retry, asked) = retried(seconds_2).await;
    assert!(
        retry >= asked,
        "retried {:?} before the delay Sellsy gave",
        asked.duration_since(retry).unwrap()
    );
}
