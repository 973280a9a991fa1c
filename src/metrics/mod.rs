//! Prometheus metrics. `Metrics` owns the registry and the process's own metrics
//! (HTTP, build); each audited org has its `OrgMetrics`, registered in the same registry with
//! the constant label `org` (a configured, bounded set of names). Report gauges change only in
//! `OrgMetrics::set_from_report`, which zeroes label sets that disappeared.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use prometheus::{
    Encoder, Gauge, Histogram, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Registry, TextEncoder,
};

use self::families::Registrar;
use crate::audit::report::Report;
use crate::genesys::Observer;

mod families;

/// Why an expensive request was refused 503 `busy` (`scopewatch_http_busy_total{reason}`).
pub const BUSY_REASONS: [&str; 3] = ["queue_full", "waited", "bodies"];

/// The process's metrics and the registry every org's metrics join.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    http_busy: IntCounterVec,
    report_cache_bytes: IntGauge,
    report_cache_capacity: IntGauge,
    report_cache_reports: IntGauge,
    report_cache_lookups: IntCounterVec,
    orgs: Mutex<BTreeMap<String, Arc<OrgMetrics>>>,
}

/// One org's metrics: its report gauges, audits, upstream calls, store and webhook.
pub struct OrgMetrics {
    clients: IntGaugeVec,
    high_risk: IntGauge,
    public_write: IntGauge,
    findings: IntGaugeVec,
    suppressed: IntGaugeVec,
    audit_runs: IntCounterVec,
    audit_failures: IntCounterVec,
    audit_duration: Histogram,
    last_success_timestamp: Gauge,
    last_success: IntGauge,
    upstream_requests: IntCounterVec,
    upstream_retries: IntCounterVec,
    upstream_records_skipped: IntCounterVec,
    usage_reads: IntCounterVec,
    new_findings: IntGauge,
    resolved_findings: IntGauge,
    store_errors: IntCounterVec,
    pending_writes: IntGauge,
    dropped_writes: IntCounter,
    webhook_deliveries: IntCounterVec,
    webhook_retries: IntCounter,
    seen_findings: Mutex<BTreeSet<(String, String)>>,
    seen_suppressed: Mutex<BTreeSet<String>>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let add = Registrar {
            registry: &registry,
            org: None,
        };
        let http_requests = add.add(&families::HTTP_REQUESTS);
        let http_duration = add.add(&families::HTTP_DURATION);
        let http_busy: IntCounterVec = add.add(&families::HTTP_BUSY);
        for reason in BUSY_REASONS {
            http_busy.with_label_values(&[reason]);
        }
        add.add::<IntGaugeVec>(&families::BUILD_INFO)
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        let report_cache_lookups: IntCounterVec = add.add(&families::REPORT_CACHE_LOOKUPS);
        for result in ["hit", "miss"] {
            report_cache_lookups.with_label_values(&[result]);
        }
        Metrics {
            report_cache_bytes: add.add(&families::REPORT_CACHE_BYTES),
            report_cache_capacity: add.add(&families::REPORT_CACHE_CAPACITY),
            report_cache_reports: add.add(&families::REPORT_CACHE_REPORTS),
            report_cache_lookups,
            registry,
            http_requests,
            http_duration,
            http_busy,
            orgs: Mutex::new(BTreeMap::new()),
        }
    }

    /// The metrics of the org named `name`, registered on first use.
    pub fn org(&self, name: &str) -> Arc<OrgMetrics> {
        let mut orgs = self.orgs.lock().unwrap_or_else(|e| e.into_inner());
        orgs.entry(name.to_string())
            .or_insert_with(|| Arc::new(OrgMetrics::new(&self.registry, name)))
            .clone()
    }

    pub fn http_request(&self, route: &str, status: u16, seconds: f64) {
        self.http_requests
            .with_label_values(&[route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route])
            .observe(seconds);
    }

    /// The counter of 503 `busy` refusals by reason (one of `BUSY_REASONS`), for
    /// `http::Expensive` to count into.
    pub fn http_busy(&self) -> IntCounterVec {
        self.http_busy.clone()
    }

    /// What the report cache holds: its bytes, how many orgs' reports, and its budget.
    pub fn set_report_cache(&self, bytes: u64, reports: usize, capacity: u64) {
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.report_cache_bytes.set(gauge(bytes));
        self.report_cache_reports.set(gauge(reports as u64));
        self.report_cache_capacity.set(gauge(capacity));
    }

    /// An org's served report was read from memory (`hit`) or from the database.
    pub fn report_cache_lookup(&self, hit: bool) {
        self.report_cache_lookups
            .with_label_values(&[if hit { "hit" } else { "miss" }])
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl OrgMetrics {
    fn new(registry: &Registry, org: &str) -> OrgMetrics {
        let add = Registrar {
            registry,
            org: Some(org),
        };
        let m = OrgMetrics {
            clients: add.add(&families::CLIENTS),
            high_risk: add.add(&families::HIGH_RISK),
            public_write: add.add(&families::PUBLIC_WRITE),
            findings: add.add(&families::FINDINGS),
            suppressed: add.add(&families::SUPPRESSED),
            audit_runs: add.add(&families::AUDIT_RUNS),
            audit_failures: add.add(&families::AUDIT_FAILURES),
            audit_duration: add.add(&families::AUDIT_DURATION),
            last_success_timestamp: add.add(&families::LAST_SUCCESS_TIMESTAMP),
            last_success: add.add(&families::LAST_SUCCESS),
            upstream_requests: add.add(&families::UPSTREAM_REQUESTS),
            upstream_retries: add.add(&families::UPSTREAM_RETRIES),
            upstream_records_skipped: add.add(&families::UPSTREAM_RECORDS_SKIPPED),
            usage_reads: add.add(&families::USAGE_READS),
            new_findings: add.add(&families::NEW_FINDINGS),
            resolved_findings: add.add(&families::RESOLVED_FINDINGS),
            store_errors: add.add(&families::STORE_ERRORS),
            pending_writes: add.add(&families::PENDING_WRITES),
            dropped_writes: add.add(&families::DROPPED_WRITES),
            webhook_deliveries: add.add(&families::WEBHOOK_DELIVERIES),
            webhook_retries: add.add(&families::WEBHOOK_RETRIES),
            seen_findings: Mutex::new(BTreeSet::new()),
            seen_suppressed: Mutex::new(BTreeSet::new()),
        };
        for outcome in ["success", "failure"] {
            m.audit_runs.with_label_values(&[outcome]);
        }
        for api in ["jobs", "legacy"] {
            m.usage_reads.with_label_values(&[api]);
        }
        for reason in ["rate_limited", "server_error", "timeout", "unauthorized"] {
            m.upstream_retries.with_label_values(&[reason]);
        }
        for outcome in ["sent", "failed", "dropped"] {
            m.webhook_deliveries.with_label_values(&[outcome]);
        }
        m
    }

    /// The only place report gauges change: the served report, its generation time and its
    /// new/resolved findings. Label sets absent from this report go to zero.
    pub fn set_from_report(&self, report: &Report, new_findings: usize, resolved_findings: usize) {
        self.last_success_timestamp
            .set(report.generated_at.timestamp_millis() as f64 / 1000.0);
        self.new_findings.set(new_findings as i64);
        self.resolved_findings.set(resolved_findings as i64);
        for (level, count) in report.summary.by_risk_level.entries() {
            self.clients
                .with_label_values(&[level.as_str()])
                .set(count as i64);
        }
        self.high_risk.set(report.summary.high_risk_count as i64);
        self.public_write
            .set(report.summary.public_write_risks_count as i64);

        let mut findings = std::collections::BTreeMap::<(String, String), i64>::new();
        let mut suppressed = std::collections::BTreeMap::<String, i64>::new();
        // The org's own findings count under their rule as a client's do.
        let org_findings = report.organization_findings.iter();
        let app_findings = report.third_party_apps.iter().flat_map(|a| &a.findings);
        for f in report
            .clients
            .iter()
            .flat_map(|c| &c.findings)
            .chain(org_findings)
            .chain(app_findings)
        {
            if f.suppressed {
                *suppressed.entry(f.rule_id.to_string()).or_default() += 1;
            } else {
                *findings
                    .entry((f.rule_id.to_string(), f.severity.as_str().to_string()))
                    .or_default() += 1;
            }
        }
        let mut seen = self.seen_findings.lock().unwrap_or_else(|e| e.into_inner());
        for (rule, severity) in seen.iter() {
            if !findings.contains_key(&(rule.clone(), severity.clone())) {
                self.findings.with_label_values(&[rule, severity]).set(0);
            }
        }
        for ((rule, severity), n) in &findings {
            self.findings.with_label_values(&[rule, severity]).set(*n);
            seen.insert((rule.clone(), severity.clone()));
        }
        let mut seen = self
            .seen_suppressed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for rule in seen.iter() {
            if !suppressed.contains_key(rule) {
                self.suppressed.with_label_values(&[rule]).set(0);
            }
        }
        for (rule, n) in &suppressed {
            self.suppressed.with_label_values(&[rule]).set(*n);
            seen.insert(rule.clone());
        }
    }

    pub fn audit_succeeded(&self, seconds: f64) {
        self.audit_runs.with_label_values(&["success"]).inc();
        self.audit_duration.observe(seconds);
    }

    pub fn audit_failed(&self, seconds: f64, reason: &str) {
        self.audit_runs.with_label_values(&["failure"]).inc();
        self.audit_failures.with_label_values(&[reason]).inc();
        self.audit_duration.observe(seconds);
    }

    /// Whether the newest known audit succeeded.
    pub fn set_last_audit_success(&self, ok: bool) {
        self.last_success.set(i64::from(ok));
    }

    pub fn store_dropped_write(&self) {
        self.dropped_writes.inc();
    }

    /// One webhook message done with: `sent`, `failed` or `dropped`.
    pub fn webhook_delivery(&self, outcome: &'static str) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
    }

    pub fn webhook_retry(&self) {
        self.webhook_retries.inc();
    }

    pub fn store_error(&self, operation: &str) {
        self.store_errors.with_label_values(&[operation]).inc();
    }

    pub fn set_pending_writes(&self, n: usize) {
        self.pending_writes.set(n as i64);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Observer for OrgMetrics {
    fn request(&self, endpoint: &str, status: &str) {
        self.upstream_requests
            .with_label_values(&[endpoint, status])
            .inc();
    }

    fn retry(&self, reason: &'static str) {
        self.upstream_retries.with_label_values(&[reason]).inc();
    }

    fn records_skipped(&self, endpoint: &str, count: u64) {
        self.upstream_records_skipped
            .with_label_values(&[endpoint])
            .inc_by(count);
    }

    fn usage_api(&self, api: &'static str) {
        self.usage_reads.with_label_values(&[api]).inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::policy::AuditPolicy;
    use crate::audit::rules::testkit::{client, snapshot, with_roles};
    use crate::audit::snapshot::Client;
    use crate::audit::{AuditRun, judge};

    fn report(clients: Vec<Client>) -> Report {
        let mut s = snapshot();
        s.clients = clients;
        let at = s.collected_at;
        let run = AuditRun {
            audit_id: "t".into(),
            started_at: at,
            generated_at: at,
            first_seen: &|_| None,
        };
        judge(s, &AuditPolicy::builtin(), &run)
    }

    #[test]
    fn vanished_label_sets_go_back_to_zero() {
        let all = Metrics::new();
        let m = all.org("default");
        m.set_from_report(
            &report(vec![with_roles(
                client("CLIENT-CREDENTIALS"),
                &[("master", "*")],
            )]),
            1,
            0,
        );
        let text = all.render();
        assert!(
            text.contains(
                "scopewatch_findings{org=\"default\",rule=\"admin-role\",severity=\"CRITICAL\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("scopewatch_clients{org=\"default\",risk_level=\"CRITICAL\"} 1"));
        let mut fixed = client("CODE");
        fixed.id = "c2".into();
        m.set_from_report(&report(vec![fixed]), 0, 1);
        let text = all.render();
        assert!(
            text.contains(
                "scopewatch_findings{org=\"default\",rule=\"admin-role\",severity=\"CRITICAL\"} 0"
            ),
            "{text}"
        );
        assert!(text.contains("scopewatch_clients{org=\"default\",risk_level=\"CRITICAL\"} 0"));
        assert!(text.contains("scopewatch_high_risk_clients{org=\"default\"} 0"));
    }

    #[test]
    fn each_org_has_its_own_series_in_one_exposition() {
        let all = Metrics::new();
        let acme = all.org("acme");
        let globex = all.org("globex");
        assert!(Arc::ptr_eq(&acme, &all.org("acme")), "registered once");
        acme.set_from_report(
            &report(vec![with_roles(
                client("CLIENT-CREDENTIALS"),
                &[("master", "*")],
            )]),
            1,
            0,
        );
        globex.audit_failed(1.0, "credentials");
        globex.set_last_audit_success(false);
        acme.set_last_audit_success(true);
        let text = all.render();
        for line in [
            "scopewatch_high_risk_clients{org=\"acme\"} 1",
            "scopewatch_high_risk_clients{org=\"globex\"} 0",
            "scopewatch_last_audit_success{org=\"acme\"} 1",
            "scopewatch_last_audit_success{org=\"globex\"} 0",
            "scopewatch_audit_failures_total{org=\"globex\",reason=\"credentials\"} 1",
            "scopewatch_audit_runs_total{org=\"acme\",outcome=\"failure\"} 0",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert_eq!(
            text.matches("# TYPE scopewatch_high_risk_clients gauge")
                .count(),
            1,
            "one family for every org"
        );
    }
}
