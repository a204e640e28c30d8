//! OAuth2 client credentials with a "Personal" API client (research §1): one token, cached until
//! `expires_in` minus a margin, renewed once on a 401.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::error::SellsyError;
use crate::secret::Secret;

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    token_type: Option<String>,
}

/// OAuth error answers (`{"error":"invalid_client","error_description":...,"message":...}`).
#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

struct Cached {
    token: Secret,
    renew_at: Instant,
    generation: u64,
}

pub(crate) struct TokenCache {
    cached: Mutex<Option<Cached>>,
    generation: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    pub fn new() -> Self {
        TokenCache {
            cached: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A valid token and its generation (to invalidate exactly that one after a 401).
    pub async fn get(&self, client: &crate::client::Inner) -> Result<(Secret, u64), SellsyError> {
        let mut guard = self.cached.lock().await;
        if let Some(c) = guard.as_ref()
            && Instant::now() < c.renew_at
        {
            return Ok((c.token.clone(), c.generation));
        }
        let (token, ttl) = fetch(client).await?;
        let cfg = &client.cfg;
        // Renew `token_margin` early, but never later than half-way for short-lived tokens.
        let margin = cfg.token_margin.min(ttl / 2);
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        client
            .stats
            .token_renewals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(
            expires_in_s = ttl.as_secs(),
            generation,
            "sellsy: new access token"
        );
        *guard = Some(Cached {
            token: token.clone(),
            renew_at: Instant::now() + ttl - margin,
            generation,
        });
        Ok((token, generation))
    }

    /// Drops the token of `generation` (a newer one fetched meanwhile is kept).
    pub async fn invalidate(&self, generation: u64) {
        let mut guard = self.cached.lock().await;
        if guard.as_ref().is_some_and(|c| c.generation == generation) {
            *guard = None;
        }
    }
}

async fn fetch(client: &crate::client::Inner) -> Result<(Secret, Duration), SellsyError> {
    let cfg = &client.cfg;
    // research §1: the spec example sends a JSON body.
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret.expose(),
    });
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = client
            .http
            .post(&cfg.token_url)
            .json(&body)
            .timeout(cfg.request_timeout)
            .send()
            .await;
        let transient = match res {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let bytes = resp.bytes().await.map_err(|e| SellsyError::Decode {
                    what: "access token".into(),
                    reason: e.without_url().to_string(),
                });
                match (status, bytes) {
                    (200..=299, Ok(b)) => {
                        let t: TokenResponse =
                            serde_json::from_slice(&b).map_err(|e| SellsyError::Decode {
                                what: "access token".into(),
                                reason: e.to_string(),
                            })?;
                        if t.token_type
                            .as_deref()
                            .is_some_and(|tt| !tt.eq_ignore_ascii_case("bearer"))
                        {
                            return Err(SellsyError::Decode {
                                what: "access token".into(),
                                reason: "token_type is not Bearer".into(),
                            });
                        }
                        // research §1: lifetime unconfirmed (1 h or 24 h): trust expires_in.
                        let ttl = Duration::from_secs(t.expires_in.unwrap_or(3600).max(1));
                        return Ok((Secret::new(t.access_token), ttl));
                    }
                    (429 | 500..=599, _) => format!("HTTP {status}"),
                    (_, b) => {
                        let e: OAuthError = b
                            .ok()
                            .and_then(|b| serde_json::from_slice(&b).ok())
                            .unwrap_or_default();
                        let message = e
                            .error_description
                            .or(e.message)
                            .or(e.error.map(|v| {
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string())
                            }))
                            .unwrap_or_else(|| "access refused".into());
                        return Err(SellsyError::Auth { status, message });
                    }
                }
            }
            Err(e) => e.without_url().to_string(),
        };
        if attempt >= cfg.retry.max_attempts {
            return Err(SellsyError::Exhausted {
                what: "access token".into(),
                attempts: attempt,
                status: None,
                last: transient,
            });
        }
        tracing::warn!(attempt, error = %transient, "sellsy: token endpoint failed, retrying");
        tokio::time::sleep(crate::client::backoff(&cfg.retry, attempt, None)).await;
    }
}
