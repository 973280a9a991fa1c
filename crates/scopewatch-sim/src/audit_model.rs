//! Wire types of the audit API (`AuditLogMessage`, `AuditQueryRequest` and their answers), named
//! as the official SDK models name them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use genesys_api::models::DomainEntityRef;

/// `AddressableEntityRef`: the OAuth client that acted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
}

/// `PropertyChange`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    pub property: String,
    #[serde(default)]
    pub old_values: Vec<String>,
    #[serde(default)]
    pub new_values: Vec<String>,
}

/// `AuditLogMessage`: who (`user`, and/or the OAuth `client` whose token made the call) did
/// what (`action`) to which entity, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditMessage {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_home_org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<DomainEntityRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientRef>,
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
    pub property_changes: Vec<PropertyChange>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, String>,
}

/// `AuditQueryFilter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub property: String,
    pub value: String,
}

/// `AuditQuerySort`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditSort {
    pub name: String,
    pub sort_order: String,
}

/// `AuditQueryRequest`, and `AuditRealtimeQueryRequest` (which adds the page fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AuditFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<AuditSort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_number: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
}

/// `AuditQueryExecutionStatusResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditExecutionStatus {
    pub id: String,
    /// `Queued`, `Running`, `Succeeded`, `Failed` or `Cancelled`.
    pub state: String,
    pub start_date: String,
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<AuditFilter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sort: Vec<AuditSort>,
}

/// `AuditQueryExecutionResultsResponse`: one page; `cursor` only when another page follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditResultsPage {
    pub id: String,
    pub page_size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub entities: Vec<AuditMessage>,
}

/// `AuditRealtimeQueryResultsResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRealtimePage {
    pub entities: Vec<AuditMessage>,
    pub page_size: u64,
    pub page_number: u64,
    pub total: u64,
    pub page_count: u64,
}

/// `AuditQueryEntity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntityKind {
    pub name: String,
    pub actions: Vec<String>,
}

/// `AuditQueryService`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditService {
    pub name: String,
    pub entities: Vec<AuditEntityKind>,
}

/// `AuditQueryServiceMapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditServiceMapping {
    pub services: Vec<AuditService>,
}
