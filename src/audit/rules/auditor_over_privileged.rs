//! `auditor-over-privileged`: scopewatch's own client holds more than the reads it needs.

use super::{
    Context, Fix, Hit, Rule, RuleMeta, Severity, admin_role::admin_reason, describe_grant,
    describe_policy,
};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "auditor-over-privileged",
        default_severity: Severity::High,
        title: "scopewatch's own client holds more than read access",
        description: "The auditor needs only oauth:client:view, authorization:role:view, usage:organization:view, usage:client:view (calls from other orgs, for usage-anomaly) and audits:audit:view (the organization, divisions and users need none), directory:organization:admin for the org's IP allowlist and oauth:client:authorize for the third-party apps authorized in the org, the two reads Genesys opens only to those permissions (leave one out and its evidence is unknown). Anything more turns the monitoring credential into an attack path.",
        remediation: "In Admin > Roles/Permissions, give scopewatch's client a custom role with only OAuth > Client > View, Authorization > Role > View, Usage > Organization > View, Usage > Client > View and Audits > Audit > View (and Directory > Organization > Admin if the IP allowlist is to be checked, OAuth > Client > Authorize if third-party apps are), and remove its other roles in the client's Roles/Divisions tab.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    if client.id != ctx.snapshot.auditor_client_id {
        return None;
    }
    let mut evidence = Vec::new();
    for (grant, role) in ctx.roles_of(client) {
        if let Some(why) = admin_reason(role) {
            evidence.push(format!("{} has {why}", describe_grant(grant, role)));
            continue;
        }
        let extra: Vec<String> = role
            .policies
            .iter()
            .filter(|p| p.actions.iter().any(|a| a != "view" && !needed(p, a)))
            .map(describe_policy)
            .collect();
        if !extra.is_empty() {
            evidence.push(format!(
                "{} allows {}",
                describe_grant(grant, role),
                extra.join("; ")
            ));
        }
    }
    evidence.extend(
        client
            .scopes
            .iter()
            .filter(|s| crate::audit::snapshot::is_read_write(s))
            .map(|s| format!("read-write scope {s}")),
    );
    (!evidence.is_empty()).then(|| {
        Hit::new(
            "scopewatch's own client can do more than read clients, roles, usage and the audit trail.",
            evidence,
        )
    })
}

/// The one permission beyond `view` an evidence source needs: Genesys opens the org's IP
/// allowlist only to it (the IP allowlist source declares it from here).
pub const IP_ALLOWLIST_PERMISSION: &str = "directory:organization:admin";

/// The one permission Genesys opens its list of authorized (third-party) apps to (the
/// authorizations source declares it from here).
pub const AUTHORIZATIONS_PERMISSION: &str = "oauth:client:authorize";

/// Whether `action` of this policy is the IP allowlist's or the authorizations' read. A narrowed
/// policy never is.
fn needed(policy: &crate::audit::snapshot::PermissionPolicy, action: &str) -> bool {
    let permission = format!("{}:{}:{action}", policy.domain, policy.entity);
    policy.narrowed.is_none()
        && (permission == IP_ALLOWLIST_PERMISSION || permission == AUTHORIZATIONS_PERMISSION)
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    fn auditor(roles: &[(&str, &str)]) -> Client {
        let mut c = with_roles(client("CLIENT-CREDENTIALS"), roles);
        c.id = "auditor".into();
        c
    }

    #[test]
    fn flags_the_auditor_with_write_or_admin_roles() {
        let hit = run(&RULE, &auditor(&[("auditor", "*"), ("oauth-editor", "d1")])).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["role 'OAuth Editor' (division d1) allows oauth:client:add,edit,view"]
        );
        assert!(run(&RULE, &auditor(&[("master", "*")])).is_some());
    }

    #[test]
    fn a_read_only_auditor_and_other_clients_pass() {
        assert_eq!(run(&RULE, &auditor(&[("auditor", "home")])), None);
        let mut s = snapshot();
        let trail_reader = role(
            "trail",
            "Audit viewer",
            &[],
            &[("audits", "audit", &["view"])],
        );
        s.roles.insert(trail_reader.id.clone(), trail_reader);
        assert_eq!(
            run_with(
                &RULE,
                &s,
                &policy(),
                &auditor(&[("auditor", "home"), ("trail", "home")])
            ),
            None,
            "reading the audit trail is one of the auditor's reads"
        );
        let other = with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")]);
        assert_eq!(run(&RULE, &other), None);
    }

    #[test]
    fn the_allowlist_read_is_allowed_but_nothing_more_of_the_organization() {
        let mut s = snapshot();
        for (id, actions) in [
            ("allowlist", &["admin"][..]),
            ("org-editor", &["admin", "edit"]),
        ] {
            let r = role(id, id, &[], &[("directory", "organization", actions)]);
            s.roles.insert(r.id.clone(), r);
        }
        let judge = |roles: &[(&str, &str)]| run_with(&RULE, &s, &policy(), &auditor(roles));
        assert_eq!(judge(&[("auditor", "*"), ("allowlist", "*")]), None);
        let hit = judge(&[("auditor", "*"), ("org-editor", "*")]).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["role 'org-editor' (all divisions) allows directory:organization:admin,edit"]
        );
    }

    #[test]
    fn its_description_names_every_permission_the_evidence_sources_need() {
        for permission in crate::genesys::auditor_permissions() {
            assert!(
                RULE.meta.description.contains(permission),
                "the description lacks {permission}"
            );
        }
    }
}
