//! The HTTP API (SPEC §4): the router, its state and its middleware. Handlers read the cache
//! and the history; they never call Genesys.

mod audits;
mod auth;
mod clients;
pub mod error;
pub mod html;
mod query;
mod report;
pub mod server;
mod system;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use secrecy::SecretString;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auditor::AuditHandle;
use crate::cache::ReportCache;
use crate::history::History;
use crate::metrics::Metrics;

use self::error::{ApiError, clip};

/// What handlers share; each takes the narrowest piece.
#[derive(Clone)]
pub struct AppState {
    pub cache: Arc<ReportCache>,
    pub history: Arc<History>,
    pub metrics: Arc<Metrics>,
    pub audits: AuditHandle,
    /// Accepted bearer tokens; empty: no authentication.
    pub api_tokens: Arc<Vec<SecretString>>,
}

impl FromRef<AppState> for Arc<ReportCache> {
    fn from_ref(s: &AppState) -> Self {
        s.cache.clone()
    }
}

impl FromRef<AppState> for Arc<History> {
    fn from_ref(s: &AppState) -> Self {
        s.history.clone()
    }
}

impl FromRef<AppState> for AuditHandle {
    fn from_ref(s: &AppState) -> Self {
        s.audits.clone()
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        s.metrics.clone()
    }
}

/// Every route template the router serves (the OpenAPI test checks the file against it).
pub const ROUTES: [(&str, &str); 12] = [
    ("get", "/report"),
    ("get", "/clients/{client_id}"),
    ("get", "/clients/{client_id}/remediation.tf"),
    ("get", "/audits"),
    ("post", "/audits"),
    ("get", "/audits/{audit_id}"),
    ("get", "/audits/{audit_id}/diff"),
    ("get", "/metrics"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.yaml"),
    ("get", "/"),
];

pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route("/", get(report::root))
        .route("/report", get(report::get_report))
        .route("/clients/{client_id}", get(clients::get_client))
        .route(
            "/clients/{client_id}/remediation.tf",
            get(clients::get_remediation),
        )
        .route("/audits", get(audits::list).post(audits::start))
        .route("/audits/{audit_id}", get(audits::get_one))
        .route("/audits/{audit_id}/diff", get(audits::diff))
        .route("/openapi.yaml", get(system::openapi))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let open = Router::new()
        .route("/healthz", get(system::healthz))
        .route("/readyz", get(system::readyz))
        .route("/metrics", get(system::metrics));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(protected)
        .merge(open)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(request: Request) -> ApiError {
    ApiError::not_found(
        "not_found",
        format!(
            "no such endpoint: {} {}",
            request.method(),
            clip(request.uri().path())
        ),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}",
            request.method(),
            clip(request.uri().path())
        ),
    )
}

/// HTTP metrics by matched route template (never the raw path), and JSON bodies for the
/// plain-text errors of lower layers.
async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.http_request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
