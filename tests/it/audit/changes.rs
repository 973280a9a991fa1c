//! The change poller against the simulator: a changed OAuth client starts one audit, a quiet
//! or refused trail starts none. The poller runs as `serve` runs it but every few
//! milliseconds (its period is a parameter), and the tests wait for the polls themselves in
//! the simulator's request log, never for wall time.

use std::time::{Duration, Instant};

use chrono::Utc;
use scopewatch::auditor::{AuditHandle, ChangeTiming, ChangeWatch, Found, change_loop};
use scopewatch::store::Outcome;
use scopewatch_sim::OddRecords;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::trail::{
    create_client_as_operator, org_with_operator, org_without_the_audits_permission, risky_client,
};
use super::*;

const MAPPING: &str = "/api/v2/audits/query/servicemapping";
const REALTIME_MAPPING: &str = "/api/v2/audits/query/realtime/servicemapping";
const REALTIME: &str = "/api/v2/audits/query/realtime";

/// Short, so dozens of polls take a moment; not zero, so the rest of the test runs between
/// them.
const PERIOD: Duration = Duration::from_millis(5);

/// The org's change poller as `serve` spawns it, polling every `PERIOD`; the audits it
/// starts run on its own tracker.
struct Poller {
    cancel: CancellationToken,
    tasks: TaskTracker,
    began: Instant,
}

impl Poller {
    /// The poller with no debounce: every change found starts an audit.
    fn spawn(app: &TestApp) -> Poller {
        Poller::with_timing(
            app,
            ChangeTiming {
                period: PERIOD,
                debounce: Duration::ZERO,
            },
        )
    }

    fn with_timing(app: &TestApp, timing: ChangeTiming) -> Poller {
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let audits = AuditHandle::new(app.auditor.clone(), tasks.clone(), cancel.clone());
        tasks.spawn(change_loop(
            app.auditor.clone(),
            audits,
            timing,
            cancel.clone(),
        ));
        Poller {
            cancel,
            tasks,
            began: Instant::now(),
        }
    }

    /// Stops the poller and any audit it started; how long it ran.
    async fn stop(self) -> Duration {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks.wait().await;
        self.began.elapsed()
    }
}

/// Calls to the audit trail API the simulator has answered.
fn trail_calls(sim: &RunningSim) -> usize {
    calls_where(sim, |path| path.starts_with("/api/v2/audits/"))
}

fn calls(sim: &RunningSim, path: &str) -> usize {
    calls_where(sim, |p| p == path)
}

fn calls_where(sim: &RunningSim, path: impl Fn(&str) -> bool) -> usize {
    sim.requests().iter().filter(|r| path(&r.path)).count()
}

/// Waits (at most 30 s) until `count` reaches `n`. The simulator logs a call before it
/// answers, and the poller sends its next call only after handling the last: once poll `n`
/// is logged, polls before it were handled and any audit they started has begun.
async fn wait_until(sim: &RunningSim, count: fn(&RunningSim) -> usize, n: usize) {
    let began = Instant::now();
    while count(sim) < n {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "{} of {n} calls in 30 s",
            count(sim)
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn realtime_calls(sim: &RunningSim) -> usize {
    calls(sim, REALTIME)
}

/// Audits begun here, running or ended (`GET /audits`).
async fn audits_begun(app: &TestApp) -> usize {
    json(app.get("/audits").await).await["audits"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_poller_refused_by_the_audit_api_starts_no_audit_and_the_service_goes_on() {
    let sim = start_sim(org_without_the_audits_permission()).await;
    let app = spawn_app_on(sim, &temp_database(), &[]).await;
    app.audit().await.unwrap();
    let by_the_audit = trail_calls(&app.sim);
    let poller = Poller::spawn(&app);
    create_client_as_operator(&app.sim, risky_client("Unseen")).await;
    wait_until(&app.sim, trail_calls, by_the_audit + 6).await;
    assert_eq!(audits_begun(&app).await, 1, "a refused poll is no change");
    let statuses: Vec<u16> = app
        .sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v2/audits/"))
        .map(|r| r.status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == 403),
        "the audit and every poll were refused: {statuses:?}"
    );
    // The service goes on: it serves the report that says why, and audits on request.
    let report = json(app.get("/report").await).await;
    assert!(
        report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("audit trail unknown")),
        "{}",
        report["warnings"]
    );
    app.audit().await.expect("an audit on request still runs");
    poller.stop().await;
}

#[tokio::test]
async fn a_risky_client_created_while_serving_is_reported_after_one_audit_and_no_more() {
    // Two audits (each with a second usage job and up to five per-client usage jobs since
    // usage-anomaly) and the polls every 5 ms pass one gate: at the default 120 a minute the last polls would wait for the first
    // audit's calls to age out. This test is about the poller, not the ceiling.
    let app = spawn_app_on(
        start_sim(org_with_operator()).await,
        &temp_database(),
        &[("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE", "300")],
    )
    .await;
    let first = app.audit().await.unwrap().report.audit_id.clone();
    let poller = Poller::spawn(&app);
    // A quiet org starts no audit: eight polls find nothing (OAuth clients are asked every
    // other one).
    wait_until(&app.sim, realtime_calls, 8).await;
    assert_eq!(audits_begun(&app).await, 1);

    let mut finished = app.auditor.finished();
    let created = create_client_as_operator(&app.sim, risky_client("Created at 10:05")).await;
    let ended = tokio::time::timeout(
        Duration::from_secs(30),
        finished.wait_for(|f| f.as_ref().is_some_and(|f| f.audit_id != first)),
    )
    .await
    .expect("the change starts an audit that ends within 30 s")
    .unwrap()
    .clone()
    .unwrap();
    assert_eq!(ended.outcome, Outcome::Success, "{:?}", ended.error);
    let report = json(app.get("/report").await).await;
    assert_eq!(report["audit_id"], ended.audit_id.as_str());
    let new = report["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == created.as_str())
        .expect("the new client is in the report");
    assert_eq!(new["risk_level"], "HIGH", "{new}");

    // Exactly one extra audit, and no more once the change was seen: eight more polls, the
    // change in the answer of every other one, start nothing.
    let asked = realtime_calls(&app.sim);
    wait_until(&app.sim, realtime_calls, asked + 8).await;
    assert_eq!(audits_begun(&app).await, 2);
    let ran = poller.stop().await;
    // Polls come at least `PERIOD` apart, one upstream call each (the first reads the
    // realtime mapping).
    let poller_calls = calls(&app.sim, REALTIME) + calls(&app.sim, REALTIME_MAPPING);
    let most = (ran.as_micros() / PERIOD.as_micros()) as usize + 1;
    assert!(
        (asked + 8..=most).contains(&poller_calls),
        "{poller_calls} poller calls in {ran:?} at one poll every {PERIOD:?}"
    );
}

/// The poller's unit of work, driven by hand: one call per poll (the mapping first, then one
/// realtime query), a new client found within two polls and counted once.
#[tokio::test]
async fn each_poll_is_one_call_and_finds_a_new_client_within_two_polls_once() {
    let app = spawn_app_on(start_sim(org_with_operator()).await, &temp_database(), &[]).await;
    app.audit().await.unwrap();
    let mut watch = ChangeWatch::new(Utc::now());
    let mut poll = async |expected: usize| {
        let before = (calls(&app.sim, REALTIME_MAPPING), realtime_calls(&app.sim));
        let found = watch.poll(app.auditor.genesys(), Utc::now()).await.unwrap();
        let after = (calls(&app.sim, REALTIME_MAPPING), realtime_calls(&app.sim));
        assert_eq!(
            (after.0 - before.0) + (after.1 - before.1),
            1,
            "one call for poll {expected}"
        );
        (found, after.1 > before.1)
    };
    let (found, realtime) = poll(0).await;
    assert_eq!(
        (found, realtime),
        (Found::Nothing, false),
        "the mapping first"
    );
    for n in 1..=6 {
        let (found, realtime) = poll(n).await;
        assert_eq!((found, realtime), (Found::Nothing, true), "a quiet org");
    }
    create_client_as_operator(&app.sim, risky_client("Seen")).await;
    let found: Vec<Found> = [poll(7).await.0, poll(8).await.0].into();
    assert_eq!(
        found
            .iter()
            .filter(|f| matches!(f, Found::Changes(n) if *n >= 1))
            .count(),
        1,
        "{found:?}"
    );
    for n in 9..=12 {
        assert_eq!(poll(n).await.0, Found::Nothing, "seen once");
    }
}

/// The poller's services come from the realtime query's own mapping: the simulator's is
/// smaller than the async one (it lacks `OrganizationAuthorizationTrust`) and refuses what it
/// does not list with 400, so asking from the async mapping would fail a poll in every few.
#[tokio::test]
async fn the_poller_asks_only_what_the_realtime_mapping_lists_and_still_sees_a_change() {
    let app = spawn_app_on(start_sim(org_with_operator()).await, &temp_database(), &[]).await;
    let mut watch = ChangeWatch::new(Utc::now());
    let client = app.auditor.genesys();
    // The mapping, then enough polls to ask every pair either mapping gives at least twice.
    let mut polls = Vec::new();
    for _ in 0..=12 {
        polls.push(watch.poll(client, Utc::now()).await);
    }
    let failed: Vec<String> = polls
        .iter()
        .filter_map(|p| p.as_ref().err().map(|e| e.to_string()))
        .collect();
    assert!(failed.is_empty(), "every poll answered: {failed:?}");
    let realtime: Vec<u16> = app
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == REALTIME)
        .map(|r| r.status)
        .collect();
    assert_eq!(realtime.len(), 12);
    assert!(
        realtime.iter().all(|s| *s == 200),
        "no realtime query for a service outside the realtime mapping: {realtime:?}"
    );
    assert_eq!(
        (calls(&app.sim, REALTIME_MAPPING), calls(&app.sim, MAPPING)),
        (1, 0),
        "the poller reads the realtime mapping, never the async one"
    );

    create_client_as_operator(&app.sim, risky_client("Seen in realtime")).await;
    let mut found = Vec::new();
    for _ in 0..2 {
        found.push(watch.poll(client, Utc::now()).await.unwrap());
    }
    assert!(
        found
            .iter()
            .any(|f| matches!(f, Found::Changes(n) if *n >= 1)),
        "a new OAuth client is seen within two polls: {found:?}"
    );
}

/// `serve` with `SCOPEWATCH_CHANGE_POLL` starts the poller beside the schedule (the tests above
/// spawn it themselves to poll faster than the 1 s the setting allows).
#[tokio::test]
async fn serve_with_a_change_poll_polls_the_audit_trail() {
    let sim = start_sim(org_with_operator()).await;
    let env: std::collections::BTreeMap<String, String> = [
        ("GENESYS_OAUTH_CLIENT_ID", CLIENT_ID.to_string()),
        ("GENESYS_OAUTH_CLIENT_SECRET", SECRET.to_string()),
        ("GENESYS_API_BASE_URL", sim.base_url()),
        ("GENESYS_LOGIN_BASE_URL", sim.base_url()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        ("SCOPEWATCH_DATABASE_URL", temp_database()),
        ("SCOPEWATCH_AUDIT_INTERVAL", "1h".to_string()),
        ("SCOPEWATCH_CHANGE_POLL", "1s".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = scopewatch::config::Settings::load(&env, None).unwrap();
    let app = scopewatch::app::App::build(settings, false).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    // Only the poller asks the realtime query; its first poll reads the mapping.
    wait_until(&sim, realtime_calls, 1).await;
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Changes keep coming: the first starts an audit at once, those seen during the debounce lead
/// to one more audit when it ends, and to no other.
#[tokio::test]
async fn change_driven_audits_are_coalesced_to_one_per_debounce_the_first_at_once() {
    const DEBOUNCE: Duration = Duration::from_millis(2500);
    let app = spawn_app_on(
        start_sim(org_with_operator()).await,
        &temp_database(),
        &[("SCOPEWATCH_MAX_REQUESTS_PER_MINUTE", "300")],
    )
    .await;
    let first = app.audit().await.unwrap().report.audit_id.clone();
    // Slower polls than the other tests': three audits and the polls stay within the calls a
    // minute allows, so no call waits for the rate limit.
    let timing = ChangeTiming {
        period: Duration::from_millis(100),
        debounce: DEBOUNCE,
    };
    let poller = Poller::with_timing(&app, timing);
    wait_until(&app.sim, realtime_calls, 2).await;
    let mut finished = app.auditor.finished();
    let began = Instant::now();
    create_client_as_operator(&app.sim, risky_client("First change")).await;
    let second = tokio::time::timeout(
        Duration::from_secs(30),
        finished.wait_for(|f| f.as_ref().is_some_and(|f| f.audit_id != first)),
    )
    .await
    .expect("the first change starts an audit")
    .unwrap()
    .clone()
    .unwrap()
    .audit_id;
    assert!(
        began.elapsed() < DEBOUNCE,
        "the first change-driven audit starts at once, not after {:?}",
        began.elapsed()
    );
    // Two more changes, each seen by the poller (OAuth clients are asked every other poll)
    // while the debounce holds.
    for name in ["Second change", "Third change"] {
        create_client_as_operator(&app.sim, risky_client(name)).await;
        let asked = realtime_calls(&app.sim);
        wait_until(&app.sim, realtime_calls, asked + 4).await;
    }
    tokio::time::timeout(
        Duration::from_secs(30),
        finished.wait_for(|f| f.as_ref().is_some_and(|f| f.audit_id != second)),
    )
    .await
    .expect("the changes seen during the debounce lead to an audit when it ends")
    .unwrap();
    assert!(
        began.elapsed() >= DEBOUNCE,
        "the next change-driven audit waited for the debounce: {:?}",
        began.elapsed()
    );
    let asked = realtime_calls(&app.sim);
    wait_until(&app.sim, realtime_calls, asked + 8).await;
    poller.stop().await;
    assert_eq!(
        audits_begun(&app).await,
        3,
        "one audit asked, one at the first change, one for both changes in the debounce"
    );
}

/// An event dated after the interval asked (a clock gone wrong upstream, or a hostile one) is
/// skipped and counted, and the poller still sees the changes that come after it.
#[tokio::test]
async fn a_realtime_event_dated_in_the_future_is_skipped_counted_and_later_changes_are_seen() {
    let app = spawn_app_on(start_sim(org_with_operator()).await, &temp_database(), &[]).await;
    let mut watch = ChangeWatch::new(Utc::now());
    let client = app.auditor.genesys();
    assert_eq!(
        watch.poll(client, Utc::now()).await.unwrap(),
        Found::Nothing
    );
    create_client_as_operator(&app.sim, risky_client("Hidden by the future")).await;
    let future = serde_json::json!({
        "id": "from-the-future",
        "serviceName": "PeoplePermissions",
        "eventDate": (Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "action": "Create",
        "entityType": "OAuthClient",
        "entity": {"id": "future-client"},
    });
    app.sim
        .faults()
        .odd_records(REALTIME, OddRecords::Replace(0, future));
    let mut found = Vec::new();
    for _ in 0..2 {
        found.push(watch.poll(client, Utc::now()).await.unwrap());
    }
    assert_eq!(
        found,
        [Found::Nothing, Found::Nothing],
        "the one event is skipped"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let skipped = metrics
        .lines()
        .find(|l| {
            l.starts_with("scopewatch_upstream_records_skipped_total{")
                && l.contains(&format!("endpoint=\"{REALTIME}\""))
        })
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert_eq!(skipped, Some(1.0), "{metrics}");

    app.sim.faults().clear();
    create_client_as_operator(&app.sim, risky_client("Seen after the future")).await;
    let mut found = Vec::new();
    for _ in 0..2 {
        found.push(watch.poll(client, Utc::now()).await.unwrap());
    }
    assert!(
        found.contains(&Found::Changes(2)),
        "both real changes are seen: {found:?}"
    );
}
