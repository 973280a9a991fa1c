//! Usage from the usage jobs API: an audit reads it there, paging its results, and never calls
//! the older `POST /api/v2/usage/query`; where the jobs API answers 404 it falls back to the
//! older query with the same evidence and says so; a `Failed` job makes usage unknown with
//! Genesys's reason.

use std::collections::BTreeMap;

use scopewatch::audit::report::Report;
use scopewatch_sim::SimSettings;

use super::*;

const JOBS: &str = "/api/v2/usage/aggregates/query/jobs";

fn last_used(report: &Report) -> BTreeMap<String, Option<chrono::NaiveDate>> {
    report
        .clients
        .iter()
        .map(|c| (c.client_id.clone(), c.last_used_date))
        .collect()
}

fn endpoints(report: &Report) -> BTreeMap<String, String> {
    report
        .clients
        .iter()
        .filter_map(|c| {
            let p = c.permission_usage.as_ref()?;
            Some((c.client_id.clone(), format!("{:?}", p.used)))
        })
        .collect()
}

#[tokio::test]
async fn an_audit_reads_usage_from_the_jobs_api_across_pages_and_never_the_older_query() {
    let settings = SimSettings {
        usage_page_size_max: 9,
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(60, 10), settings).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let log = sim.requests();
    let submitted = log.iter().filter(|r| r.path == JOBS).count();
    let pages: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with(&format!("{JOBS}/")))
        .collect();
    assert_eq!(
        submitted, 2,
        "two jobs for the 97 days usage-anomaly reads (one job spans at most 90 days)"
    );
    assert!(
        pages.len() > 3,
        "one Running poll and several pages: {}",
        pages.len()
    );
    assert!(pages.iter().all(|r| r.status == 200));
    let jobs: std::collections::BTreeSet<&str> = pages.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(jobs.len(), 2);
    for job in jobs {
        assert!(
            pages
                .iter()
                .filter(|r| r.path == job)
                .skip(2)
                .all(|r| r.query.contains("after=")),
            "pages after a job's first follow nextUri"
        );
    }
    assert!(
        !log.iter()
            .any(|r| r.path.starts_with("/api/v2/usage/query")),
        "the older usage query is never called"
    );
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let used: Vec<_> = report
        .clients
        .iter()
        .filter(|c| c.usage_evidence == "used")
        .collect();
    assert!(used.len() > 20, "{} used", used.len());
    assert!(used.iter().all(|c| c.last_used_date.unwrap() <= yesterday));
    assert!(!endpoints(&report).is_empty(), "endpoint evidence");
}

#[tokio::test]
async fn with_the_jobs_api_absent_the_audit_falls_back_to_the_older_query_with_the_same_evidence() {
    let org = generated_org(60, 10);
    let jobs_sim = start_sim_with(org.clone(), SimSettings::default()).await;
    let from_jobs = assess_with(client_config(&jobs_sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    let sim = start_sim_with(org, SimSettings::default()).await;
    sim.faults().deny("usage-jobs");
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].starts_with("usage read from the older POST /api/v2/usage/query"),
        "{:?}",
        report.warnings
    );
    assert!(report.clients.iter().any(|c| c.usage_evidence == "used"));
    assert_eq!(last_used(&report), last_used(&from_jobs));
    assert_eq!(endpoints(&report), endpoints(&from_jobs));
    let log = sim.requests();
    let count = |p: &str| log.iter().filter(|r| r.path == p).count();
    assert_eq!(count(JOBS), 1, "asked once: a 404 is not retried");
    assert_eq!(count("/api/v2/usage/query"), 1);
}

#[tokio::test]
async fn a_failed_usage_job_makes_usage_unknown_with_the_reason_genesys_gave() {
    let sim = start_sim_with(generated_org(30, 5), SimSettings::default()).await;
    sim.faults().fail_usage_jobs();
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .expect("usage is optional evidence");
    assert!(report.clients.iter().all(|c| c.usage_evidence == "unknown"));
    let warning = report
        .warnings
        .iter()
        .find(|w| w.contains("usage evidence unknown"))
        .expect("a usage warning");
    assert!(
        warning.contains("Failed") && warning.contains("could not be completed"),
        "{warning}"
    );
    assert!(
        !sim.requests()
            .iter()
            .any(|r| r.path.starts_with("/api/v2/usage/query")),
        "a Failed job is not a reason to use the older API"
    );
}

/// The jobs API answered `status` once, was not asked again, and the older query (which
/// accepted the job) gave the evidence, with the warning that says so.
fn assert_fell_back_once(sim: &scopewatch_sim::RunningSim, report: &Report, status: u16) {
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("usage read from the older POST /api/v2/usage/query")),
        "{:?}",
        report.warnings
    );
    assert!(report.clients.iter().any(|c| c.usage_evidence == "used"));
    let log = sim.requests();
    let statuses = |path: &str| -> Vec<u16> {
        log.iter()
            .filter(|r| r.path == path)
            .map(|r| r.status)
            .collect()
    };
    assert_eq!(statuses(JOBS), vec![status], "a {status} is not retried");
    assert_eq!(
        statuses("/api/v2/usage/query"),
        vec![202],
        "the older query accepts the same auditor's query"
    );
}

#[tokio::test]
async fn a_501_from_the_jobs_api_falls_back_at_once_without_retries() {
    let sim = start_sim_with(generated_org(30, 5), SimSettings::default()).await;
    sim.faults().usage_jobs_not_implemented();
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert_fell_back_once(&sim, &report, 501);
}

#[tokio::test]
async fn a_usage_window_over_90_days_is_read_as_one_job_per_90_days() {
    let sim = start_sim_with(generated_org(30, 5), SimSettings::default()).await;
    let mut config = client_config(&sim);
    config.usage_window_days = 200;
    let report = assess_with(config, &AuditPolicy::builtin()).await.unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.path == JOBS)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![202, 202, 202], "90 + 90 + 20 days");
    let oldest = report
        .clients
        .iter()
        .filter_map(|c| c.last_used_date)
        .min()
        .unwrap();
    assert!(
        oldest < chrono::Utc::now().date_naive() - chrono::Duration::days(90),
        "usage older than 90 days is read: {oldest}"
    );
}

/// `scopewatch_usage_reads_total{api}` of the default org, from the exposition.
fn usage_reads(metrics: &str, api: &str) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with("scopewatch_usage_reads_total{"))
        .filter(|l| l.contains(&format!("api=\"{api}\"")) && l.contains("org=\"default\""))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn the_usage_api_that_answered_is_counted_by_its_label() {
    let sim = start_sim(generated_org(20, 5)).await;
    sim.faults().deny("usage-jobs");
    let app = spawn_app_on(sim, &temp_database(), &[]).await;
    app.audit().await.expect("the audit falls back");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(usage_reads(&metrics, "legacy"), Some(1.0), "{metrics}");
    assert_eq!(usage_reads(&metrics, "jobs"), Some(0.0));
    app.sim.faults().clear();
    app.audit().await.expect("the jobs API again");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert_eq!(usage_reads(&metrics, "jobs"), Some(1.0));
    assert_eq!(usage_reads(&metrics, "legacy"), Some(1.0));
}

/// An auditor role holding `oauth:client:view` but not `usage:organization:view`: the jobs API
/// answers 403 naming the permission, and the older query, which accepts either, still answers.
#[tokio::test]
async fn a_403_from_the_jobs_api_falls_back_to_the_older_query_that_accepts_oauth_client_view() {
    let mut org = generated_org(40, 5);
    let auditor_role = format!("{CLIENT_ID}-role");
    let role = org
        .roles
        .iter_mut()
        .find(|r| r.id == auditor_role)
        .expect("the auditor's role");
    let policies = role.permission_policies.as_mut().expect("policies");
    let before = policies.len();
    policies.retain(|p| !(p.domain == "usage" && p.entity_name == "organization"));
    assert_eq!(
        policies.len(),
        before - 1,
        "usage:organization:view removed"
    );
    let sim = start_sim_with(org, SimSettings::default()).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert_fell_back_once(&sim, &report, 403);
}
