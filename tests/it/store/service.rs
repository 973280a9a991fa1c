//! The service with its database: restart, first-seen, diff, the trend chart, database trouble.

use std::time::Duration;

use genesys_api::models::{RoleDivision, UsageRow};
use scopewatch_sim::Org;
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_databases;
use crate::store::postgres_url;

async fn a_restart_serves_the_stored_report_before_any_audit(url: String) {
    let mut first = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    let audit_id = first.audit().await.unwrap().report.audit_id.clone();
    first.stop().await.unwrap();

    let mut second = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    assert_eq!(second.get("/readyz").await.status(), 200, "{url}");
    let served = json(second.get("/report").await).await;
    assert_eq!(served["audit_id"], audit_id.as_str(), "{url}");
    assert!(
        second.sim.requests().is_empty(),
        "no audit ran before serving"
    );
    let listed = json(second.get("/audits").await).await;
    assert_eq!(listed["audits"][0]["audit_id"], audit_id.as_str());
    assert_eq!(listed["audits"][0]["stored"], true);
    second.stop().await.unwrap();
}

on_both_databases!(a_restart_serves_the_stored_report_before_any_audit);

/// The gauges describe the served report, whoever installed it: after a restart, before any
/// audit, the stale-report and failing-audit alerts have nothing to fire on.
async fn a_restart_serves_the_stored_reports_gauges_before_any_audit(url: String) {
    let mut first = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    let report = first.audit().await.unwrap();
    let before = first.get("/metrics").await.text().await.unwrap();
    first.stop().await.unwrap();

    let mut second = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    let metrics = second.get("/metrics").await.text().await.unwrap();
    assert!(second.sim.requests().is_empty(), "no audit ran");
    assert_eq!(
        gauge(&metrics, "scopewatch_last_audit_success"),
        Some(1.0),
        "{url}"
    );
    assert_eq!(
        gauge(&metrics, "scopewatch_last_audit_success_timestamp_seconds"),
        Some(report.report.generated_at.timestamp_millis() as f64 / 1000.0),
        "the stored report's time ({url})"
    );
    for name in [
        "scopewatch_high_risk_clients",
        "scopewatch_last_audit_new_findings",
        "scopewatch_last_audit_resolved_findings",
        "scopewatch_last_audit_success_timestamp_seconds",
    ] {
        assert_eq!(
            gauge(&metrics, name),
            gauge(&before, name),
            "{name} ({url})"
        );
    }
    assert!(gauge(&metrics, "scopewatch_last_audit_new_findings").unwrap() > 0.0);
    second.stop().await.unwrap();
}

on_both_databases!(a_restart_serves_the_stored_reports_gauges_before_any_audit);

/// A failure newer than the served report keeps the report but says the last audit failed,
/// after a restart too; the next success says 1 again.
#[tokio::test]
async fn a_stored_failure_newer_than_the_report_reads_as_failing_after_a_restart() {
    let url = temp_database();
    let mut first = spawn_app_on(start_sim(org(20)).await, &url, &[]).await;
    let good = first.audit().await.unwrap();
    first.sim.faults().deny("clients");
    first.audit().await.unwrap_err();
    let metrics = first.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&metrics, "scopewatch_last_audit_success"), Some(0.0));
    assert!(
        metrics.contains(
            "scopewatch_audit_failures_total{org=\"default\",reason=\"missing_permission\"} 1"
        ),
        "{metrics}"
    );
    first.stop().await.unwrap();

    let mut second = spawn_app_on(start_sim(org(20)).await, &url, &[]).await;
    let metrics = second.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&metrics, "scopewatch_last_audit_success"), Some(0.0));
    assert_eq!(
        gauge(&metrics, "scopewatch_last_audit_success_timestamp_seconds"),
        Some(good.report.generated_at.timestamp_millis() as f64 / 1000.0)
    );
    assert_eq!(
        json(second.get("/report").await).await["audit_id"],
        good.report.audit_id.as_str()
    );
    second.audit().await.unwrap();
    let metrics = second.get("/metrics").await.text().await.unwrap();
    assert_eq!(gauge(&metrics, "scopewatch_last_audit_success"), Some(1.0));
    second.stop().await.unwrap();
}

async fn first_seen_is_kept_across_audits_and_restarts(url: String) {
    let mut first = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    let report = first.audit().await.unwrap();
    let finding = report.report.clients[0].findings[0].clone();
    first.stop().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut second = spawn_app_on(start_sim(org(30)).await, &url, &[]).await;
    let later = second.audit().await.unwrap();
    let same = later
        .report
        .clients
        .iter()
        .flat_map(|c| &c.findings)
        .find(|f| f.fingerprint == finding.fingerprint)
        .expect("the finding still stands");
    assert_eq!(same.first_seen, finding.first_seen, "{url}");
    assert!(same.first_seen < later.report.generated_at);
    second.stop().await.unwrap();
}

on_both_databases!(first_seen_is_kept_across_audits_and_restarts);

fn usage_for(org: &mut Org, id: &str) {
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(2);
    org.usage.push(UsageRow::daily(id, day, 1));
}

#[tokio::test]
async fn the_diff_shows_an_added_a_fixed_and_a_newly_risky_client() {
    let url = temp_database();
    let before = org(20);
    let master = before
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .unwrap()
        .id
        .clone();
    // One admin client to fix, one clean code client to make risky.
    let mut base = before.clone();
    let admin_id = base.clients[1].client.id.clone();
    base.clients[1].client.authorized_grant_type = "CLIENT-CREDENTIALS".into();
    base.clients[1].client.role_divisions = Some(vec![RoleDivision {
        role_id: master.clone(),
        division_id: Some("home".into()),
    }]);
    let risky_id = base.clients[2].client.id.clone();
    {
        let c = &mut base.clients[2].client;
        c.authorized_grant_type = "CODE".into();
        c.scope = Some(vec!["analytics:readonly".into()]);
        c.state = Some("active".into());
        c.description = Some("described".into());
        c.registered_redirect_uri = Some(vec![]);
        c.access_token_validity_seconds = Some(3600);
    }
    usage_for(&mut base, &risky_id);

    let mut first = spawn_app_on(start_sim(base.clone()).await, &url, &[]).await;
    first.audit().await.unwrap();
    first.stop().await.unwrap();

    let mut after = base.clone();
    after.clients[1].client.role_divisions = Some(vec![]);
    after.clients[2].client.scope = Some(vec!["analytics:readonly".into(), "oauth".into()]);
    let mut added = after.clients[3].clone();
    added.client.id = "added-client".into();
    added.client.name = "Added integration".into();
    added.client.authorized_grant_type = "CLIENT-CREDENTIALS".into();
    added.client.role_divisions = Some(vec![RoleDivision {
        role_id: master,
        division_id: Some("*".into()),
    }]);
    after.clients.push(added);

    let mut second = spawn_app_on(start_sim(after).await, &url, &[]).await;
    let report = second.audit().await.unwrap();
    let diff: Value = json(
        second
            .get(&format!("/audits/{}/diff", report.report.audit_id))
            .await,
    )
    .await;
    let rules = |key: &str, client: &str| -> Vec<String> {
        diff[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["client_id"] == client)
            .map(|e| e["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        rules("new", "added-client").contains(&"admin-role".to_string()),
        "{diff}"
    );
    // The scope added is `oauth`: it can escalate, and the client has not used it.
    let mut newly = rules("new", &risky_id);
    newly.sort();
    assert_eq!(newly, vec!["privilege-escalation", "unused-scopes"]);
    assert!(rules("resolved", &admin_id).contains(&"admin-role".to_string()));
    assert!(
        rules("unchanged", &admin_id)
            .iter()
            .all(|r| r != "admin-role")
    );
    assert!(diff["counts"]["unchanged"].as_u64().unwrap() > 0);
    let metrics = second.get("/metrics").await.text().await.unwrap();
    let new = diff["counts"]["new"].as_u64().unwrap();
    assert!(
        metrics.contains(&format!(
            "scopewatch_last_audit_new_findings{{org=\"default\"}} {new}"
        )),
        "{metrics}"
    );
    second.stop().await.unwrap();
}

#[tokio::test]
async fn the_report_page_charts_the_stored_history() {
    let app = spawn_app_on(start_sim(org(20)).await, &temp_database(), &[]).await;
    app.audit().await.unwrap();
    let one = app
        .get_with("/report", &[("Accept", "text/html")])
        .await
        .text()
        .await
        .unwrap();
    assert!(one.contains("appears after two stored audits"));
    app.audit().await.unwrap();
    let two = app
        .get_with("/report", &[("Accept", "text/html")])
        .await
        .text()
        .await
        .unwrap();
    assert!(two.contains("<svg id=\"trend\""));
    assert_eq!(two.matches("<polyline").count(), 2);
    let first = app
        .state
        .single_org()
        .unwrap()
        .cache
        .get()
        .await
        .unwrap()
        .unwrap();
    let client = &first.report.clients[0];
    let page = app
        .get_with(
            &format!("/clients/{}", client.client_id),
            &[("Accept", "text/html")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("standing since"));
}

#[test]
fn an_unreachable_database_at_start_is_exit_2_without_the_password() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["serve", "--demo"])
        .env_clear()
        .env("SCOPEWATCH_LISTEN", "127.0.0.1:0")
        .env(
            "SCOPEWATCH_DATABASE_URL",
            "postgres://sw:hunter2-db-pass@127.0.0.1:1/scopewatch",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.contains("SCOPEWATCH_DATABASE_URL") && last.contains("sw:***@127.0.0.1:1"),
        "{err}"
    );
    assert!(!err.contains("hunter2-db-pass"), "{err}");
}

/// PostgreSQL drops every connection mid-run: audits reported as stored are there, the others
/// are written once it answers again.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn a_lost_database_loses_no_audit_reported_as_stored() {
    let server = postgres_url();
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    let database = format!("sw_lost_{}", std::process::id());
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&admin)
        .await
        .unwrap();
    let url = match server.rsplit_once('/') {
        Some((host, _)) => format!("{host}/{database}"),
        None => unreachable!(),
    };
    let mut app = spawn_app_on(start_sim(org(20)).await, &url, &[]).await;
    let mut ids = vec![app.audit().await.unwrap().report.audit_id.clone()];
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    );
    // Connections dropped: the pool reconnects.
    sqlx::query(&kill).execute(&admin).await.unwrap();
    ids.push(app.audit().await.unwrap().report.audit_id.clone());
    // The database refuses every connection: the audit still serves, and waits in memory.
    sqlx::query(&format!(
        "ALTER DATABASE {database} ALLOW_CONNECTIONS false"
    ))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query(&kill).execute(&admin).await.unwrap();
    let waiting = app.audit().await.unwrap().report.audit_id.clone();
    ids.push(waiting.clone());
    assert_eq!(
        json(app.get("/report").await).await["audit_id"],
        waiting.as_str()
    );
    assert_eq!(app.auditor.outbox().len(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("scopewatch_store_pending_writes{org=\"default\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("scopewatch_store_errors_total{operation=\"save\",org=\"default\"}"));
    sqlx::query(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .execute(&admin)
        .await
        .unwrap();
    let listed = json(app.get("/audits").await).await;
    let claimed: Vec<String> = listed["audits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["stored"] == true)
        .map(|a| a["audit_id"].as_str().unwrap().to_string())
        .collect();
    let check = sqlx::PgPool::connect(&url).await.unwrap();
    for id in &claimed {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audits WHERE audit_id = $1")
            .bind(id)
            .fetch_one(&check)
            .await
            .unwrap();
        assert_eq!(n, 1, "audit {id} was reported as stored but is missing");
    }
    assert_eq!(app.auditor.outbox().flush().await, 0);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM audits")
        .fetch_one(&check)
        .await
        .unwrap();
    assert_eq!(stored, ids.len() as i64);
    check.close().await;
    app.stop().await.unwrap();
    sqlx::query(&kill).execute(&admin).await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&admin)
        .await;
}

#[tokio::test]
async fn waiting_for_an_unreachable_database_gives_up_after_the_wait() {
    let began = std::time::Instant::now();
    let err = scopewatch::store::Store::connect(
        "postgres://sw:secret-pass@127.0.0.1:1/scopewatch",
        Duration::from_millis(1500),
    )
    .await
    .unwrap_err();
    assert!(
        began.elapsed() >= Duration::from_millis(1400),
        "it waited {:?}",
        began.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("cannot connect") && !text.contains("secret-pass"),
        "{text}"
    );
}

/// SQLite "disk full" (a size limit on the file): the audit waits in memory, the write resumes
/// once there is room again.
#[tokio::test]
async fn a_full_sqlite_file_keeps_the_audit_until_there_is_room() {
    use std::str::FromStr;
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use scopewatch::history::{History, RunningAudit};
    use scopewatch::metrics::Metrics;
    use scopewatch::outbox::{Outbox, OutboxLimits};
    use scopewatch::store::Outcome;
    use scopewatch::store::{AuditRecord, Store};

    let url = temp_database();
    // 4 KiB pages, at most 120 of them: room for one 300 KB report, not two.
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .pragma("page_size", "4096")
        .pragma("max_page_count", "120");
    let store = Arc::new(Store::connect_sqlite(options).await.unwrap());
    let all = Metrics::new();
    let metrics = all.org("default");
    let outbox = Arc::new(Outbox::new(
        store.clone(),
        metrics.clone(),
        OutboxLimits::default(),
    ));
    let history = History::new(
        store.clone(),
        outbox.clone(),
        Arc::new(RunningAudit::default()),
    );
    let audit = |id: &str, minute: u32| AuditRecord {
        audit_id: id.into(),
        started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
        finished_at: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 5).unwrap()),
        outcome: Outcome::Success,
        error: None,
        total_clients: Some(1),
        high_risk_count: Some(0),
        findings: Some(0),
        new_findings: Some(0),
        resolved_findings: Some(0),
        policy_sha256: None,
        replica: None,
    };
    // Incompressible: the stored (compressed) report stays about 300 kB.
    let mut state = 7u64;
    let noise: String = (0..600_000)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'a' + (state >> 59) as u8)
        })
        .collect();
    let big = bytes::Bytes::from(super::gzip_report(&format!("\"{noise}\"")));
    assert!(big.len() > 300_000, "{} bytes", big.len());
    assert!(outbox.write(audit("first", 0), Some(big.clone())).await);
    assert!(
        !outbox.write(audit("second", 1), Some(big.clone())).await,
        "the file is full"
    );
    assert_eq!(outbox.len(), 1);
    let text = all.render();
    assert!(
        text.contains("scopewatch_store_errors_total{operation=\"save\",org=\"default\"} 1"),
        "{text}"
    );
    assert!(text.contains("scopewatch_store_pending_writes{org=\"default\"} 1"));
    // Listed, but not stored yet.
    let page = history.page(10, None).await.unwrap().unwrap().audits;
    assert_eq!(
        (page[0].record.audit_id.as_str(), page[0].stored),
        ("second", false)
    );
    assert!(history.report_json("second").await.unwrap().is_some());
    // Room again (the old audit is deleted): the waiting write goes through.
    assert_eq!(
        store
            .prune(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30).unwrap())
            .await
            .unwrap(),
        0,
        "the newest good audit is kept"
    );
    let admin = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM audits WHERE audit_id = 'first'")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    assert_eq!(outbox.flush().await, 0);
    assert!(store.get("second").await.unwrap().is_some());
    assert!(
        all.render()
            .contains("scopewatch_store_pending_writes{org=\"default\"} 0")
    );
}

/// Each audit prunes what is older than SCOPEWATCH_RETENTION (default 90 days).
#[tokio::test]
async fn an_audit_prunes_audits_past_the_retention() {
    use chrono::Utc;
    use scopewatch::store::Outcome;
    use scopewatch::store::{AuditRecord, Store};

    let url = temp_database();
    let store = Store::connect(&url, Duration::ZERO).await.unwrap();
    let old = |id: &str, days_ago: i64, outcome: Outcome| {
        let started = Utc::now() - chrono::Duration::days(days_ago);
        AuditRecord {
            audit_id: id.into(),
            started_at: started,
            finished_at: Some(started),
            outcome,
            error: None,
            total_clients: Some(1),
            high_risk_count: Some(0),
            findings: Some(0),
            new_findings: Some(0),
            resolved_findings: Some(0),
            policy_sha256: None,
            replica: None,
        }
    };
    store
        .save(
            &old("ancient", 400, Outcome::Success),
            Some(&super::gzip_report("{}")),
        )
        .await
        .unwrap();
    store
        .save(&old("last-month", 30, Outcome::Failure), None)
        .await
        .unwrap();
    store.close().await;

    let mut app = spawn_app_on(start_sim(org(10)).await, &url, &[]).await;
    let fresh = app.audit().await.unwrap().report.audit_id.clone();
    let listed = json(app.get("/audits").await).await;
    let ids: Vec<&str> = listed["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["audit_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![fresh.as_str(), "last-month"],
        "the 400-day-old audit is pruned"
    );
    app.stop().await.unwrap();
}
