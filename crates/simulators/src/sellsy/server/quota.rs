//! Sellsy's quotas: per-second, per-minute and per-day sliding windows (research §4).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};

use crate::sellsy::config::SimConfig;

pub(crate) struct Quota {
    pub(super) per_second: i64,
    pub(super) per_minute: i64,
    pub(super) per_day: i64,
    pub(super) sec: VecDeque<Instant>,
    pub(super) min: VecDeque<Instant>,
    pub(super) day: i64,
}

impl Quota {
    pub(super) fn new(cfg: &SimConfig) -> Quota {
        Quota {
            per_second: cfg.per_second as i64,
            per_minute: cfg.per_minute as i64,
            per_day: cfg.per_day as i64,
            sec: VecDeque::new(),
            min: VecDeque::new(),
            day: 0,
        }
    }

    fn prune(&mut self, now: Instant) {
        while self
            .sec
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            self.sec.pop_front();
        }
        while self
            .min
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.min.pop_front();
        }
    }

    /// Sliding windows; a request counts even when it is refused (research §4).
    pub(super) fn admit(&mut self, now: Instant) -> Result<(), u64> {
        self.prune(now);
        let refused = if self.sec.len() as i64 >= self.per_second {
            Some(1)
        } else if self.min.len() as i64 >= self.per_minute {
            let oldest = *self.min.front().unwrap();
            Some(
                60u64
                    .saturating_sub(now.duration_since(oldest).as_secs())
                    .max(1),
            )
        } else if self.day >= self.per_day {
            Some(3600)
        } else {
            None
        };
        self.sec.push_back(now);
        self.min.push_back(now);
        self.day += 1;
        match refused {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    pub(super) fn headers(&self, h: &mut HeaderMap) {
        let set = |h: &mut HeaderMap, k: &'static str, v: i64| {
            h.insert(k, HeaderValue::from_str(&v.to_string()).unwrap());
        };
        set(
            h,
            "x-quota-remaining-by-second",
            self.per_second - self.sec.len() as i64,
        );
        set(
            h,
            "x-quota-remaining-by-minute",
            self.per_minute - self.min.len() as i64,
        );
        set(h, "x-quota-remaining-by-day", self.per_day - self.day);
        set(
            h,
            "x-quota-remaining-by-month",
            self.per_day * 30 - self.day,
        );
    }
}
