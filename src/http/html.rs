//! Server-rendered pages for browsers: no JavaScript, no external assets, every piece of text
//! escaped (client names and descriptions are attacker-controlled).

use std::fmt::Write;

use super::chart::{Point, trend_chart};
pub(super) use super::markup::{CSP, encode_segment, escape};
use super::markup::{badge, page};
use super::plan_html::{fix_first, recommended};
use super::report_links::{filter_bar, rule_with_title};
use crate::audit::report::{ClientReport, Finding, Report, RuleEntry};
use crate::render::terraform;

/// What the report page links to besides itself: the filter in force (its links keep it) and
/// the list of orgs, relative to the page.
pub struct Nav {
    pub filter: Vec<(&'static str, String)>,
    pub orgs_href: &'static str,
}

/// The report page: where it came from and its links, the action plan ("Fix first"), summary
/// cards, the trend chart, warnings, filters, and the clients with links.
/// `kept` are the clients a filter kept (`None`: all of them).
pub fn report_page(
    report: &Report,
    kept: Option<&[&ClientReport]>,
    trend: &[Point],
    nav: &Nav,
) -> String {
    let all: Vec<&ClientReport>;
    let clients = match kept {
        Some(kept) => kept,
        None => {
            all = report.clients.iter().collect();
            &all
        }
    };
    let mut body = String::new();
    report_header(&mut body, report, kept.is_some(), nav);
    body.push_str(&fix_first(report, &nav.filter));
    summary_cards(&mut body, report);
    body.push_str(&trend_chart(trend));
    for w in &report.warnings {
        let _ = write!(body, "<p class=\"warn\">{}</p>", escape(w));
    }
    organization_findings(&mut body, report);
    third_party_apps(&mut body, report);
    body.push_str(&filter_bar(report, &nav.filter));
    // "new" means first seen in this audit; on the first audit everything would be.
    let marks_new = trend.len() >= 2;
    body.push_str("<table id=\"clients\"><thead><tr><th>Risk</th><th>Score</th><th>Client</th><th>Grant</th><th>State</th><th>Findings</th></tr></thead><tbody>");
    for c in clients {
        let findings: Vec<String> = c
            .findings
            .iter()
            .filter(|f| !f.suppressed)
            .map(|f| {
                let new = marks_new && f.first_seen == report.generated_at;
                format!(
                    "{}{}",
                    rule_with_title(&f.rule_id),
                    if new {
                        " <span class=\"new\">new</span>"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        let mut findings = findings;
        if c.unreadable.is_some() {
            findings.push("<span class=\"warn\">unreadable record, not judged</span>".into());
        }
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><a href=\"clients/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            badge(c.risk_level),
            c.risk_score,
            encode_segment(&c.client_id),
            escape(&c.client_name),
            escape(&c.grant_type),
            escape(&c.state),
            findings.join("<br>")
        );
    }
    body.push_str("</tbody></table>");
    rules_table(&mut body, report);
    page("scopewatch report", &body)
}

/// The title, the audit it shows, and the links to the orgs, the history and the diff.
fn report_header(body: &mut String, report: &Report, filtered: bool, nav: &Nav) {
    let _ = write!(
        body,
        "<p id=\"links\"><a href=\"{}\">← all organizations</a> · <a href=\"audits\">history</a> · \
<a href=\"audits/{}/diff\">what changed since the previous audit</a></p>\
<h1>scopewatch: OAuth client risk</h1><p class=\"muted\">Audit <code>{}</code> of {} at {} (policy {}).{}</p>",
        nav.orgs_href,
        encode_segment(&report.audit_id),
        escape(&report.audit_id),
        escape(
            &report
                .organization
                .as_ref()
                .map(|o| format!("{} ({})", o.name, report.source.api_base_url))
                .unwrap_or_else(|| report.source.api_base_url.clone())
        ),
        report.generated_at.format("%Y-%m-%d %H:%M UTC"),
        escape(&report.policy.name),
        if filtered { " Filtered view." } else { "" }
    );
}

fn summary_cards(body: &mut String, report: &Report) {
    let s = &report.summary;
    body.push_str("<div class=\"cards\">");
    let _ = write!(
        body,
        "<div class=\"card\" id=\"total\"><b>{}</b>clients</div>",
        s.total_clients
    );
    let _ = write!(
        body,
        "<div class=\"card\" id=\"high-risk\"><b>{}</b>high risk (HIGH + CRITICAL)</div>",
        s.high_risk_count
    );
    let _ = write!(
        body,
        "<div class=\"card\" id=\"public-write\"><b>{}</b>public with write scopes</div>",
        s.public_write_risks_count
    );
    for (level, n) in s.by_risk_level.entries() {
        let _ = write!(body, "<div class=\"card\"><b>{n}</b>{}</div>", badge(level));
    }
    if s.unreadable_clients > 0 {
        let _ = write!(
            body,
            "<div class=\"card\" id=\"unreadable\"><b>{}</b>unreadable records</div>",
            s.unreadable_clients
        );
    }
    body.push_str("</div>");
}

/// Findings about the org itself (its IP allowlist...), each as a client's finding is shown;
/// nothing when there are none.
fn organization_findings(body: &mut String, report: &Report) {
    if report.organization_findings.is_empty() {
        return;
    }
    body.push_str("<div id=\"organization-findings\"><h2>The organization</h2>");
    for f in &report.organization_findings {
        finding_section(body, f, report.rule(&f.rule_id), &[]);
    }
    body.push_str("</div>");
}

/// The apps authorized in the org: a table of every one (state, scopes, who authorized it),
/// then the findings of those at risk; nothing when there are none.
fn third_party_apps(body: &mut String, report: &Report) {
    if report.third_party_apps.is_empty() {
        return;
    }
    body.push_str("<div id=\"third-party-apps\"><h2>Third-party apps</h2><table><thead><tr><th>Risk</th><th>App</th><th>State</th><th>Scopes</th><th>Authorized by</th></tr></thead><tbody>");
    for a in &report.third_party_apps {
        let by = a
            .created_by_name
            .as_deref()
            .or(a.created_by_id.as_deref())
            .unwrap_or("unknown");
        let on = a
            .date_created
            .map(|d| d.format(" on %Y-%m-%d").to_string())
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{} <span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}{on}</td></tr>",
            badge(a.risk_level),
            escape(&a.client_name),
            escape(&a.client_id),
            escape(&a.state),
            escape(&a.scopes.join(" ")),
            escape(by)
        );
    }
    body.push_str("</tbody></table>");
    for a in report
        .third_party_apps
        .iter()
        .filter(|a| !a.findings.is_empty())
    {
        let _ = write!(body, "<h3>{}</h3>", escape(&a.client_name));
        for f in &a.findings {
            finding_section(body, f, report.rule(&f.rule_id), &[]);
        }
    }
    body.push_str("</div>");
}

/// The audit's rules with what each means for an auditor: title, severity, the controls it
/// gives evidence for.
fn rules_table(body: &mut String, report: &Report) {
    body.push_str("<h2>Rules</h2><table id=\"rules\"><thead><tr><th>Rule</th><th>Title</th><th>Severity</th><th>Controls</th></tr></thead><tbody>");
    for (id, rule) in &report.rules {
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(id),
            escape(&rule.title),
            badge(rule.severity.into()),
            escape(&rule.compliance.summary())
        );
    }
    body.push_str("</tbody></table>");
}

fn list_or_none(items: Vec<String>, separator: &str) -> String {
    if items.is_empty() {
        "<span class=\"muted\">none</span>".into()
    } else {
        items.join(separator)
    }
}

/// One client's page: its one recommended action first, then its facts, its changes, each
/// finding with evidence, remediation, waiver and first seen, and its Terraform fix.
pub fn client_page(report: &Report, c: &ClientReport) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"../report\">← all clients</a> · <a href=\"../audits\">history</a></p><h1>{} {}</h1><p class=\"muted\">{}</p>",
        escape(&c.client_name),
        badge(c.risk_level),
        escape(c.description.as_deref().unwrap_or("(no description)"))
    );
    match recommended(report, c) {
        Some(section) => body.push_str(&section),
        None => body.push_str("<p id=\"recommended\">Nothing to fix: no open finding.</p>"),
    }
    body.push_str("<table id=\"facts\">");
    for (k, v) in facts(c) {
        let _ = write!(body, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    body.push_str("</table>");
    if let Some(why) = &c.unreadable {
        let _ = write!(
            body,
            "<p class=\"warn\" id=\"unreadable\">This client's record could not be read, so it was not judged: {}</p>",
            escape(why)
        );
    }
    trail_sections(&mut body, c);
    body.push_str("<h2>Findings</h2>");
    if c.findings.is_empty() {
        body.push_str("<p>No findings.</p>");
    }
    let divisions = division_names(c);
    for f in &c.findings {
        finding_section(&mut body, f, report.rule(&f.rule_id), &divisions);
    }
    if let Some(snippet) = terraform::client_snippet(report, c) {
        let _ = write!(
            body,
            "<h2>Remediation as code</h2><p>The smallest grant that does its job, for the Terraform provider <code>genesyscloud</code>: \
<a id=\"remediation-link\" href=\"{}/remediation.tf\">remediation.tf</a></p><pre id=\"remediation\">{}</pre>",
            encode_segment(&c.client_id),
            escape(&snippet)
        );
    }
    let _ = write!(
        body,
        "<p class=\"muted\">From audit <code>{}</code>.</p>",
        escape(&report.audit_id)
    );
    page(&format!("{} — scopewatch", c.client_name), &body)
}

/// `(division id, its name)` of the client's role grants whose division has a name.
fn division_names(c: &ClientReport) -> Vec<(&str, &str)> {
    let mut names: Vec<(&str, &str)> = c
        .roles
        .iter()
        .filter_map(|r| Some((r.division_id.as_str(), r.division_name.as_deref()?)))
        .filter(|(id, name)| *id != "*" && !id.is_empty() && id != name)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// An evidence line with each known division id shown as `'name' (id)`: where `division <id>`
/// stands as a whole word (not the start of a longer id).
fn with_division_names(line: &str, divisions: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("division ") {
        let (before, after) = rest.split_at(at + "division ".len());
        out.push_str(before);
        let end = after
            .find(|ch: char| !(ch.is_alphanumeric() || ch == '-' || ch == '_'))
            .unwrap_or(after.len());
        let id = &after[..end];
        match divisions.iter().find(|(known, _)| *known == id) {
            Some((_, name)) => out.push_str(&format!("'{name}' ({id})")),
            None => out.push_str(id),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The client's facts table, row by row: a heading and its HTML.
fn facts(c: &ClientReport) -> [(&'static str, String); 13] {
    let roles: Vec<String> = c
        .roles
        .iter()
        .map(|r| {
            format!(
                "{} in {}",
                escape(r.role_name.as_deref().unwrap_or(&r.role_id)),
                escape(r.division_name.as_deref().unwrap_or(&r.division_id))
            )
        })
        .collect();
    [
        ("Client id", escape(&c.client_id)),
        ("Grant", escape(&c.grant_type)),
        ("State", escape(&c.state)),
        ("Public", c.is_public.to_string()),
        ("Risk score", c.risk_score.to_string()),
        (
            "Scopes",
            list_or_none(c.scopes.iter().map(|s| escape(s)).collect(), ", "),
        ),
        ("Roles", list_or_none(roles, "; ")),
        (
            "Redirect URIs",
            list_or_none(c.redirect_uris.iter().map(|u| escape(u)).collect(), ", "),
        ),
        (
            "Token lifetime",
            format!("{} s", c.access_token_validity_seconds),
        ),
        (
            "Usage",
            format!(
                "{}{}",
                escape(&c.usage_evidence),
                c.last_used_date
                    .map(|d| format!(", last used {d}"))
                    .unwrap_or_default()
            ),
        ),
        ("Least privilege", least_privilege(c)),
        (
            "Created",
            c.date_created
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ),
        ("Created by", created_by(c)),
    ]
}

/// One finding: severity and title, detail, evidence (division ids with their names),
/// remediation, rule and the controls it maps to, first seen, waiver.
fn finding_section(
    body: &mut String,
    f: &Finding,
    rule: Option<&RuleEntry>,
    divisions: &[(&str, &str)],
) {
    let _ = write!(
        body,
        "<section class=\"finding\"><h3>{} {}{}</h3><p>{}</p><ul>",
        badge(f.severity.into()),
        escape(rule.map_or(f.rule_id.as_ref(), |r| r.title.as_str())),
        if f.suppressed {
            " <span class=\"muted\">(suppressed by a waiver)</span>"
        } else {
            ""
        },
        escape(&f.detail)
    );
    for e in &f.evidence {
        let _ = write!(
            body,
            "<li><code>{}</code></li>",
            escape(&with_division_names(e, divisions))
        );
    }
    let _ = write!(
        body,
        "</ul><p><b>Remediation:</b> {}</p><p class=\"muted\">Rule <code>{}</code>, standing since {}.</p>",
        escape(rule.map_or("", |r| r.remediation.as_str())),
        escape(&f.rule_id),
        f.first_seen.format("%Y-%m-%d %H:%M UTC")
    );
    if let Some(r) = rule.filter(|r| !r.compliance.tags().is_empty()) {
        let _ = write!(
            body,
            "<p class=\"muted compliance\"><b>Controls:</b> {}</p>",
            escape(&r.compliance.summary())
        );
    }
    if let Some(w) = &f.waiver {
        let _ = write!(
            body,
            "<p class=\"warn\">Waived until {} by {}: {}</p>",
            w.expires,
            escape(&w.owner),
            escape(&w.reason)
        );
    }
    body.push_str("</section>");
}

/// The creator, and whether they are still there.
fn created_by(c: &ClientReport) -> String {
    match &c.created_by {
        None => "<span class=\"muted\">unknown</span>".into(),
        Some(u) => format!(
            "<span id=\"created-by\">{}</span>{}",
            escape(u.name.as_deref().unwrap_or(&u.id)),
            u.state
                .as_deref()
                .map(|s| format!(" ({})", escape(s)))
                .unwrap_or_default()
        ),
    }
}

/// Changes made to the client, and what it changed itself, from the audit trail.
fn trail_sections(body: &mut String, c: &ClientReport) {
    body.push_str("<h2>Changes</h2>");
    if c.trail_evidence != "known" {
        body.push_str("<p class=\"muted\">The audit trail could not be read.</p>");
        return;
    }
    if c.changes.is_empty() {
        body.push_str("<p class=\"muted\">No change in the trail window.</p>");
    } else {
        body.push_str(
            "<table id=\"changes\"><tr><th>When</th><th>Who</th><th>Action</th><th>What</th></tr>",
        );
        for ch in &c.changes {
            let who = ch
                .user
                .as_ref()
                .map(|u| escape(u.name.as_deref().unwrap_or(&u.id)))
                .or_else(|| {
                    ch.client_id
                        .as_ref()
                        .map(|id| format!("client {}", escape(id)))
                })
                .unwrap_or_default();
            let what: Vec<String> = ch
                .properties
                .iter()
                .map(|p| {
                    format!(
                        "{}: {} → {}",
                        escape(&p.property),
                        escape(&p.old_values.join(", ")),
                        escape(&p.new_values.join(", "))
                    )
                })
                .collect();
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{who}</td><td>{}</td><td>{}</td></tr>",
                ch.date.format("%Y-%m-%d %H:%M UTC"),
                escape(&ch.action),
                what.join("<br>")
            );
        }
        body.push_str("</table>");
    }
    if !c.actions_performed.is_empty() {
        body.push_str("<h2>Access it administered itself</h2><table id=\"actions\"><tr><th>When</th><th>Action</th><th>Entity</th></tr>");
        for a in &c.actions_performed {
            let entity = a
                .entity_name
                .as_deref()
                .or(a.entity_id.as_deref())
                .unwrap_or("");
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{} {}</td></tr>",
                a.date.format("%Y-%m-%d %H:%M UTC"),
                escape(&a.action),
                escape(&a.entity_type),
                escape(entity)
            );
        }
        body.push_str("</table>");
    }
}

/// "used N of M permissions" on one line; what was used, what is unused and the suggestion in
/// a `<details>` a reader opens when they want the lists.
fn least_privilege(c: &ClientReport) -> String {
    let Some(summary) = c.least_privilege_summary() else {
        return "no endpoint evidence".into();
    };
    let join = |items: &[String]| list_or_none(items.iter().map(|s| escape(s)).collect(), ", ");
    let lists = if let Some(p) = &c.permission_usage {
        let role: Vec<String> = p
            .suggested_role
            .permission_policies
            .iter()
            .map(|x| format!("{}:{}:{}", x.domain, x.entity_name, x.action_set.join(",")))
            .chain(p.suggested_role.permissions.iter().cloned())
            .collect();
        let conditional = if p.conditional.is_empty() {
            String::new()
        } else {
            format!("<br>held conditionally: {}", join(&p.conditional))
        };
        Some((
            format!("{} unused", p.unused_count),
            format!(
                "used: {}<br>unused: {}{conditional}<br>suggested role: {}",
                join(&p.used),
                join(&p.unused),
                join(&role)
            ),
        ))
    } else {
        c.scope_usage.as_ref().map(|s| {
            (
                format!("{} unused", s.unused.len()),
                format!(
                    "used: {}<br>unused: {}<br>suggested scopes: {}",
                    join(&s.used),
                    join(&s.unused),
                    join(&s.suggested_scopes)
                ),
            )
        })
    };
    match lists {
        Some((unused, lists)) => format!(
            "<span id=\"least-privilege\">{}, {unused}</span><details><summary>the lists and the suggestion</summary>{lists}</details>",
            escape(&summary)
        ),
        None => escape(&summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_page_shows_organization_findings_with_their_remediation() {
        use crate::audit::rules::testkit::{policy, snapshot};
        let mut s = snapshot();
        s.ip_allowlist = Some(vec![]);
        let run = crate::audit::AuditRun {
            audit_id: "t".into(),
            started_at: s.collected_at,
            generated_at: s.collected_at,
            first_seen: &|_| None,
        };
        let report = crate::audit::judge(s, &policy(), &run);
        let mut body = String::new();
        organization_findings(&mut body, &report);
        assert!(body.contains("id=\"organization-findings\""), "{body}");
        assert!(body.contains("The org has no IP allowlist"), "{body}");
        assert!(body.contains("IP Address Authentication"), "{body}");
        let mut none = report.clone();
        none.organization_findings.clear();
        let mut body = String::new();
        organization_findings(&mut body, &none);
        assert_eq!(body, "");
    }

    #[test]
    fn the_report_page_lists_third_party_apps_with_their_findings() {
        use crate::audit::rules::testkit::{policy, snapshot};
        use crate::audit::snapshot::{AuthorizationState, GrantType, ThirdPartyApp};
        let mut s = snapshot();
        let app = |id: &str, state| ThirdPartyApp {
            client_id: id.into(),
            client_name: format!("<b>{id}</b>"),
            grant_type: GrantType::Code,
            state,
            pending: false,
            scopes: vec!["users".into()],
            roles: vec![],
            resource_owner: None,
            created_by: None,
            date_created: None,
        };
        s.third_party_apps = Some(vec![
            app("revoked", AuthorizationState::Revoked),
            app("broad", AuthorizationState::Authorized),
        ]);
        let run = crate::audit::AuditRun {
            audit_id: "t".into(),
            started_at: s.collected_at,
            generated_at: s.collected_at,
            first_seen: &|_| None,
        };
        let report = crate::audit::judge(s, &policy(), &run);
        let mut body = String::new();
        third_party_apps(&mut body, &report);
        assert!(body.contains("id=\"third-party-apps\""), "{body}");
        assert!(
            body.contains("&lt;b&gt;revoked&lt;/b&gt;"),
            "names are escaped: {body}"
        );
        assert_eq!(
            body.matches("<section class=\"finding\">").count(),
            1,
            "{body}"
        );
        assert!(body.contains("Revoke Authorization"), "{body}");
        let mut none = report.clone();
        none.third_party_apps.clear();
        let mut body = String::new();
        third_party_apps(&mut body, &none);
        assert_eq!(body, "");
    }

    #[test]
    fn escapes_markup_and_encodes_path_segments() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(encode_segment("a b/c?"), "a%20b%2Fc%3F");
        assert_eq!(encode_segment("3dfb45d2-acbd"), "3dfb45d2-acbd");
    }

    #[test]
    fn the_least_privilege_cell_says_what_is_held_conditionally() {
        use crate::audit::rules::testkit::{client, policy, with_narrowed_role, with_roles};
        use crate::audit::snapshot::{Call, Usage};
        let mut s = with_narrowed_role(&[("routing", "queue", &["view"])], 2);
        s.clients = vec![with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("narrowed", "*")],
        )];
        let day = s.collected_at.date_naive();
        s.usage = Usage::Known {
            window_start: day,
            last_used: [("c1".to_string(), day)].into(),
            calls: [(
                "c1".to_string(),
                vec![Call {
                    method: "GET".into(),
                    template: "api/v2/routing/queues".into(),
                    requests: 1,
                    succeeded: 1,
                }],
            )]
            .into(),
        };
        let run = crate::audit::AuditRun {
            audit_id: "t".into(),
            started_at: s.collected_at,
            generated_at: s.collected_at,
            first_seen: &|_| None,
        };
        let report = crate::audit::judge(s, &policy(), &run);
        let cell = least_privilege(&report.clients[0]);
        assert!(
            cell.contains("<br>held conditionally: routing:queue:view (named resources: 2)<br>"),
            "{cell}"
        );
    }

    #[test]
    fn division_ids_in_evidence_are_shown_with_their_names() {
        let divisions = [("d-1", "Sales"), ("d-10", "Support")];
        assert_eq!(
            with_division_names("role 'Admin' (division d-10)", &divisions),
            "role 'Admin' (division 'Support' (d-10))"
        );
        assert_eq!(
            with_division_names("role 'Admin' (all divisions)", &divisions),
            "role 'Admin' (all divisions)"
        );
    }
}
