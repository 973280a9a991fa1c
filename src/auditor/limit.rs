//! `SCOPEWATCH_MAX_CONCURRENT_AUDITS`: how many audits run at once in this process, whatever
//! the number of orgs. Every org's auditor shares one `AuditLimit`; a scheduled audit takes a
//! place before it claims its org (no database session while it queues), one the API starts
//! claims first and then waits here, so memory and CPU are bounded by the limit rather than by
//! the number of orgs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The bound on audits running at once, with counters of how many run now and most ever.
#[derive(Debug)]
pub struct AuditLimit {
    places: Arc<Semaphore>,
    bound: usize,
    running: AtomicUsize,
    most: AtomicUsize,
}

/// A place held by a running audit; freed when dropped.
pub(super) struct Place {
    _permit: OwnedSemaphorePermit,
    limit: Arc<AuditLimit>,
}

impl Drop for Place {
    fn drop(&mut self) {
        self.limit.running.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AuditLimit {
    /// At most `bound` audits at once (at least 1).
    pub fn new(bound: usize) -> Arc<AuditLimit> {
        let bound = bound.max(1);
        Arc::new(AuditLimit {
            places: Arc::new(Semaphore::new(bound)),
            bound,
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
        })
    }

    /// Waits for a place (first come, first served).
    pub(super) async fn enter(self: &Arc<Self>) -> Place {
        let permit = self
            .places
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        self.placed(permit)
    }

    /// A place now, or `None` when every place is taken.
    pub(super) fn try_enter(self: &Arc<Self>) -> Option<Place> {
        let permit = self.places.clone().try_acquire_owned().ok()?;
        Some(self.placed(permit))
    }

    fn placed(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Place {
        let now = self.running.fetch_add(1, Ordering::AcqRel) + 1;
        self.most.fetch_max(now, Ordering::AcqRel);
        Place {
            _permit: permit,
            limit: self.clone(),
        }
    }

    /// The configured bound.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Audits running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// The most audits that ever ran at once here.
    pub fn most_at_once(&self) -> usize {
        self.most.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_the_bound_hold_a_place_and_a_freed_place_goes_to_the_next() {
        let limit = AuditLimit::new(2);
        let first = limit.enter().await;
        let second = limit.enter().await;
        assert_eq!((limit.running(), limit.most_at_once()), (2, 2));
        let limit2 = limit.clone();
        let third = tokio::spawn(async move { limit2.enter().await });
        tokio::task::yield_now().await;
        assert!(!third.is_finished(), "the third waits");
        assert_eq!(limit.running(), 2);
        drop(first);
        let third = third.await.unwrap();
        assert_eq!((limit.running(), limit.most_at_once()), (2, 2));
        drop((second, third));
        assert_eq!(limit.running(), 0);
        assert_eq!(AuditLimit::new(0).bound(), 1, "at least one");
    }
}
