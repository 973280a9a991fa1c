//! `unused-scopes`: a user-grant client holds scopes its calls never needed.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity};
use crate::audit::least_privilege::Fit;
use crate::audit::snapshot::{Client, is_read_write};
use crate::permissions::least::ScopeFit;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "unused-scopes",
        default_severity: Severity::Medium,
        title: "Client holds scopes it does not use",
        description: "The endpoints the client called in the usage window accept fewer (or read-only) scopes than it holds; every extra scope is access a stolen token carries.",
        remediation: "In Admin > Integrations > OAuth > Scope, keep only the suggested scopes (read-only where the calls allow it) and remove the rest.",
        severity_text: None,
        windowed: false,
        fix: Fix::Terraform,
    },
    check,
};

/// Whether a fit is worth a finding: an unused read-write scope, or more than the policy's share
/// of the held scopes unused. Needs at least one call the catalog knows the scopes of.
pub(super) fn flags(fit: &ScopeFit, max_unused_percent: u32) -> bool {
    let known_calls = !fit.used.is_empty() || !fit.unexplained.is_empty();
    if !known_calls || fit.unused.is_empty() {
        return false;
    }
    let share = fit.unused.len() as u64 * 100 / fit.held.len().max(1) as u64;
    fit.unused.iter().any(|s| is_read_write(s)) || share > u64::from(max_unused_percent)
}

fn check(ctx: &Context, _client: &Client) -> Option<Hit> {
    let Some(Fit::Scopes(fit)) = ctx.fit else {
        return None;
    };
    if !flags(fit, ctx.policy.thresholds.max_unused_percent) {
        return None;
    }
    let suggested: Vec<&str> = fit.suggested.iter().map(String::as_str).collect();
    let suggestion = format!("suggested scopes: {}", suggested.join(" "));
    // The lists are the client's `scope_usage`; the evidence counts them. The fingerprint stays
    // what it was when the evidence listed them (a finding keeps its identity).
    let mut identity: Vec<String> = fit.unused.iter().map(|s| format!("unused: {s}")).collect();
    identity.push(suggestion.clone());
    identity.extend(
        fit.unknown_endpoints
            .iter()
            .map(|e| format!("endpoint with unknown scopes: {e}")),
    );
    identity.extend(
        fit.unexplained
            .iter()
            .map(|e| format!("call the scopes do not allow: {e}")),
    );
    let mut evidence = vec![
        format!(
            "{} scopes unused (see scope_usage.unused)",
            fit.unused.len()
        ),
        suggestion,
    ];
    if !fit.unknown_endpoints.is_empty() {
        evidence.push(format!(
            "{} endpoints with unknown scopes (see scope_usage.unknown_endpoints)",
            fit.unknown_endpoints.len()
        ));
    }
    if !fit.unexplained.is_empty() {
        evidence.push(format!(
            "{} calls the scopes do not allow (see scope_usage.unexplained_endpoints)",
            fit.unexplained.len()
        ));
    }
    let detail = format!(
        "Used {} of {} scopes in the last {} days.",
        fit.used.len(),
        fit.held.len(),
        ctx.snapshot.usage_window_days
    );
    Some(Hit::new(detail, evidence).identified_by(identity))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::{Call, Usage};

    fn judged(scopes: &[&str], calls: &[(&str, &str)]) -> Option<Hit> {
        let mut snap = snapshot();
        if let Usage::Known { calls: all, .. } = &mut snap.usage {
            let list = calls
                .iter()
                .map(|(m, t)| Call {
                    method: m.to_string(),
                    template: t.to_string(),
                    requests: 1,
                    succeeded: 1,
                })
                .collect();
            all.insert("c1".into(), list);
        }
        let mut c = client("CODE");
        c.scopes = scopes.iter().map(|s| s.to_string()).collect();
        run_with(
            &RULE,
            &snap,
            &crate::audit::policy::AuditPolicy::builtin(),
            &c,
        )
    }

    #[test]
    fn a_read_write_scope_used_only_for_reads_is_narrowed_to_read_only() {
        let hit = judged(&["routing"], &[("GET", "api/v2/routing/queues")]).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "1 scopes unused (see scope_usage.unused)",
                "suggested scopes: routing:readonly"
            ]
        );
        assert_eq!(
            hit.identity.unwrap(),
            vec!["unused: routing", "suggested scopes: routing:readonly"],
            "fingerprinted by the list, as when the evidence carried it"
        );
    }

    #[test]
    fn scopes_all_needed_or_without_evidence_are_not_flagged() {
        assert_eq!(
            judged(&["routing:readonly"], &[("GET", "api/v2/routing/queues")]),
            None
        );
        assert_eq!(judged(&["routing", "users"], &[]), None);
        assert_eq!(
            judged(&["routing"], &[("GET", "api/v2/unknown/thing")]),
            None
        );
    }
}
