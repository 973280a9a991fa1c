//! The scope catalog: every OAuth scope name the org knows (`unknown-scope` compares against it).

use std::collections::BTreeSet;

use genesys_api::read_models::ReadScope;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::Snapshot;
use crate::genesys::records::Page;

const SCOPES: &str = "/api/v2/oauth/scopes";

pub(super) const SOURCE: Source = Source {
    name: "scopes",
    permissions: &["oauth:client:view"],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "scope catalog unknown (unknown-scope is not checked)",
        half_time: false,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        // `OAuthScopeListing`: one page, its scopes read one by one.
        let listing: Page<ReadScope> = collection.client.get_json(SCOPES, SCOPES).await?;
        let skipped = listing.entities.skipped;
        collection.client.records_skipped(SCOPES, skipped.count);
        let warning = skipped.warning("scopes", SCOPES, "unknown-scope may flag them");
        let names = catalog(scope_names(listing.entities.items));
        Ok(apply((names, warning), |s, (names, warning)| {
            s.warnings.extend(warning);
            if names.is_none() {
                s.warnings.push(format!(
                    "scope catalog unknown (unknown-scope is not checked): {SCOPES} named no scope"
                ));
            }
            s.scope_catalog = names;
        }))
    })
}

/// The scope names of the catalog; a scope without one (the SDK model makes `id` optional) names
/// nothing and is left out, never the whole catalog.
fn scope_names(scopes: Vec<ReadScope>) -> BTreeSet<String> {
    scopes
        .into_iter()
        .filter_map(|s| s.id.filter(|id| !id.is_empty()))
        .collect()
}

/// The catalog, or `None` when it names no scope: an empty answer (`entities` null or absent,
/// or every record skipped) is no catalog, or `unknown-scope` would flag every scope held.
fn catalog(names: BTreeSet<String>) -> Option<BTreeSet<String>> {
    (!names.is_empty()).then_some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the conformance test (`tests/sdk/conformance.py`): one scope without an `id`
    /// made the whole catalog unreadable, so `unknown-scope` was not checked at all.
    #[test]
    fn a_scope_without_a_name_is_left_out_not_the_catalog() {
        let listing: Page<ReadScope> = serde_json::from_str(
            r#"{"total":5,"entities":[{"id":"users:readonly"},{"description":"no id"},
                {"id":null},{"id":7},{"id":"oauth","futureField":{"x":1}}],"selfUri":"/x"}"#,
        )
        .unwrap();
        assert_eq!(
            listing.entities.skipped.count, 1,
            "only the id of the wrong type"
        );
        assert_eq!(
            scope_names(listing.entities.items),
            BTreeSet::from(["oauth".to_string(), "users:readonly".to_string()])
        );
        let empty: Page<ReadScope> = serde_json::from_str(r#"{"entities":null}"#).unwrap();
        assert!(scope_names(empty.entities.items).is_empty());
    }

    /// Found in review: an empty catalog made `unknown-scope` flag every scope of every client.
    #[test]
    fn a_catalog_that_names_no_scope_is_unknown_not_empty() {
        assert_eq!(catalog(BTreeSet::new()), None);
        let one = BTreeSet::from(["oauth".to_string()]);
        assert_eq!(catalog(one.clone()), Some(one));
    }
}
