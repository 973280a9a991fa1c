//! scopewatch: audits the OAuth clients of a Genesys Cloud organization.

pub mod app;
pub mod audit;
pub mod auditor;
pub mod cache;
pub mod cli;
pub mod config;
mod duration;
pub mod genesys;
pub mod history;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod outbox;
mod render;
mod rng;
pub mod sim;
pub mod store;
pub mod telemetry;
