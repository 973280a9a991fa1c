//! The Genesys client and the audit against the simulator over HTTP: faults, the fixture org's
//! full report, the request budget, the change poller, and the `audit` command.

mod anomaly;
mod catalog;
mod changes;
mod cli;
mod faults;
mod fixture;
mod grants;
mod records;
mod scale;
mod trail;
mod trail_records;
mod usage;

pub use crate::helpers::*;
pub use scopewatch::audit::policy::AuditPolicy;
pub use scopewatch::genesys::{GenesysClient, NoObserver};
pub use scopewatch_sim::RunningSim;
