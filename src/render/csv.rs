//! CSV: one row per client with the seed's columns plus `risk_score`, `findings`,
//! `least_privilege` (`used N of M permissions`), who created it (`created_by`, `creator_state`),
//! the trail (`changes`, `last_change`, `actions_performed`), why a client's record did not
//! parse (`unreadable`, empty for every client that was read and judged), and the framework
//! controls its active findings give evidence for (`compliance`). The whole report's CSV ends
//! with one row for the organization when it has active org-level findings: `client_id`
//! `organization/<org id>`, `client_name` the org's name, its rule ids, risk and controls, the
//! client-only columns empty.

use std::collections::{BTreeMap, BTreeSet};

use crate::audit::report::{ClientReport, ComplianceRef, Report, RuleEntry};

/// Quotes a field when needed, and defuses spreadsheet formulas (client names are text anyone
/// with OAuth admin rights chose).
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The clients' rows, then one row per third-party app with findings: its name says it is one
/// (`third-party app: <name>`), `created_by` is who authorized it, and the columns about the
/// org's own clients (least privilege, trail) are empty; then the organization's row.
pub fn to_csv(report: &Report) -> String {
    let mut out = clients_csv(&report.rules, &report.clients);
    for a in report
        .third_party_apps
        .iter()
        .filter(|a| !a.findings.is_empty())
    {
        let active: Vec<&str> = a
            .findings
            .iter()
            .filter(|f| !f.suppressed)
            .map(|f| f.rule_id.as_ref())
            .collect();
        let score: u32 = a
            .findings
            .iter()
            .filter(|f| !f.suppressed)
            .map(|f| f.severity.weight())
            .sum();
        let controls = controls_of(&report.rules, active.iter().copied());
        let row = [
            field(&a.client_id),
            field(&format!("third-party app: {}", a.client_name)),
            field(&a.grant_type),
            "false".to_string(),
            a.scopes.len().to_string(),
            String::new(),
            a.risk_level.as_str().to_string(),
            score.to_string(),
            field(&active.join(";")),
            String::new(),
            field(
                a.created_by_name
                    .as_deref()
                    .or(a.created_by_id.as_deref())
                    .unwrap_or_default(),
            ),
            String::new(),
            "0".to_string(),
            String::new(),
            "0".to_string(),
            String::new(),
            field(&controls),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    if let Some(row) = organization_row(report) {
        out.push_str(&row);
    }
    out
}

/// The organization's row: its active org-level findings as a client's would read.
fn organization_row(report: &Report) -> Option<String> {
    let active: Vec<&crate::audit::report::Finding> = report
        .organization_findings
        .iter()
        .filter(|f| !f.suppressed)
        .collect();
    let riskiest = active.iter().map(|f| f.severity).max()?;
    let (id, name) = report
        .organization
        .as_ref()
        .map_or(("organization", "the organization"), |o| {
            (o.id.as_str(), o.name.as_str())
        });
    let rule_ids: Vec<&str> = active.iter().map(|f| f.rule_id.as_ref()).collect();
    let score: u32 = active.iter().map(|f| f.severity.weight()).sum();
    let row = [
        field(&format!("organization/{id}")),
        field(name),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        crate::audit::report::RiskLevel::from(riskiest)
            .as_str()
            .to_string(),
        score.to_string(),
        field(&rule_ids.join(";")),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        field(&controls_of(&report.rules, rule_ids.iter().copied())),
    ];
    Some(format!("{}\n", row.join(",")))
}

/// The controls of the rules of a client's active findings, each once, by framework:
/// `CIS Controls v8 5.4, 6.8; NIST SP 800-53 Rev. 5 AC-6`.
fn compliance(rules: &BTreeMap<String, RuleEntry>, c: &ClientReport) -> String {
    controls_of(rules, c.active_rule_ids())
}

/// The controls of these rules, each once, by framework.
fn controls_of<'a>(
    rules: &BTreeMap<String, RuleEntry>,
    rule_ids: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut sets: [BTreeSet<&str>; 4] = Default::default();
    for rule in rule_ids.into_iter().filter_map(|id| rules.get(id)) {
        let r = &rule.compliance;
        for (set, ids) in sets.iter_mut().zip([
            &r.cis_controls_v8,
            &r.nist_800_53_r5,
            &r.iso_27001_2022,
            &r.soc2,
        ]) {
            set.extend(ids.iter().map(String::as_str));
        }
    }
    let owned = |set: &BTreeSet<&str>| {
        let mut ids: Vec<String> = set.iter().map(|s| (*s).to_string()).collect();
        ids.sort_by_cached_key(|id| control_order(id));
        ids
    };
    ComplianceRef {
        cis_controls_v8: owned(&sets[0]),
        nist_800_53_r5: owned(&sets[1]),
        iso_27001_2022: owned(&sets[2]),
        soc2: owned(&sets[3]),
    }
    .summary()
}

/// How frameworks number controls: the letters before the first digit, then each number
/// (`A.5.9` before `A.5.18`, `AC-6(9)` before `AC-6(10)`).
fn control_order(id: &str) -> (String, Vec<u32>) {
    let prefix = id.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let numbers = id
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (prefix, numbers)
}

/// The CSV of these clients (a filtered view passes the ones it keeps, not a copy), with the
/// report's rules for the compliance column.
pub fn clients_csv<'a>(
    rules: &BTreeMap<String, RuleEntry>,
    clients: impl IntoIterator<Item = &'a ClientReport>,
) -> String {
    let mut out = String::from(
        "client_id,client_name,grant_type,is_public,total_scopes,flagged_scopes,risk_level,risk_score,findings,least_privilege,created_by,creator_state,changes,last_change,actions_performed,unreadable,compliance\n",
    );
    for c in clients {
        let findings = c.active_rule_ids();
        let row = [
            field(&c.client_id),
            field(&c.client_name),
            field(&c.grant_type),
            c.is_public.to_string(),
            c.total_scopes.to_string(),
            field(&c.flagged_scopes.join(";")),
            c.risk_level.as_str().to_string(),
            c.risk_score.to_string(),
            field(&findings.join(";")),
            c.least_privilege_summary().unwrap_or_default(),
            field(
                &c.created_by
                    .as_ref()
                    .map(|u| u.name.clone().unwrap_or_else(|| u.id.clone()))
                    .unwrap_or_default(),
            ),
            field(
                c.created_by
                    .as_ref()
                    .and_then(|u| u.state.as_deref())
                    .unwrap_or_default(),
            ),
            c.changes.len().to_string(),
            c.changes
                .first()
                .map(|ch| ch.date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            c.actions_performed.len().to_string(),
            field(c.unreadable.as_deref().unwrap_or_default()),
            field(&compliance(rules, c)),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
    }

    #[test]
    fn a_client_row_lists_the_controls_of_its_active_findings_once() {
        use crate::audit::rules::testkit::{client, policy, snapshot, with_roles};
        use crate::audit::{AuditRun, judge};
        let mut s = snapshot();
        s.clients = vec![with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")])];
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "a".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        let report = judge(s, &policy(), &run);
        let csv = to_csv(&report);
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .ends_with(",actions_performed,unreadable,compliance")
        );
        let row = lines.next().unwrap();
        assert!(row.contains("admin-role"), "{row}");
        let cell = row.rsplit(",\"").next().unwrap().trim_end_matches('"');
        let frameworks: BTreeMap<&str, Vec<&str>> = cell
            .split("; ")
            .map(|part| {
                let split = crate::audit::rules::mappings::FRAMEWORKS
                    .iter()
                    .find(|f| part.starts_with(**f))
                    .unwrap_or_else(|| panic!("{part}"));
                (*split, part[split.len() + 1..].split(", ").collect())
            })
            .collect();
        assert_eq!(frameworks.len(), 4, "{cell}");
        // Every control of every active rule, each once.
        let mut expected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for id in report.clients[0].active_rule_ids() {
            for (name, ids) in report.rules[id].compliance.by_framework() {
                expected
                    .entry(name)
                    .or_default()
                    .extend(ids.iter().map(String::as_str));
            }
        }
        for (name, ids) in &frameworks {
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{name}: {ids:?}");
            assert_eq!(unique, expected[name], "{name}");
        }
        assert!(
            frameworks["NIST SP 800-53 Rev. 5"].contains(&"AC-6"),
            "{cell}"
        );
    }

    #[test]
    fn the_report_csv_ends_with_the_organizations_row_when_it_has_active_findings() {
        use crate::audit::rules::testkit::{client, policy, snapshot};
        use crate::audit::{AuditRun, judge};
        let judged = |allowlist: Option<Vec<String>>| {
            let mut s = snapshot();
            s.clients = vec![client("CODE")];
            s.ip_allowlist = allowlist;
            let at = s.collected_at;
            let run = AuditRun {
                audit_id: "a".into(),
                started_at: at,
                generated_at: at,
                first_seen: &|_| None,
            };
            judge(s, &policy(), &run)
        };
        let csv = to_csv(&judged(Some(vec![])));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "header, the client, the org: {csv}");
        let header = lines[0].split(',').count();
        let org = lines[2];
        assert!(
            org.starts_with(
                "organization/organization,the organization,,,,,MEDIUM,5,org-no-ip-allowlist,"
            ),
            "{org}"
        );
        // The compliance cell is quoted (it holds commas); the others are plain.
        let (cells, compliance) = org.split_once(",\"").expect("a quoted compliance cell");
        assert_eq!(cells.split(',').count(), header - 1, "{org}");
        assert!(compliance.ends_with('"'), "{org}");
        assert!(org.contains("NIST SP 800-53 Rev. 5 AC-3, SC-7"), "{org}");
        let clean = to_csv(&judged(Some(vec!["203.0.113.0/24".into()])));
        assert_eq!(clean.lines().count(), 2, "no org row without findings");
    }

    #[test]
    fn controls_are_in_the_frameworks_numeric_order() {
        let mut ids = vec![
            "A.5.18", "AC-6(10)", "A.5.9", "AC-6(9)", "AC-6", "AC-2(3)", "AU-6",
        ];
        ids.sort_by_cached_key(|id| control_order(id));
        assert_eq!(
            ids,
            [
                "A.5.9", "A.5.18", "AC-2(3)", "AC-6", "AC-6(9)", "AC-6(10)", "AU-6"
            ]
        );
    }
}
