//! Three replicas on one PostgreSQL: one audit at a time, every replica serves the newest report.

use std::time::{Duration, Instant};

use crate::common::*;
use crate::{postgres_schema_url, postgres_url};

#[tokio::test]
async fn three_replicas_audit_one_at_a_time_and_all_serve_the_newest_report() {
    let Some(server) = postgres_url("replicas") else {
        return;
    };
    let url = postgres_schema_url(&server).await;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(spawn_app_on(start_sim(org(25)).await, &url, &[]).await);
    }
    // All three try at once: exactly one gets the audit.
    let (a, b, c) = tokio::join!(
        replicas[0].state.audits.begin(),
        replicas[1].state.audits.begin(),
        replicas[2].state.audits.begin()
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
    let busy = replicas[other]
        .http
        .post(format!("{}/audits", replicas[other].base))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 409);
    let report = scopewatch::scheduler::run_audit(&replicas[winner].state.audits, ticket)
        .await
        .unwrap();
    let newest = report.report.audit_id.clone();

    // Every replica serves it within a few seconds (the refresh loop, not a test hook).
    let began = Instant::now();
    for r in &replicas {
        loop {
            let served = r.get("/report").await;
            if served.status() == 200 && json(served).await["audit_id"] == newest.as_str() {
                break;
            }
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "a replica did not notice the new report"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The lock was released: another replica can start one now.
    let started = replicas[other]
        .http
        .post(format!("{}/audits", replicas[other].base))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    for mut r in replicas {
        r.stop().await.unwrap();
    }
}
