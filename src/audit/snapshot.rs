//! What the audit judges: the org as read from Genesys Cloud, in our own domain types.
//! Built from the wire types at the boundary (`genesys::collect`); rules never see wire types.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

pub use crate::permissions::catalog::Catalog;
pub use crate::permissions::least::Call;

/// `authorizedGrantType`. An unknown value (one Genesys adds tomorrow) is kept, not rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
    Code,
    Token,
    Saml2Bearer,
    Password,
    Other(String),
}

impl GrantType {
    pub fn parse(wire: &str) -> Self {
        match wire {
            "CLIENT-CREDENTIALS" => GrantType::ClientCredentials,
            "CODE" => GrantType::Code,
            "TOKEN" => GrantType::Token,
            "SAML2-BEARER" => GrantType::Saml2Bearer,
            "PASSWORD" => GrantType::Password,
            other => GrantType::Other(other.to_string()),
        }
    }

    /// The wire name (`CLIENT-CREDENTIALS`, …), as the report shows it.
    pub fn as_str(&self) -> &str {
        match self {
            GrantType::ClientCredentials => "CLIENT-CREDENTIALS",
            GrantType::Code => "CODE",
            GrantType::Token => "TOKEN",
            GrantType::Saml2Bearer => "SAML2-BEARER",
            GrantType::Password => "PASSWORD",
            GrantType::Other(name) => name,
        }
    }
}

/// `state`; absent means `active` (the API's default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientState {
    Active,
    Disabled,
    Inactive,
    Other(String),
}

impl ClientState {
    pub fn parse(wire: Option<&str>) -> Self {
        match wire.unwrap_or("active") {
            "active" => ClientState::Active,
            "disabled" => ClientState::Disabled,
            "inactive" => ClientState::Inactive,
            other => ClientState::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ClientState::Active => "active",
            ClientState::Disabled => "disabled",
            ClientState::Inactive => "inactive",
            ClientState::Other(name) => name,
        }
    }
}

/// A role granted in a division (`*` = every division).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub role_id: String,
    pub division_id: String,
}

/// One OAuth client.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub grant_type: GrantType,
    pub state: ClientState,
    pub scopes: Vec<String>,
    pub roles: Vec<RoleGrant>,
    /// `accessTokenValiditySeconds`; `None` means the API default of 86 400.
    pub token_validity_seconds: Option<i64>,
    pub redirect_uris: Vec<String>,
    pub date_created: Option<DateTime<Utc>>,
    pub date_modified: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    pub date_to_delete: Option<DateTime<Utc>>,
}

impl Client {
    /// Public clients hold no secret: the implicit (`TOKEN`) grant.
    pub fn is_public(&self) -> bool {
        self.grant_type == GrantType::Token
    }
}

/// One permission policy of a role: `domain:entity:actions`, `*` wildcards allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionPolicy {
    pub domain: String,
    pub entity: String,
    pub actions: Vec<String>,
}

/// A role and what it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// Flat legacy permissions (`admin` = Master Admin level).
    pub permissions: Vec<String>,
    pub policies: Vec<PermissionPolicy>,
}

/// Evidence of use from the org-wide usage query.
#[derive(Debug, Clone, PartialEq)]
pub enum Usage {
    /// The query ran: the last day with requests, per client id, within the window.
    Known {
        window_start: NaiveDate,
        last_used: BTreeMap<String, NaiveDate>,
        /// The endpoints each client called in the window (endpoint evidence), by client id.
        calls: BTreeMap<String, Vec<Call>>,
    },
    /// The query could not run (missing permission, failure): no client is judged unused.
    Unknown,
}

/// Everything one audit judges, as collected at `collected_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub collected_at: DateTime<Utc>,
    pub api_base_url: String,
    pub region: String,
    /// The auditor's own client id (scopewatch's credentials).
    pub auditor_client_id: String,
    pub usage_window_days: u32,
    pub clients: Vec<Client>,
    pub roles: BTreeMap<String, Role>,
    pub usage: Usage,
    /// The org's scope names; `None` when the catalog could not be read.
    pub scope_catalog: Option<BTreeSet<String>>,
    /// What each operation requires: the live API description or the embedded snapshot.
    pub catalog: std::sync::Arc<Catalog>,
    /// Degraded evidence, said in the report.
    pub warnings: Vec<String>,
}

/// A scope without the `:readonly` suffix permits writes.
pub fn is_read_write(scope: &str) -> bool {
    !scope.ends_with(":readonly")
}
