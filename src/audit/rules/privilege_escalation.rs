//! `privilege-escalation`: the client can widen its own or anyone's access.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity, describe_grant, role_holds};
use crate::audit::snapshot::Client;

/// Read-write scopes that manage clients, roles and grants.
pub const ESCALATION_SCOPES: [&str; 3] = ["oauth", "authorization", "organization-authorization"];

/// Permissions that create or change clients, roles or grants.
const ESCALATION_PERMISSIONS: [(&str, &str, &str); 5] = [
    ("oauth", "client", "add"),
    ("oauth", "client", "edit"),
    ("authorization", "role", "add"),
    ("authorization", "role", "edit"),
    ("authorization", "grant", "add"),
];

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "privilege-escalation",
        default_severity: Severity::Critical,
        title: "Client can widen its own or anyone's access",
        description: "A read-write oauth, authorization or organization-authorization scope, or a role that can add or edit OAuth clients, roles or grants, lets whoever holds this client's credentials grant themselves more access.",
        remediation: "In Admin > Integrations > OAuth, edit the client: replace read-write oauth/authorization scopes with their :readonly forms, and in the Roles/Divisions tab remove roles holding OAuth > Client > Add/Edit or Authorization > Role/Grant > Add/Edit. Give client and role management to people, not integrations.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let mut evidence: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| ESCALATION_SCOPES.contains(&s.as_str()))
        .map(|s| format!("scope {s}"))
        .collect();
    for (grant, role) in ctx.roles_of(client) {
        let allowed: Vec<String> = ESCALATION_PERMISSIONS
            .iter()
            .filter_map(|(d, e, a)| {
                role_holds(role, d, e, a).map(|held| format!("{d}:{e}:{a}{}", held.suffix()))
            })
            .collect();
        if !allowed.is_empty() {
            evidence.push(format!(
                "{} allows {}",
                describe_grant(grant, role),
                allowed.join(", ")
            ));
        }
    }
    (!evidence.is_empty()).then(|| {
        Hit::new(
            "This client can create or change OAuth clients, roles or grants, and so raise its own access.",
            evidence,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_read_write_escalation_scopes_and_roles() {
        let hit = run(
            &RULE,
            &with_scopes(client("CODE"), &["oauth", "users:readonly"]),
        )
        .unwrap();
        assert_eq!(hit.evidence, vec!["scope oauth"]);
        let cc = with_roles(client("CLIENT-CREDENTIALS"), &[("oauth-editor", "d1")]);
        let hit = run(&RULE, &cc).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["role 'OAuth Editor' (division d1) allows oauth:client:add, oauth:client:edit"]
        );
        let admin = with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]);
        assert_eq!(
            run(&RULE, &admin).unwrap().evidence[0].matches(':').count(),
            10
        );
    }

    #[test]
    fn does_not_flag_readonly_scopes_or_view_roles() {
        let c = with_scopes(
            client("CODE"),
            &["oauth:readonly", "authorization:readonly"],
        );
        assert_eq!(run(&RULE, &c), None);
        let c = with_roles(
            client("CLIENT-CREDENTIALS"),
            &[("auditor", "*"), ("reader", "d1")],
        );
        assert_eq!(run(&RULE, &c), None);
    }

    #[test]
    fn a_permission_held_only_through_a_narrowed_policy_is_said_to_be_conditional() {
        let snap = with_narrowed_role(
            &[
                ("oauth", "client", &["add"]),
                ("authorization", "role", &["edit"]),
            ],
            2,
        );
        let c = with_roles(client("CLIENT-CREDENTIALS"), &[("narrowed", "d1")]);
        let hit = run_with(&RULE, &snap, &policy(), &c).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "role 'Narrowed Admin' (division d1) allows oauth:client:add conditionally \
                 (named resources: 2), authorization:role:edit conditionally (conditions: 1)"
            ]
        );
        // The same permission held outright by another policy of the role is not conditional.
        let mut snap = snap;
        let outright = role("x", "", &[], &[("oauth", "client", &["add"])]).policies;
        snap.roles
            .get_mut("narrowed")
            .unwrap()
            .policies
            .extend(outright);
        let hit = run_with(&RULE, &snap, &policy(), &c).unwrap();
        assert!(
            hit.evidence[0]
                .contains("allows oauth:client:add, authorization:role:edit conditionally"),
            "{:?}",
            hit.evidence
        );
    }
}
