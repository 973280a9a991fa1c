//! The audit history: list, one report, the diff of two audits, and starting one now.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::{ApiError, clip};
use super::expensive::Expensive;
use super::history_html;
use super::plain;
use super::query::{param, params, wants_html};
use super::report::accepts_gzip;
use super::report::orgs_href;
use super::state::Prefix;
use crate::audit::diff::diff as diff_reports;
use crate::audit::report::Report;
use crate::auditor::{AlreadyRunning, AuditHandle};
use crate::cache::LoadError;
use crate::history::{Checked, History, Listed, parse_report};
use crate::store::{Outcome, StoreError, StoredReport};

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        tracing::error!(error = %e, "database error while serving a request");
        match e {
            // Damaged for good: asking again will not help.
            StoreError::Corrupt(id, _) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "report_unreadable",
                format!("the stored report of audit {} is unreadable", clip(&id)),
            ),
            _ => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the audit history is unavailable right now",
            ),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> ApiError {
        match e {
            LoadError::Store(e) => e.into(),
            LoadError::Unreadable(id, detail) => StoreError::Corrupt(id, detail).into(),
        }
    }
}

fn audit_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_parameter("audit_id is not valid UTF-8"))
}

async fn record(history: &History, id: &str) -> Result<Listed, ApiError> {
    history
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found("audit_not_found", format!("no audit '{}'", clip(id))))
}

/// The stored report of a finished, successful audit, checked (size, JSON) once.
async fn checked_report(history: &History, id: &str) -> Result<Checked, ApiError> {
    let record = record(history, id).await?.record;
    match record.outcome {
        Outcome::Running => Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit_running",
            format!("audit {} is still running", record.audit_id),
        )),
        Outcome::Failure => Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit_failed",
            format!(
                "audit {} failed: {}",
                record.audit_id,
                record.error.as_deref().unwrap_or("unknown error")
            ),
        )),
        Outcome::Success => history.checked_report(id).await?.ok_or_else(|| {
            ApiError::not_found(
                "report_not_kept",
                format!("the report of audit {} is not kept", record.audit_id),
            )
        }),
    }
}

/// A past report, read once (after the outcome check that gives a clear 404/409) and parsed
/// off the async threads while it is inflated.
async fn report(history: &History, id: &str) -> Result<Report, ApiError> {
    let checked = checked_report(history, id).await?;
    Ok(parse_report(id, checked).await?)
}

pub(super) async fn list(
    State(history): State<Arc<History>>,
    State(expensive): State<Arc<Expensive>>,
    State(prefix): State<Prefix>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = params(raw.as_deref(), &["limit", "before"])?;
    let limit = match param(&pairs, "limit") {
        None => 20,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_parameter(format!(
                    "limit '{}' must be a whole number from 1 to 100",
                    clip(v)
                )));
            }
        },
    };
    let before = param(&pairs, "before");
    let _turn = expensive.enter().await?;
    let page = history.page(limit, before).await?.ok_or_else(|| {
        ApiError::not_found(
            "audit_not_found",
            format!("before: no audit '{}'", clip(before.unwrap_or_default())),
        )
    })?;
    if wants_html(&headers) {
        return Ok(history_html::html_response(history_html::history_page(
            &page,
            orgs_href(&prefix),
        )));
    }
    Ok(Json(page).into_response())
}

/// A stored report as stored: the gzip itself to a client that takes it, else inflated as it
/// is sent. Checked once (size, JSON), never inflated into memory; the body holds a place of
/// the expensive-request limit while it is sent.
pub(super) async fn get_one(
    State(history): State<Arc<History>>,
    State(expensive): State<Arc<Expensive>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = audit_id(path)?;
    let place = expensive.body()?;
    let checked = {
        let _turn = expensive.enter().await?;
        checked_report(&history, &id).await?
    };
    let mut response = match checked.stored {
        StoredReport::Gzip(gzip) if accepts_gzip(&headers) => {
            let mut r = plain::holding(gzip, place);
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        StoredReport::Text(text) => plain::holding(text, place),
        stored @ StoredReport::Gzip(_) => plain::inflating(stored.reader(), checked.len, place),
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    Ok(response)
}

pub(super) async fn diff(
    State(history): State<Arc<History>>,
    State(expensive): State<Arc<Expensive>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = audit_id(path)?;
    let pairs = params(raw.as_deref(), &["against"])?;
    let _turn = expensive.enter().await?;
    let after = report(&history, &id).await?;
    let against = match param(&pairs, "against") {
        Some(other) => other.to_string(),
        None => history.previous_success(&id).await?.ok_or_else(|| {
            ApiError::not_found(
                "no_previous_audit",
                format!("no successful audit before {id}"),
            )
        })?,
    };
    let before = report(&history, &against).await?;
    let diff = diff_reports(&after, &before);
    if wants_html(&headers) {
        return Ok(history_html::html_response(history_html::diff_page(&diff)));
    }
    Ok(Json(diff).into_response())
}

pub(super) async fn start(
    State(audits): State<AuditHandle>,
    State(prefix): State<Prefix>,
) -> Result<Response, ApiError> {
    match audits.start_now().await {
        Ok(id) => {
            let mut response = (
                StatusCode::ACCEPTED,
                Json(json!({"audit_id": id, "outcome": "running"})),
            )
                .into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("{}/audits/{id}", prefix.0)) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            Ok(response)
        }
        Err(AlreadyRunning) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit_running",
            "an audit is already running",
        )),
    }
}
