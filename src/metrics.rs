//! Prometheus metrics (SPEC §7). `Metrics` owns the registry and the process's own metrics
//! (HTTP, build); each audited org has its `OrgMetrics`, registered in the same registry with
//! the constant label `org` (a configured, bounded set of names). Report gauges change only in
//! `OrgMetrics::set_from_report`, which zeroes label sets that disappeared.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::audit::report::Report;
use crate::genesys::Observer;

const CACHED: &str = "(cached: set from the last completed audit, not computed at scrape time)";

/// The process's metrics and the registry every org's metrics join.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
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
    new_findings: IntGauge,
    resolved_findings: IntGauge,
    store_errors: IntCounterVec,
    pending_writes: IntGauge,
    dropped_writes: prometheus::IntCounter,
    webhook_deliveries: IntCounterVec,
    webhook_retries: prometheus::IntCounter,
    seen_findings: Mutex<BTreeSet<(String, String)>>,
    seen_suppressed: Mutex<BTreeSet<String>>,
}

fn register<T: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: T) -> T {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        let m = Metrics {
            http_requests: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_http_requests_total",
                        "HTTP requests served by route template and status",
                    ),
                    &["route", "status"],
                )
                .unwrap(),
            ),
            http_duration: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "scopewatch_http_request_duration_seconds",
                        "HTTP request duration by route template",
                    )
                    .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
                    &["route"],
                )
                .unwrap(),
            ),
            registry: r,
            orgs: Mutex::new(BTreeMap::new()),
        };
        let build = register(
            &m.registry,
            IntGaugeVec::new(
                Opts::new("scopewatch_build_info", "Build information; always 1"),
                &["version"],
            )
            .unwrap(),
        );
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        m
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

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl OrgMetrics {
    fn new(r: &Registry, org: &str) -> OrgMetrics {
        let m = OrgMetrics {
            clients: register(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "scopewatch_clients",
                        format!("OAuth clients by risk level {CACHED}"),
                    )
                    .const_label("org", org),
                    &["risk_level"],
                )
                .unwrap(),
            ),
            high_risk: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_high_risk_clients",
                    format!("Clients at CRITICAL or HIGH risk {CACHED}"),
                ).const_label("org", org))
                .unwrap(),
            ),
            public_write: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_public_write_risk_clients",
                    format!("Public (implicit grant) clients holding a read-write scope {CACHED}"),
                ).const_label("org", org))
                .unwrap(),
            ),
            findings: register(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "scopewatch_findings",
                        format!("Unsuppressed findings by rule and severity {CACHED}"),
                    )
                    .const_label("org", org),
                    &["rule", "severity"],
                )
                .unwrap(),
            ),
            suppressed: register(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "scopewatch_suppressed_findings",
                        format!("Findings suppressed by a waiver, by rule {CACHED}"),
                    )
                    .const_label("org", org),
                    &["rule"],
                )
                .unwrap(),
            ),
            audit_runs: register(
                r,
                IntCounterVec::new(
                    Opts::new("scopewatch_audit_runs_total", "Audits run, by outcome")
                    .const_label("org", org),
                    &["outcome"],
                )
                .unwrap(),
            ),
            audit_failures: register(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_audit_failures_total",
                        "Failed audits, by reason (a bounded set: credentials, missing_permission, rate_limited, deadline, panic, ...)",
                    )
                    .const_label("org", org),
                    &["reason"],
                )
                .unwrap(),
            ),
            audit_duration: register(
                r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "scopewatch_audit_duration_seconds",
                        "Duration of audits (collection and judgement)",
                    )
                    .const_label("org", org)
                    .buckets(vec![
                        0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
                    ]),
                )
                .unwrap(),
            ),
            last_success_timestamp: register(
                r,
                Gauge::with_opts(Opts::new(
                    "scopewatch_last_audit_success_timestamp_seconds",
                    format!("Unix time the served report was generated {CACHED}"),
                ).const_label("org", org))
                .unwrap(),
            ),
            last_success: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_last_audit_success",
                    "1 if the newest audit (run here or stored by a replica) succeeded, 0 if it failed",
                ).const_label("org", org))
                .unwrap(),
            ),
            upstream_requests: register(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_upstream_requests_total",
                        "Requests to Genesys Cloud by endpoint (route template) and status",
                    )
                    .const_label("org", org),
                    &["endpoint", "status"],
                )
                .unwrap(),
            ),
            upstream_retries: register(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_upstream_retries_total",
                        "Retries of Genesys Cloud calls by reason",
                    )
                    .const_label("org", org),
                    &["reason"],
                )
                .unwrap(),
            ),
            new_findings: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_last_audit_new_findings",
                    "Findings of the last successful audit that the audit before it did not have",
                ).const_label("org", org))
                .unwrap(),
            ),
            resolved_findings: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_last_audit_resolved_findings",
                    "Findings of the audit before the last successful one that it no longer has",
                ).const_label("org", org))
                .unwrap(),
            ),
            store_errors: register(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_store_errors_total",
                        "Database operations that failed, by operation",
                    )
                    .const_label("org", org),
                    &["operation"],
                )
                .unwrap(),
            ),
            pending_writes: register(
                r,
                IntGauge::with_opts(Opts::new(
                    "scopewatch_store_pending_writes",
                    "Finished audits waiting in memory for the database",
                ).const_label("org", org))
                .unwrap(),
            ),
            dropped_writes: register(
                r,
                prometheus::IntCounter::with_opts(Opts::new(
                    "scopewatch_store_dropped_writes_total",
                    "Finished audits dropped unstored because too many waited for the database",
                ).const_label("org", org))
                .unwrap(),
            ),
            webhook_deliveries: register(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "scopewatch_webhook_deliveries_total",
                        "Webhook messages by outcome: sent, failed (every attempt failed) or dropped (the queue was full, or the service stopped first)",
                    )
                    .const_label("org", org),
                    &["outcome"],
                )
                .unwrap(),
            ),
            webhook_retries: register(
                r,
                prometheus::IntCounter::with_opts(Opts::new(
                    "scopewatch_webhook_retries_total",
                    "Webhook attempts that failed and were tried again",
                ).const_label("org", org))
                .unwrap(),
            ),
            seen_findings: Mutex::new(BTreeSet::new()),
            seen_suppressed: Mutex::new(BTreeSet::new()),
        };
        for outcome in ["success", "failure"] {
            m.audit_runs.with_label_values(&[outcome]);
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
        for f in report.clients.iter().flat_map(|c| &c.findings) {
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
