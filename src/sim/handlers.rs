//! The simulator's HTTP surface: the login endpoint and the API paths of SPEC §1, answering as
//! Genesys Cloud does on the wire.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};

use super::faults::Injected;
use super::org::Org;
use super::state::{RequestRecord, SimState, TokenRefusal};
use crate::genesys::models::{
    EntityListing, ErrorBody, OAuthClient, OAuthScopeListing, Role, TokenError, TokenResponse,
    UsageExecutionResult, UsageQuery, UsageQueryResult, UsageRow,
};
use crate::rng::{Rng, random_u64};

type Shared = Arc<SimState>;

/// The caller of an API path, known once its bearer token checked out.
#[derive(Clone)]
struct Caller {
    client_id: String,
}

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/api/v2/oauth/clients", get(list_clients))
        .route("/api/v2/oauth/clients/{client_id}", get(get_client))
        .route("/api/v2/authorization/roles", get(list_roles))
        .route("/api/v2/usage/query", post(submit_usage_query))
        .route(
            "/api/v2/usage/query/{execution_id}/results",
            get(usage_query_results),
        )
        .route("/api/v2/oauth/scopes", get(list_scopes))
        .route_layer(middleware::from_fn_with_state(state.clone(), api_gate));
    Router::new()
        .route("/oauth/token", post(token))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn to_json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_response(status, bytes),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An `ErrorBody` response; `permissions` fills the `missing.any.permissions` parameters.
fn api_error(status: StatusCode, code: &str, message: &str, permissions: Option<&str>) -> Response {
    let (message, with_params, params) = match permissions {
        Some(list) => (
            message.replace("{permissions}", list),
            Some(message.to_string()),
            Some(BTreeMap::from([(
                "permissions".to_string(),
                list.to_string(),
            )])),
        ),
        None => (message.to_string(), None, Some(BTreeMap::new())),
    };
    let body = ErrorBody {
        message,
        code: code.into(),
        status: status.as_u16(),
        message_with_params: with_params,
        message_params: params,
        context_id: None,
        details: vec![],
        errors: vec![],
    };
    to_json(status, &body)
}

/// Why a handler refused a call; each becomes its Genesys `ErrorBody`.
enum Fail {
    BadRequest(String),
    Forbidden(&'static [&'static str]),
    NotFound,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::BadRequest(message) => {
                api_error(StatusCode::BAD_REQUEST, "bad.request", &message, None)
            }
            Fail::Forbidden(permissions) => missing_permissions(permissions),
            Fail::NotFound => not_found_response(),
        }
    }
}

fn missing_permissions(permissions: &[&str]) -> Response {
    api_error(
        StatusCode::FORBIDDEN,
        "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: {permissions}",
        Some(&format!("[{}]", permissions.join(", "))),
    )
}

fn too_many_requests(retry_after: i64) -> Response {
    let body = ErrorBody {
        message: format!(
            "Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds"
        ),
        code: "too.many.requests.retry.after".into(),
        status: 429,
        message_with_params: None,
        message_params: None,
        context_id: None,
        details: vec![],
        errors: vec![],
    };
    let mut response = to_json(StatusCode::TOO_MANY_REQUESTS, &body);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

async fn not_found() -> Response {
    not_found_response()
}

fn not_found_response() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not.found",
        "The requested resource was not found.",
        None,
    )
}

/// Outermost layer: correlation id on every answer, `contextId` in error bodies, request log.
async fn record(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let at = std::time::Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let correlation = Rng::new(random_u64()).uuid();
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&correlation) {
        response.headers_mut().insert("ININ-Correlation-Id", value);
    }
    state.record(RequestRecord {
        at,
        method,
        path,
        query,
        status: response.status().as_u16(),
    });
    if response.status().is_client_error() || response.status().is_server_error() {
        response = with_context_id(response, &correlation).await;
    }
    response
}

/// Fills `contextId` of an `ErrorBody` (not the token endpoint's OAuth errors).
async fn with_context_id(response: Response, correlation: &str) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let patched = match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(mut error) if !error.code.is_empty() => {
            error.context_id = Some(correlation.to_string());
            serde_json::to_vec(&error).map(Bytes::from).unwrap_or(bytes)
        }
        _ => bytes,
    };
    let mut parts = parts;
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(patched))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The gate in front of every API path: faults, bearer token, rate limit, rate-limit headers.
async fn api_gate(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let injected = state.faults.decide(state.clock.now());
    match injected {
        Injected::Storm(secs) => return too_many_requests(secs as i64),
        Injected::Drop => return dropped_connection(),
        _ => {}
    }
    if state.faults.count_call_for_revocation() {
        state.revoke_all_tokens();
    }
    let Some(token) = bearer(req.headers()).map(str::to_string) else {
        return api_error(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
            None,
        );
    };
    let issued = match state.check_token(&token) {
        Ok(issued) => issued,
        Err(TokenRefusal::Unknown | TokenRefusal::Expired | TokenRefusal::Revoked) => {
            return invalid_credentials();
        }
    };
    let active = state
        .client_index
        .get(&issued.client_id)
        .map(|&i| {
            state.org.clients[i]
                .client
                .state
                .as_deref()
                .unwrap_or("active")
                == "active"
        })
        .unwrap_or(false);
    if !active {
        return invalid_credentials();
    }
    let window = match state.rate_limit(&token) {
        Ok(window) => window,
        Err(retry_after) => {
            let mut response = too_many_requests(retry_after);
            let allowed = state.settings.rate_limit_per_minute;
            add_rate_headers(response.headers_mut(), allowed, allowed, retry_after);
            return response;
        }
    };
    let mut response = match injected {
        Injected::ServerError => api_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service.unavailable",
            "Service Unavailable",
            None,
        ),
        _ => {
            req.extensions_mut().insert(Caller {
                client_id: issued.client_id,
            });
            let response = next.run(req).await;
            if injected == Injected::Malformed && response.status().is_success() {
                json_response(
                    response.status(),
                    &b"{\"entities\":[{\"id\":\"3dfb45d2-"[..],
                )
            } else {
                response
            }
        }
    };
    add_rate_headers(
        response.headers_mut(),
        window.count,
        window.allowed,
        window.reset_secs,
    );
    response
}

fn invalid_credentials() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "bad.credentials",
        "Invalid login credentials.",
        None,
    )
}

fn add_rate_headers(headers: &mut HeaderMap, count: u32, allowed: u32, reset: i64) {
    headers.insert("inin-ratelimit-count", HeaderValue::from(count));
    headers.insert("inin-ratelimit-allowed", HeaderValue::from(allowed));
    headers.insert("inin-ratelimit-reset", HeaderValue::from(reset));
}

/// Headers go out, then the connection breaks before the body.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated dropped connection",
        ))
    });
    json_response(StatusCode::OK, Body::from_stream(failing))
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    to_json(
        status,
        &TokenError {
            error: error.into(),
            description: description.into(),
            error_description: description.into(),
        },
    )
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
    let Some(&index) = state.client_index.get(&client_id) else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "client not found",
        );
    };
    let sim_client = &state.org.clients[index];
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

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
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

/// Checks that the caller holds one of `permissions`, or that the endpoint is not denied.
fn require(
    state: &SimState,
    caller: &Caller,
    endpoint: &str,
    permissions: &'static [&'static str],
) -> Result<(), Fail> {
    let holds = state
        .client_index
        .get(&caller.client_id)
        .map(|&i| &state.org.clients[i].client)
        .is_some_and(|c| {
            permissions
                .iter()
                .any(|p| state.org.client_has_permission(c, p))
        });
    if holds && !state.faults.is_denied(endpoint) {
        Ok(())
    } else {
        Err(Fail::Forbidden(permissions))
    }
}

fn page_uris<T>(listing: &mut EntityListing<T>, base: &str, size: u64, number: u64, count: u64) {
    let uri = |n: u64| format!("{base}?pageSize={size}&pageNumber={n}");
    listing.first_uri = Some(uri(1));
    listing.self_uri = Some(uri(number));
    listing.last_uri = Some(uri(count.max(1)));
    listing.next_uri = (number < count).then(|| uri(number + 1));
    listing.previous_uri = (number > 1).then(|| uri(number - 1));
}

fn paged<T: Clone>(items: &[T], base: &str, size: usize, number: usize) -> EntityListing<T> {
    let size = size.max(1);
    let count = items.len().div_ceil(size);
    let start = (number - 1).saturating_mul(size).min(items.len());
    let end = (start + size).min(items.len());
    let mut listing = EntityListing {
        entities: items[start..end].to_vec(),
        page_size: Some(size as u64),
        page_number: Some(number as u64),
        total: Some(items.len() as u64),
        page_count: Some(count as u64),
        first_uri: None,
        self_uri: None,
        next_uri: None,
        previous_uri: None,
        last_uri: None,
    };
    page_uris(&mut listing, base, size as u64, number as u64, count as u64);
    listing
}

/// The client listing: one page of everything, unless the simulator was told to page it.
pub fn render_client_page(org: &Org, page_size: Option<usize>, page_number: usize) -> Vec<u8> {
    let clients: Vec<&OAuthClient> = org.clients.iter().map(|c| &c.client).collect();
    let size = page_size.unwrap_or(clients.len().max(1));
    let listing = paged(&clients, "/api/v2/oauth/clients", size, page_number);
    serde_json::to_vec(&listing).unwrap_or_default()
}

pub fn render_scopes(org: &Org) -> Vec<u8> {
    let listing = OAuthScopeListing {
        total: Some(org.scopes.len() as u64),
        entities: org.scopes.clone(),
        self_uri: Some("/api/v2/oauth/scopes".into()),
    };
    serde_json::to_vec(&listing).unwrap_or_default()
}

async fn list_clients(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    require(&state, &who, "clients", &["oauth:client:view"])?;
    Ok(match state.settings.client_page_size {
        None => json_response(StatusCode::OK, state.clients_body.clone()),
        Some(size) => {
            let number = page_param(&query, "pageNumber", 1, usize::MAX)?;
            json_response(
                StatusCode::OK,
                render_client_page(&state.org, Some(size), number),
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
    let index = state.client_index.get(&client_id).ok_or(Fail::NotFound)?;
    Ok(to_json(StatusCode::OK, &state.org.clients[*index].client))
}

fn page_param(
    query: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Fail> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Fail::BadRequest(format!(
                "The request could not be understood by the server due to malformed syntax. {name} must be an integer between 1 and {max}."
            ))),
        },
    }
}

async fn list_roles(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    require(&state, &who, "roles", &["authorization:role:view"])?;
    let size = page_param(&query, "pageSize", 25, 100)?;
    let number = page_param(&query, "pageNumber", 1, usize::MAX)?;
    let listing: EntityListing<Role> = paged(
        &state.org.roles,
        "/api/v2/authorization/roles",
        size,
        number,
    );
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
    let rows = usage_rows(&state.org, &query).map_err(Fail::BadRequest)?;
    let execution_id = Rng::new(random_u64()).uuid();
    state.store_execution(execution_id.clone(), rows);
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
    let rows = state.poll_execution(&execution_id).ok_or(Fail::NotFound)?;
    let status = if rows.is_some() {
        "Complete"
    } else {
        "Running"
    };
    Ok(to_json(
        StatusCode::OK,
        &UsageQueryResult {
            results: rows,
            query_status: Some(status.into()),
        },
    ))
}

/// The scope catalog needs no permission; only the `deny` fault refuses it.
async fn list_scopes(State(state): State<Shared>) -> Result<Response, Fail> {
    if state.faults.is_denied("scopes") {
        return Err(Fail::Forbidden(&["oauth:client:view"]));
    }
    Ok(json_response(StatusCode::OK, state.scopes_body.clone()))
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

/// Runs a usage query over the org's daily rows: filter by interval, group by client and
/// (with a granularity) by day, week or month.
fn usage_rows(org: &Org, query: &UsageQuery) -> Result<Vec<UsageRow>, String> {
    let (start, end) = query
        .interval
        .split_once('/')
        .and_then(|(a, b)| Some((parse_instant(a)?, parse_instant(b)?)))
        .ok_or_else(|| {
            format!(
                "interval '{}' is not an ISO-8601 interval start/end",
                query.interval
            )
        })?;
    if end <= start {
        return Err("interval end must be after its start".into());
    }
    const GROUPS: [&str; 4] = [
        "OAuthClientId",
        "OrganizationId",
        "TemplateUri",
        "HttpMethod",
    ];
    let group_by = query
        .group_by
        .clone()
        .unwrap_or_else(|| vec!["OAuthClientId".into()]);
    if let Some(bad) = group_by.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        return Err(format!("groupBy value '{bad}' is not one of {GROUPS:?}"));
    }
    let by_client = group_by.iter().any(|g| g == "OAuthClientId");
    let granularity = query.granularity.as_deref();
    if let Some(g) = granularity
        && !matches!(g, "Day" | "Week" | "Month")
    {
        return Err(format!("granularity '{g}' is not one of Day, Week, Month"));
    }
    let mut groups: BTreeMap<(String, String), UsageRow> = BTreeMap::new();
    for row in &org.usage {
        let Some(day) = row.date.as_deref().and_then(parse_instant) else {
            continue;
        };
        if day < start || day >= end {
            continue;
        }
        let bucket = match granularity {
            None => String::new(),
            Some(g) => {
                let date = day.date_naive();
                let first = match g {
                    "Week" => {
                        date - chrono::Days::new(date.weekday().num_days_from_monday() as u64)
                    }
                    "Month" => date.with_day(1).unwrap_or(date),
                    _ => date,
                };
                format!("{}T00:00:00Z", first.format("%Y-%m-%d"))
            }
        };
        let client = if by_client {
            row.client_id.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let entry = groups
            .entry((client.clone(), bucket.clone()))
            .or_insert_with(|| UsageRow {
                client_id: Some(client),
                client_name: Some(if by_client {
                    row.client_name.clone().unwrap_or_default()
                } else {
                    String::new()
                }),
                organization_id: Some(String::new()),
                user_id: Some(String::new()),
                template_uri: Some(String::new()),
                http_method: Some(String::new()),
                status200: 0,
                status300: 0,
                status400: 0,
                status500: 0,
                status429: 0,
                requests: 0,
                date: (!bucket.is_empty()).then_some(bucket),
            });
        entry.status200 += row.status200;
        entry.status300 += row.status300;
        entry.status400 += row.status400;
        entry.status500 += row.status500;
        entry.status429 += row.status429;
        entry.requests += row.requests;
    }
    Ok(groups.into_values().collect())
}
