//! The odd-records fault: a listing whose records the official SDK models allow but a strict
//! reader rejects (a record that is not an object, a field of the wrong type) or whose list is
//! `null`. The answer is patched after its handler ran, so the rest of the page stays real.

use axum::body::Body;
use axum::http::Uri;
use axum::response::Response;
use serde_json::Value;

/// The most body bytes the fault patches; a larger answer passes unchanged.
const MAX_PATCHED_BYTES: usize = 64 << 20;

/// What the fault does to the records of the answers it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum OddRecords {
    /// Record `index` of the list (`entities`, or a usage answer's `results`) is this JSON.
    Replace(usize, Value),
    /// The list is sent as `null`.
    NullList,
}

/// Whether a fault's target matches a request: the path with `{x}` segments matching any one
/// segment, and after `?` a text the query must contain (`?pageNumber=2`).
pub(crate) fn matches(target: &str, uri: &Uri) -> bool {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let wanted: Vec<&str> = path.split('/').collect();
    let got: Vec<&str> = uri.path().split('/').collect();
    wanted.len() == got.len()
        && wanted
            .iter()
            .zip(&got)
            .all(|(w, g)| (w.starts_with('{') && w.ends_with('}')) || w == g)
        && uri.query().unwrap_or("").contains(query)
}

/// The answer with its records made odd; one that is not a JSON object with a list passes as
/// it was.
pub(crate) async fn patch(response: Response, odd: &[OddRecords]) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PATCHED_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut page) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Some(key) = ["entities", "results"]
        .into_iter()
        .find(|key| page.get(key).is_some_and(Value::is_array))
    else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Some(list) = page.get_mut(key) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    for change in odd {
        match change {
            OddRecords::Replace(index, record) => {
                if let Some(slot) = list.get_mut(*index) {
                    *slot = record.clone();
                }
            }
            OddRecords::NullList => *list = Value::Null,
        }
    }
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let patched = serde_json::to_vec(&page).unwrap_or_else(|_| bytes.to_vec());
    Response::from_parts(parts, Body::from(patched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_templated_segments_and_a_piece_of_the_query() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let results = "/api/v2/usage/query/{executionId}/results";
        assert!(matches(results, &uri("/api/v2/usage/query/abc-1/results")));
        assert!(!matches(results, &uri("/api/v2/usage/query")));
        let second = "/api/v2/authorization/roles?pageNumber=2";
        assert!(matches(
            second,
            &uri("/api/v2/authorization/roles?pageSize=100&pageNumber=2")
        ));
        assert!(!matches(
            second,
            &uri("/api/v2/authorization/roles?pageNumber=1")
        ));
    }
}
