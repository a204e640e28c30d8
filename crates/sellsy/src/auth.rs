//! OAuth2 client credentials with a "Personal" API client (research §1): the token request.
//! The client caches the token (`http_client::TokenCache`) until `expires_in` minus a margin
//! and renews it once on a 401.

use std::time::Duration;

use app::ports::Secret;
use serde::Deserialize;

use crate::config::SellsyConfig;
use crate::error::SellsyError;

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

/// Asks `cfg.token_url` for a token; retries 429, 5xx and transport failures within
/// `cfg.retry`. Returns the token and its lifetime.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    cfg: &SellsyConfig,
) -> Result<(Secret, Duration), SellsyError> {
    // research §1: the spec example sends a JSON body.
    let body = serde_json::json!({
        "grant_type": "client_credentials",
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret.expose(),
    });
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = http
            .post(&cfg.token_url)
            .json(&body)
            .timeout(cfg.request_timeout)
            .send()
            .await;
        let transient = match res {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let bytes = resp.bytes().await.ok();
                match (status, bytes) {
                    (200..=299, Some(b)) => return token(&b),
                    (429 | 500..=599, _) => format!("HTTP {status}"),
                    (_, b) => return Err(refused(status, b.as_deref())),
                }
            }
            Err(e) => http_client::without_url(e),
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
        tokio::time::sleep(cfg.retry.wait(attempt, None)).await;
    }
}

/// The token of a 2xx answer and its lifetime.
fn token(body: &[u8]) -> Result<(Secret, Duration), SellsyError> {
    let t: TokenResponse = serde_json::from_slice(body).map_err(|e| SellsyError::Decode {
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
    Ok((Secret::new(t.access_token), ttl))
}

/// A refusal, with the endpoint's own words when it gave any.
fn refused(status: u16, body: Option<&[u8]>) -> SellsyError {
    let e: OAuthError = body
        .and_then(|b| serde_json::from_slice(b).ok())
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
    SellsyError::Auth { status, message }
}
