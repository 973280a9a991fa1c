//! The live permission catalog: read from the simulator's API description at most once a day,
//! kept in the database across restarts, and replaced by the embedded snapshot (with a warning)
//! when the description cannot be read.

use std::sync::Arc;

use chrono::Utc;
use genesys_api::description::LiveCatalog;
use scopewatch::auditor::assess;
use scopewatch_sim::SimSettings;

use super::*;

const DESCRIPTION: &str = "/api/v2/docs/swagger";

fn description_reads(sim: &RunningSim) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.path == DESCRIPTION)
        .count()
}

async fn audit_with(client: &GenesysClient) -> scopewatch::audit::report::Report {
    assess(
        client,
        &AuditPolicy::builtin(),
        "catalog-test".into(),
        Utc::now(),
        None,
        &|_| {},
    )
    .await
    .expect("the audit succeeds")
}

#[tokio::test]
async fn the_report_says_live_with_todays_date_when_the_description_is_served() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    let report = assess_with(client_config(&sim), &AuditPolicy::builtin())
        .await
        .unwrap();
    let catalog = report.permission_catalog.as_ref().unwrap();
    assert_eq!(catalog.source, "live");
    assert_eq!(catalog.date, Some(Utc::now().date_naive()));
    assert!(catalog.detail.contains(DESCRIPTION), "{}", catalog.detail);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(description_reads(&sim), 1);
}

#[tokio::test]
async fn a_second_audit_within_the_day_does_not_read_the_description_again() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    let client = GenesysClient::new(client_config(&sim), Arc::new(NoObserver)).unwrap();
    let first = audit_with(&client).await;
    let second = audit_with(&client).await;
    assert_eq!(description_reads(&sim), 1);
    for report in [&first, &second] {
        assert_eq!(report.permission_catalog.as_ref().unwrap().source, "live");
    }
}

#[tokio::test]
async fn a_catalog_older_than_a_day_is_read_again() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    let client = GenesysClient::new(client_config(&sim), Arc::new(NoObserver)).unwrap();
    let stale = Utc::now() - chrono::Duration::hours(25);
    client
        .seed_live_catalog(LiveCatalog::new(stale, vec![]))
        .await;
    let report = audit_with(&client).await;
    assert_eq!(description_reads(&sim), 1);
    let catalog = report.permission_catalog.as_ref().unwrap();
    assert_eq!(catalog.date, Some(Utc::now().date_naive()));
    assert!(client.live_catalog().await.unwrap().fetched_at > stale);
}

#[tokio::test]
async fn an_unreadable_description_falls_back_to_the_snapshot_with_a_warning() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    sim.faults().deny("swagger");
    let client = GenesysClient::new(client_config(&sim), Arc::new(NoObserver)).unwrap();
    let report = audit_with(&client).await;
    let catalog = report.permission_catalog.as_ref().unwrap();
    assert_eq!(catalog.source, "snapshot");
    assert_eq!(catalog.date, None);
    assert!(!report.complete);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].contains("API description unreadable")
            && report.warnings[0].contains(DESCRIPTION)
            && report.warnings[0].contains("404"),
        "{}",
        report.warnings[0]
    );
    assert!(
        client.live_catalog().await.is_none(),
        "a failed read is not kept, so the next audit tries again"
    );
}

#[tokio::test]
async fn a_description_as_large_as_the_real_one_is_read_while_it_arrives_with_the_same_operations()
{
    let padded = SimSettings {
        description_bytes: 24 << 20,
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(20, 5), padded).await;
    let client =
        GenesysClient::new(client_config_for_large_answers(&sim), Arc::new(NoObserver)).unwrap();
    let report = audit_with(&client).await;
    assert_eq!(report.permission_catalog.as_ref().unwrap().source, "live");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let live = client.live_catalog().await.unwrap();
    let snapshot = genesys_api::permissions::catalog::Catalog::snapshot();
    assert_eq!(
        live.catalog.operations().len(),
        snapshot.operations().len(),
        "the padding is skipped, every operation is kept"
    );
}

#[tokio::test]
async fn a_description_above_the_body_limit_falls_back_to_the_snapshot() {
    let sim = start_sim_with(generated_org(20, 5), SimSettings::default()).await;
    let mut config = client_config(&sim);
    // Large enough for the client and role listings of this small org, not for the description.
    config.limits.max_body_bytes = 200_000;
    let report = assess_with(config, &AuditPolicy::builtin()).await.unwrap();
    assert_eq!(
        report.permission_catalog.as_ref().unwrap().source,
        "snapshot"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("SCOPEWATCH_MAX_BODY_MB")),
        "{:?}",
        report.warnings
    );
}

#[tokio::test]
async fn a_restarted_service_uses_the_stored_catalog_instead_of_reading_the_description() {
    let database = temp_database();
    let mut first = spawn_app_on(start_sim(org(30)).await, &database, &[]).await;
    let report = first.audit().await.unwrap();
    assert_eq!(
        report.report.permission_catalog.as_ref().unwrap().source,
        "live"
    );
    assert_eq!(description_reads(&first.sim), 1);
    let (fetched_at, body) = first
        .auditor
        .store()
        .permission_catalog()
        .await
        .unwrap()
        .expect("the live catalog is stored");
    assert!(Utc::now() - fetched_at < chrono::Duration::minutes(5));
    assert!(
        body.starts_with('[') && !body.contains("swagger"),
        "the parsed operations are stored, not the description"
    );
    first.stop().await.unwrap();

    let mut restarted = spawn_app_on(start_sim(org(30)).await, &database, &[]).await;
    let report = restarted.audit().await.unwrap();
    let catalog = report.report.permission_catalog.as_ref().unwrap();
    assert_eq!(catalog.source, "live");
    assert_eq!(catalog.date, Some(fetched_at.date_naive()));
    assert_eq!(description_reads(&restarted.sim), 0);
    restarted.stop().await.unwrap();
}
