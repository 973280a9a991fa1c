//! Findings new, resolved and unchanged between two reports, matched by fingerprint. A client
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

fn entries(report: &Report) -> BTreeMap<&str, DiffEntry> {
    report
        .clients
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f: &Finding| (c, f)))
        .map(|(c, f)| {
            (
                f.fingerprint.as_str(),
                DiffEntry {
                    fingerprint: f.fingerprint.clone(),
                    client_id: c.client_id.clone(),
                    client_name: c.client_name.clone(),
                    rule_id: f.rule_id.to_string(),
                    severity: f.severity,
                    suppressed: f.suppressed,
                    evidence: f.evidence.clone(),
                },
            )
        })
        .collect()
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
    use crate::audit::AuditRun;
    use crate::audit::rules::testkit::{client, policy, snapshot};

    /// Two implicit-grant clients (a deprecated grant: at least one finding each).
    fn two_clients() -> Report {
        let mut s = snapshot();
        let mut second = client("TOKEN");
        second.id = "c2".into();
        s.clients = vec![client("TOKEN"), second];
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "a1".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        crate::audit::judge(s, &policy(), &run)
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
}
