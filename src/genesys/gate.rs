//! One gate every request passes: it holds all calls back until a `Retry-After` has passed,
//! and keeps scopewatch under its own requests-per-minute ceiling.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);

pub(super) struct Gate {
    per_minute: usize,
    state: Mutex<GateState>,
}

struct GateState {
    not_before: Instant,
    recent: VecDeque<Instant>,
}

impl Gate {
    pub(super) fn new(per_minute: u32) -> Gate {
        Gate {
            per_minute: per_minute.max(1) as usize,
            state: Mutex::new(GateState {
                not_before: Instant::now(),
                recent: VecDeque::new(),
            }),
        }
    }

    /// Waits until a request may go out, and counts it.
    pub(super) async fn pass(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                while s
                    .recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= WINDOW)
                {
                    s.recent.pop_front();
                }
                if now < s.not_before {
                    s.not_before - now
                } else if s.recent.len() >= self.per_minute {
                    (s.recent[0] + WINDOW).saturating_duration_since(now)
                } else {
                    s.recent.push_back(now);
                    return;
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// No request passes before `until` (a `Retry-After` applies to every call, not only the
    /// one that received it).
    pub(super) fn hold_until(&self, until: Instant) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if until > s.not_before {
            s.not_before = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_ceiling_spreads_requests_over_the_minute() {
        let gate = Gate::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            gate.pass().await;
        }
        assert!(start.elapsed() < Duration::from_secs(1));
        gate.pass().await;
        assert!(start.elapsed() >= WINDOW);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_later_request() {
        let gate = Gate::new(100);
        let start = Instant::now();
        gate.hold_until(start + Duration::from_secs(7));
        gate.pass().await;
        assert!(start.elapsed() >= Duration::from_secs(7));
    }
}
