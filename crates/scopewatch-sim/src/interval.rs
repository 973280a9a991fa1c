//! ISO-8601 intervals as the Genesys models document them: `start/end` where each end is
//! RFC 3339 with a zone, `YYYY-MM-DDThh:mm:ss` without one (UTC), a date, or a month
//! (`2020-01/2020-06`, as the usage blog writes it); and the timestamps generated orgs carry.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::params::Invalid;
use genesys_api::rng::Rng;

/// One end of an interval; `None` when it is none of the documented forms.
pub(super) fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(text, format) {
            return Some(d.and_utc());
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d"))
        .ok()?;
    date.and_hms_opt(0, 0, 0).map(|d| d.and_utc())
}

/// `start/end`, with `end` after `start`; the error names the interval and what is wrong.
pub(super) fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), Invalid> {
    let (start, end) = text
        .split_once('/')
        .and_then(|(a, b)| Some((parse_instant(a)?, parse_instant(b)?)))
        .ok_or_else(|| {
            Invalid(format!(
                "interval '{text}' is not an ISO-8601 interval start/end"
            ))
        })?;
    if end <= start {
        return Err(Invalid(format!(
            "interval '{text}': the end must be after the start"
        )));
    }
    Ok((start, end))
}

/// A random time on `day`, as Genesys writes dates (`yyyy-MM-ddTHH:mm:ss.mmmZ`).
pub(super) fn timestamp(day: NaiveDate, rng: &mut Rng) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        day.format("%Y-%m-%d"),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_interval_form_parses() {
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        };
        for (text, start, end) in [
            (
                "2026-10-01T00:00:00Z/2026-11-01T00:00:00Z",
                day(2026, 10, 1),
                day(2026, 11, 1),
            ),
            (
                "2026-10-01T00:00:00/2026-11-01T00:00:00",
                day(2026, 10, 1),
                day(2026, 11, 1),
            ),
            (
                "2026-10-01T02:00:00+02:00/2026-11-01",
                day(2026, 10, 1),
                day(2026, 11, 1),
            ),
            ("2020-01/2020-06", day(2020, 1, 1), day(2020, 6, 1)),
        ] {
            assert_eq!(parse_interval(text), Ok((start, end)), "{text}");
        }
        assert!(
            parse_interval("2026-11-01/2026-10-01")
                .unwrap_err()
                .0
                .contains("after")
        );
        assert!(
            parse_interval("yesterday")
                .unwrap_err()
                .0
                .contains("'yesterday'")
        );
        assert!(parse_interval("2026-13/2026-14").is_err());
    }
}
