//! The metric families as a table: name, help and labels, one row each. Dashboards and tests
//! read these strings, so a row changes only on purpose; `Registrar::add` is the one place a
//! family becomes a collector in the registry.

use prometheus::core::Collector;
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry,
};

const CACHED: &str = "(cached: set from the last completed audit, not computed at scrape time)";

/// One metric family: its name, help, variable labels and (histograms) buckets.
pub(super) struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    /// A report gauge: its help says it is set from the last audit, not at scrape time.
    cached: bool,
}

const fn row(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Family {
    Family {
        name,
        help,
        labels,
        buckets: &[],
        cached: false,
    }
}

const fn cached(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Family {
    Family {
        cached: true,
        ..row(name, help, labels)
    }
}

const fn timed(name: &'static str, help: &'static str, buckets: &'static [f64]) -> Family {
    Family {
        buckets,
        ..row(name, help, &[])
    }
}

pub(super) const HTTP_REQUESTS: Family = row(
    "scopewatch_http_requests_total",
    "HTTP requests served by route template and status",
    &["route", "status"],
);
pub(super) const HTTP_BUSY: Family = row(
    "scopewatch_http_busy_total",
    "Expensive requests answered 503 busy, by why: queue_full, waited (10 s in the queue) or bodies (stored report bodies being sent)",
    &["reason"],
);
pub(super) const HTTP_DURATION: Family = Family {
    labels: &["route"],
    ..timed(
        "scopewatch_http_request_duration_seconds",
        "HTTP request duration by route template",
        &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0],
    )
};
pub(super) const BUILD_INFO: Family = row(
    "scopewatch_build_info",
    "Build information; always 1",
    &["version"],
);

pub(super) const REPORT_CACHE_BYTES: Family = row(
    "scopewatch_report_cache_bytes",
    "Bytes of reports kept in memory (each counted as its JSON length plus its gzip), within SCOPEWATCH_REPORT_CACHE_MB",
    &[],
);
pub(super) const REPORT_CACHE_CAPACITY: Family = row(
    "scopewatch_report_cache_capacity_bytes",
    "The report cache's budget (SCOPEWATCH_REPORT_CACHE_MB in bytes)",
    &[],
);
pub(super) const REPORT_CACHE_REPORTS: Family = row(
    "scopewatch_report_cache_reports",
    "Orgs whose report is kept in memory",
    &[],
);
pub(super) const REPORT_CACHE_LOOKUPS: Family = row(
    "scopewatch_report_cache_lookups_total",
    "Reads of an org's served report by result: hit (in memory) or miss (read from the database)",
    &["result"],
);

pub(super) const CLIENTS: Family = cached(
    "scopewatch_clients",
    "OAuth clients by risk level",
    &["risk_level"],
);
pub(super) const HIGH_RISK: Family = cached(
    "scopewatch_high_risk_clients",
    "Clients at CRITICAL or HIGH risk",
    &[],
);
pub(super) const PUBLIC_WRITE: Family = cached(
    "scopewatch_public_write_risk_clients",
    "Public (implicit grant) clients holding a read-write scope",
    &[],
);
pub(super) const FINDINGS: Family = cached(
    "scopewatch_findings",
    "Unsuppressed findings by rule and severity",
    &["rule", "severity"],
);
pub(super) const SUPPRESSED: Family = cached(
    "scopewatch_suppressed_findings",
    "Findings suppressed by a waiver, by rule",
    &["rule"],
);
pub(super) const AUDIT_RUNS: Family = row(
    "scopewatch_audit_runs_total",
    "Audits run, by outcome",
    &["outcome"],
);
pub(super) const AUDIT_FAILURES: Family = row(
    "scopewatch_audit_failures_total",
    "Failed audits, by reason (a bounded set: credentials, missing_permission, rate_limited, deadline, panic, ...)",
    &["reason"],
);
pub(super) const AUDIT_DURATION: Family = timed(
    "scopewatch_audit_duration_seconds",
    "Duration of audits (collection and judgement)",
    &[
        0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
    ],
);
pub(super) const LAST_SUCCESS_TIMESTAMP: Family = cached(
    "scopewatch_last_audit_success_timestamp_seconds",
    "Unix time the served report was generated",
    &[],
);
pub(super) const LAST_SUCCESS: Family = row(
    "scopewatch_last_audit_success",
    "1 if the newest audit (run here or stored by a replica) succeeded, 0 if it failed",
    &[],
);
pub(super) const UPSTREAM_REQUESTS: Family = row(
    "scopewatch_upstream_requests_total",
    "Requests to Genesys Cloud by endpoint (route template) and status",
    &["endpoint", "status"],
);
pub(super) const UPSTREAM_RETRIES: Family = row(
    "scopewatch_upstream_retries_total",
    "Retries of Genesys Cloud calls by reason",
    &["reason"],
);
pub(super) const UPSTREAM_RECORDS_SKIPPED: Family = row(
    "scopewatch_upstream_records_skipped_total",
    "Upstream records that did not parse and were skipped, by endpoint (route template)",
    &["endpoint"],
);
pub(super) const USAGE_READS: Family = row(
    "scopewatch_usage_reads_total",
    "Usage reads by the API that answered: jobs (the usage jobs API) or legacy (POST /api/v2/usage/query, used only where the jobs API answers 404 or 501)",
    &["api"],
);
pub(super) const NEW_FINDINGS: Family = row(
    "scopewatch_last_audit_new_findings",
    "Findings of the last successful audit that the audit before it did not have",
    &[],
);
pub(super) const RESOLVED_FINDINGS: Family = row(
    "scopewatch_last_audit_resolved_findings",
    "Findings of the audit before the last successful one that it no longer has",
    &[],
);
pub(super) const STORE_ERRORS: Family = row(
    "scopewatch_store_errors_total",
    "Database operations that failed, by operation",
    &["operation"],
);
pub(super) const PENDING_WRITES: Family = row(
    "scopewatch_store_pending_writes",
    "Finished audits waiting in memory for the database",
    &[],
);
pub(super) const DROPPED_WRITES: Family = row(
    "scopewatch_store_dropped_writes_total",
    "Finished audits dropped unstored because too many waited for the database",
    &[],
);
pub(super) const WEBHOOK_DELIVERIES: Family = row(
    "scopewatch_webhook_deliveries_total",
    "Webhook messages by outcome: sent, failed (every attempt failed) or dropped (the queue was full, or the service stopped first)",
    &["outcome"],
);
pub(super) const WEBHOOK_RETRIES: Family = row(
    "scopewatch_webhook_retries_total",
    "Webhook attempts that failed and were tried again",
    &[],
);

/// A collector type that a `Family` row can build.
pub(super) trait Build: Collector + Clone + Sized + 'static {
    /// The collector for `family`, with `opts` already holding its name, help and constant labels.
    fn build(family: &Family, opts: Opts) -> prometheus::Result<Self>;
}

impl Build for IntGauge {
    fn build(_: &Family, opts: Opts) -> prometheus::Result<Self> {
        IntGauge::with_opts(opts)
    }
}

impl Build for Gauge {
    fn build(_: &Family, opts: Opts) -> prometheus::Result<Self> {
        Gauge::with_opts(opts)
    }
}

impl Build for IntCounter {
    fn build(_: &Family, opts: Opts) -> prometheus::Result<Self> {
        IntCounter::with_opts(opts)
    }
}

impl Build for IntGaugeVec {
    fn build(family: &Family, opts: Opts) -> prometheus::Result<Self> {
        IntGaugeVec::new(opts, family.labels)
    }
}

impl Build for IntCounterVec {
    fn build(family: &Family, opts: Opts) -> prometheus::Result<Self> {
        IntCounterVec::new(opts, family.labels)
    }
}

impl Build for Histogram {
    fn build(family: &Family, opts: Opts) -> prometheus::Result<Self> {
        Histogram::with_opts(histogram_opts(family, opts))
    }
}

impl Build for HistogramVec {
    fn build(family: &Family, opts: Opts) -> prometheus::Result<Self> {
        HistogramVec::new(histogram_opts(family, opts), family.labels)
    }
}

fn histogram_opts(family: &Family, opts: Opts) -> HistogramOpts {
    HistogramOpts {
        common_opts: opts,
        buckets: family.buckets.to_vec(),
    }
}

/// Registers families in one registry, each with the constant label `org` when one is given.
pub(super) struct Registrar<'a> {
    pub(super) registry: &'a Registry,
    pub(super) org: Option<&'a str>,
}

impl Registrar<'_> {
    /// The collector of `family`, registered.
    pub(super) fn add<C: Build>(&self, family: &Family) -> C {
        let help = if family.cached {
            format!("{} {CACHED}", family.help)
        } else {
            family.help.to_string()
        };
        let mut opts = Opts::new(family.name, help);
        if let Some(org) = self.org {
            opts = opts.const_label("org", org);
        }
        let metric = C::build(family, opts).expect("the family table is valid");
        self.registry
            .register(Box::new(metric.clone()))
            .expect("metric names are unique");
        metric
    }
}
