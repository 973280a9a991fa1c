//! The audit history: this replica's running audit in memory, finished audits in the database.
//! A finished audit the database could not take waits in memory and is written when it returns.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::report::Report;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError, StoredAudit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Running,
    Success,
    Failure,
}

/// One audit as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub total_clients: Option<i64>,
    pub high_risk_count: Option<i64>,
    pub findings: Option<i64>,
    pub new_findings: Option<i64>,
    pub resolved_findings: Option<i64>,
    pub policy_sha256: Option<String>,
    /// False while the database has not taken it yet.
    pub stored: bool,
}

impl AuditRecord {
    fn from_stored(a: StoredAudit, stored: bool) -> AuditRecord {
        AuditRecord {
            audit_id: a.audit_id,
            started_at: a.started_at,
            finished_at: Some(a.finished_at),
            outcome: a.outcome,
            error: a.error,
            total_clients: a.total_clients,
            high_risk_count: a.high_risk_count,
            findings: a.findings,
            new_findings: a.new_findings,
            resolved_findings: a.resolved_findings,
            policy_sha256: a.policy_sha256,
            stored,
        }
    }
}

/// A finished audit waiting for the database, with its report JSON (shared with the cache).
type Pending = (StoredAudit, Option<Bytes>);

/// The JSON as text for the database (it is always UTF-8: serde_json wrote it).
fn text(json: &Option<Bytes>) -> Option<&str> {
    json.as_deref().and_then(|b| std::str::from_utf8(b).ok())
}

pub struct History {
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    running: Mutex<Option<AuditRecord>>,
    pending: Mutex<Vec<Pending>>,
}

impl History {
    pub fn new(store: Arc<Store>, metrics: Arc<Metrics>) -> History {
        History {
            store,
            metrics,
            running: Mutex::new(None),
            pending: Mutex::new(Vec::new()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn start(&self, audit_id: &str, started_at: DateTime<Utc>) {
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(AuditRecord {
            audit_id: audit_id.to_string(),
            started_at,
            finished_at: None,
            outcome: Outcome::Running,
            error: None,
            total_clients: None,
            high_risk_count: None,
            findings: None,
            new_findings: None,
            resolved_findings: None,
            policy_sha256: None,
            stored: false,
        });
    }

    /// Forgets the running audit (it was abandoned).
    pub fn abandon(&self, audit_id: &str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.as_ref().is_some_and(|r| r.audit_id == audit_id) {
            *running = None;
        }
    }

    /// Records a finished audit; true when the database has it now.
    pub async fn finish(&self, audit: StoredAudit, report_json: Option<Bytes>) -> bool {
        self.abandon(&audit.audit_id);
        let stored = match self.store.save(&audit, text(&report_json)).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(audit_id = audit.audit_id, error = %e, "cannot store the audit; keeping it in memory until the database returns");
                self.metrics.store_error("save");
                self.pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((audit, report_json));
                false
            }
        };
        self.metrics.set_pending_writes(self.pending_count());
        stored
    }

    pub fn pending_count(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Writes what waited for the database; returns how many are still waiting.
    pub async fn flush_pending(&self) -> usize {
        let waiting: Vec<Pending> =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let mut failed = Vec::new();
        for (audit, json) in waiting {
            if let Err(e) = self.store.save(&audit, text(&json)).await {
                tracing::warn!(audit_id = audit.audit_id, error = %e, "database still unavailable");
                self.metrics.store_error("save");
                failed.push((audit, json));
            } else {
                tracing::info!(
                    audit_id = audit.audit_id,
                    "stored an audit that waited for the database"
                );
            }
        }
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        failed.append(&mut pending);
        *pending = failed;
        let left = pending.len();
        self.metrics.set_pending_writes(left);
        left
    }

    fn local(&self, audit_id: &str) -> Option<(AuditRecord, Option<String>)> {
        if let Some(r) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && r.audit_id == audit_id
        {
            return Some((r.clone(), None));
        }
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(a, _)| a.audit_id == audit_id)
            .map(|(a, json)| {
                let json = text(json).map(str::to_string);
                (AuditRecord::from_stored(a.clone(), false), json)
            })
    }

    pub async fn get(&self, audit_id: &str) -> Result<Option<AuditRecord>, StoreError> {
        if let Some((record, _)) = self.local(audit_id) {
            return Ok(Some(record));
        }
        Ok(self
            .store
            .get(audit_id)
            .await?
            .map(|a| AuditRecord::from_stored(a, true)))
    }

    /// The report JSON of a successful audit.
    pub async fn report_json(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        if let Some((_, json)) = self.local(audit_id) {
            return Ok(json);
        }
        self.store.report_json(audit_id).await
    }

    pub async fn report(&self, audit_id: &str) -> Result<Option<Report>, StoreError> {
        match self.report_json(audit_id).await? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(audit_id.to_string(), e.to_string())),
        }
    }

    /// Newest first; this replica's running audit and unstored audits lead the first page.
    /// `None` when `before` is no known audit.
    pub async fn page(
        &self,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Option<Vec<AuditRecord>>, StoreError> {
        let mut records = Vec::new();
        if before.is_none() {
            if let Some(r) = self
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
            {
                records.push(r);
            }
            let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            records.extend(
                pending
                    .iter()
                    .rev()
                    .map(|(a, _)| AuditRecord::from_stored(a.clone(), false)),
            );
        }
        let Some(stored) = self.store.list(limit, before).await? else {
            return Ok(None);
        };
        records.extend(
            stored
                .into_iter()
                .map(|a| AuditRecord::from_stored(a, true)),
        );
        records.truncate(limit);
        Ok(Some(records))
    }

    pub async fn previous_success(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        self.store.previous_success(audit_id).await
    }

    /// `(finished_at, total clients, high-risk clients)` of recent successful audits, oldest
    /// first, for the report page's chart.
    pub async fn trend(&self, audits: usize) -> Vec<(DateTime<Utc>, i64, i64)> {
        let recent = match self.store.list(audits, None).await {
            Ok(Some(list)) => list,
            _ => return Vec::new(),
        };
        let mut points: Vec<_> = recent
            .into_iter()
            .filter(|a| a.outcome == Outcome::Success)
            .map(|a| {
                (
                    a.finished_at,
                    a.total_clients.unwrap_or(0),
                    a.high_risk_count.unwrap_or(0),
                )
            })
            .collect();
        points.reverse();
        points
    }
}
