//! The HTTP client for Genesys Cloud: token handling, the shared gate, retries with backoff,
//! and errors that name what went wrong.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::auth::TokenCache;
use super::error::{CredentialsOrigin, GenesysError};
use super::gate::Gate;
use super::stream::StreamError;
use genesys_api::models::{ErrorBody, TokenError, TokenResponse};

/// How scopewatch talks to one Genesys Cloud org.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: SecretString,
    pub region: String,
    pub api_base_url: String,
    pub login_base_url: String,
    pub max_requests_per_minute: u32,
    /// Timeout of each HTTP call.
    pub request_timeout: Duration,
    /// The longest `Retry-After` scopewatch waits for; longer gives up.
    pub retry_after_cap: Duration,
    /// Tries per call for 5xx, timeouts, dropped connections and malformed bodies.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Pause between polls of the usage query.
    pub usage_poll_interval: Duration,
    /// Polls before the usage query is given up (its evidence becomes unknown).
    pub usage_max_polls: u32,
    /// The whole collection must end within this.
    pub deadline: Duration,
    pub usage_window_days: u32,
    /// The usage-anomaly rule's windows and bounds (`None`: the rule is off, so usage is read
    /// over the usage window only and no per-client usage job runs).
    pub usage_anomaly: Option<crate::audit::anomaly::AnomalyThresholds>,
    /// What one audit may read: bytes per body, pages per listing, entities per listing.
    pub limits: Limits,
    /// Where the credentials are configured, named when Genesys refuses them.
    pub credentials: CredentialsOrigin,
}

/// The first pause before polling an asynchronous query again.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(10);

impl ClientConfig {
    /// Pauses between polls of an asynchronous query (usage, audit trail): soon at first (a
    /// small org's query ends in moments, and every pause is on the audit's critical path),
    /// doubling up to `usage_poll_interval`. The number of polls stays bounded by
    /// `usage_max_polls`.
    pub fn poll_pauses(&self) -> impl Iterator<Item = Duration> + use<> {
        let cap = self.usage_poll_interval;
        std::iter::successors(Some(cap.min(FIRST_POLL_PAUSE)), move |p| {
            Some((*p * 2).min(cap))
        })
    }
}

/// Bounds on what the upstream may make scopewatch read (it may be hostile or broken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_pages: u32,
    pub max_entities: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 128 << 20,
            max_pages: 1_000,
            max_entities: 50_000,
        }
    }
}

/// The longest token lifetime scopewatch believes (Genesys allows at most 48 hours).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(172_800);

/// Upstream text kept in errors, logs and the history, in characters.
const MAX_UPSTREAM_TEXT: usize = 300;

impl ClientConfig {
    /// A configuration with the default limits.
    pub fn new(
        client_id: String,
        client_secret: SecretString,
        region: String,
        api_base_url: String,
        login_base_url: String,
    ) -> ClientConfig {
        ClientConfig {
            client_id,
            client_secret,
            region,
            api_base_url: api_base_url.trim_end_matches('/').to_string(),
            login_base_url: login_base_url.trim_end_matches('/').to_string(),
            max_requests_per_minute: 120,
            request_timeout: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(180),
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            usage_poll_interval: Duration::from_secs(2),
            usage_max_polls: 150,
            deadline: Duration::from_secs(15 * 60),
            usage_window_days: 90,
            usage_anomaly: Some(Default::default()),
            limits: Limits::default(),
            credentials: CredentialsOrigin::default(),
        }
    }
}

/// Told about every upstream answer and retry (the service counts them as metrics).
pub trait Observer: Send + Sync {
    fn request(&self, _endpoint: &str, _status: &str) {}
    fn retry(&self, _reason: &'static str) {}
    /// `count` records of `endpoint` (a template) did not parse and were skipped.
    fn records_skipped(&self, _endpoint: &str, _count: u64) {}
    /// Usage was read from `api`: `jobs` (the usage jobs API) or `legacy` (the older query).
    fn usage_api(&self, _api: &'static str) {}
}

/// An observer that ignores everything.
pub struct NoObserver;
impl Observer for NoObserver {}

pub struct GenesysClient {
    http: reqwest::Client,
    pub(crate) config: ClientConfig,
    tokens: TokenCache,
    gate: Gate,
    observer: Arc<dyn Observer>,
    /// The live permission catalog read last, kept for the process (or seeded from the
    /// database) so the large API description is read at most once a day.
    live_catalog: tokio::sync::Mutex<Option<genesys_api::description::LiveCatalog>>,
}

/// 429s one call may receive before scopewatch gives up on it.
const MAX_RATE_LIMITED: u32 = 50;

/// The permission each endpoint needs, for errors when Genesys does not say.
fn permission_for(endpoint: &str) -> &'static str {
    match endpoint {
        "/api/v2/authorization/roles" => "authorization:role:view",
        // The jobs API takes only the usage permission.
        e if e.starts_with("/api/v2/usage/aggregates") => "usage:organization:view",
        e if e.starts_with("/api/v2/usage/client/") => "usage:client:view",
        // Either one lets the older usage query run.
        e if e.starts_with("/api/v2/usage") => "oauth:client:view or usage:organization:view",
        e if e.starts_with("/api/v2/audits") => "audits:audit:view",
        "/api/v2/organizations/ipaddressauthentication" => "directory:organization:admin",
        "/api/v2/oauth/authorizations" => "oauth:client:authorize",
        _ => "oauth:client:view",
    }
}

/// `Retry-After` as seconds or as an HTTP date, never less than a second (a `0` would
/// make every waiting call retry at once).
fn retry_after(
    headers: &header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&chrono::Utc) - now)
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.max(Duration::from_secs(1)))
}

/// Upstream text made safe to keep: control characters (NUL, ESC, newlines) become spaces,
/// `secrets` are cut out, and it is shortened.
pub(crate) fn clean(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret, "[redacted]");
    }
    genesys_api::text::sanitize(&text, MAX_UPSTREAM_TEXT)
}

/// A failed attempt worth another try.
struct Retry {
    reason: &'static str,
    last: String,
}

/// After an answer that was not a success.
enum Next {
    /// Again at once, not counted as an attempt (a renewed token, a rate limit waited out).
    Again,
    /// A failure worth another try, counted.
    Retry(Retry),
}

/// After the token endpoint answered.
enum TokenNext {
    Token((SecretString, Duration)),
    Again,
    Retry(Retry),
}

impl GenesysClient {
    pub fn new(
        config: ClientConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<GenesysClient, GenesysError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("scopewatch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            // A redirect would take the call to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GenesysError::Setup(e.to_string()))?;
        Ok(GenesysClient {
            gate: Gate::new(config.max_requests_per_minute),
            http,
            config,
            tokens: TokenCache::default(),
            observer,
            live_catalog: tokio::sync::Mutex::new(None),
        })
    }

    /// Upstream text with this client's credentials cut out (a login host that echoes the
    /// Authorization header must not get them into the history).
    fn clean(&self, text: &str) -> String {
        self.clean_with(text, None)
    }

    /// Also cuts out the bearer token a call was made with (an API host may echo it).
    fn clean_with(&self, text: &str, token: Option<&SecretString>) -> String {
        use base64::Engine;
        let secret = self.config.client_secret.expose_secret();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{secret}", self.config.client_id));
        let token = token.map(|t| t.expose_secret()).unwrap_or("");
        clean(text, &[secret, &basic, token])
    }

    /// The body, read up to the byte limit.
    async fn read_body(
        &self,
        endpoint: &str,
        mut resp: reqwest::Response,
    ) -> Result<Result<Vec<u8>, reqwest::Error>, GenesysError> {
        let limit = self.config.limits.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(self.too_big(endpoint));
        }
        // Sized once when the length is known (within the limit): growing by doubling would
        // hold up to twice a large listing's bytes.
        let mut body =
            Vec::with_capacity(resp.content_length().map_or(0, |n| n as usize).min(limit));
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(self.too_big(endpoint));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Ok(body)),
                Err(e) => return Ok(Err(e)),
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        // Full jitter: anywhere between zero and the exponential ceiling.
        let ceiling = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.backoff_max);
        let fraction = (genesys_api::rng::random_u64() % 1_000_001) as f64 / 1_000_000.0;
        ceiling.mul_f64(fraction)
    }

    /// Logs in now (the token is kept for the calls that follow): a wrong login host or
    /// secret fails here, before any reading starts.
    pub async fn log_in(&self) -> Result<(), GenesysError> {
        self.token().await.map(|_| ())
    }

    async fn token(&self) -> Result<SecretString, GenesysError> {
        self.tokens.get(|| self.fetch_token()).await
    }

    async fn fetch_token(&self) -> Result<(SecretString, Duration), GenesysError> {
        const ENDPOINT: &str = "/oauth/token";
        let url = format!("{}{ENDPOINT}", self.config.login_base_url);
        let mut rate_limited = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.gate.pass().await;
            let sent = self
                .http
                .post(&url)
                .basic_auth(
                    &self.config.client_id,
                    Some(self.config.client_secret.expose_secret()),
                )
                .form(&[("grant_type", "client_credentials")])
                .timeout(self.config.request_timeout)
                .send()
                .await;
            let step = match sent {
                Err(e) => self.transport_failure(ENDPOINT, &e),
                Ok(resp) => match self.token_answer(resp, &mut rate_limited).await? {
                    TokenNext::Token(token) => return Ok(token),
                    TokenNext::Again => {
                        attempt -= 1;
                        continue;
                    }
                    TokenNext::Retry(step) => step,
                },
            };
            self.after_failure(ENDPOINT, attempt, step).await?;
        }
    }

    /// The token endpoint's answer: the token and how long to believe it, a wait, a retry, or
    /// the refusal (OAuth's error shape, not `ErrorBody`).
    async fn token_answer(
        &self,
        resp: reqwest::Response,
        rate_limited: &mut u32,
    ) -> Result<TokenNext, GenesysError> {
        const ENDPOINT: &str = "/oauth/token";
        let status = resp.status();
        self.observer.request(ENDPOINT, status.as_str());
        let headers = resp.headers().clone();
        let body = self.read_body(ENDPOINT, resp).await?;
        Ok(match (status, body) {
            (s, Ok(bytes)) if s.is_success() => {
                match serde_json::from_slice::<TokenResponse>(&bytes) {
                    Ok(t) => {
                        // Any lifetime is believed only up to Genesys's maximum.
                        let expires_in = Duration::from_secs(
                            t.expires_in.clamp(1, MAX_TOKEN_LIFETIME.as_secs() as i64) as u64,
                        );
                        TokenNext::Token((SecretString::from(t.access_token), expires_in))
                    }
                    Err(e) => TokenNext::Retry(Retry {
                        reason: "server_error",
                        last: format!("malformed token response: {}", self.clean(&e.to_string())),
                    }),
                }
            }
            (StatusCode::TOO_MANY_REQUESTS, _) => {
                self.rate_limited(ENDPOINT, &headers, rate_limited)?;
                TokenNext::Again
            }
            (s, _) if s.is_server_error() => TokenNext::Retry(Retry {
                reason: "server_error",
                last: format!("HTTP {s}"),
            }),
            (s, Ok(bytes)) if s.is_client_error() => {
                let reason = serde_json::from_slice::<TokenError>(&bytes)
                    .map(|e| {
                        if e.description.is_empty() {
                            e.error
                        } else {
                            e.description
                        }
                    })
                    .unwrap_or_else(|_| format!("HTTP {s}"));
                return Err(GenesysError::Credentials {
                    reason: self.clean(&reason),
                    check: self.config.credentials.clone(),
                });
            }
            (s, Ok(_)) => {
                return Err(GenesysError::Upstream {
                    endpoint: ENDPOINT.into(),
                    status: s.as_u16(),
                    code: String::new(),
                    message: "unexpected answer".into(),
                });
            }
            (_, Err(e)) => TokenNext::Retry(self.transport_failure(ENDPOINT, &e)),
        })
    }

    fn transport_failure(&self, endpoint: &str, e: &reqwest::Error) -> Retry {
        let (status, reason) = if e.is_timeout() {
            ("timeout", "timeout")
        } else {
            ("connection_error", "server_error")
        };
        self.observer.request(endpoint, status);
        Retry {
            reason,
            last: format!("{status}: {}", self.clean(&error_chain(e))),
        }
    }

    /// Holds the gate for `Retry-After`; gives up when that is longer than the cap, or after
    /// `MAX_RATE_LIMITED` 429s for one call.
    fn rate_limited(
        &self,
        endpoint: &str,
        headers: &header::HeaderMap,
        count: &mut u32,
    ) -> Result<(), GenesysError> {
        *count += 1;
        if *count > MAX_RATE_LIMITED {
            return Err(GenesysError::RetriesExhausted {
                endpoint: endpoint.into(),
                attempts: *count,
                last: "still rate limited".into(),
            });
        }
        let wait = retry_after(headers, chrono::Utc::now()).unwrap_or(Duration::from_secs(3));
        if wait > self.config.retry_after_cap {
            return Err(GenesysError::RateLimitCapExceeded {
                endpoint: endpoint.into(),
                retry_after: wait,
                cap: self.config.retry_after_cap,
            });
        }
        tracing::warn!(
            endpoint,
            retry_after_secs = wait.as_secs(),
            "rate limited by Genesys; holding all calls"
        );
        self.gate.hold_until(Instant::now() + wait);
        self.observer.retry("rate_limited");
        Ok(())
    }

    async fn after_failure(
        &self,
        endpoint: &str,
        attempt: u32,
        Retry { reason, last }: Retry,
    ) -> Result<(), GenesysError> {
        if attempt >= self.config.max_attempts {
            return Err(GenesysError::RetriesExhausted {
                endpoint: endpoint.into(),
                attempts: attempt,
                last,
            });
        }
        let pause = self.backoff(attempt);
        tracing::warn!(endpoint, attempt, reason, error = %last, pause_ms = pause.as_millis() as u64, "retrying Genesys call");
        self.observer.retry(reason);
        tokio::time::sleep(pause).await;
        Ok(())
    }

    /// The live permission catalog known here, if any.
    pub async fn live_catalog(&self) -> Option<genesys_api::description::LiveCatalog> {
        self.live_catalog.lock().await.clone()
    }

    /// Installs a live catalog read earlier (the database's, at start) unless a newer one is known.
    pub async fn seed_live_catalog(&self, live: genesys_api::description::LiveCatalog) {
        let mut kept = self.live_catalog.lock().await;
        if kept.as_ref().is_none_or(|k| k.fetched_at < live.fetched_at) {
            *kept = Some(live);
        }
    }

    /// The live catalog when it is fresh; otherwise the description is read again. The lock is
    /// held while reading so two audits never both read it.
    pub(crate) async fn fresh_live_catalog(
        &self,
        endpoint: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<genesys_api::description::LiveCatalog, GenesysError> {
        let mut kept = self.live_catalog.lock().await;
        if let Some(live) = kept.as_ref().filter(|l| l.is_fresh(now)) {
            return Ok(live.clone());
        }
        let description: genesys_api::description::ApiDescription =
            self.get_json_streamed(endpoint, endpoint).await?;
        let live = genesys_api::description::LiveCatalog::new(now, description.operations);
        *kept = Some(live.clone());
        Ok(live)
    }

    /// Tells the observer that `count` records of `endpoint` were skipped (none: nothing).
    pub(crate) fn records_skipped(&self, endpoint: &str, count: u64) {
        if count > 0 {
            self.observer.records_skipped(endpoint, count);
        }
    }

    /// Tells the observer which usage API answered (`jobs` or `legacy`).
    pub(crate) fn usage_api_used(&self, api: &'static str) {
        self.observer.usage_api(api);
    }

    /// GET an API path (relative, with its query) and parse the JSON answer.
    pub async fn get_json<T: DeserializeOwned + Send + 'static>(
        &self,
        endpoint: &str,
        path: &str,
    ) -> Result<T, GenesysError> {
        self.call(endpoint, Method::GET, path, None, Buffered).await
    }

    /// GET an API path and parse the JSON answer while it arrives, never holding the whole
    /// body (for the API description, tens of MB).
    pub async fn get_json_streamed<T: DeserializeOwned + Send + 'static>(
        &self,
        endpoint: &str,
        path: &str,
    ) -> Result<T, GenesysError> {
        self.call(endpoint, Method::GET, path, None, Streamed).await
    }

    /// POST a JSON body to an API path and parse the JSON answer.
    pub async fn post_json<T: DeserializeOwned + Send + 'static, B: Serialize>(
        &self,
        endpoint: &str,
        path: &str,
        body: &B,
    ) -> Result<T, GenesysError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GenesysError::Setup(e.to_string()))?;
        self.call(endpoint, Method::POST, path, Some(bytes), Buffered)
            .await
    }

    /// Why reading a body failed, as a step worth another try.
    fn dropped(&self, e: &reqwest::Error) -> Retry {
        Retry {
            reason: if e.is_timeout() {
                "timeout"
            } else {
                "server_error"
            },
            last: format!(
                "the connection dropped while reading the body: {}",
                self.clean(&error_chain(e))
            ),
        }
    }

    fn malformed(&self, e: &serde_json::Error) -> Retry {
        Retry {
            reason: "server_error",
            last: format!("malformed JSON body: {}", self.clean(&e.to_string())),
        }
    }

    fn too_big(&self, endpoint: &str) -> GenesysError {
        GenesysError::Limit {
            endpoint: endpoint.into(),
            what: "the response body",
            limit: self.config.limits.max_body_bytes as u64,
            setting: "SCOPEWATCH_MAX_BODY_MB",
        }
    }

    async fn call<T, D: Decode<T>>(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        decode: D,
    ) -> Result<T, GenesysError> {
        let url = format!("{}{path}", self.config.api_base_url);
        let mut attempt = 0;
        let mut renewed = false;
        let mut rate_limited = 0;
        loop {
            attempt += 1;
            self.gate.pass().await;
            let token = self.token().await?;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose_secret())
                .header(header::ACCEPT, "application/json")
                .timeout(self.config.request_timeout);
            if let Some(b) = &body {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let step = match request.send().await {
                Err(e) => self.transport_failure(endpoint, &e),
                Ok(resp) if resp.status().is_success() => {
                    self.observer.request(endpoint, resp.status().as_str());
                    match decode.decode(self, endpoint, resp).await? {
                        Ok(value) => return Ok(value),
                        Err(step) => step,
                    }
                }
                Ok(resp) => match self
                    .refused(endpoint, resp, &token, &mut renewed, &mut rate_limited)
                    .await?
                {
                    Next::Again => {
                        attempt -= 1;
                        continue;
                    }
                    Next::Retry(step) => step,
                },
            };
            self.after_failure(endpoint, attempt, step).await?;
        }
    }

    /// An answer that is not a success: renew the token once on a 401, wait out a 429, retry a
    /// 5xx, and name the problem of anything else.
    async fn refused(
        &self,
        endpoint: &str,
        resp: reqwest::Response,
        token: &SecretString,
        renewed: &mut bool,
        rate_limited: &mut u32,
    ) -> Result<Next, GenesysError> {
        let status = resp.status();
        self.observer.request(endpoint, status.as_str());
        let headers = resp.headers().clone();
        let bytes = match self.read_body(endpoint, resp).await? {
            Ok(b) => b,
            Err(e) => return Ok(Next::Retry(self.dropped(&e))),
        };
        let error: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let code = error
            .as_ref()
            .map(|e| self.clean_with(&e.code, Some(token)))
            .unwrap_or_default();
        let message = self.clean_with(
            &error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()),
            Some(token),
        );
        match status {
            StatusCode::UNAUTHORIZED if !*renewed => {
                *renewed = true;
                self.tokens.invalidate(token).await;
                self.observer.retry("unauthorized");
                tracing::info!(endpoint, "token refused; renewing it once");
                Ok(Next::Again)
            }
            StatusCode::UNAUTHORIZED => Err(GenesysError::Unauthorized {
                endpoint: endpoint.into(),
            }),
            StatusCode::FORBIDDEN => {
                let permission = error
                    .and_then(|e| e.message_params)
                    .and_then(|p| p.get("permissions").cloned())
                    .map(|p| self.clean(p.trim_matches(|c| c == '[' || c == ']')))
                    .unwrap_or_else(|| permission_for(endpoint).to_string());
                Err(GenesysError::MissingPermission {
                    endpoint: endpoint.into(),
                    permission,
                })
            }
            StatusCode::TOO_MANY_REQUESTS => {
                self.rate_limited(endpoint, &headers, rate_limited)?;
                Ok(Next::Again)
            }
            // 501: the operation is not there (a region without a service); trying again
            // cannot help, and the caller may use another API.
            s if s.is_server_error() && s != StatusCode::NOT_IMPLEMENTED => {
                Ok(Next::Retry(Retry {
                    reason: "server_error",
                    last: format!("HTTP {} {code}", s.as_u16()),
                }))
            }
            s => Err(GenesysError::Upstream {
                endpoint: endpoint.into(),
                status: s.as_u16(),
                code,
                message,
            }),
        }
    }
}

/// A client of an upstream that is never reached (port 9), for unit tests that drive the
/// client's own logic; `observer` hears what it counts.
#[cfg(test)]
pub(crate) fn offline_client(observer: Arc<dyn Observer>) -> GenesysClient {
    let mut config = ClientConfig::new(
        "id".into(),
        SecretString::from("secret"),
        "mypurecloud.com".into(),
        "http://127.0.0.1:9".into(),
        "http://127.0.0.1:9".into(),
    );
    config.deadline = Duration::from_secs(60);
    GenesysClient::new(config, observer).expect("a client of a fixed configuration")
}

/// How a successful answer's body becomes a value: `Ok(Err(step))` is a failure worth another
/// try (a dropped connection, a malformed body), `Err` one that is not (the body is too big).
trait Decode<T> {
    async fn decode(
        &self,
        client: &GenesysClient,
        endpoint: &str,
        resp: reqwest::Response,
    ) -> Result<Result<T, Retry>, GenesysError>;
}

/// The whole body read (up to the limit), then parsed; a large one on the blocking pool, so
/// parsing tens of MB (the clients listing, the usage rows) never holds up the other calls.
struct Buffered;

/// Bodies larger than this are parsed on the blocking pool.
const PARSE_INLINE_BYTES: usize = 256 << 10;

impl<T: DeserializeOwned + Send + 'static> Decode<T> for Buffered {
    async fn decode(
        &self,
        client: &GenesysClient,
        endpoint: &str,
        resp: reqwest::Response,
    ) -> Result<Result<T, Retry>, GenesysError> {
        Ok(match client.read_body(endpoint, resp).await? {
            Err(e) => Err(client.dropped(&e)),
            Ok(bytes) if bytes.len() <= PARSE_INLINE_BYTES => {
                serde_json::from_slice(&bytes).map_err(|e| client.malformed(&e))
            }
            Ok(bytes) => {
                let parsed = tokio::task::spawn_blocking(move || serde_json::from_slice(&bytes))
                    .await
                    .unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()));
                parsed.map_err(|e| client.malformed(&e))
            }
        })
    }
}

/// Parsed while it arrives (`stream::parse`), never held whole.
struct Streamed;

impl<T: DeserializeOwned + Send + 'static> Decode<T> for Streamed {
    async fn decode(
        &self,
        client: &GenesysClient,
        endpoint: &str,
        mut resp: reqwest::Response,
    ) -> Result<Result<T, Retry>, GenesysError> {
        let limit = client.config.limits.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(client.too_big(endpoint));
        }
        match super::stream::parse(limit, &mut resp).await {
            Ok(value) => Ok(Ok(value)),
            Err(StreamError::TooBig) => Err(client.too_big(endpoint)),
            Err(StreamError::Read(e)) => Ok(Err(client.dropped(&e))),
            Err(StreamError::Malformed(e)) => Ok(Err(client.malformed(&e))),
        }
    }
}

/// What kind of failure, and its causes. A connection failure (a DNS error included) names
/// the host it tried, the first thing to check; the rest of the URL is left out (it never holds
/// a secret, but it adds nothing the endpoint label does not say).
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        match e.url().and_then(|u| u.host_str()) {
            Some(host) => format!("cannot connect to {host}"),
            None => "cannot connect".to_string(),
        }
    } else if e.is_body() || e.is_decode() {
        "error reading the body".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_retry_after(value: &str) -> header::HeaderMap {
        let mut h = header::HeaderMap::new();
        h.insert(header::RETRY_AFTER, value.parse().unwrap());
        h
    }

    #[test]
    fn a_403_without_a_named_permission_names_the_documented_one() {
        assert_eq!(
            permission_for("/api/v2/audits/query/{transactionId}/results"),
            "audits:audit:view"
        );
        assert_eq!(
            permission_for("/api/v2/usage/query"),
            "oauth:client:view or usage:organization:view"
        );
        assert_eq!(
            permission_for("/api/v2/usage/aggregates/query/jobs"),
            "usage:organization:view",
            "the jobs API takes only the usage permission"
        );
        assert_eq!(
            permission_for("/api/v2/authorization/roles"),
            "authorization:role:view"
        );
    }

    #[test]
    fn polls_come_soon_at_first_then_double_up_to_the_interval() {
        let mut config = ClientConfig::new(
            "id".into(),
            SecretString::from("secret"),
            "mypurecloud.com".into(),
            "https://api.mypurecloud.com".into(),
            "https://login.mypurecloud.com".into(),
        );
        config.usage_poll_interval = Duration::from_millis(100);
        let pauses: Vec<u64> = config
            .poll_pauses()
            .take(6)
            .map(|p| p.as_millis() as u64)
            .collect();
        assert_eq!(pauses, [10, 20, 40, 80, 100, 100]);
        config.usage_poll_interval = Duration::from_millis(5);
        assert_eq!(config.poll_pauses().next(), Some(Duration::from_millis(5)));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_never_less_than_a_second() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let wait = |v: &str| retry_after(&with_retry_after(v), now);
        assert_eq!(wait("7"), Some(Duration::from_secs(7)));
        assert_eq!(wait("0"), Some(Duration::from_secs(1)), "0 is floored");
        assert_eq!(
            wait("Thu, 26 Nov 2026 10:00:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            wait("Thu, 26 Nov 2026 09:00:00 GMT"),
            Some(Duration::from_secs(1)),
            "a date in the past waits the floor"
        );
        assert_eq!(wait("soon"), None);
    }

    #[test]
    fn upstream_text_loses_control_bytes_secrets_and_length() {
        let cleaned = clean(
            &format!("a\0b\u{1b}c secret-value {}", "y".repeat(1000)),
            &["secret-value"],
        );
        assert!(cleaned.starts_with("a b c [redacted] "), "{cleaned}");
        assert!(cleaned.chars().count() <= MAX_UPSTREAM_TEXT + 1);
    }
}
