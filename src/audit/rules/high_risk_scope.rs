//! `high-risk-scope`: a scope matching the policy's high-risk patterns.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::glob::scope_matches;
use crate::audit::policy::AuditPolicy;
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "high-risk-scope",
        default_severity: Severity::High,
        title: "Client holds a high-risk scope",
        description: "Read-write scopes on users, organization settings, SCIM, integrations, recordings, GDPR, telephony, routing or Architect flows let a stolen token change what matters most.",
        remediation: "In Admin > Integrations > OAuth, edit the client's Scope tab: keep only the scopes the application calls, and use the :readonly form wherever it only reads.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

/// The client's scopes that match the policy's high-risk patterns.
pub fn high_risk_scopes<'c>(policy: &AuditPolicy, client: &'c Client) -> Vec<&'c str> {
    client
        .scopes
        .iter()
        .filter(|s| policy.high_risk_scopes.iter().any(|p| scope_matches(p, s)))
        .map(String::as_str)
        .collect()
}

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let flagged = high_risk_scopes(ctx.policy, client);
    (!flagged.is_empty()).then(|| {
        Hit::new(
            format!(
                "{} high-risk scope(s): {}.",
                flagged.len(),
                flagged.join(", ")
            ),
            flagged.iter().map(|s| format!("scope {s}")).collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;

    #[test]
    fn flags_default_patterns_and_custom_wildcards() {
        let c = with_scopes(client("CODE"), &["users", "routing:readonly", "scim"]);
        assert_eq!(
            run(&RULE, &c).unwrap().evidence,
            vec!["scope users", "scope scim"]
        );
        let policy =
            AuditPolicy::parse("high_risk_scopes = [\"admin:*\", \"user:write\"]").unwrap();
        let c = with_scopes(client("CODE"), &["admin:oauth:read", "users"]);
        let hit = run_with(&RULE, &snapshot(), &policy, &c).unwrap();
        assert_eq!(hit.evidence, vec!["scope admin:oauth:read"]);
    }

    #[test]
    fn readonly_and_harmless_scopes_pass() {
        let c = with_scopes(client("CODE"), &["users:readonly", "analytics", "presence"]);
        assert_eq!(run(&RULE, &c), None);
    }
}
