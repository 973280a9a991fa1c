//! The organization: its id and name, shown in the report.

use genesys_api::read_models::Organization as WireOrganization;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{Organization, Snapshot};
use crate::genesys::trail::text;

const ORGANIZATION: &str = "/api/v2/organizations/me";

pub(super) const SOURCE: Source = Source {
    name: "organization",
    permissions: &[],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "organization unknown",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let org: WireOrganization = collection
            .client
            .get_json(ORGANIZATION, ORGANIZATION)
            .await?;
        // An organization that does not say its id stays unknown.
        let org = org.id.filter(|id| !id.is_empty()).map(|id| Organization {
            name: text(org.name.as_deref().unwrap_or(&id)),
            id: text(&id),
        });
        Ok(apply(org, |s, org| s.organization = org))
    })
}
