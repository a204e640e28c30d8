//! The integration log: every event a person may need, with the action to take.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::store::StoreError;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "'{other}' is not a severity (info, warning, error)"
            )),
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Document,
    Entry,
    Mail,
    Run,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub at: DateTime<Utc>,
    pub dossier: String,
    pub object: ObjectKind,
    /// The document key, mail id or run id.
    pub object_id: String,
    pub severity: Severity,
    pub message: String,
    /// What a person should do ("no action needed", "create account 706100 in the ledger"…).
    pub action: String,
    /// The run that produced it, when any (to show a run's lines).
    pub run: Option<String>,
}

pub trait IntegrationLog: Send + Sync {
    fn record(&self, event: LogEvent) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Events of a dossier from `from` (inclusive) to `to` (exclusive), at or above `min`
    /// severity, oldest first.
    fn query(
        &self,
        dossier: &str,
        min: Severity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<LogEvent>, StoreError>> + Send;

    /// One page of a dossier's events matching `query`, newest first: at most `query.limit`,
    /// the filters applied before the limit, and where the next (older) page starts.
    fn page(
        &self,
        dossier: &str,
        query: &LogQuery,
    ) -> impl Future<Output = Result<LogPage, StoreError>> + Send;
}

/// What [`IntegrationLog::page`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    /// At or above this severity.
    pub min: Severity,
    /// From this instant (inclusive)…
    pub from: DateTime<Utc>,
    /// …to this one (exclusive).
    pub to: DateTime<Utc>,
    /// Only events whose message, action or object id contain this text, ignoring case
    /// (empty: all).
    pub text: String,
    /// Only events older than this cursor (a [`LogPage::next`]); `None`: the newest.
    pub before: Option<String>,
    pub limit: usize,
}

/// A page of the log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    /// The cursor of the next (older) page when there is one: pass it as [`LogQuery::before`].
    pub next: Option<String>,
}
