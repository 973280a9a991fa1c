//! Cluster locks on one PostgreSQL: the audit lock (one audit at a time across every replica)
//! and the change-poll lock (one change poller across every replica), each per org.

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Connection, Row};

use super::StoreError;

/// The audit lock's first key ("scopewatch audit"). The second key of every lock is a hash of
/// the schema and the org, so deployments (and tests) in different schemas of one database, and
/// different orgs, do not block each other. The `default` org hashes the schema alone, the key
/// the single-org version took, so a rolling upgrade from it still never runs two audits at
/// once. (Two orgs whose keys collide in the 32-bit hash only take turns.)
pub const KEY: i32 = 0x05C0_9E3A;

/// The change poller's first key ("scopewatch change poll"), distinct from the audit lock's:
/// a replica polls for changes while another audits.
pub const CHANGE_POLL_KEY: i32 = 0x05C0_9E3B;

/// The second key, computed by PostgreSQL from the schema and the org (`$2`).
const SECOND_KEY: &str = "CASE WHEN $2 = 'default' THEN hashtext(current_schema()) \
                          ELSE hashtext(current_schema() || '/' || $2) END";

/// Held while an audit runs (or a poller polls), on a connection of its own outside the pool:
/// with several orgs, locks held through long audits never starve the pool the history and
/// the stored reports are read through. Released explicitly; if dropped (a cancelled audit),
/// its connection is closed, so PostgreSQL frees the lock with the session.
pub struct AuditLock {
    connection: Option<PgConnection>,
    key: i32,
    org: String,
}

impl AuditLock {
    pub fn local() -> AuditLock {
        AuditLock {
            connection: None,
            key: KEY,
            org: String::new(),
        }
    }

    /// Takes the advisory lock `(key, schema and org)` on a connection of its own (the pool's
    /// settings, not one of its connections), if it is free.
    pub(super) async fn try_postgres(
        pool: &PgPool,
        key: i32,
        org: &str,
    ) -> Result<Option<AuditLock>, StoreError> {
        let options = pool.connect_options();
        let mut connection = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            PgConnection::connect_with(&options),
        )
        .await
        .map_err(|_| StoreError::Timeout { operation: "lock" })?
        .map_err(|source| StoreError::Query {
            operation: "lock",
            source,
        })?;
        let row = sqlx::query(&format!(
            "SELECT pg_try_advisory_lock($1, {SECOND_KEY}) AS locked"
        ))
        .bind(key)
        .bind(org)
        .fetch_one(&mut connection)
        .await
        .map_err(|source| StoreError::Query {
            operation: "lock",
            source,
        })?;
        let locked: bool = row.try_get("locked").unwrap_or(false);
        if !locked {
            let _ = connection.close().await;
            return Ok(None);
        }
        Ok(Some(AuditLock {
            connection: Some(connection),
            key,
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
            sqlx::query("SELECT 1").execute(&mut *connection),
        )
        .await;
        matches!(alive, Ok(Ok(_)))
    }

    /// Gives the lock back.
    pub async fn release(mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query(&format!("SELECT pg_advisory_unlock($1, {SECOND_KEY})"))
                .bind(self.key)
                .bind(&self.org)
                .execute(&mut connection)
                .await;
            if unlocked.is_err() {
                tracing::debug!("advisory unlock failed; closing the session frees the lock");
            }
            // The session ends either way: the connection was the lock's alone.
            let _ = connection.close().await;
        }
    }
}

// Dropping an `AuditLock` drops its connection, which closes the session and frees the lock.
