//! CSV: one row per client with the seed's columns plus `risk_score`, `findings`,
//! `least_privilege` (`used N of M permissions`), who created it (`created_by`, `creator_state`),
//! the trail (`changes`, `last_change`, `actions_performed`), and why a client's record did
//! not parse (`unreadable`, empty for every client that was read and judged).

use crate::audit::report::{ClientReport, Report};

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
    clients_csv(&report.clients)
}

/// The CSV of these clients (a filtered view passes the ones it keeps, not a copy).
pub fn clients_csv<'a>(clients: impl IntoIterator<Item = &'a ClientReport>) -> String {
    let mut out = String::from(
        "client_id,client_name,grant_type,is_public,total_scopes,flagged_scopes,risk_level,risk_score,findings,least_privilege,created_by,creator_state,changes,last_change,actions_performed,unreadable\n",
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
