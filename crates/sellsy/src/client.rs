//! The HTTP core: authentication, pacing, bounded retries with backoff and jitter, typed errors.
//! The token request is `auth`'s; the token cache, backoff and `Retry-After` come from
//! `http-client`; the quota pacer is `pacer`'s.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use app::ports::Secret;
use http_client::{Answer, TokenCache};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::fetch_token;
use crate::config::{RetryPolicy, SellsyConfig};
use crate::error::SellsyError;
use crate::pacer::Pacer;

#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub token_renewals: AtomicU64,
}

/// A snapshot of the client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// API requests sent (retries included; token requests and PDF downloads excluded).
    pub requests: u64,
    pub retries: u64,
    pub throttled_429: u64,
    pub token_renewals: u64,
}

pub(crate) struct Inner {
    pub cfg: SellsyConfig,
    pub http: reqwest::Client,
    pub pacer: Pacer,
    pub auth: Auth,
    pub stats: Stats,
    pub limits_read: AtomicBool,
}

/// The client's access token: cached until `expires_in` minus `token_margin` (at most half its
/// lifetime), fetched by one request at a time, dropped after a 401 only if it is still the one
/// refused.
pub(crate) struct Auth(TokenCache<Secret>);

impl Auth {
    fn new(margin: Duration) -> Auth {
        Auth(TokenCache::new(margin))
    }

    /// A valid token and its generation (to invalidate exactly that one after a 401).
    pub async fn get(&self, inner: &Inner) -> Result<(Secret, u64), SellsyError> {
        let lease = self
            .0
            .get(|| async {
                let (token, ttl) = fetch_token(&inner.http, &inner.cfg).await?;
                tracing::debug!(expires_in_s = ttl.as_secs(), "sellsy: new access token");
                Ok::<_, SellsyError>((token, Some(ttl)))
            })
            .await?;
        if lease.fresh {
            inner.stats.token_renewals.fetch_add(1, Ordering::Relaxed);
        }
        Ok((lease.token, lease.generation))
    }

    /// Drops the token of `generation` (a newer one fetched meanwhile is kept).
    pub async fn invalidate(&self, generation: u64) {
        self.0.invalidate(generation).await
    }
}

/// The Sellsy API v2 client. Cheap to clone; build it once per dossier.
#[derive(Clone)]
pub struct SellsyClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for SellsyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SellsyClient")
            .field("api_base", &self.inner.cfg.api_base)
            .field("client_id", &self.inner.cfg.client_id)
            .finish_non_exhaustive()
    }
}

/// One API call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// Path under the API base, e.g. `/invoices/search`.
    pub path: String,
    /// Query pairs; arrays are sent PHP-style (`embed[]`), research §2.1.
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The scope this call needs (named in a 403 error).
    pub scope: &'static str,
}

impl Call {
    pub fn get(path: impl Into<String>, scope: &'static str) -> Call {
        Call {
            method: Method::GET,
            path: path.into(),
            query: vec![],
            body: None,
            scope,
        }
    }
    pub fn post(path: impl Into<String>, scope: &'static str, body: Value) -> Call {
        Call {
            method: Method::POST,
            path: path.into(),
            query: vec![],
            body: Some(body),
            scope,
        }
    }
    pub fn q(mut self, k: &str, v: impl ToString) -> Call {
        self.query.push((k.to_string(), v.to_string()));
        self
    }
    fn what(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Exponential backoff with jitter, at least `Retry-After` when Sellsy sends one (see
/// [`RetryPolicy::wait`]).
pub(crate) fn backoff(p: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    p.wait(attempt, retry_after)
}

fn header_i64(h: &reqwest::header::HeaderMap, name: &str) -> Option<i64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Sellsy's error envelope `{"error":{code,message,context,details}}` (research §3.7).
#[derive(Debug, Default, serde::Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    details: Option<Value>,
}

fn flatten_details(v: Option<Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(m)) = v {
        for (k, v) in m {
            out.insert(
                k,
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            );
        }
    }
    out
}

impl SellsyClient {
    pub fn new(cfg: SellsyConfig) -> Result<SellsyClient, SellsyError> {
        if cfg.client_id.is_empty() || cfg.client_secret.expose().is_empty() {
            return Err(SellsyError::Config(
                "client_id and client_secret are required".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .user_agent(concat!("passerelle-sellsy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SellsyError::Config(e.to_string()))?;
        let pacer = Pacer::new(
            cfg.pacing.per_second,
            cfg.pacing.per_minute,
            cfg.pacing.margin,
            cfg.concurrency,
        );
        let auth = Auth::new(cfg.token_margin);
        Ok(SellsyClient {
            inner: Arc::new(Inner {
                limits_read: AtomicBool::new(!cfg.pacing.read_quotas),
                cfg,
                http,
                pacer,
                auth,
                stats: Stats::default(),
            }),
        })
    }

    pub fn config(&self) -> &SellsyConfig {
        &self.inner.cfg
    }

    pub fn stats(&self) -> ClientStats {
        let s = &self.inner.stats;
        ClientStats {
            requests: s.requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            throttled_429: s.throttled.load(Ordering::Relaxed),
            token_renewals: s.token_renewals.load(Ordering::Relaxed),
        }
    }

    /// The pacing limits in force (per second, per minute).
    pub fn pacing_limits(&self) -> (usize, usize) {
        self.inner.pacer.limits()
    }

    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        call: Call,
    ) -> Result<T, SellsyError> {
        let what = call.what();
        let v = self.call(call).await?;
        serde_json::from_value(v).map_err(|e| SellsyError::Decode {
            what,
            reason: e.to_string(),
        })
    }

    /// Sends a call with pacing, one transparent re-authentication on 401 and bounded retries
    /// on 429, 5xx and timeouts. Returns the JSON body.
    pub(crate) async fn call(&self, call: Call) -> Result<Value, SellsyError> {
        let inner = &self.inner;
        let cfg = &inner.cfg;
        let url = format!("{}{}", cfg.api_base, call.path);
        let what = call.what();
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            let (token, generation) = inner.auth.get(inner).await?;
            let slot = inner.pacer.acquire().await;
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let mut rb = inner
                .http
                .request(call.method.clone(), &url)
                .bearer_auth(token.expose())
                .header("accept", "application/json")
                .timeout(cfg.request_timeout);
            if !call.query.is_empty() {
                rb = rb.query(&call.query);
            }
            if let Some(b) = &call.body {
                rb = rb.json(b);
            }
            let started = std::time::Instant::now();
            let outcome = match rb.send().await {
                Ok(resp) => {
                    let h = resp.headers();
                    inner.pacer.observe(
                        header_i64(h, "x-quota-remaining-by-second"),
                        header_i64(h, "x-quota-remaining-by-minute"),
                    );
                    match Answer::read(resp).await {
                        Ok(a) => Ok((
                            a.status.as_u16(),
                            // RFC 9110 §10.2.3: seconds or an HTTP date.
                            http_client::retry_after(&a.headers),
                            a.body,
                        )),
                        Err(e) => Err(http_client::without_url(e)),
                    }
                }
                Err(e) => Err(http_client::without_url(e)),
            };
            drop(slot);
            let (status, retry_after, last) = match outcome {
                Ok((status, retry_after, body)) => {
                    tracing::debug!(call = %what, status, attempt, elapsed_ms = started.elapsed().as_millis() as u64, "sellsy call");
                    match status {
                        200..=299 => {
                            if body.is_empty() {
                                return Ok(Value::Null);
                            }
                            return serde_json::from_slice(&body).map_err(|e| {
                                SellsyError::Decode {
                                    what: what.clone(),
                                    reason: format!("invalid JSON: {e}"),
                                }
                            });
                        }
                        401 if !reauthenticated => {
                            // Token expired or revoked early: get a new one once, transparently.
                            tracing::info!(call = %what, "sellsy: 401, renewing the access token");
                            inner.auth.invalidate(generation).await;
                            reauthenticated = true;
                            attempt -= 1;
                            continue;
                        }
                        429 => {
                            inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                            inner
                                .pacer
                                .block_for(retry_after.unwrap_or(Duration::from_secs(1)));
                            (Some(status), retry_after, format!("HTTP {status}"))
                        }
                        500..=599 => (Some(status), retry_after, format!("HTTP {status}")),
                        _ => return Err(self.permanent(&call, status, &body)),
                    }
                }
                Err(e) => {
                    tracing::debug!(call = %what, attempt, error = %e, "sellsy call failed");
                    (None, None, e)
                }
            };
            if attempt >= cfg.retry.max_attempts {
                return Err(SellsyError::Exhausted {
                    what,
                    attempts: attempt,
                    status,
                    last,
                });
            }
            inner.stats.retries.fetch_add(1, Ordering::Relaxed);
            let wait = backoff(&cfg.retry, attempt, retry_after);
            tracing::warn!(call = %what, attempt, last = %last, wait_ms = wait.as_millis() as u64, "sellsy: transient failure, retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn permanent(&self, call: &Call, status: u16, body: &[u8]) -> SellsyError {
        let env: ErrorEnvelope = serde_json::from_slice(body).unwrap_or_default();
        let e = env.error.unwrap_or_default();
        let message = e
            .message
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
        let details = flatten_details(e.details);
        tracing::warn!(call = %call.what(), status, message = %message, "sellsy: request refused");
        match status {
            401 => SellsyError::Auth { status, message },
            402 => SellsyError::PlanLimit {
                limit: e
                    .context
                    .clone()
                    .or_else(|| details.values().next().cloned()),
                message,
            },
            403 => SellsyError::Forbidden {
                message,
                scope: call.scope.to_string(),
            },
            _ => SellsyError::Api {
                status,
                what: call.what(),
                message,
                context: e.context,
                details,
            },
        }
    }

    /// Reads `GET /quotas` once and adopts the account's real per-second/minute limits.
    pub(crate) async fn ensure_limits(&self) -> Result<(), SellsyError> {
        if self.inner.limits_read.load(Ordering::Relaxed) {
            return Ok(());
        }
        let q: crate::wire::Quotas = self
            .call_json(Call::get("/quotas", "accounts.read"))
            .await?;
        self.inner.pacer.set_limits(
            q.api_rate_seconds.as_ref().and_then(|r| r.limit),
            q.api_rate_minutes.as_ref().and_then(|r| r.limit),
        );
        self.inner.limits_read.store(true, Ordering::Relaxed);
        let (s, m) = self.inner.pacer.limits();
        tracing::info!(per_second = s, per_minute = m, "sellsy: quota limits");
        Ok(())
    }
}
