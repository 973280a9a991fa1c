//! Persistence: SQLite by default, PostgreSQL when the URL says so, behind one
//! interface. Runtime queries only; migrations (one folder per backend) run at connect.

mod file_lock;
mod lock;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{ConnectOptions, Row};

pub use file_lock::{FileLock, FileLockError, claim_sqlite_file};
pub use lock::{AuditLock, CHANGE_POLL_KEY, KEY as AUDIT_LOCK_KEY};

/// How an audit ended, or that it is still running (never stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Running,
    Success,
    Failure,
}

impl Outcome {
    fn stored_text(self) -> Option<&'static str> {
        match self {
            Outcome::Running => None,
            Outcome::Success => Some("success"),
            Outcome::Failure => Some("failure"),
        }
    }
}

/// Whether a URL query parameter carries a secret (`password`, `sslpassword`, `auth_token`...).
fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token"].iter().any(|k| key.contains(k))
}

/// `postgres://user:secret@host/db?password=x` → `postgres://user:***@host/db?password=***`.
/// Text that is not a URL is shown as its scheme only: it may hold anything.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        let scheme = raw.split_once(':').map(|(s, _)| s).unwrap_or("");
        return if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            format!("{scheme}://(unparseable URL hidden)")
        } else {
            "(unparseable URL hidden)".to_string()
        };
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let secret = is_secret_param(&k);
                (
                    k.into_owned(),
                    if secret { "***".into() } else { v.into_owned() },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Why the database could not do something. Never carries a password. The message repeats
/// the driver's cause because the service logs errors by their message (`%e`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `reason` is the driver's error as text with every secret of the URL replaced: the
    /// driver's error itself is not kept, since a connection error may quote the URL.
    #[error("cannot connect to the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database error during {operation}: {source}")]
    Query {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("database error during {operation}: connecting timed out after 5 s")]
    Timeout { operation: &'static str },
    #[error("stored report of audit {0} is unreadable: {1}")]
    Corrupt(String, String),
    #[error("audit {0} is still running: only finished audits are stored")]
    Unfinished(String),
}

/// The secrets a database URL may carry, as written and percent-decoded: the password of its
/// userinfo and the values of password-like query parameters. Read by hand, so a URL too
/// broken for a parser still gives its password up to redaction.
fn url_secrets(raw: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some((_, rest)) = raw.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
        {
            secrets.push(password.to_string());
        }
    }
    if let Some((_, query)) = raw.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && is_secret_param(key)
            {
                secrets.push(value.to_string());
            }
        }
    }
    let decoded: Vec<String> = secrets
        .iter()
        .filter_map(|s| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    secrets
}

/// `text` with every secret of the database URL `raw` replaced.
pub fn scrub_url_secrets(text: &str, raw: &str) -> String {
    let mut text = text.to_string();
    for secret in url_secrets(raw) {
        text = text.replace(&secret, "***");
    }
    text
}

fn connect_failed<'a>(shown: &'a str, raw: &'a str) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    move |e| StoreError::Connect {
        url: shown.to_string(),
        reason: scrub_url_secrets(&e.to_string(), raw),
    }
}

fn query_error(operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { operation, source }
}

/// One audit: running (in memory only) or finished (as stored).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRecord {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub total_clients: Option<i64>,
    pub high_risk_count: Option<i64>,
    pub findings: Option<i64>,
    pub new_findings: Option<i64>,
    pub resolved_findings: Option<i64>,
    pub policy_sha256: Option<String>,
    /// The replica that ran it (`SCOPEWATCH_REPLICA_ID`); `None` for audits stored before
    /// replicas were recorded.
    pub replica: Option<String>,
}

impl AuditRecord {
    /// An audit that has just started.
    pub fn running(audit_id: &str, started_at: DateTime<Utc>) -> AuditRecord {
        AuditRecord {
            audit_id: audit_id.to_string(),
            started_at,
            finished_at: None,
            outcome: Outcome::Running,
            error: None,
            total_clients: None,
            high_risk_count: None,
            findings: None,
            new_findings: None,
            resolved_findings: None,
            policy_sha256: None,
            replica: None,
        }
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database, seen as one organization's history: every audit, list, prune and lock is the
/// org's own. `for_org` gives another org's view of the same connections.
pub struct Store {
    backend: Backend,
    url: String,
    org: String,
}

/// The org of the single-org configuration, and of every audit stored before orgs existed.
pub const DEFAULT_ORG: &str = "default";

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url)
            .field("org", &self.org)
            .finish()
    }
}

/// Runs the same statement on whichever pool the store has.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

macro_rules! stored_audit {
    ($row:expr) => {{
        let row = $row;
        let outcome: String = row.try_get("outcome")?;
        AuditRecord {
            audit_id: row.try_get("audit_id")?,
            started_at: millis(row.try_get("started_at_ms")?),
            finished_at: Some(millis(row.try_get("finished_at_ms")?)),
            outcome: if outcome == "success" {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            error: row.try_get("error")?,
            total_clients: row.try_get("total_clients")?,
            high_risk_count: row.try_get("high_risk_count")?,
            findings: row.try_get("findings")?,
            new_findings: row.try_get("new_findings")?,
            resolved_findings: row.try_get("resolved_findings")?,
            policy_sha256: row.try_get("policy_sha256")?,
            replica: row.try_get("replica")?,
        }
    }};
}

// After the macros, which it uses.
mod notify;
mod replicas;
mod stored;
pub use notify::{Heard, REPORTS_CHANNEL, ReportListener};
pub use replicas::{
    Assignment, HEARTBEAT_PERIOD, REPLICA_TTL, beat, heartbeat_loop, owner as replica_owner,
};
pub use stored::StoredReport;

/// A stored report is never inflated or parsed past this (a damaged or hostile row must not take
/// the memory or the CPU): the largest report measured is 188 MB at 100 000 clients, twice the
/// entity limit, so a report this large is refused as unreadable.
pub const MAX_REPORT_BYTES: u64 = 256 << 20;

/// The JSON of a stored compressed report, inflated on the blocking pool (tens of MB are not
/// work for the async threads); `Corrupt` when it does not inflate to text within the bound.
pub async fn inflate_report(
    audit_id: &str,
    gzip: impl AsRef<[u8]> + Send + 'static,
) -> Result<String, StoreError> {
    let inflated = match tokio::task::spawn_blocking(move || gunzip_report(gzip.as_ref())).await {
        Ok(inflated) => inflated,
        Err(join) => Err(Unreadable::Panicked(join)),
    };
    inflated
        .map_err(|e| StoreError::Corrupt(audit_id.to_string(), genesys_api::text::with_causes(&e)))
}

/// Why a stored report cannot be read back.
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error("not a gzip-compressed JSON text")]
    NotGzip(#[source] std::io::Error),
    #[error("it inflates past 250 times its stored size or {} MiB", MAX_REPORT_BYTES >> 20)]
    TooLarge,
    #[error("inflating it failed")]
    Panicked(#[source] tokio::task::JoinError),
}

/// The JSON of a stored compressed report; the error says why it is unreadable.
/// Within the same bound as every stored report read back (`StoredReport::bound`).
fn gunzip_report(gzip: &[u8]) -> Result<String, Unreadable> {
    use std::io::Read;
    let mut json = String::new();
    let mut reader = StoredReport::Gzip(bytes::Bytes::copy_from_slice(gzip)).reader();
    let read = reader.read_to_string(&mut json);
    if reader.passed() {
        return Err(Unreadable::TooLarge);
    }
    read.map_err(Unreadable::NotGzip)?;
    Ok(json)
}

const COLUMNS: &str = "audit_id, started_at_ms, finished_at_ms, outcome, error, total_clients, high_risk_count, findings, new_findings, resolved_findings, policy_sha256, replica";

fn millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Store {
    /// Connects (creating a SQLite file on first start, WAL) and applies the migrations.
    /// Keeps trying for `wait` when the database is unreachable.
    pub async fn connect(url: &str, wait: Duration) -> Result<Store, StoreError> {
        let shown = redact_url(url);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match Store::try_connect(url, &shown).await {
                Ok(store) => return Ok(store),
                Err(StoreError::Connect { url, reason })
                    if tokio::time::Instant::now() < deadline =>
                {
                    tracing::warn!(url, reason, "database unreachable; waiting for it");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn try_connect(url: &str, shown: &str) -> Result<Store, StoreError> {
        let connect_error = connect_failed(shown, url);
        let backend = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).map_err(connect_error)?;
            Store::sqlite(options, shown).await?
        } else {
            let options = PgConnectOptions::from_str(url)
                .map_err(connect_error)?
                .disable_statement_logging();
            Store::postgres(options, shown).await?
        };
        Ok(Store {
            backend,
            url: shown.to_string(),
            org: DEFAULT_ORG.into(),
        })
    }

    /// Connects to SQLite with explicit options (tests use them to limit the file's size).
    pub async fn connect_sqlite(options: SqliteConnectOptions) -> Result<Store, StoreError> {
        let shown = options.get_filename().display().to_string();
        Ok(Store {
            backend: Store::sqlite(options, &shown).await?,
            url: shown,
            org: DEFAULT_ORG.into(),
        })
    }

    async fn sqlite(options: SqliteConnectOptions, shown: &str) -> Result<Backend, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            // Reports are written once and read back rarely (a restart, a diff): SQLite's
            // default 2 MiB page cache per pooled connection only holds their blobs' pages,
            // and fills connection by connection long after start (8 MiB of resident size
            // that looks like growth).
            .pragma("cache_size", "-512")
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(connect_failed(shown, ""))?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(StoreError::Migrate)?;
        Ok(Backend::Sqlite(pool))
    }

    /// Connects to PostgreSQL with explicit options (tests use a schema per test).
    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Store, StoreError> {
        let shown = "postgres (options)".to_string();
        Ok(Store {
            backend: Store::postgres(options, &shown).await?,
            url: shown,
            org: DEFAULT_ORG.into(),
        })
    }

    async fn postgres(options: PgConnectOptions, shown: &str) -> Result<Backend, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_failed(shown, ""))?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(StoreError::Migrate)?;
        Ok(Backend::Postgres(pool))
    }

    /// The same database seen as `org`'s history (the connections are shared).
    pub fn for_org(&self, org: &str) -> Store {
        Store {
            backend: self.backend.clone(),
            url: self.url.clone(),
            org: org.to_string(),
        }
    }

    /// The org whose history this is.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The URL with any password hidden.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Stores a finished audit in one statement: it is there whole, or not at all. The report
    /// is its JSON gzip-compressed (the bytes `serve` sends).
    pub async fn save(
        &self,
        audit: &AuditRecord,
        report_gzip: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let (Some(outcome), Some(finished_at)) = (audit.outcome.stored_text(), audit.finished_at)
        else {
            return Err(StoreError::Unfinished(audit.audit_id.clone()));
        };
        let sql = format!(
            "INSERT INTO audits ({COLUMNS}, report_gzip, org) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (audit_id) DO NOTHING"
        );
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(&audit.audit_id)
                .bind(audit.started_at.timestamp_millis())
                .bind(finished_at.timestamp_millis())
                .bind(outcome)
                .bind(&audit.error)
                .bind(audit.total_clients)
                .bind(audit.high_risk_count)
                .bind(audit.findings)
                .bind(audit.new_findings)
                .bind(audit.resolved_findings)
                .bind(&audit.policy_sha256)
                .bind(&audit.replica)
                .bind(report_gzip)
                .bind(&self.org)
                .execute(pool)
                .await
                .map_err(query_error("save"))?;
        });
        // Stored: tell the other replicas (a lost notification is found by their safety net).
        if let Err(e) = self.notify_report().await {
            tracing::warn!(error = %e, "cannot tell the other replicas of the stored audit");
        }
        Ok(())
    }

    /// The newest finished audit, or the newest successful one (cheap: no report; replicas
    /// poll it).
    pub async fn latest(&self, success_only: bool) -> Result<Option<AuditRecord>, StoreError> {
        let filter = if success_only {
            "AND outcome = 'success'"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audits WHERE org = $1 {filter} ORDER BY finished_at_ms DESC, audit_id DESC LIMIT 1"
        );
        let found = on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(&self.org).fetch_optional(pool).await.map_err(query_error("latest"))?;
            match row {
                Some(r) => Some((|| -> Result<AuditRecord, sqlx::Error> { Ok(stored_audit!(&r)) })().map_err(query_error("latest"))?),
                None => None,
            }
        });
        Ok(found)
    }

    /// The stored report JSON of an audit (`None` for unknown ids and failures): compressed
    /// (`report_gzip`), or as text for audits stored before reports were compressed.
    pub async fn report_json(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        type Stored = (Option<String>, Option<Vec<u8>>);
        let found = on_pool!(self, pool => {
            sqlx::query_as::<_, Stored>("SELECT report, report_gzip FROM audits WHERE audit_id = $1 AND org = $2")
                .bind(audit_id)
                .bind(&self.org)
                .fetch_optional(pool)
                .await
                .map_err(query_error("report"))?
        });
        match found {
            Some((_, Some(gzip))) => inflate_report(audit_id, gzip).await.map(Some),
            Some((text, None)) => Ok(text),
            None => Ok(None),
        }
    }

    pub async fn get(&self, audit_id: &str) -> Result<Option<AuditRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audits WHERE audit_id = $1 AND org = $2");
        let found = on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(audit_id).bind(&self.org).fetch_optional(pool).await.map_err(query_error("get"))?;
            match row {
                Some(r) => Some((|| -> Result<AuditRecord, sqlx::Error> { Ok(stored_audit!(&r)) })().map_err(query_error("get"))?),
                None => None,
            }
        });
        Ok(found)
    }

    /// Newest first, at most `limit`, started before the audit `before` (None when `before` is
    /// not a stored audit).
    pub async fn list(
        &self,
        limit: usize,
        before: Option<&str>,
    ) -> Result<Option<Vec<AuditRecord>>, StoreError> {
        let cursor = match before {
            None => None,
            Some(id) => match self.get(id).await? {
                Some(a) => Some((a.started_at, id)),
                None => return Ok(None),
            },
        };
        self.list_before(limit, cursor).await.map(Some)
    }

    /// Newest first, at most `limit`, ordered before `(started_at, audit_id)` when given.
    pub async fn list_before(
        &self,
        limit: usize,
        cursor: Option<(DateTime<Utc>, &str)>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (start_ms, before_id) = match cursor {
            None => (i64::MAX, ""),
            Some((started_at, id)) => (started_at.timestamp_millis(), id),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audits WHERE org = $5 AND (started_at_ms < $1 OR (started_at_ms = $2 AND audit_id < $3)) \
             ORDER BY started_at_ms DESC, audit_id DESC LIMIT $4"
        );
        let audits = on_pool!(self, pool => {
            let rows = sqlx::query(&sql)
                .bind(start_ms)
                .bind(start_ms)
                .bind(before_id)
                .bind(limit as i64)
                .bind(&self.org)
                .fetch_all(pool)
                .await
                .map_err(query_error("list"))?;
            rows.iter()
                .map(|r| -> Result<AuditRecord, sqlx::Error> { Ok(stored_audit!(r)) })
                .collect::<Result<Vec<_>, _>>()
                .map_err(query_error("list"))?
        });
        Ok(audits)
    }

    /// The newest successful audit that started before `audit_id`.
    pub async fn previous_success(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        let Some(this) = self.get(audit_id).await? else {
            return Ok(None);
        };
        let sql = "SELECT audit_id FROM audits WHERE org = $2 AND outcome = 'success' AND started_at_ms < $1 ORDER BY started_at_ms DESC LIMIT 1";
        let id = on_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(sql)
                .bind(this.started_at.timestamp_millis())
                .bind(&self.org)
                .fetch_optional(pool)
                .await
                .map_err(query_error("previous"))?
        });
        Ok(id)
    }

    /// Deletes the org's audits that started before `cutoff`, never its newest successful one.
    pub async fn prune(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "DELETE FROM audits WHERE org = $2 AND started_at_ms < $1 AND audit_id <> COALESCE(\
                   (SELECT audit_id FROM audits WHERE org = $2 AND outcome = 'success' ORDER BY finished_at_ms DESC, audit_id DESC LIMIT 1), '')";
        let deleted = on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(cutoff.timestamp_millis())
                .bind(&self.org)
                .execute(pool)
                .await
                .map_err(query_error("prune"))?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// Keeps the newest live permission catalog (its operations as JSON): an older one never
    /// replaces a newer one, so replicas that read it the same day cannot go backwards.
    pub async fn save_permission_catalog(
        &self,
        fetched_at: DateTime<Utc>,
        body: &str,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO org_permission_catalog (org, fetched_at_ms, body) VALUES ($3, $1, $2) \
                   ON CONFLICT (org) DO UPDATE SET fetched_at_ms = excluded.fetched_at_ms, body = excluded.body \
                   WHERE org_permission_catalog.fetched_at_ms < excluded.fetched_at_ms";
        on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(fetched_at.timestamp_millis())
                .bind(body)
                .bind(&self.org)
                .execute(pool)
                .await
                .map_err(query_error("save_permission_catalog"))?;
        });
        Ok(())
    }

    /// The kept live permission catalog: when it was read and its operations as JSON.
    pub async fn permission_catalog(&self) -> Result<Option<(DateTime<Utc>, String)>, StoreError> {
        let sql = "SELECT fetched_at_ms, body FROM org_permission_catalog WHERE org = $1";
        let found = on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, String)>(sql)
                .bind(&self.org)
                .fetch_optional(pool)
                .await
                .map_err(query_error("permission_catalog"))?
        });
        Ok(found.map(|(ms, body)| (millis(ms), body)))
    }

    /// Takes the cluster-wide audit lock if free: a PostgreSQL advisory lock held on its own
    /// connection for the audit; SQLite has one process, so its lock is local.
    pub async fn try_lock_audit(&self) -> Result<Option<AuditLock>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Some(AuditLock::local())),
            Backend::Postgres(pool) => AuditLock::try_postgres(pool, lock::KEY, &self.org).await,
        }
    }

    /// Takes the cluster-wide change-poll lock if free (held for as long as this replica
    /// polls); SQLite has one process, so its lock is local.
    pub async fn try_lock_change_poll(&self) -> Result<Option<AuditLock>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Some(AuditLock::local())),
            Backend::Postgres(pool) => {
                AuditLock::try_postgres(pool, CHANGE_POLL_KEY, &self.org).await
            }
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compressed_report_reads_back_and_a_damaged_one_is_named_unreadable() {
        let json = r#"{"audit_id":"a1","clients":[{"client_name":"Łódź"}]}"#;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, json.as_bytes()).unwrap();
        let stored = encoder.finish().unwrap();
        assert_ne!(stored, json.as_bytes());
        assert_eq!(gunzip_report(&stored).unwrap(), json);
        let err =
            genesys_api::text::with_causes(&gunzip_report(b"{\"not\":\"gzip\"}").unwrap_err());
        assert!(
            err.starts_with("not a gzip-compressed JSON text: "),
            "{err}"
        );
        let mut cut = stored.clone();
        cut.truncate(stored.len() / 2);
        assert!(gunzip_report(&cut).is_err(), "a cut stream is not a report");
    }
}
