//! Requests that cost memory and CPU in proportion to a report (history reads, diffs, stored
//! reports, HTML and filtered views of the served report) run under one limit for the whole
//! process: a few at once, a bounded queue behind them, and past that a 503 with `Retry-After`
//! at once. Without it 32 concurrent diffs of a large org took gigabytes and `/healthz`
//! seconds. Stored report bodies being sent are counted too, so slow readers cannot each hold
//! a copy of a stored report.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use prometheus::IntCounterVec;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// Expensive requests running at once.
const RUNNING: usize = 4;
/// Expensive requests waiting for a turn; more are answered 503 at once.
const QUEUED: usize = 32;
/// Stored report bodies being sent at once.
const BODIES: usize = 64;
/// The longest a request waits in the queue before it is answered 503.
const WAIT: Duration = Duration::from_secs(10);
/// What `Retry-After` says.
const RETRY_AFTER_SECS: u32 = 2;

/// The limit, shared by every org's routes.
pub struct Expensive {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    queued: usize,
    bodies: Arc<Semaphore>,
    /// `scopewatch_http_busy_total`, when counted (`counted`).
    refused: Option<IntCounterVec>,
}

impl Default for Expensive {
    fn default() -> Self {
        Expensive::new(RUNNING, QUEUED, BODIES)
    }
}

/// Counts a request in the queue while it waits (also when its client goes away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Expensive {
    pub fn new(running: usize, queued: usize, bodies: usize) -> Expensive {
        Expensive {
            running: Arc::new(Semaphore::new(running.max(1))),
            waiting: AtomicUsize::new(0),
            queued,
            bodies: Arc::new(Semaphore::new(bodies.max(1))),
            refused: None,
        }
    }

    /// The same limit, counting each refusal by reason into `refused` (labelled `reason`).
    pub fn counted(mut self, refused: IntCounterVec) -> Expensive {
        self.refused = Some(refused);
        self
    }

    /// The 503 `busy` answer, counted by `reason` (one of `metrics::BUSY_REASONS`).
    fn busy(&self, reason: &'static str) -> ApiError {
        if let Some(refused) = &self.refused {
            refused.with_label_values(&[reason]).inc();
        }
        busy()
    }

    /// A turn to run: at once, after a wait in the queue, or `busy` when the queue is full or
    /// the wait too long. The turn ends when the permit is dropped.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queued {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(self.busy("queue_full"));
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(WAIT, self.running.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(self.busy("waited")),
        }
    }

    /// A place for one stored report body being sent, or `busy` at once; the place is free
    /// when the body ends or its reader goes away.
    pub fn body(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.bodies
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.busy("bodies"))
    }
}

/// The answer past the limit.
fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "too many expensive requests at once; try again shortly",
    )
    .retry_after(RETRY_AFTER_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_running_and_queued_requests_the_answer_is_503_at_once() {
        let metrics = crate::metrics::Metrics::new();
        let limit = Arc::new(Expensive::new(2, 3, 1).counted(metrics.http_busy()));
        let running = [limit.enter().await.unwrap(), limit.enter().await.unwrap()];
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let limit = limit.clone();
                tokio::spawn(async move { limit.enter().await.map(drop) })
            })
            .collect();
        while limit.waiting.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        let refused = limit.enter().await.unwrap_err();
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.code, "busy");
        drop(running);
        for q in queued {
            q.await
                .unwrap()
                .expect("the queued requests run once turns free up");
        }
        assert_eq!(limit.waiting.load(Ordering::SeqCst), 0);
        let body = limit.body().unwrap();
        assert!(limit.body().is_err());
        drop(body);
        assert!(limit.body().is_ok());
        let text = metrics.render();
        for counted in [
            "scopewatch_http_busy_total{reason=\"queue_full\"} 1",
            "scopewatch_http_busy_total{reason=\"bodies\"} 1",
            "scopewatch_http_busy_total{reason=\"waited\"} 0",
        ] {
            assert!(text.contains(counted), "{counted} in\n{text}");
        }
    }
}
