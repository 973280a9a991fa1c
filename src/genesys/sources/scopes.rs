//! The scope catalog: every OAuth scope name the org knows (`unknown-scope` compares against it).

use std::collections::BTreeSet;

use genesys_api::models::OAuthScopeListing;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::Snapshot;

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
        let listing: OAuthScopeListing = collection.client.get_json(SCOPES, SCOPES).await?;
        let names: BTreeSet<String> = listing.entities.into_iter().map(|s| s.id).collect();
        Ok(apply(names, |s, names| s.scope_catalog = Some(names)))
    })
}
