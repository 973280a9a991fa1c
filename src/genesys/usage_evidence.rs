//! The usage query's rows become evidence while they are parsed: each row is folded into the
//! last-used day and the endpoint totals of its client as soon as it is read, so neither the
//! answer (16 MB at 10 000 clients) nor its rows are ever held whole.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::audit::snapshot::Call;
use crate::audit::usage_days::UsageDays;
use crate::genesys::records::Skipped;
use genesys_api::models::{UsageJobRow, UsageRow};

/// A usage query's results answer, its rows folded as they are read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FoldedResult {
    #[serde(default)]
    pub query_status: Option<String>,
    #[serde(default, deserialize_with = "fold_rows")]
    pub results: Option<Evidence>,
}

/// Last-used days and endpoint totals per client, from rows grouped by client, endpoint and day.
#[derive(Debug, Default)]
pub(super) struct Evidence {
    last_used: BTreeMap<String, NaiveDate>,
    /// (client, METHOD, template) -> (requests, answered 200).
    by_endpoint: BTreeMap<(String, String, String), (u64, u64)>,
    /// Rows that did not parse: skipped, so one odd row never costs the usage evidence.
    pub(crate) skipped: Skipped,
    /// About how many bytes the kept entries take (their strings and a fixed overhead each).
    kept_bytes: usize,
    /// Every row by day, for the usage-anomaly rule (its baseline reaches before `since`).
    pub(super) days: UsageDays,
    /// Rows before this day go only to `days`, not to the last-used days and endpoint totals.
    pub(super) since: Option<NaiveDate>,
}

/// What one kept entry costs beside its strings (map node, counts, string headers).
const ENTRY_OVERHEAD: usize = 96;

impl Evidence {
    /// Adds one row. Rows without an endpoint (an upstream that ignores the grouping) still give
    /// the last-used day; rows without requests give nothing.
    pub(super) fn add(&mut self, row: UsageRow) {
        let (Some(id), Some(day)) = (row.client_id, row.date.as_deref().and_then(parse_day)) else {
            return;
        };
        if row.requests == 0 {
            return;
        }
        if let (Some(template), Some(method)) = (&row.template_uri, &row.http_method) {
            let errors = row.status400.saturating_add(row.status429);
            self.days
                .add(&id, method, template, day, row.requests, errors);
        }
        if self.since.is_some_and(|since| day < since) {
            return;
        }
        match self.last_used.get_mut(&id) {
            Some(last) => *last = (*last).max(day),
            None => {
                self.kept_bytes += id.len() + ENTRY_OVERHEAD;
                self.last_used.insert(id.clone(), day);
            }
        }
        let (Some(template), Some(method)) = (row.template_uri, row.http_method) else {
            return;
        };
        if template.is_empty() || method.is_empty() {
            return;
        }
        let key = (id, method.to_ascii_uppercase(), template);
        let size = key.0.len() + key.1.len() + key.2.len() + ENTRY_OVERHEAD;
        let counts = self.by_endpoint.entry(key).or_insert_with(|| {
            self.kept_bytes += size;
            (0, 0)
        });
        counts.0 = counts.0.saturating_add(row.requests);
        counts.1 = counts.1.saturating_add(row.status200);
    }

    /// About how many bytes the evidence kept so far takes.
    pub(super) fn kept_bytes(&self) -> usize {
        self.kept_bytes + self.days.kept_bytes()
    }

    /// Adds one row of the usage jobs API (`OrganizationPublicApiUsage`): its client is
    /// `oauthClient.id`, its requests `requestCount`.
    pub(super) fn add_job_row(&mut self, row: UsageJobRow) {
        self.add(UsageRow {
            client_id: row.oauth_client.and_then(|c| c.id),
            client_name: None,
            organization_id: None,
            user_id: None,
            template_uri: row.template_uri,
            http_method: row.http_method,
            status200: row.status200.unwrap_or(0),
            status300: row.status300.unwrap_or(0),
            status400: row.status400.unwrap_or(0),
            status500: row.status500.unwrap_or(0),
            status429: row.status429.unwrap_or(0),
            requests: row.request_count.unwrap_or(0),
            date: row.date,
        });
    }

    /// The last-used day and the endpoints called, per client id (the skipped rows are read
    /// from `skipped` before).
    pub(super) fn finish(self) -> (BTreeMap<String, NaiveDate>, BTreeMap<String, Vec<Call>>) {
        let mut calls: BTreeMap<String, Vec<Call>> = BTreeMap::new();
        for ((id, method, template), (requests, succeeded)) in self.by_endpoint {
            calls.entry(id).or_default().push(Call {
                method,
                template,
                requests,
                succeeded,
            });
        }
        (self.last_used, calls)
    }
}

pub(super) fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// `results`: absent or `null` is no rows yet; a list is folded row by row.
fn fold_rows<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Evidence>, D::Error> {
    struct Rows;

    impl<'de> Visitor<'de> for Rows {
        type Value = Option<Evidence>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of usage rows")
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut rows: A) -> Result<Self::Value, A::Error> {
            let mut evidence = Evidence::default();
            // Each row from its own raw slice: a row's parse error leaves the list readable.
            while let Some(raw) = rows.next_element::<Box<RawValue>>()? {
                match serde_json::from_str::<UsageRow>(raw.get()) {
                    Ok(row) => evidence.add(row),
                    Err(_) => evidence.skipped.add(&raw),
                }
            }
            Ok(Some(evidence))
        }
    }

    d.deserialize_option(Rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bytes_count_each_new_entry_once_with_its_strings() {
        let row = |id: &str, template: &str| UsageRow {
            client_id: Some(id.into()),
            template_uri: Some(template.into()),
            http_method: Some("get".into()),
            requests: 1,
            date: Some("2026-12-01".into()),
            ..UsageRow::default()
        };
        let mut evidence = Evidence::default();
        evidence.add(row("c1", "api/v2/users"));
        let one = evidence.kept_bytes;
        assert_eq!(one, 2 * ENTRY_OVERHEAD + 2 + (2 + 3 + 12));
        evidence.add(row("c1", "api/v2/users"));
        assert_eq!(
            evidence.kept_bytes, one,
            "the same entry again costs nothing"
        );
        evidence.add(row("c1", &"x".repeat(1000)));
        assert_eq!(evidence.kept_bytes, one + ENTRY_OVERHEAD + 2 + 3 + 1000);
        assert_eq!(
            evidence.kept_bytes(),
            evidence.kept_bytes + evidence.days.kept_bytes(),
            "the daily rows count too"
        );
        assert_eq!(evidence.days.len(), 3);
    }

    #[test]
    fn usage_rows_by_endpoint_give_last_used_days_and_the_endpoints_called() {
        let row = |id: &str, day: &str, template: &str, method: &str, requests: u64| {
            let mut r = UsageRow::daily(id, parse_day(day).unwrap(), requests);
            r.template_uri = Some(template.into());
            r.http_method = Some(method.into());
            r
        };
        let mut refused = row("a", "2026-10-02", "api/v2/users", "post", 4);
        refused.status200 = 0;
        refused.status400 = 4;
        let rows = vec![
            row("a", "2026-10-01", "api/v2/routing/queues", "GET", 5),
            row("a", "2026-10-03", "api/v2/routing/queues", "GET", 2),
            refused,
            row("b", "2026-09-01", "", "", 7),
            row("c", "2026-09-01", "api/v2/x", "GET", 0),
        ];
        // Read from the wire form, as the client reads it.
        let body = serde_json::json!({"queryStatus": "Complete", "results": rows});
        let read: FoldedResult = serde_json::from_value(body).unwrap();
        assert_eq!(read.query_status.as_deref(), Some("Complete"));
        let (last_used, calls) = read.results.expect("rows").finish();
        assert_eq!(last_used.get("a"), parse_day("2026-10-03").as_ref());
        assert_eq!(last_used.get("b"), parse_day("2026-09-01").as_ref());
        assert_eq!(last_used.get("c"), None);
        assert_eq!(
            calls.get("a").unwrap(),
            &vec![
                Call {
                    method: "GET".into(),
                    template: "api/v2/routing/queues".into(),
                    requests: 7,
                    succeeded: 7
                },
                Call {
                    method: "POST".into(),
                    template: "api/v2/users".into(),
                    requests: 4,
                    succeeded: 0
                },
            ]
        );
        assert!(
            !calls.contains_key("b"),
            "no endpoint, no endpoint evidence"
        );
    }

    #[test]
    fn a_running_query_has_no_rows_and_a_bad_row_is_skipped_not_a_parse_error() {
        let running: FoldedResult = serde_json::from_str(r#"{"queryStatus":"Running"}"#).unwrap();
        assert!(running.results.is_none());
        let null: FoldedResult =
            serde_json::from_str(r#"{"queryStatus":"Running","results":null}"#).unwrap();
        assert!(null.results.is_none());
        let bad: FoldedResult = serde_json::from_str(
            r#"{"results":[{"requests":"many","clientId":"x"},{"clientId":"a","date":"2026-10-01","requests":3}]}"#,
        )
        .unwrap();
        let evidence = bad.results.expect("rows");
        assert_eq!(evidence.skipped.count, 1);
        let (last_used, _) = evidence.finish();
        assert_eq!(last_used.get("a"), parse_day("2026-10-01").as_ref());
        assert!(
            serde_json::from_str::<FoldedResult>(r#"{"results":{"requests":1}}"#).is_err(),
            "a results that is not a list is a broken envelope"
        );
    }
}
