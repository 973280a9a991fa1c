//! Health, readiness, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::state::AppState;
use crate::metrics::Metrics;

/// The OpenAPI document, as served and as tested.
pub(super) const OPENAPI: &str = include_str!("../../openapi.yaml");

pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when there is something to serve: with one org, its report; with several, a report of
/// any org (an org that cannot be audited, or is slow, answers its own routes with 503 and why,
/// and must not take the others out of service). The body counts orgs and never names them:
/// this endpoint is open, and with several orgs the names are customers'.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let ids: Vec<Option<String>> = state
        .orgs
        .values()
        .map(|o| o.cache.brief().map(|b| b.audit_id.clone()))
        .collect();
    let ready = ids.iter().filter(|id| id.is_some()).count();
    match ids.as_slice() {
        [Some(id)] => Json(json!({"status": "ready", "audit_id": id})).into_response(),
        _ if ready > 0 => Json(json!({
            "status": "ready",
            "orgs": ids.len(),
            "orgs_with_a_report": ready,
        }))
        .into_response(),
        _ => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "no report yet: the first audit has not finished",
        )
        .into_response(),
    }
}

pub(super) async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}
