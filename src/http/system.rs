//! Health, readiness, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use crate::cache::ReportCache;
use crate::metrics::Metrics;

/// The OpenAPI document, as served and as tested.
pub const OPENAPI: &str = include_str!("../../openapi.yaml");

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(cache): State<Arc<ReportCache>>) -> Response {
    match cache.get() {
        Some(c) => Json(json!({"status": "ready", "audit_id": c.report.audit_id})).into_response(),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "no report yet: the first audit has not finished",
        )
        .into_response(),
    }
}

pub async fn metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}
