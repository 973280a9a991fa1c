//! The HTTP API: the router, its state and its middleware. Handlers read the cache
//! and the history; they never call Genesys.

mod actions;
mod audits;
mod auth;
mod chart;
mod clients;
pub mod error;
mod expensive;
mod failures;
mod history_html;
pub mod html;
mod markup;
mod orgs;
mod plain;
mod plan_html;
mod query;
mod report;
mod report_links;
mod routes;
pub mod server;
mod state;
mod system;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::metrics::Metrics;

pub use self::expensive::Expensive;
pub use self::state::{AppState, OrgState, Prefix};

use self::error::{ApiError, clip};
use self::routes::{ROUTES, Serve};

pub use self::routes::templates as route_templates;

/// One org's routes, relative to where they are served.
fn org_routes(org: OrgState) -> Router<AppState> {
    let mut router = Router::new();
    for route in ROUTES {
        if let Serve::Org(bind) = route.serve {
            router = router.route(route.path, route.bound(bind));
        }
    }
    router.with_state(org)
}

/// The routes served once: those for token holders, and those open to anyone.
fn shared_routes() -> (Router<AppState>, Router<AppState>) {
    let (mut protected, mut open) = (Router::new(), Router::new());
    for route in ROUTES {
        match route.serve {
            Serve::Shared(bind) => protected = protected.route(route.path, route.bound(bind)),
            Serve::Open(bind) => open = open.route(route.path, route.bound(bind)),
            Serve::Org(_) => {}
        }
    }
    (protected, open)
}

pub fn router(state: AppState) -> Router {
    let (mut protected, open) = shared_routes();
    protected = match state.single_org() {
        Some(org) => {
            let single = OrgState {
                prefix: Prefix::default(),
                ..org.clone()
            };
            protected.merge(org_routes(single))
        }
        // Several orgs and none is `default`: the single-org paths say so, whatever the method.
        None => routes::org_paths().fold(protected, |router, path| {
            router.route(path, any(orgs::no_single_org))
        }),
    };
    for (name, org) in state.orgs.iter() {
        protected = protected.nest(&format!("/orgs/{name}"), org_routes(org.clone()));
    }
    let protected = protected.route_layer(middleware::from_fn_with_state(
        state.clone(),
        auth::require_token,
    ));
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(protected)
        .merge(open)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::guard_org_paths,
        ))
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
        .layer(TraceLayer::new_for_http().on_failure(failures::log_failure))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    // Without a token no request under `/orgs/` gets here (`auth::guard_org_paths`).
    if let Some(name) = request
        .uri()
        .path()
        .strip_prefix("/orgs/")
        .and_then(|rest| rest.split('/').next())
        .filter(|name| state.org(name).is_none())
    {
        return ApiError::not_found(
            "org_not_found",
            format!(
                "no org named '{}' is audited here; GET /orgs lists them",
                clip(name)
            ),
        )
        .into_response();
    }
    ApiError::not_found(
        "not_found",
        format!(
            "no such endpoint: {} {}",
            request.method(),
            clip(request.uri().path())
        ),
    )
    .into_response()
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
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| org_template(p.as_str()));
    let started = Instant::now();
    let response = next.run(request).await;
    let route = matched
        .filter(|_| {
            response
                .extensions()
                .get::<auth::OrgPathRefused>()
                .is_none()
        })
        .unwrap_or_else(|| "unmatched".into());
    metrics.http_request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// A matched route with the org's name replaced by `{org}`, so the route label is the template
/// `openapi.yaml` names (`/orgs/acme/report` -> `/orgs/{org}/report`).
fn org_template(matched: &str) -> String {
    match matched
        .strip_prefix("/orgs/")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((_, rest)) => format!("/orgs/{{org}}/{rest}"),
        None => matched.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn org_routes_are_counted_under_their_template() {
        assert_eq!(
            super::org_template("/orgs/acme/clients/{client_id}"),
            "/orgs/{org}/clients/{client_id}"
        );
        assert_eq!(super::org_template("/orgs"), "/orgs");
        assert_eq!(super::org_template("/report"), "/report");
    }
}
