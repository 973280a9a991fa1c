//! Findings new, resolved and unchanged between two reports, matched by fingerprint: the
//! clients' findings and the org-level ones (`scope: organization`, named by the org). A client
//! whose record did not parse in the later audit was not judged: its earlier findings are
//! `unknown` (neither resolved nor unchanged), since nothing says whether they still hold.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::report::{Finding, Report};
use super::severity::Severity;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffEntry {
    pub fingerprint: String,
    pub client_id: String,
    pub client_name: String,
    pub rule_id: String,
    pub severity: Severity,
    pub suppressed: bool,
    pub evidence: Vec<String>,
    /// `organization` for an org-level finding (its `client_id` and `client_name` are the
    /// org's); absent for a client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffCounts {
    pub new: usize,
    pub resolved: usize,
    pub unchanged: usize,
    /// Earlier findings of clients unreadable in the later audit.
    pub unknown: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub audit_id: String,
    pub against: String,
    pub counts: DiffCounts,
    pub new: Vec<DiffEntry>,
    pub resolved: Vec<DiffEntry>,
    pub unchanged: Vec<DiffEntry>,
    pub unknown: Vec<DiffEntry>,
}

fn entry(id: &str, name: &str, f: &Finding, scope: Option<&'static str>) -> DiffEntry {
    DiffEntry {
        fingerprint: f.fingerprint.clone(),
        client_id: id.to_string(),
        client_name: name.to_string(),
        rule_id: f.rule_id.to_string(),
        severity: f.severity,
        suppressed: f.suppressed,
        evidence: f.evidence.clone(),
        scope,
    }
}

fn entries(report: &Report) -> BTreeMap<&str, DiffEntry> {
    let (org_id, org_name) = report
        .organization
        .as_ref()
        .map_or(("organization", "the organization"), |o| {
            (o.id.as_str(), o.name.as_str())
        });
    let clients = report
        .clients
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f: &Finding| (c, f)))
        .map(|(c, f)| {
            (
                f.fingerprint.as_str(),
                entry(&c.client_id, &c.client_name, f, None),
            )
        });
    let org = report.organization_findings.iter().map(|f| {
        (
            f.fingerprint.as_str(),
            entry(org_id, org_name, f, Some("organization")),
        )
    });
    let apps = report.third_party_apps.iter().flat_map(|a| {
        a.findings.iter().map(move |f| {
            (
                f.fingerprint.as_str(),
                entry(&a.client_id, &a.client_name, f, Some("third_party_app")),
            )
        })
    });
    clients.chain(org).chain(apps).collect()
}

/// The ids of the clients `report` could not read (and so did not judge).
pub fn unreadable_ids(report: &Report) -> BTreeSet<&str> {
    report
        .clients
        .iter()
        .filter(|c| c.unreadable.is_some())
        .map(|c| c.client_id.as_str())
        .collect()
}

/// What changed from `before` to `after`.
pub fn diff(after: &Report, before: &Report) -> Diff {
    let now = entries(after);
    let then = entries(before);
    let unreadable = unreadable_ids(after);
    let new: Vec<DiffEntry> = now
        .iter()
        .filter(|(k, _)| !then.contains_key(*k))
        .map(|(_, e)| e.clone())
        .collect();
    let (unknown, resolved): (Vec<DiffEntry>, Vec<DiffEntry>) = then
        .iter()
        .filter(|(k, _)| !now.contains_key(*k))
        .map(|(_, e)| e.clone())
        .partition(|e| unreadable.contains(e.client_id.as_str()));
    let unchanged: Vec<DiffEntry> = now
        .iter()
        .filter(|(k, _)| then.contains_key(*k))
        .map(|(_, e)| e.clone())
        .collect();
    Diff {
        audit_id: after.audit_id.clone(),
        against: before.audit_id.clone(),
        counts: DiffCounts {
            new: new.len(),
            resolved: resolved.len(),
            unchanged: unchanged.len(),
            unknown: unknown.len(),
        },
        new,
        resolved,
        unchanged,
        unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::rules::testkit::{client, judged_at_collection, policy, snapshot};

    /// Two implicit-grant clients (a deprecated grant: at least one finding each).
    fn two_clients() -> Report {
        let mut s = snapshot();
        let mut second = client("TOKEN");
        second.id = "c2".into();
        s.clients = vec![client("TOKEN"), second];
        judged_at_collection(s, &policy(), "a1")
    }

    #[test]
    fn findings_of_a_client_unreadable_now_are_unknown_not_resolved() {
        let before = two_clients();
        let mut after = before.clone();
        after.audit_id = "a2".into();
        let (c1, c2) = (&before.clients[0], &before.clients[1]);
        assert!(!c1.findings.is_empty() && !c2.findings.is_empty());
        // c1 is fixed (its findings go), c2's record no longer parses.
        after.clients[0].findings.clear();
        after.clients[1].findings.clear();
        after.clients[1].unreadable = Some("the record is not an object".into());
        let d = diff(&after, &before);
        assert_eq!(d.counts.resolved, c1.findings.len());
        assert!(d.resolved.iter().all(|e| e.client_id == "c1"));
        assert_eq!(d.counts.unknown, c2.findings.len());
        assert!(d.unknown.iter().all(|e| e.client_id == "c2"));
        assert_eq!((d.counts.new, d.counts.unchanged), (0, 0));
    }

    fn report(id: &str, allowlist: Option<Vec<String>>) -> Report {
        let mut s = snapshot();
        s.clients = vec![client("CODE")];
        s.ip_allowlist = allowlist;
        judged_at_collection(s, &policy(), id)
    }

    #[test]
    fn an_org_level_finding_is_new_resolved_or_unchanged_like_a_clients() {
        let open = report("a", Some(vec![]));
        let closed = report("b", Some(vec!["203.0.113.0/24".into()]));
        let org = |entries: &[DiffEntry]| {
            entries
                .iter()
                .filter(|e| e.scope == Some("organization"))
                .map(|e| (e.rule_id.clone(), e.client_id.clone()))
                .collect::<Vec<_>>()
        };
        let opened = diff(&open, &closed);
        assert_eq!(
            org(&opened.new),
            [(
                "org-no-ip-allowlist".to_string(),
                "organization".to_string()
            )]
        );
        assert!(org(&opened.resolved).is_empty());
        let fixed = diff(&closed, &open);
        assert_eq!(org(&fixed.resolved).len(), 1);
        assert_eq!(fixed.resolved[0].client_name, "the organization");
        let same = diff(&open, &report("c", Some(vec![])));
        assert_eq!(org(&same.unchanged).len(), 1);
        assert!(org(&same.new).is_empty());
        let json = serde_json::to_value(&same.unchanged).unwrap();
        let scopes: Vec<&serde_json::Value> = json
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.get("scope"))
            .collect();
        assert_eq!(
            scopes,
            [&serde_json::json!("organization")],
            "absent for clients"
        );
    }
}
