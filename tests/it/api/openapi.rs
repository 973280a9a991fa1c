//! The server and `openapi.yaml` agree: every route is documented, every documented path is
//! served, and the document's rule ids are the rules. (Responses are validated against the
//! schemas by schemathesis in `.ci/run`.)

use std::collections::BTreeSet;

use scopewatch::audit::rules::all_meta;
use scopewatch::http::route_templates;

use super::*;

fn document() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap()
}

/// `(method, path)` pairs of the document, read from its `paths:` block.
fn documented() -> BTreeSet<(String, String)> {
    let text = document();
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
    let routes: BTreeSet<(String, String)> = route_templates()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let documented = documented();
    assert!(
        documented.len() >= 11,
        "the parser found the paths: {documented:?}"
    );
    assert_eq!(routes, documented);
}

/// Every schema name under `components.schemas` is defined once: YAML lets a second definition
/// silently replace the first (two `Action` schemas once made every report fail schemathesis).
#[test]
fn every_schema_is_defined_once() {
    let text = document();
    let schemas = text
        .split_once("\n  schemas:\n")
        .expect("a components.schemas block")
        .1;
    let mut seen = BTreeSet::new();
    for line in schemas.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            break;
        }
        if let Some(name) = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            assert!(
                seen.insert(name.to_string()),
                "schema {name} is defined twice"
            );
        }
    }
    assert!(seen.len() > 20, "the parser found the schemas: {seen:?}");
}

/// The values of the `enum: [...]` list of the schema `name` (a flow sequence over one or more
/// lines, as the document writes it).
fn schema_enum(text: &str, name: &str) -> BTreeSet<String> {
    let schema = text
        .split_once(&format!("\n    {name}:\n"))
        .unwrap_or_else(|| panic!("no schema {name}"))
        .1;
    let list = schema
        .split_once("enum: [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .unwrap_or_else(|| panic!("no enum in schema {name}"))
        .0;
    list.split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
fn the_documents_rule_ids_are_the_rules() {
    let rules: BTreeSet<String> = all_meta().map(|m| m.id.to_string()).collect();
    let documented = schema_enum(&document(), "RuleId");
    assert_eq!(documented, rules);
}

#[test]
fn the_enum_reader_reads_every_value_of_a_list_over_several_lines() {
    let text = "components:\n  schemas:\n    Other:\n      enum: [x]\n    RuleId:\n      type: string\n      enum: [a-b, c,\n             d]\n    Next:\n";
    let values: Vec<String> = schema_enum(text, "RuleId").into_iter().collect();
    assert_eq!(values, ["a-b", "c", "d"]);
}

#[tokio::test]
async fn every_documented_path_is_served_by_the_router() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    let org = app.state.orgs.keys().next().unwrap().clone();
    for (method, path) in documented() {
        let concrete = path
            .replace("{org}", &org)
            .replace("{client_id}", "x")
            .replace("{audit_id}", "x");
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
            status != 405
                && !body.contains("\"code\":\"not_found\"")
                && !body.contains("\"code\":\"org_not_found\""),
            "{method} {path}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn the_served_document_is_the_file() {
    let app = spawn_app().await;
    let served = app.get("/openapi.yaml").await.text().await.unwrap();
    assert_eq!(served, document());
}
