//! Configuration of one Pennylane company.

use std::time::Duration;

use app::ports::Secret;

use crate::http::{RateLimit, RetryPolicy};

/// How passerelle authenticates to Pennylane.
#[derive(Debug, Clone)]
pub enum PennylaneAuth {
    /// A company API token (Settings › Développeurs › Générer un token) or a firm token. It cannot
    /// be refreshed: a 401 is reported as refused credentials.
    Token(Secret),
    /// OAuth 2.0 (marketplace partners): the access token is refreshed with the refresh token on
    /// a 401 (once per request). Pennylane rotates refresh tokens; the new one is kept in memory.
    OAuth {
        /// `https://app.pennylane.com/oauth/token`.
        token_url: String,
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        /// The current access token, when one is known.
        access_token: Option<Secret>,
    },
}

/// Configuration of one Pennylane company.
#[derive(Debug, Clone)]
pub struct PennylaneConfig {
    /// `https://app.pennylane.com/api/external/v2`.
    pub base_url: String,
    pub auth: PennylaneAuth,
    /// Sent as `X-Company-Id` when a firm token acts on one of its companies.
    pub company_id: Option<u64>,
    /// 25 requests per 5 s per token by default.
    pub rate: RateLimit,
    pub retry: RetryPolicy,
    /// Create a general account the chart lacks (and no padding or `[dossier.accounts_map]`
    /// finds) instead of holding the entries that need it. Off by default: Pennylane would
    /// otherwise get a duplicate `706000` beside its `706`.
    pub create_missing_accounts: bool,
}

impl PennylaneConfig {
    pub const BASE_URL: &'static str = "https://app.pennylane.com/api/external/v2";
    pub const TOKEN_URL: &'static str = "https://app.pennylane.com/oauth/token";
    pub const RATE: RateLimit = RateLimit {
        requests: 25,
        per: Duration::from_secs(5),
    };

    /// Production URLs and limits with a company API token.
    pub fn with_token(token: Secret) -> PennylaneConfig {
        PennylaneConfig {
            base_url: Self::BASE_URL.into(),
            auth: PennylaneAuth::Token(token),
            company_id: None,
            rate: Self::RATE,
            retry: RetryPolicy::default(),
            create_missing_accounts: false,
        }
    }
}
