//! Genesys Cloud: the wire types, the HTTP client and the collection of a `Snapshot`.

mod auth;
mod client;
mod error;
mod gate;
mod listing;
mod records;
mod sources;
mod stream;
pub mod trail;
mod usage_evidence;
mod usage_jobs;

pub use client::{ClientConfig, GenesysClient, Limits, NoObserver, Observer};
pub use error::{CredentialsOrigin, GenesysError};
pub use sources::{Progress, auditor_permissions, collect};
