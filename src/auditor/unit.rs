//! The auditor and its unit of work, `run`: begin -> collect and judge -> install -> store ->
//! prune, with one start time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use tokio::sync::OwnedMutexGuard;

use super::assess::{assess, new_audit_id, off_thread};
use super::error::{AuditError, guarded};
use super::limit::{AuditLimit, Place};
use crate::audit::policy::AuditPolicy;
use crate::cache::{CachedReport, LoadError, ReportCache};
use crate::genesys::GenesysClient;
use crate::history::RunningAudit;
use crate::metrics::OrgMetrics;
use crate::outbox::Outbox;
use crate::store::{Assignment, AuditLock, AuditRecord, Outcome, Store, StoredReport};

/// The longest failure message kept with an audit, in characters.
const MAX_ERROR_TEXT: usize = 1_000;

/// Another audit is running, here or on another replica.
#[derive(Debug)]
pub struct AlreadyRunning;

/// A claimed audit: its id and start time, the local slot and the cluster lock.
pub struct Ticket {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    lock: Option<AuditLock>,
    _slot: OwnedMutexGuard<()>,
    /// The place among the process's audits the schedule took before claiming the org (it
    /// queues without a database session; `None`: the audit takes one when it runs).
    place: Option<Place>,
}

/// What the auditor is built from.
pub struct AuditorParts {
    pub client: GenesysClient,
    pub policy: AuditPolicy,
    pub store: Arc<Store>,
    pub cache: Arc<ReportCache>,
    pub metrics: Arc<OrgMetrics>,
    pub outbox: Arc<Outbox>,
    pub running: Arc<RunningAudit>,
    /// Stored audits older than this are pruned (never the newest good one).
    pub retention: Duration,
    /// The bound on audits at once, shared by every org of the process.
    pub limit: Arc<AuditLimit>,
    /// This replica's id (`SCOPEWATCH_REPLICA_ID`), recorded with every audit it runs.
    pub replica: Arc<str>,
    /// Which replica audits which org on schedule.
    pub assignment: Arc<Assignment>,
}

pub struct Auditor {
    pub(super) client: GenesysClient,
    pub(super) policy: AuditPolicy,
    pub(super) store: Arc<Store>,
    pub(super) cache: Arc<ReportCache>,
    pub(super) metrics: Arc<OrgMetrics>,
    pub(super) outbox: Arc<Outbox>,
    pub(super) running: Arc<RunningAudit>,
    pub(super) retention: Duration,
    pub(super) limit: Arc<AuditLimit>,
    pub(super) replica: Arc<str>,
    pub(super) assignment: Arc<Assignment>,
    pub(super) slot: Arc<tokio::sync::Mutex<()>>,
    /// When the newest audit known here (run here or stored by anyone) ended, and whether it
    /// succeeded: the source of `scopewatch_last_audit_success`.
    pub(super) last_outcome: Mutex<Option<(DateTime<Utc>, bool)>>,
    /// The audit that ended last here, for whoever waits on one (tests, notifications).
    pub(super) finished: tokio::sync::watch::Sender<Option<AuditRecord>>,
    /// Stored reports that do not parse: never tried again.
    pub(super) unreadable: Mutex<std::collections::HashSet<String>>,
    /// When the live permission catalog kept in the database was read (`None`: not yet asked).
    pub(super) stored_catalog_at: tokio::sync::Mutex<Option<Option<DateTime<Utc>>>>,
}

impl Auditor {
    pub fn new(parts: AuditorParts) -> Auditor {
        Auditor {
            client: parts.client,
            policy: parts.policy,
            store: parts.store,
            cache: parts.cache,
            metrics: parts.metrics,
            outbox: parts.outbox,
            running: parts.running,
            retention: parts.retention,
            limit: parts.limit,
            replica: parts.replica,
            assignment: parts.assignment,
            slot: Arc::new(tokio::sync::Mutex::new(())),
            last_outcome: Mutex::new(None),
            finished: tokio::sync::watch::Sender::new(None),
            unreadable: Mutex::new(std::collections::HashSet::new()),
            stored_catalog_at: tokio::sync::Mutex::new(None),
        }
    }

    /// The Genesys client every call of this auditor goes through (one gate).
    pub fn genesys(&self) -> &GenesysClient {
        &self.client
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Follows the audits that end here (the newest one; stored or waiting for the database).
    pub fn finished(&self) -> tokio::sync::watch::Receiver<Option<AuditRecord>> {
        self.finished.subscribe()
    }

    /// Claims the audit slot here and the audit lock in the database, and records the audit
    /// as running. When the database cannot be asked, the audit runs on the local slot alone.
    pub async fn begin(&self) -> Result<Ticket, AlreadyRunning> {
        self.claim(None).await
    }

    /// `begin` for the schedule, which already holds a place among the process's audits.
    pub(super) async fn begin_placed(&self, place: Place) -> Result<Ticket, AlreadyRunning> {
        self.claim(Some(place)).await
    }

    /// Which replica audits which org on schedule.
    pub fn assignment(&self) -> &Arc<Assignment> {
        &self.assignment
    }

    async fn claim(&self, place: Option<Place>) -> Result<Ticket, AlreadyRunning> {
        let slot = self
            .slot
            .clone()
            .try_lock_owned()
            .map_err(|_| AlreadyRunning)?;
        let lock = match self.store.try_lock_audit().await {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => return Err(AlreadyRunning),
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the audit lock in the database; auditing on the local lock only");
                self.metrics.store_error("lock");
                None
            }
        };
        let started_at = Utc::now().trunc_subsecs(3);
        let audit_id = new_audit_id(started_at);
        self.running.set(self.record(&audit_id, started_at));
        Ok(Ticket {
            audit_id,
            started_at,
            lock,
            _slot: slot,
            place,
        })
    }

    /// The record of an audit this replica runs.
    fn record(&self, audit_id: &str, started_at: DateTime<Utc>) -> AuditRecord {
        let mut record = AuditRecord::running(audit_id, started_at);
        record.replica = Some(self.replica.to_string());
        record
    }

    /// The bound on audits at once this auditor shares with the process's other orgs.
    pub fn limit(&self) -> &Arc<AuditLimit> {
        &self.limit
    }

    /// Forgets a claimed audit that will not finish (shutdown came first).
    pub fn abandon(&self, audit_id: &str) {
        self.running.clear(audit_id);
    }

    /// An audit task died of a panic outside the guarded work: forget it, count it.
    pub(super) fn panicked(&self, audit_id: &str) {
        self.running.clear(audit_id);
        self.metrics.audit_failed(0.0, "panic");
        tracing::error!(audit_id, "the audit task panicked; the schedule goes on");
    }

    /// Waits for a place among the process's audits without holding the org's database lock
    /// (a session of its own: a thousand queued orgs must not hold a thousand), then takes the
    /// lock again; another replica that took the org meanwhile audits it instead.
    async fn wait_for_place(
        &self,
        audit_id: &str,
        lock: &mut Option<crate::store::AuditLock>,
    ) -> Result<Place, AuditError> {
        let had_lock = match lock.take() {
            Some(held) => {
                held.release().await;
                true
            }
            None => false,
        };
        let place = self.limit.enter().await;
        if had_lock {
            match self.store.try_lock_audit().await {
                Ok(Some(held)) => *lock = Some(held),
                Ok(None) => {
                    self.running.clear(audit_id);
                    return Err(AuditError::AlreadyRunning);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take the audit lock in the database again; auditing on the local lock only");
                    self.metrics.store_error("lock");
                }
            }
        }
        Ok(place)
    }

    /// Begins and runs an audit now.
    pub async fn run_now(&self) -> Result<Arc<CachedReport>, AuditError> {
        let ticket = self.begin().await.map_err(|_| AuditError::AlreadyRunning)?;
        self.run(ticket).await
    }

    /// One audit, start to finish. A success replaces the served report and its gauges; a
    /// failure (a panic too) keeps the last good report. Either is stored, counted and logged.
    pub async fn run(&self, ticket: Ticket) -> Result<Arc<CachedReport>, AuditError> {
        let Ticket {
            audit_id,
            started_at,
            mut lock,
            _slot,
            place,
        } = ticket;
        // Claimed (this org's slot and lock), it waits for a place among the process's audits.
        let _place = match place.or_else(|| self.limit.try_enter()) {
            Some(place) => place,
            None => self.wait_for_place(&audit_id, &mut lock).await?,
        };
        let clock = Instant::now();
        tracing::info!(audit_id, "audit started");
        // Another replica may have stored a newer report: first-seen times carry on from it.
        self.refresh().await;
        let result = match self.previous().await {
            Ok(previous) => guarded(self.produce(&audit_id, started_at, previous)).await,
            Err(e) => Err(e),
        };
        if let Some(held) = lock.as_mut()
            && !held.still_held().await
        {
            let e = AuditError::LockLost;
            tracing::error!(audit_id, reason = e.metric_label(), "{e}");
            self.metrics
                .audit_failed(clock.elapsed().as_secs_f64(), e.metric_label());
            self.metrics.store_error("lock");
            self.running.clear(&audit_id);
            return Err(e);
        }
        let seconds = clock.elapsed().as_secs_f64();
        let finished = Utc::now().trunc_subsecs(3);
        let mut record = self.record(&audit_id, started_at);
        record.finished_at = Some(finished);
        record.policy_sha256 = Some(self.policy.sha256.clone());
        let outcome = match result {
            Ok(cached) => {
                let s = &cached.report.summary;
                tracing::info!(
                    audit_id,
                    clients = s.total_clients,
                    high_risk = s.high_risk_count,
                    new = cached.changes.new,
                    resolved = cached.changes.resolved,
                    seconds,
                    "audit succeeded"
                );
                self.metrics.audit_succeeded(seconds);
                self.publish(Some(cached.clone()), finished, true);
                record.outcome = Outcome::Success;
                record.total_clients = Some(s.total_clients as i64);
                record.high_risk_count = Some(s.high_risk_count as i64);
                record.findings = Some(s.findings_by_rule.values().sum::<u64>() as i64);
                record.new_findings = Some(cached.changes.new as i64);
                record.resolved_findings = Some(cached.changes.resolved as i64);
                self.store_success(&audit_id, record.clone(), &cached).await;
                Ok(cached)
            }
            Err(e) => {
                // Bounded and without control characters: it is logged and stored (a NUL
                // byte would make it unstorable on PostgreSQL).
                let message = genesys_api::text::sanitize(&e.to_string(), MAX_ERROR_TEXT);
                tracing::error!(audit_id, error = %message, reason = e.metric_label(), "audit failed; keeping the last good report");
                self.metrics.audit_failed(seconds, e.metric_label());
                self.publish(None, finished, false);
                record.outcome = Outcome::Failure;
                record.error = Some(message);
                self.outbox.write(record.clone(), None).await;
                Err(e)
            }
        };
        self.running.clear(&audit_id);
        if let Some(lock) = lock {
            lock.release().await;
        }
        self.prune().await;
        self.finished.send_replace(Some(record));
        outcome
    }

    /// Stores a successful audit with its report; once the database has the report, the
    /// report budget may evict it from memory (it can be read back).
    async fn store_success(&self, audit_id: &str, record: AuditRecord, cached: &CachedReport) {
        let body = self.storable_body(audit_id, cached);
        let has_body = body.is_some();
        if self.outbox.write(record, body).await && has_body {
            self.cache.saved(audit_id);
        }
    }

    /// The compressed report to store with the audit, or `None` (logged and counted as
    /// `report_too_large`) when it passes the bound every stored report is read within: history
    /// could never read it back, so it is refused now rather than found unreadable later.
    fn storable_body(&self, audit_id: &str, cached: &CachedReport) -> Option<bytes::Bytes> {
        let body = StoredReport::Gzip(cached.json.gzip.clone());
        match body.check_writable(cached.json.len) {
            Ok(()) => Some(cached.json.gzip.clone()),
            Err(why) => {
                tracing::error!(audit_id, error = %why, "the report is not stored: it could not be read back from history");
                self.metrics.store_error("report_too_large");
                None
            }
        }
    }

    /// The report served now, whose findings' first-seen times carry on: from memory, or read
    /// back from the database when the report budget dropped it. One that no longer parses
    /// counts as none (its findings start again), a database failure fails the audit.
    async fn previous(&self) -> Result<Option<Arc<CachedReport>>, AuditError> {
        match self.cache.get().await {
            Ok(previous) => Ok(previous),
            Err(LoadError::Unreadable(id, e)) => {
                tracing::warn!(audit_id = id, error = %e, "the previous report is unreadable; first-seen times start again");
                Ok(None)
            }
            Err(LoadError::Store(e)) => {
                self.metrics.store_error("report");
                Err(AuditError::Previous(e))
            }
        }
    }

    /// Collects, judges and builds the cached bodies (off the async threads).
    async fn produce(
        &self,
        audit_id: &str,
        started_at: DateTime<Utc>,
        previous: Option<Arc<CachedReport>>,
    ) -> Result<Arc<CachedReport>, AuditError> {
        self.load_catalog().await;
        let progress = |stage: &str| tracing::debug!(stage, "audit progress");
        let report = assess(
            &self.client,
            &self.policy,
            audit_id.to_string(),
            started_at,
            previous.clone(),
            &progress,
        )
        .await?;
        self.keep_catalog().await;
        off_thread(move || {
            let mut cached = CachedReport::build(report);
            cached.changes = cached.changes_since(previous.as_deref());
            Arc::new(cached)
        })
        .await
    }

    /// The one place the served report and its gauges change: installs `report` (if any) and
    /// records the outcome of an audit that ended at `ended`, unless a newer one is known.
    pub(super) fn publish(
        &self,
        report: Option<Arc<CachedReport>>,
        ended: DateTime<Utc>,
        succeeded: bool,
    ) {
        if let Some(cached) = report {
            self.cache.set(cached.clone());
            self.metrics.set_from_report(
                &cached.report,
                cached.changes.new,
                cached.changes.resolved,
            );
            // The report replaced is freed (now, or when its last reader is done): give its
            // pages back, off the async threads.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn_blocking(crate::memory::release_free_memory);
            }
        }
        let mut last = self.last_outcome.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|(at, _)| at <= ended) {
            *last = Some((ended, succeeded));
        }
        let ok = last.is_some_and(|(_, ok)| ok);
        drop(last);
        self.metrics.set_last_audit_success(ok);
    }

    /// Whether a successful audit finished within `interval` (another replica's, or before a
    /// restart): then a scheduled tick has nothing to do.
    pub async fn recently_audited(&self, interval: Duration) -> bool {
        match self.store.latest(true).await {
            Ok(Some(latest)) => latest
                .finished_at
                .and_then(|f| (Utc::now() - f).to_std().ok())
                .is_some_and(|age| age < interval),
            _ => false,
        }
    }

    async fn prune(&self) {
        let Ok(retention) = chrono::Duration::from_std(self.retention) else {
            return;
        };
        match self.store.prune(Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned audits past the retention"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot prune old audits");
                self.metrics.store_error("prune");
            }
        }
    }
}
