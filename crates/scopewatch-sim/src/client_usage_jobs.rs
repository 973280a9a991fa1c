//! The per-client usage jobs API, as Genesys answers it:
//! `POST /api/v2/usage/client/{clientId}/aggregates/query/jobs` (`ClientPublicApiUsageQueryRequest`)
//! gives the job's id, `GET .../jobs/{jobId}` answers `Running` for the configured polls, then
//! `Succeeded` with pages of `ClientPublicApiUsage` rows. Unlike the org-wide jobs, a row says the
//! calling org (`organizationId`): a usage row of the org's data without one is the org's own.
//! Needs `usage:client:view`; the `usage-client` deny fault refuses it (403).

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::access::{Shared, require};
use super::gate::Caller;
use super::interval::{parse_instant, parse_interval};
use super::params::page_param;
use super::usage::{Computed, Selected};
use super::wire::{Fail, to_json};
use genesys_api::client_usage::{ClientUsageJobQuery, ClientUsageJobResults, ClientUsageJobRow};
use genesys_api::models::{UsageJobSubmitted, UsageRow};

const PERMISSIONS: [&str; 1] = ["usage:client:view"];
/// The `groupBy` values the per-client query takes.
const GROUPS: [&str; 4] = ["TemplateUri", "HttpMethod", "Platform", "OrganizationId"];
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

fn jobs(client_id: &str) -> String {
    format!("/api/v2/usage/client/{client_id}/aggregates/query/jobs")
}

/// `POST /api/v2/usage/client/{clientId}/aggregates/query/jobs`: 400 for a bad query (an
/// unknown group or metric, a start over a year ago, a span over 90 days), 404 for an unknown
/// client; else the job's id.
pub(super) async fn submit(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Result<Response, Fail> {
    require(&state, &who, "usage-client", &PERMISSIONS)?;
    let query: ClientUsageJobQuery = serde_json::from_slice(&body)
        .map_err(|e| Fail::BadRequest(format!("Invalid usage query body: {e}")))?;
    let now = state.clock.now();
    let q = checked(&query, now)?;
    let rows = {
        let live = state.read();
        if live.client(&client_id).is_none() {
            return Err(Fail::NotFound);
        }
        let daily = query.granularity.is_some();
        rows_of(&live.org, &client_id, &q, now, daily)
    };
    let id = genesys_api::rng::Rng::new(genesys_api::rng::random_u64()).uuid();
    state.store_client_execution(
        id.clone(),
        Computed {
            rows,
            metrics: q.metrics,
        },
    );
    Ok(to_json(
        StatusCode::ACCEPTED,
        &UsageJobSubmitted {
            results_uri: Some(format!("{}/{id}", jobs(&client_id))),
            id: Some(id),
        },
    ))
}

/// The client's usage rows in the query's interval (none of today: usage is up to a day old),
/// grouped as the query asks.
fn rows_of(
    org: &crate::org::Org,
    client_id: &str,
    q: &Checked,
    now: DateTime<Utc>,
    daily: bool,
) -> Vec<UsageRow> {
    let (start, end, group_by) = (q.start, q.end, &q.group_by);
    let today = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let by = |g: &str| group_by.iter().any(|x| x == g);
    let own = org.organization_id.clone();
    let mut groups: BTreeMap<(String, String, String, String), UsageRow> = BTreeMap::new();
    for row in org.usage.iter() {
        if row.client_id.as_deref() != Some(client_id) {
            continue;
        }
        let Some(day) = row.date.as_deref().and_then(parse_instant) else {
            continue;
        };
        if day < start || day >= end.min(today) {
            continue;
        }
        let pick = |on: bool, v: &Option<String>| {
            if on {
                v.clone().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let org = row
            .organization_id
            .clone()
            .filter(|o| !o.is_empty())
            .unwrap_or_else(|| own.clone());
        let key = (
            if daily {
                day.format("%Y-%m-%d").to_string()
            } else {
                String::new()
            },
            if by("OrganizationId") {
                org
            } else {
                String::new()
            },
            pick(by("TemplateUri"), &row.template_uri),
            pick(by("HttpMethod"), &row.http_method),
        );
        let entry = groups.entry(key.clone()).or_insert_with(|| UsageRow {
            client_id: Some(client_id.to_string()),
            organization_id: Some(key.1.clone()),
            template_uri: Some(key.2.clone()),
            http_method: Some(key.3.clone()),
            date: (!key.0.is_empty()).then(|| key.0.clone()),
            ..UsageRow::default()
        });
        entry.requests += row.requests;
        entry.status200 += row.status200;
        entry.status300 += row.status300;
        entry.status400 += row.status400;
        entry.status429 += row.status429;
        entry.status500 += row.status500;
    }
    groups.into_values().collect()
}

/// A query the simulator accepted: its interval, groups and metrics.
struct Checked {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    group_by: Vec<String>,
    metrics: Selected,
}

/// The query's interval, groups and metrics, or the 400 Genesys answers for a bad one.
fn checked(query: &ClientUsageJobQuery, now: DateTime<Utc>) -> Result<Checked, Fail> {
    let (start, end) = parse_interval(&query.interval).map_err(|e| Fail::BadRequest(e.0))?;
    if start < now - chrono::Duration::days(366) || end - start > chrono::Duration::days(90) {
        return Err(Fail::BadRequest(format!(
            "interval '{}': the start may be at most a year ago and the end at most 90 days after it",
            query.interval
        )));
    }
    let group_by = query.group_by.clone().unwrap_or_default();
    if let Some(bad) = group_by.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        return Err(Fail::BadRequest(format!(
            "groupBy value '{bad}' is not one of {GROUPS:?}"
        )));
    }
    if let Some(g) = query.granularity.as_deref().filter(|g| *g != "Day") {
        return Err(Fail::BadRequest(format!(
            "granularity '{g}': the simulator answers Day only"
        )));
    }
    let metrics = Selected::from(query.metrics.as_deref()).map_err(|e| Fail::BadRequest(e.0))?;
    Ok(Checked {
        start,
        end,
        group_by,
        metrics,
    })
}

/// `GET /api/v2/usage/client/{clientId}/aggregates/query/jobs/{jobId}?pageSize=&after=`.
pub(super) async fn results(
    State(state): State<Shared>,
    Extension(who): Extension<Caller>,
    Path((client_id, job_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Fail> {
    require(&state, &who, "usage-client", &PERMISSIONS)?;
    let size = page_param(&query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let after = match query.get("after") {
        None => 0,
        Some(text) => text.parse::<usize>().map_err(|_| {
            Fail::BadRequest(format!("after '{text}' is not a cursor this job gave"))
        })?,
    };
    let Some(ready) = state.poll_client_execution(&job_id).ok_or(Fail::NotFound)? else {
        return Ok(to_json(
            StatusCode::OK,
            &ClientUsageJobResults {
                query_status: Some("Running".into()),
                ..ClientUsageJobResults::default()
            },
        ));
    };
    let computed = ready.borrow().clone().ok_or(Fail::NotFound)?;
    let end = after.saturating_add(size).min(computed.rows.len());
    let entities = computed
        .rows
        .get(after.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|r| row(r, computed.metrics))
        .collect();
    let next_uri = (end < computed.rows.len())
        .then(|| format!("{}/{job_id}?pageSize={size}&after={end}", jobs(&client_id)));
    Ok(to_json(
        StatusCode::OK,
        &ClientUsageJobResults {
            query_status: Some("Succeeded".into()),
            error_body: None,
            next_uri,
            entities: Some(entities),
        },
    ))
}

/// A computed row as `ClientPublicApiUsage`, with only the metrics asked for.
fn row(r: &UsageRow, metrics: Selected) -> ClientUsageJobRow {
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    ClientUsageJobRow {
        date: nonempty(&r.date),
        platform: Some("PublicApi".into()),
        http_method: nonempty(&r.http_method),
        template_uri: nonempty(&r.template_uri),
        request_count: metrics.pick(0, r.requests),
        status200: metrics.pick(1, r.status200),
        status300: metrics.pick(2, r.status300),
        status400: metrics.pick(3, r.status400),
        status429: metrics.pick(4, r.status429),
        status500: metrics.pick(5, r.status500),
        organization_id: nonempty(&r.organization_id),
    }
}
