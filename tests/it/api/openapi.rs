//! The server and `openapi.yaml` agree: every route is documented, every documented path is
//! served. (Responses are validated against the schemas by schemathesis in `.ci/run`.)

use std::collections::BTreeSet;

use scopewatch::http::ROUTES;

use super::*;

/// `(method, path)` pairs of the document, read from its `paths:` block.
fn documented() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let mut pairs = BTreeSet::new();
    let mut in_paths = false;
    let mut path = String::new();
    for line in text.lines() {
        if line == "paths:" {
            in_paths = true;
            continue;
        }
        if in_paths && !line.starts_with(' ') && !line.is_empty() {
            break;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = format!("/{p}");
        } else if let Some(m) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
            && ["get", "post", "put", "delete", "patch"].contains(&m)
        {
            pairs.insert((m.to_string(), path.clone()));
        }
    }
    pairs
}

#[test]
fn every_route_is_documented_and_every_documented_path_is_a_route() {
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let documented = documented();
    assert!(
        documented.len() >= 11,
        "the parser found the paths: {documented:?}"
    );
    assert_eq!(routes, documented);
}

#[tokio::test]
async fn every_documented_path_is_served_by_the_router() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    for (method, path) in documented() {
        let concrete = path.replace("{client_id}", "x").replace("{audit_id}", "x");
        let response = app
            .http
            .request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{concrete}", app.base),
            )
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert!(
            status != 405 && !body.contains("\"code\":\"not_found\""),
            "{method} {path}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn the_served_document_is_the_file() {
    let app = spawn_app().await;
    let served = app.get("/openapi.yaml").await.text().await.unwrap();
    assert_eq!(
        served,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap()
    );
}
