//! Connector configuration. Base URLs are configurable so tests, the demo and the simulator can
//! point the client elsewhere.

use std::time::Duration;

use app::ports::Secret;
use domain::config::Scope;
use http_client::{Backoff, Jitter};

/// research §1: the API base and the token endpoint of every flow.
pub const DEFAULT_API_BASE: &str = "https://api.sellsy.com/v2";
pub const DEFAULT_TOKEN_URL: &str = "https://login.sellsy.com/oauth2/access-tokens";

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles each attempt, with jitter.
    pub base_delay: Duration,
    /// Cap of one backoff (research §4 suggests about 60 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 for the first): exponential with
    /// "equal jitter" (half fixed, half random, so the clients of one account do not retry
    /// together), at least the `Retry-After` Sellsy sent, within `max_delay`.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        Backoff {
            base: self.base_delay,
            cap: self.max_delay,
            jitter: Jitter::Equal,
        }
        .delay_at_least(attempt.saturating_sub(1), retry_after)
    }
}

/// Request pacing. Limits are read from `GET /quotas` at the start of a pull when
/// `read_quotas` is set; these values are the fallback (research §4: 5/s, about 150/min).
#[derive(Debug, Clone)]
pub struct Pacing {
    pub per_second: u32,
    pub per_minute: u32,
    /// Added to each window against clock granularity. Windows are counted from the end of
    /// each exchange (see `pacer`), so network delays need no margin.
    pub margin: Duration,
    pub read_quotas: bool,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            per_second: 5,
            per_minute: 150,
            margin: Duration::from_millis(20),
            read_quotas: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SellsyConfig {
    pub api_base: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Timeout of one HTTP exchange (a timeout is retried).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// A token is renewed this long before `expires_in` runs out (at most half its lifetime).
    pub token_margin: Duration,
    pub retry: RetryPolicy,
    pub pacing: Pacing,
    /// Documents fetched in parallel (pacing still applies).
    pub concurrency: usize,
    /// Credit notes are listed by creation date, newest first, with no date filter (research
    /// §2.3): listing stops once `created` is this many days before the window. The same
    /// grace applies to incoming documents (`/ocr/pur-invoice/search` has no date filter).
    pub credit_note_grace_days: i64,
    /// Source name recorded on documents.
    pub source_name: String,
    /// Hosts the bearer token may be sent to when a PDF link refuses an anonymous download.
    pub trusted_pdf_hosts: Vec<String>,
    /// Which documents a pull brings: the dossier's `scope` (sales invoices and credit notes,
    /// purchase invoices and supplier credit notes, or both). Sales only by default.
    pub scope: Scope,
}

impl SellsyConfig {
    pub fn new(client_id: impl Into<String>, client_secret: Secret) -> Self {
        SellsyConfig {
            api_base: DEFAULT_API_BASE.into(),
            token_url: DEFAULT_TOKEN_URL.into(),
            client_id: client_id.into(),
            client_secret,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            token_margin: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            pacing: Pacing::default(),
            concurrency: 4,
            credit_note_grace_days: 7,
            source_name: "sellsy".into(),
            trusted_pdf_hosts: vec!["file.sellsy.com".into(), "api.sellsy.com".into()],
            scope: Scope::Sales,
        }
    }

    /// The documents the dossier books (`scope` of its configuration).
    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// Whether pulls read sales invoices and credit notes.
    pub fn pulls_sales(&self) -> bool {
        matches!(self.scope, Scope::Sales | Scope::Both)
    }

    /// Whether pulls read the purchases journal and the incoming documents (OCR intake).
    pub fn pulls_purchases(&self) -> bool {
        matches!(self.scope, Scope::Purchases | Scope::Both)
    }

    /// Points the client at another server (tests, demo, simulator).
    pub fn with_base_urls(
        mut self,
        api_base: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        self.api_base = api_base.into().trim_end_matches('/').to_string();
        self.token_url = token_url.into();
        self
    }
}
