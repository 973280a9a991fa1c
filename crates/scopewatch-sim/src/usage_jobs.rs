//! The usage jobs API (`POST /api/v2/usage/aggregates/query/jobs`, then
//! `GET .../jobs/{jobId}`), as Genesys answers it: the submission gives the job's id and
//! results URI; the results answer `Running` until the rows are ready, then `Succeeded` with
//! one page of rows and `nextUri` only when another page follows. The `usage-jobs` deny fault
//! answers 404, as a region without the new service would (`usage_jobs_not_implemented`: 501);
//! `fail_usage_jobs` makes every job `Failed` with its `errorBody`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::access::{Shared, require};
use super::gate::Caller;
use super::params::page_param;
use super::usage;
use super::wire::{Fail, to_json};
use genesys_api::models::{ErrorBody, UsageJobQuery, UsageJobResults, UsageJobSubmitted};

/// `usage:organization:view` only: the older query's `oauth:client:view` does not open it.
const JOB_PERMISSIONS: [&str; 1] = ["usage:organization:view"];
/// Where a job's results are read.
const JOBS: &str = "/api/v2/usage/aggregates/query/jobs";
/// Rows a page holds when the caller names no `pageSize`.
const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest `pageSize` Genesys accepts.
const MAX_PAGE_SIZE: usize = 1000;

/// The deny fault (`usage-jobs`) makes the whole service absent: 404 before anything else
/// (501 with `usage_jobs_not_implemented`).
fn served(state: &Shared, who: &Caller) -> Result<(), Fail> {
    if state.faults.is_denied("usage-jobs") {
        return Err(Fail::NotFound);
    }
    if state.faults.usage_jobs_absent() {
        return Err(Fail::NotImplemented);
    }
    require(state, who, "usage", &JOB_PERMISSIONS)
}

/// `POST /api/v2/usage/aggregates/query/jobs`: checks the query (400 for an unknown metric or
/// group, a start over a year ago or a span over 90 days) and starts the job.
pub(super) async fn submit(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    body: Bytes,
) -> Result<Response, Fail> {
    served(&state, &who)?;
    let query: UsageJobQuery = serde_json::from_slice(&body)
        .map_err(|e| Fail::BadRequest(format!("Invalid usage query body: {e}")))?;
    let plan = usage::plan_job(&query, state.clock.now()).map_err(|e| Fail::BadRequest(e.0))?;
    let id = usage::start(&state, plan);
    Ok(to_json(
        StatusCode::ACCEPTED,
        &UsageJobSubmitted {
            results_uri: Some(format!("{JOBS}/{id}")),
            id: Some(id),
        },
    ))
}

/// `GET /api/v2/usage/aggregates/query/jobs/{jobId}?pageSize=&after=`.
pub(super) async fn results(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(job_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    served(&state, &who)?;
    let size = page_param(&query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?
        .min(state.settings.usage_page_size_max.max(1));
    let after = match query.get("after") {
        None => 0,
        Some(text) => text.parse::<usize>().map_err(|_| {
            Fail::BadRequest(format!("after '{text}' is not a cursor this job gave"))
        })?,
    };
    let ready = state.poll_execution(&job_id).ok_or(Fail::NotFound)?;
    if state.faults.usage_jobs_fail() {
        return Ok(to_json(StatusCode::OK, &failed()));
    }
    let Some(mut ready) = ready else {
        return Ok(to_json(StatusCode::OK, &status_only("Running")));
    };
    let computed = ready
        .wait_for(Option::is_some)
        .await
        .map_err(|_| Fail::NotFound)?
        .clone()
        .ok_or(Fail::NotFound)?;
    let end = after.saturating_add(size).min(computed.rows.len());
    let entities = computed
        .rows
        .get(after.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|r| usage::job_row(r, computed.metrics))
        .collect();
    let next_uri =
        (end < computed.rows.len()).then(|| format!("{JOBS}/{job_id}?pageSize={size}&after={end}"));
    Ok(to_json(
        StatusCode::OK,
        &UsageJobResults {
            query_status: Some("Succeeded".into()),
            error_body: None,
            next_uri,
            entities: Some(entities),
        },
    ))
}

fn status_only(status: &str) -> UsageJobResults {
    UsageJobResults {
        query_status: Some(status.into()),
        error_body: None,
        next_uri: None,
        entities: None,
    }
}

/// A job Genesys gave up on: `Failed`, with why in `errorBody`.
fn failed() -> UsageJobResults {
    UsageJobResults {
        error_body: Some(ErrorBody {
            message: "The usage query could not be completed.".into(),
            code: "internal.server.error".into(),
            status: 500,
            message_with_params: None,
            message_params: None,
            context_id: None,
            details: Vec::new(),
            errors: Vec::new(),
        }),
        ..status_only("Failed")
    }
}
