//! `SCOPEWATCH_API_TOKEN(S)`: every protected endpoint needs `Authorization: Bearer <token>`
//! with one of the accepted tokens (several while one is rotated out).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::state::AppState;

/// Compares digests in constant time, so neither the content nor the length of the token leaks
/// through timing.
fn token_matches(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

pub(super) async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if authorized(&state, request.headers()) {
        next.run(request).await
    } else {
        unauthorized()
    }
}

/// Marks an answer of `guard_org_paths`, so request metrics count it as unmatched: a route
/// label would tell a known org from an unknown one on the open `/metrics`.
#[derive(Clone, Copy, Debug)]
pub(super) struct OrgPathRefused;

/// Refuses every request under `/orgs/` without a valid token, whatever its method and whether
/// the org exists: the 405 of a known org's route and the 404 of an unknown org would otherwise
/// tell strangers which orgs (an MSP's customers) are audited here.
pub(super) async fn guard_org_paths(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/orgs/") && !authorized(&state, request.headers()) {
        let mut refused = unauthorized();
        refused.extensions_mut().insert(OrgPathRefused);
        return refused;
    }
    next.run(request).await
}

/// Whether the request may see protected routes: no tokens are configured, or it carries one.
pub(super) fn authorized(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    if state.api_tokens.is_empty() {
        return true;
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // Every token is compared (no early exit), so timing does not tell which one matched.
    given.is_some_and(|token| {
        state.api_tokens.iter().fold(false, |hit, t| {
            token_matches(token, t.expose_secret()) | hit
        })
    })
}

/// 401 with the `WWW-Authenticate` challenge.
pub(super) fn unauthorized() -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "a valid bearer token is required",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(token_matches("abc", "abc"));
        assert!(!token_matches("abd", "abc"));
        assert!(!token_matches("abc ", "abc"));
        assert!(!token_matches("", "abc"));
    }
}
