//! What every backend must do.

use chrono::{Duration, TimeZone, Utc};
use scopewatch::store::Outcome;
use scopewatch::store::{AuditRecord, Store};

use super::gzip_report;

use crate::on_both;

fn audit(id: &str, minutes: i64, outcome: Outcome) -> AuditRecord {
    let started = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes);
    AuditRecord {
        audit_id: id.into(),
        started_at: started,
        finished_at: Some(started + Duration::seconds(2)),
        outcome,
        error: (outcome == Outcome::Failure).then(|| "boom".to_string()),
        total_clients: Some(10 + minutes),
        high_risk_count: Some(3),
        findings: Some(7),
        new_findings: Some(1),
        resolved_findings: Some(0),
        policy_sha256: Some("abc".into()),
        replica: None,
    }
}

async fn saves_and_reads_back_an_audit_and_its_report(store: Store) {
    let a = audit("a1", 0, Outcome::Success);
    store
        .save(&a, Some(&gzip_report("{\"audit_id\":\"a1\"}")))
        .await
        .unwrap();
    assert_eq!(store.get("a1").await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.report_json("a1").await.unwrap().as_deref(),
        Some("{\"audit_id\":\"a1\"}")
    );
    assert_eq!(store.get("nope").await.unwrap(), None);
    assert_eq!(store.report_json("nope").await.unwrap(), None);
    // Saving again is harmless (a retried write).
    store.save(&a, Some(&gzip_report("{}"))).await.unwrap();
    assert_eq!(
        store.report_json("a1").await.unwrap().as_deref(),
        Some("{\"audit_id\":\"a1\"}")
    );
}
on_both!(saves_and_reads_back_an_audit_and_its_report);

async fn keeps_the_replica_that_ran_each_audit(store: Store) {
    let mut by_b = audit("b1", 1, Outcome::Success);
    by_b.replica = Some("replica-b".into());
    let unknown = audit("u0", 0, Outcome::Failure);
    store.save(&unknown, None).await.unwrap();
    store.save(&by_b, None).await.unwrap();
    assert_eq!(
        store.get("b1").await.unwrap().unwrap().replica.as_deref(),
        Some("replica-b")
    );
    let listed = store.list(10, None).await.unwrap().unwrap();
    let replicas: Vec<Option<&str>> = listed.iter().map(|a| a.replica.as_deref()).collect();
    assert_eq!(replicas, [Some("replica-b"), None]);
    assert_eq!(
        store
            .latest(true)
            .await
            .unwrap()
            .unwrap()
            .replica
            .as_deref(),
        Some("replica-b")
    );
}
on_both!(keeps_the_replica_that_ran_each_audit);

async fn lists_newest_first_in_pages(store: Store) {
    for (i, id) in ["a1", "a2", "a3", "a4", "a5"].iter().enumerate() {
        let outcome = if i == 3 {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        store
            .save(&audit(id, i as i64, outcome), None)
            .await
            .unwrap();
    }
    let ids = |v: Vec<AuditRecord>| v.into_iter().map(|a| a.audit_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list(2, None).await.unwrap().unwrap()),
        ["a5", "a4"]
    );
    assert_eq!(
        ids(store.list(2, Some("a4")).await.unwrap().unwrap()),
        ["a3", "a2"]
    );
    assert_eq!(
        ids(store.list(10, Some("a2")).await.unwrap().unwrap()),
        ["a1"]
    );
    assert!(store.list(2, Some("unknown")).await.unwrap().is_none());
    assert_eq!(
        store.previous_success("a5").await.unwrap().as_deref(),
        Some("a3"),
        "skips the failure"
    );
    assert_eq!(store.previous_success("a1").await.unwrap(), None);
    let latest = store.latest(true).await.unwrap().unwrap();
    assert_eq!(latest.audit_id, "a5");
    assert_eq!(
        latest.finished_at,
        Some(latest.started_at + Duration::seconds(2))
    );
}
on_both!(lists_newest_first_in_pages);

async fn retention_prunes_old_audits_but_never_the_latest_good_one(store: Store) {
    store
        .save(
            &audit("old-good", 0, Outcome::Success),
            Some(&gzip_report("{}")),
        )
        .await
        .unwrap();
    store
        .save(&audit("old-failed", 10, Outcome::Failure), None)
        .await
        .unwrap();
    let cutoff = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    // Everything is older than the cutoff; the newest success stays.
    assert_eq!(store.prune(cutoff).await.unwrap(), 1);
    assert!(store.get("old-good").await.unwrap().is_some());
    assert!(store.get("old-failed").await.unwrap().is_none());
    store
        .save(
            &audit("newer-good", 20, Outcome::Success),
            Some(&gzip_report("{}")),
        )
        .await
        .unwrap();
    assert_eq!(store.prune(cutoff).await.unwrap(), 1);
    assert!(store.get("old-good").await.unwrap().is_none());
    assert!(store.get("newer-good").await.unwrap().is_some());
    let early = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    store
        .save(&audit("a-failure", 30, Outcome::Failure), None)
        .await
        .unwrap();
    assert_eq!(
        store.prune(early).await.unwrap(),
        0,
        "nothing is older than the cutoff"
    );
}
on_both!(retention_prunes_old_audits_but_never_the_latest_good_one);

async fn an_empty_store_has_no_latest_report(store: Store) {
    assert_eq!(store.latest(true).await.unwrap(), None);
    assert_eq!(store.latest(false).await.unwrap(), None);
    assert!(store.list(5, None).await.unwrap().unwrap().is_empty());
    assert!(store.try_lock_audit().await.unwrap().is_some());
}
on_both!(an_empty_store_has_no_latest_report);

async fn each_org_has_its_own_history_catalog_and_lock(store: Store) {
    let emea = store.for_org("emea");
    assert_eq!((store.org(), emea.org()), ("default", "emea"));
    store
        .save(
            &audit("d1", 0, Outcome::Success),
            Some(&gzip_report("{\"org\":\"default\"}")),
        )
        .await
        .unwrap();
    emea.save(
        &audit("e1", 1, Outcome::Success),
        Some(&gzip_report("{\"org\":\"emea\"}")),
    )
    .await
    .unwrap();
    emea.save(&audit("e2", 2, Outcome::Failure), None)
        .await
        .unwrap();
    let ids = |v: Vec<AuditRecord>| v.into_iter().map(|a| a.audit_id).collect::<Vec<_>>();
    assert_eq!(ids(store.list(10, None).await.unwrap().unwrap()), ["d1"]);
    assert_eq!(
        ids(emea.list(10, None).await.unwrap().unwrap()),
        ["e2", "e1"]
    );
    assert_eq!(store.latest(false).await.unwrap().unwrap().audit_id, "d1");
    assert_eq!(emea.latest(true).await.unwrap().unwrap().audit_id, "e1");
    assert_eq!(
        store.get("e1").await.unwrap(),
        None,
        "another org's audit is not found"
    );
    assert_eq!(store.report_json("e1").await.unwrap(), None);
    assert_eq!(
        emea.previous_success("e2").await.unwrap().as_deref(),
        Some("e1")
    );
    // Retention keeps each org's newest good audit.
    let later = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(emea.prune(later).await.unwrap(), 1, "e2 goes, e1 stays");
    assert_eq!(store.prune(later).await.unwrap(), 0, "d1 stays");
    assert_eq!(ids(emea.list(10, None).await.unwrap().unwrap()), ["e1"]);
    // The live catalog is the org's own.
    let day = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
    emea.save_permission_catalog(day, "[]").await.unwrap();
    assert_eq!(store.permission_catalog().await.unwrap(), None);
    assert_eq!(
        emea.permission_catalog().await.unwrap(),
        Some((day, "[]".into()))
    );
    // One audit at a time per org, not across orgs.
    let held = store.try_lock_audit().await.unwrap().expect("free");
    let other = emea.try_lock_audit().await.unwrap();
    assert!(other.is_some(), "another org audits at the same time");
    if store.is_postgres() {
        assert!(
            store
                .for_org("default")
                .try_lock_audit()
                .await
                .unwrap()
                .is_none(),
            "the same org's lock is taken"
        );
    }
    held.release().await;
    if let Some(lock) = other {
        lock.release().await;
    }
}
on_both!(each_org_has_its_own_history_catalog_and_lock);
