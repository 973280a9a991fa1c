//! The audit trail: who created and changed OAuth clients and roles, and what clients changed
//! themselves, over the usage window (as far as the audit API reaches). The queries themselves
//! are `genesys::trail`'s, shared with the change poller.

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{KnownTrail, Snapshot, Trail};
use crate::genesys::trail::{trail, trail_start};

pub(super) const SOURCE: Source = Source {
    name: "audit trail",
    permissions: &["audits:audit:view"],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "audit trail unknown (client-administers-access and recent-privilege-change are not checked; stale-client-secret ages secrets from their creation date)",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let config = &collection.client.config;
        let since = trail_start(collection.now, config.usage_window_days);
        let events = trail(collection.client, since, collection.now).await?;
        Ok(apply(KnownTrail::new(since, events), |s, known| {
            s.trail = Trail::Known(known)
        }))
    })
}
