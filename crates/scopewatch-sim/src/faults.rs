//! Fault switches for tests and demos: latency, 5xx, 429 storms, malformed bodies, dropped
//! connections, revoked tokens and denied permissions. Usable in-process and from the command line.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

use genesys_api::rng::{Rng, random_u64};

use super::odd_records::OddRecords;

/// Faults that stay on until changed (the command-line flags set these).
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    /// Added to every API answer.
    pub latency: Duration,
    /// Fraction (0..=1) of API calls answered 503.
    pub server_error_rate: f64,
    /// Fraction of API calls answered 200 with a body that is not valid JSON.
    pub malformed_rate: f64,
    /// Fraction of API calls whose connection drops before the body.
    pub drop_rate: f64,
}

#[derive(Debug)]
struct FaultState {
    config: FaultConfig,
    server_errors_left: u32,
    malformed_left: u32,
    drops_left: u32,
    storm_until: Option<DateTime<Utc>>,
    storm_retry_after: u64,
    revoke_after: Option<u64>,
    denied: HashSet<String>,
    /// Every usage job answers `Failed`.
    fail_usage_jobs: bool,
    /// The usage jobs API answers 501.
    usage_jobs_not_implemented: bool,
    /// (target, what is odd) per odd-records fault.
    odd: Vec<(String, OddRecords)>,
    rng: Rng,
}

/// What the fault layer decided for one API call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    None,
    Drop,
    ServerError,
    Malformed,
    /// 429 with this many seconds in `Retry-After`.
    Storm(u64),
}

/// The shared fault switches of one simulator.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<FaultState>,
}

impl Faults {
    pub(crate) fn new(config: FaultConfig) -> Self {
        Faults {
            state: Mutex::new(FaultState {
                config,
                server_errors_left: 0,
                malformed_left: 0,
                drops_left: 0,
                storm_until: None,
                storm_retry_after: 5,
                revoke_after: None,
                denied: HashSet::new(),
                fail_usage_jobs: false,
                usage_jobs_not_implemented: false,
                odd: Vec::new(),
                rng: Rng::new(random_u64()),
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut FaultState) -> T) -> T {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Replaces the standing faults.
    pub fn set(&self, config: FaultConfig) {
        self.with(|s| s.config = config);
    }

    pub(crate) fn latency(&self) -> Duration {
        self.with(|s| s.config.latency)
    }

    /// The next `n` API calls answer 503.
    pub fn server_error_burst(&self, n: u32) {
        self.with(|s| s.server_errors_left = n);
    }

    /// The next `n` API calls answer 200 with a malformed body.
    pub fn malformed_next(&self, n: u32) {
        self.with(|s| s.malformed_left = n);
    }

    /// The next `n` API calls lose their connection before the body arrives.
    pub fn drop_next(&self, n: u32) {
        self.with(|s| s.drops_left = n);
    }

    /// Every API call answers 429 with `Retry-After: retry_after_secs` until `until`.
    pub fn rate_limit_storm_until(&self, until: DateTime<Utc>, retry_after_secs: u64) {
        self.with(|s| {
            s.storm_until = Some(until);
            s.storm_retry_after = retry_after_secs;
        });
    }

    /// After `n` more API calls, every token issued so far is revoked (answers 401).
    pub fn revoke_tokens_after(&self, n: u64) {
        self.with(|s| s.revoke_after = Some(n));
    }

    /// Answers 403 `missing.any.permissions` on an endpoint (`clients`, `roles`, `usage`,
    /// `scopes`), as if the caller lacked its permission; `swagger` (the API description, which
    /// needs none) and `usage-jobs` (the usage jobs API, as where the service is absent) answer
    /// 404 instead.
    pub fn deny(&self, endpoint: &str) {
        self.with(|s| s.denied.insert(endpoint.to_string()));
    }

    /// Makes the records of every answer matching `target` odd until cleared: `target` is an
    /// API path whose `{x}` segments match any segment, with `?text` the query must contain.
    pub fn odd_records(&self, target: &str, odd: OddRecords) {
        self.with(|s| s.odd.push((target.to_string(), odd)));
    }

    /// The odd-records faults that apply to a request.
    pub(crate) fn odd_for(&self, uri: &axum::http::Uri) -> Vec<OddRecords> {
        self.with(|s| {
            s.odd
                .iter()
                .filter(|(target, _)| super::odd_records::matches(target, uri))
                .map(|(_, odd)| odd.clone())
                .collect()
        })
    }

    /// Every usage job from now on answers `Failed` with an `errorBody`.
    pub fn fail_usage_jobs(&self) {
        self.with(|s| s.fail_usage_jobs = true);
    }

    /// The usage jobs API answers 501 `not.implemented`, as a service a region lacks may.
    pub fn usage_jobs_not_implemented(&self) {
        self.with(|s| s.usage_jobs_not_implemented = true);
    }

    pub(crate) fn usage_jobs_absent(&self) -> bool {
        self.with(|s| s.usage_jobs_not_implemented)
    }

    pub(crate) fn usage_jobs_fail(&self) -> bool {
        self.with(|s| s.fail_usage_jobs)
    }

    pub(crate) fn is_denied(&self, endpoint: &str) -> bool {
        self.with(|s| s.denied.contains(endpoint))
    }

    /// Switches every fault off.
    pub fn clear(&self) {
        self.with(|s| {
            s.config = FaultConfig::default();
            s.server_errors_left = 0;
            s.malformed_left = 0;
            s.drops_left = 0;
            s.storm_until = None;
            s.revoke_after = None;
            s.denied.clear();
            s.fail_usage_jobs = false;
            s.usage_jobs_not_implemented = false;
            s.odd.clear();
        });
    }

    /// Counts one API call towards a pending revocation; true when tokens must be revoked now.
    pub(crate) fn count_call_for_revocation(&self) -> bool {
        self.with(|s| match s.revoke_after {
            Some(0) => {
                s.revoke_after = None;
                true
            }
            Some(n) => {
                s.revoke_after = Some(n - 1);
                false
            }
            None => false,
        })
    }

    /// Decides the fault for one API call.
    pub(crate) fn decide(&self, now: DateTime<Utc>) -> Injected {
        self.with(|s| {
            if let Some(until) = s.storm_until {
                if now < until {
                    let left = (until - now).num_milliseconds().max(0) as u64;
                    return Injected::Storm(s.storm_retry_after.min(left.div_ceil(1000)).max(1));
                }
                s.storm_until = None;
            }
            if take(&mut s.drops_left) || roll(&mut s.rng, s.config.drop_rate) {
                return Injected::Drop;
            }
            if take(&mut s.server_errors_left) || roll(&mut s.rng, s.config.server_error_rate) {
                return Injected::ServerError;
            }
            if take(&mut s.malformed_left) || roll(&mut s.rng, s.config.malformed_rate) {
                return Injected::Malformed;
            }
            Injected::None
        })
    }
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

fn roll(rng: &mut Rng, rate: f64) -> bool {
    rate > 0.0 && (rng.below(1_000_000) as f64) < rate * 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_run_out_and_storms_end() {
        let f = Faults::new(FaultConfig::default());
        let now = Utc::now();
        f.server_error_burst(2);
        assert_eq!(f.decide(now), Injected::ServerError);
        assert_eq!(f.decide(now), Injected::ServerError);
        assert_eq!(f.decide(now), Injected::None);
        f.rate_limit_storm_until(now + chrono::Duration::seconds(30), 7);
        assert_eq!(f.decide(now), Injected::Storm(7));
        assert_eq!(
            f.decide(now + chrono::Duration::seconds(28)),
            Injected::Storm(2)
        );
        assert_eq!(
            f.decide(now + chrono::Duration::seconds(31)),
            Injected::None
        );
    }

    #[test]
    fn revocation_fires_once_after_n_calls() {
        let f = Faults::new(FaultConfig::default());
        f.revoke_tokens_after(2);
        let fired: Vec<bool> = (0..5).map(|_| f.count_call_for_revocation()).collect();
        assert_eq!(fired, vec![false, false, true, false, false]);
    }

    #[test]
    fn rates_of_one_always_fire_and_zero_never() {
        let f = Faults::new(FaultConfig {
            drop_rate: 1.0,
            ..Default::default()
        });
        assert!((0..50).all(|_| f.decide(Utc::now()) == Injected::Drop));
        f.clear();
        assert!((0..50).all(|_| f.decide(Utc::now()) == Injected::None));
    }
}
