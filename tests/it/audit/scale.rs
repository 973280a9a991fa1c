use scopewatch_sim::SimSettings;

use super::*;

/// Against 10 000 clients the audit makes a fixed number of calls: nothing per client. The
/// calls that grow, grow with pages: the roles (100 a page), the creators (100 ids a call), the
/// usage job's rows (1000 a page) and the audit trail (500 messages a page).
#[tokio::test]
async fn a_10000_client_org_costs_a_fixed_handful_of_calls() {
    let org = generated_org(10_000, 250);
    let creators: std::collections::BTreeSet<String> = org
        .clients
        .iter()
        .filter_map(|c| c.client.created_by.as_ref().and_then(|u| u.id.clone()))
        .collect();
    let window_start = chrono::Utc::now() - chrono::Duration::days(90);
    let trail_pages = |kind: &str| {
        let n = org
            .audits
            .iter()
            .filter(|m| m.entity_type == kind)
            .filter(|m| {
                chrono::DateTime::parse_from_rfc3339(&m.event_date).unwrap() >= window_start
            })
            .count();
        n.div_ceil(500).max(1)
    };
    // Every access-related type the service maps is read: clients, roles, authorizations of
    // other orgs' apps and trusts given to partner orgs (an empty result is still one page).
    let kinds = [
        "OAuthClient",
        "Role",
        "OAuthClientAuthorization",
        "OrganizationAuthorizationTrust",
    ];
    let trail_results: usize = kinds.iter().map(|k| trail_pages(k)).sum();
    assert!(trail_results > 2, "the trail pages: {trail_results}");
    // The usage jobs' rows: one per client, day, endpoint and method, 1000 a page. The read
    // covers the usage-anomaly window (97 days) in two jobs (one spans at most 90 days): the
    // first from the day after its start to the day the second starts, the second to yesterday
    // (no row of today).
    let now = chrono::Utc::now();
    let day_after =
        |t: chrono::DateTime<chrono::Utc>| (t.date_naive() + chrono::Duration::days(1)).to_string();
    let rows_between = |first: &str, before: &str| {
        let rows: std::collections::BTreeSet<_> = org
            .usage
            .iter()
            .filter_map(|r| {
                let day = r.date.as_deref()?.get(..10)?;
                (day >= first && day < before).then(|| {
                    (
                        r.client_id.clone(),
                        day.to_string(),
                        r.template_uri.clone(),
                        r.http_method.clone(),
                    )
                })
            })
            .collect();
        rows.len()
    };
    let split = now - chrono::Duration::days(7);
    let older = rows_between(
        &day_after(now - chrono::Duration::days(97)),
        &day_after(split),
    );
    let recent = rows_between(&day_after(split), &now.date_naive().to_string());
    let usage_rows = older + recent;
    let usage_pages = older.div_ceil(1000).max(1) + recent.div_ceil(1000).max(1);
    assert!(usage_pages > 2, "the usage rows: {usage_rows}");
    let sim = start_sim_with(org, SimSettings::default()).await;
    let report = assess_with(
        client_config_for_large_answers(&sim),
        &AuditPolicy::builtin(),
    )
    .await
    .unwrap();
    assert_eq!(report.summary.total_clients, 10_001);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let org_rules: Vec<&str> = report
        .organization_findings
        .iter()
        .map(|f| f.rule_id.as_ref())
        .collect();
    assert_eq!(
        org_rules,
        vec!["org-no-ip-allowlist"],
        "a generated org has no allowlist"
    );
    // The generated org's five third-party apps: the three authorized ones are judged (two
    // broad, one with unused scopes), the revoked and requested ones are not.
    assert_eq!(report.third_party_apps.len(), 5);
    assert_eq!(report.summary.findings_by_rule["third-party-app-access"], 3);
    let log = sim.requests();
    let count = |path: &str| log.iter().filter(|r| r.path == path).count();
    let matching = |test: &dyn Fn(&str) -> bool| log.iter().filter(|r| test(&r.path)).count();
    assert_eq!(count("/oauth/token"), 1);
    assert_eq!(count("/api/v2/oauth/clients"), 1);
    assert_eq!(
        count("/api/v2/authorization/roles"),
        3,
        "ceil(251 roles / 100)"
    );
    assert_eq!(
        count("/api/v2/usage/aggregates/query/jobs"),
        2,
        "97 days in two jobs"
    );
    assert_eq!(
        matching(&|p| p.starts_with("/api/v2/usage/aggregates/query/jobs/")),
        2 + usage_pages,
        "one Running each, then a page per 1000 rows ({usage_rows} rows)"
    );
    // Calls from other orgs: one job per client for at most max_client_queries (5) clients,
    // each one Running poll and one page.
    let client_jobs = log
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/v2/usage/client/"))
        .count();
    assert!(
        (1..=5).contains(&client_jobs),
        "{client_jobs} per-client jobs"
    );
    assert_eq!(
        matching(&|p| p.starts_with("/api/v2/usage/client/")),
        3 * client_jobs,
        "a submission, a Running poll and a page per client job"
    );
    assert_eq!(
        matching(&|p| p.starts_with("/api/v2/usage/query")),
        0,
        "never the older usage query"
    );
    assert_eq!(count("/api/v2/oauth/scopes"), 1);
    assert_eq!(
        count("/api/v2/docs/swagger"),
        1,
        "the first audit of the day reads the API description"
    );
    assert_eq!(count("/api/v2/organizations/me"), 1);
    assert_eq!(count("/api/v2/organizations/ipaddressauthentication"), 1);
    assert_eq!(
        count("/api/v2/oauth/authorizations"),
        1,
        "one listing of third-party apps"
    );
    assert_eq!(
        count("/api/v2/authorization/divisions"),
        1,
        "one page of divisions"
    );
    assert_eq!(
        count("/api/v2/users"),
        creators.len().div_ceil(100),
        "100 creators a call ({} creators)",
        creators.len()
    );
    assert_eq!(count("/api/v2/audits/query/servicemapping"), 1);
    assert_eq!(
        count("/api/v2/audits/query"),
        kinds.len(),
        "one query per entity type, all in one service"
    );
    let audit_query = |p: &str| {
        p.starts_with("/api/v2/audits/query/") && p != "/api/v2/audits/query/servicemapping"
    };
    assert_eq!(
        matching(&|p| audit_query(p) && !p.ends_with("/results")),
        2 * kinds.len(),
        "each query is Queued, then Running, then Succeeded: two status polls"
    );
    assert_eq!(
        matching(&|p| audit_query(p) && p.ends_with("/results")),
        trail_results,
        "one results page per 500 messages"
    );
    assert_eq!(
        log.len(),
        16 + usage_pages
            + 3 * client_jobs
            + 3 * kinds.len()
            + creators.len().div_ceil(100)
            + trail_results,
        "nothing else, nothing per client"
    );
}
