//! The Genesys client and the audit against the simulator over HTTP: faults, the fixture org's
//! full report, the request budget, and the `audit` command.

mod cli;
mod faults;
mod fixture;
mod scale;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use scopewatch::audit::policy::AuditPolicy;
use scopewatch::audit::report::Report;
use scopewatch::auditor::audit_once;
use scopewatch::genesys::{ClientConfig, GenesysClient, GenesysError, NoObserver};
use scopewatch::sim::{self, Org, OrgSize, RunningSim, SimSettings};
use secrecy::SecretString;

pub const CLIENT_ID: &str = "test-auditor";
pub const SECRET: &str = "s3cr3t-auditor-value-77";

pub fn generated_org(clients: usize, roles: usize) -> Org {
    let mut org = sim::generate(&OrgSize {
        clients,
        roles,
        seed: 42,
        anchor: chrono::Utc::now().date_naive(),
    });
    org.ensure_auditor(CLIENT_ID, SECRET);
    org
}

pub async fn start(org: Org, settings: SimSettings) -> RunningSim {
    sim::start_on_loopback(org, settings).await.unwrap()
}

/// Fast retries and polls so fault tests take milliseconds, not minutes.
pub fn config(sim: &RunningSim) -> ClientConfig {
    let mut c = ClientConfig::new(
        CLIENT_ID.into(),
        SecretString::from(SECRET),
        "mypurecloud.com".into(),
        sim.base_url(),
        sim.base_url(),
    );
    c.backoff_base = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c.usage_poll_interval = Duration::from_millis(20);
    c.request_timeout = Duration::from_secs(5);
    c.max_requests_per_minute = 300;
    c
}

pub async fn run(config: ClientConfig, policy: &AuditPolicy) -> Result<Report, GenesysError> {
    let client = GenesysClient::new(config, Arc::new(NoObserver)).unwrap();
    audit_once("test-audit".into(), &client, policy, &|_| None, &|_| {}).await
}

pub fn days_ago(days: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Duration::days(days)
}

/// Asserts the auditor's secret appears nowhere in `text`.
pub fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the client secret leaked: {text}");
}
