//! Audits on a schedule: `run_audit` is the unit of work (tests call it directly); the loop runs
//! one at start and then every interval; never two at once; a running audit is abandoned
//! cleanly on shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SubsecRound, Utc};
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio_util::sync::CancellationToken;

use crate::audit::policy::AuditPolicy;
use crate::auditor::{audit_once, new_audit_id};
use crate::cache::{CachedReport, ReportCache};
use crate::genesys::GenesysClient;
use crate::history::History;
use crate::metrics::Metrics;

/// Everything an audit needs and updates.
pub struct AuditCtx {
    pub client: GenesysClient,
    pub policy: AuditPolicy,
    pub cache: Arc<ReportCache>,
    pub history: Arc<History>,
    pub metrics: Arc<Metrics>,
    running: Arc<Mutex<()>>,
}

/// Another audit is running.
#[derive(Debug)]
pub struct AlreadyRunning;

impl AuditCtx {
    pub fn new(
        client: GenesysClient,
        policy: AuditPolicy,
        cache: Arc<ReportCache>,
        history: Arc<History>,
        metrics: Arc<Metrics>,
    ) -> AuditCtx {
        AuditCtx {
            client,
            policy,
            cache,
            history,
            metrics,
            running: Arc::new(Mutex::new(())),
        }
    }

    /// Claims the single audit slot and records the audit as running.
    pub fn begin(&self) -> Result<Ticket, AlreadyRunning> {
        let slot = self
            .running
            .clone()
            .try_lock_owned()
            .map_err(|_| AlreadyRunning)?;
        let audit_id = new_audit_id(Utc::now());
        self.history.start(&audit_id, Utc::now().trunc_subsecs(3));
        Ok(Ticket {
            audit_id,
            _slot: slot,
        })
    }
}

/// A claimed audit: its id, and the slot no other audit can take while it lives.
pub struct Ticket {
    pub audit_id: String,
    _slot: OwnedMutexGuard<()>,
}

/// One audit, start to finish. A success replaces the cached report and the report gauges; a
/// failure keeps the last good report, is counted and logged.
pub async fn run_audit(ctx: &AuditCtx, ticket: Ticket) -> Result<Arc<CachedReport>, String> {
    let audit_id = ticket.audit_id.clone();
    let started = Instant::now();
    tracing::info!(audit_id, "audit started");
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
    match result {
        Ok(report) => {
            let cached = ctx.cache.set(CachedReport::build(report));
            ctx.metrics.set_from_report(&cached.report);
            ctx.metrics
                .audit_succeeded(seconds, finished.timestamp_millis() as f64 / 1000.0);
            ctx.history
                .finish(&audit_id, finished, Ok(Arc::new(cached.report.clone())));
            tracing::info!(
                audit_id,
                clients = cached.report.summary.total_clients,
                high_risk = cached.report.summary.high_risk_count,
                seconds,
                "audit succeeded"
            );
            Ok(cached)
        }
        Err(e) => {
            let message = e.to_string();
            ctx.metrics.audit_failed(seconds);
            ctx.history
                .finish(&audit_id, finished, Err(message.clone()));
            tracing::error!(audit_id, error = %message, reason = e.metric_label(), "audit failed; keeping the last good report");
            Err(message)
        }
    }
}

/// Starts an audit now in the background: its id, or `AlreadyRunning`.
pub fn start_now(ctx: Arc<AuditCtx>, cancel: CancellationToken) -> Result<String, AlreadyRunning> {
    let ticket = ctx.begin()?;
    let audit_id = ticket.audit_id.clone();
    let id = audit_id.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = run_audit(&ctx, ticket) => {}
            _ = cancel.cancelled() => tracing::warn!(audit_id = id, "audit abandoned at shutdown"),
        }
    });
    Ok(audit_id)
}

/// One audit at start, then one every `interval`, until cancelled.
pub async fn run_loop(ctx: Arc<AuditCtx>, interval: Duration, cancel: CancellationToken) {
    loop {
        match ctx.begin() {
            Ok(ticket) => {
                let audit_id = ticket.audit_id.clone();
                tokio::select! {
                    _ = run_audit(&ctx, ticket) => {}
                    _ = cancel.cancelled() => {
                        tracing::warn!(audit_id, "audit abandoned at shutdown");
                        return;
                    }
                }
            }
            Err(AlreadyRunning) => {
                tracing::info!("an audit is already running; skipping this tick")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = cancel.cancelled() => return,
        }
    }
}
