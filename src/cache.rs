//! The latest good report, swapped in whole after a successful audit. Its JSON, gzip and ETag
//! are built once at swap time; other views (CSV, filters) are built once on first request, off
//! the async threads, and kept with the report, so requests never serialize or compress twice.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

pub use self::budget::{BudgetStats, ReportBudget};
use self::budget::{Evict, Member};
use crate::audit::report::{ClientReport, OrganizationRef, Report, Summary};
use crate::store::{Store, StoreError, StoredReport};

mod budget;

/// One rendered body of a report view, kept gzip-compressed (what nearly every client takes);
/// an answer without gzip inflates it as it is sent.
pub struct View {
    pub gzip: Bytes,
    /// The body's length uncompressed.
    pub len: u64,
}

impl View {
    /// Compresses `body` (fast level: views are built on request).
    pub fn new(body: String) -> Arc<View> {
        let gzip = gzip(body.as_bytes(), Compression::fast());
        Arc::new(View {
            gzip,
            len: body.len() as u64,
        })
    }

    /// The body, inflated from the gzip as it is read.
    pub fn reader(&self) -> impl std::io::Read + Send + 'static {
        flate2::read::GzDecoder::new(std::io::Cursor::new(self.gzip.clone()))
    }
}

fn gzip(bytes: &[u8], level: Compression) -> Bytes {
    let mut encoder = GzEncoder::new(Vec::new(), level);
    Bytes::from(
        encoder
            .write_all(bytes)
            .and_then(|()| encoder.finish())
            .unwrap_or_default(),
    )
}

/// Filtered views of one report, built on first request and kept while the report is served:
/// the most recent `MAX_VIEWS` of them, so any number of distinct query strings stays bounded.
#[derive(Default)]
pub struct Views {
    recent: std::sync::Mutex<std::collections::VecDeque<(String, Arc<View>)>>,
    /// Held while a view is built: 64 clients asking for the same new view at once must not
    /// build it 64 times (each build is megabytes of JSON and gzip).
    building: tokio::sync::Mutex<()>,
    built: std::sync::atomic::AtomicUsize,
}

const MAX_VIEWS: usize = 32;

impl Views {
    pub fn get(&self, key: &str) -> Option<Arc<View>> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let at = recent.iter().position(|(k, _)| k == key)?;
        // Most recently used at the back.
        let entry = recent.remove(at)?;
        let view = entry.1.clone();
        recent.push_back(entry);
        Some(view)
    }

    pub fn len(&self) -> usize {
        self.recent.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until no other view of this report is being built; check `get` again after.
    pub async fn building(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.building.lock().await
    }

    /// How many views were built (put) for this report.
    pub fn built(&self) -> usize {
        self.built.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn put(&self, key: String, view: Arc<View>) {
        self.built
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|(k, _)| *k != key);
        recent.push_back((key, view));
        while recent.len() > MAX_VIEWS {
            recent.pop_front();
        }
    }
}

/// Findings new since the audit before, and findings of that audit now gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub new: usize,
    pub resolved: usize,
}

/// A report with its ready-made bodies.
pub struct CachedReport {
    pub report: Report,
    /// The compact JSON, gzip-compressed: what is served (and stored). The JSON itself is not
    /// kept (tens of MB); an answer without gzip is inflated from this as it is sent.
    pub json: Arc<View>,
    /// Strong ETag of the JSON (quoted).
    pub etag: String,
    /// First-seen time of every finding, by fingerprint (carried into the next audit).
    pub first_seen: HashMap<String, DateTime<Utc>>,
    /// Against the audit before it (not part of the report's JSON).
    pub changes: Changes,
    /// Filtered views requested since it was installed.
    pub views: Views,
    /// Indices of `report.clients` sorted by client id, for `/clients/{id}`.
    by_id: Vec<u32>,
}

impl std::fmt::Debug for CachedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedReport")
            .field("audit_id", &self.report.audit_id)
            .field("etag", &self.etag)
            .field("json_bytes", &self.json.len)
            .finish()
    }
}

/// Writes reach the digest and the encoder in pieces this large.
const WRITE_BUFFER: usize = 256 << 10;

/// Where the report's JSON goes as it is written: its digest, its length and its gzip, so the
/// JSON itself is never held.
struct Digested<W> {
    digest: Sha256,
    len: u64,
    out: W,
}

impl<W: Write> Write for Digested<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.digest.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl CachedReport {
    pub fn build(report: Report) -> CachedReport {
        let mut json = Digested {
            digest: Sha256::new(),
            len: 0,
            out: GzEncoder::new(Vec::new(), Compression::default()),
        };
        // Writing to memory fails only if serializing does, which our types never do; should it,
        // the empty body is logged, and the stored row reads as unreadable. Buffered: the
        // serializer writes token by token, and the encoder zero-fills its 32 KiB output buffer
        // on every write it is given (perf: 54% of a 50-org round in memset).
        let mut buffered = std::io::BufWriter::with_capacity(WRITE_BUFFER, &mut json);
        let written = report
            .write_json(&mut buffered, false)
            .and_then(|()| buffered.flush());
        drop(buffered);
        let gzip = written
            .and_then(|()| json.out.try_finish())
            .map(|()| std::mem::take(json.out.get_mut()))
            .unwrap_or_else(|e| {
                tracing::error!(audit_id = report.audit_id, error = %e, "cannot write the report's JSON");
                Vec::new()
            });
        let etag = format!("\"{}\"", &format!("{:x}", json.digest.finalize())[..32]);
        let first_seen = report
            .clients
            .iter()
            .flat_map(|c| c.findings.iter())
            .chain(&report.organization_findings)
            .chain(report.third_party_apps.iter().flat_map(|a| &a.findings))
            .map(|f| (f.fingerprint.clone(), f.first_seen))
            .collect();
        let mut by_id: Vec<u32> = (0..report.clients.len() as u32).collect();
        by_id.sort_unstable_by(|a, b| {
            report.clients[*a as usize]
                .client_id
                .cmp(&report.clients[*b as usize].client_id)
        });
        CachedReport {
            json: Arc::new(View {
                gzip: Bytes::from(gzip),
                len: json.len,
            }),
            etag,
            first_seen,
            changes: Changes::default(),
            views: Views::default(),
            by_id,
            report,
        }
    }

    /// What keeping it counts against `SCOPEWATCH_REPORT_CACHE_MB`: the compact JSON's length
    /// plus its gzip. A measure known exactly and at once, not the heap: the parsed report that
    /// views and `/clients/{id}` are built from takes more than its JSON.
    pub fn kept_bytes(&self) -> u64 {
        self.json.len + self.json.gzip.len() as u64
    }

    /// One client of the report by id, found by binary search.
    pub fn client(&self, client_id: &str) -> Option<&ClientReport> {
        let clients = &self.report.clients;
        self.by_id
            .binary_search_by(|i| clients[*i as usize].client_id.as_str().cmp(client_id))
            .ok()
            .map(|at| &clients[self.by_id[at] as usize])
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
        // An earlier finding of a client unreadable now is not known to be resolved.
        let unreadable = crate::audit::diff::unreadable_ids(&self.report);
        let resolved = before
            .report
            .clients
            .iter()
            .filter(|c| !unreadable.contains(c.client_id.as_str()))
            .flat_map(|c| &c.findings)
            .chain(&before.report.organization_findings)
            .chain(
                before
                    .report
                    .third_party_apps
                    .iter()
                    .flat_map(|a| &a.findings),
            )
            .filter(|f| !self.first_seen.contains_key(&f.fingerprint))
            .count();
        Changes { new, resolved }
    }
}

/// What is known of the served report without it: enough for ETags, `/orgs` and the refresh,
/// kept for every org whether or not its report is in memory.
#[derive(Debug)]
pub struct Brief {
    pub audit_id: String,
    pub generated_at: DateTime<Utc>,
    pub complete: bool,
    pub etag: String,
    /// The compact JSON's length.
    pub json_len: u64,
    pub organization: Option<OrganizationRef>,
    pub summary: Summary,
    /// The title of the plan's first action.
    pub first_action: Option<String>,
    /// The org-level findings, for `/orgs` (a handful at most).
    pub organization_findings: Vec<OrgFindingBrief>,
    pub changes: Changes,
}

/// An org-level finding as `/orgs` shows it: its rule, the rule's title, severity, and whether
/// a waiver suppresses it.
#[derive(Debug, Clone)]
pub struct OrgFindingBrief {
    pub rule_id: String,
    pub title: String,
    pub severity: crate::audit::rules::Severity,
    pub suppressed: bool,
}

impl Brief {
    fn of(cached: &CachedReport) -> Brief {
        let r = &cached.report;
        Brief {
            audit_id: r.audit_id.clone(),
            generated_at: r.generated_at,
            complete: r.complete,
            etag: cached.etag.clone(),
            json_len: cached.json.len,
            organization: r.organization.clone(),
            summary: r.summary.clone(),
            first_action: r.actions.first().map(|a| a.title.clone()),
            organization_findings: r
                .organization_findings
                .iter()
                .map(|f| OrgFindingBrief {
                    rule_id: f.rule_id.to_string(),
                    title: r.rule_title(&f.rule_id).to_string(),
                    severity: f.severity,
                    suppressed: f.suppressed,
                })
                .collect(),
            changes: cached.changes,
        }
    }
}

/// The org's report while it is kept in memory; the budget empties it.
#[derive(Default)]
struct Resident(ArcSwapOption<CachedReport>);

impl Evict for Resident {
    fn evict(&self) {
        self.0.store(None);
    }
}

/// Holds the latest good report for readers; written only by the auditor. The report stays in
/// memory while the process's report budget (`SCOPEWATCH_REPORT_CACHE_MB`) keeps it; after that
/// it is read back from the database when asked for.
pub struct ReportCache {
    resident: Arc<Resident>,
    brief: ArcSwapOption<Brief>,
    budget: Arc<ReportBudget>,
    member: Member,
    /// Where an evicted report is read back from (`None`: never evicted).
    store: Option<Arc<Store>>,
    /// One read-back at a time: many readers of an evicted report wait for one load.
    loading: tokio::sync::Mutex<()>,
}

impl Default for ReportCache {
    /// A cache on its own unbounded budget (tests, one-shot audits).
    fn default() -> ReportCache {
        ReportCache::new(&ReportBudget::unbounded(), None)
    }
}

/// Why a report that is not in memory could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored report of audit {0} is unreadable: {1}")]
    Unreadable(String, String),
}

impl ReportCache {
    /// The cache of one org, sharing `budget`; `store` reads evicted reports back.
    pub fn new(budget: &Arc<ReportBudget>, store: Option<Arc<Store>>) -> ReportCache {
        let resident = Arc::new(Resident::default());
        let member = budget.join(resident.clone());
        ReportCache {
            resident,
            brief: ArcSwapOption::empty(),
            budget: budget.clone(),
            member,
            store,
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// What is known of the served report, in memory or not.
    pub fn brief(&self) -> Option<Arc<Brief>> {
        self.brief.load_full()
    }

    /// The served report if it is in memory (counted as a hit).
    pub fn resident(&self) -> Option<Arc<CachedReport>> {
        let cached = self.resident.0.load_full()?;
        self.budget.hit(&self.member);
        Some(cached)
    }

    /// The served report: from memory, or read back from the database (counted as a miss, and
    /// kept again within the budget). `Ok(None)` before the first report.
    pub async fn get(&self) -> Result<Option<Arc<CachedReport>>, LoadError> {
        if let Some(cached) = self.resident() {
            return Ok(Some(cached));
        }
        let (Some(store), Some(_)) = (&self.store, self.brief()) else {
            return Ok(None);
        };
        let _one = self.loading.lock().await;
        if let Some(cached) = self.resident() {
            return Ok(Some(cached)); // Read back by whoever held the turn.
        }
        let Some(brief) = self.brief() else {
            return Ok(None);
        };
        self.budget.miss();
        let Some(json) = store.report_json(&brief.audit_id).await? else {
            return Ok(None);
        };
        let changes = brief.changes;
        let audit_id = brief.audit_id.clone();
        let built = tokio::task::spawn_blocking(move || {
            crate::audit::catalog::read_stored(&json).map(|report| {
                let mut cached = CachedReport::build(report);
                cached.changes = changes;
                Arc::new(cached)
            })
        })
        .await
        .map_err(|e| LoadError::Unreadable(audit_id.clone(), e.to_string()))?
        .map_err(|e| LoadError::Unreadable(audit_id, e.to_string()))?;
        // A newer report installed meanwhile wins; this one is served to this reader only. The
        // check is made under the budget's lock, which `set` installs under too.
        let bytes = built.kept_bytes();
        let kept = built.clone();
        self.budget.keep(&self.member, bytes, || {
            let current = self.brief.load();
            let same = current
                .as_ref()
                .is_some_and(|b| b.audit_id == kept.report.audit_id);
            if same {
                self.resident.0.store(Some(kept));
            }
            same
        });
        Ok(Some(built))
    }

    /// The served report as the database stores it (its gzip), for a reader of the whole JSON
    /// when the report is not in memory: sent as stored, never parsed. Counted as a miss.
    pub async fn stored(&self) -> Result<Option<(Arc<Brief>, StoredReport)>, StoreError> {
        let (Some(store), Some(brief)) = (&self.store, self.brief()) else {
            return Ok(None);
        };
        self.budget.miss();
        Ok(store
            .stored_report(&brief.audit_id)
            .await?
            .map(|stored| (brief, stored)))
    }

    /// Whether the served report is in memory now.
    pub fn is_resident(&self) -> bool {
        self.resident.0.load().is_some()
    }

    /// Serves `cached` from now on. It stays in memory whatever the budget until `saved` says
    /// the database has it: until then it is the only copy.
    pub fn set(&self, cached: Arc<CachedReport>) {
        let brief = Arc::new(Brief::of(&cached));
        let bytes = cached.kept_bytes();
        self.budget.pin(&self.member, true);
        self.budget.keep(&self.member, bytes, || {
            self.brief.store(Some(brief));
            self.resident.0.store(Some(cached));
            true
        });
    }

    /// The database has the report of `audit_id`: if it is the one served, the budget may
    /// evict it from now on (it can be read back).
    pub fn saved(&self, audit_id: &str) {
        if self.brief().is_some_and(|b| b.audit_id == audit_id) {
            self.budget.pin(&self.member, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_of_a_client_unreadable_now_are_not_counted_resolved() {
        use crate::audit::rules::testkit::{client, judged_at_collection, policy, snapshot};
        let mut s = snapshot();
        let mut second = client("TOKEN");
        second.id = "c2".into();
        s.clients = vec![client("TOKEN"), second];
        let before = judged_at_collection(s, &policy(), "a1");
        let (fixed, unreadable) = (
            before.clients[0].findings.len(),
            before.clients[1].findings.len(),
        );
        assert!(fixed > 0 && unreadable > 0);
        let mut after = before.clone();
        after.clients[0].findings.clear();
        after.clients[1].findings.clear();
        after.clients[1].unreadable = Some("the record is not an object".into());
        let changes = CachedReport::build(after).changes_since(Some(&CachedReport::build(before)));
        assert_eq!((changes.new, changes.resolved), (0, fixed));
    }

    #[test]
    fn views_keep_the_most_recently_used_and_stay_bounded() {
        let views = Views::default();
        for i in 0..MAX_VIEWS + 10 {
            views.put(format!("q{i}"), View::new(format!("body {i}")));
            if i == MAX_VIEWS - 1 {
                // Used again just before the cache overflows: it outlives older ones.
                assert!(views.get("q0").is_some());
            }
        }
        assert_eq!(views.len(), MAX_VIEWS);
        assert!(
            views.get("q1").is_none(),
            "the least recently used went first"
        );
        assert!(views.get("q0").is_some(), "a view used again is kept");
        let last = views.get(&format!("q{}", MAX_VIEWS + 9)).unwrap();
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut last.reader(), &mut unzipped).unwrap();
        assert_eq!(unzipped, format!("body {}", MAX_VIEWS + 9));
        assert_eq!(last.len, unzipped.len() as u64);
    }
}
