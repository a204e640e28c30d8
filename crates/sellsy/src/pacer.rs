//! Client-side pacing so a steady run never meets a 429: sliding one-second and one-minute
//! windows of our own sends, corrected by Sellsy's `X-Quota-Remaining-*` headers (other
//! consumers of the same account use the same quota, research §4).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct State {
    per_second: usize,
    per_minute: usize,
    sec: VecDeque<Instant>,
    min: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    margin: Duration,
    /// Requests that may be in flight at once: headers lag by up to this many requests.
    slack: usize,
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

impl Pacer {
    pub fn new(per_second: u32, per_minute: u32, margin: Duration, slack: usize) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                per_second: per_second.max(1) as usize,
                per_minute: per_minute.max(1) as usize,
                sec: VecDeque::new(),
                min: VecDeque::new(),
                blocked_until: None,
            }),
            margin,
            slack,
        }
    }

    pub fn set_limits(&self, per_second: Option<u64>, per_minute: Option<u64>) {
        let mut s = self.state.lock().unwrap();
        if let Some(v) = per_second.filter(|v| *v > 0) {
            s.per_second = v as usize;
        }
        if let Some(v) = per_minute.filter(|v| *v > 0) {
            s.per_minute = v as usize;
        }
    }

    pub fn limits(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.per_second, s.per_minute)
    }

    fn prune(s: &mut State, now: Instant, margin: Duration) {
        while s
            .sec
            .front()
            .is_some_and(|t| now.duration_since(*t) >= SECOND + margin)
        {
            s.sec.pop_front();
        }
        while s
            .min
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE + margin)
        {
            s.min.pop_front();
        }
    }

    /// How long to wait before the next send may go; `None` means now (and the send is counted).
    fn try_take(&self, now: Instant) -> Option<Duration> {
        let mut s = self.state.lock().unwrap();
        Self::prune(&mut s, now, self.margin);
        let mut wait = Duration::ZERO;
        if let Some(b) = s.blocked_until {
            if b > now {
                wait = wait.max(b - now);
            } else {
                s.blocked_until = None;
            }
        }
        if s.sec.len() >= s.per_second {
            let t = s.sec[s.sec.len() - s.per_second];
            wait = wait.max((t + SECOND + self.margin).saturating_duration_since(now));
        }
        if s.min.len() >= s.per_minute {
            let t = s.min[s.min.len() - s.per_minute];
            wait = wait.max((t + MINUTE + self.margin).saturating_duration_since(now));
        }
        if wait.is_zero() {
            s.sec.push_back(now);
            s.min.push_back(now);
            None
        } else {
            Some(wait.max(Duration::from_millis(1)))
        }
    }

    /// Waits for a slot and counts the send.
    pub async fn acquire(&self) {
        while let Some(wait) = self.try_take(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reads the quota headers of a response. When Sellsy reports clearly fewer remaining
    /// requests than our own count explains, someone else uses the quota: count phantom sends.
    pub fn observe(&self, remaining_second: Option<i64>, remaining_minute: Option<i64>) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap();
        Self::prune(&mut s, now, self.margin);
        let slack = self.slack as i64 + 1;
        if let Some(r) = remaining_minute {
            let ours = s.per_minute as i64 - s.min.len() as i64;
            let foreign = ours - r - slack;
            for _ in 0..foreign.clamp(0, s.per_minute as i64) {
                s.min.push_back(now);
            }
            if r <= 0 && foreign > 0 {
                let until = now + SECOND;
                s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
            }
        }
        if let Some(r) = remaining_second {
            let ours = s.per_second as i64 - s.sec.len() as i64;
            let foreign = ours - r - slack;
            for _ in 0..foreign.clamp(0, s.per_second as i64) {
                s.sec.push_back(now);
            }
        }
    }

    /// After a 429: nothing goes out before `wait` (Retry-After, or a second).
    pub fn block_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = self.state.lock().unwrap();
        s.blocked_until = Some(s.blocked_until.map_or(until, |b| b.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_window_is_enforced() {
        let p = Pacer::new(5, 150, Duration::ZERO, 0);
        let now = Instant::now();
        for _ in 0..5 {
            assert!(p.try_take(now).is_none());
        }
        let w = p.try_take(now).expect("sixth send must wait");
        assert!(w <= SECOND && w > Duration::from_millis(900), "{w:?}");
        assert!(p.try_take(now + SECOND).is_none());
    }

    #[test]
    fn minute_window_is_enforced() {
        let p = Pacer::new(1000, 10, Duration::ZERO, 0);
        let now = Instant::now();
        for _ in 0..10 {
            assert!(p.try_take(now).is_none());
        }
        let w = p.try_take(now + Duration::from_secs(30)).unwrap();
        assert_eq!(w, Duration::from_secs(30));
    }

    #[test]
    fn foreign_usage_reported_by_headers_slows_us_down() {
        let p = Pacer::new(1000, 10, Duration::ZERO, 0);
        assert!(p.try_take(Instant::now()).is_none());
        // We sent 1 of 10, Sellsy says 2 remain: 7 were sent by someone else. One request of
        // slack is allowed for responses racing each other, so 3 more go out, not 9.
        p.observe(None, Some(2));
        let now = Instant::now();
        for _ in 0..3 {
            assert!(p.try_take(now).is_none());
        }
        assert!(p.try_take(now).is_some());
    }
}
