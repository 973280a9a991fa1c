//! The org-wide usage query, on both APIs (the usage jobs API and the older
//! `POST /api/v2/usage/query`): the org's daily rows filtered to the interval and grouped by
//! client and (with a granularity) by day, week or month. As in Genesys, no row is newer than
//! yesterday (usage data is up to a day old, updated daily), and only the metrics asked for are
//! answered.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::interval::{parse_instant, parse_interval};
use super::org::Org;
use super::params::Invalid;
use genesys_api::models::{UsageJobQuery, UsageQuery, UsageRow};

/// The metrics a usage query may name, in the order of `Selected`'s flags.
pub(crate) const METRICS: [&str; 6] = [
    "Requests",
    "Status200",
    "Status300",
    "Status400",
    "Status429",
    "Status500",
];

/// Which metrics a query asked for (all of them when it named none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Selected(pub [bool; 6]);

impl Selected {
    /// The metrics a query's `metrics` names; an unknown one is a 400, as Genesys answers it.
    pub(crate) fn from(metrics: Option<&[String]>) -> Result<Selected, Invalid> {
        let Some(metrics) = metrics.filter(|m| !m.is_empty()) else {
            return Ok(Selected([true; 6]));
        };
        let mut on = [false; 6];
        for m in metrics {
            let i = METRICS
                .iter()
                .position(|k| k == m)
                .ok_or_else(|| Invalid(format!("metrics value '{m}' is not one of {METRICS:?}")))?;
            on[i] = true;
        }
        Ok(Selected(on))
    }

    /// A metric's value when it was asked for.
    pub(crate) fn pick(self, metric: usize, value: u64) -> Option<u64> {
        self.0[metric].then_some(value)
    }
}

/// The rows of a query once computed, with the metrics its answers show.
pub(crate) struct Computed {
    pub rows: Vec<UsageRow>,
    pub metrics: Selected,
}

/// A usage query checked when it is submitted (a bad one is a 400 at once); its rows are
/// computed afterwards, while the query runs.
pub(super) struct UsagePlan {
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
    by_client: bool,
    by_template: bool,
    by_method: bool,
    by_user: bool,
    granularity: Option<String>,
    pub(crate) metrics: Selected,
}

/// Checks a query of the older API: its interval, `groupBy` values, granularity and metrics.
/// `now` is the simulator's clock: nothing of today is answered.
pub(super) fn plan(
    query: &UsageQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<UsagePlan, Invalid> {
    // The organization query's enum.
    const GROUPS: [&str; 5] = [
        "OAuthClientId",
        "OrganizationId",
        "UserId",
        "TemplateUri",
        "HttpMethod",
    ];
    let group_by = query
        .group_by
        .clone()
        .unwrap_or_else(|| vec!["OAuthClientId".into()]);
    checked(
        &query.interval,
        &group_by,
        &GROUPS,
        query.granularity.as_deref(),
        query.metrics.as_deref(),
        now,
    )
}

/// Checks a usage job (`OrganizationPublicApiUsageQueryRequest`): as the older query, with the
/// job API's spelling `OauthClientId`, its start at most a year ago and its span at most 90
/// days. Without `groupBy` the rows are not aggregated (every dimension kept).
pub(super) fn plan_job(
    query: &UsageJobQuery,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<UsagePlan, Invalid> {
    const GROUPS: [&str; 5] = [
        "OauthClientId",
        "UserId",
        "TemplateUri",
        "HttpMethod",
        "Platform",
    ];
    let group_by = query.group_by.clone().unwrap_or_else(|| {
        ["OauthClientId", "UserId", "TemplateUri", "HttpMethod"]
            .map(String::from)
            .to_vec()
    });
    let plan = checked(
        &query.interval,
        &group_by,
        &GROUPS,
        query.granularity.as_deref(),
        query.metrics.as_deref(),
        now,
    )?;
    let (start, end) = parse_interval(&query.interval)?;
    if start < now - chrono::Duration::days(366) {
        return Err(Invalid(format!(
            "interval '{}': Start date cannot be more than a year ago.",
            query.interval
        )));
    }
    if end - start > chrono::Duration::days(90) {
        return Err(Invalid(format!(
            "interval '{}': End date cannot be more than 90 days after the start.",
            query.interval
        )));
    }
    Ok(plan)
}

fn checked(
    interval: &str,
    group_by: &[String],
    groups: &[&str],
    granularity: Option<&str>,
    metrics: Option<&[String]>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<UsagePlan, Invalid> {
    let (start, end) = parse_interval(interval)?;
    if let Some(bad) = group_by.iter().find(|g| !groups.contains(&g.as_str())) {
        return Err(Invalid(format!(
            "groupBy value '{bad}' is not one of {groups:?}"
        )));
    }
    if let Some(g) = granularity
        && !matches!(g, "Day" | "Week" | "Month")
    {
        return Err(Invalid(format!(
            "granularity '{g}' is not one of Day, Week, Month"
        )));
    }
    let metrics = Selected::from(metrics)?;
    // Usage is up to a day old: today's rows are not there yet.
    let today = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let by = |name: &str| group_by.iter().any(|g| g.eq_ignore_ascii_case(name));
    Ok(UsagePlan {
        start,
        end: end.min(today),
        by_client: by("OAuthClientId"),
        by_template: by("TemplateUri"),
        by_method: by("HttpMethod"),
        by_user: by("UserId"),
        granularity: granularity.map(str::to_string),
        metrics,
    })
}

/// Runs a checked usage query over the org's daily rows: filter by interval, group by client
/// and (with a granularity) by day, week or month. Groups are keyed by the rows' own strings
/// and each distinct date is parsed once: at 100 000 clients there are hundreds of thousands of
/// rows, and copying five strings per row held the query for seconds.
pub(super) fn usage_rows(org: &Org, plan: &UsagePlan) -> Vec<UsageRow> {
    let UsagePlan {
        start,
        end,
        by_client,
        by_template,
        by_method,
        by_user,
        ..
    } = *plan;
    let granularity = plan.granularity.as_deref();
    // Each distinct date once: its bucket (empty without a granularity), or `None` when it is
    // unreadable or outside the interval.
    let mut buckets: std::collections::HashMap<&str, Option<String>> = Default::default();
    for date in org.usage.iter().filter_map(|r| r.date.as_deref()) {
        buckets.entry(date).or_insert_with(|| {
            let day = parse_instant(date).filter(|d| *d >= start && *d < end)?;
            Some(match granularity {
                None => String::new(),
                Some(g) => {
                    let date = day.date_naive();
                    let first = match g {
                        "Week" => {
                            date - chrono::Days::new(date.weekday().num_days_from_monday() as u64)
                        }
                        "Month" => date.with_day(1).unwrap_or(date),
                        _ => date,
                    };
                    format!("{}T00:00:00Z", first.format("%Y-%m-%d"))
                }
            })
        });
    }
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);
    let mut groups: BTreeMap<Key, UsageRow> = BTreeMap::new();
    for row in &org.usage {
        let Some(Some(bucket)) = row.date.as_deref().map(|d| &buckets[d]) else {
            continue;
        };
        fn field(on: bool, value: &Option<String>) -> &str {
            if on {
                value.as_deref().unwrap_or_default()
            } else {
                ""
            }
        }
        let client = field(by_client, &row.client_id);
        let template = field(by_template, &row.template_uri);
        let method = field(by_method, &row.http_method);
        let user = field(by_user, &row.user_id);
        let entry = groups
            .entry((client, bucket.as_str(), template, method, user))
            .or_insert_with(|| UsageRow {
                client_id: Some(client.to_string()),
                client_name: Some(field(by_client, &row.client_name).to_string()),
                organization_id: Some(String::new()),
                user_id: Some(user.to_string()),
                template_uri: Some(template.to_string()),
                http_method: Some(method.to_string()),
                status200: 0,
                status300: 0,
                status400: 0,
                status500: 0,
                status429: 0,
                requests: 0,
                date: (!bucket.is_empty()).then(|| bucket.clone()),
            });
        entry.status200 += row.status200;
        entry.status300 += row.status300;
        entry.status400 += row.status400;
        entry.status500 += row.status500;
        entry.status429 += row.status429;
        entry.requests += row.requests;
    }
    groups.into_values().collect()
}

/// An `ApiUsageRow` of the older API as written, with only the metrics asked for.
pub(crate) struct LegacyRow<'a>(pub &'a UsageRow, pub Selected);

impl serde::Serialize for LegacyRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let LegacyRow(row, metrics) = *self;
        let mut map = s.serialize_map(None)?;
        let texts = [
            ("clientId", &row.client_id),
            ("clientName", &row.client_name),
            ("organizationId", &row.organization_id),
            ("userId", &row.user_id),
            ("templateUri", &row.template_uri),
            ("httpMethod", &row.http_method),
        ];
        for (key, value) in texts {
            if let Some(v) = value {
                map.serialize_entry(key, v)?;
            }
        }
        let counts = [
            ("requests", row.requests),
            ("status200", row.status200),
            ("status300", row.status300),
            ("status400", row.status400),
            ("status429", row.status429),
            ("status500", row.status500),
        ];
        for (i, (key, value)) in counts.into_iter().enumerate() {
            if let Some(v) = metrics.pick(i, value) {
                map.serialize_entry(key, &v)?;
            }
        }
        if let Some(date) = &row.date {
            map.serialize_entry("date", date)?;
        }
        map.end()
    }
}

/// The job API's `OrganizationPublicApiUsage` for a computed row: `date` as `yyyy-MM-dd`, the
/// client as `oauthClient {id, name}`, only the metrics asked for.
pub(crate) fn job_row(row: &UsageRow, metrics: Selected) -> genesys_api::models::UsageJobRow {
    let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let reference = |id: Option<String>, name: Option<String>| {
        id.map(|id| genesys_api::models::DomainEntityRef {
            id: Some(id),
            name,
            self_uri: None,
        })
    };
    genesys_api::models::UsageJobRow {
        date: row
            .date
            .as_deref()
            .and_then(|d| d.get(..10))
            .map(str::to_string),
        platform: Some("PublicApi".into()),
        http_method: nonempty(&row.http_method),
        template_uri: nonempty(&row.template_uri),
        request_count: metrics.pick(0, row.requests),
        status200: metrics.pick(1, row.status200),
        status300: metrics.pick(2, row.status300),
        status400: metrics.pick(3, row.status400),
        status429: metrics.pick(4, row.status429),
        status500: metrics.pick(5, row.status500),
        oauth_client: reference(nonempty(&row.client_id), nonempty(&row.client_name)),
        user: reference(nonempty(&row.user_id), None),
    }
}

/// Keeps a checked query for polling and computes its rows after the answer, off the threads
/// that answer requests (as Genesys runs it after its 202); returns its id.
pub(super) fn start(state: &super::access::Shared, plan: UsagePlan) -> String {
    let id = genesys_api::rng::Rng::new(genesys_api::rng::random_u64()).uuid();
    let done = state.store_execution(id.clone());
    let worker = state.clone();
    tokio::task::spawn_blocking(move || {
        let rows = usage_rows(&worker.read().org, &plan);
        let computed = Computed {
            rows,
            metrics: plan.metrics,
        };
        let _ = done.send(Some(std::sync::Arc::new(computed)));
    });
    id
}
