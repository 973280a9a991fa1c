//! Wire types scopewatch reads from the official SDK models where every field is optional:
//! the organization, divisions, users, the audit trail, and lenient roles (§12.6: a role or a
//! policy missing a field must not fail the roles page). Unknown fields are ignored.
//!
//! The audit-trail query (`TrailQuery`, `TrailFilter`, `TrailSort`) lives here too: one shape,
//! which the client writes and the simulator reads. The trail's answers are named `Trail*` so
//! they do not read as scopewatch's own audits; their strict twins are in `models`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field the SDK models call optional, read with `null` as its default (an empty list, zero):
/// Genesys may send `null` where scopewatch keeps a plain list or count, and one such field must
/// not make the whole answer unreadable.
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `Organization` (`GET /api/v2/organizations/me`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party_org_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `AuthzDivision` (`GET /api/v2/authorization/divisions?objectCount=true`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Division {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_division: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_counts: Option<BTreeMap<String, i64>>,
}

/// `User` (`GET /api/v2/users?id=..&state=any`): what names a person and whether they are
/// still there (`active`, `inactive`, `deleted`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `OAuthScope` (`GET /api/v2/oauth/scopes`) as read: its `id` is the scope name, optional in
/// the SDK model like every other field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `DomainEntityRef` / `AddressableEntityRef` with every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `AuditQueryFilter`: the client writes it, the simulator reads it (one shape for both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailFilter {
    pub property: String,
    pub value: String,
}

/// `AuditQuerySort`: the client writes it, the simulator reads it (one shape for both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailSort {
    pub name: String,
    pub sort_order: String,
}

/// `AuditQueryRequest` (`POST /api/v2/audits/query`); with a page it is the
/// `AuditRealtimeQueryRequest` (`POST /api/v2/audits/query/realtime`). The client writes it and
/// the simulator reads it: `interval` is required by the SDK, the rest may be absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailQuery {
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<TrailFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<TrailSort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
}

/// `AuditQueryExecutionStatusResponse` as the client reads it: `Queued`, `Running`, then
/// `Succeeded` (or `Failed`, `Cancelled`). The simulator writes `models::TrailExecutionStatus`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailQueryStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// `PropertyChange` of a trail message as the client reads it (the simulator writes
/// `models::TrailPropertyChange`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailPropertyChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_values: Option<Vec<String>>,
}

/// `AuditLogMessage` as the client reads it: who (`user`), through which OAuth client
/// (`client`), did what (`action`) to which entity, when. The simulator writes
/// `models::TrailMessage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<EntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<EntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_changes: Option<Vec<TrailPropertyChange>>,
}

/// One entry of a trail page: a message, or one that does not read as `AuditLogMessage` (a
/// field of the wrong type, not an object), kept only as its id when it has one. Real messages
/// carry fields the SDK adds over time; one odd message is skipped, never the whole page.
// Nearly every entry is a message, so boxing it would add an allocation each to save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum TrailRecord {
    Read(TrailMessage),
    Unreadable { id: Option<String> },
}

impl<'de> Deserialize<'de> for TrailRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(match TrailMessage::deserialize(&value) {
            Ok(message) => TrailRecord::Read(message),
            Err(_) => TrailRecord::Unreadable {
                id: value
                    .get("id")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string),
            },
        })
    }
}

impl Serialize for TrailRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            TrailRecord::Read(message) => message.serialize(serializer),
            TrailRecord::Unreadable { id } => TrailMessage {
                id: id.clone(),
                ..TrailMessage::default()
            }
            .serialize(serializer),
        }
    }
}

/// `AuditQueryExecutionResultsResponse`: one page, and the `cursor` of the next (absent on the
/// last). The client reads it; the simulator writes `models::TrailResultsPage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailResults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub entities: Vec<TrailRecord>,
}

/// `AuditRealtimeQueryResultsResponse` as the client reads it (the simulator writes
/// `models::TrailRealtimePage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailRealtimeResults {
    #[serde(default, deserialize_with = "null_as_default")]
    pub entities: Vec<TrailRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u64>,
}

/// `AuditQueryServiceMapping` as the client reads it: services and the entity types each
/// audits (the simulator writes `models::TrailServiceMapping`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailServiceMapping {
    #[serde(default, deserialize_with = "null_as_default")]
    pub services: Vec<TrailService>,
}

/// `AuditQueryService` as the client reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailService {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub entities: Vec<TrailServiceEntity>,
}

/// `AuditQueryEntity` as the client reads it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrailServiceEntity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub actions: Vec<String>,
}

/// `DomainPermissionPolicy` as read: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_set: Option<Vec<String>>,
}

/// `DomainOrganizationRole` as read: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadRole {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policies: Option<Vec<ReadPolicy>>,
}
