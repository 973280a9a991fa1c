//! scopewatch: audits the OAuth clients of a Genesys Cloud organization.

pub mod app;
pub mod audit;
pub mod auditor;
pub mod cache;
pub mod cli;
pub mod config;
mod demo;
mod duration;
pub mod genesys;
pub mod history;
pub mod http;
pub mod memory;
pub mod metrics;
pub mod notify;
mod orgs_file;
pub mod outbox;
mod permissions;
pub mod render;
pub mod store;
pub mod telemetry;

/// Property-test settings: `n` cases, or `PROPTEST_CASES` when set (CI runs a longer smoke).
#[cfg(test)]
pub(crate) fn proptest_config(n: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = n;
    }
    config
}
