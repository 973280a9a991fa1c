//! `admin-role`: a client-credentials client holding an admin-level role.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity, conditionally, describe_grant};
use crate::audit::snapshot::{Client, GrantType, PermissionPolicy, Role};

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
    // An outright wildcard policy is the reason; a narrowed one only when there is no other.
    let wildcard = |p: &&PermissionPolicy| p.entity == "*" && p.actions.iter().any(|a| a == "*");
    let policy = role
        .policies
        .iter()
        .filter(wildcard)
        .find(|p| p.narrowed.is_none())
        .or_else(|| role.policies.iter().find(wildcard))?;
    let narrowed = policy
        .narrowed
        .as_ref()
        .map(conditionally)
        .unwrap_or_default();
    Some(format!("policy {}:*:*{narrowed}", policy.domain))
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

    #[test]
    fn a_narrowed_wildcard_policy_is_admin_level_and_said_to_be_conditional() {
        let snap = with_narrowed_role(&[("directory", "*", &["*"])], 3);
        let c = with_roles(client("CLIENT-CREDENTIALS"), &[("narrowed", "*")]);
        let hit = run_with(&RULE, &snap, &policy(), &c).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "role 'Narrowed Admin' (all divisions) has policy directory:*:* conditionally \
                 (named resources: 3)"
            ]
        );
        // An outright wildcard policy in the same role is the reason given.
        let mut snap = snap;
        let outright = role("x", "", &[], &[("oauth", "*", &["*"])]).policies;
        snap.roles
            .get_mut("narrowed")
            .unwrap()
            .policies
            .extend(outright);
        let hit = run_with(&RULE, &snap, &policy(), &c).unwrap();
        assert!(
            hit.evidence[0].ends_with("has policy oauth:*:*"),
            "{:?}",
            hit.evidence
        );
    }
}
