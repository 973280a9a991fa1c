//! CSV: one row per client with the seed's columns plus `risk_score`, `findings`,
//! `least_privilege` (`used N of M permissions`), who created it (`created_by`, `creator_state`),
//! the trail (`changes`, `last_change`, `actions_performed`), and the framework controls its
//! active findings give evidence for (`compliance`).

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

pub fn to_csv(report: &Report) -> String {
    clients_csv(&report.rules, &report.clients)
}

/// The controls of the rules of a client's active findings, each once, by framework:
/// `CIS Controls v8 5.4, 6.8; NIST SP 800-53 Rev. 5 AC-6`.
fn compliance(rules: &BTreeMap<String, RuleEntry>, c: &ClientReport) -> String {
    let mut sets: [BTreeSet<&str>; 4] = Default::default();
    for rule in c
        .active_rule_ids()
        .into_iter()
        .filter_map(|id| rules.get(id))
    {
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
    let owned = |set: &BTreeSet<&str>| set.iter().map(|s| (*s).to_string()).collect();
    ComplianceRef {
        cis_controls_v8: owned(&sets[0]),
        nist_800_53_r5: owned(&sets[1]),
        iso_27001_2022: owned(&sets[2]),
        soc2: owned(&sets[3]),
    }
    .summary()
}

/// The CSV of these clients (a filtered view passes the ones it keeps, not a copy), with the
/// report's rules for the compliance column.
pub fn clients_csv<'a>(
    rules: &BTreeMap<String, RuleEntry>,
    clients: impl IntoIterator<Item = &'a ClientReport>,
) -> String {
    let mut out = String::from(
        "client_id,client_name,grant_type,is_public,total_scopes,flagged_scopes,risk_level,risk_score,findings,least_privilege,created_by,creator_state,changes,last_change,actions_performed,compliance\n",
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
}
