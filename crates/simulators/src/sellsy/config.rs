//! The simulator's settings (data, quotas, faults, injected errors) and its counters: the
//! types the server and the [`super::Sim`] handle share.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;

use super::data::{self, Kind};
use super::envelope::sellsy_error;

/// Injectable faults, drawn per API request from the seeded generator.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of requests answered 500/502/503/504.
    pub error_rate: f64,
    /// Share of requests that hang for `hang` before answering (the client should time out).
    pub timeout_rate: f64,
    pub hang: Duration,
    /// Share of requests answered after `slow`.
    pub slow_rate: f64,
    pub slow: Duration,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub invoices: usize,
    pub credit_notes: usize,
    pub companies: usize,
    pub individuals: usize,
    /// Document dates are spread over this range.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub draft_share: f64,
    /// Purchase invoices and supplier credit notes in the purchases journal (0: none).
    pub purchases: usize,
    pub per_second: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub token_ttl: Duration,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub faults: Faults,
    pub validate: bool,
    /// 0 picks a free port.
    pub port: u16,
}

/// Every scope the connector needs (research §1).
pub const ALL_SCOPES: &[&str] = &[
    "invoices.read",
    "credit-notes.read",
    "companies.read",
    "individuals.read",
    "accounting-codes.read",
    "accounting-entry.read",
    "accounting-settings.read",
    "taxes.read",
    "accounts.read",
    "scopes.read",
    "ocr.read",
];

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 42,
            invoices: 60,
            credit_notes: 12,
            companies: 12,
            individuals: 8,
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            draft_share: 0.05,
            purchases: 0,
            per_second: 5,
            per_minute: 150,
            per_day: 432_000,
            token_ttl: Duration::from_secs(3600),
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            scopes: ALL_SCOPES.iter().map(|s| s.to_string()).collect(),
            faults: Faults::default(),
            validate: true,
            port: 0,
        }
    }
}

impl SimConfig {
    pub(crate) fn gen_params(&self) -> data::GenParams {
        data::GenParams {
            seed: self.seed,
            invoices: self.invoices,
            credit_notes: self.credit_notes,
            companies: self.companies,
            individuals: self.individuals,
            from: self.from,
            to: self.to,
            draft_share: self.draft_share,
            purchases: self.purchases,
        }
    }
}

/// Counters of what the simulator served.
#[derive(Debug, Clone, Default)]
pub struct SimStats {
    /// Authenticated API requests (429s included: Sellsy counts them).
    pub api_requests: u64,
    pub throttled: u64,
    pub unauthorized: u64,
    /// Injected 5xx and hangs.
    pub faults: u64,
    pub tokens_issued: u64,
    pub pdf_downloads: u64,
    /// "METHOD /path/{id}" -> count.
    pub by_route: BTreeMap<String, u64>,
    /// Successful `GET /invoices/{id}` and `GET /credit-notes/{id}` per document (hangs excluded).
    pub doc_gets: BTreeMap<(Kind, u64), u32>,
}

/// An error the simulator answers for requests whose path starts with `path_prefix`.
#[derive(Debug, Clone)]
pub struct ErrorRule {
    pub method: Option<String>,
    /// Path under `/v2`, e.g. `/invoices/search`.
    pub path_prefix: String,
    pub status: u16,
    pub body: Value,
    /// How many times; `None` for every matching request.
    pub remaining: Option<u32>,
}

impl ErrorRule {
    /// A Sellsy error envelope `{"error":{code,message,context,details}}`.
    pub fn sellsy(
        path_prefix: &str,
        status: u16,
        message: &str,
        context: Option<&str>,
        details: Value,
    ) -> Self {
        ErrorRule {
            method: None,
            path_prefix: path_prefix.to_string(),
            status,
            body: sellsy_error(status, message, context, details),
            remaining: None,
        }
    }
}
