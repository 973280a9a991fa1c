//! Webhook notifications: after an audit that found something new at or above the configured
//! severity, one message names the clients, the rules and each client's page.
//!
//! The notifier follows the auditor's `finished` watch and reads the served report; the
//! auditor knows nothing of it. A watcher builds the message and hands it to a bounded queue
//! without waiting; one sender posts from the queue. Neither can hold up an audit or a request.

mod alert;
mod clean;
mod payload;
mod send;

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::alert::{Alert, MAX_CLIENTS, Origin, client_url};
pub use self::payload::body;
use self::send::Poster;
pub use self::send::{Delivery, Outcome};
use crate::cache::ReportCache;
use crate::config::WebhookSettings;
use crate::metrics::OrgMetrics;
use crate::store::{AuditRecord, Outcome as AuditOutcome};

/// What became of an ended audit's notification, for whoever waits on one (tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub audit_id: String,
    /// `None`: nothing to announce (no new findings at or above the threshold, or the audit
    /// failed, or a newer report replaced its own first).
    pub outcome: Option<Outcome>,
}

/// What the notifier is built from.
pub struct NotifierParts {
    pub webhook: WebhookSettings,
    /// Where the message's links point and which org it names.
    pub origin: Origin,
    /// The auditor's watch of ended audits.
    pub finished: watch::Receiver<Option<AuditRecord>>,
    pub cache: Arc<ReportCache>,
    pub metrics: Arc<OrgMetrics>,
}

/// Built at start (so no audit ends unseen), spawned with the service's other tasks.
pub struct Notifier {
    parts: NotifierParts,
    poster: Poster,
    queue: usize,
    handled: watch::Sender<Option<Handled>>,
}

struct Message {
    audit_id: String,
    body: Bytes,
}

impl Notifier {
    pub fn new(parts: NotifierParts) -> Result<Notifier, reqwest::Error> {
        let delivery = Delivery::default();
        let poster = Poster::new(parts.webhook.url.clone(), delivery)?;
        Ok(Notifier {
            parts,
            poster,
            queue: delivery.queue,
            handled: watch::Sender::new(None),
        })
    }

    /// Changes the timeout, retries and queue (tests make them short).
    #[cfg(feature = "testing")]
    pub fn set_delivery(&mut self, delivery: Delivery) {
        self.poster.set_delivery(delivery);
        self.queue = delivery.queue;
    }

    /// Follows the audits the notifier has dealt with and how their messages ended.
    pub fn handled(&self) -> watch::Receiver<Option<Handled>> {
        self.handled.subscribe()
    }

    /// Starts the watcher and the sender; both stop on `cancel`.
    pub fn spawn(self, tasks: &TaskTracker, cancel: CancellationToken) {
        use tracing::Instrument;
        let (sender, receiver) = mpsc::channel(self.queue.max(1));
        let handled = Arc::new(self.handled);
        let metrics = self.parts.metrics.clone();
        // The tasks log in the caller's span (the org's).
        tasks.spawn(
            watch_audits(self.parts, sender, handled.clone(), cancel.clone()).in_current_span(),
        );
        tasks.spawn(deliver(receiver, self.poster, metrics, handled, cancel).in_current_span());
    }
}

fn settle(
    metrics: &OrgMetrics,
    handled: &watch::Sender<Option<Handled>>,
    audit_id: String,
    outcome: Outcome,
) {
    metrics.webhook_delivery(outcome.metric_label());
    handled.send_replace(Some(Handled {
        audit_id,
        outcome: Some(outcome),
    }));
}

/// The message for an audit that just ended here, if it has anything to announce.
async fn message(parts: &NotifierParts, record: &AuditRecord) -> Option<Message> {
    if record.outcome != AuditOutcome::Success {
        return None;
    }
    // The report the audit installed; a newer one (a replica's) may already have replaced
    // it, and then this audit's findings are not the ones served. With many orgs it may
    // have left memory already: it is read back.
    if parts.cache.brief()?.audit_id != record.audit_id {
        return None;
    }
    let cached = match parts.cache.get().await {
        Ok(cached) => cached.filter(|c| c.report.audit_id == record.audit_id)?,
        Err(e) => {
            tracing::warn!(audit_id = record.audit_id, error = %e, "no webhook message: the report cannot be read back");
            return None;
        }
    };
    let webhook = &parts.webhook;
    let alert = Alert::from_report(&cached.report, webhook.min_severity, &parts.origin)?;
    let body = serde_json::to_vec(&body(&alert, webhook.format)).ok()?;
    tracing::info!(
        audit_id = record.audit_id,
        clients = alert.clients.len() + alert.more_clients,
        findings = alert.total_findings,
        "queueing a webhook message for the new findings"
    );
    Some(Message {
        audit_id: record.audit_id.clone(),
        body: Bytes::from(body),
    })
}

async fn watch_audits(
    mut parts: NotifierParts,
    queue: mpsc::Sender<Message>,
    handled: Arc<watch::Sender<Option<Handled>>>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            changed = parts.finished.changed() => if changed.is_err() { return },
        }
        let Some(ended) = parts.finished.borrow_and_update().clone() else {
            continue;
        };
        let Some(message) = message(&parts, &ended).await else {
            handled.send_replace(Some(Handled {
                audit_id: ended.audit_id,
                outcome: None,
            }));
            continue;
        };
        match queue.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => {
                tracing::error!(
                    audit_id = message.audit_id,
                    "webhook message dropped: the queue is full (the receiver is slow or down)"
                );
                settle(&parts.metrics, &handled, message.audit_id, Outcome::Dropped);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

async fn deliver(
    mut queue: mpsc::Receiver<Message>,
    poster: Poster,
    metrics: Arc<OrgMetrics>,
    handled: Arc<watch::Sender<Option<Handled>>>,
    cancel: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            next = queue.recv() => match next {
                Some(message) => message,
                None => break,
            },
        };
        let outcome = tokio::select! {
            _ = cancel.cancelled() => {
                tracing::warn!(audit_id = message.audit_id, "shutting down: webhook message dropped while being sent");
                settle(&metrics, &handled, message.audit_id, Outcome::Dropped);
                break;
            }
            outcome = poster.post(&message.audit_id, &message.body, &metrics) => outcome,
        };
        settle(&metrics, &handled, message.audit_id, outcome);
    }
    queue.close();
    let mut abandoned = 0;
    while let Ok(message) = queue.try_recv() {
        settle(&metrics, &handled, message.audit_id, Outcome::Dropped);
        abandoned += 1;
    }
    if abandoned > 0 {
        tracing::warn!(
            messages = abandoned,
            "shutting down: webhook messages dropped unsent"
        );
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::{client, snapshot, with_roles};
    use crate::audit::severity::Severity;
    use crate::audit::{AuditRun, judge};
    use crate::cache::CachedReport;
    use crate::config::WebhookFormat;

    /// An audit `a1` served with one new critical finding, and its ended record.
    fn served() -> (Arc<ReportCache>, AuditRecord) {
        let mut s = snapshot();
        s.clients = vec![with_roles(client("CLIENT-CREDENTIALS"), &[("master", "*")])];
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "a1".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        let cache = Arc::new(ReportCache::default());
        cache.set(Arc::new(CachedReport::build(judge(
            s,
            &AuditPolicy::builtin(),
            &run,
        ))));
        let mut record = AuditRecord::running("a1", at);
        record.outcome = AuditOutcome::Success;
        (cache, record)
    }

    #[tokio::test]
    async fn a_message_that_finds_the_queue_full_is_dropped_and_counted() {
        let (cache, record) = served();
        let (finished, watched) = watch::channel(None);
        let all = crate::metrics::Metrics::new();
        let metrics = all.org("default");
        let parts = NotifierParts {
            webhook: WebhookSettings {
                url: SecretString::from("http://127.0.0.1:9/hook"),
                format: WebhookFormat::Json,
                min_severity: Severity::High,
            },
            origin: Origin::default(),
            finished: watched,
            cache,
            metrics: metrics.clone(),
        };
        let handled = Arc::new(watch::Sender::new(None));
        let mut seen = handled.subscribe();
        // A queue of one, already full, that nobody takes from.
        let (queue, mut waiting) = mpsc::channel(1);
        queue
            .try_send(Message {
                audit_id: "earlier".into(),
                body: Bytes::new(),
            })
            .unwrap();
        let cancel = CancellationToken::new();
        let watcher = tokio::spawn(watch_audits(parts, queue, handled, cancel.clone()));
        finished.send_replace(Some(record));
        let dropped = seen
            .wait_for(|h| h.as_ref().is_some_and(|h| h.outcome.is_some()))
            .await
            .unwrap()
            .clone();
        assert_eq!(dropped.unwrap().outcome, Some(Outcome::Dropped));
        assert_eq!(waiting.try_recv().unwrap().audit_id, "earlier");
        assert!(all.render().contains(
            "scopewatch_webhook_deliveries_total{org=\"default\",outcome=\"dropped\"} 1"
        ));
        cancel.cancel();
        watcher.await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_audit_announces_nothing() {
        let (cache, mut record) = served();
        record.outcome = AuditOutcome::Failure;
        let (_, watched) = watch::channel(None);
        let parts = NotifierParts {
            webhook: WebhookSettings {
                url: SecretString::from("http://127.0.0.1:9/hook"),
                format: WebhookFormat::Json,
                min_severity: Severity::Low,
            },
            origin: Origin::default(),
            finished: watched,
            cache,
            metrics: crate::metrics::Metrics::new().org("default"),
        };
        assert!(message(&parts, &record).await.is_none());
        record.outcome = AuditOutcome::Success;
        assert!(message(&parts, &record).await.is_some());
        record.audit_id = "replaced".into();
        assert!(message(&parts, &record).await.is_none());
    }
}
