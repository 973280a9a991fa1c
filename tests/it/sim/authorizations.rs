//! The third-party apps authorized in an org, on the wire.

use scopewatch_sim::SimSettings;

use super::*;

const PATH: &str = "/api/v2/oauth/authorizations";

#[tokio::test]
async fn the_authorizations_list_other_orgs_apps_and_need_the_authorize_permission() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let bearer = token(&sim).await;
    let response = sim_get(&sim, &bearer, PATH).await;
    assert_eq!(response.status(), 200);
    let listing: serde_json::Value = response.json().await.unwrap();
    let entities = listing["entities"].as_array().unwrap();
    assert_eq!(listing["total"], 5);
    assert_eq!(entities.len(), 5);
    let own: Vec<String> = sim
        .org()
        .clients
        .iter()
        .map(|c| c.client.id.clone())
        .collect();
    let org_id = sim.org().organization_id.clone();
    for a in entities {
        let client_id = a["client"]["id"].as_str().unwrap();
        assert!(!own.iter().any(|id| id == client_id), "another org's app");
        assert!(a["client"]["authorizedGrantType"].is_string());
        assert!(a["client"].get("secret").is_none(), "no secret on a read");
        assert_eq!(a["resourceOwner"]["id"], org_id.as_str());
        assert!(a["createdBy"]["id"].is_string() && a["dateCreated"].is_string());
        assert_eq!(
            a["pending"].as_bool().unwrap(),
            a["state"] == "Requested",
            "{a}"
        );
    }
    let states: Vec<&str> = entities
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "Authorized",
            "Authorized",
            "Authorized",
            "Revoked",
            "Requested"
        ]
    );
    // The first app names the org's Master Admin role.
    let master = sim
        .org()
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .unwrap()
        .id
        .clone();
    assert_eq!(entities[0]["roles"], serde_json::json!([master]));

    sim.faults().deny("authorizations");
    let denied = sim_get(&sim, &bearer, PATH).await;
    assert_eq!(denied.status(), 403);
    let body = denied.text().await.unwrap();
    assert!(body.contains("oauth:client:authorize"), "{body}");
}
