//! Genesys Cloud: the wire types, the HTTP client and the collection of a `Snapshot`.

mod auth;
mod client;
mod collect;
pub mod description;
mod error;
mod gate;
pub mod models;
pub mod read_models;
pub mod regions;
mod stream;
pub mod trail;
mod usage_evidence;

pub use client::{ClientConfig, GenesysClient, Limits, NoObserver, Observer};
pub use collect::{Progress, collect};
pub use error::GenesysError;
