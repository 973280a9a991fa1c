//! The service over HTTP: the app on port 0 against the simulator, audits driven by calling
//! the unit of work.

mod audits;
mod auth;
#[path = "../common/mod.rs"]
mod common;
mod openapi;
mod report;
mod shutdown;

pub use common::*;
