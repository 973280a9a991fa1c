//! `docs/genesys-api.md` names every Genesys endpoint the client calls: each path written in
//! the product code under `src/genesys` (test modules left out) is in the page, so a new call
//! cannot go undocumented. The README and the architecture page link to it.

use std::path::{Path, PathBuf};

/// Text with every `{name}` written `{}`: path templates compare without placeholder names.
fn without_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

/// A path as called, compared without placeholder names or query string.
fn normalized(path: &str) -> String {
    without_names(path.split('?').next().unwrap_or_default())
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every string literal of the product code that starts with an API path, normalized.
fn called_paths(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&root.join("src/genesys"), &mut files);
    let mut paths = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let product = text.split("#[cfg(test)]").next().unwrap_or_default();
        for start in ["\"/api/v2/", "\"/oauth/"] {
            for (at, _) in product.match_indices(start) {
                let literal = &product[at + 1..];
                let end = literal.find('"').unwrap();
                let where_ = file.strip_prefix(root).unwrap().display().to_string();
                paths.push((normalized(&literal[..end]), where_));
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn the_api_page_names_every_endpoint_the_client_calls() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/genesys-api.md")).unwrap();
    let page = without_names(&page);
    let called = called_paths(root);
    assert!(
        called.len() >= 15,
        "the scan finds the client's paths: {called:?}"
    );
    let missing: Vec<&(String, String)> = called
        .iter()
        .filter(|(path, _)| !page.contains(path.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/genesys-api.md does not name: {missing:?}"
    );
    for linking in ["README.md", "docs/ARCHITECTURE.md"] {
        let text = std::fs::read_to_string(root.join(linking)).unwrap();
        assert!(
            text.contains("genesys-api.md)"),
            "{linking} links to docs/genesys-api.md"
        );
    }
}

#[test]
fn paths_compare_without_their_placeholder_names_or_query() {
    assert_eq!(
        normalized("/api/v2/usage/query/{executionId}/results?x=1"),
        "/api/v2/usage/query/{}/results"
    );
    assert_eq!(
        without_names("`GET /api/v2/audits/query/{transactionId}`"),
        "`GET /api/v2/audits/query/{}`"
    );
}
