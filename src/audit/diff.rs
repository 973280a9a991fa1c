//! Findings new, resolved and unchanged between two reports, matched by fingerprint.

use std::collections::BTreeMap;

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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub audit_id: String,
    pub against: String,
    pub counts: DiffCounts,
    pub new: Vec<DiffEntry>,
    pub resolved: Vec<DiffEntry>,
    pub unchanged: Vec<DiffEntry>,
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

/// What changed from `before` to `after`.
pub fn diff(after: &Report, before: &Report) -> Diff {
    let now = entries(after);
    let then = entries(before);
    let new: Vec<DiffEntry> = now
        .iter()
        .filter(|(k, _)| !then.contains_key(*k))
        .map(|(_, e)| e.clone())
        .collect();
    let resolved: Vec<DiffEntry> = then
        .iter()
        .filter(|(k, _)| !now.contains_key(*k))
        .map(|(_, e)| e.clone())
        .collect();
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
        },
        new,
        resolved,
        unchanged,
    }
}
