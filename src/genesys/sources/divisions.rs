//! Divisions, with their names and object counts: role grants are shown by division name, and
//! `all-divisions` says what a grant in every division reaches.

use std::collections::BTreeMap;

use genesys_api::read_models::Division as WireDivision;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{Division, Snapshot};
use crate::genesys::listing::read_all;
use crate::genesys::trail::text;

const DIVISIONS: &str = "/api/v2/authorization/divisions";

/// Object counts kept per division (the upstream's to answer).
const MAX_OBJECT_COUNTS: usize = 64;

pub(super) const SOURCE: Source = Source {
    name: "divisions",
    permissions: &[],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "divisions unknown (role grants show division ids)",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let first = format!("{DIVISIONS}?pageSize=100&pageNumber=1&objectCount=true");
        let wire = read_all::<WireDivision>(collection.client, DIVISIONS, &first).await?;
        let warning =
            wire.skipped
                .warning("divisions", DIVISIONS, "grants in them show division ids");
        Ok(apply(
            (divisions(wire.items), warning),
            |s, (divisions, warning)| {
                s.divisions = Some(divisions);
                s.warnings.extend(warning);
            },
        ))
    })
}

/// Divisions by id; one without an id is skipped.
fn divisions(wire: Vec<WireDivision>) -> BTreeMap<String, Division> {
    wire.into_iter()
        .filter_map(|d| {
            let id = d.id.filter(|id| !id.is_empty())?;
            let division = Division {
                name: text(d.name.as_deref().unwrap_or(&id)),
                home: d.home_division.unwrap_or(false),
                object_counts: d
                    .object_counts
                    .unwrap_or_default()
                    .into_iter()
                    .take(MAX_OBJECT_COUNTS)
                    .map(|(k, v)| (text(&k), v))
                    .collect(),
                id: id.clone(),
            };
            Some((id, division))
        })
        .collect()
}
