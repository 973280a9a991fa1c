//! One odd record never fails an audit: a record that does not parse is skipped, counted in
//! `scopewatch_upstream_records_skipped_total` and named in the report's warnings, and every
//! other record is judged. Only a broken page fails a listing.

use genesys_api::models::DomainEntityRef;
use scopewatch_sim::{OddRecords, Org};
use serde_json::{Value, json};

use super::*;

const CLIENTS: &str = "/api/v2/oauth/clients";
const ROLES: &str = "/api/v2/authorization/roles";
const USAGE_RESULTS: &str = "/api/v2/usage/aggregates/query/jobs/{jobId}";

/// What one audit served: the report, and the metrics exposition after it.
struct Served {
    report: Value,
    metrics: String,
    app: TestApp,
}

impl Served {
    fn client_ids(&self) -> Vec<String> {
        self.report["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["client_id"].as_str().unwrap().to_string())
            .collect()
    }

    fn warnings(&self) -> Vec<String> {
        self.report["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect()
    }

    /// `scopewatch_upstream_records_skipped_total` of the default org for `endpoint`.
    fn skipped(&self, endpoint: &str) -> Option<f64> {
        let label = format!("endpoint=\"{endpoint}\"");
        self.metrics
            .lines()
            .filter(|l| l.starts_with("scopewatch_upstream_records_skipped_total{"))
            .filter(|l| l.contains(&label) && l.contains("org=\"default\""))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
    }
}

/// Audits `org` through the app with the odd-records faults on; the audit must succeed.
async fn audit_with(org: Org, odd: &[(&str, OddRecords)]) -> Served {
    let sim = start_sim(org).await;
    for (target, change) in odd {
        sim.faults().odd_records(target, change.clone());
    }
    let app = spawn_app_on(sim, &temp_database(), &[]).await;
    app.audit()
        .await
        .expect("the audit goes on past odd records");
    Served {
        report: json(app.get("/report").await).await,
        metrics: app.get("/metrics").await.text().await.unwrap(),
        app,
    }
}

fn ids_of(org: &Org) -> Vec<String> {
    let mut ids: Vec<String> = org.clients.iter().map(|c| c.client.id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn a_client_whose_creator_has_no_id_is_judged_with_no_known_creator() {
    let mut org = generated_org(20, 10);
    let odd = org.clients[1].client.id.clone();
    org.clients[1].client.created_by = Some(DomainEntityRef {
        id: None,
        name: Some("Former admin".into()),
        self_uri: None,
    });
    let everyone = ids_of(&org);
    let served = audit_with(org, &[]).await;
    assert_eq!(sorted(served.client_ids()), everyone);
    let judged = served.report["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == odd.as_str())
        .unwrap();
    let rules: Vec<&str> = judged["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(
        !rules.contains(&"orphaned-client"),
        "no known creator is not a creator who left: {rules:?}"
    );
    assert_eq!(served.skipped(CLIENTS), None, "the record parsed");
}

#[tokio::test]
async fn a_client_record_that_is_not_an_object_or_mistyped_is_an_unreadable_entry_and_named() {
    let org = generated_org(20, 10);
    let not_an_object = org.clients[2].client.id.clone();
    let mistyped = org.clients[4].client.id.clone();
    let judged: Vec<String> = ids_of(&org)
        .into_iter()
        .filter(|id| *id != not_an_object && *id != mistyped)
        .collect();
    let served = audit_with(
        org,
        &[
            (CLIENTS, OddRecords::Replace(2, json!("not a client"))),
            (
                CLIENTS,
                OddRecords::Replace(
                    4,
                    json!({"id": mistyped, "name": "Odd\u{1b}[31m app", "authorizedGrantType": 7}),
                ),
            ),
        ],
    )
    .await;
    // Every readable client is judged, and both unreadable ones are in the report: the one
    // with an id under it, the one without as `unreadable-1`.
    let mut expected = judged.clone();
    expected.extend([mistyped.clone(), "unreadable-1".to_string()]);
    assert_eq!(sorted(served.client_ids()), sorted(expected));
    let clients = served.report["clients"].as_array().unwrap();
    let entry = |id: &str| clients.iter().find(|c| c["client_id"] == id).unwrap();
    for id in judged {
        assert!(entry(&id).get("unreadable").is_none(), "{id} was read");
    }
    let odd = entry(&mistyped);
    assert_eq!(odd["client_name"], "Odd [31m app");
    assert_eq!(odd["risk_level"], "NONE");
    assert!(odd.get("findings").is_none(), "no findings: left out");
    let why = odd["unreadable"].as_str().unwrap();
    assert!(why.starts_with("invalid type: integer `…`"), "{why}");
    let nameless = entry("unreadable-1");
    assert_eq!(nameless["unreadable"], "the record is not an object");
    assert!(nameless.get("findings").is_none(), "no findings: left out");
    assert_eq!(served.report["summary"]["unreadable_clients"], 2);
    assert_eq!(
        served.report["summary"]["total_clients"], 21,
        "20 and the auditor"
    );
    assert_eq!(served.skipped(CLIENTS), Some(2.0));
    let warning = served
        .warnings()
        .into_iter()
        .find(|w| w.contains(CLIENTS))
        .expect("a warning names the skipped clients");
    assert!(
        warning.starts_with("2 unreadable OAuth clients"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("{mistyped} (\"Odd [31m app\")")),
        "the readable id and a sanitized name: {warning}"
    );
    assert!(warning.ends_with("and 1 more"), "{warning}");
    assert_eq!(served.report["complete"], false);
    // The other formats carry them too.
    let csv = served
        .app
        .get("/report?format=csv")
        .await
        .text()
        .await
        .unwrap();
    let row = csv
        .lines()
        .find(|l| l.starts_with("unreadable-1,"))
        .expect("a CSV row for the nameless record");
    // `unreadable`, then the (empty) `compliance` column.
    assert!(row.ends_with(",the record is not an object,"), "{row}");
    let html = served
        .app
        .get("/report?format=html")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<b>2</b>unreadable records"), "the HTML card");
    assert!(
        html.contains("unreadable record, not judged"),
        "the HTML row"
    );
    let page = served
        .app
        .get_with(&format!("/clients/{mistyped}"), &[("accept", "text/html")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("could not be read, so it was not judged: invalid type"));
}

#[tokio::test]
async fn a_page_of_roles_with_null_entities_is_an_empty_page() {
    // 250 roles: three pages of 100; the second one comes as `"entities": null`.
    let org = generated_org(20, 250);
    let everyone = ids_of(&org);
    let served = audit_with(
        org,
        &[(&format!("{ROLES}?pageNumber=2"), OddRecords::NullList)],
    )
    .await;
    assert_eq!(sorted(served.client_ids()), everyone);
    assert_eq!(served.skipped(ROLES), None);
    // The page the audit read was the null one.
    let sim = &served.app.sim;
    let page = sim_get(
        sim,
        &token(sim).await,
        &format!("{ROLES}?pageSize=100&pageNumber=2"),
    )
    .await;
    assert_eq!(json(page).await["entities"], Value::Null);
    let read = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == ROLES)
        .count();
    assert_eq!(read, 4, "three pages in the audit, one here");
}

#[tokio::test]
async fn a_role_with_a_wrong_typed_field_is_skipped_counted_and_named() {
    let org = generated_org(20, 10);
    let everyone = ids_of(&org);
    let served = audit_with(
        org,
        &[(
            ROLES,
            OddRecords::Replace(
                1,
                json!({"id": "odd-role", "name": "Odd role", "permissions": "admin"}),
            ),
        )],
    )
    .await;
    assert_eq!(sorted(served.client_ids()), everyone);
    assert_eq!(served.skipped(ROLES), Some(1.0));
    assert!(
        served
            .warnings()
            .iter()
            .any(|w| w.starts_with("1 unreadable roles")
                && w.contains(ROLES)
                && w.ends_with(": odd-role (\"Odd role\")")),
        "{:?}",
        served.warnings()
    );
}

#[tokio::test]
async fn a_usage_row_that_does_not_parse_is_skipped_and_the_usage_evidence_kept() {
    let org = generated_org(20, 10);
    let everyone = ids_of(&org);
    let served = audit_with(
        org,
        &[(
            USAGE_RESULTS,
            OddRecords::Replace(
                0,
                json!({"oauthClient": {"id": "x"}, "requestCount": "many"}),
            ),
        )],
    )
    .await;
    assert_eq!(sorted(served.client_ids()), everyone);
    // The first row of each of the two jobs (usage-anomaly reads 97 days; a job spans 90).
    assert_eq!(served.skipped(USAGE_RESULTS), Some(2.0));
    let warnings = served.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("2 unreadable usage rows") && w.contains(USAGE_RESULTS)),
        "{warnings:?}"
    );
    assert!(
        !warnings
            .iter()
            .any(|w| w.contains("usage evidence unknown")),
        "{warnings:?}"
    );
}
