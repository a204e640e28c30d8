//! The mock's state, shared by its gate and routes.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use serde_json::Value;

use crate::mock::Faults;

#[derive(Debug, Clone, Default)]
pub struct ThirdParty {
    pub id: i64,
    pub name: String,
    pub reg_no: Option<String>,
    pub establishment_no: Option<String>,
    pub vat_number: Option<String>,
    pub external_reference: Option<String>,
    pub ledger_account_id: i64,
}

/// A file received by `POST /file_attachments`.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The `file` part's file name.
    pub file_name: String,
    /// The `file` part's content type.
    pub content_type: String,
    pub size: usize,
    /// The `filename` field, when sent.
    pub filename: Option<String>,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct PennylaneState {
    pub tokens: Vec<String>,
    pub refresh_token: String,
    pub token_requests: usize,
    pub journals: Vec<(i64, String, String)>,
    pub ledger_accounts: Vec<(i64, String, String)>,
    pub customers: Vec<ThirdParty>,
    pub suppliers: Vec<ThirdParty>,
    pub accounts_created: Vec<String>,
    pub suppliers_created: Vec<String>,
    pub file_attachments: Vec<String>,
    /// The accepted uploads, by attachment id.
    pub uploads: Vec<(i64, Upload)>,
    pub entries: Vec<Value>,
    /// JSON request bodies validated against their schema in the extract.
    pub validated: usize,
    /// Answers checked against the documented shapes.
    pub answers_checked: usize,
    /// Requests and answers that do not follow the extract (see [`spec`]).
    pub violations: Vec<String>,
    pub requests: usize,
    /// The rate limit enforced per token, once a test asks for it: (requests, window).
    pub rate_limit: Option<(usize, Duration)>,
    /// When each token's requests arrived, within the window.
    pub(super) arrivals: HashMap<String, VecDeque<Instant>>,
    /// Requests answered 429 because their token was over the limit.
    pub rate_limited: usize,
    /// Entries still to book with their answer lost (see `PennylaneMock::lose_entry_answers`).
    pub lose_answers: usize,
    pub(crate) next_id: i64,
}

/// What the rate limit says of one request: its `ratelimit-*` values, or a 429's wait.
pub(super) enum Quota {
    /// Not enforced: the documented headers with nominal values.
    Off,
    /// (limit, remaining, seconds until the oldest request leaves the window).
    Within(usize, usize, u64),
    /// Over the limit: seconds to wait.
    Over(usize, u64),
}

impl PennylaneState {
    pub(super) fn id(&mut self) -> i64 {
        self.next_id += 1;
        5_000 + self.next_id
    }

    /// Counts a request of `token` against the sliding window (25 requests per 5 s per token,
    /// research notes §2), when enforced.
    pub(super) fn quota(&mut self, token: &str) -> Quota {
        let Some((limit, per)) = self.rate_limit else {
            return Quota::Off;
        };
        let now = Instant::now();
        let seen = self.arrivals.entry(token.to_string()).or_default();
        while seen.front().is_some_and(|t| now.duration_since(*t) >= per) {
            seen.pop_front();
        }
        let wait = |oldest: Option<&Instant>| {
            oldest
                .map_or(per, |t| per.saturating_sub(now.duration_since(*t)))
                .as_secs_f64()
                .ceil() as u64
        };
        if seen.len() >= limit {
            self.rate_limited += 1;
            return Quota::Over(limit, wait(seen.front()).max(1));
        }
        seen.push_back(now);
        Quota::Within(limit, limit - seen.len(), wait(seen.front()))
    }

    /// Adds a ledger account; returns its id.
    pub fn add_account(&mut self, number: &str, label: &str) -> i64 {
        let id = self.id();
        self.ledger_accounts.push((id, number.into(), label.into()));
        id
    }

    /// Adds a customer with its own 411 account; returns the account id.
    pub fn add_customer(&mut self, number: &str, mut c: ThirdParty) -> i64 {
        let la = self.add_account(number, &c.name);
        c.id = self.id();
        c.ledger_account_id = la;
        self.customers.push(c);
        la
    }
}

/// The state every route is handed.
pub(super) type S = State<(Arc<Mutex<PennylaneState>>, Faults)>;
