//! Finished audits on their way to the database. A write the database refuses waits here and
//! is retried; the wait is bounded (count and bytes), and what is dropped is counted and logged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::metrics::OrgMetrics;
use crate::store::{AuditRecord, Store};

/// How much may wait for the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxLimits {
    pub audits: usize,
    pub report_bytes: usize,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        OutboxLimits {
            audits: 32,
            report_bytes: 64 << 20,
        }
    }
}

/// A finished audit with its report, gzip-compressed as stored and served (shared with the
/// cache, not copied).
#[derive(Debug, Clone)]
pub struct Pending {
    pub record: AuditRecord,
    pub report_gzip: Option<Bytes>,
}

pub struct Outbox {
    store: Arc<Store>,
    metrics: Arc<OrgMetrics>,
    limits: OutboxLimits,
    waiting: Mutex<VecDeque<Pending>>,
}

impl Outbox {
    pub fn new(store: Arc<Store>, metrics: Arc<OrgMetrics>, limits: OutboxLimits) -> Outbox {
        Outbox {
            store,
            metrics,
            limits,
            waiting: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Pending>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes a finished audit now, or keeps it to retry. True when the database has it.
    pub async fn write(&self, record: AuditRecord, report_gzip: Option<Bytes>) -> bool {
        let stored = match self.store.save(&record, report_gzip.as_deref()).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(audit_id = record.audit_id, error = %e, "cannot store the audit; keeping it in memory until the database returns");
                self.metrics.store_error("save");
                self.keep(Pending {
                    record,
                    report_gzip,
                });
                false
            }
        };
        self.metrics.set_pending_writes(self.len());
        stored
    }

    /// Queues a write, dropping the oldest waiting audits beyond the limits (never the newest).
    fn keep(&self, pending: Pending) {
        let mut waiting = self.lock();
        waiting.push_back(pending);
        let bytes = |w: &VecDeque<Pending>| {
            w.iter()
                .map(|p| p.report_gzip.as_ref().map_or(0, Bytes::len))
                .sum::<usize>()
        };
        while waiting.len() > 1
            && (waiting.len() > self.limits.audits || bytes(&waiting) > self.limits.report_bytes)
        {
            if let Some(dropped) = waiting.pop_front() {
                tracing::error!(
                    audit_id = dropped.record.audit_id,
                    limit_audits = self.limits.audits,
                    limit_bytes = self.limits.report_bytes,
                    "dropped an audit that waited for the database: too many are waiting"
                );
                self.metrics.store_dropped_write();
            }
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes what waited; returns how many still wait.
    pub async fn flush(&self) -> usize {
        let batch: Vec<Pending> = self.lock().drain(..).collect();
        let mut failed = VecDeque::new();
        for p in batch {
            if let Err(e) = self.store.save(&p.record, p.report_gzip.as_deref()).await {
                tracing::warn!(audit_id = p.record.audit_id, error = %e, "database still unavailable");
                self.metrics.store_error("save");
                failed.push_back(p);
            } else {
                tracing::info!(
                    audit_id = p.record.audit_id,
                    "stored an audit that waited for the database"
                );
            }
        }
        let left = {
            let mut waiting = self.lock();
            // Audits queued while this batch was written come after it.
            failed.append(&mut waiting);
            *waiting = failed;
            waiting.len()
        };
        self.metrics.set_pending_writes(left);
        left
    }

    /// Every waiting audit, newest first.
    pub fn waiting(&self) -> Vec<AuditRecord> {
        self.lock().iter().rev().map(|p| p.record.clone()).collect()
    }

    /// One waiting audit and its report.
    pub fn find(&self, audit_id: &str) -> Option<Pending> {
        self.lock()
            .iter()
            .find(|p| p.record.audit_id == audit_id)
            .cloned()
    }
}
