//! The permission catalog from the org's own API description (read at most once a day; the
//! embedded catalog stands in when it cannot be read).

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::Snapshot;

const DESCRIPTION: &str = "/api/v2/docs/swagger";

pub(super) const SOURCE: Source = Source {
    name: "API description",
    permissions: &[],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "API description unreadable (the embedded permission catalog is used)",
        half_time: false,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let live = collection
            .client
            .fresh_live_catalog(DESCRIPTION, collection.now)
            .await?;
        Ok(apply(live.catalog, |s, catalog| s.catalog = catalog))
    })
}
