//! The Genesys Cloud Platform API as scopewatch knows it, shared by the client that reads it
//! and the simulator that answers as it does.
//!
//! Two kinds of wire types, on purpose:
//! - [`models`]: the strict shapes the simulator writes and the client reads where the official
//!   SDK models make the fields required (OAuth clients, listings, usage, errors, tokens).
//! - [`read_models`]: lenient shapes for records where the SDK models call every field optional
//!   (the organization, divisions, users, the audit trail, roles): a missing field is `None`, never
//!   a failed page.
//!
//! Beside them: the permission catalog (which operation requires which permission and accepts
//! which scope) and its algebra, the API description parser that refreshes the catalog, the region
//! domains, and two small helpers both sides need (text from outside made safe to keep, and
//! randomness without a dependency).

pub mod client_usage;
pub mod description;
pub mod models;
pub mod permissions;
pub mod read_models;
pub mod regions;
pub mod rng;
pub mod text;
