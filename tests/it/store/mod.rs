//! The store suite, run on SQLite and on PostgreSQL. PostgreSQL tests need
//! `SCOPEWATCH_TEST_POSTGRES_URL` (`.ci/run` sets it) when they are built; without it they are
//! reported as ignored.

mod backends;
mod replicas;
mod service;
mod suite;

pub use backends::*;

/// A report's JSON as the store takes it: gzip-compressed.
pub fn gzip_report(json: &str) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(json.as_bytes()).unwrap();
    encoder.finish().unwrap()
}
