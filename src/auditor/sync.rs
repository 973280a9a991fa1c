//! Keeping every org's served report as new as the database's, for the whole process in one
//! task: a pushed notification (PostgreSQL `LISTEN`) reloads its org at once; a safety net
//! once a minute finds, in one query for all orgs, what a lost notification did not say; and
//! audits that waited for the database are written every few seconds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::unit::Auditor;
use crate::store::{Heard, ReportListener, Store};

/// How often every org's newest stored audit is compared with the last seen (one query).
pub const SAFETY_NET_PERIOD: Duration = Duration::from_secs(60);

/// How often audits waiting for the database are retried (no query while none waits).
pub const FLUSH_PERIOD: Duration = Duration::from_secs(3);

/// How long to wait before listening again after the listener could not reconnect.
const RELISTEN_AFTER: Duration = Duration::from_secs(2);

/// The process's orgs and what the safety net saw last.
pub struct ReportSync {
    auditors: BTreeMap<String, Arc<Auditor>>,
    store: Arc<Store>,
    /// Each org's newest stored audit at the last safety-net pass.
    seen: BTreeMap<String, String>,
    /// `None`: SQLite, or listening failed at start (the safety net alone then).
    listener: Option<ReportListener>,
}

impl ReportSync {
    /// Listens first (PostgreSQL), then reads every org's newest audit: a report stored
    /// between the two is heard, not missed. Call before the orgs restore their reports.
    pub async fn start(store: Arc<Store>) -> ReportSync {
        let listener = match store.listen_reports().await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for new reports; the safety net alone finds them");
                None
            }
        };
        let seen = match store.latest_per_org().await {
            Ok(rows) => rows.into_iter().collect(),
            Err(_) => BTreeMap::new(),
        };
        ReportSync {
            auditors: BTreeMap::new(),
            store,
            seen,
            listener,
        }
    }

    /// The orgs to keep up to date.
    pub fn serve(&mut self, auditors: impl IntoIterator<Item = Arc<Auditor>>) {
        for auditor in auditors {
            self.auditors
                .insert(auditor.store().org().to_string(), auditor);
        }
    }

    /// Runs until cancelled. The listener reads on a future of its own and hands orgs over
    /// a channel, so the timers never interrupt a notification half-read.
    pub async fn run(mut self, cancel: CancellationToken) {
        let (heard_tx, mut inbox) = tokio::sync::mpsc::channel(1024);
        let listening = listen(self.listener.take(), heard_tx, cancel.clone());
        let mut flush = tokio::time::interval(FLUSH_PERIOD);
        let mut safety = tokio::time::interval(SAFETY_NET_PERIOD);
        flush.tick().await;
        safety.tick().await;
        let serving = async move {
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = flush.tick() => self.flush().await,
                    _ = safety.tick() => self.safety_net().await,
                    Some(heard) = inbox.recv() => match heard {
                        // A failed reload is caught by the safety net's next pass.
                        Heard::Org(org) => {
                            self.reload(&org).await;
                        }
                        Heard::Lost => {
                            tracing::warn!("the connection listening for new reports was lost; checking every org");
                            self.safety_net().await;
                        }
                    },
                }
            }
        };
        tokio::join!(listening, serving);
    }

    /// Serves the org's newest stored report (an org of another deployment is ignored). False
    /// when the database could not be asked.
    async fn reload(&self, org: &str) -> bool {
        match self.auditors.get(org) {
            Some(auditor) => auditor.refreshed().await.is_some(),
            None => true,
        }
    }

    /// One query for every org's newest audit; reloads the orgs whose newest changed.
    async fn safety_net(&mut self) {
        let newest = match self.store.latest_per_org().await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the database for newer reports");
                return;
            }
        };
        for (org, audit_id) in newest {
            if self.seen.get(&org) == Some(&audit_id) {
                continue;
            }
            // Its own audits and the reports notifications loaded cost no query.
            let known = self
                .auditors
                .get(&org)
                .is_none_or(|auditor| auditor.knows_audit(&audit_id));
            // A reload the database failed is owed: the next pass asks again.
            if known || self.reload(&org).await {
                self.seen.insert(org, audit_id);
            }
        }
    }

    /// Writes the audits that waited for the database.
    async fn flush(&self) {
        for auditor in self.auditors.values() {
            if !auditor.outbox().is_empty() {
                auditor.outbox().flush().await;
            }
        }
    }
}

/// Hands what the listener hears to `heard` until cancelled; waits and listens again when
/// reconnecting fails. A full channel (a burst beyond 1 024 unhandled) drops the org: the
/// safety net finds it.
async fn listen(
    listener: Option<ReportListener>,
    heard: tokio::sync::mpsc::Sender<Heard>,
    cancel: CancellationToken,
) {
    let Some(mut listener) = listener else {
        return;
    };
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return,
            next = listener.next() => next,
        };
        match next {
            Ok(news) => {
                if heard.try_send(news).is_err() && heard.is_closed() {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for new reports; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(RELISTEN_AFTER) => {}
                    _ = cancel.cancelled() => return,
                }
            }
        }
    }
}
