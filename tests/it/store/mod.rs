//! The store suite, run on SQLite and on PostgreSQL. PostgreSQL tests need
//! `SCOPEWATCH_TEST_POSTGRES_URL` (`.ci/run` sets it); without it they say so and pass.

mod backends;
mod replicas;
mod service;
mod suite;

pub use backends::*;
