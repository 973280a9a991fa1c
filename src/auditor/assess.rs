//! The one judging core: collect an organization and judge it. The service's `Auditor::run`
//! and the `audit` command both go through `assess`; it stores nothing.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use super::error::{AuditError, panic_message};
use crate::audit::policy::AuditPolicy;
use crate::audit::report::Report;
use crate::audit::{AuditRun, judge};
use crate::cache::CachedReport;
use crate::genesys::{self, GenesysClient, Progress};

/// A new audit id: time-ordered and unique.
pub fn new_audit_id(at: DateTime<Utc>) -> String {
    format!(
        "{}-{:08x}",
        at.format("%Y%m%dT%H%M%SZ"),
        genesys_api::rng::random_u64() as u32
    )
}

/// Collects the organization and judges it. Findings already in `previous` keep their
/// first-seen time.
pub async fn assess(
    client: &GenesysClient,
    policy: &AuditPolicy,
    audit_id: String,
    started_at: DateTime<Utc>,
    previous: Option<Arc<CachedReport>>,
    progress: &Progress,
) -> Result<Report, AuditError> {
    let snapshot = genesys::collect(client, progress).await?;
    let policy = policy.clone();
    // Judging takes seconds at 100 000 clients: off the async threads, so requests are served
    // meanwhile.
    off_thread(move || {
        let first_seen = |fingerprint: &str| {
            previous
                .as_ref()
                .and_then(|p| p.first_seen.get(fingerprint).copied())
        };
        let run = AuditRun {
            audit_id,
            started_at,
            generated_at: Utc::now().trunc_subsecs(3),
            first_seen: &first_seen,
        };
        judge(snapshot, &policy, &run)
    })
    .await
}

/// Runs CPU-heavy work of an audit on the blocking pool; a panic there is the audit's failure.
pub(super) async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuditError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(panic) => AuditError::Panicked(panic_message(panic)),
            Err(e) => AuditError::Panicked(e.to_string()),
        })
}
