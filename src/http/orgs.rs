//! `GET /orgs`: every audited org with its summary and the age of its last good report, as JSON
//! or (for browsers) an HTML index; and the answer the single-org routes give when several orgs
//! run and none is `default`.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::error::ApiError;
use super::html::{self, encode_segment, escape};
use super::query::wants_html;
use super::state::{AppState, OrgState};

/// One org as `/orgs` lists it.
fn summary(org: &OrgState) -> Value {
    let base = format!("/orgs/{}", org.name);
    let served = org.cache.get();
    let report = served.as_ref().map(|cached| {
        let r = &cached.report;
        json!({
            "audit_id": r.audit_id,
            "generated_at": r.generated_at,
            "age_seconds": (Utc::now() - r.generated_at).num_seconds().max(0),
            "complete": r.complete,
            "total_clients": r.summary.total_clients,
            "high_risk_count": r.summary.high_risk_count,
            "by_risk_level": r.summary.by_risk_level,
        })
    });
    json!({
        "name": org.name,
        "region": org.region,
        // The organization as Genesys names it, from the served report (`/organizations/me`).
        "organization": served.as_ref().and_then(|c| c.report.organization.as_ref()),
        "report": report,
        "links": {
            "report": format!("{base}/report"),
            "audits": format!("{base}/audits"),
        },
    })
}

/// `GET /` sends browsers and curl to the single org's report, or lists the orgs when there is
/// none.
pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.single_org().is_some() {
        return Redirect::to("/report").into_response();
    }
    list(State(state), headers).await
}

pub(super) async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if wants_html(&headers) {
        return (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, html::CSP),
            ],
            index_page(&state),
        )
            .into_response();
    }
    let orgs: Vec<Value> = state.orgs.values().map(summary).collect();
    Json(json!({ "orgs": orgs })).into_response()
}

/// The HTML index of orgs: a row each, linking to its report.
fn index_page(state: &AppState) -> String {
    let mut rows = String::new();
    for org in state.orgs.values() {
        let link = format!("/orgs/{}/report", encode_segment(&org.name));
        let (high, total, age) = match org.cache.get() {
            Some(cached) => {
                let r = &cached.report;
                let minutes = (Utc::now() - r.generated_at).num_minutes().max(0);
                (
                    r.summary.high_risk_count.to_string(),
                    r.summary.total_clients.to_string(),
                    format!("{minutes} min"),
                )
            }
            None => ("–".into(), "–".into(), "no report yet".into()),
        };
        let _ = write!(
            rows,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&link),
            escape(&org.name),
            escape(&org.region),
            high,
            total,
            escape(&age)
        );
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>scopewatch: organizations</title>\
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left}}</style></head>\
<body><h1>Audited organizations</h1><table><thead><tr><th>org</th><th>region</th><th>high risk</th><th>clients</th><th>last good report</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
    )
}

/// The single-org routes with several orgs and none named `default`.
pub(super) async fn no_single_org(State(state): State<AppState>) -> ApiError {
    let names: Vec<&str> = state.orgs.keys().map(String::as_str).collect();
    ApiError::not_found(
        "org_required",
        format!(
            "{} orgs are audited and none is named 'default': use /orgs/{{org}}/report, /orgs/{{org}}/clients/..., /orgs/{{org}}/audits (orgs: {}; GET /orgs lists them)",
            names.len(),
            super::error::clip(&names.join(", "))
        ),
    )
}
