//! A token bucket: requests spread over a rate limit, paused when the server says to wait.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A rate limit: at most `requests` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

/// `requests` tokens, refilled continuously over `per`; a burst of `requests` goes at once.
#[derive(Debug)]
pub struct TokenBucket {
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

impl TokenBucket {
    pub fn new(limit: RateLimit) -> TokenBucket {
        let capacity = f64::from(limit.requests.max(1));
        TokenBucket {
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

    /// Lets nothing through before `wait` has passed (a 429's `Retry-After`, an exhausted
    /// quota), and empties the bucket so requests resume at the steady rate.
    pub async fn pause_for(&self, wait: Duration) {
        let mut b = self.state.lock().await;
        let until = Instant::now() + wait;
        if b.paused_until.is_none_or(|u| u < until) {
            b.paused_until = Some(until);
        }
        b.tokens = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spreads_requests_over_the_window() {
        let bucket = TokenBucket::new(RateLimit {
            requests: 5,
            per: Duration::from_millis(250),
        });
        let start = Instant::now();
        for _ in 0..15 {
            bucket.acquire().await;
        }
        // 5 at once, then 10 more at 20/s: at least ~0.5 s.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(450), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[tokio::test]
    async fn a_pause_holds_every_request() {
        let bucket = TokenBucket::new(RateLimit {
            requests: 100,
            per: Duration::from_secs(1),
        });
        bucket.pause_for(Duration::from_millis(300)).await;
        let start = Instant::now();
        bucket.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(280));
    }

    #[tokio::test]
    async fn a_shorter_pause_does_not_cut_a_longer_one() {
        let bucket = TokenBucket::new(RateLimit {
            requests: 100,
            per: Duration::from_secs(1),
        });
        bucket.pause_for(Duration::from_millis(300)).await;
        bucket.pause_for(Duration::from_millis(10)).await;
        let start = Instant::now();
        bucket.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(280));
    }
}
