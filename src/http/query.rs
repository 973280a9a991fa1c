//! Query strings and content negotiation shared by the handlers.

use axum::http::{HeaderMap, header};

use super::error::{ApiError, clip};

/// Query parameters as pairs; malformed encoding or an unknown name is a 400 naming it.
pub fn params(raw: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_parameter("the query string is not valid URL encoding"))?;
    if let Some((name, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(ApiError::bad_parameter(format!(
            "unknown query parameter '{}' (allowed: {})",
            clip(name),
            allowed.join(", ")
        )));
    }
    Ok(pairs)
}

pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a browser asked for HTML (and no explicit format was given).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
