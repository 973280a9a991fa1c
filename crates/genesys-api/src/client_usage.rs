//! The per-client usage jobs API: `POST /api/v2/usage/client/{clientId}/aggregates/query/jobs`
//! (`ClientPublicApiUsageQueryRequest`) then `GET .../jobs/{jobId}`
//! (`ClientPublicApiUsageResultsResponse`, rows `ClientPublicApiUsage`). Unlike the org-wide
//! jobs, its rows carry `organizationId`: the org that made the calls. Every field but
//! `interval` is optional in the SDK models.

use serde::{Deserialize, Serialize};

use crate::models::ErrorBody;

/// `ClientPublicApiUsageQueryRequest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientUsageJobQuery {
    pub interval: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_methods: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_ids: Option<Vec<String>>,
}

/// `ClientPublicApiUsage`: one row; `date` is `yyyy-MM-dd`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientUsageJobRow {
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
    pub organization_id: Option<String>,
}

/// `ClientPublicApiUsageResultsResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientUsageJobResults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_body: Option<ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entities: Option<Vec<ClientUsageJobRow>>,
}
