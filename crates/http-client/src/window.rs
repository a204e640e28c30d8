//! A sliding-window rate limiter, and a process-wide registry of them.
//!
//! A server counting "at most N requests in any window of `per`" (Pennylane: 25 per 5 s per
//! token; Inqom: 15 per second per client id and user, both sliding windows per the research
//! notes) refuses what a token bucket lets through: a full bucket sends N at once and then
//! refills at N per `per`, so up to 2N can fall within one window. [`SlidingWindow`] lets a
//! request go only when fewer than N went in the last `per` (plus a margin for the time a
//! request takes to reach the server). Every client of one token must share one window:
//! [`shared_window`] hands the same one to every caller using the same key while any holds it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `requests` in any window of `per` (+ a tenth of it, the margin).
#[derive(Debug)]
pub struct SlidingWindow {
    state: Mutex<Window>,
    requests: usize,
    per: Duration,
}

#[derive(Debug, Default)]
struct Window {
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl SlidingWindow {
    pub fn new(requests: u32, per: Duration) -> SlidingWindow {
        SlidingWindow {
            state: Mutex::new(Window::default()),
            requests: requests.max(1) as usize,
            per: per + per / 10,
        }
    }

    /// The window the limiter keeps, margin included.
    pub fn window(&self) -> Duration {
        self.per
    }

    /// Waits until a request may go, and counts it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut w = self.state.lock().await;
                let now = Instant::now();
                match w.paused_until {
                    Some(until) if until > now => until - now,
                    _ => {
                        w.paused_until = None;
                        while w
                            .sent
                            .front()
                            .is_some_and(|t| now.duration_since(*t) >= self.per)
                        {
                            w.sent.pop_front();
                        }
                        if w.sent.len() < self.requests {
                            w.sent.push_back(now);
                            return;
                        }
                        self.per - now.duration_since(w.sent[0])
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Lets nothing through before `wait` has passed (a 429's `Retry-After`, an exhausted
    /// quota); a shorter pause does not cut a longer one.
    pub async fn pause_for(&self, wait: Duration) {
        let mut w = self.state.lock().await;
        let until = Instant::now() + wait;
        if w.paused_until.is_none_or(|u| u < until) {
            w.paused_until = Some(until);
        }
    }
}

/// The window of `key` (a server and a credential: what the server counts by), created with
/// `requests` per `per` by the first caller and shared by every caller while one holds it.
pub fn shared_window(key: &str, requests: u32, per: Duration) -> Arc<SlidingWindow> {
    static REGISTRY: OnceLock<std::sync::Mutex<HashMap<String, Weak<SlidingWindow>>>> =
        OnceLock::new();
    let mut registry = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    registry.retain(|_, w| w.strong_count() > 0);
    if let Some(w) = registry.get(key).and_then(Weak::upgrade) {
        return w;
    }
    let w = Arc::new(SlidingWindow::new(requests, per));
    registry.insert(key.to_string(), Arc::downgrade(&w));
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test]
    async fn never_more_than_the_limit_in_any_window() {
        let w = SlidingWindow::new(5, ms(200));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..15 {
            w.acquire().await;
            at.push(start.elapsed());
        }
        // Any 6 consecutive requests span at least the window (a token bucket sends the
        // 6th..10th within the first window).
        for pair in at.windows(6) {
            assert!(pair[5] - pair[0] >= Duration::from_millis(200), "{at:?}");
        }
        assert!(start.elapsed() >= 2 * w.window(), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn a_pause_holds_every_request() {
        let w = SlidingWindow::new(100, ms(1_000));
        w.pause_for(Duration::from_millis(300)).await;
        w.pause_for(Duration::from_millis(10)).await;
        let start = Instant::now();
        w.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(280));
    }

    #[test]
    fn one_window_per_key_while_held() {
        let a = shared_window("server-a token-1", 25, ms(5_000));
        let b = shared_window("server-a token-1", 99, ms(1));
        let c = shared_window("server-a token-2", 25, ms(5_000));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(
            b.window(),
            Duration::from_millis(5_500),
            "the first caller's limit"
        );
        drop((a, b));
        let d = shared_window("server-a token-1", 10, ms(1_000));
        assert_eq!(
            d.window(),
            Duration::from_millis(1_100),
            "a new window once released"
        );
    }
}
