//! Server-rendered pages for browsers: no JavaScript, no external assets, every piece of text
//! escaped (client names and descriptions are attacker-controlled).

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::audit::report::{ClientReport, Finding, Report, RiskLevel, RuleEntry};
use crate::render::terraform;

/// The Content-Security-Policy sent with every page.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a path segment.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn level_class(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::Critical => "critical",
        RiskLevel::High => "high",
        RiskLevel::Medium => "medium",
        RiskLevel::Low => "low",
        RiskLevel::None => "none",
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}\
.lvl{font-weight:600;padding:.1rem .45rem;border-radius:.3rem;color:#fff}\
.critical{background:#8b0000}.high{background:#d1242f}.medium{background:#bc4c00}.low{background:#7d8590}.none{background:#1a7f37}\
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}.card{border:1px solid #d0d7de;border-radius:.5rem;padding:.6rem 1rem}\
.card b{display:block;font-size:1.6rem}.muted{color:#57606a}.warn{background:#fff8c5;padding:.5rem;border-radius:.3rem}\
code{background:#f6f8fa;padding:0 .2rem}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}#clients td:nth-child(4){white-space:nowrap}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn badge(level: RiskLevel) -> String {
    format!(
        "<span class=\"lvl {}\">{}</span>",
        level_class(level),
        level.as_str()
    )
}

/// An inline SVG line chart of total and high-risk clients over the stored audits.
pub fn trend_chart(points: &[(DateTime<Utc>, i64, i64)]) -> String {
    if points.len() < 2 {
        return "<p class=\"muted\" id=\"trend\">The chart of clients over time appears after two stored audits.</p>".into();
    }
    let (w, h, pad) = (640.0_f64, 160.0_f64, 30.0_f64);
    let max = points
        .iter()
        .map(|p| p.1.max(p.2))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (points.len() - 1) as f64;
    let y = |v: i64| h - pad - (h - 2.0 * pad) * v as f64 / max;
    let line = |pick: fn(&(DateTime<Utc>, i64, i64)) -> i64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(pick(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = points[0].0.format("%Y-%m-%d %H:%M");
    let last = points[points.len() - 1].0.format("%Y-%m-%d %H:%M");
    format!(
        "<svg id=\"trend\" role=\"img\" aria-label=\"Total and high-risk clients over the last {n} audits\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">\
<title>Total (grey) and high-risk (red) clients over the last {n} audits</title>\
<line x1=\"{pad}\" y1=\"{base:.1}\" x2=\"{right:.1}\" y2=\"{base:.1}\" stroke=\"#d0d7de\"/>\
<polyline fill=\"none\" stroke=\"#7d8590\" stroke-width=\"2\" points=\"{total}\"/>\
<polyline fill=\"none\" stroke=\"#d1242f\" stroke-width=\"2\" points=\"{high}\"/>\
<text x=\"{pad}\" y=\"{top:.1}\" font-size=\"11\" fill=\"#57606a\">{max}</text>\
<text x=\"{pad}\" y=\"{h}\" font-size=\"11\" fill=\"#57606a\">{first}</text>\
<text x=\"{right:.1}\" y=\"{h}\" font-size=\"11\" fill=\"#57606a\" text-anchor=\"end\">{last}</text></svg>",
        n = points.len(),
        base = h - pad,
        right = w - pad,
        top = pad - 6.0,
        max = max as i64,
        total = line(|p| p.1),
        high = line(|p| p.2),
    )
}

/// The report page: summary cards, the trend chart, warnings, the clients table with links.
/// `kept` are the clients a filter kept (`None`: all of them).
pub fn report_page(
    report: &Report,
    kept: Option<&[&ClientReport]>,
    trend: &[(DateTime<Utc>, i64, i64)],
) -> String {
    let filtered = kept.is_some();
    let all: Vec<&ClientReport>;
    let clients = match kept {
        Some(kept) => kept,
        None => {
            all = report.clients.iter().collect();
            &all
        }
    };
    let s = &report.summary;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>scopewatch: OAuth client risk</h1><p class=\"muted\">Audit <code>{}</code> of {} at {} (policy {}).{}</p>",
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
    body.push_str("<div class=\"cards\">");
    let _ = write!(
        body,
        "<div class=\"card\" id=\"total\"><b>{}</b>clients</div>",
        s.total_clients
    );
    let _ = write!(
        body,
        "<div class=\"card\" id=\"high-risk\"><b>{}</b>high risk</div>",
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
    body.push_str(&trend_chart(trend));
    for w in &report.warnings {
        let _ = write!(body, "<p class=\"warn\">{}</p>", escape(w));
    }
    body.push_str("<table id=\"clients\"><thead><tr><th>Risk</th><th>Score</th><th>Client</th><th>Grant</th><th>State</th><th>Findings</th></tr></thead><tbody>");
    for c in clients {
        let mut findings: Vec<String> = c.active_rule_ids().into_iter().map(escape).collect();
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
            findings.join(", ")
        );
    }
    body.push_str("</tbody></table>");
    rules_table(&mut body, report);
    page("scopewatch report", &body)
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

/// One client's page: facts, then each finding with evidence, remediation, waiver, first seen.
pub fn client_page(report: &Report, c: &ClientReport) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<p><a href=\"../report\">← all clients</a></p><h1>{} {}</h1><p class=\"muted\">{}</p><table>",
        escape(&c.client_name),
        badge(c.risk_level),
        escape(c.description.as_deref().unwrap_or("(no description)"))
    );
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
    for f in &c.findings {
        finding_section(&mut body, f, report.rule(&f.rule_id));
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

/// One finding: severity and title, detail, evidence, remediation, rule and the controls it
/// maps to, first seen, waiver.
fn finding_section(body: &mut String, f: &Finding, rule: Option<&RuleEntry>) {
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
        let _ = write!(body, "<li><code>{}</code></li>", escape(e));
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

/// "used N of M permissions", what was used, what is unused, and the suggestion.
fn least_privilege(c: &ClientReport) -> String {
    let Some(summary) = c.least_privilege_summary() else {
        return "no endpoint evidence".into();
    };
    let join = |items: &[String]| list_or_none(items.iter().map(|s| escape(s)).collect(), ", ");
    if let Some(p) = &c.permission_usage {
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
        return format!(
            "{summary}<br>used: {}<br>unused: {}{conditional}<br>suggested role: {}",
            join(&p.used),
            join(&p.unused),
            join(&role)
        );
    }
    match &c.scope_usage {
        Some(s) => format!(
            "{summary}<br>used: {}<br>unused: {}<br>suggested scopes: {}",
            join(&s.used),
            join(&s.unused),
            join(&s.suggested_scopes)
        ),
        None => summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
