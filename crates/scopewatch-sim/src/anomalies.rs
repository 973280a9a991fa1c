//! Anomalous usage on four clients of a generated org, each on top of a read-only baseline of
//! its usual endpoint (four days between 60 and 15 days before the anchor), so scopewatch's
//! usage-anomaly rule has something to find:
//! - one calls an OAuth endpoint it never called (`GET api/v2/oauth/clients`) 3 and 2 days ago;
//! - one that only read writes (`POST api/v2/users`) 2 days ago;
//! - one gets a burst of refused and throttled calls (4xx, 429) on its endpoint yesterday;
//! - one is called from another org (only the per-client usage jobs say so) 4 days ago, many
//!   times, so it is among the busiest clients.
//!
//! The clients are the first four active ones whose calls are all reads; no random draw, so the
//! rest of the org stays what it was for the same seed.

use chrono::{Days, NaiveDate};

use super::org::Org;
use genesys_api::models::UsageRow;

/// The calling org of the foreign calls.
pub const OTHER_ORG_ID: &str = "0e4e0a9b-5eed-4bad-9e00-000000000001";

/// Adds the anomalous rows; the ids of the four clients (fewer in an org without enough).
pub(super) fn inject(org: &mut Org, anchor: NaiveDate) -> Vec<String> {
    let chosen: Vec<(String, String)> = org
        .clients
        .iter()
        .filter(|c| c.client.state.as_deref() == Some("active"))
        .filter_map(|c| {
            let id = &c.client.id;
            let mut rows = org
                .usage
                .iter()
                .filter(|r| r.client_id.as_deref() == Some(id.as_str()))
                .peekable();
            rows.peek()?;
            let mut template = None;
            for r in rows {
                if r.http_method.as_deref() != Some("GET") {
                    return None;
                }
                template = template.or(r.template_uri.clone());
            }
            Some((id.clone(), template?))
        })
        .take(4)
        .collect();
    let day = |back: u64| anchor.checked_sub_days(Days::new(back)).unwrap_or(anchor);
    let row = |id: &str, method: &str, template: &str, back: u64, requests: u64| {
        let mut r = UsageRow::daily(id, day(back), requests);
        r.http_method = Some(method.into());
        r.template_uri = Some(template.into());
        r
    };
    for (i, (id, template)) in chosen.iter().enumerate() {
        for back in [60, 45, 30, 15] {
            org.usage.push(row(id, "GET", template, back, 40));
        }
        match i {
            0 => {
                for back in [3, 2] {
                    org.usage
                        .push(row(id, "GET", "api/v2/oauth/clients", back, 25));
                }
            }
            1 => org.usage.push(row(id, "POST", "api/v2/users", 2, 12)),
            2 => {
                let mut burst = row(id, "GET", template, 1, 600);
                burst.status400 = 600;
                burst.status429 = 60;
                burst.status200 = 0;
                org.usage.push(burst);
            }
            _ => {
                let mut foreign = row(id, "GET", template, 4, 250_000);
                foreign.organization_id = Some(OTHER_ORG_ID.into());
                org.usage.push(foreign);
            }
        }
    }
    chosen.into_iter().map(|(id, _)| id).collect()
}
