//! Wire types of the Genesys Cloud Platform API, named as on the wire (camelCase).
//!
//! Absent fields stay `None` and are omitted when serialized, as Genesys does. Unknown fields
//! are ignored. None of these types holds a client secret.
//!
//! The `Trail*` types are the audit trail's answers as the simulator writes them, with the fields
//! the SDK models require; the client reads their lenient twins in `read_models`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::read_models::{TrailFilter, TrailSort};

/// `{id, name, selfUri}` reference to another entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainEntityRef {
    /// Optional in the SDK model: a `createdBy` may come without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// A role granted to a client-credentials client in one division (`*` = all divisions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDivision {
    pub role_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_id: Option<String>,
}

/// `OAuthClient`, as listed by `GET /api/v2/oauth/clients`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_validity_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_redirect_uri: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<DomainEntityRef>,
    pub authorized_grant_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_divisions: Option<Vec<RoleDivision>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_to_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `DomainPermissionPolicy`: actions allowed on one entity of one domain (`*` wildcards allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    pub domain: String,
    pub entity_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub action_set: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_conditions: Option<bool>,
    /// The resources (by id) the grant is limited to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_resources: Option<Vec<String>>,
    /// A condition the resources must meet for the grant to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_condition_node: Option<ConditionNode>,
}

/// `DomainResourceConditionNode`: a comparison (`variableName` `operator` `operands`), or
/// `terms` joined by `conjunction` (`AND`, `OR`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionNode {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable_name: Option<String>,
    /// `EQ`, `IN`, `GE`, `GT`, `LE`, `LT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operands: Option<Vec<ConditionValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conjunction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Vec<ConditionNode>>,
}

/// `DomainResourceConditionValue`: `type` `SCALAR`, `VARIABLE`, `USER`, `TEAM` or `QUEUE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionValue {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `DomainOrganizationRole`, as listed by `GET /api/v2/authorization/roles`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_role_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_policies: Option<Vec<PermissionPolicy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// A paged listing (`entities` + `pageSize/pageNumber/total/pageCount` + relative `*Uri`s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityListing<T> {
    #[serde(default = "Vec::new")]
    pub entities: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_uri: Option<String>,
}

/// `OAuthScope`: `id` is the scope name (`users:readonly`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthScope {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `OAuthScopeListing`: not paged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthScopeListing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default)]
    pub entities: Vec<OAuthScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// Body of `POST /api/v2/usage/query` (`ApiUsageOrganizationQuery`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageQuery {
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
}

/// `UsageExecutionResult`: answer to the usage query submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageExecutionResult {
    pub execution_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_uri: Option<String>,
}

/// `ApiUsageRow`: requests of one client (on one day when a granularity is set). Every field is
/// optional in the SDK model: a count sent as `null` reads as zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub status200: u64,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub status300: u64,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub status400: u64,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub status500: u64,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub status429: u64,
    #[serde(default, deserialize_with = "crate::read_models::null_as_default")]
    pub requests: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

impl UsageRow {
    /// One client's requests on one day, all answered 200.
    pub fn daily(client_id: &str, day: chrono::NaiveDate, requests: u64) -> UsageRow {
        UsageRow {
            client_id: Some(client_id.to_string()),
            client_name: None,
            organization_id: None,
            user_id: None,
            template_uri: None,
            http_method: None,
            status200: requests,
            status300: 0,
            status400: 0,
            status500: 0,
            status429: 0,
            requests,
            date: Some(format!("{}T00:00:00Z", day.format("%Y-%m-%d"))),
        }
    }
}

/// `ApiUsageQueryResult`: `Running` until the rows are ready, then `Complete` (or `Failed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageQueryResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<UsageRow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_status: Option<String>,
}

/// Body of `POST /api/v2/usage/aggregates/query/jobs` (`OrganizationPublicApiUsageQueryRequest`):
/// the usage jobs API. Its `groupBy` spells the client dimension `OauthClientId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobQuery {
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_methods: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_ids: Option<Vec<String>>,
}

/// `OrganizationUsageQueryResponse`: answer to a usage job submission. Every field is optional
/// in the SDK model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobSubmitted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results_uri: Option<String>,
}

/// `OrganizationPublicApiUsage`: one row of a usage job's results. Every field is optional in
/// the SDK model; `date` is `yyyy-MM-dd`, and a metric not asked for is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status200: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status300: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status400: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status429: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status500: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<DomainEntityRef>,
}

/// `OrganizationPublicApiUsageResultsResponse` as the simulator writes it: the job's status and,
/// once `Succeeded`, one page of rows with `nextUri` only when another page follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageJobResults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_body: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<UsageJobRow>>,
}

/// `ErrorBody`: every API error except the token endpoint's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_with_params: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_params: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
}

/// Successful answer of `POST /oauth/token`. Its `Debug` hides the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub expires_in: i64,
}

/// Error answer of `POST /oauth/token` (OAuth shape, not `ErrorBody`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenError {
    pub error: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub error_description: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// `AddressableEntityRef` of a trail message: the OAuth client that acted. The simulator writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailClientRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `PropertyChange` of a trail message, as the simulator writes it (the client reads
/// `read_models::TrailPropertyChange`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailPropertyChange {
    pub property: String,
    #[serde(default)]
    pub old_values: Vec<String>,
    #[serde(default)]
    pub new_values: Vec<String>,
}

/// `AuditLogMessage` as the simulator writes it: who (`user`, and/or the OAuth `client` whose
/// token made the call) did what (`action`) to which entity, when. The client reads
/// `read_models::TrailMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailMessage {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_home_org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<TrailClientRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remote_ip: Vec<String>,
    pub service_name: String,
    /// `USER` or `SYSTEM`.
    pub level: String,
    /// `yyyy-MM-ddTHH:mm:ss.mmmZ`, so text order is time order.
    pub event_date: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<DomainEntityRef>,
    pub entity_type: String,
    /// `SUCCESS`, `FAILURE` or `WARNING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub property_changes: Vec<TrailPropertyChange>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
    /// The optional parts scopewatch does not read; the simulator sets some so its client meets
    /// the shapes real audits carry.
    #[serde(flatten)]
    pub extras: TrailExtras,
}

/// The optional parts of `AuditLogMessage` that scopewatch does not read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailExtras {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiating_action: Option<TrailInitiatingAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_initiator: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_changes: Vec<TrailEntityChange>,
}

/// `InitiatingAction`: the transaction a message was part of.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailInitiatingAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_context: Option<String>,
}

/// `EntityChange`: an entity a message changed besides its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailEntityChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub old_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_values: Vec<String>,
}

/// `AuditQueryExecutionStatusResponse` as the simulator writes it (the client reads
/// `read_models::TrailQueryStatus`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailExecutionStatus {
    pub id: String,
    /// `Queued`, `Running`, `Succeeded`, `Failed` or `Cancelled`.
    pub state: String,
    pub start_date: String,
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<TrailFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<TrailSort>,
}

/// `AuditQueryExecutionResultsResponse` as the simulator writes it: one page, `cursor` only
/// when another page follows (the client reads `read_models::TrailResults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailResultsPage {
    pub id: String,
    pub page_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub entities: Vec<TrailMessage>,
}

/// `AuditRealtimeQueryResultsResponse` as the simulator writes it (the client reads
/// `read_models::TrailRealtimeResults`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrailRealtimePage {
    pub entities: Vec<TrailMessage>,
    pub page_size: u64,
    pub page_number: u64,
    pub total: u64,
    pub page_count: u64,
}

/// `AuditQueryServiceMapping` as the simulator writes it (the client reads
/// `read_models::TrailServiceMapping`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailServiceMapping {
    pub services: Vec<TrailService>,
}

/// `AuditQueryService` as the simulator writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailService {
    pub name: String,
    pub entities: Vec<TrailServiceEntity>,
}

/// `AuditQueryEntity` as the simulator writes it: an entity type and its audited actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailServiceEntity {
    pub name: String,
    pub actions: Vec<String>,
}
