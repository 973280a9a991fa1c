//! scopewatch: audits the OAuth clients of a Genesys Cloud organization.

pub mod audit;
pub mod auditor;
pub mod cli;
pub mod config;
pub mod duration;
pub mod genesys;
pub mod render;
pub mod rng;
pub mod sim;
pub mod telemetry;
