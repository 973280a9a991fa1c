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
    use crate::audit::rules::testkit::{client, policy, snapshot};
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
}
