//! Usage anomalies of one client, found by comparing its recent days (default the last 7) with
//! its baseline (default the 90 days before them): endpoints first seen recently, writes from a
//! client that only read, and bursts of refused or throttled calls (probing). Calls from another
//! org come from the per-client usage jobs and are judged by the rule. Pure: the usage source
//! uses it to choose which clients get a per-client query, the rule to say what it found.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::severity::Severity;
use super::usage_days::{DayRow, UsageDays, day_date, day_number};

/// The policy's `[usage_anomaly]` numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyThresholds {
    /// The baseline: this many days before the recent ones.
    pub baseline_days: u32,
    /// The recent days judged against the baseline.
    pub recent_days: u32,
    /// A client with calls on fewer baseline days than this has no baseline: it is not judged
    /// for new endpoints or new writes (a new client calls everything for the first time).
    pub min_baseline_days: u32,
    /// Probing: refused (4xx) and throttled (429) calls above this share of the recent calls...
    pub error_share_percent: u32,
    /// ...and at least this many of them.
    pub min_errors: u64,
    /// At most this many clients get a per-client usage job (calls from other orgs) per audit.
    pub max_client_queries: u32,
}

impl Default for AnomalyThresholds {
    fn default() -> AnomalyThresholds {
        AnomalyThresholds {
            baseline_days: 90,
            recent_days: 7,
            min_baseline_days: 3,
            error_share_percent: 20,
            min_errors: 50,
            max_client_queries: 5,
        }
    }
}

/// The days judged, as u16 day numbers: the baseline `[baseline_from, recent_from)` and the
/// recent days `[recent_from, end)`; `end` is the day of the audit (usage is up to a day old).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub baseline_from: u16,
    pub recent_from: u16,
    pub end: u16,
}

impl Window {
    pub fn new(today: NaiveDate, t: &AnomalyThresholds) -> Window {
        let end = day_number(today).unwrap_or(u16::MAX);
        let recent_from = end.saturating_sub(t.recent_days.min(u16::MAX.into()) as u16);
        let baseline_from = recent_from.saturating_sub(t.baseline_days.min(u16::MAX.into()) as u16);
        Window {
            baseline_from,
            recent_from,
            end,
        }
    }

    /// How many days back the usage must be read to judge this window.
    pub fn days_to_read(t: &AnomalyThresholds) -> u32 {
        t.baseline_days + t.recent_days
    }
}

/// What kind of anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    NewEndpoint,
    WriteFromReadOnly,
    Probing,
    OtherOrg,
}

/// One anomaly with the evidence a person can check: the endpoint, the days and the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: Kind,
    pub severity: Severity,
    /// `METHOD templateUri`.
    pub endpoint: String,
    pub days: Vec<NaiveDate>,
    pub requests: u64,
    pub errors: u64,
    /// The calling org, for `OtherOrg`.
    pub organization: Option<String>,
}

impl Anomaly {
    /// One evidence line.
    pub fn describe(&self, t: &AnomalyThresholds) -> String {
        let days: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        let days = days.join(", ");
        let (sev, endpoint, requests) = (self.severity.as_str(), &self.endpoint, self.requests);
        match self.kind {
            Kind::NewEndpoint => format!(
                "[{sev}] new endpoint {endpoint}: {requests} requests on {days}, never called in the {} baseline days",
                t.baseline_days
            ),
            Kind::WriteFromReadOnly => format!(
                "[{sev}] write {endpoint}: {requests} requests on {days}, from a client that only read in the {} baseline days",
                t.baseline_days
            ),
            Kind::Probing => format!(
                "[{sev}] refused or throttled calls (4xx+429): {} of {requests} requests ({}%) on {days}, most on {endpoint}",
                self.errors,
                self.errors * 100 / requests.max(1)
            ),
            Kind::OtherOrg => format!(
                "[{sev}] calls from another org {}: {endpoint}: {requests} requests on {days}",
                self.organization.as_deref().unwrap_or("(unnamed)")
            ),
        }
    }
}

/// Write methods: they change something.
pub fn is_write(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// Endpoints about access itself: OAuth clients, authorization (roles, grants), admin.
pub fn is_sensitive(template: &str) -> bool {
    template
        .split('/')
        .any(|s| matches!(s, "oauth" | "authorization" | "admin"))
}

#[derive(Default)]
struct Seen {
    days: BTreeSet<u16>,
    requests: u64,
    errors: u64,
}

/// The anomalies of one client's rows (found by comparison; calls from other orgs come apart).
pub fn detect(
    rows: &[DayRow],
    usage: &UsageDays,
    w: &Window,
    t: &AnomalyThresholds,
) -> Vec<Anomaly> {
    let mut baseline_days = BTreeSet::new();
    let mut baseline_endpoints = BTreeSet::new();
    let mut baseline = Seen::default();
    let mut recent: BTreeMap<u32, Seen> = BTreeMap::new();
    let mut recent_by_day: BTreeMap<u16, (u64, u64)> = BTreeMap::new();
    for r in rows {
        if (w.baseline_from..w.recent_from).contains(&r.day) {
            baseline_days.insert(r.day);
            baseline_endpoints.insert(r.endpoint);
            baseline.requests += u64::from(r.requests);
            baseline.errors += u64::from(r.errors);
        } else if (w.recent_from..w.end).contains(&r.day) {
            let seen = recent.entry(r.endpoint).or_default();
            seen.days.insert(r.day);
            seen.requests += u64::from(r.requests);
            seen.errors += u64::from(r.errors);
            let day = recent_by_day.entry(r.day).or_default();
            day.0 += u64::from(r.requests);
            day.1 += u64::from(r.errors);
        }
    }
    let has_baseline = baseline_days.len() as u64 >= u64::from(t.min_baseline_days.max(1));
    let mut found = if has_baseline {
        endpoint_anomalies(usage, &recent, &baseline_endpoints)
    } else {
        Vec::new()
    };
    let requests: u64 = recent.values().map(|s| s.requests).sum();
    let errors: u64 = recent.values().map(|s| s.errors).sum();
    let share = u64::from(t.error_share_percent);
    let above = |errors: u64, requests: u64| errors * 100 > share * requests;
    // A client that was refused as often in its baseline is misconfigured, not probing.
    let usual = has_baseline && above(baseline.errors, baseline.requests);
    if errors >= t.min_errors && above(errors, requests) && !usual {
        let worst = recent
            .iter()
            .max_by_key(|(_, s)| s.errors)
            .map(|(&e, _)| e)
            .unwrap_or_default();
        let (method, template) = usage.endpoint(worst);
        found.push(Anomaly {
            kind: Kind::Probing,
            severity: Severity::Medium,
            endpoint: format!("{method} {template}"),
            days: recent_by_day
                .iter()
                .filter(|(_, (r, e))| above(*e, *r))
                .map(|(&d, _)| day_date(d))
                .collect(),
            requests,
            errors,
            organization: None,
        });
    }
    found
}

/// Endpoints a client with a baseline called recently and never before (MEDIUM, HIGH for writes
/// and sensitive endpoints), and writes from a client that only read in its baseline (HIGH).
fn endpoint_anomalies(
    usage: &UsageDays,
    recent: &BTreeMap<u32, Seen>,
    baseline_endpoints: &BTreeSet<u32>,
) -> Vec<Anomaly> {
    let baseline_writes = baseline_endpoints
        .iter()
        .any(|&e| is_write(usage.endpoint(e).0));
    let days_of = |seen: &Seen| seen.days.iter().map(|&d| day_date(d)).collect::<Vec<_>>();
    let mut found = Vec::new();
    for (&endpoint, seen) in recent {
        let (method, template) = usage.endpoint(endpoint);
        let new = !baseline_endpoints.contains(&endpoint);
        let kind = if is_write(method) && !baseline_writes {
            Kind::WriteFromReadOnly
        } else if new {
            Kind::NewEndpoint
        } else {
            continue;
        };
        let high = kind == Kind::WriteFromReadOnly || is_write(method) || is_sensitive(template);
        found.push(Anomaly {
            kind,
            severity: if high {
                Severity::High
            } else {
                Severity::Medium
            },
            endpoint: format!("{method} {template}"),
            days: days_of(seen),
            requests: seen.requests,
            errors: seen.errors,
            organization: None,
        });
    }
    found
}

/// The clients that get a per-client usage job (calls from other orgs), at most
/// `max_client_queries`: taken in turn from those with other anomalies and from the busiest of
/// the recent days (a secret used from elsewhere at scale may look like nothing else), each
/// list by recent requests, a client once.
pub fn clients_to_query(usage: &UsageDays, w: &Window, t: &AnomalyThresholds) -> Vec<String> {
    let mut ranked: Vec<(bool, u64, &str)> = usage
        .client_ids()
        .map(|id| {
            let rows = usage.of(id);
            let recent: u64 = rows
                .iter()
                .filter(|r| (w.recent_from..w.end).contains(&r.day))
                .map(|r| u64::from(r.requests))
                .sum();
            let flagged = recent > 0 && !detect(rows, usage, w, t).is_empty();
            (flagged, recent, id)
        })
        .filter(|(_, recent, _)| *recent > 0)
        .collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(b.2)));
    let mut flagged = ranked.iter().filter(|(f, _, _)| *f).map(|(_, _, id)| *id);
    let mut busiest = ranked.iter().map(|(_, _, id)| *id);
    let mut chosen: Vec<String> = Vec::new();
    let limit = t.max_client_queries as usize;
    let mut from_flagged = true;
    while chosen.len() < limit {
        let next = if from_flagged {
            flagged.next().or_else(|| busiest.next())
        } else {
            busiest.next().or_else(|| flagged.next())
        };
        let Some(id) = next else { break };
        if !chosen.iter().any(|c| c == id) {
            chosen.push(id.to_string());
            from_flagged = !from_flagged;
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const TODAY: &str = "2026-12-07";

    /// Client `c` read `GET api/v2/users` on five baseline days.
    fn reader() -> UsageDays {
        let mut u = UsageDays::default();
        for d in [
            "2026-10-01",
            "2026-10-08",
            "2026-11-01",
            "2026-11-10",
            "2026-11-20",
        ] {
            u.add("c", "GET", "api/v2/users", date(d), 100, 0);
        }
        u
    }

    fn found(mut u: UsageDays) -> Vec<Anomaly> {
        u.finish();
        let t = AnomalyThresholds::default();
        detect(u.of("c"), &u, &Window::new(date(TODAY), &t), &t)
    }

    #[test]
    fn a_known_endpoint_in_the_recent_days_is_no_anomaly() {
        let mut u = reader();
        u.add("c", "GET", "api/v2/users", date("2026-12-05"), 500, 0);
        assert_eq!(found(u), vec![]);
    }

    #[test]
    fn a_new_read_endpoint_is_medium_and_an_oauth_one_high_with_days_and_counts() {
        let mut u = reader();
        u.add(
            "c",
            "GET",
            "api/v2/routing/queues",
            date("2026-12-03"),
            7,
            0,
        );
        u.add(
            "c",
            "GET",
            "api/v2/routing/queues",
            date("2026-12-04"),
            5,
            0,
        );
        u.add("c", "GET", "api/v2/oauth/clients", date("2026-12-06"), 2, 0);
        let found = found(u);
        assert_eq!(found.len(), 2);
        let by = |e: &str| found.iter().find(|a| a.endpoint == e).unwrap();
        let oauth = by("GET api/v2/oauth/clients");
        assert_eq!(
            (oauth.kind, oauth.severity),
            (Kind::NewEndpoint, Severity::High)
        );
        let queues = by("GET api/v2/routing/queues");
        assert_eq!(queues.severity, Severity::Medium);
        assert_eq!(queues.days, vec![date("2026-12-03"), date("2026-12-04")]);
        assert_eq!(queues.requests, 12);
        let line = queues.describe(&AnomalyThresholds::default());
        assert!(
            line.contains("2026-12-03, 2026-12-04") && line.contains("12 requests"),
            "{line}"
        );
    }

    #[test]
    fn a_write_from_a_client_that_only_read_is_high() {
        let mut u = reader();
        u.add(
            "c",
            "DELETE",
            "api/v2/users/{userId}",
            date("2026-12-02"),
            40,
            0,
        );
        let found = found(u);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].kind, found[0].severity),
            (Kind::WriteFromReadOnly, Severity::High)
        );
    }

    #[test]
    fn a_client_without_a_baseline_is_not_flagged_for_new_endpoints_or_writes() {
        let mut u = UsageDays::default();
        u.add("c", "GET", "api/v2/users", date("2026-11-30"), 9, 0);
        u.add("c", "POST", "api/v2/users", date("2026-12-05"), 9, 0);
        u.add("c", "GET", "api/v2/oauth/clients", date("2026-12-05"), 9, 0);
        assert_eq!(found(u), vec![], "two baseline days is not a baseline");
    }

    #[test]
    fn a_burst_of_refused_calls_is_probing_but_a_client_always_refused_is_not() {
        let mut u = reader();
        u.add("c", "GET", "api/v2/users", date("2026-12-04"), 100, 2);
        u.add("c", "GET", "api/v2/users", date("2026-12-05"), 300, 280);
        let found = found(u);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, Kind::Probing);
        assert_eq!((found[0].requests, found[0].errors), (400, 282));
        assert_eq!(
            found[0].days,
            vec![date("2026-12-05")],
            "only the day above the share"
        );

        let mut few = reader();
        few.add("c", "GET", "api/v2/users", date("2026-12-05"), 10, 10);
        assert_eq!(super::tests::found(few), vec![], "below the minimum count");

        let mut always = UsageDays::default();
        for d in ["2026-10-01", "2026-10-08", "2026-11-01", "2026-12-05"] {
            always.add("c", "GET", "api/v2/users", date(d), 100, 90);
        }
        assert_eq!(super::tests::found(always), vec![]);
    }

    #[test]
    fn clients_to_query_takes_flagged_and_busiest_clients_in_turn_within_the_bound() {
        let mut u = reader();
        u.add("c", "GET", "api/v2/oauth/clients", date("2026-12-06"), 1, 0);
        for (i, n) in [("busy", 5000), ("quiet", 10), ("old", 0)] {
            u.add(i, "GET", "api/v2/users", date("2026-12-06"), n, 0);
        }
        u.add("old", "GET", "api/v2/users", date("2026-10-06"), 10, 0);
        u.add(
            "probed",
            "GET",
            "api/v2/users",
            date("2026-12-06"),
            100,
            100,
        );
        u.finish();
        let mut t = AnomalyThresholds::default();
        assert_eq!(t.max_client_queries, 5);
        let w = Window::new(date(TODAY), &t);
        t.max_client_queries = 10;
        assert_eq!(
            clients_to_query(&u, &w, &t),
            vec!["probed", "busy", "c", "quiet"],
            "flagged by requests, busiest, flagged, then the rest"
        );
        t.max_client_queries = 2;
        assert_eq!(clients_to_query(&u, &w, &t), vec!["probed", "busy"]);
    }
}
