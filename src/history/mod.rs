//! The audit history as the API shows it: the audit running here, the audits waiting for the
//! database (the outbox) and the stored ones, merged newest first. Read-only: the auditor writes.

mod verdicts;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::report::Report;
use crate::outbox::Outbox;
use crate::store::{AuditRecord, Outcome, Store, StoreError, StoredReport};

use self::verdicts::Verdicts;

/// The audit running in this process, if any (written by the auditor, read by the API).
#[derive(Debug, Default)]
pub struct RunningAudit(Mutex<Option<AuditRecord>>);

impl RunningAudit {
    pub fn set(&self, record: AuditRecord) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(record);
    }

    /// Forgets `audit_id` if it is the one running.
    pub fn clear(&self, audit_id: &str) {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if running.as_ref().is_some_and(|r| r.audit_id == audit_id) {
            *running = None;
        }
    }

    pub fn get(&self) -> Option<AuditRecord> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One audit as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub record: AuditRecord,
    /// False while the database has not taken it yet.
    pub stored: bool,
}

/// A page of the history and the cursor of the next one.
#[derive(Debug, Serialize)]
pub struct Page {
    pub audits: Vec<Listed>,
    pub next_before: Option<String>,
}

pub struct History {
    store: Arc<Store>,
    outbox: Arc<Outbox>,
    running: Arc<RunningAudit>,
    verdicts: Verdicts,
}

/// A stored report that was checked (it inflates within the bound to one JSON document): what
/// the database holds, and its length inflated.
#[derive(Debug, Clone)]
pub struct Checked {
    pub stored: StoredReport,
    pub len: u64,
}

impl History {
    pub fn new(store: Arc<Store>, outbox: Arc<Outbox>, running: Arc<RunningAudit>) -> History {
        History {
            store,
            outbox,
            running,
            verdicts: Verdicts::default(),
        }
    }

    /// This process's audits not in the database: the running one and the waiting ones.
    fn local(&self) -> Vec<AuditRecord> {
        self.running
            .get()
            .into_iter()
            .chain(self.outbox.waiting())
            .collect()
    }

    pub async fn get(&self, audit_id: &str) -> Result<Option<Listed>, StoreError> {
        if let Some(record) = self.local().into_iter().find(|r| r.audit_id == audit_id) {
            return Ok(Some(Listed {
                record,
                stored: false,
            }));
        }
        Ok(self.store.get(audit_id).await?.map(|record| Listed {
            record,
            stored: true,
        }))
    }

    /// The report JSON of a successful audit.
    pub async fn report_json(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        if let Some(p) = self.outbox.find(audit_id) {
            let Some(gzip) = p.report_gzip else {
                return Ok(None);
            };
            return crate::store::inflate_report(audit_id, gzip).await.map(Some);
        }
        self.store.report_json(audit_id).await
    }

    /// The stored report of a successful audit (`None` when none is kept), checked the first
    /// time it is read (inflated as a stream within the bound, walked as JSON, never held) and
    /// the verdict kept: later reads skip the check, and a report found unreadable is refused
    /// at once, without being read again.
    pub async fn checked_report(&self, audit_id: &str) -> Result<Option<Checked>, StoreError> {
        let corrupt = |why: String| StoreError::Corrupt(audit_id.to_string(), why);
        let known = self.verdicts.get(audit_id);
        if let Some(Err(why)) = known {
            return Err(corrupt(why));
        }
        let stored = match self.outbox.find(audit_id) {
            Some(pending) => pending.report_gzip.map(StoredReport::Gzip),
            None => self.store.stored_report(audit_id).await?,
        };
        let Some(stored) = stored else {
            return Ok(None);
        };
        let verdict = match known {
            Some(verdict) => verdict,
            None => {
                let checking = stored.clone();
                match tokio::task::spawn_blocking(move || checking.verify()).await {
                    Ok(verdict) => {
                        self.verdicts.put(audit_id, verdict.clone());
                        verdict
                    }
                    // The check itself did not finish (shutdown, a panic): no verdict on the
                    // report to keep; the next read checks it again.
                    Err(e) => Err(format!("checking it failed: {e}")),
                }
            }
        };
        let len = verdict.map_err(corrupt)?;
        Ok(Some(Checked { stored, len }))
    }

    /// Newest first; `None` when `before` is no known audit. `next_before` always names an
    /// audit this method accepts as `before`.
    pub async fn page(
        &self,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Option<Page>, StoreError> {
        let local = self.local();
        let cursor = match before {
            None => None,
            Some(id) => match local.iter().find(|r| r.audit_id == id) {
                Some(r) => Some((r.started_at, id)),
                None => match self.store.get(id).await? {
                    Some(r) => Some((r.started_at, id)),
                    None => return Ok(None),
                },
            },
        };
        let is_before = |r: &AuditRecord| {
            cursor.is_none_or(|(at, id)| (r.started_at, r.audit_id.as_str()) < (at, id))
        };
        let mut audits: Vec<Listed> = local
            .into_iter()
            .filter(|r| is_before(r))
            .map(|record| Listed {
                record,
                stored: false,
            })
            .collect();
        for record in self.store.list_before(limit, cursor).await? {
            if !audits.iter().any(|a| a.record.audit_id == record.audit_id) {
                audits.push(Listed {
                    record,
                    stored: true,
                });
            }
        }
        audits.sort_by(|a, b| {
            (b.record.started_at, &b.record.audit_id)
                .cmp(&(a.record.started_at, &a.record.audit_id))
        });
        audits.truncate(limit);
        let next_before = (audits.len() == limit)
            .then(|| audits.last().map(|a| a.record.audit_id.clone()))
            .flatten();
        Ok(Some(Page {
            audits,
            next_before,
        }))
    }

    pub async fn previous_success(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        self.store.previous_success(audit_id).await
    }

    /// `(finished_at, total clients, high-risk clients)` of recent successful audits, oldest
    /// first, for the report page's chart.
    pub async fn trend(&self, audits: usize) -> Vec<(DateTime<Utc>, i64, i64)> {
        let Ok(recent) = self.store.list_before(audits, None).await else {
            return Vec::new();
        };
        let mut points: Vec<_> = recent
            .into_iter()
            .filter(|a| a.outcome == Outcome::Success)
            .filter_map(|a| {
                Some((
                    a.finished_at?,
                    a.total_clients.unwrap_or(0),
                    a.high_risk_count.unwrap_or(0),
                ))
            })
            .collect();
        points.reverse();
        points
    }
}

/// A checked report parsed while it is inflated (never held whole as text), off the async
/// threads.
pub async fn parse_report(audit_id: &str, checked: Checked) -> Result<Report, StoreError> {
    let id = audit_id.to_string();
    tokio::task::spawn_blocking(move || {
        let stored = &checked.stored;
        stored
            .parse()
            .and_then(|report| crate::audit::catalog::upgrade(report, || stored.parse()))
            .map_err(|why| StoreError::Corrupt(id, why))
    })
    .await
    .map_err(|e| StoreError::Corrupt(audit_id.to_string(), e.to_string()))?
}
