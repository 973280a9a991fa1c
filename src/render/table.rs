//! A readable terminal summary: the counts, then the clients with findings, riskiest first,
//! then the clients whose records could not be read (`UNREAD`, with why).

use crate::audit::report::{Report, RiskLevel};

fn clip(text: &str, width: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= width {
        format!("{clean:<width$}")
    } else {
        let cut: String = clean.chars().take(width - 1).collect();
        format!("{cut}…")
    }
}

/// Actions shown above the list; the rest are counted.
const PLAN_ACTIONS: usize = 5;

/// `Fix first`: the plan's first actions, one line each, most risk removed first.
fn plan(report: &Report) -> String {
    if report.actions.is_empty() {
        return String::new();
    }
    let mut out = String::from("Fix first (risk points removed, action):\n");
    for a in report.actions.iter().take(PLAN_ACTIONS) {
        out.push_str(&format!(
            "{:>6}  {:<9} {}\n",
            a.risk_removed,
            a.severity.as_str(),
            clip(&a.title, 100).trim_end()
        ));
    }
    let more = report.actions.len().saturating_sub(PLAN_ACTIONS);
    if more > 0 {
        out.push_str(&format!(
            "  and {more} more action{} (the report's `actions`)\n",
            if more == 1 { "" } else { "s" }
        ));
    }
    out.push('\n');
    out
}

pub fn to_table(report: &Report) -> String {
    let s = &report.summary;
    let mut out = format!(
        "scopewatch audit {} at {} ({} ms), {}\n",
        report.audit_id,
        report.generated_at.format("%Y-%m-%d %H:%M:%S UTC"),
        report.duration_ms,
        report.source.api_base_url
    );
    out.push_str(&format!(
        "{} clients: {} high risk, {} public with write scopes; ",
        s.total_clients, s.high_risk_count, s.public_write_risks_count
    ));
    let levels: Vec<String> = s
        .by_risk_level
        .entries()
        .iter()
        .map(|(l, n)| format!("{} {n}", l.as_str()))
        .collect();
    out.push_str(&levels.join(", "));
    out.push_str(&format!(
        "; {} findings suppressed by waivers\n",
        s.suppressed_findings
    ));
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push('\n');
    out.push_str(&plan(report));
    out.push_str(&format!(
        "{:<9} {:>5}  {:<36}  {:<18}  {}\n",
        "RISK", "SCORE", "CLIENT", "GRANT", "FINDINGS"
    ));
    for c in report
        .clients
        .iter()
        .filter(|c| c.risk_level > RiskLevel::None)
    {
        let findings = c.active_rule_ids();
        out.push_str(&format!(
            "{:<9} {:>5}  {}  {:<18}  {}\n",
            c.risk_level.as_str(),
            c.risk_score,
            clip(&c.client_name, 36),
            clip(&c.grant_type, 18),
            findings.join(", ")
        ));
    }
    let unreadable: Vec<_> = report
        .clients
        .iter()
        .filter_map(|c| Some((c, c.unreadable.as_deref()?)))
        .collect();
    let clean = s.by_risk_level.none.saturating_sub(unreadable.len() as u64);
    if clean > 0 {
        out.push_str(&format!("({clean} clients without findings not shown)\n"));
    }
    for (c, why) in unreadable {
        out.push_str(&format!(
            "{:<9} {:>5}  {}  {}\n",
            "UNREAD",
            "-",
            clip(&c.client_id, 36),
            clip(why, 80).trim_end()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::{client, policy, snapshot, with_roles};
    use crate::audit::snapshot::UnreadableClient;
    use crate::audit::{AuditRun, judge};

    #[test]
    fn unreadable_clients_are_listed_apart_with_why() {
        let mut s = snapshot();
        s.clients = vec![client("CODE")];
        s.unreadable_clients = vec![UnreadableClient {
            id: Some("odd-id".into()),
            name: None,
            reason: "missing field `name` (column 12 of the record)".into(),
        }];
        let run = AuditRun {
            audit_id: "t".into(),
            started_at: s.collected_at,
            generated_at: s.collected_at,
            first_seen: &|_| None,
        };
        let table = to_table(&judge(s, &policy(), &run));
        // The one NONE client is the unreadable one, listed below, not "not shown".
        assert!(!table.contains("without findings not shown"), "{table}");
        assert!(
            table.ends_with(
                "UNREAD        -  odd-id                                missing field `name` \
                 (column 12 of the record)\n"
            ),
            "{table}"
        );
    }

    #[test]
    fn the_plan_comes_before_the_list_riskiest_action_first() {
        let mut s = snapshot();
        s.clients = vec![
            with_roles(client("CLIENT-CREDENTIALS"), &[("master", "d1")]),
            client("PASSWORD"),
        ];
        s.clients[1].id = "c2".into();
        // Both used, so neither is deleted: two actions.
        s.usage = crate::audit::snapshot::Usage::Known {
            window_start: chrono::NaiveDate::from_ymd_opt(2026, 8, 3).unwrap(),
            last_used: ["c1", "c2"]
                .into_iter()
                .map(|id| {
                    (
                        id.to_string(),
                        chrono::NaiveDate::from_ymd_opt(2026, 10, 30).unwrap(),
                    )
                })
                .collect(),
            calls: Default::default(),
        };
        let at = s.collected_at;
        let report = judge(
            s,
            &AuditPolicy::builtin(),
            &AuditRun {
                audit_id: "a1".into(),
                started_at: at,
                generated_at: at,
                first_seen: &|_| None,
            },
        );
        assert!(report.actions.len() >= 2, "{:?}", report.actions);
        let table = to_table(&report);
        let plan = table.find("Fix first").expect("a plan");
        let list = table.find("RISK ").expect("the list");
        assert!(plan < list, "{table}");
        let first = table.find(&report.actions[0].title).expect("first action");
        let second = table.find(&report.actions[1].title).expect("second action");
        assert!(plan < first && first < second && second < list, "{table}");
    }
}
