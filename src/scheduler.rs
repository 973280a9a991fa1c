//! Audits on a schedule: `run_audit` is the unit of work (tests call it directly); the loop runs
//! one at start and then every interval; never two at once, in this process or (with
//! PostgreSQL) across replicas; a running audit is abandoned cleanly on shutdown.
//! `refresh` lets every replica serve the newest stored report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_util::sync::CancellationToken;

use crate::audit::policy::AuditPolicy;
use crate::audit::report::Report;
use crate::auditor::{audit_once, new_audit_id};
use crate::cache::{CachedReport, ReportCache};
use crate::genesys::GenesysClient;
use crate::history::{History, Outcome};
use crate::metrics::Metrics;
use crate::store::{AuditLock, StoredAudit};

/// Everything an audit needs and updates.
pub struct AuditCtx {
    pub client: GenesysClient,
    pub policy: AuditPolicy,
    pub cache: Arc<ReportCache>,
    pub history: Arc<History>,
    pub metrics: Arc<Metrics>,
    /// Stored audits older than this are pruned (never the newest good one).
    pub retention: Duration,
    running: Arc<Mutex<()>>,
}

/// Another audit is running, here or on another replica.
#[derive(Debug)]
pub struct AlreadyRunning;

/// A claimed audit: its id, the local slot and the cluster lock, held while it lives.
pub struct Ticket {
    pub audit_id: String,
    lock: Option<AuditLock>,
    _slot: OwnedMutexGuard<()>,
}

impl AuditCtx {
    pub fn new(
        client: GenesysClient,
        policy: AuditPolicy,
        cache: Arc<ReportCache>,
        history: Arc<History>,
        metrics: Arc<Metrics>,
        retention: Duration,
    ) -> AuditCtx {
        AuditCtx {
            client,
            policy,
            cache,
            history,
            metrics,
            retention,
            running: Arc::new(Mutex::new(())),
        }
    }

    /// Claims the audit slot here and the audit lock in the database, and records the audit
    /// as running. When the database cannot be asked, the audit runs on the local slot alone.
    pub async fn begin(&self) -> Result<Ticket, AlreadyRunning> {
        let slot = self
            .running
            .clone()
            .try_lock_owned()
            .map_err(|_| AlreadyRunning)?;
        let lock = match self.history.store().try_lock_audit().await {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => return Err(AlreadyRunning),
            Err(e) => {
                tracing::warn!(error = %e, "cannot take the audit lock in the database; auditing on the local lock only");
                self.metrics.store_error("lock");
                None
            }
        };
        let audit_id = new_audit_id(Utc::now());
        self.history.start(&audit_id, Utc::now().trunc_subsecs(3));
        Ok(Ticket {
            audit_id,
            lock,
            _slot: slot,
        })
    }
}

/// Serves the newest stored report if it is newer than the cached one. True when swapped.
pub async fn refresh(ctx: &AuditCtx) -> bool {
    let latest = match ctx.history.store().latest_success_id().await {
        Ok(Some(latest)) => latest,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check the database for a newer report");
            ctx.metrics.store_error("latest");
            return false;
        }
    };
    if let Some(current) = ctx.cache.get()
        && (current.report.audit_id == latest.0 || current.report.generated_at >= latest.1)
    {
        return false;
    }
    let report = match ctx.history.report(&latest.0).await {
        Ok(Some(report)) => report,
        Ok(None) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "cannot load the newest stored report");
            ctx.metrics.store_error("report");
            return false;
        }
    };
    tracing::info!(audit_id = latest.0, "serving the newest stored report");
    install(ctx, report);
    true
}

fn install(ctx: &AuditCtx, report: Report) -> Arc<CachedReport> {
    let cached = ctx.cache.set(CachedReport::build(report));
    ctx.metrics.set_from_report(&cached.report);
    cached
}

/// One audit, start to finish. A success replaces the cached report and the report gauges and
/// is stored; a failure keeps the last good report, is stored, counted and logged.
pub async fn run_audit(ctx: &AuditCtx, ticket: Ticket) -> Result<Arc<CachedReport>, String> {
    let Ticket {
        audit_id,
        lock,
        _slot,
    } = ticket;
    let started = Instant::now();
    let started_at = Utc::now().trunc_subsecs(3);
    tracing::info!(audit_id, "audit started");
    // Another replica may have stored a newer report: first-seen times carry on from it.
    refresh(ctx).await;
    let previous = ctx.cache.get();
    let first_seen = |fingerprint: &str| {
        previous
            .as_ref()
            .and_then(|p| p.first_seen.get(fingerprint).copied())
    };
    let result = audit_once(
        audit_id.clone(),
        &ctx.client,
        &ctx.policy,
        &first_seen,
        &|stage| {
            tracing::debug!(stage, "audit progress");
        },
    )
    .await;
    let seconds = started.elapsed().as_secs_f64();
    let finished = Utc::now().trunc_subsecs(3);
    let outcome = match result {
        Ok(report) => {
            let cached = install(ctx, report);
            let s = &cached.report.summary;
            let (new, resolved) = cached.changes_since(previous.as_deref());
            ctx.metrics.set_changes(new, resolved);
            ctx.metrics
                .audit_succeeded(seconds, finished.timestamp_millis() as f64 / 1000.0);
            tracing::info!(
                audit_id,
                clients = s.total_clients,
                high_risk = s.high_risk_count,
                new,
                resolved,
                seconds,
                "audit succeeded"
            );
            let stored = StoredAudit {
                audit_id: audit_id.clone(),
                started_at: cached.report.started_at,
                finished_at: finished,
                outcome: Outcome::Success,
                error: None,
                total_clients: Some(s.total_clients as i64),
                high_risk_count: Some(s.high_risk_count as i64),
                findings: Some(s.findings_by_rule.values().sum::<u64>() as i64),
                new_findings: Some(new as i64),
                resolved_findings: Some(resolved as i64),
                policy_sha256: Some(cached.report.policy.sha256.clone()),
            };
            ctx.history.finish(stored, Some(cached.json.clone())).await;
            Ok(cached)
        }
        Err(e) => {
            let message = e.to_string();
            ctx.metrics.audit_failed(seconds);
            tracing::error!(audit_id, error = %message, reason = e.metric_label(), "audit failed; keeping the last good report");
            let stored = StoredAudit {
                audit_id: audit_id.clone(),
                started_at,
                finished_at: finished,
                outcome: Outcome::Failure,
                error: Some(message.clone()),
                total_clients: None,
                high_risk_count: None,
                findings: None,
                new_findings: None,
                resolved_findings: None,
                policy_sha256: Some(ctx.policy.sha256.clone()),
            };
            ctx.history.finish(stored, None).await;
            Err(message)
        }
    };
    if let Some(lock) = lock {
        lock.release().await;
    }
    prune(ctx).await;
    outcome
}

async fn prune(ctx: &AuditCtx) {
    let Ok(retention) = chrono::Duration::from_std(ctx.retention) else {
        return;
    };
    match ctx.history.store().prune(Utc::now() - retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "pruned audits past the retention"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot prune old audits");
            ctx.metrics.store_error("prune");
        }
    }
}

/// Runs a claimed audit unless shutdown comes first.
async fn run_or_abandon(ctx: &AuditCtx, ticket: Ticket, cancel: &CancellationToken) {
    let audit_id = ticket.audit_id.clone();
    tokio::select! {
        _ = run_audit(ctx, ticket) => {}
        _ = cancel.cancelled() => {
            ctx.history.abandon(&audit_id);
            tracing::warn!(audit_id, "audit abandoned at shutdown");
        }
    }
}

/// Starts an audit now in the background: its id, or `AlreadyRunning`.
pub async fn start_now(
    ctx: Arc<AuditCtx>,
    cancel: CancellationToken,
) -> Result<String, AlreadyRunning> {
    let ticket = ctx.begin().await?;
    let audit_id = ticket.audit_id.clone();
    tokio::spawn(async move { run_or_abandon(&ctx, ticket, &cancel).await });
    Ok(audit_id)
}

/// Whether a successful audit finished within `interval` (another replica's, or before a
/// restart): then this tick has nothing to do.
async fn recently_audited(ctx: &AuditCtx, interval: Duration) -> bool {
    match ctx.history.store().latest_success_id().await {
        Ok(Some((_, finished))) => (Utc::now() - finished)
            .to_std()
            .is_ok_and(|age| age < interval),
        _ => false,
    }
}

/// One audit at start (unless a recent one is stored), then one every `interval`, until
/// cancelled.
pub async fn run_loop(ctx: Arc<AuditCtx>, interval: Duration, cancel: CancellationToken) {
    loop {
        if recently_audited(&ctx, interval).await {
            tracing::info!("a recent audit is stored; skipping this tick");
        } else {
            match ctx.begin().await {
                Ok(ticket) => run_or_abandon(&ctx, ticket, &cancel).await,
                Err(AlreadyRunning) => {
                    tracing::info!("an audit is already running; skipping this tick")
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = cancel.cancelled() => return,
        }
    }
}

/// Every `period`: serve a newer stored report, and write audits that waited for the database.
pub async fn refresh_loop(ctx: Arc<AuditCtx>, period: Duration, cancel: CancellationToken) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = cancel.cancelled() => return,
        }
        refresh(&ctx).await;
        if ctx.history.pending_count() > 0 {
            ctx.history.flush_pending().await;
        }
    }
}
