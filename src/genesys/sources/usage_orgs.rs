//! Calls from other orgs: the per-client usage jobs
//! (`POST /api/v2/usage/client/{clientId}/aggregates/query/jobs`, then `GET .../jobs/{jobId}`)
//! give each row's calling `organizationId`, which the org-wide jobs do not. One job per client
//! is expensive, so only the clients `clients_to_query` picks are read (in turn, those with other usage
//! anomalies and the busiest), at most the policy's `max_client_queries`, over the
//! recent days only. Rows of the org itself are dropped; the rest go to the usage-anomaly rule.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures_util::StreamExt;
use genesys_api::client_usage::{ClientUsageJobQuery, ClientUsageJobRow};
use genesys_api::models::UsageJobSubmitted;
use serde::Deserialize;

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::anomaly::{AnomalyThresholds, Window, clients_to_query};
use crate::audit::snapshot::Snapshot;
use crate::audit::usage_days::OtherOrgCall;
use crate::genesys::client::GenesysClient;
use crate::genesys::error::GenesysError;
use crate::genesys::listing::as_path;
use crate::genesys::records::Records;
use crate::genesys::trail::text;
use crate::genesys::usage_evidence::parse_day;

/// The per-client jobs, as endpoint templates (metrics and logs name these).
pub(crate) const CLIENT_JOBS: &str = "/api/v2/usage/client/{clientId}/aggregates/query/jobs";
pub(crate) const CLIENT_JOB_RESULTS: &str =
    "/api/v2/usage/client/{clientId}/aggregates/query/jobs/{jobId}";
/// Rows per page, the most Genesys gives.
const PAGE_SIZE: u32 = 1000;
/// Pages read per client job: a week of one client's calls by org, endpoint and day fits in one.
const MAX_PAGES_PER_JOB: usize = 20;
/// Per-client jobs read at once.
const CONCURRENT_JOBS: usize = 4;
/// Calls from other orgs kept per client; the rest are counted in the last one's requests.
const MAX_CALLS_PER_CLIENT: usize = 200;

pub(super) const SOURCE: Source = Source {
    name: "usage by org",
    permissions: &["usage:client:view"],
    needs: &["usage", "organization"],
    unreadable: Unreadable::Degrades {
        warning: "calls from other orgs unknown (usage-anomaly does not judge them)",
        half_time: false,
    },
    start,
};

/// One answer of `GET .../jobs/{jobId}`, read leniently; a row that does not parse is skipped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientJobPage {
    #[serde(default)]
    query_status: Option<String>,
    #[serde(default)]
    next_uri: Option<String>,
    #[serde(default)]
    entities: Records<ClientUsageJobRow>,
}

fn start<'a>(collection: &'a Collection<'a>, so_far: &Snapshot) -> Reading<'a> {
    // Chosen before the read starts: the read borrows only the collection.
    let plan = plan(collection, so_far);
    Box::pin(async move {
        let Some((own_org, t, clients)) = plan else {
            return Ok(apply((), |_, ()| {}));
        };
        let since = collection.now - Duration::days(i64::from(t.recent_days));
        // A few jobs at once: each waits on its own polls, and all pass the client's one gate.
        let mut reads = futures_util::stream::iter(clients)
            .map(|id| async move {
                let rows = read_client(collection.client, &id, since, collection.now).await;
                (id, rows)
            })
            .buffer_unordered(CONCURRENT_JOBS);
        let mut calls = BTreeMap::new();
        while let Some((id, rows)) = reads.next().await {
            calls.insert(id, other_orgs(rows?, &own_org));
        }
        Ok(apply(calls, |s, calls| s.other_org_calls = Some(calls)))
    })
}

/// The org's id, the thresholds and the clients to read; `None` when the rule is off, or the
/// org or the usage is unknown (calls from other orgs stay unknown then).
fn plan(
    collection: &Collection<'_>,
    so_far: &Snapshot,
) -> Option<(String, AnomalyThresholds, Vec<String>)> {
    let t = collection.client.config.usage_anomaly.clone()?;
    let own = so_far.organization.as_ref()?.id.clone();
    let days = so_far.usage_days.as_ref()?;
    let window = Window::new(collection.now.date_naive(), &t);
    let clients = clients_to_query(days, &window, &t);
    Some((own, t, clients))
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Runs one client's job over `[since, now)` by calling org, endpoint and day: its rows.
async fn read_client(
    client: &GenesysClient,
    client_id: &str,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ClientUsageJobRow>, GenesysError> {
    if !safe_id(client_id) {
        return Ok(Vec::new());
    }
    let query = ClientUsageJobQuery {
        interval: format!("{}/{}", timestamp(since), timestamp(now)),
        granularity: Some("Day".into()),
        metrics: Some(vec!["Requests".into()]),
        group_by: Some(
            ["OrganizationId", "TemplateUri", "HttpMethod"]
                .map(String::from)
                .to_vec(),
        ),
        ..ClientUsageJobQuery::default()
    };
    let jobs = format!("/api/v2/usage/client/{client_id}/aggregates/query/jobs");
    let submitted: UsageJobSubmitted = client.post_json(CLIENT_JOBS, &jobs, &query).await?;
    let job = submitted.id.unwrap_or_default();
    if !safe_id(&job) {
        return Err(GenesysError::UsageQuery(format!(
            "unexpected usage job id '{}'",
            genesys_api::text::sanitize(&job, 64)
        )));
    }
    let mut path = format!("{jobs}/{job}?pageSize={PAGE_SIZE}");
    let mut pauses = client.config.poll_pauses();
    let mut polls = 0;
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    loop {
        let page: ClientJobPage = client.get_json(CLIENT_JOB_RESULTS, &path).await?;
        match page.query_status.as_deref() {
            Some("Succeeded") => {}
            Some(s @ ("Failed" | "Cancelled")) => {
                return Err(GenesysError::UsageQuery(format!(
                    "Genesys reported a per-client usage job {s}"
                )));
            }
            _ => {
                polls += 1;
                if polls >= client.config.usage_max_polls {
                    return Err(GenesysError::UsageQuery(format!(
                        "a per-client usage job was not Succeeded after {polls} polls"
                    )));
                }
                tokio::time::sleep(pauses.next().unwrap_or_default()).await;
                continue;
            }
        }
        rows.extend(page.entities.items);
        let Some(next) = page.next_uri.filter(|u| !u.is_empty()).map(|u| as_path(&u)) else {
            return Ok(rows);
        };
        // The next page must be of the same job; a loop or a long chain ends the read.
        let same_job = next.split('?').next() == Some(&format!("{jobs}/{job}"));
        if !same_job || !seen.insert(next.clone()) || seen.len() >= MAX_PAGES_PER_JOB {
            return Err(GenesysError::Upstream {
                endpoint: CLIENT_JOB_RESULTS.into(),
                status: 200,
                code: "paging.elsewhere".into(),
                message: "a per-client usage job's nextUri left the job, looped or ran too long"
                    .into(),
            });
        }
        path = next;
    }
}

/// An id safe to put in a path: letters, digits, `-` and `_`, at most 128.
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The rows of orgs other than `own`, with a day, an endpoint and requests; bounded.
fn other_orgs(rows: Vec<ClientUsageJobRow>, own: &str) -> Vec<OtherOrgCall> {
    let mut calls: Vec<OtherOrgCall> = Vec::new();
    for row in rows {
        let (Some(org), Some(day), Some(method), Some(template)) = (
            row.organization_id.filter(|o| !o.is_empty() && o != own),
            row.date.as_deref().and_then(parse_day),
            row.http_method.filter(|m| !m.is_empty()),
            row.template_uri.filter(|t| !t.is_empty()),
        ) else {
            continue;
        };
        let requests = row.request_count.unwrap_or(0);
        if requests == 0 {
            continue;
        }
        if calls.len() == MAX_CALLS_PER_CLIENT {
            if let Some(last) = calls.last_mut() {
                last.requests = last.requests.saturating_add(requests);
            }
            continue;
        }
        calls.push(OtherOrgCall {
            organization_id: text(&org),
            method: text(&method.to_ascii_uppercase()),
            template: text(&template),
            day,
            requests,
        });
    }
    calls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rows_of_other_orgs_with_an_endpoint_and_requests_are_kept() {
        let page: ClientJobPage = serde_json::from_str(
            r#"{"queryStatus":"Succeeded","entities":[
                {"date":"2026-12-05","organizationId":"own","templateUri":"api/v2/users","httpMethod":"GET","requestCount":5},
                {"date":"2026-12-05","organizationId":"evil","templateUri":"api/v2/users","httpMethod":"get","requestCount":7,"platform":"Other"},
                {"date":"2026-12-06","organizationId":"evil","templateUri":"api/v2/users","httpMethod":"GET","requestCount":0},
                {"date":"2026-12-06","templateUri":"api/v2/users","httpMethod":"GET","requestCount":3},
                {"date":"2026-12-06","organizationId":"evil","requestCount":"lots"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(page.entities.skipped.count, 1);
        let calls = other_orgs(page.entities.items, "own");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].organization_id, "evil");
        assert_eq!(calls[0].method, "GET");
        assert_eq!(calls[0].requests, 7);
        assert_eq!(calls[0].day.to_string(), "2026-12-05");
    }

    #[test]
    fn calls_of_one_client_are_bounded_and_the_rest_counted() {
        let rows: Vec<ClientUsageJobRow> = (0..500)
            .map(|i| ClientUsageJobRow {
                date: Some("2026-12-05".into()),
                organization_id: Some("evil".into()),
                template_uri: Some(format!("api/v2/x/{i}")),
                http_method: Some("GET".into()),
                request_count: Some(1),
                ..ClientUsageJobRow::default()
            })
            .collect();
        let calls = other_orgs(rows, "own");
        assert_eq!(calls.len(), MAX_CALLS_PER_CLIENT);
        assert_eq!(calls.iter().map(|c| c.requests).sum::<u64>(), 500);
    }

    #[test]
    fn an_id_that_could_change_the_path_is_refused() {
        assert!(safe_id("3f2a-9_b"));
        for bad in ["", "../x", "a/b", "a?b", &"x".repeat(200)] {
            assert!(!safe_id(bad), "{bad}");
        }
    }
}
