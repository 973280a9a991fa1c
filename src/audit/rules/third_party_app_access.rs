//! `third-party-app-access`: an app of another org, authorized in this one, that can write or
//! administer (HIGH), or holds scopes it has not used (MEDIUM). Only `Authorized` apps count: a
//! requested, revoked or unauthorized one has no access. An app rule: it judges one entry of
//! the report's `third_party_apps`, not a client of the org's own.

use super::admin_role::admin_reason;
use super::{AppRule, Fix, Hit, RuleMeta, Severity, describe_policy};
use crate::audit::glob::scope_matches;
use crate::audit::policy::AuditPolicy;
use crate::audit::snapshot::{AuthorizationState, Snapshot, ThirdPartyApp, Usage, is_read_write};
use crate::permissions::least::fit_scopes;

pub(super) const RULE: AppRule = AppRule {
    meta: RuleMeta {
        id: "third-party-app-access",
        default_severity: Severity::High,
        title: "A third-party app can write or holds unused access in the org",
        description: "An app owned by another org (an AppFoundry vendor, a partner) that an admin authorized here acts on the org's data with the scopes and roles granted to it: write or admin access lets a breach at the vendor change the org (HIGH); scopes it has not used in the usage window are access nobody needs (MEDIUM). Only authorized apps are judged; not checked when the authorizations could not be read.",
        remediation: "In Admin > Integrations > Authorized Applications, open the app: uncheck the scopes it does not need (read-only forms where it only reads) and remove admin or write roles, or choose Revoke Authorization if the org no longer uses it. The public API has no call to revoke an authorization.",
        severity_text: Some("HIGH (write or admin access), MEDIUM (unused scopes)"),
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(snapshot: &Snapshot, policy: &AuditPolicy, app: &ThirdPartyApp) -> Option<Hit> {
    if app.state != AuthorizationState::Authorized {
        return None;
    }
    let broad = broad_access(snapshot, policy, app);
    let (severity, detail, mut evidence) = if !broad.is_empty() {
        let detail = format!(
            "The authorized app '{}' of another org can write or administer this org ({} grant(s)).",
            app.client_name,
            broad.len()
        );
        (Severity::High, detail, broad)
    } else {
        let (detail, unused) = unused_scopes(snapshot, app)?;
        (Severity::Medium, detail, unused)
    };
    evidence.push(authorized_by(app));
    Some(Hit {
        severity: Some(severity),
        detail,
        evidence,
        identity: None,
    })
}

/// The app's write scopes (named high-risk where the policy says so) and its admin or write
/// roles, as evidence lines.
fn broad_access(snapshot: &Snapshot, policy: &AuditPolicy, app: &ThirdPartyApp) -> Vec<String> {
    let mut lines: Vec<String> = app
        .scopes
        .iter()
        .filter(|s| is_read_write(s))
        .map(|s| {
            let risky = policy.high_risk_scopes.iter().any(|p| scope_matches(p, s));
            format!("write scope {s}{}", if risky { " (high-risk)" } else { "" })
        })
        .collect();
    for role in app.roles.iter().filter_map(|id| snapshot.roles.get(id)) {
        if let Some(why) = admin_reason(role) {
            lines.push(format!("admin role '{}' has {why}", role.name));
            continue;
        }
        let writes: Vec<String> = role
            .policies
            .iter()
            .filter(|p| p.actions.iter().any(|a| a != "view"))
            .map(describe_policy)
            .collect();
        if !writes.is_empty() {
            lines.push(format!("role '{}' allows {}", role.name, writes.join("; ")));
        }
    }
    lines
}

/// The detail and evidence when usage is known and some of the app's scopes went unused in the
/// window (all of them when it made no call).
fn unused_scopes(snapshot: &Snapshot, app: &ThirdPartyApp) -> Option<(String, Vec<String>)> {
    let Usage::Known { calls, .. } = &snapshot.usage else {
        return None;
    };
    if app.scopes.is_empty() {
        return None;
    }
    let days = snapshot.usage_window_days;
    let calls = calls.get(&app.client_id).filter(|c| !c.is_empty());
    let Some(calls) = calls else {
        let evidence = app.scopes.iter().map(|s| format!("unused: {s}")).collect();
        let detail = format!(
            "The authorized app '{}' made no call in the last {days} days: none of its {} scope(s) is used.",
            app.client_name,
            app.scopes.len()
        );
        return Some((detail, evidence));
    };
    let fit = fit_scopes(&snapshot.catalog, &app.scopes, calls);
    let known_calls = !fit.used.is_empty() || !fit.unexplained.is_empty();
    if !known_calls || fit.unused.is_empty() {
        return None;
    }
    let evidence = fit.unused.iter().map(|s| format!("unused: {s}")).collect();
    let detail = format!(
        "The authorized app '{}' used {} of its {} scope(s) in the last {days} days.",
        app.client_name,
        fit.used.len(),
        fit.held.len()
    );
    Some((detail, evidence))
}

/// `authorized by 'Name' (id) on 2026-05-01`, with what is unknown said so.
fn authorized_by(app: &ThirdPartyApp) -> String {
    let who = app
        .created_by
        .as_ref()
        .map_or_else(|| "an unknown user".to_string(), super::describe_named);
    let when = app.date_created.map_or_else(
        || "an unknown date".to_string(),
        |d| d.date_naive().to_string(),
    );
    format!("authorized by {who} on {when}")
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{policy, snapshot};
    use super::*;
    use crate::audit::snapshot::{Call, GrantType, Named};

    fn app(state: AuthorizationState, scopes: &[&str], roles: &[&str]) -> ThirdPartyApp {
        ThirdPartyApp {
            client_id: "vendor-1".into(),
            client_name: "Vendor CRM".into(),
            grant_type: GrantType::ClientCredentials,
            state,
            pending: false,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            resource_owner: None,
            created_by: Some(Named {
                id: "u1".into(),
                name: Some("Ada Admin".into()),
            }),
            date_created: "2026-05-01T10:00:00Z".parse().ok(),
        }
    }

    fn judge(s: &Snapshot, a: &ThirdPartyApp) -> Option<Hit> {
        check(s, &policy(), a)
    }

    #[test]
    fn write_scopes_and_admin_roles_are_high_with_who_authorized_them() {
        let s = snapshot();
        let hit = judge(
            &s,
            &app(
                AuthorizationState::Authorized,
                &["users", "analytics:readonly"],
                &["master", "auditor", "gone"],
            ),
        )
        .expect("write access is a finding");
        assert_eq!(hit.severity, Some(Severity::High));
        assert_eq!(
            hit.evidence,
            vec![
                "write scope users (high-risk)",
                "admin role 'Master Admin' has permission admin",
                "authorized by 'Ada Admin' (u1) on 2026-05-01",
            ]
        );
        assert!(hit.detail.contains("Vendor CRM"), "{}", hit.detail);
        // A role that only views is not broad.
        let hit = judge(
            &s,
            &app(AuthorizationState::Authorized, &[], &["oauth-editor"]),
        );
        assert_eq!(
            hit.unwrap().evidence[0],
            "role 'OAuth Editor' allows oauth:client:add,edit,view"
        );
    }

    #[test]
    fn only_authorized_apps_count() {
        let s = snapshot();
        for state in [
            AuthorizationState::Requested,
            AuthorizationState::Revoked,
            AuthorizationState::Unauthorized,
            AuthorizationState::Other("Suspended".into()),
        ] {
            assert_eq!(judge(&s, &app(state, &["users"], &["master"])), None);
        }
    }

    #[test]
    fn read_only_scopes_unused_per_the_usage_data_are_medium() {
        let mut s = snapshot();
        let a = app(
            AuthorizationState::Authorized,
            &["analytics:readonly", "users:readonly"],
            &[],
        );
        let hit = judge(&s, &a).expect("no call at all: every scope is unused");
        assert_eq!(hit.severity, Some(Severity::Medium));
        assert_eq!(
            hit.evidence,
            vec![
                "unused: analytics:readonly",
                "unused: users:readonly",
                "authorized by 'Ada Admin' (u1) on 2026-05-01",
            ]
        );
        if let Usage::Known { calls, .. } = &mut s.usage {
            calls.insert(
                "vendor-1".into(),
                vec![Call {
                    method: "GET".into(),
                    template: "/api/v2/users".into(),
                    requests: 3,
                    succeeded: 3,
                }],
            );
        }
        let hit = judge(&s, &a).expect("analytics is still unused");
        assert_eq!(hit.evidence[0], "unused: analytics:readonly");
        assert_eq!(hit.evidence.len(), 2);
        // Every scope used: nothing to say; usage unknown: not judged.
        let used = app(AuthorizationState::Authorized, &["users:readonly"], &[]);
        assert_eq!(judge(&s, &used), None);
        s.usage = Usage::Unknown;
        assert_eq!(judge(&s, &a), None);
    }
}
