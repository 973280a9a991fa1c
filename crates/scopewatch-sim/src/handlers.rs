//! The simulator's HTTP surface: the login endpoint and the API paths scopewatch reads, answering as
//! Genesys Cloud does on the wire.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;

use super::access::{Shared, require};
use super::gate::{Caller, api_gate, record};
use super::params::page_param;
use super::usage;
use super::wire::{
    Fail, json_response, not_found, paged, render_client_page, to_json, token_error,
};
use super::{
    authorizations, client_usage_jobs, directory_handlers, mutate, trail_handlers, usage_jobs,
};
use genesys_api::models::{EntityListing, Role, TokenResponse, UsageExecutionResult, UsageQuery};

pub(crate) fn router(state: Shared) -> Router {
    let api = Router::new()
        .route(
            "/api/v2/oauth/clients",
            get(list_clients).post(mutate::create),
        )
        .route(
            "/api/v2/oauth/clients/{client_id}",
            get(get_client).put(mutate::update).delete(mutate::delete),
        )
        .route("/api/v2/authorization/roles", get(list_roles))
        .route("/api/v2/usage/query", post(submit_usage_query))
        .route(
            "/api/v2/usage/query/{execution_id}/results",
            get(usage_query_results),
        )
        .route(
            "/api/v2/usage/aggregates/query/jobs",
            post(usage_jobs::submit),
        )
        .route(
            "/api/v2/usage/aggregates/query/jobs/{job_id}",
            get(usage_jobs::results),
        )
        .route(
            "/api/v2/usage/client/{client_id}/aggregates/query/jobs",
            post(client_usage_jobs::submit),
        )
        .route(
            "/api/v2/usage/client/{client_id}/aggregates/query/jobs/{job_id}",
            get(client_usage_jobs::results),
        )
        .route("/api/v2/oauth/scopes", get(list_scopes))
        .route("/api/v2/docs/swagger", get(api_description))
        .route(
            "/api/v2/organizations/me",
            get(directory_handlers::organization_me),
        )
        .route(
            "/api/v2/organizations/ipaddressauthentication",
            get(directory_handlers::ip_allowlist),
        )
        .route("/api/v2/oauth/authorizations", get(authorizations::list))
        .route(
            "/api/v2/authorization/divisions",
            get(directory_handlers::list_divisions),
        )
        .route(
            "/api/v2/authorization/divisions/home",
            get(directory_handlers::home_division),
        )
        .route("/api/v2/users", get(directory_handlers::list_users))
        .route(
            "/api/v2/audits/query/servicemapping",
            get(trail_handlers::servicemapping),
        )
        .route(
            "/api/v2/audits/query/realtime/servicemapping",
            get(trail_handlers::realtime_servicemapping),
        )
        .route("/api/v2/audits/query", post(trail_handlers::submit))
        .route(
            "/api/v2/audits/query/realtime",
            post(trail_handlers::realtime),
        )
        .route(
            "/api/v2/audits/query/{transaction_id}",
            get(trail_handlers::status),
        )
        .route(
            "/api/v2/audits/query/{transaction_id}/results",
            get(trail_handlers::results),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), api_gate));
    Router::new()
        .route("/oauth/token", post(token))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// `POST /oauth/token`: client credentials in the Basic header, `grant_type` in the form.
async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant type is not supported",
            );
        }
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let Some((client_id, secret)) = basic_credentials(&headers) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        );
    };
    let live = state.read();
    let Some(sim_client) = live.client(&client_id) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client not found",
        );
    };
    if sim_client.secret.as_deref() != Some(secret.as_str()) {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        );
    }
    let client = &sim_client.client;
    if client.authorized_grant_type != "CLIENT-CREDENTIALS" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "client is not authorized for this grant type",
        );
    }
    if client.state.as_deref().unwrap_or("active") != "active" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client is not active",
        );
    }
    let validity = client.access_token_validity_seconds.unwrap_or(86_400);
    drop(live);
    let access_token = state.issue_token(&client_id, validity);
    to_json(
        StatusCode::OK,
        &TokenResponse {
            access_token,
            token_type: "bearer".into(),
            expires_in: validity,
        },
    )
}

pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

async fn list_clients(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:view"])?;
    if query.get("pageNumber").is_none_or(|n| n == "1") {
        state.client_listing_read();
    }
    Ok(match state.settings.client_page_size {
        None => json_response(StatusCode::OK, state.clients_body()),
        Some(size) => {
            let number = page_param(&query, "pageNumber", 1, usize::MAX)?;
            json_response(
                StatusCode::OK,
                render_client_page(&state.read().org, Some(size), number),
            )
        }
    })
}

async fn get_client(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(client_id): Path<String>,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:view"])?;
    let live = state.read();
    let client = live.client(&client_id).ok_or(Fail::NotFound)?;
    Ok(to_json(StatusCode::OK, &client.client))
}

async fn list_roles(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    require(&state, &who, "roles", &["authorization:role:view"])?;
    let size = page_param(&query, "pageSize", 25, 100)?;
    let number = page_param(&query, "pageNumber", 1, usize::MAX)?;
    // `userCount` defaults to true and is documented as slow for roles with many members;
    // false leaves the counts out.
    let user_count = match query.get("userCount").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(Fail::BadRequest(format!(
                "userCount must be true or false, not '{other}'"
            )));
        }
    };
    let live = state.read();
    let mut listing: EntityListing<Role> =
        paged(&live.org.roles, "/api/v2/authorization/roles", size, number);
    if !user_count {
        for role in &mut listing.entities {
            role.user_count = None;
        }
    }
    Ok(to_json(StatusCode::OK, &listing))
}

const USAGE_PERMISSIONS: [&str; 2] = ["oauth:client:view", "usage:organization:view"];

async fn submit_usage_query(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Fail> {
    require(&state, &who, "usage", &USAGE_PERMISSIONS)?;
    let query: UsageQuery = serde_json::from_slice(&body)
        .map_err(|e| Fail::BadRequest(format!("Invalid usage query body: {e}")))?;
    let plan = usage::plan(&query, state.clock.now()).map_err(|e| Fail::BadRequest(e.0))?;
    let execution_id = usage::start(&state, plan);
    Ok(to_json(
        StatusCode::ACCEPTED,
        &UsageExecutionResult {
            results_uri: Some(format!("/api/v2/usage/query/{execution_id}/results")),
            execution_id,
        },
    ))
}

async fn usage_query_results(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(execution_id): Path<String>,
) -> Result<Response, Fail> {
    require(&state, &who, "usage", &USAGE_PERMISSIONS)?;
    let rows = match state.poll_execution(&execution_id).ok_or(Fail::NotFound)? {
        None => None,
        Some(mut ready) => {
            let rows = ready
                .wait_for(Option::is_some)
                .await
                .map_err(|_| Fail::NotFound)?;
            rows.clone()
        }
    };
    /// `ApiUsageQueryResult` over the kept rows (not a copy), with the metrics asked for.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        results: Option<Vec<usage::LegacyRow<'a>>>,
        query_status: &'static str,
    }
    // Tens of MB of rows in a large org: written off the threads that answer requests.
    Ok(tokio::task::spawn_blocking(move || {
        let status = if rows.is_some() {
            "Complete"
        } else {
            "Running"
        };
        to_json(
            StatusCode::OK,
            &Wire {
                results: rows.as_deref().map(|c| {
                    c.rows
                        .iter()
                        .map(|r| usage::LegacyRow(r, c.metrics))
                        .collect()
                }),
                query_status: status,
            },
        )
    })
    .await
    .unwrap_or_else(|_| {
        axum::response::IntoResponse::into_response(StatusCode::INTERNAL_SERVER_ERROR)
    }))
}

/// The scope catalog needs no permission; only the `deny` fault refuses it.
async fn list_scopes(State(state): State<Shared>) -> Result<Response, Fail> {
    if state.faults.is_denied("scopes") {
        return Err(Fail::Forbidden(&["oauth:client:view"]));
    }
    Ok(json_response(StatusCode::OK, state.scopes_body.clone()))
}

/// The API description needs no permission, only a token. The `deny` fault (`swagger`) makes it
/// unreadable as a 404 (a host that does not serve it): a 403 would have to name a permission
/// the description does not need, and the warning would send the operator after it.
async fn api_description(State(state): State<Shared>) -> Result<Response, Fail> {
    if state.faults.is_denied("swagger") {
        return Err(Fail::NotFound);
    }
    Ok(json_response(StatusCode::OK, state.swagger_body.clone()))
}
