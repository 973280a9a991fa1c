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
use super::error::GenesysError;
use super::gate::Gate;
use super::models::{ErrorBody, TokenError, TokenResponse};

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
}

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
        }
    }
}

/// Told about every upstream answer and retry (the service counts them as metrics).
pub trait Observer: Send + Sync {
    fn request(&self, _endpoint: &str, _status: &str) {}
    fn retry(&self, _reason: &'static str) {}
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
}

/// 429s one call may receive before scopewatch gives up on it.
const MAX_RATE_LIMITED: u32 = 50;

/// The permission each endpoint needs, for errors when Genesys does not say.
fn permission_for(endpoint: &str) -> &'static str {
    match endpoint {
        "/api/v2/authorization/roles" => "authorization:role:view",
        e if e.starts_with("/api/v2/usage") => "usage:organization:view",
        _ => "oauth:client:view",
    }
}

fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn short(text: &str) -> String {
    let mut t: String = text.chars().take(200).collect();
    if t.len() < text.len() {
        t.push('…');
    }
    t
}

/// A failed attempt worth another try.
struct Retry {
    reason: &'static str,
    last: String,
}

impl GenesysClient {
    pub fn new(
        config: ClientConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<GenesysClient, GenesysError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("scopewatch/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| GenesysError::Setup(e.to_string()))?;
        Ok(GenesysClient {
            gate: Gate::new(config.max_requests_per_minute),
            http,
            config,
            tokens: TokenCache::default(),
            observer,
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        // Full jitter: anywhere between zero and the exponential ceiling.
        let ceiling = self
            .config
            .backoff_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.backoff_max);
        let fraction = (crate::rng::random_u64() % 1_000_001) as f64 / 1_000_000.0;
        ceiling.mul_f64(fraction)
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
                Ok(resp) => {
                    let status = resp.status();
                    self.observer.request(ENDPOINT, status.as_str());
                    let headers = resp.headers().clone();
                    let body = resp.bytes().await;
                    match (status, body) {
                        (s, Ok(bytes)) if s.is_success() => {
                            match serde_json::from_slice::<TokenResponse>(&bytes) {
                                Ok(t) => {
                                    let expires_in =
                                        Duration::from_secs(t.expires_in.max(1) as u64);
                                    return Ok((SecretString::from(t.access_token), expires_in));
                                }
                                Err(e) => Retry {
                                    reason: "server_error",
                                    last: format!("malformed token response: {e}"),
                                },
                            }
                        }
                        (StatusCode::TOO_MANY_REQUESTS, _) => {
                            self.rate_limited(ENDPOINT, &headers, &mut rate_limited)?;
                            attempt -= 1;
                            continue;
                        }
                        (s, _) if s.is_server_error() => Retry {
                            reason: "server_error",
                            last: format!("HTTP {s}"),
                        },
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
                            return Err(GenesysError::Credentials { reason });
                        }
                        (s, Ok(_)) => {
                            return Err(GenesysError::Upstream {
                                endpoint: ENDPOINT.into(),
                                status: s.as_u16(),
                                code: String::new(),
                                message: "unexpected answer".into(),
                            });
                        }
                        (_, Err(e)) => self.transport_failure(ENDPOINT, &e),
                    }
                }
            };
            self.after_failure(ENDPOINT, attempt, step).await?;
        }
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
            last: format!("{status}: {}", error_chain(e)),
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
        let wait = retry_after(headers).unwrap_or(Duration::from_secs(3));
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

    /// GET an API path (relative, with its query) and parse the JSON answer.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        path: &str,
    ) -> Result<T, GenesysError> {
        self.call(endpoint, Method::GET, path, None).await
    }

    /// POST a JSON body to an API path and parse the JSON answer.
    pub async fn post_json<T: DeserializeOwned, B: Serialize>(
        &self,
        endpoint: &str,
        path: &str,
        body: &B,
    ) -> Result<T, GenesysError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GenesysError::Setup(e.to_string()))?;
        self.call(endpoint, Method::POST, path, Some(bytes)).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
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
                Ok(resp) => {
                    let status = resp.status();
                    self.observer.request(endpoint, status.as_str());
                    let headers = resp.headers().clone();
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            let step = Retry {
                                reason: if e.is_timeout() {
                                    "timeout"
                                } else {
                                    "server_error"
                                },
                                last: format!(
                                    "the connection dropped while reading the body: {}",
                                    error_chain(&e)
                                ),
                            };
                            self.after_failure(endpoint, attempt, step).await?;
                            continue;
                        }
                    };
                    if status.is_success() {
                        match serde_json::from_slice::<T>(&bytes) {
                            Ok(value) => return Ok(value),
                            Err(e) => Retry {
                                reason: "server_error",
                                last: format!("malformed JSON body: {e}"),
                            },
                        }
                    } else {
                        let error: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
                        let code = error.as_ref().map(|e| e.code.clone()).unwrap_or_default();
                        let message = error
                            .as_ref()
                            .map(|e| e.message.clone())
                            .unwrap_or_else(|| short(&String::from_utf8_lossy(&bytes)));
                        match status {
                            StatusCode::UNAUTHORIZED if !renewed => {
                                renewed = true;
                                self.tokens.invalidate(&token).await;
                                self.observer.retry("unauthorized");
                                tracing::info!(endpoint, "token refused; renewing it once");
                                attempt -= 1;
                                continue;
                            }
                            StatusCode::UNAUTHORIZED => {
                                return Err(GenesysError::Unauthorized {
                                    endpoint: endpoint.into(),
                                });
                            }
                            StatusCode::FORBIDDEN => {
                                let permission = error
                                    .and_then(|e| e.message_params)
                                    .and_then(|p| p.get("permissions").cloned())
                                    .map(|p| p.trim_matches(|c| c == '[' || c == ']').to_string())
                                    .unwrap_or_else(|| permission_for(endpoint).to_string());
                                return Err(GenesysError::MissingPermission {
                                    endpoint: endpoint.into(),
                                    permission,
                                });
                            }
                            StatusCode::TOO_MANY_REQUESTS => {
                                self.rate_limited(endpoint, &headers, &mut rate_limited)?;
                                attempt -= 1;
                                continue;
                            }
                            s if s.is_server_error() => Retry {
                                reason: "server_error",
                                last: format!("HTTP {} {code}", s.as_u16()),
                            },
                            s => {
                                return Err(GenesysError::Upstream {
                                    endpoint: endpoint.into(),
                                    status: s.as_u16(),
                                    code,
                                    message,
                                });
                            }
                        }
                    }
                }
            };
            self.after_failure(endpoint, attempt, step).await?;
        }
    }
}

/// What kind of failure, and its causes. The URL is left out (it never holds a secret, but
/// it adds nothing the endpoint label does not say).
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "error reading the body"
    } else {
        "request failed"
    }
    .to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
