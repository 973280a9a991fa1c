//! Audit messages as real Genesys writes them, from a small fake upstream (the simulator
//! writes only well-formed ones): optional parts absent or empty, fields scopewatch does not
//! read, and one message that does not parse at all, which is skipped without costing its page.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use scopewatch::genesys::{ClientConfig, trail};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::*;

/// Three messages: one with every optional shape real audits carry, one whose `entity` is a
/// string (not a `DomainEntityRef`), one plain.
fn messages() -> Value {
    let at = (Utc::now() - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    json!([
        {"id": "m-shapes", "eventDate": at, "action": "Update", "serviceName": "PeoplePermissions",
         "entityType": "OAuthClient", "entity": {"id": "c-1"}, "client": {"id": ""},
         "user": {"id": "u-1"}, "level": "USER", "status": "SUCCESS",
         "application": "admin-ui", "transactionInitiator": true,
         "initiatingAction": {"transactionId": "t-1", "actionContext": "ui"},
         "context": {"reason": "rotation"},
         "entityChanges": [{"entityId": "c-1", "entityName": "Billing", "entityType": "OAuthClient",
                            "oldValues": ["a"], "newValues": ["b"]}],
         "propertyChanges": [{"property": "scope", "oldValues": [], "newValues": ["users"]}]},
        {"id": "m-odd", "eventDate": at, "action": "Update", "entityType": "OAuthClient",
         "entity": "c-2"},
        {"id": "m-plain", "eventDate": at, "action": "Create", "entityType": "Role",
         "entity": {"id": "r-1", "name": "Ops"}, "user": {"id": "u-1", "name": "Ann"}}
    ])
}

fn answer(method: &Method, path: &str) -> Response {
    let body = match (method.as_str(), path) {
        ("POST", "/oauth/token") => {
            json!({"access_token": "tok-1", "token_type": "bearer", "expires_in": 86400})
        }
        ("GET", "/api/v2/audits/query/servicemapping") => json!({"services": [
            {"name": "PeoplePermissions", "entities": [{"name": "OAuthClient"}, {"name": "Role"}]}
        ]}),
        ("POST", "/api/v2/audits/query") => json!({"id": "tx-1", "state": "Succeeded"}),
        ("GET", "/api/v2/audits/query/tx-1/results") => {
            json!({"id": "tx-1", "pageSize": 500, "entities": messages()})
        }
        ("POST", "/api/v2/audits/query/realtime") => json!({
            "entities": messages(), "pageSize": 100, "pageNumber": 1, "total": 3, "pageCount": 1
        }),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}

async fn fake_genesys() -> GenesysClient {
    let app = Router::new()
        .fallback(|request: Request| async move { answer(request.method(), request.uri().path()) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = ClientConfig::new(
        CLIENT_ID.into(),
        SecretString::from(SECRET),
        "mypurecloud.com".into(),
        base.clone(),
        base,
    );
    config.backoff_base = Duration::from_millis(10);
    config.backoff_max = Duration::from_millis(50);
    config.request_timeout = Duration::from_secs(5);
    GenesysClient::new(config, std::sync::Arc::new(NoObserver)).unwrap()
}

fn ids(events: &[scopewatch::audit::snapshot::AuditEvent]) -> Vec<&str> {
    let mut ids: Vec<&str> = events.iter().filter_map(|e| e.id.as_deref()).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn an_unreadable_trail_message_is_skipped_and_the_rest_of_its_page_is_read() {
    let client = fake_genesys().await;
    let now = Utc::now();
    let events = trail::trail(&client, now - chrono::Duration::days(1), now)
        .await
        .expect("one odd message does not fail the trail");
    assert_eq!(ids(&events), ["m-plain", "m-shapes"]);
    let shapes = events
        .iter()
        .find(|e| e.id.as_deref() == Some("m-shapes"))
        .unwrap();
    assert_eq!(shapes.client_id, None, "an empty client id is no client");
    let entity = shapes.entity.as_ref().unwrap();
    assert_eq!((entity.id.as_str(), entity.name.as_deref()), ("c-1", None));
    assert_eq!(shapes.properties[0].added, ["users"]);
}

#[tokio::test]
async fn an_unreadable_message_in_a_realtime_page_costs_only_itself() {
    let client = fake_genesys().await;
    let now = Utc::now();
    let (events, more) = trail::realtime_changes(
        &client,
        "PeoplePermissions",
        "OAuthClient",
        now - chrono::Duration::hours(1),
        now,
    )
    .await
    .expect("one odd message does not fail the poll");
    assert_eq!(ids(&events), ["m-plain", "m-shapes"]);
    assert!(!more);
}
