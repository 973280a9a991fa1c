//! The simulator's mutable state: its clock, issued tokens with their rate-limit windows,
//! usage query executions, and a log of the requests it answered.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};

use super::faults::Faults;
use super::org::Org;
use crate::genesys::models::UsageRow;

/// Tunables of a simulator run.
#[derive(Debug, Clone)]
pub struct SimSettings {
    /// Requests allowed per token per minute before 429.
    pub rate_limit_per_minute: u32,
    /// How many polls of a usage query answer `Running` before `Complete`.
    pub usage_running_polls: u32,
    /// Pages the client listing (today's API never does; tests use it to prove paging).
    pub client_page_size: Option<usize>,
    /// Pads the API description to at least this many bytes with models scopewatch must skip
    /// (the real one is tens of MB, mostly `definitions`); 0 serves only what it reads.
    pub description_bytes: usize,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            rate_limit_per_minute: 300,
            usage_running_polls: 1,
            client_page_size: None,
            description_bytes: 0,
        }
    }
}

/// A clock tests can move forward (token expiry, rate-limit windows) without waiting.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves simulated time forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
    pub generation: u64,
    window_start: DateTime<Utc>,
    window_count: u32,
}

/// Why a bearer token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    Unknown,
    Expired,
    Revoked,
}

/// Rate-limit bookkeeping for one call: `Ok` with the headers' figures, or `Err(retry_after)`.
pub struct RateWindow {
    pub count: u32,
    pub allowed: u32,
    pub reset_secs: i64,
}

pub struct Execution {
    pub rows: Vec<UsageRow>,
    pub running_polls_left: u32,
}

/// One request as the simulator saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub at: std::time::Instant,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
}

pub struct SimState {
    pub org: Org,
    pub settings: SimSettings,
    pub faults: Faults,
    pub clock: SimClock,
    /// The client listing, serialized once at start (the org does not change while serving).
    pub clients_body: bytes::Bytes,
    pub scopes_body: bytes::Bytes,
    /// The API description, serialized once at start (it is large and never changes).
    pub swagger_body: bytes::Bytes,
    pub client_index: HashMap<String, usize>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    generation: AtomicU64,
    executions: Mutex<HashMap<String, Execution>>,
    execution_order: Mutex<Vec<String>>,
    requests: Mutex<Vec<RequestRecord>>,
}

/// Usage query executions kept for polling; scopewatch polls its one at once, so a few suffice
/// (each holds every usage row of the org: 64 of them were most of a soak's memory).
const MAX_EXECUTIONS: usize = 8;
/// The request log keeps the newest this many records (a long-running simulator must not grow).
const MAX_LOGGED_REQUESTS: usize = 100_000;
/// Above this many tokens, expired ones are forgotten when a new one is issued.
const TOKEN_SWEEP_THRESHOLD: usize = 10_000;

impl SimState {
    pub fn new(org: Org, settings: SimSettings, faults: Faults) -> Self {
        let client_index = org
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.client.id.clone(), i))
            .collect();
        let clients_body = super::wire::render_client_page(&org, None, 1).into();
        let scopes_body = super::wire::render_scopes(&org).into();
        let swagger_body = super::wire::render_swagger(settings.description_bytes).into();
        SimState {
            org,
            settings,
            faults,
            clock: SimClock::default(),
            clients_body,
            scopes_body,
            swagger_body,
            client_index,
            tokens: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(1),
            executions: Mutex::new(HashMap::new()),
            execution_order: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
        }
    }

    pub fn issue_token(&self, client_id: &str, validity_secs: i64) -> String {
        let token = crate::rng::random_token();
        let now = self.clock.now();
        let mut tokens = lock(&self.tokens);
        if tokens.len() >= TOKEN_SWEEP_THRESHOLD {
            tokens.retain(|_, t| t.expires_at > now);
        }
        tokens.insert(
            token.clone(),
            IssuedToken {
                client_id: client_id.to_string(),
                // An org file may hold any lifetime (tests give a hostile one): saturate.
                expires_at: Duration::try_seconds(validity_secs)
                    .and_then(|d| now.checked_add_signed(d))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
                generation: self.generation.load(Ordering::Relaxed),
                window_start: now,
                window_count: 0,
            },
        );
        token
    }

    /// Revokes every token issued so far.
    pub fn revoke_all_tokens(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub fn check_token(&self, token: &str) -> Result<IssuedToken, TokenRefusal> {
        let tokens = lock(&self.tokens);
        let issued = tokens.get(token).ok_or(TokenRefusal::Unknown)?;
        if issued.generation < self.generation.load(Ordering::Relaxed) {
            return Err(TokenRefusal::Revoked);
        }
        if self.clock.now() >= issued.expires_at {
            return Err(TokenRefusal::Expired);
        }
        Ok(issued.clone())
    }

    /// Counts one call against the token's one-minute window; `Err(retry_after_secs)` when over.
    pub fn rate_limit(&self, token: &str) -> Result<RateWindow, i64> {
        let now = self.clock.now();
        let allowed = self.settings.rate_limit_per_minute;
        let mut tokens = lock(&self.tokens);
        let Some(issued) = tokens.get_mut(token) else {
            return Ok(RateWindow {
                count: 0,
                allowed,
                reset_secs: 60,
            });
        };
        if now - issued.window_start >= Duration::seconds(60) {
            issued.window_start = now;
            issued.window_count = 0;
        }
        let reset_ms = (issued.window_start + Duration::seconds(60) - now).num_milliseconds();
        let reset_secs = (reset_ms.max(0) as u64).div_ceil(1000).max(1) as i64;
        if issued.window_count >= allowed {
            return Err(reset_secs);
        }
        issued.window_count += 1;
        Ok(RateWindow {
            count: issued.window_count,
            allowed,
            reset_secs,
        })
    }

    pub fn store_execution(&self, id: String, rows: Vec<UsageRow>) {
        let mut order = lock(&self.execution_order);
        let mut executions = lock(&self.executions);
        if order.len() >= MAX_EXECUTIONS {
            let oldest = order.remove(0);
            executions.remove(&oldest);
        }
        order.push(id.clone());
        executions.insert(
            id,
            Execution {
                rows,
                running_polls_left: self.settings.usage_running_polls,
            },
        );
    }

    /// `None` for an unknown id, `Some(None)` while running, `Some(Some(rows))` once complete.
    pub fn poll_execution(&self, id: &str) -> Option<Option<Vec<UsageRow>>> {
        let mut executions = lock(&self.executions);
        let execution = executions.get_mut(id)?;
        if execution.running_polls_left > 0 {
            execution.running_polls_left -= 1;
            return Some(None);
        }
        Some(Some(execution.rows.clone()))
    }

    pub fn record(&self, record: RequestRecord) {
        let mut requests = lock(&self.requests);
        if requests.len() >= MAX_LOGGED_REQUESTS {
            requests.drain(..MAX_LOGGED_REQUESTS / 2);
        }
        requests.push(record);
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
