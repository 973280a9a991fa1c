//! Persistence (SPEC §8): SQLite by default, PostgreSQL when the URL says so, behind one
//! interface. Runtime queries only; migrations (one folder per backend) run at connect.

mod lock;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{ConnectOptions, Row};

pub use lock::AuditLock;

use crate::config::redact_url;
use crate::history::Outcome;

/// Why the database could not do something. Never carries a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error during {operation}: {reason}")]
    Query {
        operation: &'static str,
        reason: String,
    },
    #[error("stored report of audit {0} is unreadable: {1}")]
    Corrupt(String, String),
}

fn connect_failed(shown: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::Connect {
        url: shown.to_string(),
        reason: e.to_string(),
    }
}

fn query_error(operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| StoreError::Query {
        operation,
        reason: e.to_string(),
    }
}

/// One finished audit as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAudit {
    pub audit_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub total_clients: Option<i64>,
    pub high_risk_count: Option<i64>,
    pub findings: Option<i64>,
    pub new_findings: Option<i64>,
    pub resolved_findings: Option<i64>,
    pub policy_sha256: Option<String>,
}

enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database.
pub struct Store {
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
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
        StoredAudit {
            audit_id: row.try_get("audit_id")?,
            started_at: millis(row.try_get("started_at_ms")?),
            finished_at: millis(row.try_get("finished_at_ms")?),
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
        }
    }};
}

const COLUMNS: &str = "audit_id, started_at_ms, finished_at_ms, outcome, error, total_clients, high_risk_count, findings, new_findings, resolved_findings, policy_sha256";

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
        let connect_error = connect_failed(shown);
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
        })
    }

    /// Connects to SQLite with explicit options (tests use them to limit the file's size).
    pub async fn connect_sqlite(options: SqliteConnectOptions) -> Result<Store, StoreError> {
        let shown = options.get_filename().display().to_string();
        Ok(Store {
            backend: Store::sqlite(options, &shown).await?,
            url: shown,
        })
    }

    async fn sqlite(options: SqliteConnectOptions, shown: &str) -> Result<Backend, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5))
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(connect_failed(shown))?;
        sqlx::migrate!("migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Backend::Sqlite(pool))
    }

    /// Connects to PostgreSQL with explicit options (tests use a schema per test).
    pub async fn connect_postgres(options: PgConnectOptions) -> Result<Store, StoreError> {
        let shown = "postgres (options)".to_string();
        Ok(Store {
            backend: Store::postgres(options, &shown).await?,
            url: shown,
        })
    }

    async fn postgres(options: PgConnectOptions, shown: &str) -> Result<Backend, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(connect_failed(shown))?;
        sqlx::migrate!("migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        Ok(Backend::Postgres(pool))
    }

    /// The URL with any password hidden.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Stores a finished audit in one statement: it is there whole, or not at all.
    pub async fn save(
        &self,
        audit: &StoredAudit,
        report_json: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO audits ({COLUMNS}, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (audit_id) DO NOTHING"
        );
        let outcome = match audit.outcome {
            Outcome::Success => "success",
            _ => "failure",
        };
        on_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(&audit.audit_id)
                .bind(audit.started_at.timestamp_millis())
                .bind(audit.finished_at.timestamp_millis())
                .bind(outcome)
                .bind(&audit.error)
                .bind(audit.total_clients)
                .bind(audit.high_risk_count)
                .bind(audit.findings)
                .bind(audit.new_findings)
                .bind(audit.resolved_findings)
                .bind(&audit.policy_sha256)
                .bind(report_json)
                .execute(pool)
                .await
                .map_err(query_error("save"))?;
        });
        Ok(())
    }

    /// The newest successful audit: id and finish time (cheap; replicas poll it).
    pub async fn latest_success_id(&self) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let sql = "SELECT audit_id, finished_at_ms FROM audits WHERE outcome = 'success' ORDER BY finished_at_ms DESC, audit_id DESC LIMIT 1";
        let row = on_pool!(self, pool => {
            sqlx::query(sql)
                .fetch_optional(pool)
                .await
                .map_err(query_error("latest"))?
                .map(|r| -> Result<(String, DateTime<Utc>), sqlx::Error> {
                    Ok((r.try_get("audit_id")?, millis(r.try_get("finished_at_ms")?)))
                })
                .transpose()
                .map_err(query_error("latest"))?
        });
        Ok(row)
    }

    /// The stored report JSON of an audit (`None` for unknown ids and failures).
    pub async fn report_json(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        let json = on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>("SELECT report FROM audits WHERE audit_id = $1")
                .bind(audit_id)
                .fetch_optional(pool)
                .await
                .map_err(query_error("report"))?
        });
        Ok(json.flatten())
    }

    pub async fn get(&self, audit_id: &str) -> Result<Option<StoredAudit>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM audits WHERE audit_id = $1");
        let found = on_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(audit_id).fetch_optional(pool).await.map_err(query_error("get"))?;
            match row {
                Some(r) => Some((|| -> Result<StoredAudit, sqlx::Error> { Ok(stored_audit!(&r)) })().map_err(query_error("get"))?),
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
    ) -> Result<Option<Vec<StoredAudit>>, StoreError> {
        let start_ms = match before {
            None => i64::MAX,
            Some(id) => match self.get(id).await? {
                Some(a) => a.started_at.timestamp_millis(),
                None => return Ok(None),
            },
        };
        let before_id = before.unwrap_or("");
        let sql = format!(
            "SELECT {COLUMNS} FROM audits WHERE started_at_ms < $1 OR (started_at_ms = $2 AND audit_id < $3) \
             ORDER BY started_at_ms DESC, audit_id DESC LIMIT $4"
        );
        let audits = on_pool!(self, pool => {
            let rows = sqlx::query(&sql)
                .bind(start_ms)
                .bind(start_ms)
                .bind(before_id)
                .bind(limit as i64)
                .fetch_all(pool)
                .await
                .map_err(query_error("list"))?;
            rows.iter()
                .map(|r| -> Result<StoredAudit, sqlx::Error> { Ok(stored_audit!(r)) })
                .collect::<Result<Vec<_>, _>>()
                .map_err(query_error("list"))?
        });
        Ok(Some(audits))
    }

    /// The newest successful audit that started before `audit_id`.
    pub async fn previous_success(&self, audit_id: &str) -> Result<Option<String>, StoreError> {
        let Some(this) = self.get(audit_id).await? else {
            return Ok(None);
        };
        let sql = "SELECT audit_id FROM audits WHERE outcome = 'success' AND started_at_ms < $1 ORDER BY started_at_ms DESC LIMIT 1";
        let id = on_pool!(self, pool => {
            sqlx::query_scalar::<_, String>(sql)
                .bind(this.started_at.timestamp_millis())
                .fetch_optional(pool)
                .await
                .map_err(query_error("previous"))?
        });
        Ok(id)
    }

    /// Deletes audits that started before `cutoff`, never the newest successful one.
    pub async fn prune(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = "DELETE FROM audits WHERE started_at_ms < $1 AND audit_id <> COALESCE(\
                   (SELECT audit_id FROM audits WHERE outcome = 'success' ORDER BY finished_at_ms DESC, audit_id DESC LIMIT 1), '')";
        let deleted = on_pool!(self, pool => {
            sqlx::query(sql)
                .bind(cutoff.timestamp_millis())
                .execute(pool)
                .await
                .map_err(query_error("prune"))?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// Takes the cluster-wide audit lock if free: a PostgreSQL advisory lock held on its own
    /// connection for the audit; SQLite has one process, so its lock is local.
    pub async fn try_lock_audit(&self) -> Result<Option<AuditLock>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Some(AuditLock::local())),
            Backend::Postgres(pool) => AuditLock::try_postgres(pool).await,
        }
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
