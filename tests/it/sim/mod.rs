//! The simulator over real HTTP: each wire behaviour and fault switch.

mod authorizations;
mod cli;
mod directory;
mod faults;
mod fidelity;
mod mutate;
mod trail;
mod usage_jobs;
mod wire;

pub use crate::helpers::*;
