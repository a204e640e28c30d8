//! The ledger side of HTTP: a sink's retry settings, the `ratelimit-*` headers Pennylane sends,
//! and an HTTP failure turned into a [`SinkError`] with the ledger's own message and the action
//! to take. Backoff, `Retry-After`, the token bucket and reading an answer come from
//! `http-client`.

use std::time::Duration;

use app::ports::{SinkError, SinkErrorKind};
use http_client::{Backoff, Jitter, TransportKind};
use reqwest::Response;
use reqwest::header::HeaderMap;

pub use http_client::{Answer, RateLimit};

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
    /// The wait before retry number `retry` (0 for the first): no jitter, a sink sends its
    /// requests one after the other.
    pub(crate) fn backoff_for(&self, retry: u32) -> Duration {
        Backoff {
            base: self.backoff,
            cap: self.max_wait,
            jitter: Jitter::None,
        }
        .delay(retry)
    }
}

/// `Retry-After` in seconds or as an HTTP date; else Pennylane's `ratelimit-reset` (a unix time).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    http_client::retry_after(headers).or_else(|| reset_in(headers))
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
    SinkError::retryable(format!("{ledger} {}", TransportKind::of(e).describe()))
}

/// Reads a whole answer; a body that does not arrive is a transport failure.
pub async fn read(ledger: &str, response: Response) -> Result<Answer, SinkError> {
    Answer::read(response)
        .await
        .map_err(|e| transport_error(ledger, &e))
}

/// The answer's JSON body; one passerelle cannot read is retryable (the ledger may have
/// answered from a proxy or mid-deployment).
pub fn json<T: serde::de::DeserializeOwned>(a: &Answer, ledger: &str) -> Result<T, SinkError> {
    serde_json::from_str(&a.text()).map_err(|e| {
        SinkError::retryable(format!(
            "{ledger} answered {} with a body passerelle cannot read: {e}",
            a.status.as_u16()
        ))
    })
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
        let mut h = HeaderMap::new();
        let at = std::time::SystemTime::now() + Duration::from_secs(10);
        h.insert("retry-after", httpdate::fmt_http_date(at).parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(10) && d >= Duration::from_secs(8),
            "{d:?}"
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_up_to_max_wait() {
        let p = RetryPolicy {
            max_wait: Duration::from_secs(3),
            ..RetryPolicy::default()
        };
        let got: Vec<_> = (0..4).map(|n| p.backoff_for(n).as_millis()).collect();
        assert_eq!(got, [500, 1000, 2000, 3000]);
    }
}
