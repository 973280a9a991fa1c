//! `usage-anomaly`: a client's recent calls (default the last 7 days) do not look like its
//! baseline (the 90 days before): endpoints it never called, writes where it only read, a burst
//! of refused or throttled calls, or calls from another org. A stolen client secret shows this
//! way. A client with too few baseline days is only judged for probing and other orgs.

use std::collections::BTreeMap;

use super::{Context, Fix, Hit, Rule, RuleMeta, Severity, bounded};
use crate::audit::anomaly::{Anomaly, Kind, Window, detect};
use crate::audit::snapshot::Client;
use crate::audit::usage_days::OtherOrgCall;

pub(super) const RULE: Rule = Rule {
    meta: RuleMeta {
        id: "usage-anomaly",
        default_severity: Severity::High,
        title: "Client's recent usage departs from its baseline",
        description: "Compared with its baseline (the 90 days before the last 7, by default), the client recently called endpoints it never called, wrote where it only read, had a burst of refused or throttled calls (4xx, 429: probing), or was called from another org. A leaked client secret looks like this.",
        remediation: "Check with the client's owner whether the named calls were theirs. If not, regenerate the client's secret at once (Admin > Integrations > OAuth > the client > Regenerate secret, or POST /api/v2/oauth/clients/{clientId}/secret), review what the calls changed in the audit trail, and narrow the client's roles and scopes.",
        severity_text: Some(
            "HIGH (writes, access endpoints, other orgs), MEDIUM (new reads, probing)",
        ),
        windowed: false,
        fix: Fix::Manual,
    },
    check,
};

fn check(ctx: &Context, client: &Client) -> Option<Hit> {
    let t = &ctx.policy.usage_anomaly;
    let mut found = Vec::new();
    if let Some(days) = &ctx.snapshot.usage_days {
        found = detect(days.of(&client.id), days, &Window::new(ctx.today, t), t);
    }
    if let Some(calls) = ctx
        .snapshot
        .other_org_calls
        .as_ref()
        .and_then(|by_client| by_client.get(&client.id))
    {
        found.extend(from_other_orgs(calls));
    }
    let severity = found.iter().map(|a| a.severity).max()?;
    let count = |kind| found.iter().filter(|a| a.kind == kind).count();
    let parts: Vec<String> = [
        (Kind::NewEndpoint, "new endpoints"),
        (Kind::WriteFromReadOnly, "writes from a read-only client"),
        (Kind::Probing, "bursts of refused calls"),
        (Kind::OtherOrg, "endpoints called from other orgs"),
    ]
    .into_iter()
    .filter(|(kind, _)| count(*kind) > 0)
    .map(|(kind, name)| format!("{} {name}", count(kind)))
    .collect();
    found.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.kind.cmp(&b.kind)));
    Some(Hit {
        severity: Some(severity),
        detail: format!(
            "In the last {} days compared with the {} days before: {}.",
            t.recent_days,
            t.baseline_days,
            parts.join(", ")
        ),
        evidence: bounded(found.iter().map(|a| a.describe(t)).collect()),
        // Days and counts move every day; the anomalies are the same while their kinds and
        // endpoints are, so the finding keeps its first_seen.
        identity: Some(identity(&found)),
    })
}

/// What the finding is: its anomalies' kinds and endpoints, sorted and once each (the order
/// rows arrived in and the daily counts do not change it). Probing names no endpoint: the one
/// with the most refusals moves from day to day.
fn identity(found: &[Anomaly]) -> Vec<String> {
    let keys: std::collections::BTreeSet<String> = found
        .iter()
        .map(|a| match a.kind {
            Kind::Probing => format!("{:?}", a.kind),
            Kind::OtherOrg => format!(
                "{:?} {} {}",
                a.kind,
                a.organization.as_deref().unwrap_or_default(),
                a.endpoint
            ),
            _ => format!("{:?} {}", a.kind, a.endpoint),
        })
        .collect();
    keys.into_iter().collect()
}

/// One anomaly per calling org and endpoint, with its days and requests: always HIGH.
fn from_other_orgs(calls: &[OtherOrgCall]) -> Vec<Anomaly> {
    let mut grouped: BTreeMap<(&str, String), Anomaly> = BTreeMap::new();
    for call in calls {
        let endpoint = format!("{} {}", call.method, call.template);
        let a = grouped
            .entry((call.organization_id.as_str(), endpoint.clone()))
            .or_insert_with(|| Anomaly {
                kind: Kind::OtherOrg,
                severity: Severity::High,
                endpoint,
                days: Vec::new(),
                requests: 0,
                errors: 0,
                organization: Some(call.organization_id.clone()),
            });
        if !a.days.contains(&call.day) {
            a.days.push(call.day);
        }
        a.requests = a.requests.saturating_add(call.requests);
    }
    grouped
        .into_values()
        .map(|mut a| {
            a.days.sort();
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use chrono::NaiveDate;

    use super::super::testkit::*;
    use super::*;
    use crate::audit::usage_days::UsageDays;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    /// The testkit's snapshot is collected on 2026-11-01: the recent days are 10-25..10-31.
    fn judged(
        extra: &[(&str, &str, &str, u64, u64)],
        others: Option<Vec<OtherOrgCall>>,
    ) -> Option<Hit> {
        let mut days = UsageDays::default();
        for d in ["2026-08-10", "2026-09-01", "2026-10-01", "2026-10-20"] {
            days.add("c1", "GET", "api/v2/users", date(d), 50, 0);
        }
        for (method, template, day, requests, errors) in extra {
            days.add("c1", method, template, date(day), *requests, *errors);
        }
        days.finish();
        let mut s = snapshot();
        s.usage_days = Some(Arc::new(days));
        s.other_org_calls = others.map(|calls| BTreeMap::from([("c1".to_string(), calls)]));
        run_with(&RULE, &s, &policy(), &client("CLIENT-CREDENTIALS"))
    }

    #[test]
    fn a_client_calling_as_it_always_did_raises_nothing() {
        assert_eq!(
            judged(&[("GET", "api/v2/users", "2026-10-30", 60, 1)], None),
            None
        );
        assert_eq!(judged(&[], Some(vec![])), None);
    }

    #[test]
    fn a_new_read_endpoint_alone_is_medium_and_names_the_endpoint_days_and_counts() {
        let hit = judged(
            &[("GET", "api/v2/routing/queues", "2026-10-30", 12, 0)],
            None,
        )
        .unwrap();
        assert_eq!(hit.severity, Some(Severity::Medium));
        assert!(hit.detail.contains("1 new endpoints"), "{}", hit.detail);
        assert_eq!(
            hit.evidence,
            vec![
                "[MEDIUM] new endpoint GET api/v2/routing/queues: 12 requests on 2026-10-30, never called in the 90 baseline days"
            ]
        );
    }

    #[test]
    fn the_finding_is_the_same_whatever_the_counts_and_the_order_rows_arrived_in() {
        let a = judged(
            &[
                ("GET", "api/v2/routing/queues", "2026-10-30", 12, 0),
                ("GET", "api/v2/groups", "2026-10-31", 5, 0),
            ],
            None,
        )
        .unwrap();
        // Another day: other counts, the rows in the other order (other intern ids).
        let b = judged(
            &[
                ("GET", "api/v2/groups", "2026-10-29", 40, 0),
                ("GET", "api/v2/routing/queues", "2026-10-31", 3, 0),
            ],
            None,
        )
        .unwrap();
        assert_ne!(a.evidence, b.evidence);
        assert_eq!(a.identity, b.identity);
        assert_eq!(
            a.identity,
            Some(vec![
                "NewEndpoint GET api/v2/groups".to_string(),
                "NewEndpoint GET api/v2/routing/queues".to_string(),
            ])
        );
    }

    #[test]
    fn a_write_from_a_read_only_client_makes_the_finding_high_and_comes_first() {
        let hit = judged(
            &[
                ("GET", "api/v2/routing/queues", "2026-10-30", 12, 0),
                ("POST", "api/v2/oauth/clients", "2026-10-31", 3, 0),
            ],
            None,
        )
        .unwrap();
        assert_eq!(hit.severity, Some(Severity::High));
        assert!(
            hit.evidence[0]
                .starts_with("[HIGH] write POST api/v2/oauth/clients: 3 requests on 2026-10-31"),
            "{:?}",
            hit.evidence
        );
    }

    #[test]
    fn calls_from_another_org_are_high_grouped_by_org_and_endpoint() {
        let call = |day: &str, requests| OtherOrgCall {
            organization_id: "org-x".into(),
            method: "GET".into(),
            template: "api/v2/users".into(),
            day: date(day),
            requests,
        };
        let hit = judged(
            &[],
            Some(vec![call("2026-10-29", 4), call("2026-10-27", 6)]),
        )
        .unwrap();
        assert_eq!(hit.severity, Some(Severity::High));
        assert_eq!(
            hit.evidence,
            vec![
                "[HIGH] calls from another org org-x: GET api/v2/users: 10 requests on 2026-10-27, 2026-10-29"
            ]
        );
    }

    #[test]
    fn without_usage_nothing_is_judged() {
        let mut s = snapshot();
        s.usage_days = None;
        assert_eq!(run_with(&RULE, &s, &policy(), &client("CODE")), None);
    }
}
