//! `admin-role`: a client-credentials client holding an admin-level role.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity, describe_grant};
use crate::audit::snapshot::{Client, GrantType, Role};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "admin-role",
        default_severity: Severity::Critical,
        title: "Client-credentials client holds an admin-level role",
        description: "A role with the admin permission, or a permission policy with a * entity and * action, gives the client administrator power with no user behind it.",
        remediation: "In Admin > Integrations > OAuth, open the client's Roles/Divisions tab and replace the admin-level role with a custom role holding only the permissions the integration calls need.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

/// Why a role is admin-level, if it is.
pub(super) fn admin_reason(role: &Role) -> Option<String> {
    if role.permissions.iter().any(|p| p == "admin") {
        return Some("permission admin".into());
    }
    role.policies
        .iter()
        .find(|p| p.entity == "*" && p.actions.iter().any(|a| a == "*"))
        .map(|p| format!("policy {}:*:*", p.domain))
}

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    if client.grant_type != GrantType::ClientCredentials {
        return None;
    }
    let evidence: Vec<String> = ctx
        .roles_of(client)
        .filter_map(|(grant, role)| {
            admin_reason(role).map(|why| format!("{} has {why}", describe_grant(grant, role)))
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        Hit::new(
            "This client-credentials client holds an admin-level role: its secret is an administrator's key.",
            evidence,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_master_admin_and_wildcard_policies() {
        let c = with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]);
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["role 'Master Admin' (all divisions) has permission admin"]
        );
        let mut snap = snapshot();
        snap.roles.insert(
            "authz".into(),
            role(
                "authz",
                "Authz Admin",
                &[],
                &[("authorization", "*", &["*"])],
            ),
        );
        let c = with_roles(client("CLIENT-CREDENTIALS"), &[("authz", "d1")]);
        let hit = run_with(
            &RULE,
            &snap,
            &crate::audit::policy::AuditPolicy::builtin(),
            &c,
        )
        .unwrap();
        assert!(hit.evidence[0].ends_with("policy authorization:*:*"));
    }

    #[test]
    fn ignores_narrow_roles_and_user_grants() {
        let c = with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("reader", "*"), ("oauth-editor", "d1")],
        );
        assert_eq!(run(&RULE, &c), None);
        // Roles only apply to client-credentials clients.
        let c = with_roles(client("CODE"), &[("master", "*")]);
        assert_eq!(run(&RULE, &c), None);
    }
}
