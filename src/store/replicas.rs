//! Replicas sharing one PostgreSQL divide the orgs between them. Each records a heartbeat in
//! the `replicas` table every `HEARTBEAT_PERIOD`; the live replicas are those seen within
//! `REPLICA_TTL` (by the database's clock); each org belongs to one live replica, chosen by
//! rendezvous hashing, so a replica that joins or leaves moves only the orgs it gains or had.
//! The per-org advisory lock stays the safety net against two audits at once. SQLite serves one
//! process, which owns every org.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{Backend, Store, StoreError, query_error};

/// How often a replica records that it is alive.
pub const HEARTBEAT_PERIOD: Duration = Duration::from_secs(5);

/// A replica not seen for this long is dead and its orgs go to the others: three missed
/// heartbeats, so one slow database answer does not move orgs. A dead replica's orgs are
/// audited by the others at most TTL + one heartbeat (25 s) after its last heartbeat, well
/// within the 2 minutes promised.
pub const REPLICA_TTL: Duration = Duration::from_secs(20);

/// Rows of replicas gone for this long are deleted (they only cost a row each meanwhile).
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The database's clock in milliseconds (replicas' clocks need not agree).
const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

impl Store {
    /// Records `replica` as alive now and gives the live replicas (seen within `ttl`, `replica`
    /// among them), sorted: one statement. SQLite: `replica` alone.
    pub async fn heartbeat(&self, replica: &str, ttl: Duration) -> Result<Vec<String>, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(vec![replica.to_string()]);
        };
        let sql = format!(
            "WITH beat AS (INSERT INTO replicas (id, last_seen_ms) VALUES ($1, {NOW_MS}) \
               ON CONFLICT (id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms RETURNING id) \
             SELECT id FROM beat UNION SELECT id FROM replicas WHERE id <> $1 AND last_seen_ms >= {NOW_MS} - $2 \
             ORDER BY 1"
        );
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        sqlx::query_scalar::<_, String>(&sql)
            .bind(replica)
            .bind(ttl_ms)
            .fetch_all(pool)
            .await
            .map_err(query_error("heartbeat"))
    }

    /// Forgets `replica` (at shutdown: the others take its orgs at their next heartbeat rather
    /// than after the TTL) and the rows of replicas gone for a day.
    pub async fn leave(&self, replica: &str) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        let sql = format!("DELETE FROM replicas WHERE id = $1 OR last_seen_ms < {NOW_MS} - $2");
        sqlx::query(&sql)
            .bind(replica)
            .bind(FORGET_AFTER_MS)
            .execute(pool)
            .await
            .map_err(query_error("leave"))?;
        Ok(())
    }
}

/// Which replica audits which org: this replica's name and the live replicas it last saw.
/// Every org's schedule asks it before auditing and follows its changes (`subscribe`).
#[derive(Debug)]
pub struct Assignment {
    me: Arc<str>,
    live: watch::Sender<Arc<[String]>>,
}

impl Assignment {
    /// `me` alone: it owns every org until it hears of others.
    pub fn new(me: Arc<str>) -> Arc<Assignment> {
        let (live, _) = watch::channel(Arc::from(vec![me.to_string()]));
        Arc::new(Assignment { me, live })
    }

    pub fn me(&self) -> &str {
        &self.me
    }

    /// Whether this replica audits `org` on schedule.
    pub fn owns(&self, org: &str) -> bool {
        let live = self.live.borrow();
        owner(&live, org).is_none_or(|owner| owner == &*self.me)
    }

    /// The live replicas, sorted (this one among them).
    pub fn live(&self) -> Arc<[String]> {
        self.live.borrow().clone()
    }

    /// Told when the live replicas change.
    pub fn subscribe(&self) -> watch::Receiver<Arc<[String]>> {
        self.live.subscribe()
    }

    /// Takes the live replicas a heartbeat read (this one always among them: it is alive).
    /// True when they changed.
    pub fn set_live(&self, mut live: Vec<String>) -> bool {
        if !live.iter().any(|r| *r == *self.me) {
            live.push(self.me.to_string());
        }
        live.sort();
        live.dedup();
        self.live.send_if_modified(|current| {
            if **current == *live {
                return false;
            }
            *current = Arc::from(live);
            true
        })
    }
}

/// The replica among `live` that owns `org`: the highest rendezvous score (ties, which need
/// a 64-bit collision, go to the greater name).
pub fn owner<'a>(live: &'a [String], org: &str) -> Option<&'a String> {
    live.iter()
        .max_by_key(|replica| (score(replica, org), *replica))
}

/// A stable 64-bit score of the pair (FNV-1a over both names, then a finalizer that spreads
/// the bits): the same on every replica and every version.
fn score(replica: &str, org: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in replica.bytes().chain([0xff]).chain(org.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64's finalizer.
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// Every `HEARTBEAT_PERIOD` until cancelled: records this replica alive and updates the
/// assignment; at the end, leaves (the others take its orgs at once). A failed heartbeat keeps
/// the last live set (the database is down: audits run on the local lock anyway).
pub async fn heartbeat_loop(
    store: Arc<Store>,
    assignment: Arc<Assignment>,
    cancel: CancellationToken,
) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(HEARTBEAT_PERIOD) => {}
            _ = cancel.cancelled() => break,
        }
        beat(&store, &assignment, &mut failing).await;
    }
    if let Err(e) = store.leave(assignment.me()).await {
        tracing::warn!(error = %e, "cannot remove this replica from the live replicas");
    }
}

/// One heartbeat: logs a change of the live replicas, and a failure once per outage.
pub async fn beat(store: &Store, assignment: &Assignment, failing: &mut bool) {
    match store.heartbeat(assignment.me(), REPLICA_TTL).await {
        Ok(live) => {
            *failing = false;
            if assignment.set_live(live) {
                let live = assignment.live();
                tracing::info!(replicas = live.len(), live = ?live, "the live replicas changed; orgs reassigned");
            }
        }
        Err(e) => {
            if !*failing {
                tracing::warn!(error = %e, "cannot record this replica's heartbeat; keeping the last live replicas");
            }
            *failing = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn org(i: usize) -> String {
        format!("org-{i:04}")
    }

    #[test]
    fn every_org_has_one_owner_and_three_replicas_share_a_thousand_fairly() {
        let live = replicas(&["replica-a", "replica-b", "replica-c"]);
        let mut counts = std::collections::BTreeMap::new();
        for i in 1..=1000 {
            *counts
                .entry(owner(&live, &org(i)).unwrap().clone())
                .or_insert(0) += 1;
        }
        assert_eq!(counts.len(), 3, "{counts:?}");
        assert!(
            counts.values().all(|&n| (280..=390).contains(&n)),
            "{counts:?}"
        );
        assert_eq!(owner(&[], "org-0001"), None);
    }

    #[test]
    fn a_replica_leaving_moves_only_its_own_orgs_and_joining_takes_only_new_ones() {
        let three = replicas(&["a", "b", "c"]);
        let two = replicas(&["a", "b"]);
        let mut moved = 0;
        for i in 1..=500 {
            let before = owner(&three, &org(i)).unwrap();
            let after = owner(&two, &org(i)).unwrap();
            if before == "c" {
                moved += 1;
                assert_ne!(after, "c");
            } else {
                assert_eq!(before, after, "{} moved though its replica stayed", org(i));
            }
        }
        assert!(moved > 100, "c owned {moved}");
    }

    #[test]
    fn the_assignment_keeps_itself_alive_and_reports_changes_once() {
        let assignment = Assignment::new(Arc::from("b"));
        assert!(assignment.owns("org-0001"), "alone, it owns every org");
        assert!(assignment.set_live(replicas(&["c", "a"])), "b is added");
        assert_eq!(&*assignment.live(), &replicas(&["a", "b", "c"])[..]);
        assert!(
            !assignment.set_live(replicas(&["a", "b", "c"])),
            "no change"
        );
        let live = assignment.live();
        let mine: usize = (1..=300)
            .filter(|&i| assignment.owns(&org(i)))
            .inspect(|&i| assert_eq!(owner(&live, &org(i)).unwrap(), "b"))
            .count();
        assert!((50..=150).contains(&mine), "{mine}");
    }
}
