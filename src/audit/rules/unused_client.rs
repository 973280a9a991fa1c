//! `unused-client`: an active client with no request in the usage window.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::snapshot::{Client, ClientState, Usage};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unused-client",
        default_severity: Severity::Medium,
        title: "Active client has not been used",
        description: "A client nobody uses still holds working credentials and access; it is forgotten attack surface.",
        remediation: "Confirm with the client's owner that nothing uses it, then in Admin > Integrations > OAuth set it to inactive and delete it.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let Usage::Known {
        window_start,
        last_used,
        ..
    } = &ctx.snapshot.usage
    else {
        return None;
    };
    if client.state != ClientState::Active || last_used.contains_key(&client.id) {
        return None;
    }
    // scopewatch's own client is in use: it made this audit's calls, which the usage data
    // (a day or more behind) may not show yet.
    if client.id == ctx.snapshot.auditor_client_id {
        return None;
    }
    // A client created inside the window has not had the whole window to be used.
    if client
        .date_created
        .is_some_and(|created| created.date_naive() > *window_start)
    {
        return None;
    }
    let days = ctx.snapshot.usage_window_days;
    Some(Hit::new(
        format!("No API request in the last {days} days."),
        vec![format!(
            "no request since {window_start} ({days}-day usage window)"
        )],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn flags_active_clients_without_requests() {
        let hit = run(&RULE, &client("CODE")).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["no request since 2026-08-03 (90-day usage window)"]
        );
    }

    #[test]
    fn used_new_inactive_or_unknown_usage_is_not_flagged() {
        let mut snap = snapshot();
        if let Usage::Known { last_used, .. } = &mut snap.usage {
            last_used.insert("c1".into(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        }
        let policy = crate::audit::policy::AuditPolicy::builtin();
        assert_eq!(run_with(&RULE, &snap, &policy, &client("CODE")), None);
        let mut young = client("CODE");
        young.date_created = Some(Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap());
        assert_eq!(run(&RULE, &young), None);
        let mut disabled = client("CODE");
        disabled.state = ClientState::Disabled;
        assert_eq!(run(&RULE, &disabled), None);
        let mut unknown = snapshot();
        unknown.usage = Usage::Unknown;
        assert_eq!(run_with(&RULE, &unknown, &policy, &client("CODE")), None);
    }

    #[test]
    fn the_auditors_own_client_is_never_unused() {
        let snap = snapshot();
        let mut own = client("CLIENT-CREDENTIALS");
        own.id = snap.auditor_client_id.clone();
        let policy = crate::audit::policy::AuditPolicy::builtin();
        assert_eq!(run_with(&RULE, &snap, &policy, &own), None);
        // Another client with the same shape and no requests is flagged.
        assert!(run_with(&RULE, &snap, &policy, &client("CLIENT-CREDENTIALS")).is_some());
    }
}
