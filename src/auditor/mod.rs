//! The auditor owns what an audit needs and is the one writer of what an audit changes.
//! Its unit of work, `run`, is begin -> collect -> judge -> install -> store -> prune, with one
//! start time. `refresh` installs a newer stored report (a restore at start, a replica's poll).
//! Every report gauge is set in `publish`, whatever installed the report.

mod assess;
mod catalog;
mod changes;
mod client_config;
mod error;
mod limit;
mod restore;
mod schedule;
mod sync;
mod unit;

pub use self::assess::{assess, new_audit_id};
pub use self::changes::{ChangeTiming, ChangeWatch, Found, change_loop};
pub use self::client_config::{client_config, org_client_config};
pub use self::error::AuditError;
pub use self::limit::AuditLimit;
pub use self::schedule::{AuditHandle, run_loop};
pub use self::sync::{FLUSH_PERIOD, ReportSync, SAFETY_NET_PERIOD};
pub use self::unit::{AlreadyRunning, Auditor, AuditorParts, Ticket};
