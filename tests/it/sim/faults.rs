use std::time::{Duration, Instant};

use scopewatch_sim::{FaultConfig, SimSettings};
use serde_json::Value;

use super::*;

#[tokio::test]
async fn latency_delays_every_answer() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().set(FaultConfig {
        latency: Duration::from_millis(300),
        ..Default::default()
    });
    let began = Instant::now();
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
        200
    );
    assert!(began.elapsed() >= Duration::from_millis(300));
    // The request log says how long each answer took (the benchmark reads the critical path).
    let log = sim.requests();
    let scopes = log.last().expect("the scopes call is logged");
    assert_eq!(scopes.path, "/api/v2/oauth/scopes");
    assert!(
        scopes.took >= Duration::from_millis(300),
        "{:?}",
        scopes.took
    );
    assert!(
        log[0].took < Duration::from_millis(300),
        "{:?}",
        log[0].took
    );
}

#[tokio::test]
async fn a_5xx_burst_fails_exactly_that_many_calls() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().server_error_burst(2);
    for _ in 0..2 {
        let failed = sim_get(&sim, &token, "/api/v2/oauth/clients").await;
        assert_eq!(failed.status(), 503);
        assert_eq!(
            failed.json::<Value>().await.unwrap()["code"],
            "service.unavailable"
        );
    }
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/clients")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_5xx_rate_of_one_fails_every_call() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().set(FaultConfig {
        server_error_rate: 1.0,
        ..Default::default()
    });
    for _ in 0..5 {
        assert_eq!(
            sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
            503
        );
    }
}

#[tokio::test]
async fn a_429_storm_answers_retry_after_until_it_ends() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    let until = sim.clock().now() + chrono::Duration::seconds(30);
    sim.faults().rate_limit_storm_until(until, 7);
    let limited = sim_get(&sim, &token, "/api/v2/oauth/clients").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(
        limited.json::<Value>().await.unwrap()["code"],
        "too.many.requests.retry.after"
    );
    sim.clock().advance(Duration::from_secs(31));
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/clients")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_malformed_body_is_not_json() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().malformed_next(1);
    let response = sim_get(&sim, &token, "/api/v2/oauth/clients").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    let fine = sim_get(&sim, &token, "/api/v2/oauth/clients")
        .await
        .text()
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(&fine).is_ok());
}

#[tokio::test]
async fn a_dropped_connection_loses_the_body() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().drop_next(1);
    let response = reqwest::Client::new()
        .get(format!("{}/api/v2/oauth/clients", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await;
    let lost = match response {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(lost, "the body should not arrive");
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/clients")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn tokens_are_revoked_after_n_calls_and_a_new_token_works() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().revoke_tokens_after(2);
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
        200
    );
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/scopes").await.status(),
        200
    );
    let revoked = sim_get(&sim, &token, "/api/v2/oauth/scopes").await;
    assert_eq!(revoked.status(), 401);
    assert_eq!(
        revoked.json::<Value>().await.unwrap()["code"],
        "bad.credentials"
    );
    let fresh = crate::helpers::token(&sim).await;
    assert_eq!(
        sim_get(&sim, &fresh, "/api/v2/oauth/scopes").await.status(),
        200
    );
}

#[tokio::test]
async fn a_denied_endpoint_answers_403_naming_the_permission() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim.faults().deny("usage");
    let body = serde_json::json!({"interval": "2026-10-01T00:00:00Z/2026-11-01T00:00:00Z"});
    let denied = sim_post_json(&sim, &token, "/api/v2/usage/query", &body).await;
    assert_eq!(denied.status(), 403);
    let text = denied.text().await.unwrap();
    assert!(text.contains("usage:organization:view"), "{text}");
    assert_eq!(
        sim_get(&sim, &token, "/api/v2/oauth/clients")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_request_log_records_every_call() {
    let sim = start_sim_with(generated_org(5, 5), SimSettings::default()).await;
    let token = token(&sim).await;
    sim_get(
        &sim,
        &token,
        "/api/v2/authorization/roles?pageSize=100&pageNumber=1",
    )
    .await;
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("POST", "/oauth/token")
    );
    assert_eq!(log[1].query, "pageSize=100&pageNumber=1");
    assert_eq!(log[1].status, 200);
}
