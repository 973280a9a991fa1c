//! The people who created clients, in any state: `orphaned-client` flags a client whose creator
//! is gone. Needs the clients (their `createdBy`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use genesys_api::read_models::User as WireUser;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::{Person, Snapshot};
use crate::genesys::client::GenesysClient;
use crate::genesys::error::GenesysError;
use crate::genesys::listing::{PAGES_AT_ONCE, add};
use crate::genesys::records::{Page, Records, Skipped};
use crate::genesys::trail::text;
use futures_util::StreamExt;

const USERS: &str = "/api/v2/users";

/// Ids per `GET /api/v2/users?id=...` (its page size maximum).
pub(crate) const USERS_PER_CALL: usize = 100;

pub(super) const SOURCE: Source = Source {
    name: "creators",
    permissions: &[],
    needs: &["clients"],
    unreadable: Unreadable::Degrades {
        warning: "creators unknown (orphaned-client is not checked)",
        half_time: true,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, so_far: &Snapshot) -> Reading<'a> {
    let ids: BTreeSet<String> = so_far
        .clients
        .iter()
        .filter_map(|c| c.created_by.as_ref().map(|u| u.id.clone()))
        .collect();
    Box::pin(async move {
        let (people, skipped) = if ids.is_empty() {
            (BTreeMap::new(), Skipped::default())
        } else {
            people(collection.client, &ids).await?
        };
        let warning = skipped.warning("users", USERS, "their clients' creators are unknown");
        Ok(apply((people, warning), |s, (people, warning)| {
            s.people = Some(people);
            s.warnings.extend(warning);
        }))
    })
}

/// The people with these ids, in any state, `USERS_PER_CALL` per call (all at once, each
/// through the gate). Ids that are not answered, or whose records do not parse, stay unknown.
async fn people(
    client: &GenesysClient,
    ids: &BTreeSet<String>,
) -> Result<(BTreeMap<String, Person>, Skipped), GenesysError> {
    let ids: Vec<&String> = ids
        .iter()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .collect();
    let batches: Vec<String> = ids
        .chunks(USERS_PER_CALL)
        .map(|chunk| {
            let list: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
            format!(
                "{USERS}?id={}&state=any&pageSize={USERS_PER_CALL}&pageNumber=1",
                list.join(",")
            )
        })
        .collect();
    if batches.len() > client.config.limits.max_pages as usize {
        return Err(GenesysError::Limit {
            endpoint: USERS.into(),
            what: "the number of pages",
            limit: u64::from(client.config.limits.max_pages),
            setting: "SCOPEWATCH_MAX_PAGES",
        });
    }
    // A few calls at once, each page checked against the limits as it arrives.
    let mut pages = futures_util::stream::iter(batches)
        .map(|path| async move { client.get_json::<Page<WireUser>>(USERS, &path).await })
        .buffer_unordered(PAGES_AT_ONCE);
    let mut users = Records::default();
    while let Some(page) = pages.next().await {
        add(client.config.limits, USERS, &mut users, page?.entities)?;
    }
    let wanted: HashSet<&str> = ids.iter().map(|s| s.as_str()).collect();
    let mut people = BTreeMap::new();
    let skipped = users.skipped;
    client.records_skipped(USERS, skipped.count);
    for user in users.items {
        let Some(id) = user.id.filter(|id| wanted.contains(id.as_str())) else {
            continue;
        };
        people.insert(
            id.clone(),
            Person {
                name: user.name.filter(|n| !n.is_empty()).map(|n| text(&n)),
                state: text(user.state.as_deref().unwrap_or("active")),
                id,
            },
        );
    }
    Ok((people, skipped))
}
