//! Daily usage per client, kept compact for the usage-anomaly rule: one 20-byte row per
//! (client, endpoint, day) with interned ids, no strings per row. At 100 000 clients and about
//! ten rows each this is about 20 MB beside the interned names (see BENCHMARKS.md).

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

/// One day of one client's calls to one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRow {
    pub client: u32,
    /// An interned `METHOD templateUri`.
    pub endpoint: u32,
    /// Days since 1970-01-01 (a u16 reaches the year 2149).
    pub day: u16,
    pub requests: u32,
    /// 4xx and 429 answers (capped at `requests`): refused or throttled calls.
    pub errors: u32,
}

/// Calls of a client from another org on one day (a per-client usage job's row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherOrgCall {
    pub organization_id: String,
    pub method: String,
    pub template: String,
    pub day: NaiveDate,
    pub requests: u64,
}

/// Strings seen once each, named by a dense `u32`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    /// About what the names take: twice their bytes and a fixed overhead each.
    bytes: usize,
}

/// What one interned name costs beside its bytes twice (map slot, two box headers).
const NAME_OVERHEAD: usize = 56;

impl Interner {
    fn id(&mut self, name: &str) -> Option<u32> {
        if let Some(&id) = self.ids.get(name) {
            return Some(id);
        }
        let id = u32::try_from(self.names.len()).ok()?;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        self.bytes += 2 * name.len() + NAME_OVERHEAD;
        Some(id)
    }
}

/// The daily rows of every client, sorted by client then day once `finish`ed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageDays {
    clients: Interner,
    endpoints: Interner,
    rows: Vec<DayRow>,
    /// `rows[starts[c]..starts[c + 1]]` are client `c`'s (set by `finish`).
    starts: Vec<u32>,
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

/// The u16 day number of a date (`None` before 1970 or after 2149).
pub fn day_number(date: NaiveDate) -> Option<u16> {
    u16::try_from(date.signed_duration_since(EPOCH).num_days()).ok()
}

/// The date of a u16 day number.
pub fn day_date(day: u16) -> NaiveDate {
    EPOCH
        .checked_add_days(Days::new(u64::from(day)))
        .unwrap_or(EPOCH)
}

impl UsageDays {
    /// Adds one day of a client's calls to `METHOD template`; rows without requests are left out.
    pub fn add(
        &mut self,
        client: &str,
        method: &str,
        template: &str,
        date: NaiveDate,
        requests: u64,
        errors: u64,
    ) {
        let Some(day) = day_number(date) else {
            return;
        };
        if requests == 0 || method.is_empty() || template.is_empty() {
            return;
        }
        let endpoint = format!("{} {template}", method.to_ascii_uppercase());
        let (Some(client), Some(endpoint)) =
            (self.clients.id(client), self.endpoints.id(&endpoint))
        else {
            return;
        };
        let requests = u32::try_from(requests).unwrap_or(u32::MAX);
        self.rows.push(DayRow {
            client,
            endpoint,
            day,
            requests,
            errors: u32::try_from(errors).unwrap_or(u32::MAX).min(requests),
        });
    }

    /// About how many bytes the rows and the names take.
    pub fn kept_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<DayRow>()
            + self.starts.capacity() * 4
            + self.clients.bytes
            + self.endpoints.bytes
    }

    /// Sorts the rows by client, day and endpoint, merges a (client, endpoint, day) read twice
    /// (two jobs meeting inside a day) and indexes each client's rows.
    pub fn finish(&mut self) {
        self.rows
            .sort_unstable_by_key(|r| (r.client, r.day, r.endpoint));
        self.rows.dedup_by(|later, kept| {
            let same =
                (later.client, later.day, later.endpoint) == (kept.client, kept.day, kept.endpoint);
            if same {
                kept.requests = kept.requests.saturating_add(later.requests);
                kept.errors = kept.errors.saturating_add(later.errors).min(kept.requests);
            }
            same
        });
        self.rows.shrink_to_fit();
        let clients = self.clients.names.len();
        self.starts = Vec::with_capacity(clients + 1);
        let mut at = 0usize;
        for c in 0..clients as u32 {
            self.starts.push(at as u32);
            while self.rows.get(at).is_some_and(|r| r.client == c) {
                at += 1;
            }
        }
        self.starts.push(at as u32);
    }

    /// A client's rows by day (empty for a client without calls or before `finish`).
    pub fn of(&self, client_id: &str) -> &[DayRow] {
        let Some(&c) = self.clients.ids.get(client_id) else {
            return &[];
        };
        let c = c as usize;
        match (self.starts.get(c), self.starts.get(c + 1)) {
            (Some(&from), Some(&to)) => self.rows.get(from as usize..to as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The method and template of an endpoint id.
    pub fn endpoint(&self, id: u32) -> (&str, &str) {
        self.endpoints
            .names
            .get(id as usize)
            .and_then(|e| e.split_once(' '))
            .unwrap_or(("", ""))
    }

    /// The client ids that have rows.
    pub fn client_ids(&self) -> impl Iterator<Item = &str> {
        self.clients.names.iter().map(|n| &**n)
    }

    /// How many rows are kept.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rows_are_grouped_by_client_sorted_by_day_and_merged_when_read_twice() {
        let mut days = UsageDays::default();
        days.add("b", "get", "api/v2/users", date("2026-12-03"), 5, 0);
        days.add("a", "POST", "api/v2/users", date("2026-12-02"), 3, 9);
        days.add("b", "GET", "api/v2/users", date("2026-12-01"), 2, 1);
        days.add("b", "GET", "api/v2/users", date("2026-12-03"), 1, 1);
        days.add("c", "GET", "api/v2/users", date("2026-12-03"), 0, 0);
        days.finish();
        assert_eq!(std::mem::size_of::<DayRow>(), 20);
        let b = days.of("b");
        assert_eq!(b.len(), 2);
        assert_eq!(day_date(b[0].day), date("2026-12-01"));
        assert_eq!((b[1].requests, b[1].errors), (6, 1));
        assert_eq!(days.endpoint(b[0].endpoint), ("GET", "api/v2/users"));
        let a = days.of("a");
        assert_eq!(
            (a[0].requests, a[0].errors),
            (3, 3),
            "errors never exceed requests"
        );
        assert!(days.of("c").is_empty() && days.of("nobody").is_empty());
        assert_eq!(days.len(), 3);
    }
}
