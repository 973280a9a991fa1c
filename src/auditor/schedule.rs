//! When audits run: one at start (unless a recent one is stored) and then every interval, or
//! now on request; a replica polls for newer stored reports. Every task is tracked, so
//! shutdown can wait for them, and a running audit is abandoned cleanly when it comes.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::unit::{AlreadyRunning, Auditor, Ticket};

/// What the HTTP API may do with audits: start one now (what runs, it reads from the history).
#[derive(Clone)]
pub struct AuditHandle {
    auditor: Arc<Auditor>,
    tasks: TaskTracker,
    cancel: CancellationToken,
}

impl AuditHandle {
    pub fn new(auditor: Arc<Auditor>, tasks: TaskTracker, cancel: CancellationToken) -> Self {
        AuditHandle {
            auditor,
            tasks,
            cancel,
        }
    }

    /// Starts an audit in the background: its id, or `AlreadyRunning`.
    pub async fn start_now(&self) -> Result<String, AlreadyRunning> {
        let ticket = self.auditor.begin().await?;
        let audit_id = ticket.audit_id.clone();
        let auditor = self.auditor.clone();
        let cancel = self.cancel.clone();
        let span = tracing::info_span!("org", org = %auditor.store().org());
        self.tasks.spawn(tracing::Instrument::instrument(
            async move { run_or_abandon(&auditor, ticket, &cancel).await },
            span,
        ));
        Ok(audit_id)
    }
}

/// Runs a claimed audit unless shutdown comes first. A panic anywhere in it ends that audit,
/// not the caller (the schedule, or the task `POST /audits` started).
async fn run_or_abandon(auditor: &Auditor, ticket: Ticket, cancel: &CancellationToken) {
    let audit_id = ticket.audit_id.clone();
    let run = AssertUnwindSafe(auditor.run(ticket)).catch_unwind();
    tokio::select! {
        ended = run => {
            if ended.is_err() {
                auditor.panicked(&audit_id);
            }
        }
        _ = cancel.cancelled() => {
            auditor.abandon(&audit_id);
            tracing::warn!(audit_id, "audit abandoned at shutdown");
        }
    }
}

/// One audit at start (unless a recent one is stored), then one every `interval` give or take
/// `jitter` (a fraction of it, drawn anew each time), until cancelled. Many orgs that start
/// together queue for the process's audit places; the jitter then keeps their later audits
/// from lining up again, so their starts spread over the interval. With replicas, a tick
/// audits only an org this replica owns (`Assignment`), and an org it gains from a replica
/// that died or left is audited at once: its last audit may have died with it.
pub async fn run_loop(
    auditor: Arc<Auditor>,
    interval: Duration,
    jitter: f64,
    cancel: CancellationToken,
) {
    // A tick may come up to `jitter` early: an audit stored since the last tick's is not
    // "recent" unless it ended well inside the shortest gap between ticks.
    let recent = interval.mul_f64((1.0 - jitter.clamp(0.0, 1.0)) * 0.95);
    let org = auditor.store().org().to_string();
    let assignment = auditor.assignment().clone();
    let mut live = assignment.subscribe();
    let mut owned = assignment.owns(&org);
    let mut next_tick = tokio::time::Instant::now();
    let mut listening = true;
    loop {
        let ticked = tokio::select! {
            _ = tokio::time::sleep_until(next_tick) => {
                next_tick = tokio::time::Instant::now() + jittered(interval, jitter);
                true
            }
            changed = live.changed(), if listening => {
                listening = changed.is_ok();
                false
            }
            _ = cancel.cancelled() => return,
        };
        live.borrow_and_update();
        let was = std::mem::replace(&mut owned, assignment.owns(&org));
        let gained = owned && !was;
        if !owned || !(ticked || gained) {
            continue; // Another replica audits this org, or nothing changed for it.
        }
        // A place first, then the org (its slot and database lock): a thousand orgs queue
        // here without a database session each, and one that went to another replica
        // meanwhile is left to it.
        let place = tokio::select! {
            place = auditor.limit().enter() => place,
            _ = cancel.cancelled() => return,
        };
        if !assignment.owns(&org) {
            continue;
        }
        if gained {
            tracing::info!("this replica takes the org over from one that left");
        } else if auditor.recently_audited(recent).await {
            tracing::info!("a recent audit is stored; skipping this tick");
            continue;
        }
        match auditor.begin_placed(place).await {
            Ok(ticket) => run_or_abandon(&auditor, ticket, &cancel).await,
            Err(AlreadyRunning) => {
                tracing::info!("an audit is already running; skipping this tick")
            }
        }
    }
}

/// `interval` moved by up to `jitter` of itself, either way, at random.
fn jittered(interval: Duration, jitter: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    if jitter == 0.0 {
        return interval;
    }
    // Uniform in [-1, 1) from 53 random bits.
    let unit = (genesys_api::rng::random_u64() >> 11) as f64 / (1u64 << 53) as f64;
    Duration::try_from_secs_f64(interval.as_secs_f64() * (1.0 + jitter * (2.0 * unit - 1.0)))
        .unwrap_or(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_moves_the_interval_within_its_fraction_and_not_always_the_same_way() {
        let hour = Duration::from_secs(3600);
        assert_eq!(jittered(hour, 0.0), hour);
        let drawn: Vec<Duration> = (0..200).map(|_| jittered(hour, 0.1)).collect();
        assert!(
            drawn
                .iter()
                .all(|d| *d >= hour.mul_f64(0.9) && *d <= hour.mul_f64(1.1))
        );
        assert!(drawn.iter().any(|d| *d < hour) && drawn.iter().any(|d| *d > hour));
        assert!(
            jittered(hour, 7.0) <= hour * 2,
            "clamped to the whole interval"
        );
    }

    #[test]
    fn jitter_of_an_interval_too_long_to_move_keeps_it_instead_of_panicking() {
        let drawn: Vec<Duration> = (0..50).map(|_| jittered(Duration::MAX, 0.1)).collect();
        assert!(drawn.contains(&Duration::MAX));
        assert!(drawn.iter().all(|d| *d >= Duration::MAX.mul_f64(0.89)));
    }
}
