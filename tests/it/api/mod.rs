//! The service over HTTP: the app on port 0 against the simulator, audits driven by calling
//! the unit of work.

mod audits;
mod auth;
mod openapi;
mod pages;
mod remediation;
mod report;
mod shutdown;

pub use crate::helpers::*;
