//! Query strings and content negotiation shared by the handlers.

use axum::http::{HeaderMap, header};

use super::error::{ApiError, clip};

/// Query parameters as pairs; malformed encoding or an unknown name is a 400 naming it.
pub(super) fn params(
    raw: Option<&str>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, ApiError> {
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

pub(super) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Whether a browser asked for HTML (and no explicit format was given).
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Property tests: any query string is parsed or refused with a 400 whose detail is bounded,
/// never a panic; well-formed ones come back as sent; the committed corpus too.
#[cfg(test)]
mod hostile_input {
    use axum::http::StatusCode;
    use proptest::prelude::*;

    use super::*;

    const ALLOWED: [&str; 4] = ["format", "risk_level", "grant_type", "rule"];

    fn check(raw: &str) {
        match params(Some(raw), &ALLOWED) {
            Ok(pairs) => assert!(pairs.iter().all(|(k, _)| ALLOWED.contains(&k.as_str()))),
            Err(e) => {
                assert_eq!(e.status, StatusCode::BAD_REQUEST);
                assert!(e.detail.chars().count() < 400, "{}", e.detail);
            }
        }
    }

    proptest! {
        #![proptest_config(crate::proptest_config(500))]

        #[test]
        fn any_query_string_is_parsed_or_refused_with_a_400(raw in any::<String>()) {
            check(&raw);
        }

        #[test]
        fn any_percent_soup_is_parsed_or_refused_with_a_400(raw in "[%&=+a-z0-9]{0,64}") {
            check(&raw);
        }

        #[test]
        fn well_formed_pairs_come_back_as_sent(
            pairs in prop::collection::vec((prop::sample::select(ALLOWED.to_vec()), any::<String>()), 0..5)
        ) {
            let pairs: Vec<(String, String)> =
                pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let raw = serde_urlencoded::to_string(&pairs).unwrap();
            prop_assert_eq!(params(Some(&raw), &ALLOWED).unwrap(), pairs);
        }
    }

    #[test]
    fn the_committed_corpus_of_query_strings_never_panics() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/query");
        let text = std::fs::read_to_string(dir.join("queries.txt")).expect("the corpus exists");
        for line in text.lines() {
            check(line);
        }
        assert!(text.lines().count() >= 10);
    }
}
