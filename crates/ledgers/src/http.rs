//! What the HTTP sinks share: request pacing (a token bucket that a 429 or an exhausted
//! `ratelimit-remaining` pauses), bounded retries with backoff, and turning an HTTP failure into a
//! [`SinkError`] with the ledger's own message and the action to take.

use std::time::Duration;

use app::ports::{SinkError, SinkErrorKind};
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A rate limit: at most `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

/// Bounded retries inside one sink call; once exhausted the error goes back to the pipeline as
/// `Retryable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (429 and 5xx/timeouts).
    pub attempts: u32,
    /// Backoff after the first retryable failure; doubled each time (0.5, 1, 2, 4 s by default).
    pub backoff: Duration,
    /// Longest wait the sink accepts inside a call (a longer `Retry-After` is handed back).
    pub max_wait: Duration,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn backoff_for(&self, attempt: u32) -> Duration {
        self.backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_wait)
    }
}

/// A token bucket: `requests` tokens, refilled continuously over `per`.
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<Bucket>,
    capacity: f64,
    per_second: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
    paused_until: Option<Instant>,
}

impl Pacer {
    pub fn new(limit: RateLimit) -> Pacer {
        let capacity = f64::from(limit.requests.max(1));
        Pacer {
            state: Mutex::new(Bucket {
                tokens: capacity,
                last: Instant::now(),
                paused_until: None,
            }),
            capacity,
            per_second: capacity / limit.per.as_secs_f64().max(1e-3),
        }
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut b = self.state.lock().await;
                let now = Instant::now();
                let elapsed = now.duration_since(b.last).as_secs_f64();
                b.tokens = (b.tokens + elapsed * self.per_second).min(self.capacity);
                b.last = now;
                match b.paused_until {
                    Some(until) if until > now => until - now,
                    _ => {
                        b.paused_until = None;
                        if b.tokens >= 1.0 {
                            b.tokens -= 1.0;
                            return;
                        }
                        Duration::from_secs_f64((1.0 - b.tokens) / self.per_second)
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends nothing before `wait` has passed (the ledger said so: 429, `ratelimit-reset`).
    pub async fn pause_for(&self, wait: Duration) {
        let mut b = self.state.lock().await;
        let until = Instant::now() + wait;
        if b.paused_until.is_none_or(|u| u < until) {
            b.paused_until = Some(until);
        }
        b.tokens = 0.0;
    }
}

/// `Retry-After` in seconds or as an HTTP date; else Pennylane's `ratelimit-reset` (a unix time).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<f64>()
            && secs.is_finite()
            && secs >= 0.0
        {
            return Some(Duration::from_secs_f64(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(
                at.duration_since(std::time::SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            );
        }
    }
    reset_in(headers)
}

/// Time until `ratelimit-reset` (unix seconds), when the header is there.
pub fn reset_in(headers: &HeaderMap) -> Option<Duration> {
    let reset: u64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)))
}

/// `ratelimit-remaining`, when the header is there.
pub fn remaining(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("ratelimit-remaining")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A transport failure (timeout, connection refused/reset): retryable. The URL holds no secret
/// (tokens travel in headers), but only the kind of failure is kept.
pub fn transport_error(ledger: &str, e: &reqwest::Error) -> SinkError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_decode() || e.is_body() {
        "sent an unreadable answer"
    } else {
        "request failed"
    };
    SinkError::retryable(format!("{ledger} {what}"))
}

/// The response's status, headers and body text (bodies are small JSON documents).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub async fn read(ledger: &str, response: Response) -> Result<Answer, SinkError> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .text()
            .await
            .map_err(|e| transport_error(ledger, &e))?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, ledger: &str) -> Result<T, SinkError> {
        serde_json::from_str(&self.body).map_err(|e| {
            SinkError::retryable(format!(
                "{ledger} answered {} with a body passerelle cannot read: {e}",
                self.status.as_u16()
            ))
        })
    }
}

/// Builds a `SinkError` of `kind` with the status.
pub fn error(
    kind: SinkErrorKind,
    status: Option<u16>,
    message: impl Into<String>,
    action: impl Into<String>,
    retry_after: Option<Duration>,
) -> SinkError {
    SinkError {
        kind,
        status,
        message: message.into(),
        action: action.into(),
        retry_after,
    }
}

/// Shortens a ledger message for the integration log.
pub fn short(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= 500 {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(500).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_dates_and_ratelimit_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let mut h = HeaderMap::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        h.insert("ratelimit-reset", (now + 4).to_string().parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(4) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[tokio::test]
    async fn pacer_spreads_requests_over_the_window() {
        let pacer = Pacer::new(RateLimit {
            requests: 5,
            per: Duration::from_millis(250),
        });
        let start = Instant::now();
        for _ in 0..15 {
            pacer.acquire().await;
        }
        // 5 at once, then 10 more at 20/s: at least ~0.5 s.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(450), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn a_pause_holds_every_request() {
        let pacer = Pacer::new(RateLimit {
            requests: 100,
            per: Duration::from_secs(1),
        });
        pacer.pause_for(Duration::from_millis(300)).await;
        let start = Instant::now();
        pacer.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(280));
    }
}
