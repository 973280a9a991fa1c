//! `SCOPEWATCH_REPORT_CACHE_MB`: one byte budget for the reports every org of the process keeps
//! in memory. An org's report is kept while the orgs served most recently fit; when a report is
//! kept and the total passes the budget, the least recently served others are dropped (they are
//! read from the database when asked for). The report just kept always stays, whatever its
//! size: a single org's service never reads its own report back on every request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::metrics::Metrics;

/// What the budget drops when it is over: one org's kept report.
pub trait Evict: Send + Sync {
    fn evict(&self);
}

/// One org's place in the budget.
pub struct Member {
    index: usize,
    /// The budget's clock when the org's report was last served or kept.
    used: Arc<AtomicU64>,
    /// Set while the org's kept report is not in the database (its write waits, or it was
    /// refused): it is the only copy, so it is never evicted.
    pinned: Arc<AtomicBool>,
}

struct Held {
    resident: Arc<dyn Evict>,
    bytes: u64,
    used: Arc<AtomicU64>,
    pinned: Arc<AtomicBool>,
}

/// The budget the orgs' kept reports share.
pub struct ReportBudget {
    capacity: u64,
    clock: AtomicU64,
    held: Mutex<Vec<Held>>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    metrics: Option<Arc<Metrics>>,
}

/// What the budget holds and how it was used, for the metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetStats {
    pub capacity: u64,
    pub bytes: u64,
    pub reports: usize,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
}

impl ReportBudget {
    /// A budget of `capacity` bytes; `metrics` (if any) follows its bytes, hits and misses.
    pub fn new(capacity: u64, metrics: Option<Arc<Metrics>>) -> Arc<ReportBudget> {
        if let Some(m) = &metrics {
            m.set_report_cache(0, 0, capacity);
        }
        Arc::new(ReportBudget {
            capacity,
            clock: AtomicU64::new(0),
            held: Mutex::new(Vec::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            metrics,
        })
    }

    /// A budget nothing is dropped from (one org in tests).
    pub fn unbounded() -> Arc<ReportBudget> {
        ReportBudget::new(u64::MAX, None)
    }

    /// Adds an org whose kept report `resident` drops when it is evicted.
    pub fn join(&self, resident: Arc<dyn Evict>) -> Member {
        let used = Arc::new(AtomicU64::new(0));
        let pinned = Arc::new(AtomicBool::new(false));
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.push(Held {
            resident,
            bytes: 0,
            used: used.clone(),
            pinned: pinned.clone(),
        });
        Member {
            index: held.len() - 1,
            used,
            pinned,
        }
    }

    fn tick(&self, member: &Member) {
        let now = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        member.used.store(now, Ordering::Relaxed);
    }

    /// The member's kept report was served from memory.
    pub fn hit(&self, member: &Member) {
        self.tick(member);
        self.hits.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = &self.metrics {
            m.report_cache_lookup(true);
        }
    }

    /// The member's report was not in memory: read from the database.
    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = &self.metrics {
            m.report_cache_lookup(false);
        }
    }

    /// Whether the member's kept report may be evicted (`false` while it is the only copy).
    pub fn pin(&self, member: &Member, pinned: bool) {
        member.pinned.store(pinned, Ordering::Relaxed);
    }

    /// Keeps the member's new report of `bytes` (`install` puts it in place, under the budget's
    /// lock so an eviction or another install never races it, and says whether it did), then
    /// drops the least recently served other reports until the total fits. Pinned reports
    /// (not yet in the database) are never dropped.
    pub fn keep(&self, member: &Member, bytes: u64, install: impl FnOnce() -> bool) {
        self.tick(member);
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if !install() {
            return;
        }
        if let Some(h) = held.get_mut(member.index) {
            h.bytes = bytes;
        }
        let mut total: u64 = held.iter().map(|h| h.bytes).sum();
        while total > self.capacity {
            let Some(victim) = held
                .iter_mut()
                .enumerate()
                .filter(|(i, h)| {
                    *i != member.index && h.bytes > 0 && !h.pinned.load(Ordering::Relaxed)
                })
                .min_by_key(|(_, h)| h.used.load(Ordering::Relaxed))
                .map(|(_, h)| h)
            else {
                break; // Only the report just kept is left: it stays.
            };
            victim.resident.evict();
            total -= victim.bytes;
            victim.bytes = 0;
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(m) = &self.metrics {
            let reports = held.iter().filter(|h| h.bytes > 0).count();
            m.set_report_cache(total, reports, self.capacity);
        }
    }

    pub fn stats(&self) -> BudgetStats {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        BudgetStats {
            capacity: self.capacity,
            bytes: held.iter().map(|h| h.bytes).sum(),
            reports: held.iter().filter(|h| h.bytes > 0).count(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[derive(Default)]
    struct Flag(AtomicBool);

    impl Evict for Flag {
        fn evict(&self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    fn member(budget: &ReportBudget) -> (Arc<Flag>, Member) {
        let flag = Arc::new(Flag::default());
        let m = budget.join(flag.clone());
        (flag, m)
    }

    #[test]
    fn the_least_recently_served_reports_go_first_until_the_bytes_fit() {
        let budget = ReportBudget::new(100, None);
        let (a_gone, a) = member(&budget);
        let (b_gone, b) = member(&budget);
        let (c_gone, c) = member(&budget);
        budget.keep(&a, 40, || true);
        budget.keep(&b, 40, || true);
        budget.hit(&a); // a served after b: b is now the least recently served
        budget.keep(&c, 40, || true);
        assert!(
            b_gone.0.load(Ordering::Relaxed),
            "b was served least recently"
        );
        assert!(!a_gone.0.load(Ordering::Relaxed));
        assert!(!c_gone.0.load(Ordering::Relaxed));
        let stats = budget.stats();
        assert_eq!((stats.bytes, stats.reports, stats.evictions), (80, 2, 1));
        assert_eq!(stats.hits, 1);
    }

    #[test]
    fn a_pinned_report_is_never_evicted_and_the_next_unpinned_one_goes_instead() {
        let budget = ReportBudget::new(100, None);
        let (a_gone, a) = member(&budget);
        let (b_gone, b) = member(&budget);
        let (c_gone, c) = member(&budget);
        budget.keep(&a, 40, || true);
        budget.pin(&a, true); // a's report is not in the database yet
        budget.keep(&b, 40, || true);
        budget.keep(&c, 40, || true);
        assert!(!a_gone.0.load(Ordering::Relaxed), "a is the only copy");
        assert!(
            b_gone.0.load(Ordering::Relaxed),
            "b, unpinned, goes instead"
        );
        assert!(!c_gone.0.load(Ordering::Relaxed));
        budget.pin(&a, false);
        budget.keep(&b, 40, || true);
        assert!(a_gone.0.load(Ordering::Relaxed), "a, saved, may go now");
    }

    #[test]
    fn an_install_that_declines_changes_nothing() {
        let budget = ReportBudget::new(100, None);
        let (a_gone, a) = member(&budget);
        let (_, b) = member(&budget);
        budget.keep(&a, 60, || true);
        budget.keep(&b, 60, || false);
        assert!(!a_gone.0.load(Ordering::Relaxed));
        assert_eq!(budget.stats().bytes, 60);
    }

    #[test]
    fn a_report_larger_than_the_budget_stays_alone() {
        let budget = ReportBudget::new(100, None);
        let (a_gone, a) = member(&budget);
        let (b_gone, b) = member(&budget);
        budget.keep(&a, 30, || true);
        budget.keep(&b, 500, || true);
        assert!(a_gone.0.load(Ordering::Relaxed));
        assert!(
            !b_gone.0.load(Ordering::Relaxed),
            "the report just kept stays"
        );
        assert_eq!(budget.stats().bytes, 500);
        // Its replacement counts instead of it, not beside it.
        budget.keep(&b, 60, || true);
        assert_eq!(budget.stats().bytes, 60);
    }
}
