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
use super::markup::{self, encode_segment, escape};
use super::query::wants_html;
use super::state::{AppState, OrgState};

/// One org as `/orgs` lists it.
fn summary(org: &OrgState) -> Value {
    let base = format!("/orgs/{}", org.name);
    let served = org.cache.brief();
    let report = served.as_ref().map(|r| {
        json!({
            "audit_id": r.audit_id,
            "generated_at": r.generated_at,
            "age_seconds": (Utc::now() - r.generated_at).num_seconds().max(0),
            "complete": r.complete,
            "total_clients": r.summary.total_clients,
            "high_risk_count": r.summary.high_risk_count,
            "by_risk_level": r.summary.by_risk_level,
            "organization_findings": r.organization_findings.iter().map(|f| json!({
                "rule_id": f.rule_id,
                "title": f.title,
                "severity": f.severity,
                "suppressed": f.suppressed,
            })).collect::<Vec<_>>(),
        })
    });
    json!({
        "name": org.name,
        "region": org.region,
        // The organization as Genesys names it, from the served report (`/organizations/me`).
        "organization": served.as_ref().and_then(|r| r.organization.as_ref()),
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
                (header::CONTENT_SECURITY_POLICY, markup::CSP),
            ],
            index_page(&state),
        )
            .into_response();
    }
    let orgs: Vec<Value> = state.orgs.values().map(summary).collect();
    Json(json!({ "orgs": orgs })).into_response()
}

/// What the index shows of an org with a report: its risk counts, clients, age, Genesys'
/// name and the plan's first action.
struct Row<'a> {
    org: &'a OrgState,
    report: Option<std::sync::Arc<crate::cache::Brief>>,
}

impl Row<'_> {
    /// Riskiest first: CRITICAL clients, then HIGH, MEDIUM, LOW; orgs without a report last.
    fn rank(&self) -> impl Ord {
        let levels = self.report.as_ref().map(|r| {
            let l = &r.summary.by_risk_level;
            (l.critical, l.high, l.medium, l.low)
        });
        std::cmp::Reverse(levels)
    }
}

/// The HTML index of orgs, riskiest first: a row each, linking to its report.
fn index_page(state: &AppState) -> String {
    let mut orgs: Vec<Row> = state
        .orgs
        .values()
        .map(|org| Row {
            org,
            report: org.cache.brief(),
        })
        .collect();
    orgs.sort_by(|a, b| {
        a.rank()
            .cmp(&b.rank())
            .then_with(|| a.org.name.cmp(&b.org.name))
    });
    let mut rows = String::new();
    for Row { org, report } in &orgs {
        let link = format!("/orgs/{}/report", encode_segment(&org.name));
        let cells = match report {
            Some(r) => {
                let l = &r.summary.by_risk_level;
                let minutes = (Utc::now() - r.generated_at).num_minutes().max(0);
                [
                    escape(r.organization.as_ref().map_or("", |o| o.name.as_str())),
                    l.critical.to_string(),
                    l.high.to_string(),
                    r.summary.total_clients.to_string(),
                    format!("{minutes} min ago"),
                    r.first_action.as_deref().map_or_else(String::new, escape),
                    org_findings(r),
                ]
            }
            None => [
                String::new(),
                "–".into(),
                "–".into(),
                "–".into(),
                "no report yet".into(),
                String::new(),
                String::new(),
            ],
        };
        let [genesys, critical, high, total, age, first, org_cell] = cells;
        let _ = write!(
            rows,
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"genesys-name\">{genesys}</td><td>{}</td><td class=\"critical-count\">{critical}</td>\
<td class=\"high-count\">{high}</td><td>{total}</td><td class=\"org-findings\">{org_cell}</td><td>{age}</td><td>{first}</td></tr>",
            escape(&link),
            escape(&org.name),
            escape(&org.region),
        );
    }
    markup::page(
        "scopewatch: organizations",
        &format!(
            "<h1>Audited organizations</h1><p class=\"muted\">Riskiest first: by CRITICAL clients, then HIGH.</p>\
<table id=\"orgs\"><thead><tr><th>Org</th><th>Genesys name</th><th>Region</th><th>CRITICAL</th><th>HIGH</th><th>Clients</th>\
<th>Org findings</th><th>Last good report</th><th>Fix first</th></tr></thead><tbody>{rows}</tbody></table>"
        ),
    )
}

/// The org's own findings for its row: each active one's severity and title, or `none`.
fn org_findings(report: &crate::cache::Brief) -> String {
    let active: Vec<String> = report
        .organization_findings
        .iter()
        .filter(|f| !f.suppressed)
        .map(|f| format!("{} {}", markup::badge(f.severity.into()), escape(&f.title)))
        .collect();
    if active.is_empty() {
        "none".to_string()
    } else {
        active.join("<br>")
    }
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
