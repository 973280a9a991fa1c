//! Usage from the usage jobs API: `POST /api/v2/usage/aggregates/query/jobs` starts a job over
//! at most 90 days, `GET .../jobs/{jobId}` answers `Queued`/`Running` until it is `Succeeded`
//! (or `Failed`/`Cancelled`, with why in `errorBody`), then pages its rows with `nextUri`.
//! Every page is read within the page limit and the body limit, and each row is folded into the
//! evidence as its page arrives: a row that does not parse is skipped and counted.

use std::collections::HashSet;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Deserialize;

use super::client::GenesysClient;
use super::error::GenesysError;
use super::listing::as_path;
use super::records::Records;
use super::usage_evidence::Evidence;
use genesys_api::models::{UsageJobQuery, UsageJobRow, UsageJobSubmitted};

pub(super) const JOBS: &str = "/api/v2/usage/aggregates/query/jobs";
pub(super) const JOB_RESULTS: &str = "/api/v2/usage/aggregates/query/jobs/{jobId}";
/// Rows asked per page: the most Genesys gives.
const PAGE_SIZE: u32 = 1000;
/// The most the usage evidence of one audit may keep (its last-used days and endpoint totals),
/// however many jobs and pages it came in.
const MAX_EVIDENCE_BYTES: usize = 256 << 20;
/// The longest span one job may cover.
const MAX_JOB_DAYS: i64 = 90;
/// The metrics scopewatch reads: the requests for the last-used day and the endpoint evidence,
/// the status counts for the answered calls (and a later usage-anomaly rule).
pub(super) const METRICS: [&str; 6] = [
    "Requests",
    "Status200",
    "Status300",
    "Status400",
    "Status429",
    "Status500",
];

/// One answer of `GET .../jobs/{jobId}`, read leniently (`OrganizationPublicApiUsageResultsResponse`
/// calls every field optional); its rows one by one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobPage {
    #[serde(default)]
    query_status: Option<String>,
    #[serde(default)]
    error_body: Option<serde_json::Value>,
    #[serde(default)]
    next_uri: Option<String>,
    #[serde(default)]
    entities: Records<UsageJobRow>,
}

/// Reads the usage of `[start, now)` from the jobs API into `evidence`, one job per 90 days.
/// `Ok(false)` when the service is not there or refused (the first submission answered 404 or
/// 501, or 403: the older query also takes `oauth:client:view`), so the caller may use the
/// older query; nothing was read then. The page limit holds for all the jobs together.
pub(super) async fn read(
    client: &GenesysClient,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    evidence: &mut Evidence,
) -> Result<bool, GenesysError> {
    let mut from = start;
    let mut first = true;
    let mut seen = HashSet::new();
    while from < now {
        let to = (from + Duration::days(MAX_JOB_DAYS)).min(now);
        let id = match submit(client, from, to).await {
            Err(GenesysError::Upstream { status, .. })
                if first && matches!(status, 403 | 404 | 501) =>
            {
                return Ok(false);
            }
            // A 403 naming the permission arrives as `MissingPermission`, not as a status.
            Err(GenesysError::MissingPermission { .. }) if first => return Ok(false),
            other => other?,
        };
        first = false;
        let page = wait(client, &id).await?;
        read_pages(client, page, evidence, (seen.len(), &mut seen)).await?;
        from = to;
    }
    Ok(true)
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Starts one job; its id, checked to be one safe to put in a path.
async fn submit(
    client: &GenesysClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<String, GenesysError> {
    let query = UsageJobQuery {
        interval: format!("{}/{}", timestamp(from), timestamp(to)),
        granularity: Some("Day".into()),
        metrics: Some(METRICS.map(String::from).to_vec()),
        // By endpoint too: the least-privilege evidence comes from the same job.
        group_by: Some(
            ["OauthClientId", "TemplateUri", "HttpMethod"]
                .map(String::from)
                .to_vec(),
        ),
        oauth_client_ids: None,
        template_uris: None,
        http_methods: None,
        platforms: None,
        user_ids: None,
    };
    let submitted: UsageJobSubmitted = client.post_json(JOBS, JOBS, &query).await?;
    let id = submitted.id.unwrap_or_default();
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(GenesysError::UsageQuery(format!(
            "unexpected usage job id '{}'",
            genesys_api::text::sanitize(&id, 64)
        )));
    }
    Ok(id)
}

/// Polls a job until it is `Succeeded`: its first page of rows.
async fn wait(client: &GenesysClient, id: &str) -> Result<JobPage, GenesysError> {
    let path = format!("{JOBS}/{id}?pageSize={PAGE_SIZE}");
    let mut pauses = client.config.poll_pauses();
    for _ in 0..client.config.usage_max_polls {
        let page: JobPage = client.get_json(JOB_RESULTS, &path).await?;
        match page.query_status.as_deref() {
            Some("Succeeded") => return Ok(page),
            Some(s @ ("Failed" | "Cancelled")) => {
                return Err(GenesysError::UsageQuery(format!(
                    "Genesys reported the usage job {s}{}",
                    why(page.error_body.as_ref())
                )));
            }
            _ => tokio::time::sleep(pauses.next().unwrap_or_default()).await,
        }
    }
    Err(GenesysError::UsageQuery(format!(
        "the usage job was not Succeeded after {} polls",
        client.config.usage_max_polls
    )))
}

/// `: message (code)` from a job's `errorBody`, cleaned and bounded; empty without one.
fn why(error: Option<&serde_json::Value>) -> String {
    let text = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_str())
            .map(|s| genesys_api::text::sanitize(s, 200))
            .filter(|s| !s.is_empty())
    };
    match (text("message"), text("code")) {
        (Some(m), Some(c)) => format!(": {m} ({c})"),
        (Some(m), None) => format!(": {m}"),
        (None, Some(c)) => format!(": {c}"),
        (None, None) => String::new(),
    }
}

/// Folds the first page and every page its `nextUri` leads to, within the page limit (`seen`:
/// the pages read by every job of the audit, each with the count before its job began, so a
/// job's pages are told from another's even where an upstream reuses the same `nextUri`s) and the evidence's bound, refusing a `nextUri`
/// already read or one that leaves the jobs API.
async fn read_pages(
    client: &GenesysClient,
    first: JobPage,
    evidence: &mut Evidence,
    (job, seen): (usize, &mut HashSet<(usize, String)>),
) -> Result<(), GenesysError> {
    let limits = client.config.limits;
    let mut page = first;
    loop {
        evidence.skipped.merge(page.entities.skipped);
        for row in page.entities.items {
            evidence.add_job_row(row);
        }
        if evidence.kept_bytes() > MAX_EVIDENCE_BYTES {
            return Err(GenesysError::Limit {
                endpoint: JOB_RESULTS.into(),
                what: "the bytes of usage evidence kept",
                limit: MAX_EVIDENCE_BYTES as u64,
                setting: "none (a fixed bound)",
            });
        }
        let Some(next) = page.next_uri.filter(|u| !u.is_empty()).map(|u| as_path(&u)) else {
            return Ok(());
        };
        if !stays_in_jobs(&next) {
            return Err(GenesysError::Upstream {
                endpoint: JOB_RESULTS.into(),
                status: 200,
                code: "paging.elsewhere".into(),
                message: "the usage job's nextUri leads outside the usage jobs API".into(),
            });
        }
        if seen.len() + 1 >= limits.max_pages as usize {
            return Err(GenesysError::Limit {
                endpoint: JOB_RESULTS.into(),
                what: "the number of pages",
                limit: u64::from(limits.max_pages),
                setting: "SCOPEWATCH_MAX_PAGES",
            });
        }
        if !seen.insert((job, next.clone())) {
            return Err(GenesysError::Upstream {
                endpoint: JOB_RESULTS.into(),
                status: 200,
                code: "paging.loop".into(),
                message: "the usage job's nextUri pointed back to a page already read".into(),
            });
        }
        page = client.get_json(JOB_RESULTS, &next).await?;
    }
}

/// `next` is a path under the jobs API with no segment that could lead out of it once the URL
/// is resolved (`..`, `.`, their percent-encoded forms, a backslash).
fn stays_in_jobs(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    path.starts_with(JOBS)
        && !path.contains('\\')
        && path.split('/').all(|segment| {
            let lower = segment.to_ascii_lowercase();
            !matches!(lower.as_str(), "." | "..")
                && !lower.contains("%2e")
                && !lower.contains("%2f")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_next_uri_that_could_leave_the_jobs_api_once_resolved_is_refused() {
        assert!(stays_in_jobs(&format!("{JOBS}/abc?pageSize=1000&after=p2")));
        for bad in [
            format!("{JOBS}/../../../../oauth/clients"),
            format!("{JOBS}/abc/%2E%2E/%2e%2e/x"),
            format!("{JOBS}/abc/./x"),
            format!("{JOBS}/abc%2fx"),
            format!("{JOBS}\\..\\x"),
            "/api/v2/oauth/clients".to_string(),
        ] {
            assert!(!stays_in_jobs(&bad), "{bad}");
        }
    }

    #[test]
    fn a_job_page_folds_its_rows_skips_a_bad_one_and_reads_null_entities_as_none() {
        let page: JobPage = serde_json::from_str(
            r#"{"queryStatus":"Succeeded","nextUri":"/api/v2/usage/aggregates/query/jobs/j?after=2",
                "entities":[
                  {"date":"2026-12-05","oauthClient":{"id":"a"},"templateUri":"api/v2/users",
                   "httpMethod":"GET","requestCount":4,"status200":3,"status400":1},
                  {"date":"2026-12-06","oauthClient":{"id":"a"},"requestCount":"many"},
                  {"date":"2026-12-01","oauthClient":{"name":"no id"},"requestCount":9},
                  {"date":"2026-12-02","oauthClient":{"id":"b"},"requestCount":2,"platform":"Other"}
                ]}"#,
        )
        .unwrap();
        assert_eq!(page.entities.skipped.count, 1);
        let mut evidence = Evidence::default();
        for row in page.entities.items {
            evidence.add_job_row(row);
        }
        let (last_used, calls) = evidence.finish();
        assert_eq!(last_used.len(), 2, "a row without a client id is nobody's");
        assert_eq!(last_used["a"].to_string(), "2026-12-05");
        assert_eq!(last_used["b"].to_string(), "2026-12-02");
        assert_eq!(calls["a"].len(), 1);
        assert_eq!((calls["a"][0].requests, calls["a"][0].succeeded), (4, 3));
        let empty: JobPage =
            serde_json::from_str(r#"{"queryStatus":"Succeeded","entities":null}"#).unwrap();
        assert!(empty.entities.items.is_empty() && empty.next_uri.is_none());
        assert!(serde_json::from_str::<JobPage>(r#"{"entities":{"a":1}}"#).is_err());
    }

    #[test]
    fn a_failed_job_says_genesys_reason_cleaned_and_bounded() {
        let body =
            serde_json::json!({"message": "Query\u{1b}[31m timed out", "code": "query.timeout"});
        assert_eq!(why(Some(&body)), ": Query [31m timed out (query.timeout)");
        assert_eq!(why(Some(&serde_json::json!("odd"))), "");
        assert_eq!(why(None), "");
        let long = serde_json::json!({"message": "x".repeat(5000)});
        assert!(why(Some(&long)).chars().count() < 300);
    }
}
