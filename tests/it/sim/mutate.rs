//! Changing the org while the simulator serves: `POST/PUT/DELETE /api/v2/oauth/clients`, each
//! visible in the listing at once and recorded in the audit trail with the caller as `client`.

use scopewatch_sim::{RunningSim, SimSettings};
use serde_json::{Value, json};

use super::*;

const OPERATOR: &str = "test-operator";
const OPERATOR_SECRET: &str = "operator-secret-value-1";

async fn started() -> (RunningSim, String) {
    let mut org = generated_org(30, 10);
    org.add_operator(OPERATOR, OPERATOR_SECRET);
    let sim = start_sim_with(org, SimSettings::default()).await;
    let token = access_token(&sim, OPERATOR, OPERATOR_SECRET).await;
    (sim, token)
}

/// A token for the client `id` (its `client_credentials` login).
async fn access_token(sim: &RunningSim, id: &str, secret: &str) -> String {
    let body: Value = token_for(sim, id, secret).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// `POST /api/v2/oauth/clients` as the holder of `token`: the created client.
async fn create(sim: &RunningSim, token: &str, request: &Value) -> Value {
    let (status, created) = send(
        sim,
        token,
        reqwest::Method::POST,
        "/api/v2/oauth/clients",
        Some(request),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn send(
    sim: &RunningSim,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn listing(sim: &RunningSim, token: &str) -> Vec<Value> {
    let body: Value = sim_get(sim, token, "/api/v2/oauth/clients")
        .await
        .json()
        .await
        .unwrap();
    body["entities"].as_array().unwrap().clone()
}

async fn recent_events(sim: &RunningSim, token: &str, entity: &str) -> Vec<Value> {
    let end = (chrono::Utc::now() + chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ");
    let start = (chrono::Utc::now() - chrono::Duration::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ");
    let body = json!({"interval": format!("{start}/{end}"), "serviceName": "PeoplePermissions",
        "filters": [{"property": "EntityId", "value": entity}]});
    let response = sim_post_json(sim, token, "/api/v2/audits/query/realtime", &body).await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    page["entities"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_created_client_is_listed_can_log_in_and_is_in_the_trail() {
    let (sim, operator) = started().await;
    let auditor = token(&sim).await;
    let before = listing(&sim, &auditor).await.len();
    let master = sim
        .org()
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .unwrap()
        .id
        .clone();
    let request = json!({"name": "Risky integration", "authorizedGrantType": "CLIENT-CREDENTIALS",
        "roleDivisions": [{"roleId": master, "divisionId": "*"}, {"roleId": master}]});
    let (status, created) = send(
        &sim,
        &operator,
        reqwest::Method::POST,
        "/api/v2/oauth/clients",
        Some(&request),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let secret = created["secret"]
        .as_str()
        .expect("POST shows the secret once")
        .to_string();
    assert_eq!(created["accessTokenValiditySeconds"], 86_400);
    assert_eq!(created["state"], "active");
    assert_eq!(
        created["roleDivisions"][1]["divisionId"],
        sim.org().home_division_id.as_str(),
        "home division by default"
    );
    assert_eq!(created["selfUri"], format!("/api/v2/oauth/clients/{id}"));

    let after = listing(&sim, &auditor).await;
    assert_eq!(after.len(), before + 1);
    let listed = after
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("listed at once");
    assert!(
        listed.get("secret").is_none(),
        "the listing never shows a secret"
    );
    let (status, one) = send(
        &sim,
        &auditor,
        reqwest::Method::GET,
        &format!("/api/v2/oauth/clients/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(one.get("secret").is_none());
    assert_eq!(
        token_for(&sim, &id, &secret).await.status(),
        200,
        "the new client logs in"
    );

    let events = recent_events(&sim, &auditor, &id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event["action"], "Create");
    assert_eq!(event["entityType"], "OAuthClient");
    assert_eq!(event["entity"]["name"], "Risky integration");
    assert_eq!(event["client"]["id"], OPERATOR);
    assert!(event.get("user").is_none());
    let roles = event["propertyChanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["property"] == "roleIds")
        .unwrap();
    assert_eq!(roles["newValues"], json!([master]));
    assert_eq!(roles["oldValues"], json!([]));
}

#[tokio::test]
async fn an_update_widens_the_grant_and_records_old_and_new_values() {
    let (sim, operator) = started().await;
    let auditor = token(&sim).await;
    let request = json!({"name": "Widget", "authorizedGrantType": "CODE", "scope": ["users:readonly"],
        "registeredRedirectUri": ["https://apps.example.com/cb"]});
    let created = create(&sim, &operator, &request).await;
    let id = created["id"].as_str().unwrap().to_string();
    let widened = json!({"name": "Widget", "authorizedGrantType": "CODE", "scope": ["users:readonly", "users"],
        "registeredRedirectUri": ["https://apps.example.com/cb"]});
    let (status, updated) = send(
        &sim,
        &operator,
        reqwest::Method::PUT,
        &format!("/api/v2/oauth/clients/{id}"),
        Some(&widened),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert!(
        updated.get("secret").is_none(),
        "PUT never shows the secret"
    );
    assert_eq!(updated["dateCreated"], created["dateCreated"]);
    let listed = listing(&sim, &auditor).await;
    let listed = listed.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(listed["scope"], json!(["users:readonly", "users"]));
    let events = recent_events(&sim, &auditor, &id).await;
    assert_eq!(events.len(), 2);
    let update = events.iter().find(|e| e["action"] == "Update").unwrap();
    assert_eq!(
        update["propertyChanges"],
        json!([{"property": "scope", "oldValues": ["users:readonly"], "newValues": ["users:readonly", "users"]}])
    );
}

#[tokio::test]
async fn a_deleted_client_leaves_the_listing_and_its_tokens_stop_working() {
    let (sim, operator) = started().await;
    let auditor = token(&sim).await;
    let request = json!({"name": "Short-lived", "authorizedGrantType": "CLIENT-CREDENTIALS"});
    let created = create(&sim, &operator, &request).await;
    let id = created["id"].as_str().unwrap().to_string();
    let its_token = access_token(&sim, &id, created["secret"].as_str().unwrap()).await;
    let (status, _) = send(
        &sim,
        &operator,
        reqwest::Method::DELETE,
        &format!("/api/v2/oauth/clients/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        !listing(&sim, &auditor)
            .await
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    assert_eq!(
        sim_get(&sim, &its_token, "/api/v2/oauth/scopes")
            .await
            .status(),
        401
    );
    let (status, _) = send(
        &sim,
        &operator,
        reqwest::Method::DELETE,
        &format!("/api/v2/oauth/clients/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let events = recent_events(&sim, &auditor, &id).await;
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "Delete" && e["client"]["id"] == OPERATOR)
    );
}

#[tokio::test]
async fn deleting_an_old_client_deactivates_it_for_a_week() {
    let (sim, operator) = started().await;
    let auditor = token(&sim).await;
    let old = sim
        .org()
        .clients
        .iter()
        .find(|c| c.client.state.as_deref() == Some("active"))
        .unwrap()
        .client
        .id
        .clone();
    let (status, _) = send(
        &sim,
        &operator,
        reqwest::Method::DELETE,
        &format!("/api/v2/oauth/clients/{old}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let listed = listing(&sim, &auditor).await;
    let listed = listed
        .iter()
        .find(|c| c["id"] == old.as_str())
        .expect("still listed while restorable");
    assert_eq!(listed["state"], "inactive");
    assert!(listed["dateToDelete"].is_string());
}

#[tokio::test]
async fn bad_requests_are_400_and_missing_permissions_403() {
    let (sim, operator) = started().await;
    let auditor = token(&sim).await;
    for (body, names) in [
        (json!({"authorizedGrantType": "CODE"}), "name"),
        (json!({"name": "x"}), "authorizedGrantType"),
        (
            json!({"name": "x", "authorizedGrantType": "CLIENT_CREDENTIALS"}),
            "authorizedGrantType",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CODE", "accessTokenValiditySeconds": 10}),
            "accessTokenValiditySeconds",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CODE", "state": "gone"}),
            "state",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CLIENT-CREDENTIALS", "roleDivisions": [{"roleId": "nope"}]}),
            "nope",
        ),
        (
            json!({"name": "x", "authorizedGrantType": "CODE", "scope": ["admin:everything"]}),
            "admin:everything",
        ),
        (json!("not an object"), "body"),
    ] {
        let (status, error) = send(
            &sim,
            &operator,
            reqwest::Method::POST,
            "/api/v2/oauth/clients",
            Some(&body),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            error["message"].as_str().unwrap().contains(names),
            "{names}: {error}"
        );
    }
    let body = json!({"name": "x", "authorizedGrantType": "CODE"});
    let (status, error) = send(
        &sim,
        &auditor,
        reqwest::Method::POST,
        "/api/v2/oauth/clients",
        Some(&body),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(error["messageParams"]["permissions"], "[oauth:client:add]");
    let (status, _) = send(
        &sim,
        &auditor,
        reqwest::Method::DELETE,
        &format!("/api/v2/oauth/clients/{OPERATOR}"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = send(
        &sim,
        &operator,
        reqwest::Method::PUT,
        "/api/v2/oauth/clients/nope",
        Some(&body),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn changes_reach_the_async_query_too() {
    let settings = SimSettings {
        audit_running_polls: 0,
        ..SimSettings::default()
    };
    let mut org = generated_org(30, 10);
    org.add_operator(OPERATOR, OPERATOR_SECRET);
    let sim = start_sim_with(org, settings).await;
    let operator = access_token(&sim, OPERATOR, OPERATOR_SECRET).await;
    let auditor = token(&sim).await;
    let request = json!({"name": "Another", "authorizedGrantType": "CODE"});
    let created = create(&sim, &operator, &request).await;
    let end = (chrono::Utc::now() + chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S");
    let query = json!({"interval": format!("2026-01-01T00:00:00/{end}"), "serviceName": "PeoplePermissions",
        "filters": [{"property": "ClientId", "value": OPERATOR}, {"property": "Action", "value": "Create"}]});
    let submitted: Value = sim_post_json(&sim, &auditor, "/api/v2/audits/query", &query)
        .await
        .json()
        .await
        .unwrap();
    let id = submitted["id"].as_str().unwrap();
    let status: Value = sim_get(&sim, &auditor, &format!("/api/v2/audits/query/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "Succeeded");
    let page: Value = sim_get(
        &sim,
        &auditor,
        &format!("/api/v2/audits/query/{id}/results"),
    )
    .await
    .json()
    .await
    .unwrap();
    let entities = page["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0]["entity"]["id"], created["id"]);
}
