//! Usage: one org-wide read for every client, grouped by client, endpoint and method per day
//! (the least-privilege evidence comes from the same read). It uses the usage jobs API
//! (`POST /api/v2/usage/aggregates/query/jobs`, paged results) and falls back to the older
//! `POST /api/v2/usage/query` only when the jobs API answers 404 or 501, saying so in the
//! report's warnings. Without usage no client is judged unused.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use genesys_api::models::{UsageExecutionResult, UsageQuery};

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::anomaly::Window;
use crate::audit::snapshot::Usage;
use crate::audit::usage_days::UsageDays;
use crate::genesys::client::GenesysClient;
use crate::genesys::error::GenesysError;
use crate::genesys::usage_evidence::{Evidence, FoldedResult};
use crate::genesys::usage_jobs::{self, JOB_RESULTS, JOBS};

const USAGE_QUERY: &str = "/api/v2/usage/query";
const USAGE_RESULTS: &str = "/api/v2/usage/query/{executionId}/results";

pub(super) const SOURCE: Source = Source {
    name: "usage",
    permissions: &["usage:organization:view"],
    needs: &[],
    unreadable: Unreadable::Degrades {
        warning: "usage evidence unknown (no client is judged unused)",
        half_time: false,
    },
    start,
};

fn start<'a>(collection: &'a Collection<'a>, _: &crate::audit::snapshot::Snapshot) -> Reading<'a> {
    Box::pin(async move {
        let (usage, days, warnings) = usage(collection.client, collection.now).await?;
        Ok(apply(
            (usage, days, warnings),
            |s, (usage, days, warnings)| {
                s.usage = usage;
                s.usage_days = Some(std::sync::Arc::new(days));
                s.warnings.extend(warnings);
            },
        ))
    })
}

/// The usage of the window from the jobs API, or from the older query where the jobs API is
/// absent; with it the daily rows (over the anomaly window too, from the jobs API) and the
/// warnings: which API answered when it was the older one, and the rows that did not parse.
async fn usage(
    client: &GenesysClient,
    now: DateTime<Utc>,
) -> Result<(Usage, UsageDays, Vec<String>), GenesysError> {
    let days = client.config.usage_window_days;
    let start = now - Duration::days(days as i64);
    // The anomaly baseline may reach further back than the usage window: read from the earlier.
    let anomaly_days = client
        .config
        .usage_anomaly
        .as_ref()
        .map_or(0, Window::days_to_read);
    let read_from = now - Duration::days(i64::from(days.max(anomaly_days)));
    let mut evidence = Evidence::default();
    evidence.since = Some(start.date_naive());
    let mut warnings = Vec::new();
    let endpoint = if usage_jobs::read(client, read_from, now, &mut evidence).await? {
        client.usage_api_used("jobs");
        JOB_RESULTS
    } else {
        client.usage_api_used("legacy");
        warnings.push(format!(
            "usage read from the older POST {USAGE_QUERY}: the usage jobs API (POST {JOBS}) answered 404 or 501 (absent in this region) or 403 (the older query also takes oauth:client:view)"
        ));
        evidence = legacy(client, start, now).await?;
        USAGE_RESULTS
    };
    client.records_skipped(endpoint, evidence.skipped.count);
    warnings.extend(evidence.skipped.warning(
        "usage rows",
        endpoint,
        "their calls are not in the usage evidence",
    ));
    let mut daily = std::mem::take(&mut evidence.days);
    daily.finish();
    tracing::debug!(
        rows = daily.len(),
        bytes = daily.kept_bytes(),
        "daily usage kept for usage-anomaly"
    );
    let (last_used, calls) = evidence.finish();
    let usage = Usage::Known {
        window_start: start.date_naive(),
        last_used,
        calls,
    };
    Ok((usage, daily, warnings))
}

/// Runs the older org-wide usage query and polls it to `Complete`: its rows folded.
async fn legacy(
    client: &GenesysClient,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Evidence, GenesysError> {
    let query = UsageQuery {
        interval: format!(
            "{}/{}",
            start.to_rfc3339_opts(SecondsFormat::Secs, true),
            now.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        granularity: Some("Day".into()),
        metrics: Some(usage_jobs::METRICS.map(String::from).to_vec()),
        // Grouping by endpoint too gives the least-privilege evidence in the same one query.
        group_by: Some(vec![
            "OAuthClientId".into(),
            "TemplateUri".into(),
            "HttpMethod".into(),
        ]),
    };
    let execution: UsageExecutionResult =
        client.post_json(USAGE_QUERY, USAGE_QUERY, &query).await?;
    let id = execution.execution_id;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(GenesysError::UsageQuery(format!(
            "unexpected execution id '{id}'"
        )));
    }
    let path = format!("/api/v2/usage/query/{id}/results");
    let mut pauses = client.config.poll_pauses();
    for _ in 0..client.config.usage_max_polls {
        // The answer with the rows is tens of MB: parsed while it arrives, each row folded
        // into the evidence as it is read.
        let result: FoldedResult = client.get_json_streamed(USAGE_RESULTS, &path).await?;
        match result.query_status.as_deref() {
            Some("Complete") => return Ok(result.results.unwrap_or_default()),
            Some("Failed") => {
                return Err(GenesysError::UsageQuery(
                    "Genesys reported the query Failed".into(),
                ));
            }
            _ => tokio::time::sleep(pauses.next().unwrap_or_default()).await,
        }
    }
    Err(GenesysError::UsageQuery(format!(
        "still Running after {} polls",
        client.config.usage_max_polls
    )))
}
