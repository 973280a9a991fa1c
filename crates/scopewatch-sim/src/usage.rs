//! The org-wide usage query: the org's daily rows filtered to the interval and grouped by
//! client and (with a granularity) by day, week or month.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::interval::{parse_instant, parse_interval};
use super::org::Org;
use super::params::Invalid;
use genesys_api::models::{UsageQuery, UsageRow};

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
}

/// Checks a usage query: its interval, `groupBy` values and granularity.
pub(super) fn plan(query: &UsageQuery) -> Result<UsagePlan, Invalid> {
    let (start, end) = parse_interval(&query.interval)?;
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
    if let Some(bad) = group_by.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        return Err(Invalid(format!(
            "groupBy value '{bad}' is not one of {GROUPS:?}"
        )));
    }
    if let Some(g) = query.granularity.as_deref()
        && !matches!(g, "Day" | "Week" | "Month")
    {
        return Err(Invalid(format!(
            "granularity '{g}' is not one of Day, Week, Month"
        )));
    }
    Ok(UsagePlan {
        start,
        end,
        by_client: group_by.iter().any(|g| g == "OAuthClientId"),
        by_template: group_by.iter().any(|g| g == "TemplateUri"),
        by_method: group_by.iter().any(|g| g == "HttpMethod"),
        by_user: group_by.iter().any(|g| g == "UserId"),
        granularity: query.granularity.clone(),
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
