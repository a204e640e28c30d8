//! Configuration of one Inqom dossier.

use std::time::Duration;

use app::ports::Secret;

use crate::http::{RateLimit, RetryPolicy};

/// The most entries Inqom accepts in one `POST /entries`.
pub const MAX_BATCH: usize = 50;

/// Configuration of one Inqom dossier.
#[derive(Debug, Clone)]
pub struct InqomConfig {
    /// `https://auth.inqom.com/identity/connect/token` (staging: `auth-staging.inqom.com`).
    pub token_url: String,
    /// Accounting API base, `https://api.inqom.com`.
    pub api_url: String,
    /// Documents API base, `https://api.inqom.com` (fronts the accounting-documents service).
    pub documents_url: String,
    /// The dossier (accounting folder) id.
    pub dossier_id: u64,
    /// The Inqom system user of the firm (a non-personal user: the token carries its rights).
    pub username: String,
    pub password: Secret,
    /// Issued by Inqom to the partner, one pair per environment.
    pub client_id: String,
    pub client_secret: Secret,
    /// 15 requests per second by default.
    pub rate: RateLimit,
    pub retry: RetryPolicy,
    /// Entries per `POST /entries`, at most [`MAX_BATCH`].
    pub batch_size: usize,
}

impl InqomConfig {
    pub const TOKEN_URL: &'static str = "https://auth.inqom.com/identity/connect/token";
    pub const API_URL: &'static str = "https://api.inqom.com";
    pub const RATE: RateLimit = RateLimit {
        requests: 15,
        per: Duration::from_secs(1),
    };

    /// Production URLs and limits.
    pub fn production(
        dossier_id: u64,
        username: impl Into<String>,
        password: Secret,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> InqomConfig {
        InqomConfig {
            token_url: Self::TOKEN_URL.into(),
            api_url: Self::API_URL.into(),
            documents_url: Self::API_URL.into(),
            dossier_id,
            username: username.into(),
            password,
            client_id: client_id.into(),
            client_secret,
            rate: Self::RATE,
            retry: RetryPolicy::default(),
            batch_size: MAX_BATCH,
        }
    }
}
