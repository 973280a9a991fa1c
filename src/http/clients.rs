//! `GET /clients/{client_id}`: one client's risk detail, as JSON or (for a browser) HTML;
//! `GET /clients/{client_id}/remediation.tf`: its least-privilege Terraform snippet.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::{ApiError, clip};
use super::html;
use super::query::wants_html;
use crate::audit::report::{ClientReport, RuleEntry};
use crate::cache::{CachedReport, ReportCache};
use crate::render::terraform;

/// The client with the catalog entries of the rules its findings name.
#[derive(Serialize)]
struct ClientDetail<'a> {
    audit_id: &'a str,
    generated_at: DateTime<Utc>,
    #[serde(flatten)]
    client: &'a ClientReport,
    rules: BTreeMap<&'a str, &'a RuleEntry>,
}

pub(super) async fn get_client(
    State(cache): State<Arc<ReportCache>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (cached, client_id) = served(&cache, path).await?;
    let report = &cached.report;
    let client = find(&cached, &client_id)?;
    if wants_html(&headers) {
        let mut response = html::client_page(report, client).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(html::CSP),
        );
        return Ok(response);
    }
    let rules = client
        .findings
        .iter()
        .filter_map(|f| report.rules.get_key_value(f.rule_id.as_ref()))
        .map(|(id, rule)| (id.as_str(), rule))
        .collect();
    Ok(Json(ClientDetail {
        audit_id: &report.audit_id,
        generated_at: report.generated_at,
        client,
        rules,
    })
    .into_response())
}

/// The served report and the client id of the path.
async fn served(
    cache: &ReportCache,
    path: Result<Path<String>, PathRejection>,
) -> Result<(Arc<CachedReport>, String), ApiError> {
    let Path(client_id) =
        path.map_err(|_| ApiError::bad_parameter("client_id is not valid UTF-8"))?;
    let cached = cache
        .get()
        .await?
        .ok_or_else(ApiError::report_unavailable)?;
    Ok((cached, client_id))
}

fn find<'r>(cached: &'r CachedReport, client_id: &str) -> Result<&'r ClientReport, ApiError> {
    cached.client(client_id).ok_or_else(|| {
        ApiError::not_found(
            "client_not_found",
            format!(
                "no client '{}' in audit {}",
                clip(client_id),
                cached.report.audit_id
            ),
        )
    })
}

/// The snippet as text/plain; 404 when the client is unknown or has nothing to remediate (no
/// active `unused-permissions` or `unused-scopes` finding). A snippet is a few hundred bytes
/// of formatting: cheap enough for the async thread.
pub(super) async fn get_remediation(
    State(cache): State<Arc<ReportCache>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let (cached, client_id) = served(&cache, path).await?;
    let report = &cached.report;
    let client = find(&cached, &client_id)?;
    let snippet = terraform::client_snippet(report, client).ok_or_else(|| {
        ApiError::not_found(
            "nothing_to_remediate",
            format!(
                "client '{}' has no unused permissions or scopes to remediate in audit {}",
                clip(&client_id),
                report.audit_id
            ),
        )
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        snippet,
    )
        .into_response())
}
