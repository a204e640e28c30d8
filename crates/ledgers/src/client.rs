//! The HTTP core of the API sinks: bearer tokens obtained from a token endpoint (renewed once
//! on a 401), pacing, bounded retries of 429 / 5xx / timeouts, and redirects followed by hand
//! where the ledger sends them ([`Redirects`], in `redirect`).

use std::time::Duration;

use app::ports::{Secret, SinkError, SinkErrorKind};
use std::sync::Arc;

use http_client::{Lease, SlidingWindow, TokenCache};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::http::{self, Answer, RateLimit, RetryPolicy, error, remaining, reset_in, short};
use crate::redirect;
pub(crate) use crate::redirect::Redirects;

/// A token request: form-encoded (OAuth2 password or refresh-token grant) or, with `json`, a JSON
/// object of string fields (Chift's `POST /token` takes `AuthItem` as JSON).
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub url: String,
    /// Fields; values are secrets (passwords, client secrets, refresh tokens).
    pub form: Vec<(&'static str, Secret)>,
    pub json: bool,
}

/// A token is renewed this long before the end of the lifetime its endpoint announced.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// Where the bearer token comes from.
#[derive(Debug)]
pub(crate) struct Auth {
    source: Source,
    /// Said when the credentials are refused.
    pub refused_action: String,
}

#[derive(Debug)]
enum Source {
    /// A token that cannot be renewed: a 401 means refused credentials.
    Fixed(Secret),
    /// A token endpoint. A token is kept until `expires_in` (less a minute) when the endpoint
    /// says it, else until refused; the grant is updated when the endpoint rotates the refresh
    /// token.
    Grant {
        grant: Mutex<Grant>,
        cache: TokenCache<Secret>,
    },
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Seconds (RFC 6749 §5.1; Chift's `Token.expires_in`), read leniently: a lifetime that
    /// is not a positive number means "until refused", and a longer one than a day is a day.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OAuthError {
    #[serde(default)]
    error: Option<String>,
}

impl Auth {
    pub fn fixed(token: Secret, refused_action: impl Into<String>) -> Auth {
        Auth {
            source: Source::Fixed(token),
            refused_action: refused_action.into(),
        }
    }

    pub fn grant(grant: Grant, current: Option<Secret>, refused_action: impl Into<String>) -> Auth {
        let cache = match current {
            Some(t) => TokenCache::seeded(TOKEN_MARGIN, t),
            None => TokenCache::new(TOKEN_MARGIN),
        };
        Auth {
            source: Source::Grant {
                grant: Mutex::new(grant),
                cache,
            },
            refused_action: refused_action.into(),
        }
    }

    fn refused(&self, ledger: &str, status: Option<u16>, detail: &str) -> SinkError {
        error(
            SinkErrorKind::Auth,
            status,
            format!("{ledger} refused the credentials{detail}"),
            self.refused_action.clone(),
            None,
        )
    }
}

/// The pacer of the requests made with one credential to one server: the ledgers count their
/// rate limits per token (Pennylane) or per client id and user (Inqom) in a sliding window, so
/// every client instance with the same `key` (the server and a fingerprint of the credential,
/// never the credential itself) shares one window for the whole process.
pub(crate) fn pacer(
    ledger: &str,
    server: &str,
    credential: &[&str],
    rate: RateLimit,
) -> Arc<SlidingWindow> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    credential.hash(&mut h);
    let key = format!(
        "{ledger} {} {:016x}",
        server.trim_end_matches('/'),
        h.finish()
    );
    http_client::shared_window(&key, rate.requests, rate.per)
}

/// One ledger's HTTP client.
#[derive(Debug)]
pub(crate) struct Core {
    pub ledger: &'static str,
    pub http: reqwest::Client,
    /// Shared by every client of the same server and credentials ([`pacer`]).
    pub pacer: Arc<SlidingWindow>,
    pub retry: RetryPolicy,
    pub auth: Auth,
    pub redirects: Redirects,
}

enum Outcome {
    Done(Answer),
    /// Refused token: renew it once.
    Reauth,
    Again(SinkError, Option<Duration>),
}

impl Core {
    pub fn new(
        ledger: &'static str,
        pacer: Arc<SlidingWindow>,
        retry: RetryPolicy,
        auth: Auth,
        redirects: Redirects,
    ) -> Result<Core, SinkError> {
        let mut builder = reqwest::Client::builder();
        if redirects == Redirects::Manual {
            // reqwest's own policy drops `Authorization` on another host and turns a POST
            // answered 301/302 into a GET: the redirects are followed in `redirect` instead.
            builder = builder.redirect(reqwest::redirect::Policy::none());
        }
        let http = builder
            .connect_timeout(retry.timeout)
            .user_agent(concat!("passerelle/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                SinkError::permanent(
                    format!("cannot build the {ledger} HTTP client: {e}"),
                    "check the machine's TLS setup",
                )
            })?;
        Ok(Core {
            ledger,
            http,
            pacer,
            retry,
            auth,
            redirects,
        })
    }

    /// The bearer token, with its generation when it can be renewed.
    async fn token(&self) -> Result<(Secret, Option<u64>), SinkError> {
        match &self.auth.source {
            Source::Fixed(t) => Ok((t.clone(), None)),
            Source::Grant { grant, cache } => {
                let Lease {
                    token, generation, ..
                } = cache
                    .get(|| async {
                        let mut grant = grant.lock().await;
                        self.fetch_token(&mut grant).await
                    })
                    .await?;
                Ok((token, Some(generation)))
            }
        }
    }

    /// Asks the token endpoint, retrying 429 / 5xx / timeouts within the policy.
    async fn fetch_token(
        &self,
        grant: &mut Grant,
    ) -> Result<(Secret, Option<Duration>), SinkError> {
        let mut attempt = 0;
        let answer = loop {
            self.pacer.acquire().await;
            let form: Vec<(&str, &str)> =
                grant.form.iter().map(|(k, v)| (*k, v.expose())).collect();
            let request = self.http.post(&grant.url);
            let request = if grant.json {
                let body: serde_json::Map<String, serde_json::Value> = form
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                    .collect();
                request.json(&body)
            } else {
                request.form(&form)
            };
            let sent = request.timeout(self.retry.timeout).send().await;
            let err = match sent {
                Ok(r) => {
                    let a = http::read(self.ledger, r).await?;
                    if a.status.is_server_error() || a.status.as_u16() == 429 {
                        SinkError {
                            status: Some(a.status.as_u16()),
                            retry_after: http::retry_after(&a.headers),
                            ..SinkError::retryable(format!(
                                "{} token endpoint answered {}",
                                self.ledger,
                                a.status.as_u16()
                            ))
                        }
                    } else {
                        break a;
                    }
                }
                Err(e) => http::transport_error(self.ledger, &e),
            };
            attempt += 1;
            if attempt >= self.retry.attempts {
                return Err(err);
            }
            tokio::time::sleep(
                err.retry_after
                    .unwrap_or(self.retry.backoff_for(attempt - 1)),
            )
            .await;
        };
        if !answer.status.is_success() {
            // Only the OAuth error code is kept: the body could echo a credential.
            let code = serde_json::from_slice::<OAuthError>(&answer.body)
                .ok()
                .and_then(|e| e.error)
                .filter(|c| {
                    c.len() < 64 && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            return Err(self
                .auth
                .refused(self.ledger, Some(answer.status.as_u16()), &code));
        }
        let token: TokenAnswer = http::json(&answer, self.ledger).map_err(|_| {
            SinkError::retryable(format!(
                "{} token endpoint sent an answer without access_token",
                self.ledger
            ))
        })?;
        if let Some(refresh) = token.refresh_token {
            for (k, v) in grant.form.iter_mut() {
                if *k == "refresh_token" {
                    *v = Secret::new(refresh.clone());
                }
            }
        }
        let lifetime = token
            .expires_in
            .as_ref()
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()))
            .filter(|s| s.is_finite() && *s >= 1.0)
            .map(|s| Duration::from_secs(s.min(86_400.0) as u64));
        Ok((Secret::new(token.access_token), lifetime))
    }

    /// Sends a request built by `build` (called again on every attempt) with the bearer token.
    /// Returns any answer that is neither 401, 429 nor 5xx; retries those within the policy.
    pub async fn send<F>(&self, build: F) -> Result<Answer, SinkError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_with(build, true).await
    }

    /// [`Core::send`] for a request that must not be sent twice blindly (a creation without an
    /// idempotency key the ledger is known to enforce): a timeout or a 5xx may come after the
    /// ledger acted, so it is handed back at once as retryable, and the pipeline asks the
    /// ledger (`find_entry`) before it sends again. 401, 429 and connection failures (nothing
    /// reached the ledger) are still retried here.
    pub async fn send_once<F>(&self, build: F) -> Result<Answer, SinkError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_with(build, false).await
    }

    /// [`Core::send_once`] for a POST (a creation: the ledgers here document no idempotency key
    /// for them), [`Core::send`] for any other method.
    pub async fn send_as<F>(&self, method: &reqwest::Method, build: F) -> Result<Answer, SinkError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_with(build, *method != reqwest::Method::POST)
            .await
    }

    async fn send_with<F>(&self, build: F, replay: bool) -> Result<Answer, SinkError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut reauthed = false;
        let mut attempt = 0u32;
        loop {
            let (token, generation) = self.token().await?;
            let sent = match self.redirects {
                Redirects::Manual => {
                    redirect::send_following(
                        self.ledger,
                        &self.http,
                        &self.pacer,
                        self.retry.timeout,
                        &build,
                        token.expose(),
                    )
                    .await?
                }
                Redirects::Client => {
                    self.pacer.acquire().await;
                    build(&self.http)
                        .bearer_auth(token.expose())
                        .timeout(self.retry.timeout)
                        .send()
                        .await
                }
            };
            // Whether the ledger may have acted on a request whose answer was lost.
            let mut reached = true;
            let outcome = match sent {
                Err(e) => {
                    reached = !e.is_connect();
                    Outcome::Again(http::transport_error(self.ledger, &e), None)
                }
                Ok(r) => match http::read(self.ledger, r).await {
                    Err(e) => Outcome::Again(e, None),
                    Ok(a) => {
                        reached = a.status.as_u16() != 429;
                        self.judge(a).await
                    }
                },
            };
            if !replay
                && reached
                && let Outcome::Again(err, _) = outcome
            {
                return Err(err);
            }
            match outcome {
                Outcome::Done(a) => return Ok(a),
                Outcome::Reauth => {
                    let Some(generation) = generation.filter(|_| !reauthed) else {
                        return Err(self.auth.refused(self.ledger, Some(401), ""));
                    };
                    reauthed = true;
                    tracing::info!(
                        ledger = self.ledger,
                        "token refused, re-authenticating once"
                    );
                    if let Source::Grant { cache, .. } = &self.auth.source {
                        cache.invalidate(generation).await;
                    }
                }
                Outcome::Again(mut err, told) => {
                    attempt += 1;
                    let wait = told.unwrap_or_else(|| self.retry.backoff_for(attempt - 1));
                    if attempt >= self.retry.attempts || wait > self.retry.max_wait {
                        err.retry_after = Some(wait);
                        return Err(err);
                    }
                    tracing::warn!(ledger = self.ledger, attempt, ?wait, error = %err, "retrying");
                    if told.is_some() {
                        self.pacer.pause_for(wait).await;
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
    }

    /// What to do with an answer: hand it back, renew the token, or retry (after the wait the
    /// ledger asked for, if any). An exhausted `ratelimit-remaining` pauses the pacer.
    async fn judge(&self, a: Answer) -> Outcome {
        if remaining(&a.headers) == Some(0)
            && let Some(w) = reset_in(&a.headers)
        {
            self.pacer.pause_for(w).await;
        }
        match a.status.as_u16() {
            401 => Outcome::Reauth,
            429 => {
                let wait = http::retry_after(&a.headers);
                Outcome::Again(
                    error(
                        SinkErrorKind::Retryable,
                        Some(429),
                        format!("{} rate limit reached: {}", self.ledger, short(&a.text())),
                        "no action needed; passerelle retries after the wait the ledger asked for",
                        wait,
                    ),
                    wait,
                )
            }
            s if s >= 500 => Outcome::Again(
                error(
                    SinkErrorKind::Retryable,
                    Some(s),
                    format!("{} is unavailable ({s}): {}", self.ledger, short(&a.text())),
                    "no action needed; passerelle retries",
                    None,
                ),
                None,
            ),
            _ => Outcome::Done(a),
        }
    }
}
