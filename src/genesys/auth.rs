//! The client-credentials token: fetched once, cached until shortly before it expires, renewed
//! by exactly one caller when it is refused (single flight).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

struct Cached {
    token: SecretString,
    renew_at: Instant,
}

/// The cache. `fetch` is supplied by the caller so the HTTP details stay in one place.
#[derive(Default)]
pub(super) struct TokenCache {
    current: Mutex<Option<Cached>>,
}

/// How long before expiry a token is renewed: a minute, or a tenth of short lifetimes.
pub(super) fn renewal_margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (which returns the token and `expires_in`).
    /// Concurrent callers wait for one fetch.
    pub(super) async fn get<F, Fut, E>(&self, fetch: F) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(SecretString, Duration), E>>,
    {
        let mut current = self.current.lock().await;
        if let Some(cached) = current.as_ref()
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.token.clone());
        }
        let (token, expires_in) = fetch().await?;
        let now = Instant::now();
        *current = Some(Cached {
            token: token.clone(),
            // Checked: a lifetime beyond the clock's range renews at once rather than panic.
            renew_at: now
                .checked_add(expires_in - renewal_margin(expires_in))
                .unwrap_or(now),
        });
        Ok(token)
    }

    /// Forgets `refused` if it is still the cached token; a token another caller already
    /// replaced is left alone, so one refusal causes one renewal.
    pub(super) async fn invalidate(&self, refused: &SecretString) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == refused.expose_secret())
        {
            *current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_one_renewal() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let get = |cache: Arc<TokenCache>, fetches: Arc<AtomicU32>| async move {
            cache
                .get(|| async {
                    let n = fetches.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>((
                        SecretString::from(format!("t{n}")),
                        Duration::from_secs(3600),
                    ))
                })
                .await
                .unwrap()
        };
        let tokens: Vec<SecretString> =
            futures_util::future::join_all((0..8).map(|_| get(cache.clone(), fetches.clone())))
                .await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Every caller saw the same token refused; only one renewal follows.
        for t in &tokens {
            cache.invalidate(t).await;
        }
        let renewed: Vec<SecretString> =
            futures_util::future::join_all((0..8).map(|_| get(cache.clone(), fetches.clone())))
                .await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert!(renewed.iter().all(|t| t.expose_secret() == "t1"));
    }

    #[test]
    fn short_lifetimes_renew_a_tenth_early() {
        assert_eq!(
            renewal_margin(Duration::from_secs(86_400)),
            Duration::from_secs(60)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
    }
}
