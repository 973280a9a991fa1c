//! What the audit judges: the org as read from Genesys Cloud, in our own domain types.
//! Built from the wire types at the boundary (`genesys::collect`); rules never see wire types.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

pub use crate::permissions::least::Call;
pub use genesys_api::permissions::catalog::Catalog;

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
            GrantType::Other(name) => name,
            documented => documented.documented_name(),
        }
    }

    /// The wire name for a report: borrowed for the names Genesys documents.
    pub fn report_name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            GrantType::Other(name) => name.clone().into(),
            documented => documented.documented_name().into(),
        }
    }

    fn documented_name(&self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "CLIENT-CREDENTIALS",
            GrantType::Code => "CODE",
            GrantType::Token => "TOKEN",
            GrantType::Saml2Bearer => "SAML2-BEARER",
            GrantType::Password => "PASSWORD",
            GrantType::Other(_) => "",
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
            ClientState::Other(name) => name,
            documented => documented.documented_name(),
        }
    }

    /// The wire name for a report: borrowed for the states Genesys documents.
    pub fn report_name(&self) -> std::borrow::Cow<'static, str> {
        match self {
            ClientState::Other(name) => name.clone().into(),
            documented => documented.documented_name().into(),
        }
    }

    fn documented_name(&self) -> &'static str {
        match self {
            ClientState::Active => "active",
            ClientState::Disabled => "disabled",
            ClientState::Inactive => "inactive",
            ClientState::Other(_) => "",
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
    /// Who created it (`createdBy`), as the client listing names them.
    pub created_by: Option<Named>,
    pub date_to_delete: Option<DateTime<Utc>>,
}

impl Client {
    /// Public clients hold no secret: the implicit (`TOKEN`) grant.
    pub fn is_public(&self) -> bool {
        self.grant_type == GrantType::Token
    }
}

/// An OAuth client whose record in the listing did not parse: its id and name when the record
/// had them as text, and why it did not parse (never its values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableClient {
    pub id: Option<String>,
    pub name: Option<String>,
    pub reason: String,
}

/// One permission policy of a role: `domain:entity:actions`, `*` wildcards allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionPolicy {
    pub domain: String,
    pub entity: String,
    pub actions: Vec<String>,
    /// Set when the policy applies only to some resources: what it holds, it holds
    /// conditionally. Rules still judge it as a full grant (over-reporting is the safe side)
    /// and say it is conditional.
    pub narrowed: Option<Narrowing>,
}

/// How a policy is narrowed: to named resources, and/or by a resource condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// How many resources `namedResources` names.
    pub named_resources: usize,
    /// Comparisons in `resourceConditionNode` (as far as it was read).
    pub conditions: usize,
    /// The condition tree went beyond what is read of it.
    pub more_conditions: bool,
}

impl Narrowing {
    /// `named resources: 3`, `conditions: 2`, or both, for evidence and the report.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.named_resources > 0 {
            parts.push(format!("named resources: {}", self.named_resources));
        }
        if self.conditions > 0 || self.more_conditions {
            let more = if self.more_conditions { " or more" } else { "" };
            parts.push(format!("conditions: {}{more}", self.conditions));
        }
        parts.join(", ")
    }
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

/// An entity named by id, and by name when Genesys said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: String,
    pub name: Option<String>,
}

/// The organization audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// A division: its name, whether it is the home division, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub id: String,
    pub name: String,
    pub home: bool,
    pub object_counts: BTreeMap<String, i64>,
}

/// A person as the users API answers with `state=any`: `active`, `inactive` or `deleted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub name: Option<String>,
    pub state: String,
}

impl Person {
    /// Nobody can act for a deleted or inactive person.
    pub fn is_gone(&self) -> bool {
        matches!(self.state.as_str(), "deleted" | "inactive")
    }
}

/// One property an audited change touched, with its values before and after (bounded for the
/// report) and the values it added, found on the whole values as Genesys sent them: a list cut
/// for the report must never make a narrowing read as a widening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyChange {
    pub property: String,
    pub old_values: Vec<String>,
    pub new_values: Vec<String>,
    pub added: Vec<String>,
}

impl PropertyChange {
    /// A change whose values are whole (tests, and values short enough to keep as they are).
    pub fn new(property: &str, old_values: Vec<String>, new_values: Vec<String>) -> Self {
        let added = new_values
            .iter()
            .filter(|v| !old_values.contains(v))
            .cloned()
            .collect();
        PropertyChange {
            property: property.to_string(),
            old_values,
            new_values,
            added,
        }
    }
}

/// One message of the audit trail: who (a person, through an OAuth client) did what to which
/// entity, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Option<String>,
    pub at: DateTime<Utc>,
    pub user: Option<Named>,
    /// The OAuth client that acted, if one did.
    pub client_id: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity: Option<Named>,
    pub properties: Vec<PropertyChange>,
}

/// The audit trail of OAuth clients and roles, newest first.
#[derive(Debug, Clone, PartialEq)]
pub enum Trail {
    Known(KnownTrail),
    /// The trail could not be read (missing permission, failure): no trail rule judges.
    Unknown,
}

/// A trail that was read: its events since `since`, indexed by the entity they changed and by
/// the OAuth client that acted, so judging a client never scans the whole trail.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownTrail {
    pub since: DateTime<Utc>,
    events: Vec<AuditEvent>,
    about: BTreeMap<String, Vec<usize>>,
    by: BTreeMap<String, Vec<usize>>,
}

impl KnownTrail {
    /// The events, sorted newest first (then by id).
    pub fn new(since: DateTime<Utc>, mut events: Vec<AuditEvent>) -> KnownTrail {
        events.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
        let mut about: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, e) in events.iter().enumerate() {
            if let Some(entity) = &e.entity {
                about.entry(entity.id.clone()).or_default().push(i);
            }
            if let Some(client) = &e.client_id {
                by.entry(client.clone()).or_default().push(i);
            }
        }
        KnownTrail {
            since,
            events,
            about,
            by,
        }
    }

    pub fn events(&self) -> &[AuditEvent] {
        &self.events
    }

    /// Events that changed the entity with this id (of the given type), newest first.
    pub fn about<'a>(
        &'a self,
        entity_type: &'a str,
        id: &str,
    ) -> impl Iterator<Item = &'a AuditEvent> + 'a {
        self.about
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.events[i])
            .filter(move |e| e.entity_type == entity_type)
    }

    /// Events an OAuth client performed itself, newest first.
    pub fn by<'a>(&'a self, client_id: &str) -> impl Iterator<Item = &'a AuditEvent> + 'a {
        self.by
            .get(client_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.events[i])
    }
}

impl Trail {
    pub fn known(&self) -> Option<&KnownTrail> {
        match self {
            Trail::Known(trail) => Some(trail),
            Trail::Unknown => None,
        }
    }
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
    /// Clients whose records did not parse: in the report as unreadable, never judged.
    pub unreadable_clients: Vec<UnreadableClient>,
    pub roles: BTreeMap<String, Role>,
    pub usage: Usage,
    /// Daily usage per client over the anomaly window (baseline and recent days); `None` when
    /// usage could not be read.
    pub usage_days: Option<std::sync::Arc<super::usage_days::UsageDays>>,
    /// Calls from other orgs, by client id, for the clients the per-client usage jobs read
    /// (`None`: not read). A client not in the map was not read.
    pub other_org_calls: Option<BTreeMap<String, Vec<super::usage_days::OtherOrgCall>>>,
    /// The org's scope names; `None` when the catalog could not be read.
    pub scope_catalog: Option<BTreeSet<String>>,
    /// What each operation requires: the live API description or the embedded snapshot.
    pub catalog: std::sync::Arc<Catalog>,
    /// Degraded evidence, said in the report.
    pub warnings: Vec<String>,
    /// The org (`None` when it could not be read).
    pub organization: Option<Organization>,
    /// The org's IP allowlist, the networks (CIDR) tokens may be used from: empty when the org
    /// has none, `None` when it could not be read.
    pub ip_allowlist: Option<Vec<String>>,
    /// Clients this org authorized, requested or revoked (`GET /api/v2/oauth/authorizations`);
    /// `None` when they could not be read.
    pub third_party_apps: Option<Vec<ThirdPartyApp>>,
    /// Divisions by id (`None` when they could not be read).
    pub divisions: Option<BTreeMap<String, Division>>,
    /// The creators of clients by id, with their state (`None` when they could not be read).
    pub people: Option<BTreeMap<String, Person>>,
    /// Who changed OAuth clients and roles, and what OAuth clients changed themselves.
    pub trail: Trail,
}

impl Snapshot {
    /// The name of a division id, when divisions are known (`home` is the home division).
    pub fn division_name(&self, id: &str) -> Option<&str> {
        let divisions = self.divisions.as_ref()?;
        if id == "*" {
            return Some("all divisions");
        }
        match divisions.get(id) {
            Some(d) => Some(d.name.as_str()),
            None if id == "home" => divisions.values().find(|d| d.home).map(|d| d.name.as_str()),
            None => None,
        }
    }
}

/// An authorization's state; values Genesys may add are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationState {
    Authorized,
    Requested,
    Revoked,
    Unauthorized,
    Other(String),
}

impl AuthorizationState {
    pub fn parse(wire: Option<&str>) -> Self {
        match wire.unwrap_or("") {
            "Authorized" => Self::Authorized,
            "Requested" => Self::Requested,
            "Revoked" => Self::Revoked,
            "Unauthorized" => Self::Unauthorized,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Authorized => "Authorized",
            Self::Requested => "Requested",
            Self::Revoked => "Revoked",
            Self::Unauthorized => "Unauthorized",
            Self::Other(text) => text,
        }
    }
}

/// A client authorized in this org (an `OAuthAuthorization`): usually another org's app, such
/// as an AppFoundry vendor's or a partner's.
#[derive(Debug, Clone, PartialEq)]
pub struct ThirdPartyApp {
    pub client_id: String,
    pub client_name: String,
    pub grant_type: GrantType,
    pub state: AuthorizationState,
    pub pending: bool,
    /// The scopes the org granted it.
    pub scopes: Vec<String>,
    /// The roles of this org named in the authorization (ids, as Genesys lists them).
    pub roles: Vec<String>,
    /// The org the authorization belongs to (Genesys's `resourceOwner`).
    pub resource_owner: Option<Named>,
    /// Who authorized it, and when.
    pub created_by: Option<Named>,
    pub date_created: Option<DateTime<Utc>>,
}

/// A scope without the `:readonly` suffix permits writes.
pub fn is_read_write(scope: &str) -> bool {
    !scope.ends_with(":readonly")
}
