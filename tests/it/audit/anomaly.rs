//! usage-anomaly against the simulator's generated org, which carries four anomalous clients
//! (a new OAuth endpoint, a write from a read-only client, a burst of refused calls, calls from
//! another org): the audit names each with its endpoint, days and counts, and the per-client
//! usage jobs it runs for calls from other orgs stay within the policy's bound.

use scopewatch::audit::report::Report;
use scopewatch::audit::severity::Severity;
use scopewatch_sim::anomalies::OTHER_ORG_ID;

use super::*;

const CLIENT_JOBS: &str = "/api/v2/usage/client/";

/// Every usage-anomaly finding: its severity and evidence.
fn anomalies(report: &Report) -> Vec<(Severity, Vec<String>)> {
    report
        .clients
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| f.rule_id == "usage-anomaly")
        .map(|f| (f.severity, f.evidence.clone()))
        .collect()
}

fn client_job_submissions(sim: &RunningSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with(CLIENT_JOBS))
        .count()
}

#[tokio::test]
async fn the_generated_org_raises_each_kind_of_usage_anomaly_with_its_endpoint_days_and_counts() {
    let sim = start_sim(generated_org(120, 20)).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    let found = anomalies(&report);
    let lines: Vec<&String> = found.iter().flat_map(|(_, e)| e).collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        has("[HIGH] new endpoint GET api/v2/oauth/clients: 50 requests on "),
        "{lines:#?}"
    );
    assert!(
        has("[HIGH] write POST api/v2/users: 12 requests on "),
        "{lines:#?}"
    );
    assert!(
        has("refused or throttled calls (4xx+429): 600 of 600 requests (100%)"),
        "{lines:#?}"
    );
    assert!(
        has(&format!("[HIGH] calls from another org {OTHER_ORG_ID}: ")),
        "{lines:#?}"
    );
    assert!(found.iter().any(|(s, _)| *s == Severity::High));
    assert!(
        found.len() <= 8,
        "new clients without a baseline are not flagged: {} findings",
        found.len()
    );
    let submitted = client_job_submissions(&sim);
    assert!(
        (1..=5).contains(&submitted),
        "at most max_client_queries per-client jobs: {submitted}"
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[tokio::test]
async fn no_per_client_job_runs_when_the_bound_is_zero_or_the_rule_is_off() {
    for policy in [
        "[usage_anomaly]\nmax_client_queries = 0\n",
        "[rules.usage-anomaly]\nenabled = false\n",
    ] {
        let sim = start_sim(generated_org(60, 10)).await;
        let policy = AuditPolicy::parse(policy).unwrap();
        let mut config = client_config(&sim);
        config.usage_anomaly = policy
            .enabled("usage-anomaly")
            .then(|| policy.usage_anomaly.clone());
        let report = assess_with(config, &policy).await.unwrap();
        assert_eq!(client_job_submissions(&sim), 0);
        let lines: Vec<String> = anomalies(&report)
            .into_iter()
            .flat_map(|(_, e)| e)
            .collect();
        assert!(
            !lines.iter().any(|l| l.contains("another org")),
            "{lines:?}"
        );
    }
}

#[tokio::test]
async fn without_usage_client_view_calls_from_other_orgs_are_unknown_and_said() {
    let sim = start_sim(generated_org(60, 10)).await;
    sim.faults().deny("usage-client");
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("calls from other orgs unknown")),
        "{:?}",
        report.warnings
    );
    let lines: Vec<String> = anomalies(&report)
        .into_iter()
        .flat_map(|(_, e)| e)
        .collect();
    assert!(!lines.iter().any(|l| l.contains("another org")));
    assert!(
        lines.iter().any(|l| l.contains("new endpoint")),
        "the other anomalies are still found: {lines:?}"
    );
}
