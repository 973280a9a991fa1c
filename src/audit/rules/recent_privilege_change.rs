//! `recent-privilege-change`: the client's scopes or roles were widened within the policy's
//! window (default 7 days), or a role it holds gained permissions; names who did it.

use std::collections::BTreeSet;

use super::{
    Context, Fix, Hit, OAUTH_CLIENT, ROLE, Rule, RuleMeta, Severity, bounded, describe_named,
};
use crate::audit::snapshot::{AuditEvent, Client};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "recent-privilege-change",
        default_severity: Severity::Low,
        title: "Scopes or roles widened recently",
        description: "The audit trail shows the client's scopes or roles widened (or a role it holds gaining permissions) within the policy's window: a change worth a second look by someone other than who made it.",
        remediation: "Confirm the change with the person named (Admin > Audit viewer shows the full change); if it was not approved, revert it in Admin > Integrations > OAuth (Scope or Roles/Divisions tab) or Admin > Roles/Permissions.",
        severity_text: None,
        windowed: true,
        fix: Fix::Manual,
    },
    check,
};

/// Properties of an OAuth client that carry its access.
const CLIENT_ACCESS: [&str; 5] = ["scope", "scopes", "roledivisions", "roleids", "roles"];
/// Properties of a role that carry what it allows.
const ROLE_ACCESS: [&str; 3] = ["permissionpolicies", "permissions", "policies"];

/// Values an event added to the given properties.
fn added(event: &AuditEvent, properties: &[&str]) -> Vec<String> {
    let mut added = BTreeSet::new();
    for p in &event.properties {
        if !properties.contains(&p.property.to_ascii_lowercase().as_str()) {
            continue;
        }
        added.extend(p.added.iter().cloned());
    }
    added.into_iter().collect()
}

fn who(event: &AuditEvent) -> String {
    match (&event.user, &event.client_id) {
        (Some(user), _) => describe_named(user),
        (None, Some(client)) => format!("OAuth client {client}"),
        (None, None) => "someone unnamed".into(),
    }
}

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let trail = ctx.snapshot.trail.known()?;
    let since = ctx.snapshot.collected_at
        - chrono::Duration::days(i64::from(ctx.policy.thresholds.privilege_change_days));
    let date = |e: &AuditEvent| e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut evidence = Vec::new();
    // Role ids read as role names where the role is known.
    let named = |value: String| match ctx.snapshot.roles.get(&value) {
        Some(role) => format!("role '{}'", role.name),
        None => value,
    };
    for e in trail
        .about(OAUTH_CLIENT, &client.id)
        .filter(|e| e.at >= since)
    {
        let added: Vec<String> = added(e, &CLIENT_ACCESS).into_iter().map(named).collect();
        if !added.is_empty() {
            evidence.push(format!(
                "{} {} ({}) added {}",
                date(e),
                who(e),
                e.action,
                added.join(", ")
            ));
        }
    }
    let roles: BTreeSet<&str> = client.roles.iter().map(|g| g.role_id.as_str()).collect();
    for role_id in roles {
        let name = ctx
            .snapshot
            .roles
            .get(role_id)
            .map(|r| r.name.as_str())
            .unwrap_or(role_id);
        for e in trail.about(ROLE, role_id).filter(|e| e.at >= since) {
            let added = added(e, &ROLE_ACCESS);
            if !added.is_empty() {
                evidence.push(format!(
                    "{} {} widened role '{name}' it holds: added {}",
                    date(e),
                    who(e),
                    added.join(", ")
                ));
            }
        }
    }
    (!evidence.is_empty()).then(|| {
        Hit::new(
            format!(
                "Access widened {} time(s) in the last {} days.",
                evidence.len(),
                ctx.policy.thresholds.privilege_change_days
            ),
            bounded(evidence),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::{PropertyChange, Trail};

    fn widened(at: &str, kind: &str, entity: &str, property: &str) -> AuditEvent {
        let mut e = event("e", at, None, "Update", kind, entity);
        e.properties = vec![PropertyChange::new(
            property,
            vec!["users:readonly".into()],
            vec!["users:readonly".into(), "users".into()],
        )];
        e
    }

    #[test]
    fn flags_widened_scopes_and_roles_in_the_window_naming_who() {
        let mut granted = widened("2026-10-29T09:00:00Z", "OAuthClient", "c1", "roleIds");
        granted.properties[0] = PropertyChange::new("roleIds", vec![], vec!["master".into()]);
        let s = with_trail(vec![
            granted,
            widened("2026-10-30T09:00:00Z", "OAuthClient", "c1", "scope"),
            widened(
                "2026-10-31T09:00:00Z",
                "Role",
                "reader",
                "permissionPolicies",
            ),
            widened("2026-10-01T09:00:00Z", "OAuthClient", "c1", "scope"),
        ]);
        let c = with_roles(client("CLIENT-CREDENTIALS"), &[("reader", "d1")]);
        let hit = run_with(&RULE, &s, &policy(), &c).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "2026-10-30T09:00:00Z 'Ann Admin' (u1) (Update) added users",
                "2026-10-29T09:00:00Z 'Ann Admin' (u1) (Update) added role 'Master Admin'",
                "2026-10-31T09:00:00Z 'Ann Admin' (u1) widened role 'Reader' it holds: added users",
            ],
            "the change of 2026-10-01 is outside the 7-day window"
        );
    }

    #[test]
    fn narrowing_other_clients_and_an_unknown_trail_stay_silent() {
        let mut narrowed = widened("2026-10-30T09:00:00Z", "OAuthClient", "c1", "scope");
        let p = &narrowed.properties[0];
        narrowed.properties[0] =
            PropertyChange::new(&p.property, p.new_values.clone(), p.old_values.clone());
        let other = widened("2026-10-30T09:00:00Z", "OAuthClient", "c2", "scope");
        let mut s = with_trail(vec![narrowed, other]);
        let c = client("CLIENT-CREDENTIALS");
        assert_eq!(run_with(&RULE, &s, &policy(), &c), None);
        s.trail = Trail::Unknown;
        assert_eq!(run_with(&RULE, &s, &policy(), &c), None);
    }
}
