//! Finished audits on their way to the database. A write the database refuses waits here and
//! is retried; the wait is bounded (count and bytes, one bound for every org of the process),
//! and what is dropped is counted and logged.

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

/// What waits for the database, for every org of the process: one bound (count and bytes)
/// for all of them, so a hundred orgs whose database is down hold what one would, not a
/// hundred times that. Beyond it the oldest waiting audit is dropped, whichever org it is of.
pub struct OutboxQueue {
    limits: OutboxLimits,
    waiting: Mutex<VecDeque<Waiting>>,
}

/// A waiting audit, with the org's store it goes to and the metrics that count it.
struct Waiting {
    org: usize,
    pending: Pending,
    metrics: Arc<OrgMetrics>,
}

impl OutboxQueue {
    pub fn new(limits: OutboxLimits) -> Arc<OutboxQueue> {
        Arc::new(OutboxQueue {
            limits,
            waiting: Mutex::new(VecDeque::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Waiting>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a write, dropping the oldest waiting audits beyond the limits (never the newest).
    fn keep(&self, waiting: Waiting) {
        let mut queue = self.lock();
        queue.push_back(waiting);
        let bytes = |q: &VecDeque<Waiting>| {
            q.iter()
                .map(|w| w.pending.report_gzip.as_ref().map_or(0, Bytes::len))
                .sum::<usize>()
        };
        while queue.len() > 1
            && (queue.len() > self.limits.audits || bytes(&queue) > self.limits.report_bytes)
        {
            if let Some(dropped) = queue.pop_front() {
                tracing::error!(
                    audit_id = dropped.pending.record.audit_id,
                    limit_audits = self.limits.audits,
                    limit_bytes = self.limits.report_bytes,
                    "dropped an audit that waited for the database: too many are waiting"
                );
                dropped.metrics.store_dropped_write();
                let left = queue.iter().filter(|w| w.org == dropped.org).count();
                dropped.metrics.set_pending_writes(left);
            }
        }
    }
}

/// One org's way to the database through the process's queue.
pub struct Outbox {
    store: Arc<Store>,
    metrics: Arc<OrgMetrics>,
    queue: Arc<OutboxQueue>,
    /// Tells this org's waiting audits from the others'.
    org: usize,
}

/// Numbers each outbox of the process.
static OUTBOXES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Outbox {
    /// An outbox with a queue of its own.
    pub fn new(store: Arc<Store>, metrics: Arc<OrgMetrics>, limits: OutboxLimits) -> Outbox {
        Outbox::sharing(store, metrics, OutboxQueue::new(limits))
    }

    /// An outbox whose audits wait in `queue`, with other orgs', under one bound.
    pub fn sharing(store: Arc<Store>, metrics: Arc<OrgMetrics>, queue: Arc<OutboxQueue>) -> Outbox {
        Outbox {
            store,
            metrics,
            queue,
            org: OUTBOXES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// This org's waiting audits, oldest first.
    fn mine(&self) -> Vec<Pending> {
        self.queue
            .lock()
            .iter()
            .filter(|w| w.org == self.org)
            .map(|w| w.pending.clone())
            .collect()
    }

    /// Writes a finished audit now, or keeps it to retry. True when the database has it.
    pub async fn write(&self, record: AuditRecord, report_gzip: Option<Bytes>) -> bool {
        let stored = match self.store.save(&record, report_gzip.as_deref()).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(audit_id = record.audit_id, error = %e, "cannot store the audit; keeping it in memory until the database returns");
                self.metrics.store_error("save");
                self.queue.keep(Waiting {
                    org: self.org,
                    pending: Pending {
                        record,
                        report_gzip,
                    },
                    metrics: self.metrics.clone(),
                });
                false
            }
        };
        self.metrics.set_pending_writes(self.len());
        stored
    }

    pub fn len(&self) -> usize {
        self.queue
            .lock()
            .iter()
            .filter(|w| w.org == self.org)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes what waited; returns how many still wait.
    pub async fn flush(&self) -> usize {
        let batch: VecDeque<Waiting> = {
            let mut queue = self.queue.lock();
            let (mine, others): (VecDeque<Waiting>, VecDeque<Waiting>) =
                std::mem::take(&mut *queue)
                    .into_iter()
                    .partition(|w| w.org == self.org);
            *queue = others;
            mine
        };
        let mut failed = VecDeque::new();
        for w in batch {
            let p = &w.pending;
            if let Err(e) = self.store.save(&p.record, p.report_gzip.as_deref()).await {
                tracing::warn!(audit_id = p.record.audit_id, error = %e, "database still unavailable");
                self.metrics.store_error("save");
                failed.push_back(w);
            } else {
                tracing::info!(
                    audit_id = p.record.audit_id,
                    "stored an audit that waited for the database"
                );
            }
        }
        {
            let mut queue = self.queue.lock();
            // Audits queued while this batch was written come after it.
            failed.append(&mut queue);
            *queue = failed;
        }
        let left = self.len();
        self.metrics.set_pending_writes(left);
        left
    }

    /// Every waiting audit, newest first.
    pub fn waiting(&self) -> Vec<AuditRecord> {
        self.mine().into_iter().rev().map(|p| p.record).collect()
    }

    /// One waiting audit and its report.
    pub fn find(&self, audit_id: &str) -> Option<Pending> {
        self.queue
            .lock()
            .iter()
            .find(|w| w.org == self.org && w.pending.record.audit_id == audit_id)
            .map(|w| w.pending.clone())
    }
}
