//! The history page (`GET /audits` for a browser) and the diff page (`GET /audits/{id}/diff`):
//! what each audit found, and which findings are new or resolved since the one before.

use std::fmt::Write;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::markup::{CSP, badge, encode_segment, escape, page};
use super::report_links::rule_with_title;
use crate::audit::diff::{Diff, DiffEntry};
use crate::history::Page;
use crate::store::Outcome;

/// An HTML page with the headers every page carries.
pub(super) fn html_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
        .into_response()
}

fn count(n: Option<i64>) -> String {
    n.map_or_else(|| "–".into(), |n| n.to_string())
}

/// The audits of one page of the history, newest first, each linking to its diff.
pub(super) fn history_page(history: &Page, orgs_href: &str) -> String {
    let mut body = format!(
        "<p id=\"links\"><a href=\"{orgs_href}\">← all organizations</a> · <a href=\"report\">the latest report</a></p>\
<h1>Audit history</h1><table id=\"audits\"><thead><tr><th>Started</th><th>Audit</th><th>Outcome</th><th>Clients</th>\
<th>High risk (HIGH + CRITICAL)</th><th>Findings</th><th>New</th><th>Resolved</th><th></th></tr></thead><tbody>"
    );
    for listed in &history.audits {
        let a = &listed.record;
        let (outcome, diff) = match a.outcome {
            Outcome::Success => (
                "success".to_string(),
                format!(
                    "<a href=\"audits/{}/diff\">what changed</a>",
                    encode_segment(&a.audit_id)
                ),
            ),
            Outcome::Running => ("running".into(), String::new()),
            Outcome::Failure => (
                format!("failed: {}", a.error.as_deref().unwrap_or("unknown error")),
                String::new(),
            ),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{diff}</td></tr>",
            a.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            escape(&a.audit_id),
            escape(&outcome),
            count(a.total_clients),
            count(a.high_risk_count),
            count(a.findings),
            count(a.new_findings),
            count(a.resolved_findings),
        );
    }
    body.push_str("</tbody></table>");
    if history.audits.is_empty() {
        body.push_str("<p class=\"muted\">No audit yet.</p>");
    }
    if let Some(next) = &history.next_before {
        let _ = write!(
            body,
            "<p><a id=\"older\" href=\"audits?before={}\">older audits</a></p>",
            escape(&url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
        );
    }
    page("scopewatch: audit history", &body)
}

/// One table of diff entries, linking each client (from `{prefix}/audits/{id}/diff`).
fn entries(body: &mut String, id: &str, title: &str, list: &[DiffEntry]) {
    let _ = write!(
        body,
        "<h2 id=\"{id}-heading\">{title} ({})</h2>",
        list.len()
    );
    if list.is_empty() {
        body.push_str("<p class=\"muted\">None.</p>");
        return;
    }
    let _ = write!(
        body,
        "<table id=\"{id}\"><thead><tr><th>Severity</th><th>Rule</th><th>Client</th><th>Evidence</th></tr></thead><tbody>"
    );
    for e in list {
        let evidence: Vec<String> = e.evidence.iter().take(3).map(|l| escape(l)).collect();
        // An org-level finding names the org, and a third-party app is not one of the org's
        // clients: neither has a client page, so each links its section of the report.
        let link = match e.scope {
            Some("third_party_app") => "../../report#third-party-apps".to_string(),
            Some(_) => "../../report#organization-findings".to_string(),
            None => format!("../../clients/{}", encode_segment(&e.client_id)),
        };
        let _ = write!(
            body,
            "<tr><td>{}{}</td><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            badge(e.severity.into()),
            if e.suppressed {
                " <span class=\"muted\">(waived)</span>"
            } else {
                ""
            },
            rule_with_title(&e.rule_id),
            escape(&link),
            escape(&e.client_name),
            evidence.join("<br>")
        );
    }
    body.push_str("</tbody></table>");
}

/// New and resolved findings of an audit against an earlier one; the unchanged are counted.
pub(super) fn diff_page(diff: &Diff) -> String {
    let mut body = format!(
        "<p id=\"links\"><a href=\"../../report\">the latest report</a> · <a href=\"../../audits\">history</a></p>\
<h1>What changed</h1><p class=\"muted\">Audit <code>{}</code> against <code>{}</code>: {} new, {} resolved, {} unchanged findings{}.</p>",
        escape(&diff.audit_id),
        escape(&diff.against),
        diff.counts.new,
        diff.counts.resolved,
        diff.counts.unchanged,
        match diff.counts.unknown {
            0 => String::new(),
            n => format!("; {n} unknown (their client did not parse in this audit)"),
        }
    );
    entries(&mut body, "new", "New findings", &diff.new);
    entries(&mut body, "resolved", "Resolved findings", &diff.resolved);
    if !diff.unknown.is_empty() {
        entries(
            &mut body,
            "unknown",
            "Unknown: the client's record did not parse in this audit",
            &diff.unknown,
        );
    }
    page("scopewatch: what changed", &body)
}
