//! scopewatch: audits the OAuth clients of a Genesys Cloud organization.

pub mod audit;
pub mod cli;
pub mod duration;
pub mod genesys;
pub mod rng;
pub mod sim;
