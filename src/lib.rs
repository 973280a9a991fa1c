//! scopewatch: audits the OAuth clients of a Genesys Cloud organization.

pub mod cli;
pub mod duration;
pub mod genesys;
pub mod sim;
