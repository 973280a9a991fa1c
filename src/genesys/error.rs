//! Why a call to Genesys Cloud failed, in words an operator can act on. No variant carries a
//! secret or a token.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum GenesysError {
    #[error(
        "Genesys refused scopewatch's client credentials ({reason}): check GENESYS_OAUTH_CLIENT_ID, GENESYS_OAUTH_CLIENT_SECRET and GENESYS_REGION"
    )]
    Credentials { reason: String },

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
