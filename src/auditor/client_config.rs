//! The Genesys client configuration of an org, from the settings and the policy.

use crate::audit::policy::AuditPolicy;
use crate::config::{ConfigError, Settings};
use crate::genesys::ClientConfig;
use crate::orgs_file::OrgSettings;

/// The Genesys client configuration the settings and the policy describe, for the single org
/// of the `GENESYS_*` variables (the `audit` command).
pub fn client_config(
    settings: &Settings,
    policy: &AuditPolicy,
) -> Result<ClientConfig, ConfigError> {
    Ok(org_client_config(settings, &settings.single_org()?, policy))
}

/// The Genesys client configuration of one org: its hosts and credentials, the deployment's
/// limits, the policy's usage window.
pub fn org_client_config(
    settings: &Settings,
    org: &OrgSettings,
    policy: &AuditPolicy,
) -> ClientConfig {
    let mut config = ClientConfig::new(
        org.client_id.clone(),
        org.client_secret.clone(),
        org.region.clone(),
        org.api_base_url.clone(),
        org.login_base_url.clone(),
    );
    config.max_requests_per_minute = settings.max_requests_per_minute;
    config.retry_after_cap = settings.retry_after_cap;
    config.usage_window_days = policy.thresholds.usage_window_days;
    config.usage_anomaly = policy
        .enabled("usage-anomaly")
        .then(|| policy.usage_anomaly.clone());
    config.limits = settings.limits;
    config.credentials = org.credentials.clone();
    config
}
