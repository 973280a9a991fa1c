//! The audit history: list, one report, the diff of two audits, and starting one now.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, clip};
use super::report::{param, params};
use crate::audit::diff::diff as diff_reports;
use crate::audit::report::Report;
use crate::history::{AuditRecord, History, Outcome};
use crate::scheduler::{AlreadyRunning, start_now};

fn audit_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id)
        .map_err(|_| ApiError::bad_parameter("audit_id is not valid UTF-8"))
}

fn record(history: &History, id: &str) -> Result<AuditRecord, ApiError> {
    history
        .get(id)
        .ok_or_else(|| ApiError::not_found("audit_not_found", format!("no audit '{}'", clip(id))))
}

/// The report of a finished, successful audit still held in memory.
fn report_of(record: &AuditRecord) -> Result<Arc<Report>, ApiError> {
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
        Outcome::Success => record.report.clone().ok_or_else(|| {
            ApiError::not_found(
                "report_not_kept",
                format!("the report of audit {} is no longer kept", record.audit_id),
            )
        }),
    }
}

pub async fn list(
    State(history): State<Arc<History>>,
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
    let audits = history.page(limit, before).ok_or_else(|| {
        ApiError::not_found(
            "audit_not_found",
            format!("before: no audit '{}'", clip(before.unwrap_or_default())),
        )
    })?;
    let next_before = (audits.len() == limit)
        .then(|| audits.last().map(|a| a.audit_id.clone()))
        .flatten();
    Ok(Json(json!({"audits": audits, "next_before": next_before})).into_response())
}

pub async fn get_one(
    State(history): State<Arc<History>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = audit_id(path)?;
    let report = report_of(&record(&history, &id)?)?;
    Ok(Json(report.as_ref()).into_response())
}

pub async fn diff(
    State(history): State<Arc<History>>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = audit_id(path)?;
    let pairs = params(raw.as_deref(), &["against"])?;
    let after = report_of(&record(&history, &id)?)?;
    let before = match param(&pairs, "against") {
        Some(other) => report_of(&record(&history, other)?)?,
        None => {
            let previous = history.previous_success(&id).ok_or_else(|| {
                ApiError::not_found(
                    "no_previous_audit",
                    format!("no successful audit before {id}"),
                )
            })?;
            report_of(&previous)?
        }
    };
    Ok(Json(diff_reports(&after, &before)).into_response())
}

pub async fn start(State(state): State<AppState>) -> Result<Response, ApiError> {
    match start_now(state.audits.clone(), state.cancel.clone()) {
        Ok(id) => {
            let mut response = (
                StatusCode::ACCEPTED,
                Json(json!({"audit_id": id, "outcome": "running"})),
            )
                .into_response();
            if let Ok(location) = HeaderValue::from_str(&format!("/audits/{id}")) {
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
