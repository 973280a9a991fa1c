//! `GET /actions`: the served report's action plan, most risk removed first.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::ApiError;
use crate::audit::report::Action;
use crate::cache::ReportCache;

#[derive(Serialize)]
struct Plan<'a> {
    audit_id: &'a str,
    generated_at: DateTime<Utc>,
    actions: &'a [Action],
}

pub(super) async fn get_actions(
    State(cache): State<Arc<ReportCache>>,
) -> Result<Response, ApiError> {
    let cached = cache
        .get()
        .await?
        .ok_or_else(ApiError::report_unavailable)?;
    let report = &cached.report;
    Ok(Json(Plan {
        audit_id: &report.audit_id,
        generated_at: report.generated_at,
        actions: &report.actions,
    })
    .into_response())
}
