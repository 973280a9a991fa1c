//! Change-driven re-audit: every `SCOPEWATCH_CHANGE_POLL`, one realtime audit query asks for
//! changes to OAuth clients and roles since the last event seen, and an audit starts at once
//! when there are any, then at most one per `SCOPEWATCH_CHANGE_DEBOUNCE` (changes seen
//! meanwhile lead to one audit when it ends). Never two audits at a time (the audit slot and
//! lock), every call through the same gate, one poller across replicas (a PostgreSQL advisory
//! lock of its own), at most one upstream call per poll.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::schedule::AuditHandle;
use super::unit::Auditor;
use crate::audit::snapshot::AuditEvent;
use crate::genesys::{GenesysClient, GenesysError, trail};

/// Ids remembered of the events seen at the newest second (the realtime interval is
/// inclusive to the second, so those come again).
const MAX_SEEN: usize = 1_000;

/// What the poller knows between polls.
#[derive(Debug)]
pub struct ChangeWatch {
    /// (audit service, entity type) pairs recording OAuth clients or roles, asked in turn, each
    /// with its own mark (a query filtered on one type says nothing of the others); empty until
    /// the mapping was read.
    services: Vec<((String, String), Mark)>,
    turn: usize,
    /// Where every pair's mark starts.
    since: DateTime<Utc>,
    /// Changes seen and not yet audited (an audit was running, or the debounce holds them).
    pending: bool,
}

/// How far one (service, entity type) has been read: the newest event's time, and the ids of
/// the events at its second (the realtime interval is inclusive to the second).
#[derive(Debug, Clone)]
struct Mark {
    /// Nothing before this counts (where the watch started: the last audit saw what came
    /// before).
    floor: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    /// Ids of the events seen within `LATE` of the newest, with their times.
    seen: std::collections::HashMap<String, DateTime<Utc>>,
}

/// How far before the newest event seen each poll asks again: an event Genesys records late
/// (its date earlier than one already seen) is still counted once, never missed.
const LATE: chrono::Duration = chrono::Duration::minutes(5);

/// What one poll found.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// No call was needed or nothing changed.
    Nothing,
    /// New changes (how many; a full page counts as changes it cannot rule out).
    Changes(usize),
}

fn key(e: &AuditEvent) -> String {
    e.id.clone().unwrap_or_else(|| {
        format!(
            "{}|{}|{}|{}",
            e.at.timestamp_millis(),
            e.entity_type,
            e.entity.as_ref().map(|n| n.id.as_str()).unwrap_or(""),
            e.action
        )
    })
}

impl ChangeWatch {
    /// Watches for changes after `since`.
    pub fn new(since: DateTime<Utc>) -> ChangeWatch {
        ChangeWatch {
            services: Vec::new(),
            turn: 0,
            since,
            pending: false,
        }
    }

    /// One poll: at most one upstream call (the service mapping on the first, then one
    /// realtime query, one service per poll when several record these entities).
    pub async fn poll(
        &mut self,
        client: &GenesysClient,
        now: DateTime<Utc>,
    ) -> Result<Found, GenesysError> {
        if self.services.is_empty() {
            let mark = Mark::new(self.since);
            self.services = trail::change_services(client)
                .await?
                .into_iter()
                .map(|pair| (pair, mark.clone()))
                .collect();
            if self.services.is_empty() {
                tracing::warn!(
                    "the audit service mapping lists no service recording OAuth clients or roles; changes cannot be watched"
                );
            }
            return Ok(Found::Nothing);
        }
        let turn = next_pair(&self.services, self.turn);
        self.turn = self.turn.wrapping_add(1);
        let ((service, entity_type), mark) = &mut self.services[turn];
        let since = mark.asked_from();
        let (events, more) =
            trail::realtime_changes(client, service, entity_type, since, now).await?;
        Ok(mark.take(events, more))
    }
}

/// Which pair poll number `turn` asks: OAuth clients every other poll (a risky client created
/// is what the poller is for: it shows within two polls), the other types in turn between.
fn next_pair(pairs: &[((String, String), Mark)], turn: usize) -> usize {
    let (clients, others): (Vec<usize>, Vec<usize>) =
        (0..pairs.len()).partition(|&i| pairs[i].0.1 == trail::TRAIL_ENTITY_TYPES[0]);
    let pick = |from: &[usize]| from[(turn / 2) % from.len()];
    match (clients.is_empty(), others.is_empty()) {
        (false, true) => pick(&clients),
        (true, false) => pick(&others),
        _ if turn.is_multiple_of(2) => pick(&clients),
        _ => pick(&others),
    }
}

impl Mark {
    fn new(since: DateTime<Utc>) -> Mark {
        Mark {
            floor: since,
            last_seen: since,
            seen: std::collections::HashMap::new(),
        }
    }

    /// Where the next query starts: `LATE` before the newest event seen, never before the
    /// floor, in whole seconds.
    fn asked_from(&self) -> DateTime<Utc> {
        (self.last_seen - LATE).max(self.floor).trunc_subsecs(0)
    }

    /// Keeps the events not seen yet; moves the mark to the newest.
    fn take(&mut self, events: Vec<AuditEvent>, more: bool) -> Found {
        let from = (self.last_seen - LATE).max(self.floor).trunc_subsecs(0);
        let new: Vec<&AuditEvent> = events
            .iter()
            .filter(|e| e.at >= from && e.at >= self.floor && !self.seen.contains_key(&key(e)))
            .collect();
        if let Some(newest) = new.iter().map(|e| e.at).max() {
            self.last_seen = self.last_seen.max(newest);
        }
        for e in &new {
            self.seen.insert(key(e), e.at);
        }
        // Forget what fell out of the window; keep the set bounded whatever arrives.
        let keep_from = (self.last_seen - LATE).trunc_subsecs(0);
        self.seen.retain(|_, at| *at >= keep_from);
        if self.seen.len() > MAX_SEEN {
            let mut times: Vec<DateTime<Utc>> = self.seen.values().copied().collect();
            times.sort_unstable();
            let cut = times[times.len() - MAX_SEEN];
            self.seen.retain(|_, at| *at >= cut);
        }
        match (new.len(), more) {
            (0, false) => Found::Nothing,
            (n, _) => Found::Changes(n.max(1)),
        }
    }
}

/// How the change poller runs.
#[derive(Debug, Clone, Copy)]
pub struct ChangeTiming {
    /// How often the audit trail is asked (`SCOPEWATCH_CHANGE_POLL`).
    pub period: Duration,
    /// The least time between two change-driven audits (`SCOPEWATCH_CHANGE_DEBOUNCE`).
    pub debounce: Duration,
}

/// When the next change-driven audit may start: the first at once, then at most one per
/// `every`, so an org whose clients change constantly is not audited (and stored) at every
/// poll.
#[derive(Debug)]
struct Debounce {
    every: Duration,
    last: Option<Instant>,
}

impl Debounce {
    /// How long until an audit may start (zero: now).
    fn wait(&self, now: Instant) -> Duration {
        self.last.map_or(Duration::ZERO, |last| {
            (last + self.every).saturating_duration_since(now)
        })
    }
}

/// Polls every `timing.period` until cancelled, while this replica owns the org (`Assignment`:
/// with replicas, the others do not even ask for the lock). Each poll takes the org's
/// change-poll lock for its own length only (one poller at a time across replicas, and no
/// connection held between polls: with many orgs, held locks would each keep a database
/// session open).
pub async fn change_loop(
    auditor: Arc<Auditor>,
    audits: AuditHandle,
    timing: ChangeTiming,
    cancel: CancellationToken,
) {
    let mut watch = ChangeWatch::new(Utc::now());
    let mut debounce = Debounce {
        every: timing.debounce,
        last: None,
    };
    // Whether this replica polled last time: if another did meanwhile, start from the store.
    let mut polled_last = false;
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(nap(&watch, &debounce, timing.period)) => {}
            _ = cancel.cancelled() => break,
        }
        // The org's owner polls (with replicas); the poll lock stays the safety net.
        if !auditor.assignment().owns(auditor.store().org()) {
            polled_last = false;
            continue;
        }
        let lock = match auditor.store().try_lock_change_poll().await {
            Ok(Some(taken)) => taken,
            Ok(None) => {
                polled_last = false;
                continue;
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot take the change-poll lock; not polling");
                }
                failing = true;
                polled_last = false;
                continue;
            }
        };
        if !polled_last {
            tracing::info!("this replica polls the audit trail for changes");
            watch = ChangeWatch::new(watch_from(&auditor).await);
            polled_last = true;
        }
        match watch.poll(auditor.genesys(), Utc::now()).await {
            Ok(Found::Nothing) => failing = false,
            Ok(Found::Changes(n)) => {
                failing = false;
                tracing::info!(changes = n, "OAuth clients or roles changed");
                watch.pending = true;
                // The other replicas hear of it (and reload the org's report).
                if let Err(e) = auditor.store().notify_report().await {
                    tracing::debug!(error = %e, "cannot tell the other replicas of the changes");
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot poll the audit trail for changes; the schedule goes on");
                }
                failing = true;
            }
        }
        if watch.pending {
            start(&audits, &mut watch, &mut debounce).await;
        }
        lock.release().await;
    }
}

/// How long to sleep before the next pass: the poll period, or less when changes wait for
/// the debounce to end (their audit starts when it ends, not at the poll after).
fn nap(watch: &ChangeWatch, debounce: &Debounce, period: Duration) -> Duration {
    match debounce.wait(Instant::now()) {
        wait if watch.pending && !wait.is_zero() => wait.min(period),
        _ => period,
    }
}

/// Where a new poller starts: the start of the newest successful audit (changes since then are
/// not in its report, even after a restart that skipped the start audit), within the realtime
/// query's reach; else now.
async fn watch_from(auditor: &Auditor) -> DateTime<Utc> {
    let now = Utc::now();
    let reach = chrono::Duration::days(REALTIME_REACH_DAYS);
    match auditor.store().latest(true).await {
        Ok(Some(latest)) if now - latest.started_at < reach => latest.started_at,
        _ => now,
    }
}

/// How far back the realtime query answers for every service (it keeps 14 days for some).
const REALTIME_REACH_DAYS: i64 = 13;

/// Starts the audit the changes seen call for, unless one started within the debounce or one
/// is running: the changes then stay pending and lead to one audit later.
async fn start(audits: &AuditHandle, watch: &mut ChangeWatch, debounce: &mut Debounce) {
    let now = Instant::now();
    if !debounce.wait(now).is_zero() {
        return;
    }
    // A running audit (scheduled or asked for) keeps the changes pending for the next pass.
    if let Ok(audit_id) = audits.start_now().await {
        watch.pending = false;
        debounce.last = Some(now);
        tracing::info!(audit_id, "audit started by changes in the audit trail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::snapshot::Named;

    fn event(id: &str, at: &str) -> AuditEvent {
        AuditEvent {
            id: Some(id.into()),
            at: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            user: None,
            client_id: None,
            action: "Create".into(),
            entity_type: "OAuthClient".into(),
            entity: Some(Named {
                id: "c".into(),
                name: None,
            }),
            properties: vec![],
        }
    }

    #[test]
    fn oauth_clients_are_asked_every_other_poll_and_the_other_types_in_turn_between() {
        let pair = |service: &str, kind: &str| {
            (
                (service.to_string(), kind.to_string()),
                Mark::new(Utc::now()),
            )
        };
        let pairs = vec![
            pair("PeoplePermissions", "OAuthClient"),
            pair("PeoplePermissions", "Role"),
            pair("PeoplePermissions", "OAuthClientAuthorization"),
            pair("Directory", "OrganizationAuthorizationTrust"),
        ];
        let asked: Vec<&str> = (0..8)
            .map(|turn| pairs[next_pair(&pairs, turn)].0.1.as_str())
            .collect();
        assert_eq!(
            asked,
            [
                "OAuthClient",
                "Role",
                "OAuthClient",
                "OAuthClientAuthorization",
                "OAuthClient",
                "OrganizationAuthorizationTrust",
                "OAuthClient",
                "Role"
            ]
        );
        let only_roles = vec![pair("PeoplePermissions", "Role")];
        assert_eq!(next_pair(&only_roles, 0), 0);
        assert_eq!(next_pair(&only_roles, 1), 0);
    }

    #[test]
    fn the_first_change_driven_audit_may_start_at_once_the_next_one_debounce_later() {
        let t0 = Instant::now();
        let mut debounce = Debounce {
            every: Duration::from_secs(300),
            last: None,
        };
        assert_eq!(debounce.wait(t0), Duration::ZERO, "the first at once");
        debounce.last = Some(t0);
        assert_eq!(
            debounce.wait(t0 + Duration::from_secs(60)),
            Duration::from_secs(240)
        );
        assert_eq!(debounce.wait(t0 + Duration::from_secs(300)), Duration::ZERO);
        let mut watch = ChangeWatch::new(Utc::now());
        let period = Duration::from_secs(120);
        let now = Instant::now();
        debounce.last = Some(now - Duration::from_secs(240));
        assert_eq!(nap(&watch, &debounce, period), period, "nothing pending");
        watch.pending = true;
        let napped = nap(&watch, &debounce, period);
        assert!(
            napped <= Duration::from_secs(60) && napped > Duration::from_secs(50),
            "pending changes wake the poller when the debounce ends: {napped:?}"
        );
    }

    #[test]
    fn each_event_counts_once_and_older_ones_never() {
        let start = DateTime::parse_from_rfc3339("2026-11-26T10:00:00.500Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut watch = Mark::new(start);
        assert_eq!(watch.take(vec![], false), Found::Nothing);
        assert_eq!(
            watch.take(vec![event("old", "2026-11-26T09:59:59Z")], false),
            Found::Nothing
        );
        let first = vec![event("a", "2026-11-26T10:00:05Z")];
        assert_eq!(watch.take(first.clone(), false), Found::Changes(1));
        assert_eq!(watch.take(first, false), Found::Nothing, "seen already");
        assert_eq!(
            watch.take(
                vec![
                    event("b", "2026-11-26T10:00:05Z"),
                    event("a", "2026-11-26T10:00:05Z")
                ],
                false
            ),
            Found::Changes(1),
            "same second, new id"
        );
        assert_eq!(
            watch.take(vec![], true),
            Found::Changes(1),
            "a full page cannot rule a change out"
        );
        // Recorded late: dated before the newest seen, within the window, counted once.
        let late = vec![event("late", "2026-11-26T10:00:03Z")];
        assert_eq!(watch.take(late.clone(), false), Found::Changes(1));
        assert_eq!(watch.take(late, false), Found::Nothing);
        assert_eq!(
            watch.asked_from().to_rfc3339(),
            "2026-11-26T10:00:00+00:00",
            "five minutes before the newest event seen, never before where the watch started"
        );
        assert_eq!(
            watch.take(vec![event("c", "2026-11-26T10:07:00Z")], false),
            Found::Changes(1)
        );
        assert_eq!(watch.asked_from().to_rfc3339(), "2026-11-26T10:02:00+00:00");
    }
}
