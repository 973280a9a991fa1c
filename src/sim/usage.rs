//! The org-wide usage query: the org's daily rows filtered to the interval and grouped by
//! client and (with a granularity) by day, week or month.

use std::collections::BTreeMap;

use chrono::Datelike;

use super::interval::{parse_instant, parse_interval};
use super::org::Org;
use crate::genesys::models::{UsageQuery, UsageRow};

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
pub(super) fn plan(query: &UsageQuery) -> Result<UsagePlan, String> {
    let (start, end) = parse_interval(&query.interval)?;
    // The organization query's enum (genesys-api.md §12.1).
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
        return Err(format!("groupBy value '{bad}' is not one of {GROUPS:?}"));
    }
    if let Some(g) = query.granularity.as_deref()
        && !matches!(g, "Day" | "Week" | "Month")
    {
        return Err(format!("granularity '{g}' is not one of Day, Week, Month"));
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
/// and (with a granularity) by day, week or month.
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
    type Key = (String, String, String, String, String);
    let mut groups: BTreeMap<Key, UsageRow> = BTreeMap::new();
    for row in &org.usage {
        let Some(day) = row.date.as_deref().and_then(parse_instant) else {
            continue;
        };
        if day < start || day >= end {
            continue;
        }
        let bucket = match granularity {
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
        };
        let client = if by_client {
            row.client_id.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let field = |on: bool, value: &Option<String>| {
            if on {
                value.clone().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let template = field(by_template, &row.template_uri);
        let method = field(by_method, &row.http_method);
        let user = field(by_user, &row.user_id);
        let entry = groups
            .entry((
                client.clone(),
                bucket.clone(),
                template.clone(),
                method.clone(),
                user.clone(),
            ))
            .or_insert_with(|| UsageRow {
                client_id: Some(client),
                client_name: Some(if by_client {
                    row.client_name.clone().unwrap_or_default()
                } else {
                    String::new()
                }),
                organization_id: Some(String::new()),
                user_id: Some(user),
                template_uri: Some(template),
                http_method: Some(method),
                status200: 0,
                status300: 0,
                status400: 0,
                status500: 0,
                status429: 0,
                requests: 0,
                date: (!bucket.is_empty()).then_some(bucket),
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
