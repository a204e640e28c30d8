//! Login attempts, rate-limited per user name and per client address: after
//! [`MAX_FAILURES`] failures within [`WINDOW_SECONDS`], further attempts are refused (429)
//! until the window ends, even with the right password.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// Keys remembered at most (a flood of names cannot grow the map without bound).
const MAX_KEYS: usize = 10_000;

/// Failures per key within the current window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl LoginLimiter {
    pub fn new() -> LoginLimiter {
        LoginLimiter::default()
    }

    /// Is every key below the limit? (`false`: refuse without checking the password.)
    pub fn allows(&self, keys: &[String], now: DateTime<Utc>) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().all(|k| match map.get(k) {
            Some((n, since)) => *n < MAX_FAILURES || (now - *since).num_seconds() >= WINDOW_SECONDS,
            None => true,
        })
    }

    /// Counts a failure against every key.
    pub fn fail(&self, keys: &[String], now: DateTime<Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, since)| (now - *since).num_seconds() < WINDOW_SECONDS);
        }
        for k in keys {
            let entry = map.entry(k.clone()).or_insert((0, now));
            if (now - entry.1).num_seconds() >= WINDOW_SECONDS {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// A successful login clears the user's count (not the address's).
    pub fn succeed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}
