//! Client-side pacing so a steady run never meets a 429: sliding one-second and one-minute
//! windows of our own sends, corrected by Sellsy's `X-Quota-Remaining-*` headers (other
//! consumers of the same account use the same quota, research §4).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    id: u64,
    /// When the response came back (an upper bound of when Sellsy counted the request);
    /// `None` while in flight.
    done: Option<Instant>,
    /// Counted for someone else's use of the quota (see `observe`).
    phantom: bool,
}

#[derive(Debug)]
struct State {
    per_second: usize,
    per_minute: usize,
    log: VecDeque<Entry>,
    next_id: u64,
    blocked_until: Option<Instant>,
}

/// Sliding one-second and one-minute windows. A send is timed by the *end* of its exchange:
/// Sellsy counts a request when it arrives, some time between our send and its response, so
/// spacing a new send one window after the previous responses can never exceed the quota,
/// whatever the network or connection-setup delays (a window counted from send times needs a
/// margin larger than the worst delay skew).
#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
    margin: Duration,
    /// Requests that may be in flight at once: headers lag by up to this many requests.
    slack: usize,
}

/// Marks the send as finished when dropped (response received, error or cancellation).
pub struct Slot<'a> {
    pacer: &'a Pacer,
    id: u64,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut s = self.pacer.state.lock().unwrap();
        if let Some(e) = s.log.iter_mut().find(|e| e.id == self.id) {
            e.done = Some(now);
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
/// Poll interval while the quota is held by requests still in flight.
const POLL: Duration = Duration::from_millis(5);

impl Pacer {
    pub fn new(per_second: u32, per_minute: u32, margin: Duration, slack: usize) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                per_second: per_second.max(1) as usize,
                per_minute: per_minute.max(1) as usize,
                log: VecDeque::new(),
                next_id: 0,
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
        // Phantoms were inferred from headers compared with the old limits.
        s.log.retain(|e| !e.phantom);
    }

    pub fn limits(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.per_second, s.per_minute)
    }

    fn prune(s: &mut State, now: Instant, margin: Duration) {
        while s.log.front().is_some_and(|e| {
            e.done
                .is_some_and(|d| now.duration_since(d) >= MINUTE + margin)
        }) {
            s.log.pop_front();
        }
    }

    /// Wait needed before one more send fits in `window` holding at most `limit` sends.
    fn wait_for(s: &State, now: Instant, window: Duration, limit: usize) -> Duration {
        // Expiry of each send still counted in the window; in-flight ones never expire yet.
        let mut expiries: Vec<Option<Instant>> = s
            .log
            .iter()
            .filter_map(|e| match e.done {
                None => Some(None),
                Some(d) if now.duration_since(d) < window => Some(Some(d + window)),
                Some(_) => None,
            })
            .collect();
        if expiries.len() < limit {
            return Duration::ZERO;
        }
        // None (in flight) sorts last: it frees the slot only once answered.
        expiries.sort_by(|a, b| match (a, b) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        match expiries[expiries.len() - limit] {
            Some(t) => t.saturating_duration_since(now),
            None => POLL,
        }
    }

    /// How long to wait before the next send may go; `Ok(id)` means now (and it is counted).
    fn try_take(&self, now: Instant) -> Result<u64, Duration> {
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
        wait = wait.max(Self::wait_for(&s, now, SECOND + self.margin, s.per_second));
        wait = wait.max(Self::wait_for(&s, now, MINUTE + self.margin, s.per_minute));
        if wait.is_zero() {
            let id = s.next_id;
            s.next_id += 1;
            s.log.push_back(Entry {
                id,
                done: None,
                phantom: false,
            });
            Ok(id)
        } else {
            Err(wait.max(Duration::from_millis(1)))
        }
    }

    /// Waits for a slot; the send counts until one window after the returned slot is dropped.
    pub async fn acquire(&self) -> Slot<'_> {
        loop {
            match self.try_take(Instant::now()) {
                Ok(id) => return Slot { pacer: self, id },
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    fn phantoms(s: &mut State, n: i64, now: Instant) {
        for _ in 0..n {
            let id = s.next_id;
            s.next_id += 1;
            s.log.push_back(Entry {
                id,
                done: Some(now),
                phantom: true,
            });
        }
    }

    fn counted(s: &State, now: Instant, window: Duration) -> i64 {
        s.log
            .iter()
            .filter(|e| e.done.is_none_or(|d| now.duration_since(d) < window))
            .count() as i64
    }

    /// Reads the quota headers of a response. When Sellsy reports clearly fewer remaining
    /// requests than our own count explains, someone else uses the quota: count phantom sends.
    pub fn observe(&self, remaining_second: Option<i64>, remaining_minute: Option<i64>) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap();
        Self::prune(&mut s, now, self.margin);
        let slack = self.slack as i64 + 1;
        if let Some(r) = remaining_minute {
            let ours = s.per_minute as i64 - Self::counted(&s, now, MINUTE + self.margin);
            let foreign = (ours - r - slack).clamp(0, s.per_minute as i64);
            Self::phantoms(&mut s, foreign, now);
        }
        if let Some(r) = remaining_second {
            let ours = s.per_second as i64 - Self::counted(&s, now, SECOND + self.margin);
            let foreign = (ours - r - slack).clamp(0, s.per_second as i64);
            Self::phantoms(&mut s, foreign, now);
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

    fn take_done(p: &Pacer, now: Instant) -> bool {
        match p.try_take(now) {
            Ok(id) => {
                let mut s = p.state.lock().unwrap();
                s.log.iter_mut().find(|e| e.id == id).unwrap().done = Some(now);
                true
            }
            Err(_) => false,
        }
    }

    #[test]
    fn second_window_is_enforced() {
        let p = Pacer::new(5, 150, Duration::ZERO, 0);
        let now = Instant::now();
        for _ in 0..5 {
            assert!(take_done(&p, now));
        }
        let w = p.try_take(now).expect_err("sixth send must wait");
        assert_eq!(w, SECOND);
        assert!(take_done(&p, now + SECOND));
    }

    #[test]
    fn minute_window_is_enforced() {
        let p = Pacer::new(1000, 10, Duration::ZERO, 0);
        let now = Instant::now();
        for _ in 0..10 {
            assert!(take_done(&p, now));
        }
        let w = p.try_take(now + Duration::from_secs(30)).unwrap_err();
        assert_eq!(w, Duration::from_secs(30));
    }

    #[test]
    fn sends_in_flight_hold_their_slot_until_answered() {
        let p = Pacer::new(2, 150, Duration::ZERO, 0);
        let now = Instant::now();
        let a = p.try_take(now).unwrap();
        assert!(p.try_take(now).is_ok());
        // Both in flight: the third waits however long ago they were sent.
        assert_eq!(p.try_take(now + Duration::from_secs(5)).unwrap_err(), POLL);
        p.state
            .lock()
            .unwrap()
            .log
            .iter_mut()
            .find(|e| e.id == a)
            .unwrap()
            .done = Some(now + Duration::from_secs(5));
        let w = p.try_take(now + Duration::from_secs(5)).unwrap_err();
        assert_eq!(w, SECOND);
    }

    #[test]
    fn foreign_usage_reported_by_headers_slows_us_down() {
        let p = Pacer::new(1000, 10, Duration::ZERO, 0);
        assert!(take_done(&p, Instant::now()));
        // We sent 1 of 10, Sellsy says 2 remain: 7 were sent by someone else. One request of
        // slack is allowed for responses racing each other, so 3 more go out, not 9.
        p.observe(None, Some(2));
        let now = Instant::now();
        for _ in 0..3 {
            assert!(take_done(&p, now));
        }
        assert!(p.try_take(now).is_err());
    }
}
