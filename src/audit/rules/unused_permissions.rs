//! `unused-permissions`: a client-credentials client holds permissions its calls never needed.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::least_privilege::Fit;
use crate::audit::snapshot::Client;
use crate::permissions::least::PermissionFit;
use genesys_api::permissions::universe::Universe;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unused-permissions",
        default_severity: Severity::Medium,
        title: "Client holds permissions it does not use",
        description: "The endpoints the client called in the usage window needed fewer permissions than its roles grant; the rest is access an attacker with its secret gets for free.",
        remediation: "Create a role with only the suggested permission policies (Admin > Roles / Permissions, or the Terraform snippet at /clients/{id}/remediation.tf), grant it to the client in Admin > Integrations > OAuth > Roles, and remove the broader roles.",
        severity_text: None,
        windowed: false,
        fix: Fix::Terraform,
    },
    check,
};

/// Whether a fit is worth a finding: unused write or admin permissions, or more than the
/// policy's share of the grant unused. Needs at least one call the catalog knows.
pub fn flags(fit: &PermissionFit, universe: &Universe, max_unused_percent: u32) -> bool {
    let known_calls = !fit.used.is_empty() || !fit.unexplained.is_empty();
    if !known_calls || fit.unused.is_empty() {
        return false;
    }
    let share = fit.unused.len() as u64 * 100 / fit.granted.len().max(1) as u64;
    fit.unused.any_write(universe) || share > u64::from(max_unused_percent)
}

/// `routing:queue:view; directory:user:edit,view` and flat permissions, as a role would list them.
pub fn describe_suggestion(fit: &PermissionFit) -> String {
    let mut parts: Vec<String> = fit
        .suggested_policies
        .iter()
        .map(|p| format!("{}:{}:{}", p.domain, p.entity, p.actions.join(",")))
        .collect();
    parts.extend(fit.suggested_permissions.iter().cloned());
    if parts.is_empty() {
        "no permission (the calls need none)".into()
    } else {
        parts.join("; ")
    }
}

fn check(ctx: &Context, _client: &Client) -> Option<Hit> {
    let Some(Fit::Permissions(fit)) = ctx.fit else {
        return None;
    };
    let universe = ctx.snapshot.catalog.permissions();
    if !flags(fit, universe, ctx.policy.thresholds.max_unused_percent) {
        return None;
    }
    let suggestion = format!("suggested role: {}", describe_suggestion(fit));
    // The lists are the client's `permission_usage`; the evidence counts them. The fingerprint
    // stays what it was when the evidence listed them (a finding keeps its identity).
    let mut identity: Vec<String> = fit
        .unused_summary
        .iter()
        .map(|p| format!("unused: {p}"))
        .collect();
    identity.push(suggestion.clone());
    identity.extend(
        fit.unknown_endpoints
            .iter()
            .map(|e| format!("endpoint not in the permission catalog: {e}")),
    );
    identity.extend(
        fit.unexplained
            .iter()
            .map(|e| format!("call the roles do not allow: {e}")),
    );
    let mut evidence = vec![
        format!(
            "{} permissions unused (see permission_usage.unused)",
            fit.unused.len()
        ),
        suggestion,
    ];
    if !fit.unknown_endpoints.is_empty() {
        evidence.push(format!(
            "{} endpoints not in the permission catalog (see permission_usage.unknown_endpoints)",
            fit.unknown_endpoints.len()
        ));
    }
    if !fit.unexplained.is_empty() {
        evidence.push(format!(
            "{} calls the roles do not allow (see permission_usage.unexplained_endpoints)",
            fit.unexplained.len()
        ));
    }
    let detail = format!(
        "Used {} of {} permissions in the last {} days.",
        fit.used.len(),
        fit.granted.len(),
        ctx.snapshot.usage_window_days
    );
    Some(Hit::new(detail, evidence).identified_by(identity))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::{Call, RoleGrant, Usage};

    fn with_calls(calls: &[(&str, &str)]) -> crate::audit::snapshot::Snapshot {
        let mut snap = snapshot();
        if let Usage::Known { calls: all, .. } = &mut snap.usage {
            all.insert(
                "c1".into(),
                calls
                    .iter()
                    .map(|(m, t)| Call {
                        method: m.to_string(),
                        template: t.to_string(),
                        requests: 3,
                        succeeded: 3,
                    })
                    .collect(),
            );
        }
        snap
    }

    fn integration(role: &str) -> Client {
        let mut c = client("CLIENT-CREDENTIALS");
        c.roles = vec![RoleGrant {
            role_id: role.into(),
            division_id: "home".into(),
        }];
        c
    }

    #[test]
    fn master_admin_reading_queues_is_told_to_keep_only_routing_queue_view() {
        let snap = with_calls(&[("GET", "api/v2/routing/queues")]);
        let policy = crate::audit::policy::AuditPolicy::builtin();
        let hit = run_with(&RULE, &snap, &policy, &integration("master")).unwrap();
        // The unused list is the client's `permission_usage`: the evidence counts it, the
        // fingerprint is still made of it.
        assert!(
            hit.evidence[0].ends_with(" permissions unused (see permission_usage.unused)"),
            "{:?}",
            hit.evidence
        );
        assert!(!hit.evidence.iter().any(|e| e.starts_with("unused: ")));
        let identity = hit.identity.as_ref().unwrap();
        assert!(identity.contains(&"unused: admin".to_string()));
        assert!(
            hit.evidence
                .contains(&"suggested role: routing:queue:view".to_string())
        );
        assert!(hit.detail.starts_with("Used 1 of "));
    }

    #[test]
    fn a_client_using_all_it_holds_is_not_flagged() {
        let snap = with_calls(&[("POST", "api/v2/analytics/conversations/details/query")]);
        let policy = crate::audit::policy::AuditPolicy::builtin();
        assert_eq!(
            run_with(&RULE, &snap, &policy, &integration("reader")),
            None
        );
    }

    #[test]
    fn without_endpoint_evidence_nothing_is_judged() {
        let policy = crate::audit::policy::AuditPolicy::builtin();
        assert_eq!(
            run_with(&RULE, &snapshot(), &policy, &integration("master")),
            None
        );
        let unknown_only = with_calls(&[("GET", "api/v2/not/in/the/catalog")]);
        assert_eq!(
            run_with(&RULE, &unknown_only, &policy, &integration("master")),
            None
        );
    }
}
