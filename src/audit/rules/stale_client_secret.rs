//! `stale-client-secret`: a client-credentials or code-grant client whose secret is older than
//! the policy's `max_secret_age`. Genesys returns no "secret rotated" date: the age runs from the
//! newest secret regeneration in the audit trail, else from the client's creation.
//!
//! Which action the trail records for `POST /api/v2/oauth/clients/{id}/secret` is not
//! documented (the audit action enum has both `Rotate` and `Reset`), so both count.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Context, Fix, Hit, OAUTH_CLIENT, Rule, RuleMeta, Severity, describe_named};
use crate::audit::snapshot::{AuditEvent, Client, GrantType, Trail};

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "stale-client-secret",
        default_severity: Severity::Medium,
        title: "Client secret not regenerated within the policy's maximum age",
        description: "The secret of a client-credentials or code-grant client is older than the policy's max_secret_age (default 365 days). Its age runs from the newest secret regeneration in the audit trail (an OAuthClient event with action Rotate or Reset: which one Genesys records is undocumented, so both count), else from the client's dateCreated; where the trail does not reach back to the creation, the secret is at least as old as the trail window and the creation date bounds it.",
        remediation: "Regenerate the secret (Admin > Integrations > OAuth > the client > Client Details > Reset, or POST /api/v2/oauth/clients/{id}/secret), store the new one in the integration's secret store, and confirm the integration authenticates with it: the old secret stops working at once.",
        severity_text: None,
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

/// Whether a trail action is a secret regeneration.
fn is_regeneration(action: &str) -> bool {
    action.eq_ignore_ascii_case("Rotate") || action.eq_ignore_ascii_case("Reset")
}

fn day(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn who(e: &AuditEvent) -> String {
    match (&e.user, &e.client_id) {
        (Some(user), _) => describe_named(user),
        (None, Some(client)) => format!("OAuth client {client}"),
        (None, None) => "someone unnamed".into(),
    }
}

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    if !matches!(
        client.grant_type,
        GrantType::ClientCredentials | GrantType::Code
    ) {
        return None;
    }
    let now = ctx.snapshot.collected_at;
    let max = ctx.policy.thresholds.max_secret_age;
    let max_days = max.as_secs() / 86_400;
    let too_old = |since: DateTime<Utc>| {
        (now - since)
            .to_std()
            .is_ok_and(|age| age > max)
            .then(|| (now - since).num_days())
    };
    let trail = match &ctx.snapshot.trail {
        Trail::Known(trail) => Some(trail),
        Trail::Unknown => None,
    };
    let regenerated = trail.and_then(|t| {
        t.about(OAUTH_CLIENT, &client.id)
            .find(|e| is_regeneration(&e.action))
    });
    // Evidence names dates and ids only (no day counts, no trail start): it stays the same from
    // one audit to the next, so the finding keeps its identity; the detail says the ages.
    if let Some(e) = regenerated {
        let days = too_old(e.at)?;
        let id = e.id.as_deref().unwrap_or("without id");
        return Some(Hit::new(
            format!(
                "Secret last regenerated {days} days ago, on {} (policy maximum {max_days} days).",
                e.at.date_naive()
            ),
            vec![format!(
                "secret regenerated {} by {} (trail event {id}, action {})",
                day(e.at),
                who(e),
                e.action
            )],
        ));
    }
    let created = client.date_created?;
    let days = too_old(created)?;
    let created_line = format!("dateCreated {}", day(created));
    let (detail, seen) = match trail {
        None => (
            format!(
                "Secret up to {days} days old: the client was created on {}, and the audit trail could not be read, so a later regeneration would not be seen (policy maximum {max_days} days).",
                created.date_naive()
            ),
            "audit trail unreadable: secret regenerations not seen",
        ),
        Some(t) if t.since <= created => (
            format!(
                "Secret {days} days old: created on {} and never regenerated since (policy maximum {max_days} days).",
                created.date_naive()
            ),
            "no secret regeneration (Rotate or Reset) in the audit trail since the client's creation",
        ),
        Some(t) => (
            format!(
                "Secret at least {} days old (the audit trail reaches back to {} and shows no regeneration), and {days} days old if it was never regenerated since the client's creation on {} (policy maximum {max_days} days).",
                (now - t.since).num_days(),
                t.since.date_naive(),
                created.date_naive()
            ),
            "no secret regeneration (Rotate or Reset) in the audit trail window, which does not reach back to the creation",
        ),
    };
    // The creation date is what the finding is about; whether the trail could be read that day
    // changes the evidence, not the finding.
    Some(
        Hit::new(detail, vec![created_line.clone(), seen.to_string()])
            .identified_by(vec![created_line]),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::audit::snapshot::KnownTrail;
    use chrono::TimeZone;

    fn regenerated(id: &str, at: &str, action: &str) -> AuditEvent {
        event(id, at, None, action, "OAuthClient", "c1")
    }

    #[test]
    fn an_old_client_never_regenerated_is_flagged_from_its_creation_date() {
        // Created 2024-01-01; the trail window starts 2026-08-03: the age is bounded, not known.
        let hit = run(&RULE, &client("CLIENT-CREDENTIALS")).expect("over 365 days old");
        assert_eq!(
            hit.evidence,
            vec![
                "dateCreated 2024-01-01T00:00:00Z",
                "no secret regeneration (Rotate or Reset) in the audit trail window, which does not reach back to the creation",
            ]
        );
        assert!(
            hit.detail.starts_with("Secret at least 90 days old")
                && hit
                    .detail
                    .contains("1035 days old if it was never regenerated")
                && hit.detail.contains("policy maximum 365 days"),
            "{}",
            hit.detail
        );
    }

    #[test]
    fn a_trail_reaching_the_creation_gives_the_exact_age() {
        let mut s = with_trail(vec![]);
        s.trail = Trail::Known(KnownTrail::new(
            Utc.with_ymd_and_hms(2023, 6, 1, 0, 0, 0).unwrap(),
            vec![],
        ));
        let hit = run_with(&RULE, &s, &policy(), &client("CODE")).unwrap();
        assert!(
            hit.detail.starts_with("Secret 1035 days old"),
            "{}",
            hit.detail
        );
        assert!(hit.evidence[1].contains("since the client's creation"));
    }

    #[test]
    fn the_newest_regeneration_counts_with_either_action_and_names_the_event() {
        let c = client("CLIENT-CREDENTIALS");
        for action in ["Rotate", "Reset"] {
            let s = with_trail(vec![regenerated("r1", "2026-09-01T10:00:00Z", action)]);
            assert_eq!(run_with(&RULE, &s, &policy(), &c), None, "{action}");
        }
        // A 30-day maximum: the newest regeneration (2026-09-01) is 61 days old.
        let mut p = policy();
        p.thresholds.max_secret_age = std::time::Duration::from_secs(30 * 86_400);
        let s = with_trail(vec![
            regenerated("old", "2026-08-10T10:00:00Z", "Reset"),
            regenerated("new", "2026-09-01T10:00:00Z", "Rotate"),
            event(
                "other",
                "2026-10-01T10:00:00Z",
                None,
                "Rotate",
                "OAuthClient",
                "c2",
            ),
            event(
                "upd",
                "2026-10-02T10:00:00Z",
                None,
                "Update",
                "OAuthClient",
                "c1",
            ),
        ]);
        let hit = run_with(&RULE, &s, &p, &c).unwrap();
        assert_eq!(
            hit.evidence,
            vec![
                "secret regenerated 2026-09-01T10:00:00Z by 'Ann Admin' (u1) (trail event new, action Rotate)"
            ]
        );
        assert!(hit.detail.contains("61 days ago"), "{}", hit.detail);
        assert!(
            hit.detail.contains("policy maximum 30 days"),
            "{}",
            hit.detail
        );
    }

    #[test]
    fn an_unknown_trail_falls_back_to_the_creation_date_and_says_so() {
        let mut s = snapshot();
        s.trail = Trail::Unknown;
        let hit = run_with(&RULE, &s, &policy(), &client("CLIENT-CREDENTIALS")).unwrap();
        assert_eq!(hit.evidence[0], "dateCreated 2024-01-01T00:00:00Z");
        assert!(hit.evidence[1].contains("audit trail unreadable"));
        assert!(hit.detail.contains("could not be read"), "{}", hit.detail);
        // One audit whose trail could not be read is the same finding, not a new one.
        let known = run(&RULE, &client("CLIENT-CREDENTIALS")).unwrap();
        assert_ne!(known.evidence, hit.evidence);
        assert_eq!(known.identity, hit.identity);
        assert_eq!(
            hit.identity,
            Some(vec!["dateCreated 2024-01-01T00:00:00Z".to_string()])
        );
    }

    #[test]
    fn young_secrets_secretless_grants_and_unknown_creation_dates_pass() {
        let mut young = client("CLIENT-CREDENTIALS");
        young.date_created = Some(Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap());
        assert_eq!(run(&RULE, &young), None);
        for grant in ["TOKEN", "PASSWORD", "SAML2-BEARER", "SOMETHING-NEW"] {
            assert_eq!(run(&RULE, &client(grant)), None, "{grant}");
        }
        let mut undated = client("CODE");
        undated.date_created = None;
        assert_eq!(run(&RULE, &undated), None);
    }

    #[test]
    fn the_evidence_stays_the_same_as_days_pass() {
        let c = client("CLIENT-CREDENTIALS");
        let mut later = snapshot();
        later.collected_at += chrono::Duration::days(10);
        let later_trail =
            KnownTrail::new(Utc.with_ymd_and_hms(2026, 8, 13, 12, 0, 0).unwrap(), vec![]);
        later.trail = Trail::Known(later_trail);
        let now = run(&RULE, &c).unwrap();
        let then = run_with(&RULE, &later, &policy(), &c).unwrap();
        assert_eq!(now.evidence, then.evidence, "the fingerprint must not move");
        assert_ne!(now.detail, then.detail, "the detail says today's age");
    }
}
