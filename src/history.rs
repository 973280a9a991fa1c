//! The audit history: every audit's outcome, timings and counts, newest first, and the reports
//! of the recent successful ones. Kept in memory (bounded); the database keeps it across restarts.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Running,
    Success,
    Failure,
}

/// One audit as the history lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub total_clients: Option<u64>,
    pub high_risk_count: Option<u64>,
    pub findings: Option<u64>,
    pub policy_sha256: Option<String>,
    #[serde(skip)]
    pub report: Option<Arc<Report>>,
}

pub struct History {
    records: RwLock<VecDeque<AuditRecord>>,
    max_records: usize,
    max_reports: usize,
}

impl History {
    pub fn new(max_records: usize, max_reports: usize) -> History {
        History {
            records: RwLock::new(VecDeque::new()),
            max_records,
            max_reports,
        }
    }

    pub fn start(&self, audit_id: &str, started_at: DateTime<Utc>) {
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        records.push_front(AuditRecord {
            audit_id: audit_id.to_string(),
            started_at,
            finished_at: None,
            outcome: Outcome::Running,
            error: None,
            total_clients: None,
            high_risk_count: None,
            findings: None,
            policy_sha256: None,
            report: None,
        });
        records.truncate(self.max_records);
    }

    pub fn finish(
        &self,
        audit_id: &str,
        finished_at: DateTime<Utc>,
        result: Result<Arc<Report>, String>,
    ) {
        let mut records = self.records.write().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = records.iter_mut().find(|r| r.audit_id == audit_id) {
            r.finished_at = Some(finished_at);
            match result {
                Ok(report) => {
                    r.outcome = Outcome::Success;
                    r.total_clients = Some(report.summary.total_clients);
                    r.high_risk_count = Some(report.summary.high_risk_count);
                    r.findings = Some(report.summary.findings_by_rule.values().sum());
                    r.policy_sha256 = Some(report.policy.sha256.clone());
                    r.report = Some(report);
                }
                Err(error) => {
                    r.outcome = Outcome::Failure;
                    r.error = Some(error);
                }
            }
        }
        // Only the newest reports stay in memory; older records keep their counts.
        let mut kept = 0;
        for r in records.iter_mut() {
            if r.report.is_some() {
                kept += 1;
                if kept > self.max_reports {
                    r.report = None;
                }
            }
        }
    }

    pub fn get(&self, audit_id: &str) -> Option<AuditRecord> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        records.iter().find(|r| r.audit_id == audit_id).cloned()
    }

    /// Newest first, at most `limit`, strictly older than the audit `before` when given.
    pub fn page(&self, limit: usize, before: Option<&str>) -> Option<Vec<AuditRecord>> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        let start = match before {
            Some(id) => records.iter().position(|r| r.audit_id == id)? + 1,
            None => 0,
        };
        Some(records.iter().skip(start).take(limit).cloned().collect())
    }

    /// The newest successful audit older than `audit_id`, with its report.
    pub fn previous_success(&self, audit_id: &str) -> Option<AuditRecord> {
        let records = self.records.read().unwrap_or_else(|e| e.into_inner());
        let at = records.iter().position(|r| r.audit_id == audit_id)?;
        records
            .iter()
            .skip(at + 1)
            .find(|r| r.outcome == Outcome::Success)
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_newest_first_and_forgets_old_reports() {
        let h = History::new(10, 1);
        for i in 0..4 {
            h.start(&format!("a{i}"), Utc::now());
        }
        h.finish("a3", Utc::now(), Err("boom".into()));
        let page = h.page(2, None).unwrap();
        assert_eq!(
            page.iter().map(|r| r.audit_id.as_str()).collect::<Vec<_>>(),
            ["a3", "a2"]
        );
        let next = h.page(2, Some("a2")).unwrap();
        assert_eq!(
            next.iter().map(|r| r.audit_id.as_str()).collect::<Vec<_>>(),
            ["a1", "a0"]
        );
        assert!(h.page(2, Some("nope")).is_none());
        assert_eq!(h.get("a3").unwrap().outcome, Outcome::Failure);
    }
}
