//! The "Fix first" section of the report page and the recommended action on a client's page.

use std::fmt::Write;

use super::markup::{badge, escape};
use super::report_links::{Pairs, report_href};
use crate::audit::actions::{is_deleting_rule, recommended_for};
use crate::audit::report::{Action, ClientReport, Report};
use crate::audit::rules::rule_meta;

/// Actions listed on the report page; the rest are counted and linked (`actions`, JSON).
const SHOWN: usize = 10;

/// The link that lists an action's clients: the report filtered on its first rule; an action on
/// the organization (no client) links the report's organization section.
fn clients_href(filter: &Pairs, action: &Action) -> Option<String> {
    if action.client_ids.is_empty() {
        return Some("#organization-findings".to_string());
    }
    let rule = action.rule_ids.first()?;
    Some(report_href(filter, "rule", Some(rule), None))
}

/// The plan's first actions, most risk removed first, each with its clients and rules.
pub(super) fn fix_first(report: &Report, filter: &Pairs) -> String {
    let mut out = String::from("<section id=\"fix-first\"><h2>Fix first</h2>");
    if report.actions.is_empty() {
        out.push_str("<p class=\"muted\">Nothing to fix: no client has an unsuppressed finding.</p></section>");
        return out;
    }
    out.push_str(
        "<p class=\"muted\">Each row is one change; <i>risk removed</i> is the points of the clients' risk scores its findings carry (CRITICAL 100, HIGH 25, MEDIUM 5, LOW 1).</p>\
<table id=\"actions\"><thead><tr><th>Severity</th><th>Action</th><th>Clients</th><th>Risk removed</th><th>Rules</th></tr></thead><tbody>",
    );
    for a in report.actions.iter().take(SHOWN) {
        let count = if a.client_ids.is_empty() {
            "the organization".to_string()
        } else {
            a.clients.to_string()
        };
        let clients = match clients_href(filter, a) {
            Some(href) => format!("<a href=\"{}\">{count}</a>", escape(&href)),
            None => count,
        };
        let rules: Vec<String> = a
            .rule_ids
            .iter()
            .map(|r| format!("<code>{}</code>", escape(r)))
            .collect();
        let _ = write!(
            out,
            "<tr id=\"action-{}\"><td>{}</td><td>{}</td><td>{clients}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.id),
            badge(a.severity.into()),
            escape(&a.title),
            a.risk_removed,
            rules.join(" ")
        );
    }
    out.push_str("</tbody></table>");
    let more = report.actions.len().saturating_sub(SHOWN);
    if more > 0 {
        let _ = write!(
            out,
            "<p class=\"muted\">And {more} more: <a href=\"actions\">all actions (JSON)</a>.</p>"
        );
    }
    out.push_str("</section>");
    out
}

/// The client's one recommended action, with what to do in Genesys; `None` for a client with
/// nothing to fix.
pub(super) fn recommended(report: &Report, c: &ClientReport) -> Option<String> {
    let action = recommended_for(&report.actions, c)?;
    let open: Vec<_> = c.findings.iter().filter(|f| !f.suppressed).collect();
    let settled = open
        .iter()
        .filter(|f| action.rule_ids.iter().any(|r| r == f.rule_id.as_ref()))
        .count();
    // What to do in the admin UI: the remediation of the rule that decided the action.
    let how = leading_rule(action, c)
        .and_then(rule_meta)
        .map(|m| format!("<p class=\"do\">{}</p>", escape(m.remediation)))
        .unwrap_or_default();
    Some(format!(
        "<section id=\"recommended\" class=\"card\"><h2>Recommended action</h2>{how}\
<p>{} Part of the plan's action <a href=\"../report#action-{}\">{}</a> ({} clients, {} risk points removed in all). \
It settles {settled} of this client's {} open findings.</p></section>",
        badge(action.severity.into()),
        escape(&action.id),
        escape(&action.title),
        action.clients,
        action.risk_removed,
        open.len(),
    ))
}

/// The rule whose remediation says what to do: the deleting rule when the action deletes the
/// client, else the client's heaviest finding among the action's rules.
fn leading_rule<'a>(action: &Action, c: &'a ClientReport) -> Option<&'a str> {
    let covered = |f: &&crate::audit::report::Finding| {
        !f.suppressed && action.rule_ids.iter().any(|r| r == f.rule_id.as_ref())
    };
    c.findings
        .iter()
        .filter(covered)
        .find(|f| is_deleting_rule(&f.rule_id))
        .or_else(|| {
            c.findings
                .iter()
                .filter(covered)
                .rev()
                .max_by_key(|f| f.severity.weight())
        })
        .map(|f| f.rule_id.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_on_the_organization_links_its_section_not_a_client_list() {
        use crate::audit::rules::testkit::{client, policy, snapshot};
        use crate::audit::{AuditRun, judge};
        let mut s = snapshot();
        s.clients = vec![client("SAML2-BEARER")];
        s.ip_allowlist = Some(vec![]);
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "a".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        let report = judge(s, &policy(), &run);
        let section = fix_first(&report, &[]);
        let row = section
            .split("<tr id=\"action-set-ip-allowlist\">")
            .nth(1)
            .expect("the org's action is listed")
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            row.contains("<a href=\"#organization-findings\">the organization</a>"),
            "{row}"
        );
    }
}
