//! One bearer token per API client, shared by its concurrent requests.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The current token, fetched by one request at a time (the others wait for it), renewed
/// `margin` before its lifetime runs out (at most half-way through a short lifetime), and
/// dropped after a 401 only if it is still the one that was refused: requests that failed
/// together with the same token renew it once.
#[derive(Debug)]
pub struct TokenCache<T> {
    margin: Duration,
    state: Mutex<State<T>>,
}

#[derive(Debug)]
struct State<T> {
    current: Option<Cached<T>>,
    /// Generation of the last token stored (0: none yet).
    generation: u64,
}

#[derive(Debug)]
struct Cached<T> {
    token: T,
    /// `None`: valid until refused.
    renew_at: Option<Instant>,
    generation: u64,
}

/// A token and its generation, to name it when it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease<T> {
    pub token: T,
    pub generation: u64,
    /// Fetched by this call (not taken from the cache).
    pub fresh: bool,
}

impl<T: Clone> TokenCache<T> {
    pub fn new(margin: Duration) -> Self {
        TokenCache {
            margin,
            state: Mutex::new(State {
                current: None,
                generation: 0,
            }),
        }
    }

    /// A cache that starts with a token known beforehand, valid until refused.
    pub fn seeded(margin: Duration, token: T) -> Self {
        TokenCache {
            margin,
            state: Mutex::new(State {
                current: Some(Cached {
                    token,
                    renew_at: None,
                    generation: 1,
                }),
                generation: 1,
            }),
        }
    }

    /// The cached token if it is still good, else the one `fetch` returns with its lifetime
    /// (`None`: valid until refused). A fetch error is returned and nothing is cached.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<Lease<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Option<Duration>), E>>,
    {
        let mut state = self.state.lock().await;
        if let Some(c) = &state.current
            && c.renew_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(Lease {
                token: c.token.clone(),
                generation: c.generation,
                fresh: false,
            });
        }
        let (token, lifetime) = fetch().await?;
        let renew_at = lifetime.map(|ttl| Instant::now() + ttl - self.margin.min(ttl / 2));
        state.generation += 1;
        let generation = state.generation;
        state.current = Some(Cached {
            token: token.clone(),
            renew_at,
            generation,
        });
        Ok(Lease {
            token,
            generation,
            fresh: true,
        })
    }

    /// Drops the token of `generation` (a newer one fetched meanwhile is kept).
    pub async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|c| c.generation == generation)
        {
            state.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    type Fetches = Arc<AtomicU32>;

    async fn get(
        cache: &TokenCache<String>,
        fetches: &Fetches,
        ttl: Option<Duration>,
    ) -> Lease<String> {
        cache
            .get(|| async {
                let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
                Ok::<_, ()>((format!("t{n}"), ttl))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_token_is_fetched_once_and_reused() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let fetches = Fetches::default();
        let a = get(&cache, &fetches, Some(Duration::from_secs(3600))).await;
        let b = get(&cache, &fetches, Some(Duration::from_secs(3600))).await;
        assert_eq!((a.token.as_str(), a.generation, a.fresh), ("t1", 1, true));
        assert_eq!((b.token.as_str(), b.generation, b.fresh), ("t1", 1, false));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_short_lived_token_is_renewed_half_way() {
        // A 60 s margin on a 200 ms token would renew at once: half-way instead.
        let cache = TokenCache::new(Duration::from_secs(60));
        let fetches = Fetches::default();
        let ttl = Some(Duration::from_millis(200));
        get(&cache, &fetches, ttl).await;
        assert_eq!(get(&cache, &fetches, ttl).await.token, "t1");
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(get(&cache, &fetches, ttl).await.token, "t2");
    }

    #[tokio::test]
    async fn only_the_refused_generation_is_dropped() {
        let cache = TokenCache::new(Duration::ZERO);
        let fetches = Fetches::default();
        let first = get(&cache, &fetches, None).await;
        // Two requests refused with the same token: the first renews it, the second's
        // invalidation names an old generation and keeps the new token.
        cache.invalidate(first.generation).await;
        let second = get(&cache, &fetches, None).await;
        cache.invalidate(first.generation).await;
        let third = get(&cache, &fetches, None).await;
        assert_eq!(second.token, "t2");
        assert_eq!(
            third,
            Lease {
                fresh: false,
                ..second
            }
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_seeded_token_is_used_until_refused_and_a_failed_fetch_caches_nothing() {
        let cache = TokenCache::seeded(Duration::ZERO, "known".to_string());
        let fetches = Fetches::default();
        let lease = get(&cache, &fetches, None).await;
        assert_eq!((lease.token.as_str(), lease.fresh), ("known", false));
        cache.invalidate(lease.generation).await;
        let failed = cache
            .get(|| async { Err::<(String, _), _>("refused") })
            .await;
        assert_eq!(failed, Err("refused"));
        let next = get(&cache, &fetches, None).await;
        assert_eq!((next.token.as_str(), next.generation), ("t1", 2));
    }

    #[tokio::test]
    async fn concurrent_requests_share_one_fetch() {
        let cache = Arc::new(TokenCache::new(Duration::ZERO));
        let fetches = Fetches::default();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ()>(("t".to_string(), None))
                    })
                    .await
                    .unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().generation, 1);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
