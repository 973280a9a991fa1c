//! Audit queries over the org's trail: the service mapping, validation of a query as Genesys
//! answers a bad one (400 naming the field), and the messages a query selects.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::interval::{parse_instant, parse_interval};
use super::org::Org;
use super::params::Invalid;
use genesys_api::models::{TrailMessage, TrailService, TrailServiceEntity, TrailServiceMapping};
use genesys_api::read_models::TrailQuery;

/// The service that audits OAuth clients, roles and grants.
pub(crate) const SERVICE: &str = "PeoplePermissions";
pub(crate) const ENTITY_OAUTH_CLIENT: &str = "OAuthClient";
pub(crate) const ENTITY_ROLE: &str = "Role";
/// `AuditQueryFilter.property` values (SDK enum).
pub(crate) const FILTER_PROPERTIES: [&str; 6] = [
    "UserId",
    "TrusteeOrganizationId",
    "ClientId",
    "Action",
    "EntityType",
    "EntityId",
];
/// The realtime query only reaches this far back.
pub(crate) const REALTIME_DAYS: i64 = 14;

/// Services, their entity types and actions (a part of what Genesys maps; names from the SDK's
/// former enums).
type EntityActions = (&'static str, &'static [&'static str]);
const MAPPING: &[(&str, &[EntityActions])] = &[
    (
        SERVICE,
        &[
            (
                ENTITY_OAUTH_CLIENT,
                &["Create", "Update", "Delete", "Rotate", "Reset"],
            ),
            (ENTITY_ROLE, &["Create", "Update", "Delete"]),
            ("AccessToken", &["Create", "Revoke"]),
            ("OAuthClientAuthorization", &["Authorize", "Deauthorize"]),
            (
                "OrganizationAuthorizationTrust",
                &["Create", "Update", "Delete"],
            ),
            ("AuthUser", &["Update"]),
        ],
    ),
    (
        "Directory",
        &[
            ("User", &["Create", "Update", "Delete"]),
            (
                "Group",
                &["Create", "Update", "Delete", "MemberAdd", "MemberRemove"],
            ),
        ],
    ),
    (
        "Integrations",
        &[(
            "Integration",
            &["Create", "Update", "Delete", "Enable", "Disable"],
        )],
    ),
    (
        "Architect",
        &[(
            "Flow",
            &[
                "Create", "Update", "Delete", "Publish", "Checkin", "Checkout",
            ],
        )],
    ),
    ("Routing", &[("Queue", &["Create", "Update", "Delete"])]),
];

/// What the realtime query serves (`GET /api/v2/audits/query/realtime/servicemapping`): a
/// smaller set than the async query's, as Genesys keeps a separate realtime mapping
/// (genesys-api.md §13). [GUESS] which services and types are left out; what matters is that
/// some are, so a client reading the wrong mapping is refused.
const REALTIME_MAPPING: &[(&str, &[EntityActions])] = &[
    (
        SERVICE,
        &[
            (
                ENTITY_OAUTH_CLIENT,
                &["Create", "Update", "Delete", "Rotate", "Reset"],
            ),
            (ENTITY_ROLE, &["Create", "Update", "Delete"]),
            ("AccessToken", &["Create", "Revoke"]),
            ("OAuthClientAuthorization", &["Authorize", "Deauthorize"]),
        ],
    ),
    (
        "Directory",
        &[
            ("User", &["Create", "Update", "Delete"]),
            (
                "Group",
                &["Create", "Update", "Delete", "MemberAdd", "MemberRemove"],
            ),
        ],
    ),
];

/// Which mapping a query is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mapping {
    /// `POST /api/v2/audits/query`.
    Async,
    /// `POST /api/v2/audits/query/realtime`.
    Realtime,
}

impl Mapping {
    fn services(self) -> &'static [(&'static str, &'static [EntityActions])] {
        match self {
            Mapping::Async => MAPPING,
            Mapping::Realtime => REALTIME_MAPPING,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Mapping::Async => "/api/v2/audits/query/servicemapping",
            Mapping::Realtime => "/api/v2/audits/query/realtime/servicemapping",
        }
    }
}

/// The service mapping of one query kind, as Genesys answers it.
pub(super) fn service_mapping(mapping: Mapping) -> TrailServiceMapping {
    TrailServiceMapping {
        services: mapping
            .services()
            .iter()
            .map(|(name, entities)| TrailService {
                name: name.to_string(),
                entities: entities
                    .iter()
                    .map(|(entity, actions)| TrailServiceEntity {
                        name: entity.to_string(),
                        actions: actions.iter().map(|a| a.to_string()).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A validated query: what to select and in which order.
#[derive(Debug, Clone)]
pub(super) struct Selection {
    pub interval: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    service: String,
    /// Property -> accepted values (values of one property OR, properties AND).
    filters: HashMap<String, Vec<String>>,
    pub descending: bool,
}

/// Checks a query as Genesys does against the mapping of its kind; `Err` is the 400 message,
/// naming the field.
pub(super) fn validate(query: &TrailQuery, mapping: Mapping) -> Result<Selection, Invalid> {
    let interval = Some(query.interval.as_str())
        .filter(|i| !i.trim().is_empty())
        .ok_or("interval is required")?;
    let (start, end) = parse_interval(interval)?;
    let service = query
        .service_name
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("serviceName is required: see GET {}", mapping.path()))?;
    let Some((service, entities)) = mapping.services().iter().find(|(name, _)| *name == service)
    else {
        return Err(Invalid(format!(
            "serviceName '{service}' is not a known service: see GET {}",
            mapping.path()
        )));
    };
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    for (i, f) in query.filters.iter().enumerate() {
        if !FILTER_PROPERTIES.contains(&f.property.as_str()) {
            return Err(Invalid(format!(
                "filters[{i}].property '{}' is not one of {}",
                f.property,
                FILTER_PROPERTIES.join(", ")
            )));
        }
        if f.value.trim().is_empty() {
            return Err(Invalid(format!("filters[{i}].value is required")));
        }
        if f.property == "EntityType" && !entities.iter().any(|(e, _)| *e == f.value) {
            return Err(Invalid(format!(
                "filters[{i}].value '{}' is not an entity type of service {service}: see GET {}",
                f.value,
                mapping.path()
            )));
        }
        filters
            .entry(f.property.clone())
            .or_default()
            .push(f.value.clone());
    }
    let mut descending = true;
    for (i, s) in query.sort.iter().enumerate() {
        if s.name != "Timestamp" {
            return Err(Invalid(format!(
                "sort[{i}].name '{}' is not Timestamp",
                s.name
            )));
        }
        descending = match s.sort_order.to_ascii_lowercase().as_str() {
            "ascending" => false,
            "descending" => true,
            _ => {
                return Err(Invalid(format!(
                    "sort[{i}].sortOrder '{}' is not ascending or descending",
                    s.sort_order
                )));
            }
        };
    }
    Ok(Selection {
        interval: interval.to_string(),
        start,
        end,
        service: service.to_string(),
        filters,
        descending,
    })
}

impl Selection {
    /// Only messages at or after `since` (the realtime query's reach).
    pub(super) fn not_before(&mut self, since: DateTime<Utc>) {
        self.start = self.start.max(since);
    }

    fn matches(&self, m: &TrailMessage) -> bool {
        if m.service_name != self.service {
            return false;
        }
        match parse_instant(&m.event_date) {
            Some(at) if at >= self.start && at < self.end => {}
            _ => return false,
        }
        self.filters.iter().all(|(property, values)| {
            let actual = match property.as_str() {
                "UserId" => m.user.as_ref().and_then(|u| u.id.as_deref()),
                "ClientId" => m.client.as_ref().map(|c| c.id.as_str()),
                "Action" => Some(m.action.as_str()),
                "EntityType" => Some(m.entity_type.as_str()),
                "EntityId" => m.entity.as_ref().and_then(|e| e.id.as_deref()),
                _ => None,
            };
            actual.is_some_and(|a| values.iter().any(|v| v.eq_ignore_ascii_case(a)))
        })
    }

    /// The messages selected, in the requested order; `expand_user` names each user.
    pub(super) fn select(&self, org: &Org, expand_user: bool) -> Vec<TrailMessage> {
        let mut picked: Vec<TrailMessage> = org
            .audits
            .iter()
            .filter(|m| self.matches(m))
            .cloned()
            .collect();
        picked.sort_by_cached_key(|m| parse_instant(&m.event_date));
        if self.descending {
            picked.reverse();
        }
        if expand_user {
            let names: HashMap<&str, &str> = org
                .users
                .iter()
                .map(|u| (u.id.as_str(), u.name.as_str()))
                .collect();
            for m in &mut picked {
                if let Some(user) = &mut m.user {
                    user.name = user
                        .id
                        .as_deref()
                        .and_then(|id| names.get(id))
                        .map(|n| n.to_string());
                }
            }
        }
        picked
    }
}

/// Whether `expand` (repeated or comma-separated) asks for `user`; `Err` names a bad value.
pub(super) fn expand_user(expand: &[String]) -> Result<bool, Invalid> {
    let mut user = false;
    for value in expand.iter().flat_map(|e| e.split(',')) {
        match value.trim() {
            "user" => user = true,
            "" => {}
            other => {
                return Err(Invalid(format!(
                    "expand value '{other}' is not one of: user"
                )));
            }
        }
    }
    Ok(user)
}
