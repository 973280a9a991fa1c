//! Cluster locks on one PostgreSQL: the audit lock (one audit at a time across every replica)
//! and the change-poll lock (one change poller across every replica).

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row};

use super::StoreError;

/// The advisory lock's first key ("scopewatch audit"); the second is a hash of the schema, so
/// deployments (and tests) in different schemas of one database do not block each other.
pub const KEY: i32 = 0x05C0_9E3A;

/// The change poller's advisory lock's first key ("scopewatch change poll"), distinct from the
/// audit lock's: a replica polls for changes while another audits.
pub const CHANGE_POLL_KEY: i32 = 0x05C0_9E3B;

/// Held while an audit runs. Released explicitly; if dropped (a cancelled audit), its connection
/// is closed rather than returned to the pool, so PostgreSQL frees the lock with the session.
pub struct AuditLock {
    connection: Option<PoolConnection<Postgres>>,
    key: i32,
}

impl AuditLock {
    pub fn local() -> AuditLock {
        AuditLock {
            connection: None,
            key: KEY,
        }
    }

    /// Takes the advisory lock `(key, schema)` on a connection of its own, if it is free.
    pub(super) async fn try_postgres(
        pool: &PgPool,
        key: i32,
    ) -> Result<Option<AuditLock>, StoreError> {
        let mut connection = pool.acquire().await.map_err(|e| StoreError::Query {
            operation: "lock",
            reason: e.to_string(),
        })?;
        let row =
            sqlx::query("SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked")
                .bind(key)
                .fetch_one(&mut *connection)
                .await
                .map_err(|e| StoreError::Query {
                    operation: "lock",
                    reason: e.to_string(),
                })?;
        let locked: bool = row.try_get("locked").unwrap_or(false);
        Ok(locked.then_some(AuditLock {
            connection: Some(connection),
            key,
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
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, hashtext(current_schema()))")
                .bind(self.key)
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
