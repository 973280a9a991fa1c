//! Three replicas on one PostgreSQL: one audit at a time, every replica serves the newest report.

use crate::helpers::*;
use crate::store::{postgres_schema_url, postgres_url};

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn three_replicas_audit_one_at_a_time_and_all_serve_the_newest_report() {
    let server = postgres_url();
    let url = postgres_schema_url(&server).await;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(spawn_app_on(start_sim(org(25)).await, &url, &[]).await);
    }
    // All three try at once: exactly one gets the audit.
    let (a, b, c) = tokio::join!(
        replicas[0].auditor.begin(),
        replicas[1].auditor.begin(),
        replicas[2].auditor.begin()
    );
    let mut tickets: Vec<_> = [a, b, c]
        .into_iter()
        .enumerate()
        .filter_map(|(i, t)| t.ok().map(|t| (i, t)))
        .collect();
    assert_eq!(tickets.len(), 1, "exactly one replica may audit");
    let (winner, ticket) = tickets.pop().unwrap();
    // While it runs, POST /audits on another replica is refused.
    let other = (winner + 1) % 3;
    assert_eq!(replicas[other].post_audit().await.status(), 409);
    let report = replicas[winner].auditor.run(ticket).await.unwrap();
    let newest = report.report.audit_id.clone();
    let generated = report.report.generated_at.timestamp_millis() as f64 / 1000.0;

    // Every replica serves it: the others load it when they hear of it (NOTIFY), well within
    // 5 s, with the gauges of the served report: last success 1 at the report's time, though
    // only one replica audited.
    assert!(
        !replicas[winner].auditor.refresh().await,
        "the winner serves its own"
    );
    for (i, r) in replicas.iter().enumerate() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while json(r.get("/report").await).await["audit_id"] != newest.as_str() {
            assert!(
                std::time::Instant::now() < deadline,
                "replica {i} did not hear of the new report"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            !r.auditor.refresh().await,
            "replica {i} already serves the newest"
        );
        let metrics = r.get("/metrics").await.text().await.unwrap();
        assert_eq!(
            gauge(&metrics, "scopewatch_last_audit_success"),
            Some(1.0),
            "replica {i}"
        );
        assert_eq!(
            gauge(&metrics, "scopewatch_last_audit_success_timestamp_seconds"),
            Some(generated),
            "replica {i}"
        );
        assert_eq!(
            gauge(&metrics, "scopewatch_last_audit_new_findings"),
            Some(report.changes.new as f64),
            "replica {i}"
        );
    }
    // The lock was released: another replica can start one now.
    assert_eq!(replicas[other].post_audit().await.status(), 202);
    for mut r in replicas {
        r.stop().await.unwrap();
    }
}

/// A database blip ends the session that held the audit lock: another replica may audit now,
/// so the audit that lost it drops its result instead of storing an overlapping one.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn an_audit_that_loses_its_lock_drops_its_result() {
    let server = postgres_url();
    let url = postgres_schema_url(&server).await;
    let mut app = spawn_app_on(start_sim(org(10)).await, &url, &[]).await;
    let ticket = app.auditor.begin().await.unwrap();
    let id = ticket.audit_id.clone();
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    let schema = url.rsplit("search_path%3D").next().unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' \
         AND classid::bigint = $1 AND objid::bigint = (hashtext($2)::bigint & 4294967295)",
    )
    .bind(i64::from(scopewatch::store::AUDIT_LOCK_KEY))
    .bind(schema)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(killed, [true], "the lock's session was found and ended");
    let err = app.auditor.run(ticket).await.unwrap_err();
    assert_eq!(err.metric_label(), "lock_lost");
    assert_eq!(app.get("/readyz").await.status(), 503, "nothing installed");
    let listed = json(app.get("/audits").await).await;
    assert!(
        listed["audits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["audit_id"] != id.as_str()),
        "{listed}"
    );
    // The next audit takes the lock afresh and succeeds.
    app.audit().await.unwrap();
    admin.close().await;
    app.stop().await.unwrap();
}

/// One change poller across replicas: the change-poll lock is taken by one replica at a time,
/// and it is not the audit lock (the poller's replica can audit, and so can another).
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn one_replica_polls_for_changes_and_the_poll_lock_is_not_the_audit_lock() {
    let server = postgres_url();
    let url = postgres_schema_url(&server).await;
    let mut a = spawn_app_on(start_sim(org(5)).await, &url, &[]).await;
    let mut b = spawn_app_on(start_sim(org(5)).await, &url, &[]).await;
    let held = a.auditor.store().try_lock_change_poll().await.unwrap();
    assert!(held.is_some(), "the first replica takes the poll lock");
    assert!(
        b.auditor
            .store()
            .try_lock_change_poll()
            .await
            .unwrap()
            .is_none(),
        "a second poller is refused"
    );
    // Auditing is not blocked by the poller, on either replica.
    let ticket = b.auditor.begin().await.expect("the audit lock is free");
    b.auditor.abandon(&ticket.audit_id);
    drop(ticket);
    held.unwrap().release().await;
    let taken = b.auditor.store().try_lock_change_poll().await.unwrap();
    assert!(taken.is_some(), "released, another replica takes over");
    taken.unwrap().release().await;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// A rolling upgrade from the single-org version: a replica still running it holds the lock
/// `(AUDIT_LOCK_KEY, hashtext(schema))`; the new version's `default` org must see that very
/// lock as taken (never two audits of one org at once), while another org is not blocked.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn the_default_orgs_audit_lock_is_the_single_org_versions_lock() {
    let server = postgres_url();
    let url = postgres_schema_url(&server).await;
    let store = scopewatch::store::Store::connect(&url, std::time::Duration::ZERO)
        .await
        .unwrap();
    let previous = sqlx::PgPool::connect(&url).await.unwrap();
    let mut session = previous.acquire().await.unwrap();
    let taken: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext(current_schema()))")
            .bind(scopewatch::store::AUDIT_LOCK_KEY)
            .fetch_one(&mut *session)
            .await
            .unwrap();
    assert!(taken);
    assert!(
        store.try_lock_audit().await.unwrap().is_none(),
        "the previous version's lock is the default org's"
    );
    let other = store.for_org("emea").try_lock_audit().await.unwrap();
    assert!(other.is_some(), "another org is not blocked by it");
    other.unwrap().release().await;
    drop(session);
    previous.close().await;
    store.close().await;
}
