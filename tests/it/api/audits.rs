use std::time::Duration;

use scopewatch::auditor::AuditError;
use scopewatch::genesys::GenesysError;
use scopewatch_sim::FaultConfig;
use serde_json::Value;

use super::*;

#[tokio::test]
async fn a_failed_audit_keeps_the_last_good_report_and_is_counted() {
    let app = spawn_app().await;
    let good = app.audit().await.unwrap();
    app.sim.faults().deny("clients");
    let err = app.audit().await.unwrap_err();
    assert!(
        matches!(&err, AuditError::Genesys(GenesysError::MissingPermission { permission, .. }) if permission == "oauth:client:view"),
        "{err:?}"
    );
    assert_eq!(err.metric_label(), "missing_permission");
    let served = json(app.get("/report").await).await;
    assert_eq!(served["audit_id"], good.report.audit_id.as_str());
    assert_eq!(app.get("/readyz").await.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("scopewatch_audit_runs_total{org=\"default\",outcome=\"failure\"} 1"));
    assert!(metrics.contains("scopewatch_last_audit_success{org=\"default\"} 0"));
    let list = json(app.get("/audits").await).await;
    assert_eq!(list["audits"][0]["outcome"], "failure");
    assert!(
        list["audits"][0]["error"]
            .as_str()
            .unwrap()
            .contains("oauth:client:view")
    );
    assert_eq!(list["audits"][1]["outcome"], "success");
    let failed_id = list["audits"][0]["audit_id"].as_str().unwrap().to_string();
    let failed = app.get(&format!("/audits/{failed_id}")).await;
    assert_eq!(failed.status(), 409);
    assert_eq!(json(failed).await["code"], "audit_failed");
}

#[tokio::test]
async fn history_pages_newest_first_and_serves_past_reports() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.audit().await.unwrap().report.audit_id.clone());
    }
    let page: Value = json(app.get("/audits?limit=2").await).await;
    let listed: Vec<&str> = page["audits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["audit_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(page["next_before"], ids[1].as_str());
    let rest: Value = json(app.get(&format!("/audits?limit=2&before={}", ids[1])).await).await;
    assert_eq!(rest["audits"][0]["audit_id"], ids[0].as_str());
    assert!(rest["next_before"].is_null());
    assert_eq!(rest["audits"][0]["total_clients"], 81);
    let past: Value = json(app.get(&format!("/audits/{}", ids[0])).await).await;
    assert_eq!(past["audit_id"], ids[0].as_str());
    for bad in ["/audits?limit=0", "/audits?limit=500", "/audits?limit=ten"] {
        assert_eq!(app.get(bad).await.status(), 400, "{bad}");
    }
    assert_eq!(app.get("/audits?before=unknown").await.status(), 404);
    let missing = app.get("/audits/unknown-audit").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json(missing).await["code"], "audit_not_found");
}

#[tokio::test]
async fn the_diff_compares_with_the_previous_audit_or_another() {
    let app = spawn_app().await;
    let first = app.audit().await.unwrap().report.audit_id.clone();
    let second = app.audit().await.unwrap();
    let diff: Value = json(
        app.get(&format!("/audits/{}/diff", second.report.audit_id))
            .await,
    )
    .await;
    assert_eq!(diff["against"], first.as_str());
    // The clients' findings, the org's (its IP allowlist is empty) and the third-party apps'.
    let apps: usize = second
        .report
        .third_party_apps
        .iter()
        .map(|a| a.findings.len())
        .sum();
    assert!(apps > 0, "the generated org has broad third-party apps");
    let total: usize = second
        .report
        .clients
        .iter()
        .map(|c| c.findings.len())
        .sum::<usize>()
        + second.report.organization_findings.len()
        + apps;
    assert!(!second.report.organization_findings.is_empty());
    assert_eq!(diff["counts"]["unchanged"], total);
    let org_entries: Vec<&Value> = diff["unchanged"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["scope"] == "organization")
        .collect();
    assert_eq!(org_entries.len(), second.report.organization_findings.len());
    assert_eq!(org_entries[0]["rule_id"], "org-no-ip-allowlist");
    assert_eq!(diff["counts"]["new"], 0);
    let explicit: Value = json(
        app.get(&format!(
            "/audits/{}/diff?against={first}",
            second.report.audit_id
        ))
        .await,
    )
    .await;
    assert_eq!(explicit["counts"], diff["counts"]);
    let none = app.get(&format!("/audits/{first}/diff")).await;
    assert_eq!(none.status(), 404);
    assert_eq!(json(none).await["code"], "no_previous_audit");
    // first_seen is carried from the first audit.
    let f = &second.report.clients[0].findings[0];
    assert!(f.first_seen < second.report.generated_at);
    // ... and so is an org-level finding's.
    let org = &second.report.organization_findings[0];
    assert_eq!(org.rule_id, "org-no-ip-allowlist");
    assert!(org.first_seen < second.report.generated_at);
}

#[tokio::test]
async fn post_audits_starts_one_202_with_location_and_409_while_it_runs() {
    let app = spawn_app().await;
    app.sim.faults().set(FaultConfig {
        latency: Duration::from_millis(400),
        ..Default::default()
    });
    let started = app.post_audit().await;
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap().to_string();
    let body = json(started).await;
    let id = body["audit_id"].as_str().unwrap();
    assert_eq!(location, format!("/audits/{id}"));
    let busy = app.post_audit().await;
    assert_eq!(busy.status(), 409);
    assert_eq!(json(busy).await["code"], "audit_running");
    let running = app.get(&location).await;
    assert_eq!(running.status(), 409);
    assert_eq!(json(running).await["code"], "audit_running");
    // The auditor says when it ends; no polling.
    let ended = app.finished(id).await;
    assert_eq!(ended.outcome, scopewatch::store::Outcome::Success);
    let done = json(app.get(&location).await).await;
    assert_eq!(done["audit_id"], id);
    assert_eq!(json(app.get("/report").await).await["audit_id"], id);
}
