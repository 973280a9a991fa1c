//! Installing stored reports: at start (serve the last good report before any audit) and on
//! every replica's refresh (serve another replica's newer audit), with the outcome of the newest
//! stored audit for the gauges. A stored report that does not parse is skipped for good.

use std::sync::Arc;

use super::unit::Auditor;
use crate::cache::{CachedReport, Changes};
use crate::store::{AuditRecord, Outcome};

impl Auditor {
    /// Serves the newest stored report if it is newer than the one served, and takes the
    /// outcome of the newest stored audit. True when the report was swapped.
    pub async fn refresh(&self) -> bool {
        self.refreshed().await.unwrap_or(false)
    }

    /// `refresh`, with `None` when the database could not be asked (the check is still owed).
    pub async fn refreshed(&self) -> Option<bool> {
        let newest = match self.store.latest(false).await {
            Ok(Some(newest)) => newest,
            Ok(None) => return Some(false),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the database for a newer report");
                self.metrics.store_error("latest");
                return None;
            }
        };
        let success = if newest.outcome == Outcome::Success {
            Some(newest.clone())
        } else {
            match self.store.latest(true).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check the database for a newer report");
                    self.metrics.store_error("latest");
                    return None;
                }
            }
        };
        let mut swapped = false;
        if let Some(success) = success
            && self.is_newer(&success)
            && let Some((stored, cached)) = self.load_newest_readable(success).await
        {
            tracing::info!(
                audit_id = stored.audit_id,
                "serving the newest stored report"
            );
            self.publish(
                Some(cached),
                stored.finished_at.unwrap_or(stored.started_at),
                true,
            );
            // Read from the database: it can be read back again if evicted.
            self.cache.saved(&stored.audit_id);
            swapped = true;
        }
        if let Some(ended) = newest.finished_at {
            self.publish(None, ended, newest.outcome == Outcome::Success);
        }
        Some(swapped)
    }

    /// Whether `audit_id` is the report served here or the audit that ended here last: then
    /// the safety net has nothing to load for it.
    pub fn knows_audit(&self, audit_id: &str) -> bool {
        self.cache
            .brief()
            .is_some_and(|current| current.audit_id == audit_id)
            || self
                .finished
                .borrow()
                .as_ref()
                .is_some_and(|ended| ended.audit_id == audit_id)
    }

    /// The report of `newest`, or, when that one is unreadable, of the newest older success
    /// that parses and is newer than the one served (a corrupted row must not keep a fresh
    /// replica unready for ever).
    async fn load_newest_readable(
        &self,
        newest: AuditRecord,
    ) -> Option<(AuditRecord, Arc<CachedReport>)> {
        if let Some(cached) = self.load(&newest).await {
            return Some((newest, cached));
        }
        if !self.is_unreadable(&newest.audit_id) {
            return None; // The database failed, not the report: try again next time.
        }
        let older = match self
            .store
            .list_before(50, Some((newest.started_at, &newest.audit_id)))
            .await
        {
            Ok(older) => older,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list older stored reports");
                self.metrics.store_error("list");
                return None;
            }
        };
        for candidate in older {
            if candidate.outcome != Outcome::Success || !self.is_newer(&candidate) {
                continue;
            }
            if let Some(cached) = self.load(&candidate).await {
                tracing::warn!(
                    audit_id = candidate.audit_id,
                    unreadable = newest.audit_id,
                    "the newest stored report is unreadable; serving the newest readable one"
                );
                return Some((candidate, cached));
            }
        }
        None
    }

    fn is_unreadable(&self, audit_id: &str) -> bool {
        self.unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(audit_id)
    }

    fn is_newer(&self, stored: &AuditRecord) -> bool {
        if self.is_unreadable(&stored.audit_id) {
            return false;
        }
        let finished = stored.finished_at.unwrap_or(stored.started_at);
        self.cache.brief().is_none_or(|current| {
            current.audit_id != stored.audit_id && current.generated_at < finished
        })
    }

    /// A stored successful audit's report, ready to serve (parsed and built off the async
    /// threads), with the new/resolved counts stored beside it.
    async fn load(&self, stored: &AuditRecord) -> Option<Arc<CachedReport>> {
        let json = match self.store.report_json(&stored.audit_id).await {
            Ok(Some(json)) => json,
            Ok(None) => return None,
            Err(e @ crate::store::StoreError::Corrupt(..)) => {
                self.mark_unreadable(stored, &e);
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot load the newest stored report");
                self.metrics.store_error("report");
                return None;
            }
        };
        let changes = Changes {
            new: stored.new_findings.unwrap_or(0).max(0) as usize,
            resolved: stored.resolved_findings.unwrap_or(0).max(0) as usize,
        };
        let built = tokio::task::spawn_blocking(move || {
            crate::audit::catalog::read_stored(&json).map(|report| {
                let mut cached = CachedReport::build(report);
                cached.changes = changes;
                Arc::new(cached)
            })
        })
        .await;
        match built {
            Ok(Ok(cached)) => Some(cached),
            Ok(Err(e)) => {
                self.mark_unreadable(stored, &e);
                None
            }
            Err(e) => {
                tracing::error!(audit_id = stored.audit_id, error = %e, "loading the stored report failed");
                None
            }
        }
    }

    /// A stored report that will never parse (damaged text or compression): older ones are
    /// tried instead.
    fn mark_unreadable(&self, stored: &AuditRecord, e: &dyn std::fmt::Display) {
        tracing::error!(audit_id = stored.audit_id, error = %e, "the stored report is unreadable");
        self.metrics.store_error("report");
        self.unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(stored.audit_id.clone());
    }
}
