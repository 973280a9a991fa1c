//! The audit lock: one audit at a time across every replica on one PostgreSQL.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row};

use super::StoreError;

/// The advisory lock's first key ("scopewatch audit"); the second is a hash of the schema and
/// the org, so deployments (and tests) in different schemas of one database, and different orgs,
/// do not block each other. The `default` org hashes the schema alone, the key the single-org
/// version took, so a rolling upgrade from it still never runs two audits at once.
/// (Two orgs whose keys collide in the 32-bit hash only take turns.)
pub const KEY: i32 = 0x05C0_9E3A;

/// The second key, computed by PostgreSQL from the schema and the org (`$2`).
const SECOND_KEY: &str = "CASE WHEN $2 = 'default' THEN hashtext(current_schema()) \
                          ELSE hashtext(current_schema() || '/' || $2) END";

/// Held while an audit runs. Released explicitly; if dropped (a cancelled audit), its connection
/// is closed rather than returned to the pool, so PostgreSQL frees the lock with the session.
pub struct AuditLock {
    connection: Option<PoolConnection<Postgres>>,
    org: String,
}

impl AuditLock {
    pub fn local() -> AuditLock {
        AuditLock {
            connection: None,
            org: String::new(),
        }
    }

    pub(super) async fn try_postgres(
        pool: &PgPool,
        org: &str,
    ) -> Result<Option<AuditLock>, StoreError> {
        let mut connection = pool.acquire().await.map_err(|e| StoreError::Query {
            operation: "lock",
            reason: e.to_string(),
        })?;
        let row = sqlx::query(&format!(
            "SELECT pg_try_advisory_lock($1, {SECOND_KEY}) AS locked"
        ))
        .bind(KEY)
        .bind(org)
        .fetch_one(&mut *connection)
        .await
        .map_err(|e| StoreError::Query {
            operation: "lock",
            reason: e.to_string(),
        })?;
        let locked: bool = row.try_get("locked").unwrap_or(false);
        Ok(locked.then_some(AuditLock {
            connection: Some(connection),
            org: org.to_string(),
        }))
    }

    /// Whether the lock is still ours: its session answers. A database blip that closed the
    /// session freed the lock, and another replica may be auditing now.
    pub async fn still_held(&mut self) -> bool {
        let Some(connection) = self.connection.as_mut() else {
            return true; // the local lock cannot be lost
        };
        let alive = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::query("SELECT 1").execute(&mut **connection),
        )
        .await;
        matches!(alive, Ok(Ok(_)))
    }

    /// Gives the lock back.
    pub async fn release(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query(&format!("SELECT pg_advisory_unlock($1, {SECOND_KEY})"))
                .bind(KEY)
                .bind(&self.org)
                .execute(&mut *connection)
                .await;
            if unlocked.is_err() {
                // Closing the session frees the lock too.
                drop(connection.detach());
            }
        }
    }
}

impl Drop for AuditLock {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            drop(connection.detach());
        }
    }
}
