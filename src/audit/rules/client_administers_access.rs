//! `client-administers-access`: the trail shows this OAuth client itself created or changed
//! OAuth clients, roles or grants. An integration that administers access is either doing
//! an administrator's job with a machine credential, or abused.

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity, administrative_actions, bounded};
use crate::audit::snapshot::Client;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "client-administers-access",
        default_severity: Severity::Critical,
        title: "The client itself created or changed OAuth clients, roles or grants",
        description: "The audit trail shows this OAuth client acting on OAuth clients, roles or grants in the window. An integration that hands out access is the tell-tale of an abused or over-privileged credential.",
        remediation: "Check each listed change with the client's owner (Admin > Audit viewer, filtered on the client). If it is not expected, rotate the client's secret in Admin > Integrations > OAuth, revert the changes, and remove oauth/authorization permissions from its roles.",
        severity_text: Some("CRITICAL (its own token acted), HIGH (only people acted through it)"),
        windowed: true,
        fix: Fix::Manual,
    },
    check,
};

/// CRITICAL when the client's own token acted (no person behind the call: an integration
/// handing out access); HIGH when every action was a person's, made through the client (an
/// admin app used by an administrator), and the evidence names them.
fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let trail = ctx.snapshot.trail.known()?;
    let mut by_itself = false;
    let evidence: Vec<String> = administrative_actions(trail, &client.id)
        .map(|e| {
            let entity = e
                .entity
                .as_ref()
                .map(super::describe_named)
                .unwrap_or_else(|| "(unnamed)".into());
            let person = match &e.user {
                Some(user) => format!(" by {}", super::describe_named(user)),
                None => {
                    by_itself = true;
                    String::new()
                }
            };
            format!(
                "{} {} {} {entity}{person}",
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.action,
                e.entity_type
            )
        })
        .collect();
    (!evidence.is_empty()).then(|| {
        let mut hit = Hit::new(
            format!(
                "The client created or changed access {} time(s) since {}{}.",
                evidence.len(),
                trail.since.date_naive(),
                if by_itself {
                    ""
                } else {
                    ", each time on behalf of a person"
                }
            ),
            bounded(evidence),
        );
        if !by_itself {
            hit.severity = Some(Severity::High);
        }
        hit
    })
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::Trail;

    /// An event of the client's own token: no person behind it.
    fn by_itself(mut e: crate::audit::snapshot::AuditEvent) -> crate::audit::snapshot::AuditEvent {
        e.user = None;
        e
    }

    #[test]
    fn flags_a_client_that_created_another_client() {
        let s = with_trail(vec![
            by_itself(event(
                "e1",
                "2026-10-30T09:00:00Z",
                Some("c1"),
                "Create",
                "OAuthClient",
                "c9",
            )),
            event(
                "e2",
                "2026-10-29T09:00:00Z",
                Some("c2"),
                "Update",
                "Role",
                "r1",
            ),
            event(
                "e3",
                "2026-10-28T09:00:00Z",
                Some("c1"),
                "View",
                "Role",
                "r1",
            ),
        ]);
        let hit = run_with(&RULE, &s, &policy(), &client("CLIENT-CREDENTIALS")).unwrap();
        assert_eq!(
            hit.evidence,
            vec!["2026-10-30T09:00:00Z Create OAuthClient 'Entity c9' (c9)"]
        );
        assert_eq!(hit.severity, None, "its own token: the rule's CRITICAL");
    }

    #[test]
    fn flags_a_client_that_gave_a_partner_org_access() {
        let s = with_trail(vec![event(
            "e1",
            "2026-10-30T09:00:00Z",
            Some("c1"),
            "Create",
            "OrganizationAuthorizationTrust",
            "partner-org",
        )]);
        let hit = run_with(&RULE, &s, &policy(), &client("CLIENT-CREDENTIALS")).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "2026-10-30T09:00:00Z Create OrganizationAuthorizationTrust 'Entity partner-org' (partner-org) by 'Ann Admin' (u1)"
            ]
        );
        assert_eq!(
            hit.severity,
            Some(Severity::High),
            "a person acting through the client: HIGH, naming them"
        );
    }

    #[test]
    fn silent_without_actions_and_when_the_trail_is_unknown() {
        let mut s = with_trail(vec![event(
            "e1",
            "2026-10-30T09:00:00Z",
            Some("other"),
            "Create",
            "OAuthClient",
            "c9",
        )]);
        assert_eq!(run_with(&RULE, &s, &policy(), &client("CODE")), None);
        s.trail = Trail::Unknown;
        assert_eq!(run_with(&RULE, &s, &policy(), &client("CODE")), None);
    }

    #[test]
    fn the_severity_text_names_the_lower_severity_of_a_person_acting_through_it() {
        let text = RULE.meta.default_severity_text();
        assert!(text.contains(Severity::High.as_str()), "{text}");
        assert!(text.contains(Severity::Critical.as_str()), "{text}");
    }
}
