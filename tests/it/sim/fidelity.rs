//! Shapes checked against the official SDK models: the usage `groupBy`
//! enum and interval forms, `userCount` on roles, `divisionId` on every grant.

use genesys_api::models::RoleDivision;
use scopewatch_sim::SimSettings;
use serde_json::{Value, json};

use super::*;

async fn usage_results(sim: &scopewatch_sim::RunningSim, token: &str, query: &Value) -> Value {
    let submitted = sim_post_json(sim, token, "/api/v2/usage/query", query).await;
    assert_eq!(submitted.status(), 202, "{query}");
    let submitted: Value = submitted.json().await.unwrap();
    let uri = submitted["resultsUri"].as_str().unwrap().to_string();
    loop {
        let body: Value = sim_get(sim, token, &uri).await.json().await.unwrap();
        if body["queryStatus"] == "Complete" {
            return body;
        }
    }
}

#[tokio::test]
async fn the_usage_query_takes_every_documented_interval_form_and_group_by_user() {
    let sim = start_sim_with(generated_org(100, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let end = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let start = end - chrono::Duration::days(120);
    let zoned = format!("{start}T00:00:00Z/{end}T00:00:00Z");
    let reference = usage_results(&sim, &token, &json!({"interval": zoned})).await;
    let total = |body: &Value| -> u64 {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["requests"].as_u64().unwrap())
            .sum()
    };
    assert!(total(&reference) > 0);
    for interval in [
        format!("{start}T00:00:00/{end}T00:00:00"),
        format!("{start}/{end}"),
    ] {
        let body = usage_results(&sim, &token, &json!({"interval": interval})).await;
        assert_eq!(total(&body), total(&reference), "{interval}");
    }
    let months = usage_results(&sim, &token, &json!({"interval": "2000-01/2100-01"})).await;
    assert!(total(&months) >= total(&reference));
    let by_user = usage_results(
        &sim,
        &token,
        &json!({"interval": zoned, "groupBy": ["OAuthClientId", "UserId"]}),
    )
    .await;
    assert_eq!(total(&by_user), total(&reference));
    assert!(
        by_user["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["userId"].is_string())
    );
    let bad = sim_post_json(
        &sim,
        &token,
        "/api/v2/usage/query",
        &json!({"interval": zoned, "groupBy": ["Colour"]}),
    )
    .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn roles_take_user_count_false_and_leave_the_counts_out() {
    let sim = start_sim_with(generated_org(5, 30), SimSettings::default()).await;
    let token = token(&sim).await;
    let counted: Value = sim_get(&sim, &token, "/api/v2/authorization/roles?pageSize=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        counted["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["userCount"].is_number())
    );
    let uncounted: Value = sim_get(
        &sim,
        &token,
        "/api/v2/authorization/roles?pageSize=100&userCount=false",
    )
    .await
    .json()
    .await
    .unwrap();
    let roles = uncounted["entities"].as_array().unwrap();
    assert_eq!(roles.len(), counted["entities"].as_array().unwrap().len());
    assert!(roles.iter().all(|r| r.get("userCount").is_none()));
    let master = roles.iter().find(|r| r["name"] == "Master Admin").unwrap();
    assert!(
        master["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("admin"))
    );
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/authorization/roles?userCount=maybe")
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_grant_without_a_division_is_served_in_the_home_division() {
    let mut org = generated_org(5, 5);
    let client = org
        .clients
        .iter_mut()
        .find(|c| {
            c.client.authorized_grant_type == "CLIENT-CREDENTIALS" && c.client.id != CLIENT_ID
        })
        .unwrap();
    let role_id = client.client.role_divisions.as_ref().unwrap()[0]
        .role_id
        .clone();
    client.client.role_divisions = Some(vec![RoleDivision {
        role_id,
        division_id: None,
    }]);
    let id = client.client.id.clone();
    let home = org.home_division_id.clone();
    let sim = start_sim_with(org, SimSettings::default()).await;
    let token = token(&sim).await;
    let listing: Value = sim_get(&sim, &token, "/api/v2/oauth/clients")
        .await
        .json()
        .await
        .unwrap();
    for c in listing["entities"].as_array().unwrap() {
        for rd in c["roleDivisions"].as_array().unwrap() {
            assert!(rd["divisionId"].is_string(), "{c}");
        }
    }
    let fixed = listing["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap();
    assert_eq!(fixed["roleDivisions"][0]["divisionId"], home.as_str());
}

#[test]
fn the_simulated_auditor_role_holds_exactly_what_the_evidence_sources_need() {
    let mut org = scopewatch_sim::generate(&scopewatch_sim::OrgSize {
        clients: 3,
        roles: 2,
        seed: 7,
        anchor: chrono::Utc::now().date_naive(),
    });
    org.ensure_auditor("auditor", "secret");
    let role = org
        .roles
        .iter()
        .find(|r| r.id == "auditor-role")
        .expect("the auditor's role");
    let mut held: Vec<String> = role
        .permission_policies
        .iter()
        .flatten()
        .flat_map(|p| {
            p.action_set
                .iter()
                .map(move |a| format!("{}:{}:{a}", p.domain, p.entity_name))
        })
        .collect();
    held.sort();
    assert_eq!(held, scopewatch::genesys::auditor_permissions());
}
