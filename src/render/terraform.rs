//! Remediation as code: for a client the audit found over-granted (`unused-permissions`,
//! `unused-scopes`), a CX-as-Code snippet (Terraform provider `genesyscloud`) with the smallest
//! grant that does its job. Pure: report in, text out. Every string from the org is escaped,
//! since client names and descriptions are free text chosen by whoever administers OAuth.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::audit::report::{ClientReport, Finding, Report};
use crate::audit::rules::{Fix, rule_meta};
use crate::render::invisible::is_invisible;

/// The provider rejects lifetimes outside this range.
const MIN_VALIDITY: i64 = 300;
const MAX_VALIDITY: i64 = 38_880_000;

/// Unused items listed in the header before "and N more": an admin role's list runs to the
/// thousands.
const LISTED_UNUSED: usize = 10;

/// A quoted HCL string. Besides the JSON-like escapes, `${` and `%{` would open a template
/// interpolation or directive, so they are doubled; control, format (Cf) and bidi characters
/// are written as `\u` escapes so the snippet reads as what it does: a reviewer sees one thing
/// and Terraform applies the same.
pub fn hcl_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            // HCL's `\u` takes exactly four digits; a supplementary-plane character (a tag)
            // needs `\U` and eight.
            c if (c.is_control() || is_invisible(c)) && u32::from(c) > 0xFFFF => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a `#` comment: one line (a newline would end the comment and start code), no
/// control or invisible characters, clipped.
fn comment_text(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_control() || is_invisible(c) {
                ' '
            } else {
                c
            }
        })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// A Terraform resource name from a client id: `scopewatch_` then the id lowercased, every run
/// of other characters than `[a-z0-9]` one `_`, at most 64 characters of it. The prefix makes
/// it start with a letter whatever the id is.
pub fn identifier(client_id: &str) -> String {
    let mut slug = String::new();
    for c in client_id.chars().map(|c| c.to_ascii_lowercase()) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
        if slug.len() >= 64 {
            break;
        }
    }
    let slug = slug.trim_matches('_');
    if slug.is_empty() {
        "scopewatch_client".into()
    } else {
        format!("scopewatch_{slug}")
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| hcl_string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The unsuppressed finding that calls for a snippet: a waived one is an accepted grant.
fn finding(c: &ClientReport) -> Option<&Finding> {
    c.findings
        .iter()
        .find(|f| !f.suppressed && rule_meta(&f.rule_id).is_some_and(|m| m.fix == Fix::Terraform))
}

/// The snippet for one client, or `None` when there is nothing to remediate.
pub fn client_snippet<C>(report: &Report<C>, c: &ClientReport) -> Option<String> {
    client_snippet_as(report, c, &identifier(&c.client_id))
}

fn client_snippet_as<C>(report: &Report<C>, c: &ClientReport, ident: &str) -> Option<String> {
    let f = finding(c)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# scopewatch remediation for OAuth client \"{}\" (id {})",
        comment_text(&c.client_name),
        comment_text(&c.client_id)
    );
    let _ = writeln!(
        out,
        "# Audit {} of {} ({} UTC), policy {}.",
        comment_text(&report.audit_id),
        comment_text(&report.source.api_base_url),
        report.generated_at.format("%Y-%m-%d %H:%M"),
        comment_text(&report.policy.name)
    );
    let _ = writeln!(
        out,
        "# Why: {} ({}): {}",
        comment_text(&f.rule_id),
        f.severity.as_str(),
        comment_text(&f.detail)
    );
    if let Some(p) = &c.permission_usage {
        unused_line(&mut out, "permissions", &p.unused, p.unused_count);
        let _ = writeln!(
            out,
            "# The role below holds exactly what its calls needed; it replaces: {}.",
            comment_text(&current_roles(c))
        );
        import_hint(&mut out, c, ident);
        let grant = if role(&mut out, report, c, ident) {
            Grant::Role(divisions(c))
        } else {
            Grant::NoRole
        };
        client(&mut out, c, ident, grant);
    } else if let Some(s) = &c.scope_usage {
        unused_line(&mut out, "scopes", &s.unused, s.unused.len() as u64);
        import_hint(&mut out, c, ident);
        client(&mut out, c, ident, Grant::Scopes(&s.suggested_scopes));
    } else {
        return None;
    }
    Some(out)
}

fn unused_line(out: &mut String, what: &str, unused: &[String], count: u64) {
    let shown: Vec<&String> = unused.iter().take(LISTED_UNUSED).collect();
    let more = count.saturating_sub(shown.len() as u64);
    let _ = writeln!(
        out,
        "# Unused {what}: {}{}.",
        shown
            .iter()
            .map(|s| comment_text(s))
            .collect::<Vec<_>>()
            .join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    );
}

fn import_hint(out: &mut String, c: &ClientReport, ident: &str) {
    let _ = writeln!(
        out,
        "# Not yet managed by Terraform? terraform import genesyscloud_oauth_client.{ident} {}",
        comment_text(&c.client_id)
    );
}

fn current_roles(c: &ClientReport) -> String {
    if c.roles.is_empty() {
        return "no role".into();
    }
    let roles: Vec<String> = c
        .roles
        .iter()
        .map(|r| {
            format!(
                "{} in {}",
                r.role_name.as_deref().unwrap_or(&r.role_id),
                match &r.division_name {
                    Some(name) if r.division_id != "*" => format!("{name} ({})", r.division_id),
                    _ => r.division_id.clone(),
                }
            )
        })
        .collect();
    roles.join(", ")
}

/// The divisions the client's roles apply in today, first seen first, each once: the new role
/// keeps the client's reach over divisions, only its permissions shrink.
fn divisions(c: &ClientReport) -> Vec<String> {
    let mut seen = BTreeSet::new();
    c.roles
        .iter()
        .filter(|r| seen.insert(r.division_id.as_str()))
        .map(|r| r.division_id.clone())
        .collect()
}

/// Writes the suggested role; `false` when there is none to write.
fn role<C>(out: &mut String, report: &Report<C>, c: &ClientReport, ident: &str) -> bool {
    let Some(p) = &c.permission_usage else {
        return false;
    };
    let suggested = &p.suggested_role;
    if suggested.permission_policies.is_empty() && suggested.permissions.is_empty() {
        // A role with nothing in it grants nothing: the client is better off with none.
        let _ = writeln!(out, "# Its calls need no permission: it needs no role.");
        return false;
    }
    let name: String = c.client_name.chars().take(100).collect();
    let short_id: String = c.client_id.chars().take(8).collect();
    let _ = writeln!(out, "\nresource \"genesyscloud_auth_role\" \"{ident}\" {{");
    let _ = writeln!(
        out,
        "  name        = {}",
        hcl_string(&format!("{name} least privilege ({short_id})"))
    );
    let _ = writeln!(
        out,
        "  description = {}",
        hcl_string(&format!(
            "Generated by scopewatch (audit {}): the permissions OAuth client {} needed in {} days.",
            report.audit_id, c.client_id, report.usage_window_days
        ))
    );
    if !suggested.permissions.is_empty() {
        let _ = writeln!(out, "  permissions = {}", list(&suggested.permissions));
    }
    for policy in &suggested.permission_policies {
        let _ = writeln!(out, "\n  permission_policies {{");
        let _ = writeln!(out, "    domain      = {}", hcl_string(&policy.domain));
        let _ = writeln!(out, "    entity_name = {}", hcl_string(&policy.entity_name));
        let _ = writeln!(out, "    action_set  = {}", list(&policy.action_set));
        let _ = writeln!(out, "  }}");
    }
    let _ = writeln!(out, "}}");
    true
}

enum Grant<'a> {
    /// The new role in these divisions (none: the home division, the provider's default).
    Role(Vec<String>),
    /// No role at all: the calls need no permission.
    NoRole,
    Scopes(&'a [String]),
}

fn client(out: &mut String, c: &ClientReport, ident: &str, grant: Grant) {
    let _ = writeln!(
        out,
        "\nresource \"genesyscloud_oauth_client\" \"{ident}\" {{"
    );
    let _ = writeln!(
        out,
        "  name                          = {}",
        hcl_string(&c.client_name)
    );
    if let Some(d) = &c.description {
        let _ = writeln!(out, "  description                   = {}", hcl_string(d));
    }
    let _ = writeln!(
        out,
        "  authorized_grant_type         = {}",
        hcl_string(&c.grant_type)
    );
    let validity = c
        .access_token_validity_seconds
        .clamp(MIN_VALIDITY, MAX_VALIDITY);
    if validity != c.access_token_validity_seconds {
        let _ = writeln!(
            out,
            "  # {} s today, outside what the provider accepts.",
            c.access_token_validity_seconds
        );
    }
    let _ = writeln!(out, "  access_token_validity_seconds = {validity}");
    // The provider knows only these two states; any other is left to the org as it is.
    if matches!(c.state.as_ref(), "active" | "inactive") {
        let _ = writeln!(
            out,
            "  state                         = {}",
            hcl_string(&c.state)
        );
    }
    if !c.redirect_uris.is_empty() {
        let _ = writeln!(
            out,
            "  registered_redirect_uris      = {}",
            list(&c.redirect_uris)
        );
    }
    match grant {
        Grant::Scopes(scopes) => {
            let _ = writeln!(out, "  scopes                        = {}", list(scopes));
        }
        Grant::NoRole => {}
        Grant::Role(divisions) => {
            let role_id = format!("genesyscloud_auth_role.{ident}.id");
            if divisions.is_empty() {
                let _ = writeln!(out, "\n  roles {{\n    role_id = {role_id}\n  }}");
            }
            for d in &divisions {
                let _ = writeln!(
                    out,
                    "\n  roles {{\n    role_id     = {role_id}\n    division_id = {}\n  }}",
                    hcl_string(d)
                );
            }
        }
    }
    let _ = writeln!(out, "}}");
}

/// Every client's snippet, one after the other, resource names kept unique (two hostile ids
/// may reduce to the same name: the later one gets `_2`, `_3`, …).
pub fn to_terraform(report: &Report) -> String {
    let mut out = String::new();
    let mut taken = BTreeSet::new();
    let mut count = 0;
    for c in &report.clients {
        let base = identifier(&c.client_id);
        let mut ident = base.clone();
        let mut n = 1;
        while taken.contains(&ident) {
            n += 1;
            ident = format!("{base}_{n}");
        }
        if let Some(snippet) = client_snippet_as(report, c, &ident) {
            taken.insert(ident);
            out.push_str(&snippet);
            out.push('\n');
            count += 1;
        }
    }
    format!(
        "# scopewatch: least-privilege remediation, audit {} ({count} clients)\n\n{out}",
        comment_text(&report.audit_id)
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A report with one client like the fixture's `c-queue-reader`: Master Admin in `d1` and
    /// `*`, only ever read the queue list.
    fn report(name: &str, finding_rule: &str, suppressed: bool) -> Report {
        let mut report = json!({
            "audit_id": "a-1",
            "generated_at": "2026-11-26T10:00:00Z",
            "started_at": "2026-11-26T09:59:00Z",
            "duration_ms": 5,
            "complete": true,
            "warnings": [],
            "errors": [],
            "source": {"api_base_url": "https://api.mypurecloud.com", "region": "us-east-1"},
            "policy": {"name": "default", "sha256": "00"},
            "usage_window_days": 90,
            "summary": {
                "total_clients": 1, "high_risk_count": 0, "public_write_risks_count": 0,
                "by_risk_level": {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 1, "LOW": 0, "NONE": 0},
                "findings_by_rule": {}, "suppressed_findings": 0
            },
        });
        report["clients"] = json!([client(name, finding_rule, suppressed)]);
        serde_json::from_value(report).unwrap()
    }

    fn client(name: &str, finding_rule: &str, suppressed: bool) -> serde_json::Value {
        json!({
                "client_id": "C-Queue.Reader",
                "client_name": name,
                "description": "Wallboard",
                "grant_type": "CLIENT-CREDENTIALS",
                "state": "active",
                "is_public": false,
                "scopes": [],
                "total_scopes": 0,
                "flagged_scopes": [],
                "roles": [
                    {"role_id": "master", "role_name": "Master Admin", "division_id": "d1"},
                    {"role_id": "other", "role_name": null, "division_id": "*"},
                    {"role_id": "third", "role_name": null, "division_id": "d1"}
                ],
                "access_token_validity_seconds": 86400,
                "redirect_uris": [],
                "date_created": null, "date_modified": null, "created_by": null,
                "date_to_delete": null, "last_used_date": "2026-11-24",
                "usage_evidence": "used",
                "risk_level": "MEDIUM",
                "risk_score": 40,
                "findings": [{
                    "rule_id": finding_rule, "severity": "MEDIUM",
                    "title": "Client holds permissions it does not use",
                    "detail": "Used 1 of 2000 permissions in the last 90 days.",
                    "evidence": [], "remediation": "", "suppressed": suppressed, "waiver": null,
                    "first_seen": "2026-11-26T10:00:00Z", "fingerprint": "f"
                }],
                "permission_usage": {
                    "used": ["routing:queue:view"],
                    "granted": 2000,
                    "unused": ["admin", "directory:*:*"],
                    "unused_count": 1999,
                    "unknown_endpoints": [],
                    "unexplained_endpoints": [],
                    "suggested_role": {
                        "permission_policies": [
                            {"domain": "routing", "entity_name": "queue", "action_set": ["view"]}
                        ],
                        "permissions": []
                    }
                },
                "scope_usage": null
        })
    }

    #[test]
    fn identifiers_are_lowercase_words_that_start_with_a_letter() {
        assert_eq!(
            identifier("3DFB45D2-acbd-4c1e"),
            "scopewatch_3dfb45d2_acbd_4c1e"
        );
        assert_eq!(identifier("--a  b--"), "scopewatch_a_b");
        assert_eq!(identifier("\"${x}\"\n"), "scopewatch_x");
        assert_eq!(identifier("ééé"), "scopewatch_client");
        assert_eq!(identifier(""), "scopewatch_client");
        let long = identifier(&"a".repeat(500));
        assert_eq!(long.len(), "scopewatch_".len() + 64);
        for id in ["x", "0", "_", "\u{202e}", "a.b/c", "Ω-1"] {
            let ident = identifier(id);
            assert!(ident.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(
                ident
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{ident}"
            );
        }
    }

    #[test]
    fn strings_escape_quotes_backslashes_newlines_and_template_openers() {
        assert_eq!(hcl_string("a\"b\\c\nd\re\tf"), r#""a\"b\\c\nd\re\tf""#);
        assert_eq!(hcl_string("${var.x} %{if 1}"), r#""$${var.x} %%{if 1}""#);
        assert_eq!(hcl_string("$ and % alone, $$"), r#""$ and % alone, $$""#);
        assert_eq!(hcl_string("\u{1}\u{202e}é"), r#""\u0001\u202Eé""#);
    }

    #[test]
    fn every_format_character_is_escaped_in_strings_and_dropped_from_comments() {
        let hidden =
            "a\u{061C}b\u{2060}c\u{2061}d\u{2062}e\u{2063}f\u{2064}g\u{180E}h\u{00AD}i\u{E0041}j";
        assert_eq!(
            hcl_string(hidden),
            r#""a\u061Cb\u2060c\u2061d\u2062e\u2063f\u2064g\u180Eh\u00ADi\U000E0041j""#
        );
        let r = report(hidden, "unused-permissions", false);
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        assert!(
            !snippet.chars().any(is_invisible),
            "a format character reached the snippet raw: {snippet:?}"
        );
        assert!(
            snippet
                .starts_with("# scopewatch remediation for OAuth client \"a b c d e f g h i j\"")
        );
    }

    #[test]
    fn a_hostile_name_stays_inside_its_string_and_its_comment() {
        let name =
            "x\"\n}\nresource \"evil\" \"e\" {\n  a = \"${file(\"/etc/passwd\")}\" %{ if true }\\";
        let r = report(name, "unused-permissions", false);
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        // Every line is a comment, a resource's opening or closing, an attribute or a block:
        // nothing the name brought starts a line of its own.
        assert!(!snippet.contains("\nresource \"evil\""), "{snippet}");
        // Outside comments, every template opener is escaped (doubled).
        let code: String = snippet
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        for opener in ["${", "%{"] {
            let doubled = opener.replacen(&opener[..1], &opener[..1].repeat(2), 1);
            assert_eq!(
                code.matches(opener).count(),
                code.matches(doubled.as_str()).count(),
                "{snippet}"
            );
            assert_eq!(code.matches(opener).count(), 2, "the name, twice");
        }
        assert!(snippet.contains(
            r#"name                          = "x\"\n}\nresource \"evil\" \"e\" {\n  a = \"$${file(\"/etc/passwd\")}\" %%{ if true }\\""#
        ));
        let header = snippet.lines().next().unwrap();
        assert!(
            header.starts_with(
                "# scopewatch remediation for OAuth client \"x\" } resource \"evil\" "
            )
        );
        for line in snippet.lines() {
            let trimmed = line.trim_start();
            assert!(
                trimmed.is_empty()
                    || trimmed.starts_with('#')
                    || trimmed.starts_with("resource \"genesyscloud_")
                    || trimmed == "}"
                    || trimmed.ends_with('{')
                    || trimmed.contains(" = "),
                "unexpected line: {line}"
            );
        }
    }

    #[test]
    fn the_role_holds_exactly_the_suggested_policies_in_the_divisions_of_today() {
        let r = report("Queue dashboard", "unused-permissions", false);
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        let expected_role = "\nresource \"genesyscloud_auth_role\" \"scopewatch_c_queue_reader\" {\n  name        = \"Queue dashboard least privilege (C-Queue.)\"\n  description = \"Generated by scopewatch (audit a-1): the permissions OAuth client C-Queue.Reader needed in 90 days.\"\n\n  permission_policies {\n    domain      = \"routing\"\n    entity_name = \"queue\"\n    action_set  = [\"view\"]\n  }\n}\n";
        assert!(snippet.contains(expected_role), "{snippet}");
        let expected_client = "\nresource \"genesyscloud_oauth_client\" \"scopewatch_c_queue_reader\" {\n  name                          = \"Queue dashboard\"\n  description                   = \"Wallboard\"\n  authorized_grant_type         = \"CLIENT-CREDENTIALS\"\n  access_token_validity_seconds = 86400\n  state                         = \"active\"\n\n  roles {\n    role_id     = genesyscloud_auth_role.scopewatch_c_queue_reader.id\n    division_id = \"d1\"\n  }\n\n  roles {\n    role_id     = genesyscloud_auth_role.scopewatch_c_queue_reader.id\n    division_id = \"*\"\n  }\n}\n";
        assert!(snippet.contains(expected_client), "{snippet}");
        assert!(snippet.contains(
            "# Why: unused-permissions (MEDIUM): Used 1 of 2000 permissions in the last 90 days.\n"
        ));
        assert!(snippet.contains("# Unused permissions: admin, directory:*:* and 1997 more.\n"));
        assert!(snippet.contains("it replaces: Master Admin in d1, other in *, third in d1.\n"));
        assert!(snippet.starts_with(
            "# scopewatch remediation for OAuth client \"Queue dashboard\" (id C-Queue.Reader)\n# Audit a-1 of https://api.mypurecloud.com (2026-11-26 10:00 UTC), policy default.\n"
        ));
    }

    #[test]
    fn a_user_grant_client_gets_its_suggested_scopes_and_keeps_its_redirects() {
        let mut r = report("Viewer", "unused-scopes", false);
        let c = &mut r.clients[0];
        c.grant_type = "CODE".into();
        c.roles.clear();
        c.redirect_uris = vec!["https://app.example.com/cb".into()];
        c.scopes = vec!["routing".into()];
        c.permission_usage = None;
        c.scope_usage = Some(Box::new(crate::audit::report::ScopeUsage {
            used: vec!["routing:readonly".into()],
            held: vec!["routing".into()],
            unused: vec!["routing".into()],
            unknown_endpoints: vec![],
            unexplained_endpoints: vec![],
            suggested_scopes: vec!["routing:readonly".into()],
        }));
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        assert!(!snippet.contains("genesyscloud_auth_role"));
        assert!(snippet.contains("  authorized_grant_type         = \"CODE\"\n"));
        assert!(snippet.contains(
            "  registered_redirect_uris      = [\"https://app.example.com/cb\"]\n  scopes                        = [\"routing:readonly\"]\n}\n"
        ));
        assert!(snippet.contains("# Unused scopes: routing.\n"));
    }

    /// The renderer reads each rule's `fix` (no list of its own). Whether a rule's fact is right
    /// is held by the snippet tests above: `unused-permissions` and `unused-scopes` each fail
    /// without a Terraform fix.
    #[test]
    fn a_snippet_answers_exactly_the_rules_with_a_terraform_fix() {
        for rule in crate::audit::rules::RULES {
            let r = report("Q", rule.meta.id, false);
            assert_eq!(
                client_snippet(&r, &r.clients[0]).is_some(),
                rule.meta.fix == Fix::Terraform,
                "{}",
                rule.meta.id
            );
        }
    }

    #[test]
    fn no_snippet_without_an_active_unused_finding() {
        let waived = report("Q", "unused-permissions", true);
        assert_eq!(client_snippet(&waived, &waived.clients[0]), None);
        let other = report("Q", "long-lived-token", false);
        assert_eq!(client_snippet(&other, &other.clients[0]), None);
        assert_eq!(
            to_terraform(&other),
            "# scopewatch: least-privilege remediation, audit a-1 (0 clients)\n\n"
        );
    }

    #[test]
    fn a_lifetime_the_provider_refuses_is_clamped_and_said_so() {
        let mut r = report("Q", "unused-permissions", false);
        r.clients[0].access_token_validity_seconds = 60;
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        assert!(snippet.contains(
            "  # 60 s today, outside what the provider accepts.\n  access_token_validity_seconds = 300\n"
        ));
    }

    #[test]
    fn a_role_with_nothing_to_hold_is_not_written_and_not_granted() {
        let mut r = report("Q", "unused-permissions", false);
        let p = r.clients[0].permission_usage.as_mut().unwrap();
        p.suggested_role.permission_policies.clear();
        let snippet = client_snippet(&r, &r.clients[0]).unwrap();
        assert!(!snippet.contains("genesyscloud_auth_role"));
        assert!(!snippet.contains("roles {"));
        assert!(snippet.contains("# Its calls need no permission: it needs no role.\n"));
    }

    #[test]
    fn clients_whose_ids_reduce_to_one_name_get_distinct_resources() {
        let mut r = report("Q", "unused-permissions", false);
        let mut twin = r.clients[0].clone();
        twin.client_id = "c_queue_reader".into();
        r.clients[0].client_id = "c-queue-reader".into();
        r.clients.push(twin);
        let all = to_terraform(&r);
        assert!(
            all.starts_with("# scopewatch: least-privilege remediation, audit a-1 (2 clients)\n")
        );
        assert_eq!(
            all.matches("resource \"genesyscloud_auth_role\" \"scopewatch_c_queue_reader\" {")
                .count(),
            1
        );
        assert!(
            all.contains("resource \"genesyscloud_auth_role\" \"scopewatch_c_queue_reader_2\" {")
        );
        assert!(
            all.contains("role_id     = genesyscloud_auth_role.scopewatch_c_queue_reader_2.id")
        );
    }
}
