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

/// `IpAddressAuthentication` (`GET /api/v2/organizations/ipaddressauthentication`): the org's
/// IP allowlist. The SDK calls every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpAddressAuthentication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_whitelist: Option<Vec<Option<String>>>,
}

/// `OAuthAuthorization` (an entry of `GET /api/v2/oauth/authorizations`): a client, usually of
/// another org, that this org authorized, requested or revoked. The SDK calls every field
/// optional; `state` is kept as text (Unauthorized, Requested, Authorized, Revoked, and values
/// Genesys may add).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAuthorization {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<AuthorizedClient>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_owner: Option<crate::models::DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<crate::models::DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<crate::models::DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// The `OAuthClient` an authorization embeds, read leniently: the SDK makes its `id` optional, and
/// one odd field must not lose the authorization. Only what the audit uses; the rest is ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizedClient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_grant_type: Option<String>,
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

/// `DomainPermissionPolicy` as read: every field optional. `namedResources` and
/// `resourceConditionNode` narrow the grant to some resources; they are read leniently (any
/// shape is tolerated, the condition tree only summarized within bounds), because a role whose
/// narrowing cannot be read must still count with its full grant.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadPolicy {
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub entity_name: Option<String>,
    #[serde(default)]
    pub action_set: Option<Vec<String>>,
    /// How many named resources the policy is limited to (`None`: absent or not a list).
    #[serde(default, deserialize_with = "list_length")]
    pub named_resources: Option<usize>,
    /// `None` when absent or not a boolean.
    #[serde(default, deserialize_with = "lenient")]
    pub allow_conditions: Option<bool>,
    #[serde(default)]
    pub resource_condition_node: Option<ReadCondition>,
}

/// The length of a JSON list; any other shape reads as absent.
fn list_length<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => Some(items.len()),
        _ => None,
    })
}

/// A value of the expected type, or absent when it has another shape.
fn lenient<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(T::deserialize(value).ok())
}

/// Nodes of a condition tree looked at; the rest is only said to be there.
pub const MAX_CONDITION_NODES: usize = 256;
/// Levels of a condition tree looked at.
pub const MAX_CONDITION_DEPTH: usize = 16;

/// `DomainResourceConditionNode` (`variableName`, `operator`, `operands`, `conjunction`,
/// `terms`), summarized: how many comparisons (nodes with an `operator` or a `variableName`)
/// the tree holds within `MAX_CONDITION_NODES` nodes and `MAX_CONDITION_DEPTH` levels, and
/// whether it went beyond. A value that is not an object holds no comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadCondition {
    pub comparisons: usize,
    pub beyond_bounds: bool,
}

impl ReadCondition {
    /// Summarizes a tree without recursion.
    pub fn of(tree: &serde_json::Value) -> ReadCondition {
        let mut summary = ReadCondition::default();
        let mut pending = vec![(tree, 1usize)];
        let mut seen = 0usize;
        while let Some((node, depth)) = pending.pop() {
            let Some(fields) = node.as_object() else {
                continue;
            };
            seen += 1;
            if seen > MAX_CONDITION_NODES || depth > MAX_CONDITION_DEPTH {
                summary.beyond_bounds = true;
                break;
            }
            let named = |key: &str| {
                fields
                    .get(key)
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|text| !text.is_empty())
            };
            if named("operator") || named("variableName") {
                summary.comparisons += 1;
            }
            if let Some(terms) = fields.get("terms").and_then(serde_json::Value::as_array) {
                pending.extend(terms.iter().map(|term| (term, depth + 1)));
            }
        }
        summary
    }
}

impl<'de> Deserialize<'de> for ReadCondition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ReadCondition::of(&serde_json::Value::deserialize(
            deserializer,
        )?))
    }
}

/// `DomainOrganizationRole` as read: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadRole {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
    #[serde(default)]
    pub permission_policies: Option<Vec<ReadPolicy>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> ReadPolicy {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_policy_reads_its_named_resources_and_summarizes_its_condition() {
        let p = policy(
            r#"{"domain":"routing","entityName":"queue","actionSet":["edit"],
                "namedResources":["q1","q2","q3"],"allowConditions":true,
                "resourceConditionNode":{"conjunction":"AND","terms":[
                    {"variableName":"queue.id","operator":"IN","operands":[{"type":"SCALAR","value":"q1"}]},
                    {"conjunction":"OR","terms":[{"variableName":"user.id","operator":"EQ"}]}]}}"#,
        );
        assert_eq!(p.named_resources, Some(3));
        assert_eq!(p.allow_conditions, Some(true));
        assert_eq!(
            p.resource_condition_node,
            Some(ReadCondition {
                comparisons: 2,
                beyond_bounds: false
            })
        );
    }

    #[test]
    fn odd_narrowing_shapes_never_fail_the_policy() {
        let p = policy(
            r#"{"domain":"d","entityName":"e","namedResources":"q1","allowConditions":"yes",
                "resourceConditionNode":[1,2],"unknown":{"x":1}}"#,
        );
        assert_eq!(p.named_resources, None);
        assert_eq!(p.allow_conditions, None);
        assert_eq!(p.resource_condition_node, Some(ReadCondition::default()));
        let p = policy(r#"{"namedResources":null,"resourceConditionNode":null}"#);
        assert_eq!((p.named_resources, p.resource_condition_node), (None, None));
        let p = policy(r#"{"resourceConditionNode":{"terms":"not a list","operator":7}}"#);
        assert_eq!(p.resource_condition_node, Some(ReadCondition::default()));
    }

    #[test]
    fn a_deep_or_wide_condition_tree_is_read_only_within_its_bounds() {
        let mut deep = String::from(r#"{"variableName":"v","operator":"EQ"}"#);
        for _ in 0..40 {
            deep = format!(r#"{{"conjunction":"AND","terms":[{deep}]}}"#);
        }
        let p = policy(&format!(r#"{{"resourceConditionNode":{deep}}}"#));
        let tree = p.resource_condition_node.unwrap();
        assert!(tree.beyond_bounds);
        assert_eq!(
            tree.comparisons, 0,
            "the comparison sits below the depth read"
        );
        let wide: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"variableName":"v{i}","operator":"EQ"}}"#))
            .collect();
        let p = policy(&format!(
            r#"{{"resourceConditionNode":{{"conjunction":"OR","terms":[{}]}}}}"#,
            wide.join(",")
        ));
        let tree = p.resource_condition_node.unwrap();
        assert!(tree.beyond_bounds);
        assert_eq!(tree.comparisons, MAX_CONDITION_NODES - 1);
    }
}
