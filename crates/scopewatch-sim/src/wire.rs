//! Wire-level answers of the simulator: Genesys `ErrorBody` errors, OAuth token errors, the
//! 429 body, rate-limit headers, a connection that drops, and paged listings.

use std::collections::BTreeMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::org::Org;
use genesys_api::models::{EntityListing, ErrorBody, OAuthClient, OAuthScopeListing, TokenError};

pub(super) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(super) fn to_json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => json_response(status, bytes),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// An `ErrorBody` response; `permissions` fills the `missing.any.permissions` parameters.
pub(super) fn api_error(
    status: StatusCode,
    code: &str,
    message: &str,
    permissions: Option<&str>,
) -> Response {
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
pub(super) enum Fail {
    BadRequest(String),
    /// The caller lacks every one of these permissions (the operation needs ANY of them).
    Forbidden(&'static [&'static str]),
    /// The caller lacks some of these permissions (the operation needs ALL of them).
    ForbiddenAll(&'static [&'static str]),
    /// Refused though the operation names no permission (a fault switch).
    NotAuthorized,
    NotFound,
    /// 501: the operation is not there (a service a region lacks).
    NotImplemented,
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        match self {
            Fail::BadRequest(message) => {
                api_error(StatusCode::BAD_REQUEST, "bad.request", &message, None)
            }
            Fail::Forbidden(permissions) => missing_permissions(permissions),
            Fail::ForbiddenAll(permissions) => api_error(
                StatusCode::FORBIDDEN,
                "missing.permissions",
                "Unable to perform the requested action. You are missing the following permission(s): {permissions}",
                Some(&format!("[{}]", permissions.join(", "))),
            ),
            Fail::NotAuthorized => api_error(
                StatusCode::FORBIDDEN,
                "not.authorized",
                "You are not authorized to perform the requested action.",
                None,
            ),
            Fail::NotFound => not_found_response(),
            Fail::NotImplemented => api_error(
                StatusCode::NOT_IMPLEMENTED,
                "not.implemented",
                "The requested operation is not implemented.",
                None,
            ),
        }
    }
}

pub(super) fn missing_permissions(permissions: &[&str]) -> Response {
    api_error(
        StatusCode::FORBIDDEN,
        "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: {permissions}",
        Some(&format!("[{}]", permissions.join(", "))),
    )
}

pub(super) fn too_many_requests(retry_after: i64) -> Response {
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

pub(super) async fn not_found() -> Response {
    not_found_response()
}

pub(super) fn not_found_response() -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "not.found",
        "The requested resource was not found.",
        None,
    )
}

pub(super) fn invalid_credentials() -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "bad.credentials",
        "Invalid login credentials.",
        None,
    )
}

pub(super) fn add_rate_headers(headers: &mut HeaderMap, count: u32, allowed: u32, reset: i64) {
    headers.insert("inin-ratelimit-count", HeaderValue::from(count));
    headers.insert("inin-ratelimit-allowed", HeaderValue::from(allowed));
    headers.insert("inin-ratelimit-reset", HeaderValue::from(reset));
}

/// Headers go out, then the connection breaks before the body.
pub(super) fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated dropped connection",
        ))
    });
    json_response(StatusCode::OK, Body::from_stream(failing))
}

pub(super) fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    to_json(
        status,
        &TokenError {
            error: error.into(),
            description: description.into(),
            error_description: description.into(),
        },
    )
}

fn page_uris<T>(
    listing: &mut EntityListing<T>,
    base: &str,
    extra: &str,
    size: u64,
    number: u64,
    count: u64,
) {
    let uri = |n: u64| {
        let mut uri = format!("{base}?pageSize={size}&pageNumber={n}");
        if !extra.is_empty() {
            uri.push('&');
            uri.push_str(extra);
        }
        uri
    };
    listing.first_uri = Some(uri(1));
    listing.self_uri = Some(uri(number));
    listing.last_uri = Some(uri(count.max(1)));
    listing.next_uri = (number < count).then(|| uri(number + 1));
    listing.previous_uri = (number > 1).then(|| uri(number - 1));
}

pub(super) fn paged<T: Clone>(
    items: &[T],
    base: &str,
    size: usize,
    number: usize,
) -> EntityListing<T> {
    paged_with(items, base, "", size, number)
}

/// A page whose `*Uri`s also carry `extra` (the filters of the query, so following `nextUri`
/// keeps them).
pub(super) fn paged_with<T: Clone>(
    items: &[T],
    base: &str,
    extra: &str,
    size: usize,
    number: usize,
) -> EntityListing<T> {
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
    page_uris(
        &mut listing,
        base,
        extra,
        size as u64,
        number as u64,
        count as u64,
    );
    listing
}

/// The client listing: one page of everything, unless the simulator was told to page it.
pub(super) fn render_client_page(
    org: &Org,
    page_size: Option<usize>,
    page_number: usize,
) -> Vec<u8> {
    let clients: Vec<&OAuthClient> = org.clients.iter().map(|c| &c.client).collect();
    let size = page_size.unwrap_or(clients.len().max(1));
    let listing = paged(&clients, "/api/v2/oauth/clients", size, page_number);
    serde_json::to_vec(&listing).unwrap_or_default()
}

/// The API description (`GET /api/v2/docs/swagger`) built from the embedded permission catalog:
/// Swagger 2.0 shaped, with the fields scopewatch reads, padded to at least `min_bytes` with
/// what it must skip (operation descriptions and responses, model `definitions`), as the real
/// one is tens of MB.
pub(super) fn render_swagger(min_bytes: usize) -> Vec<u8> {
    use serde_json::{Map, Value, json};
    let catalog = genesys_api::permissions::catalog::Catalog::snapshot();
    let mut paths: Map<String, Value> = Map::new();
    for op in catalog.operations() {
        let method = op.method.to_ascii_lowercase();
        let mut operation = Map::new();
        operation.insert(
            "operationId".into(),
            Value::String(format!("{method}{}", op.path.replace(['/', '{', '}'], "_"))),
        );
        let mode = match op.mode {
            genesys_api::permissions::catalog::Mode::All => Some("ALL"),
            genesys_api::permissions::catalog::Mode::Any => Some("ANY"),
            // The real description leaves the extension out when no permission is named.
            genesys_api::permissions::catalog::Mode::None => None,
        };
        if let Some(mode) = mode {
            operation.insert(
                "x-inin-requires-permissions".into(),
                json!({"type": mode, "permissions": op.permissions}),
            );
        }
        operation.insert("security".into(), json!([{"PureCloud OAuth": op.scopes}]));
        if min_bytes > 0 {
            operation.insert(
                "responses".into(),
                json!({"200": {"description": "successful operation", "schema": {"$ref": "#/definitions/Model0"}}}),
            );
        }
        if let Value::Object(methods) = paths
            .entry(op.path.clone())
            .or_insert_with(|| Value::Object(Map::new()))
        {
            methods.insert(method, Value::Object(operation));
        }
    }
    let mut description = json!({
        "swagger": "2.0",
        "info": {"title": "PureCloud Platform API (scopewatch simulator)", "version": "v2"},
        "paths": paths,
    });
    let plain = serde_json::to_vec(&description).unwrap_or_default();
    if plain.len() >= min_bytes {
        return plain;
    }
    description["definitions"] = Value::Object(padding_models(min_bytes - plain.len()));
    serde_json::to_vec(&description).unwrap_or_default()
}

/// Made-up models of about `bytes` bytes in all, shaped like the description's `definitions`.
fn padding_models(bytes: usize) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let mut models = serde_json::Map::new();
    let mut written = 0;
    while written < bytes {
        let name = format!("Model{}", models.len());
        let model = json!({
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "description": "The globally unique identifier for the object.", "readOnly": true},
                "name": {"type": "string", "description": format!("The name of the {name}.")},
                "dateModified": {"type": "string", "format": "date-time", "description": "Date time is represented as an ISO-8601 string. For example: yyyy-MM-ddTHH:mm:ss[.mmm]Z"},
                "state": {"type": "string", "enum": ["active", "inactive", "deleted"]},
                "selfUri": {"type": "string", "format": "uri", "description": "The URI for this object", "readOnly": true}
            }
        });
        written += name.len() + model.to_string().len() + 4;
        models.insert(name, model);
    }
    models
}

pub(super) fn render_scopes(org: &Org) -> Vec<u8> {
    let listing = OAuthScopeListing {
        total: Some(org.scopes.len() as u64),
        entities: org.scopes.clone(),
        self_uri: Some("/api/v2/oauth/scopes".into()),
    };
    serde_json::to_vec(&listing).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys_api::description::ApiDescription;
    use genesys_api::permissions::catalog::Catalog;

    #[test]
    fn the_simulated_description_reads_back_as_the_embedded_catalog() {
        let body = render_swagger(0);
        let description: ApiDescription = serde_json::from_slice(&body).unwrap();
        let snapshot = Catalog::snapshot();
        // Padded to a size like the real one's, it reads back as the same operations.
        let padded = render_swagger(4 << 20);
        assert!(padded.len() >= 4 << 20, "{}", padded.len());
        let read: ApiDescription = serde_json::from_slice(&padded).unwrap();
        assert_eq!(read, description);
        assert_eq!(description.operations.len(), snapshot.operations().len());
        for op in &description.operations {
            assert_eq!(
                snapshot.get(&op.method, &op.path),
                Some(op),
                "{} {}",
                op.method,
                op.path
            );
        }
    }
}
