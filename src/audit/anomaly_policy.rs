//! The policy's `[usage_anomaly]` table: the usage-anomaly rule's windows and thresholds, each
//! within its range (an error names the key and the allowed range).

use serde::Deserialize;

use super::anomaly::AnomalyThresholds;

/// `[usage_anomaly]` as written; every key optional (the default in `AnomalyThresholds`).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AnomalyFile {
    baseline_days: Option<u32>,
    recent_days: Option<u32>,
    min_baseline_days: Option<u32>,
    error_share_percent: Option<u32>,
    min_errors: Option<u64>,
    max_client_queries: Option<u32>,
}

/// The thresholds over the defaults, or what is out of range. Baseline and recent days together
/// stay within the year the usage API reaches back.
pub(super) fn anomaly_thresholds(file: AnomalyFile) -> Result<AnomalyThresholds, String> {
    let d = AnomalyThresholds::default();
    let t = AnomalyThresholds {
        baseline_days: file.baseline_days.unwrap_or(d.baseline_days),
        recent_days: file.recent_days.unwrap_or(d.recent_days),
        min_baseline_days: file.min_baseline_days.unwrap_or(d.min_baseline_days),
        error_share_percent: file.error_share_percent.unwrap_or(d.error_share_percent),
        min_errors: file.min_errors.unwrap_or(d.min_errors),
        max_client_queries: file.max_client_queries.unwrap_or(d.max_client_queries),
    };
    let range = |key: &str, value: u64, low: u64, high: u64| {
        if (low..=high).contains(&value) {
            Ok(())
        } else {
            Err(format!(
                "usage_anomaly.{key} must be between {low} and {high}, not {value}"
            ))
        }
    };
    range("recent_days", t.recent_days.into(), 1, 30)?;
    range(
        "baseline_days",
        t.baseline_days.into(),
        7,
        365 - u64::from(t.recent_days),
    )?;
    range(
        "min_baseline_days",
        t.min_baseline_days.into(),
        1,
        t.baseline_days.into(),
    )?;
    range("error_share_percent", t.error_share_percent.into(), 1, 100)?;
    range("min_errors", t.min_errors, 1, u64::from(u32::MAX))?;
    range("max_client_queries", t.max_client_queries.into(), 0, 100)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use crate::audit::policy::AuditPolicy;

    #[test]
    fn the_anomaly_thresholds_default_to_a_90_day_baseline_before_the_last_7_days() {
        let t = AuditPolicy::builtin().usage_anomaly;
        assert_eq!((t.baseline_days, t.recent_days), (90, 7));
        let p = AuditPolicy::parse(
            "[usage_anomaly]\nbaseline_days = 30\nerror_share_percent = 50\nmax_client_queries = 0\n",
        )
        .unwrap();
        assert_eq!(p.usage_anomaly.baseline_days, 30);
        assert_eq!(p.usage_anomaly.error_share_percent, 50);
        assert_eq!(p.usage_anomaly.max_client_queries, 0);
        assert_eq!(p.usage_anomaly.recent_days, 7);
        assert!(
            p.describe()
                .contains("usage anomalies: the last 7 days against the 30 before"),
            "{}",
            p.describe()
        );
    }

    #[test]
    fn an_anomaly_threshold_out_of_range_or_unknown_is_named() {
        for (text, key) in [
            ("recent_days = 0", "usage_anomaly.recent_days"),
            ("baseline_days = 360", "usage_anomaly.baseline_days"),
            ("min_baseline_days = 0", "usage_anomaly.min_baseline_days"),
            (
                "error_share_percent = 101",
                "usage_anomaly.error_share_percent",
            ),
            (
                "max_client_queries = 1000",
                "usage_anomaly.max_client_queries",
            ),
            ("errors_share = 3", "errors_share"),
        ] {
            let e = AuditPolicy::parse(&format!("[usage_anomaly]\n{text}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }
}
