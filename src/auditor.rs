//! One audit, end to end: collect the snapshot from Genesys Cloud, judge it, build the report.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::audit::policy::AuditPolicy;
use crate::audit::report::Report;
use crate::audit::{AuditRun, audit};
use crate::config::{ConfigError, Settings};
use crate::genesys::{self, ClientConfig, GenesysClient, GenesysError, Observer, Progress};

/// The Genesys client configuration the settings and the policy describe.
pub fn client_config(
    settings: &Settings,
    policy: &AuditPolicy,
) -> Result<ClientConfig, ConfigError> {
    let (id, secret) = settings.credentials()?;
    let mut config = ClientConfig::new(
        id,
        secret,
        settings.region.clone(),
        settings.api_base_url.clone(),
        settings.login_base_url.clone(),
    );
    config.max_requests_per_minute = settings.max_requests_per_minute;
    config.retry_after_cap = settings.retry_after_cap;
    config.usage_window_days = policy.thresholds.usage_window_days;
    Ok(config)
}

pub fn new_client(
    config: ClientConfig,
    observer: Arc<dyn Observer>,
) -> Result<GenesysClient, GenesysError> {
    GenesysClient::new(config, observer)
}

/// A new audit id: time-ordered and unique.
pub fn new_audit_id(at: DateTime<Utc>) -> String {
    format!(
        "{}-{:08x}",
        at.format("%Y%m%dT%H%M%SZ"),
        crate::rng::random_u64() as u32
    )
}

/// Collects and judges. `first_seen` answers from earlier audits (the store), if any.
pub async fn audit_once(
    audit_id: String,
    client: &GenesysClient,
    policy: &AuditPolicy,
    first_seen: &(dyn Fn(&str) -> Option<DateTime<Utc>> + Sync),
    progress: &Progress,
) -> Result<Report, GenesysError> {
    let started_at = Utc::now().trunc_subsecs(3);
    let snapshot = genesys::collect(client, progress).await?;
    let generated_at = Utc::now().trunc_subsecs(3);
    let run = AuditRun {
        audit_id,
        started_at,
        generated_at,
        first_seen,
    };
    Ok(audit(&snapshot, policy, &run))
}
