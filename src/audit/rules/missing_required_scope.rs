//! `missing-required-scope`: a client matched by a policy selector lacks a required scope.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::policy::selects;
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "missing-required-scope",
        default_severity: Severity::Medium,
        title: "Client lacks a scope the policy requires",
        description: "The policy says clients matching a selector must hold certain scopes (for example the :readonly form an integration is meant to use); this one does not.",
        remediation: "In Admin > Integrations > OAuth, add the required scope to the client's Scope tab, or correct the policy's required_scopes selector if the client should not match it.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let mut evidence = Vec::new();
    for required in &ctx.policy.required_scopes {
        if !selects(&required.client, client) {
            continue;
        }
        for scope in &required.scopes {
            if !client.scopes.contains(scope) {
                evidence.push(format!(
                    "missing scope {scope} (required for '{}')",
                    required.client
                ));
            }
        }
    }
    (!evidence.is_empty()).then(|| {
        Hit::new(
            format!("{} required scope(s) missing.", evidence.len()),
            evidence,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::policy::AuditPolicy;

    fn policy() -> AuditPolicy {
        AuditPolicy::parse("[[required_scopes]]\nclient = \"Client*\"\nscopes = [\"users:readonly\", \"analytics:readonly\"]\n").unwrap()
    }

    #[test]
    fn flags_a_selected_client_missing_scopes() {
        let c = with_scopes(client("CODE"), &["users:readonly"]);
        let hit = run_with(&RULE, &snapshot(), &policy(), &c).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["missing scope analytics:readonly (required for 'Client*')"]
        );
    }

    #[test]
    fn complete_or_unselected_clients_pass() {
        let c = with_scopes(client("CODE"), &["users:readonly", "analytics:readonly"]);
        assert_eq!(run_with(&RULE, &snapshot(), &policy(), &c), None);
        let mut other = client("CODE");
        other.name = "Other".into();
        assert_eq!(run_with(&RULE, &snapshot(), &policy(), &other), None);
    }
}
