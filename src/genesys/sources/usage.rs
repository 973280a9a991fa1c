//! Usage: the org-wide usage query, one query for every client, grouped by client, endpoint and
//! method (the least-privilege evidence comes from the same query). Without it no client is
//! judged unused.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use genesys_api::models::{UsageExecutionResult, UsageQuery};

use super::source::{Collection, Reading, Source, Unreadable, apply};
use crate::audit::snapshot::Usage;
use crate::genesys::client::GenesysClient;
use crate::genesys::error::GenesysError;
use crate::genesys::usage_evidence::FoldedResult;

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
        let (usage, warning) = usage(collection.client, collection.now).await?;
        Ok(apply((usage, warning), |s, (usage, warning)| {
            s.usage = usage;
            s.warnings.extend(warning);
        }))
    })
}

/// Runs the org-wide usage query and polls it to `Complete`; with it, the warning for rows that
/// did not parse, if any.
async fn usage(
    client: &GenesysClient,
    now: DateTime<Utc>,
) -> Result<(Usage, Option<String>), GenesysError> {
    let days = client.config.usage_window_days;
    let start = now - Duration::days(days as i64);
    let query = UsageQuery {
        interval: format!(
            "{}/{}",
            start.to_rfc3339_opts(SecondsFormat::Secs, true),
            now.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        granularity: Some("Day".into()),
        metrics: Some(vec!["Requests".into()]),
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
            Some("Complete") => {
                let evidence = result.results.unwrap_or_default();
                client.records_skipped(USAGE_RESULTS, evidence.skipped.count);
                let warning = evidence.skipped.warning(
                    "usage rows",
                    USAGE_RESULTS,
                    "their calls are not in the usage evidence",
                );
                let (last_used, calls) = evidence.finish();
                let usage = Usage::Known {
                    window_start: start.date_naive(),
                    last_used,
                    calls,
                };
                return Ok((usage, warning));
            }
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
