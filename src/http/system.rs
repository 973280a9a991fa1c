//! Health, readiness, metrics and the OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::metrics::Metrics;

/// The OpenAPI document, as served and as tested.
pub const OPENAPI: &str = include_str!("../../openapi.yaml");

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when there is something to serve: with one org, its report; with several, a report of
/// at least one, and every other org has one or its audit has failed (an org that cannot be
/// audited answers its own routes with 503 and why, and must not keep the others from serving).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let reports: Vec<(&str, Option<String>)> = state
        .orgs
        .values()
        .map(|o| {
            (
                o.name.as_str(),
                o.cache.get().map(|c| c.report.audit_id.clone()),
            )
        })
        .collect();
    let waiting: Vec<&str> = state
        .orgs
        .values()
        .filter(|o| {
            o.cache.get().is_none() && (state.orgs.len() == 1 || !o.audits.has_an_outcome())
        })
        .map(|o| o.name.as_str())
        .collect();
    let any = reports.iter().any(|(_, id)| id.is_some());
    if any && waiting.is_empty() {
        if let [(_, Some(id))] = reports.as_slice() {
            return Json(json!({"status": "ready", "audit_id": id})).into_response();
        }
        let orgs: serde_json::Map<String, serde_json::Value> = reports
            .into_iter()
            .map(|(name, id)| (name.to_string(), json!(id)))
            .collect();
        return Json(json!({"status": "ready", "orgs": orgs})).into_response();
    }
    let detail = if state.orgs.len() == 1 {
        "no report yet: the first audit has not finished".to_string()
    } else {
        format!(
            "no report yet for: {}",
            super::error::clip(&waiting.join(", "))
        )
    };
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", detail).into_response()
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
