//! Why a call to Genesys Cloud failed, in words an operator can act on. No variant carries a
//! secret or a token.

use std::fmt;
use std::time::Duration;

/// Where an org's credentials are configured: what to check when Genesys refuses them. With
/// several orgs, the `GENESYS_*` variables are not what the refused org uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CredentialsOrigin {
    /// `GENESYS_OAUTH_CLIENT_ID`, `GENESYS_OAUTH_CLIENT_SECRET` and `GENESYS_REGION`.
    #[default]
    Environment,
    /// An `[[org]]` entry of `SCOPEWATCH_ORGS_FILE`.
    OrgsFile {
        org: String,
        /// The entry's position, from 1.
        entry: usize,
        line: usize,
    },
}

impl fmt::Display for CredentialsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsOrigin::Environment => f.write_str(
                "check GENESYS_OAUTH_CLIENT_ID, GENESYS_OAUTH_CLIENT_SECRET and GENESYS_REGION",
            ),
            CredentialsOrigin::OrgsFile { org, entry, line } => write!(
                f,
                "check org '{org}' in SCOPEWATCH_ORGS_FILE ([[org]] entry {entry}, line {line}): its client_id, its secret (client_secret_file or client_secret_env) and its region or api_base_url"
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenesysError {
    #[error("Genesys refused scopewatch's client credentials ({reason}): {check}")]
    Credentials {
        reason: String,
        check: CredentialsOrigin,
    },

    #[error(
        "{endpoint} needs the permission {permission}, which scopewatch's OAuth client lacks: add it to the client's role"
    )]
    MissingPermission {
        endpoint: String,
        permission: String,
    },

    #[error("{endpoint} was refused twice with 401 even after a fresh token")]
    Unauthorized { endpoint: String },

    #[error(
        "{endpoint} is rate limited for {retry_after:?}, longer than the {cap:?} scopewatch waits"
    )]
    RateLimitCapExceeded {
        endpoint: String,
        retry_after: Duration,
        cap: Duration,
    },

    #[error("{endpoint} failed after {attempts} attempts: {last}")]
    RetriesExhausted {
        endpoint: String,
        attempts: u32,
        last: String,
    },

    #[error("{endpoint} answered {status} {code}: {message}")]
    Upstream {
        endpoint: String,
        status: u16,
        code: String,
        message: String,
    },

    #[error("{endpoint}: {what} exceeds scopewatch's limit of {limit} ({setting})")]
    Limit {
        endpoint: String,
        what: &'static str,
        limit: u64,
        setting: &'static str,
    },

    #[error("the collection passed its deadline of {0:?}")]
    Deadline(Duration),

    #[error("the usage query did not complete: {0}")]
    UsageQuery(String),

    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

impl GenesysError {
    /// A bounded label for metrics and logs.
    pub fn metric_label(&self) -> &'static str {
        match self {
            GenesysError::Credentials { .. } => "credentials",
            GenesysError::MissingPermission { .. } => "missing_permission",
            GenesysError::Unauthorized { .. } => "unauthorized",
            GenesysError::RateLimitCapExceeded { .. } => "rate_limited",
            GenesysError::RetriesExhausted { .. } => "retries_exhausted",
            GenesysError::Upstream { .. } => "upstream",
            GenesysError::Limit { .. } => "limit",
            GenesysError::Deadline(_) => "deadline",
            GenesysError::UsageQuery(_) => "usage_query",
            GenesysError::Setup(_) => "setup",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_credentials_name_the_orgs_file_entry_they_came_from() {
        let refused = |check| {
            GenesysError::Credentials {
                reason: "invalid_client".into(),
                check,
            }
            .to_string()
        };
        let org = refused(CredentialsOrigin::OrgsFile {
            org: "emea".into(),
            entry: 2,
            line: 7,
        });
        assert!(
            org.contains("check org 'emea' in SCOPEWATCH_ORGS_FILE ([[org]] entry 2, line 7)"),
            "{org}"
        );
        assert!(!org.contains("GENESYS_"), "{org}");
        let single = refused(CredentialsOrigin::Environment);
        assert!(
            single.ends_with(
                "check GENESYS_OAUTH_CLIENT_ID, GENESYS_OAUTH_CLIENT_SECRET and GENESYS_REGION"
            ),
            "{single}"
        );
    }
}
