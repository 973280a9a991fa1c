//! Lenient reads of answers the official SDK models allow, found by the conformance test
//! (`tests/sdk/conformance.py`): each of these answers once made a whole page, mapping or row
//! unreadable.

use genesys_api::models::UsageRow;
use genesys_api::read_models::{TrailRealtimeResults, TrailResults, TrailServiceMapping};

/// Found by the conformance test (`tests/sdk/conformance.py`): the SDK models call these
/// lists optional, so `null` is an answer Genesys may give; it failed the whole mapping (the
/// audit trail became unknown) or the whole results page.
#[test]
fn null_lists_in_the_trail_answers_read_as_empty() {
    let mapping: TrailServiceMapping = serde_json::from_str(
        r#"{"services":[{"name":"Other","entities":null},
            {"name":"PeoplePermissions","entities":[{"name":"Role","actions":null},{"name":"OAuthClient","actions":["Create"]}]}]}"#,
    )
    .unwrap();
    assert!(mapping.services[0].entities.is_empty());
    assert!(mapping.services[1].entities[0].actions.is_empty());
    assert_eq!(mapping.services[1].entities[1].actions, vec!["Create"]);
    let none: TrailServiceMapping = serde_json::from_str(r#"{"services":null}"#).unwrap();
    assert!(none.services.is_empty());
    let page: TrailResults =
        serde_json::from_str(r#"{"id":"t","cursor":null,"entities":null}"#).unwrap();
    assert!(page.entities.is_empty() && page.cursor.is_none());
    let realtime: TrailRealtimeResults =
        serde_json::from_str(r#"{"entities":null,"total":0}"#).unwrap();
    assert!(realtime.entities.is_empty());
    // A list of the wrong type is still an error: only null is read as empty.
    assert!(serde_json::from_str::<TrailServiceMapping>(r#"{"services":{}}"#).is_err());
}

/// Found by the conformance test: `ApiUsageRow`'s counts are optional in the SDK; a row
/// with `null` counts was skipped whole, its calls lost from the usage evidence.
#[test]
fn usage_rows_with_null_counts_are_read() {
    let row: UsageRow = serde_json::from_str(
        r#"{"clientId":"c","date":"2026-11-01T00:00:00Z","requests":4,"status200":null,
            "status300":null,"status400":null,"status429":null,"status500":null}"#,
    )
    .unwrap();
    assert_eq!((row.requests, row.status200, row.status429), (4, 0, 0));
    let none: UsageRow = serde_json::from_str(r#"{"clientId":"c","requests":null}"#).unwrap();
    assert_eq!(none.requests, 0);
}
