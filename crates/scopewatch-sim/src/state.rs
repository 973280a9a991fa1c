//! The simulator's mutable state: its clock, issued tokens with their rate-limit windows,
//! usage query executions, and a log of the requests it answered.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Duration, Utc};

use super::faults::Faults;
use super::org::Org;
use super::usage::Computed;
use genesys_api::models::{TrailExecutionStatus, TrailMessage};

/// Tunables of a simulator run.
#[derive(Debug, Clone)]
pub struct SimSettings {
    /// Requests allowed per token per minute before 429.
    pub rate_limit_per_minute: u32,
    /// How many polls of a usage query answer `Running` before `Complete`.
    pub usage_running_polls: u32,
    /// How many polls of an audit query answer `Running` before `Succeeded` (the first poll
    /// after `Queued` is the first of them).
    pub audit_running_polls: u32,
    /// Pages the client listing (today's API never does; tests use it to prove paging).
    pub client_page_size: Option<usize>,
    /// The largest `pageSize` of a usage job's results (Genesys: 1000); tests lower it to
    /// prove paging.
    pub usage_page_size_max: usize,
    /// Pads the API description to at least this many bytes with models scopewatch must skip
    /// (the real one is tens of MB, mostly `definitions`); 0 serves only what it reads.
    pub description_bytes: usize,
    /// The demo's one change to the org, made when the client listing is read the second time
    /// (`scripted`): the second audit has new and resolved findings to show.
    pub change_at_second_listing: bool,
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            rate_limit_per_minute: 300,
            usage_running_polls: 1,
            audit_running_polls: 1,
            client_page_size: None,
            usage_page_size_max: 1000,
            description_bytes: 0,
            change_at_second_listing: false,
        }
    }
}

/// A clock tests can move forward (token expiry, rate-limit windows) without waiting.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    /// The simulated time: the wall clock plus every advance so far.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves simulated time forward.
    #[cfg(feature = "testing")]
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub client_id: String,
    pub expires_at: DateTime<Utc>,
    pub generation: u64,
    window_start: DateTime<Utc>,
    window_count: u32,
}

/// Why a bearer token was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenRefusal {
    Unknown,
    Expired,
    Revoked,
}

/// Rate-limit bookkeeping for one call: `Ok` with the headers' figures, or `Err(retry_after)`.
pub(crate) struct RateWindow {
    pub count: u32,
    pub allowed: u32,
    pub reset_secs: i64,
}

pub(crate) struct Execution {
    /// The rows, once computed (the query runs after its 202).
    pub rows: UsageRows,
    pub running_polls_left: u32,
}

/// The rows of a usage query, once computed.
pub(crate) type UsageRows = tokio::sync::watch::Receiver<Option<std::sync::Arc<Computed>>>;

/// An audit query execution: the messages it selected when it was submitted.
pub(crate) struct AuditExecution {
    pub status: TrailExecutionStatus,
    pub messages: std::sync::Arc<Vec<TrailMessage>>,
    polls: u32,
}

/// One request as the simulator saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// When it arrived.
    pub at: std::time::Instant,
    /// `GET`, `POST`...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// The answer's HTTP status.
    pub status: u16,
    /// From the request's arrival to its answer's head (a body built whole is in it).
    pub took: std::time::Duration,
}

/// The org as it is now: tests change it while the simulator serves (`POST/PUT/DELETE
/// /api/v2/oauth/clients`).
pub(crate) struct Live {
    pub org: Org,
    client_index: HashMap<String, usize>,
    /// The client listing, serialized once and again only after a change (100 000 clients take
    /// a while to serialize; the listing is read far more often than the org changes).
    clients_body: Option<bytes::Bytes>,
}

impl Live {
    fn new(org: Org) -> Live {
        let mut live = Live {
            org,
            client_index: HashMap::new(),
            clients_body: None,
        };
        live.reindex();
        live
    }

    /// The client with this id.
    pub(crate) fn client(&self, id: &str) -> Option<&super::org::SimClient> {
        self.client_index.get(id).map(|&i| &self.org.clients[i])
    }

    /// Where the client with this id is in `org.clients`.
    pub(crate) fn client_position(&self, id: &str) -> Option<usize> {
        self.client_index.get(id).copied()
    }

    /// Call after changing `org.clients`: rebuilds the index and drops the cached listing.
    pub(crate) fn clients_changed(&mut self) {
        self.reindex();
        self.clients_body = None;
    }

    fn reindex(&mut self) {
        self.client_index = self
            .org
            .clients
            .iter()
            .enumerate()
            .map(|(i, c)| (c.client.id.clone(), i))
            .collect();
    }
}

pub(crate) struct SimState {
    live: RwLock<Live>,
    pub settings: SimSettings,
    pub faults: Faults,
    pub clock: SimClock,
    pub scopes_body: bytes::Bytes,
    /// The API description, serialized once at start (it is large and never changes).
    pub swagger_body: bytes::Bytes,
    tokens: Mutex<HashMap<String, IssuedToken>>,
    generation: AtomicU64,
    executions: Mutex<HashMap<String, Execution>>,
    execution_order: Mutex<Vec<String>>,
    /// Per-client usage jobs, apart from the org's: scopewatch runs several at once, and each
    /// holds one client's week of rows only.
    client_executions: Mutex<VecDeque<(String, Execution)>>,
    audit_executions: Mutex<Vec<AuditExecution>>,
    requests: Mutex<Vec<RequestRecord>>,
    /// Put before every token issued: with many orgs on one address, the token names its org.
    token_prefix: String,
    /// The request log keeps the newest this many records.
    log_capacity: usize,
    /// Times the client listing's first page was read (for `change_at_second_listing`).
    listings: AtomicU64,
}

/// What differs for an org served among many (`scopewatch sim --orgs`).
pub(crate) struct Among {
    /// Put before every token (it must not use the token alphabet's characters).
    pub token_prefix: String,
    /// The API description, serialized once for every org.
    pub swagger_body: bytes::Bytes,
    /// The request log's share of this org.
    pub log_capacity: usize,
}

/// Usage query executions kept for polling; scopewatch polls its one at once, so a few suffice
/// (each holds every usage row of the org, one per client, endpoint and method since least
/// privilege: 64 of them were most of a soak's memory, and 8 still stepped an in-process
/// simulator's resident size up by about 20 MB once they were all filled).
const MAX_EXECUTIONS: usize = 3;
/// Per-client usage jobs kept for polling: a few audits' worth (scopewatch reads at most 100 a
/// audit, by default 5).
const MAX_CLIENT_EXECUTIONS: usize = 128;
/// Audit query executions kept: scopewatch runs one per entity type of the trail at once (four),
/// so two audits' worth.
const MAX_AUDIT_EXECUTIONS: usize = 8;
/// The request log keeps the newest this many records (a long-running simulator must not grow).
pub(crate) const MAX_LOGGED_REQUESTS: usize = 100_000;
/// Above this many tokens, expired ones are forgotten when a new one is issued.
const TOKEN_SWEEP_THRESHOLD: usize = 10_000;

impl SimState {
    pub(crate) fn new(org: Org, settings: SimSettings, faults: Faults) -> Self {
        let swagger_body = super::wire::render_swagger(settings.description_bytes).into();
        Self::among(
            org,
            settings,
            faults,
            Among {
                token_prefix: String::new(),
                swagger_body,
                log_capacity: MAX_LOGGED_REQUESTS,
            },
        )
    }

    /// An org served among many: its tokens carry `among.token_prefix`.
    pub(crate) fn among(org: Org, settings: SimSettings, faults: Faults, among: Among) -> Self {
        let scopes_body = super::wire::render_scopes(&org).into();
        let mut live = Live::new(org);
        live.clients_body = Some(super::wire::render_client_page(&live.org, None, 1).into());
        SimState {
            live: RwLock::new(live),
            settings,
            faults,
            clock: SimClock::default(),
            scopes_body,
            swagger_body: among.swagger_body,
            tokens: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(1),
            executions: Mutex::new(HashMap::new()),
            execution_order: Mutex::new(Vec::new()),
            client_executions: Mutex::new(VecDeque::new()),
            audit_executions: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            token_prefix: among.token_prefix,
            log_capacity: among.log_capacity.max(2),
            listings: AtomicU64::new(0),
        }
    }

    /// Counts a read of the client listing's first page; the second makes the scripted change
    /// when the settings ask for it.
    pub(crate) fn client_listing_read(&self) {
        let read = self.listings.fetch_add(1, Ordering::SeqCst) + 1;
        if self.settings.change_at_second_listing && read == 2 {
            let (fixed, escalated) = super::scripted::apply(self);
            tracing::info!(
                ?fixed,
                ?escalated,
                "simulator: the scripted change to the org was made"
            );
        }
    }

    /// The org as it is now, for reading.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The org, for changing it (callers must call `Live::clients_changed` after changing clients).
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Live> {
        self.live.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The whole client listing as one page, serialized at most once per change of the org.
    pub(crate) fn clients_body(&self) -> bytes::Bytes {
        if let Some(body) = &self.read().clients_body {
            return body.clone();
        }
        let mut live = self.write();
        if let Some(body) = &live.clients_body {
            return body.clone();
        }
        let body: bytes::Bytes = super::wire::render_client_page(&live.org, None, 1).into();
        live.clients_body = Some(body.clone());
        body
    }

    pub(crate) fn issue_token(&self, client_id: &str, validity_secs: i64) -> String {
        let token = format!("{}{}", self.token_prefix, genesys_api::rng::random_token());
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
    pub(crate) fn revoke_all_tokens(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn check_token(&self, token: &str) -> Result<IssuedToken, TokenRefusal> {
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
    pub(crate) fn rate_limit(&self, token: &str) -> Result<RateWindow, i64> {
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

    /// Keeps a submitted usage query; its rows come through the returned sender.
    pub(crate) fn store_execution(
        &self,
        id: String,
    ) -> tokio::sync::watch::Sender<Option<std::sync::Arc<Computed>>> {
        let (done, rows) = tokio::sync::watch::channel(None);
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
        done
    }

    /// Keeps a per-client usage job with its rows, computed already; the oldest past
    /// `MAX_CLIENT_EXECUTIONS` is forgotten.
    pub(crate) fn store_client_execution(&self, id: String, computed: Computed) {
        let (_, rows) = tokio::sync::watch::channel(Some(std::sync::Arc::new(computed)));
        let mut jobs = lock(&self.client_executions);
        if jobs.len() >= MAX_CLIENT_EXECUTIONS {
            jobs.pop_front();
        }
        let running_polls_left = self.settings.usage_running_polls;
        jobs.push_back((
            id,
            Execution {
                rows,
                running_polls_left,
            },
        ));
    }

    /// As `poll_execution`, for a per-client usage job.
    pub(crate) fn poll_client_execution(&self, id: &str) -> Option<Option<UsageRows>> {
        let mut jobs = lock(&self.client_executions);
        let (_, execution) = jobs.iter_mut().find(|(job, _)| job == id)?;
        if execution.running_polls_left > 0 {
            execution.running_polls_left -= 1;
            return Some(None);
        }
        Some(Some(execution.rows.clone()))
    }

    /// `None` for an unknown id, `Some(None)` while running (for the configured number of
    /// polls), then `Some(rows)`: the rows, or the wait for them (the answer waits, so the
    /// number of polls never depends on how fast the rows were computed).
    pub(crate) fn poll_execution(&self, id: &str) -> Option<Option<UsageRows>> {
        let mut executions = lock(&self.executions);
        let execution = executions.get_mut(id)?;
        if execution.running_polls_left > 0 {
            execution.running_polls_left -= 1;
            return Some(None);
        }
        Some(Some(execution.rows.clone()))
    }

    /// Keeps an audit query execution for polling (the oldest is forgotten past a few).
    pub(crate) fn store_audit_execution(
        &self,
        status: TrailExecutionStatus,
        messages: Vec<TrailMessage>,
    ) {
        let mut executions = lock(&self.audit_executions);
        if executions.len() >= MAX_AUDIT_EXECUTIONS {
            executions.remove(0);
        }
        executions.push(AuditExecution {
            status,
            messages: std::sync::Arc::new(messages),
            polls: 0,
        });
    }

    /// One poll of an execution's status: `Queued` when submitted, then `Running` for
    /// `audit_running_polls` polls, then `Succeeded`.
    pub(crate) fn poll_audit_execution(&self, id: &str) -> Option<TrailExecutionStatus> {
        let mut executions = lock(&self.audit_executions);
        let execution = executions.iter_mut().find(|e| e.status.id == id)?;
        execution.polls = execution.polls.saturating_add(1);
        execution.status.state = if execution.polls <= self.settings.audit_running_polls {
            "Running".into()
        } else {
            "Succeeded".into()
        };
        Some(execution.status.clone())
    }

    /// The state and messages of an execution, without polling it.
    pub(crate) fn audit_execution(
        &self,
        id: &str,
    ) -> Option<(String, std::sync::Arc<Vec<TrailMessage>>)> {
        let executions = lock(&self.audit_executions);
        let e = executions.iter().find(|e| e.status.id == id)?;
        Some((e.status.state.clone(), e.messages.clone()))
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        let mut requests = lock(&self.requests);
        if requests.len() >= self.log_capacity {
            requests.drain(..self.log_capacity / 2);
        }
        requests.push(record);
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{OrgSize, generate};

    #[test]
    fn the_listing_is_serialized_once_and_again_only_after_a_change() {
        let org = generate(&OrgSize {
            clients: 50,
            roles: 10,
            seed: 1,
            anchor: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        });
        let state = SimState::new(org, SimSettings::default(), Faults::new(Default::default()));
        let first = state.clients_body();
        let again = state.clients_body();
        assert_eq!(first.as_ptr(), again.as_ptr(), "served from the cache");
        {
            let mut live = state.write();
            let mut extra = live.org.clients[0].clone();
            extra.client.id = "added-while-serving".into();
            live.org.clients.push(extra);
            live.clients_changed();
        }
        let changed = state.clients_body();
        assert_ne!(first.as_ptr(), changed.as_ptr());
        let text = String::from_utf8(changed.to_vec()).unwrap();
        assert!(text.contains("added-while-serving") && text.contains("\"total\":51"));
        assert!(state.read().client("added-while-serving").is_some());
        assert_eq!(changed.as_ptr(), state.clients_body().as_ptr());
    }
}
