//! The latest good report, swapped in whole after a successful audit. Its JSON, gzip, CSV and
//! ETag are built once at swap time, so requests never serialize or compress the full report.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::audit::report::Report;
use crate::render::to_csv;

/// Findings new since the audit before, and findings of that audit now gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub new: usize,
    pub resolved: usize,
}

/// A report with its ready-made bodies.
pub struct CachedReport {
    pub report: Report,
    pub json: Bytes,
    pub gzip: Bytes,
    pub csv: Bytes,
    /// Strong ETag of the JSON (quoted).
    pub etag: String,
    /// First-seen time of every finding, by fingerprint (carried into the next audit).
    pub first_seen: HashMap<String, DateTime<Utc>>,
    /// Against the audit before it (not part of the report's JSON).
    pub changes: Changes,
}

impl std::fmt::Debug for CachedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedReport")
            .field("audit_id", &self.report.audit_id)
            .field("etag", &self.etag)
            .field("json_bytes", &self.json.len())
            .finish()
    }
}

impl CachedReport {
    pub fn build(report: Report) -> CachedReport {
        let json = report.to_json();
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        let gzip = encoder
            .write_all(json.as_bytes())
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        let digest = Sha256::digest(json.as_bytes());
        let etag = format!("\"{}\"", &format!("{digest:x}")[..32]);
        let first_seen = report
            .clients
            .iter()
            .flat_map(|c| c.findings.iter())
            .map(|f| (f.fingerprint.clone(), f.first_seen))
            .collect();
        CachedReport {
            csv: Bytes::from(to_csv(&report)),
            json: Bytes::from(json),
            gzip: Bytes::from(gzip),
            etag,
            first_seen,
            changes: Changes::default(),
            report,
        }
    }
}

impl CachedReport {
    /// Findings new since `before` and findings of `before` now gone, by fingerprint (the
    /// counts of `audit::diff::diff`, from the fingerprints already at hand).
    pub fn changes_since(&self, before: Option<&CachedReport>) -> Changes {
        let Some(before) = before else {
            return Changes {
                new: self.first_seen.len(),
                resolved: 0,
            };
        };
        let new = self
            .first_seen
            .keys()
            .filter(|f| !before.first_seen.contains_key(*f))
            .count();
        let resolved = before
            .first_seen
            .keys()
            .filter(|f| !self.first_seen.contains_key(*f))
            .count();
        Changes { new, resolved }
    }
}

/// Holds the latest good report for readers; written only by the auditor.
#[derive(Default)]
pub struct ReportCache {
    current: ArcSwapOption<CachedReport>,
}

impl ReportCache {
    pub fn get(&self) -> Option<Arc<CachedReport>> {
        self.current.load_full()
    }

    pub fn set(&self, cached: Arc<CachedReport>) {
        self.current.store(Some(cached));
    }
}
