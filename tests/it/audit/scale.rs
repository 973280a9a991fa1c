use scopewatch::sim::SimSettings;

use super::*;

/// Against 10 000 clients the audit makes a fixed number of calls: nothing per client.
#[tokio::test]
async fn a_10000_client_org_costs_a_fixed_handful_of_calls() {
    let sim = start_sim_with(generated_org(10_000, 250), SimSettings::default()).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    assert_eq!(report.summary.total_clients, 10_001);
    let log = sim.requests();
    let count = |path: &str| log.iter().filter(|r| r.path == path).count();
    assert_eq!(count("/oauth/token"), 1);
    assert_eq!(count("/api/v2/oauth/clients"), 1);
    assert_eq!(
        count("/api/v2/authorization/roles"),
        3,
        "ceil(251 roles / 100)"
    );
    assert_eq!(count("/api/v2/usage/query"), 1);
    assert_eq!(
        log.iter().filter(|r| r.path.ends_with("/results")).count(),
        2,
        "one Running, one Complete"
    );
    assert_eq!(count("/api/v2/oauth/scopes"), 1);
    assert_eq!(
        count("/api/v2/docs/swagger"),
        1,
        "the first audit of the day reads the API description"
    );
    assert_eq!(log.len(), 10);
}
