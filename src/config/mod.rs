//! Settings: defaults, then an optional TOML file, then the environment, which wins.
//! Every error names the variable; secrets are held so they cannot be printed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::audit::severity::Severity;
use crate::store::redact_url;

mod error;
mod raw;
mod sources;
mod text_de;
mod validate;

pub use self::error::ConfigError;
pub use self::sources::{KEYS, environment, is_ours};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The body a webhook receiver expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    Json,
    Slack,
    Teams,
}

/// Where and how to announce new findings. `Debug` shows no URL: it often embeds a token.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: SecretString,
    pub format: WebhookFormat,
    /// Findings below this severity are never announced.
    pub min_severity: Severity,
}

/// The validated settings. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct Settings {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub region: String,
    pub api_base_url: String,
    pub login_base_url: String,
    pub listen: SocketAddr,
    pub audit_interval: Duration,
    /// How often the realtime audit trail is asked for changes (`None`: off).
    pub change_poll: Option<Duration>,
    /// The least time between two change-driven audits of one org (`0`: none).
    pub change_debounce: Duration,
    pub database_url: SecretString,
    /// How long to wait for an unreachable database at start (0: fail at once).
    pub database_wait: Duration,
    pub policy_path: Option<String>,
    /// Every accepted API token (several during a rotation); none: no authentication.
    pub api_tokens: Vec<SecretString>,
    pub max_requests_per_minute: u32,
    pub retention: Duration,
    pub log_format: LogFormat,
    pub retry_after_cap: Duration,
    pub limits: crate::genesys::Limits,
    pub server_limits: ServerLimits,
    /// Off when `SCOPEWATCH_WEBHOOK_URL` is not set.
    pub webhook: Option<WebhookSettings>,
    /// Where people reach this service (no trailing slash), for links in notifications.
    pub public_url: Option<String>,
    /// The orgs of `SCOPEWATCH_ORGS_FILE`, read and checked at load; `None`: the single org of
    /// the `GENESYS_*` variables, named `default`.
    pub orgs_file: Option<Vec<crate::orgs_file::OrgSettings>>,
    /// Audits running at once in this process, whatever the number of orgs.
    pub max_concurrent_audits: usize,
    /// `SCOPEWATCH_REPORT_CACHE_MB`: the MiB of reports kept in memory, all orgs together.
    pub report_cache_mb: u64,
    /// This replica's name, recorded with every audit it stores.
    pub replica_id: String,
    pub rust_log: String,
}

/// Bounds on the connections the HTTP listener keeps (plain values: the listener applies them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// A client must send its whole request head within this.
    pub header_read_timeout: Duration,
    /// A connection with no bytes either way for this long is closed (longer than any
    /// request may take: handlers time out at 30 s).
    pub idle_timeout: Duration,
    /// Open connections at most; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

impl Settings {
    /// Reads settings from the file (if any) and the environment map; the environment wins.
    pub fn load(
        env: &BTreeMap<String, String>,
        file: Option<&Path>,
    ) -> Result<Settings, ConfigError> {
        let values = sources::merged(env, file)?;
        text_de::from_map::<raw::Raw>(&values)?.validate(env)
    }

    /// The orgs to audit: those of `SCOPEWATCH_ORGS_FILE`, or the single org of the
    /// `GENESYS_*` variables named `default` (both at once is refused at load: which would win
    /// is a guess).
    pub fn orgs(&self) -> Result<Vec<crate::orgs_file::OrgSettings>, ConfigError> {
        match &self.orgs_file {
            Some(orgs) => Ok(orgs.clone()),
            None => Ok(vec![self.single_org()?]),
        }
    }

    /// The single org of the `GENESYS_*` variables, named `default` (the service without an
    /// orgs file, and the `audit` command).
    pub fn single_org(&self) -> Result<crate::orgs_file::OrgSettings, ConfigError> {
        let (client_id, client_secret) = self.credentials()?;
        Ok(crate::orgs_file::OrgSettings {
            name: crate::store::DEFAULT_ORG.into(),
            region: self.region.clone(),
            api_base_url: self.api_base_url.clone(),
            login_base_url: self.login_base_url.clone(),
            client_id,
            client_secret,
            interval: None,
            policy: None,
            credentials: crate::genesys::CredentialsOrigin::Environment,
        })
    }

    /// The auditor's credentials, or an error naming the missing variable.
    pub fn credentials(&self) -> Result<(String, SecretString), ConfigError> {
        let id = self.client_id.clone().ok_or(ConfigError::Missing {
            key: "GENESYS_OAUTH_CLIENT_ID",
            hint: " (the auditor's client-credentials client)",
        })?;
        let secret = self.client_secret.clone().ok_or(ConfigError::Missing {
            key: "GENESYS_OAUTH_CLIENT_SECRET",
            hint: "",
        })?;
        Ok((id, secret))
    }

    /// The database URL with any password replaced, for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

#[cfg(test)]
mod tests;
