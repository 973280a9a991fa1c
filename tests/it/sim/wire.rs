use std::time::Duration;

use scopewatch_sim::SimSettings;
use serde_json::{Value, json};

use super::*;

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

#[tokio::test]
async fn client_listing_is_one_camel_case_page_without_secrets_or_nulls() {
    let sim = start_sim_with(generated_org(120, 30), SimSettings::default()).await;
    let token = token(&sim).await;
    let response = sim_get(&sim, &token, "/api/v2/oauth/clients").await;
    assert_eq!(response.status(), 200);
    for header in [
        "inin-ratelimit-count",
        "inin-ratelimit-allowed",
        "inin-ratelimit-reset",
        "inin-correlation-id",
    ] {
        assert!(response.headers().contains_key(header), "missing {header}");
    }
    assert_eq!(response.headers()["inin-ratelimit-allowed"], "300");
    let text = response.text().await.unwrap();
    assert!(!text.contains("secret"), "a secret was listed");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(!has_null(&body), "absent fields must be omitted, not null");
    assert_eq!(body["entities"].as_array().unwrap().len(), 121);
    assert_eq!(body["pageCount"], 1);
    assert_eq!(body["total"], 121);
    assert!(body.get("nextUri").is_none());
    assert_eq!(
        body["selfUri"],
        "/api/v2/oauth/clients?pageSize=121&pageNumber=1"
    );
    let first = &body["entities"][0];
    assert!(
        first["selfUri"]
            .as_str()
            .unwrap()
            .starts_with("/api/v2/oauth/clients/")
    );
    assert!(first.get("authorizedGrantType").is_some());
    assert!(first.get("authorized_grant_type").is_none());
}

#[tokio::test]
async fn one_client_by_id_and_unknown_ids_and_paths_are_404_error_bodies() {
    let sim = start_sim_with(generated_org(10, 10), SimSettings::default()).await;
    let token = token(&sim).await;
    let id = sim.org().clients[3].client.id.clone();
    let one: Value = sim_get(&sim, &token, &format!("/api/v2/oauth/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], id.as_str());
    for path in ["/api/v2/oauth/clients/nope", "/api/v2/nothing/here"] {
        let response = sim_get(&sim, &token, path).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "not.found");
        assert_eq!(body["status"], 404);
        assert!(body["contextId"].as_str().is_some_and(|c| !c.is_empty()));
    }
}

#[tokio::test]
async fn token_errors_use_the_oauth_shape() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let wrong = token_for(&sim, CLIENT_ID, "wrong").await;
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_client", "description": "authentication failed", "error_description": "authentication failed"})
    );
    let unknown = token_for(&sim, "nobody", SECRET).await;
    assert_eq!(unknown.status(), 400);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["description"], "client not found");
    let ok: Value = token_for(&sim, CLIENT_ID, SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["token_type"], "bearer");
    assert_eq!(ok["expires_in"], 86_400);
    assert!(ok.get("refresh_token").is_none());
}

#[tokio::test]
async fn api_calls_without_or_with_a_bad_token_are_401() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let missing = reqwest::get(format!("{}/api/v2/oauth/clients", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["code"],
        "authentication.required"
    );
    let bad = sim_get(&sim, "not-a-token", "/api/v2/oauth/clients").await;
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["code"],
        "bad.credentials"
    );
}

#[tokio::test]
async fn tokens_expire_after_the_clients_validity() {
    let mut org = generated_org(5, 5);
    let auditor = org
        .clients
        .iter_mut()
        .find(|c| c.client.id == CLIENT_ID)
        .unwrap();
    auditor.client.access_token_validity_seconds = Some(600);
    let sim = start_sim_with(org, SimSettings::default()).await;
    let body: Value = token_for(&sim, CLIENT_ID, SECRET)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["expires_in"], 600);
    let token = body["access_token"].as_str().unwrap();
    sim.clock().advance(Duration::from_secs(599));
    assert_eq!(
        sim_get(&sim, token, "/api/v2/oauth/scopes").await.status(),
        200
    );
    sim.clock().advance(Duration::from_secs(2));
    let expired = sim_get(&sim, token, "/api/v2/oauth/scopes").await;
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.json::<Value>().await.unwrap()["code"],
        "bad.credentials"
    );
}

#[tokio::test]
async fn roles_page_to_the_last_page_with_relative_uris() {
    let sim = start_sim_with(generated_org(5, 230), SimSettings::default()).await;
    let token = token(&sim).await;
    let mut seen = Vec::new();
    let mut path = "/api/v2/authorization/roles?pageSize=100&pageNumber=1".to_string();
    let mut pages = 0;
    loop {
        let body: Value = sim_get(&sim, &token, &path).await.json().await.unwrap();
        pages += 1;
        assert_eq!(body["pageCount"], 3);
        assert_eq!(body["total"], 231);
        seen.extend(
            body["entities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
        match body.get("nextUri") {
            Some(next) => path = next.as_str().unwrap().to_string(),
            None => {
                assert_eq!(body["pageNumber"], 3);
                assert_eq!(
                    body["previousUri"],
                    "/api/v2/authorization/roles?pageSize=100&pageNumber=2"
                );
                break;
            }
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 231);
    let default_page: Value = sim_get(&sim, &token, "/api/v2/authorization/roles")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(default_page["pageSize"], 25);
    let bad = sim_get(&sim, &token, "/api/v2/authorization/roles?pageSize=0").await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("pageSize")
    );
}

#[tokio::test]
async fn a_missing_permission_is_403_naming_it() {
    let mut org = generated_org(5, 5);
    let auditor = org
        .clients
        .iter_mut()
        .find(|c| c.client.id == CLIENT_ID)
        .unwrap();
    auditor.client.role_divisions = Some(vec![]);
    auditor.client.role_ids = None;
    let sim = start_sim_with(org, SimSettings::default()).await;
    let token = token(&sim).await;
    let response = sim_get(&sim, &token, "/api/v2/authorization/roles").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "missing.any.permissions");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("[authorization:role:view]")
    );
    assert_eq!(
        body["messageParams"]["permissions"],
        "[authorization:role:view]"
    );
    // The scope catalog needs no permission.
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
        200
    );
}

#[tokio::test]
async fn the_per_token_rate_limit_answers_429_with_retry_after() {
    let settings = SimSettings {
        rate_limit_per_minute: 5,
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(5, 5), settings).await;
    let token = token(&sim).await;
    for n in 1..=5 {
        let ok = sim_get(&sim, &token, "/api/v2/oauth/scopes").await;
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["inin-ratelimit-count"], n.to_string().as_str());
    }
    let limited = sim_get(&sim, &token, "/api/v2/oauth/scopes").await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "too.many.requests.retry.after");
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds")
    );
    // Another token has its own budget; the window reopens after a minute.
    let other = crate::helpers::token(&sim).await;
    assert_eq!(
        sim_get(&sim, &other, "/api/v2/oauth/scopes").await.status(),
        200
    );
    sim.clock().advance(Duration::from_secs(61));
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
        200
    );
}

#[tokio::test]
async fn the_usage_query_runs_then_completes_with_daily_rows_per_client() {
    let settings = SimSettings {
        usage_running_polls: 2,
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(200, 10), settings).await;
    let token = token(&sim).await;
    let query = json!({"interval": "2026-08-03T00:00:00Z/2026-11-01T00:00:00Z", "granularity": "Day", "groupBy": ["OAuthClientId"], "metrics": ["Requests"]});
    let submitted = sim_post_json(&sim, &token, "/api/v2/usage/query", &query).await;
    assert!(submitted.status().is_success());
    let submitted: Value = submitted.json().await.unwrap();
    let results_uri = submitted["resultsUri"].as_str().unwrap().to_string();
    assert_eq!(
        results_uri,
        format!(
            "/api/v2/usage/query/{}/results",
            submitted["executionId"].as_str().unwrap()
        )
    );
    for _ in 0..2 {
        let running: Value = sim_get(&sim, &token, &results_uri)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(running, json!({"queryStatus": "Running"}));
    }
    let done: Value = sim_get(&sim, &token, &results_uri)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["queryStatus"], "Complete");
    let rows = done["results"].as_array().unwrap();
    let expected: usize = {
        let mut keys: Vec<(String, String)> = sim
            .org()
            .usage
            .iter()
            .filter(|r| {
                r.date.as_deref().unwrap() >= "2026-08-03"
                    && r.date.as_deref().unwrap() < "2026-11-01"
            })
            .map(|r| (r.client_id.clone().unwrap(), r.date.clone().unwrap()))
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    assert!(expected > 50);
    assert_eq!(rows.len(), expected);
    assert!(rows.iter().all(
        |r| r["date"].as_str().unwrap() >= "2026-08-03" && r["requests"].as_u64().unwrap() > 0
    ));
    let bad = sim_post_json(
        &sim,
        &token,
        "/api/v2/usage/query",
        &json!({"interval": "yesterday"}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(
        bad.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("interval")
    );
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/usage/query/unknown/results")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_scope_catalog_is_one_unpaged_listing() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    let body: Value = sim_get(&sim, &token, "/api/v2/oauth/scopes")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["selfUri"], "/api/v2/oauth/scopes");
    assert_eq!(
        body["total"].as_u64().unwrap() as usize,
        body["entities"].as_array().unwrap().len()
    );
    assert!(body.get("pageCount").is_none());
    assert!(
        body["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == "users:readonly")
    );
}

#[tokio::test]
async fn the_client_listing_can_be_paged_for_paging_tests() {
    let settings = SimSettings {
        client_page_size: Some(40),
        ..SimSettings::default()
    };
    let sim = start_sim_with(generated_org(99, 5), settings).await;
    let token = token(&sim).await;
    let last: Value = sim_get(&sim, &token, "/api/v2/oauth/clients?pageNumber=3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(last["pageCount"], 3);
    assert_eq!(last["entities"].as_array().unwrap().len(), 20);
    assert!(last.get("nextUri").is_none());
    let first: Value = sim_get(&sim, &token, "/api/v2/oauth/clients")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        first["nextUri"],
        "/api/v2/oauth/clients?pageSize=40&pageNumber=2"
    );
}
