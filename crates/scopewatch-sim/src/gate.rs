//! The layers in front of the simulator's routes: the request log and correlation ids on every
//! answer, and the gate in front of every API path (faults, bearer token, rate limit).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::Injected;
use super::state::{RequestRecord, SimState, TokenRefusal};
use super::wire::{
    add_rate_headers, api_error, dropped_connection, invalid_credentials, json_response,
    too_many_requests,
};
use genesys_api::models::ErrorBody;
use genesys_api::rng::{Rng, random_u64};

type Shared = Arc<SimState>;

/// The caller of an API path, known once its bearer token checked out.
#[derive(Clone)]
pub(super) struct Caller {
    pub(super) client_id: String,
}

/// Outermost layer: correlation id on every answer, `contextId` in error bodies, request log.
pub(super) async fn record(State(state): State<Shared>, req: Request, next: Next) -> Response {
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
        took: at.elapsed(),
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
pub(super) async fn api_gate(
    State(state): State<Shared>,
    mut req: Request,
    next: Next,
) -> Response {
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
        .read()
        .client(&issued.client_id)
        .is_some_and(|c| c.client.state.as_deref().unwrap_or("active") == "active");
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
            let odd = state.faults.odd_for(req.uri());
            let mut response = next.run(req).await;
            if !odd.is_empty() && response.status().is_success() {
                response = super::odd_records::patch(response, &odd).await;
            }
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
