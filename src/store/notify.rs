//! Telling replicas that an org has a new stored report: pushed (PostgreSQL `NOTIFY` on
//! `scopewatch_reports` with the org as payload, heard by every replica's `LISTEN` on a
//! connection of its own) and, as a safety net, polled (the newest audit of every org in one
//! query). SQLite serves one process: nothing to tell.

use sqlx::postgres::{PgListener, PgPoolOptions};

use super::{Backend, Store, StoreError, query_error};

/// The channel every replica listens on; the payload is the org.
pub const REPORTS_CHANNEL: &str = "scopewatch_reports";

/// A payload longer than this is no org of ours (PostgreSQL allows 8000 bytes).
const MAX_PAYLOAD: usize = 1024;

impl Store {
    /// Tells the other replicas that this org has something new (an audit stored, changes
    /// seen). Delivered to listeners of the whole database, other schemas too: a stray one
    /// costs the hearer one query. SQLite: nothing to do.
    pub async fn notify_report(&self) -> Result<(), StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(());
        };
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(REPORTS_CHANNEL)
            .bind(&self.org)
            .execute(pool)
            .await
            .map_err(query_error("notify"))?;
        Ok(())
    }

    /// Listens for new reports on a connection of its own (the pool's settings); `None` on
    /// SQLite.
    pub async fn listen_reports(&self) -> Result<Option<ReportListener>, StoreError> {
        let Backend::Postgres(pool) = &self.backend else {
            return Ok(None);
        };
        // A pool of its own, of one connection: the listener never takes one of the pool's.
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_lazy_with((*pool.connect_options()).clone());
        let mut listener = PgListener::connect_with(&own)
            .await
            .map_err(query_error("listen"))?;
        listener
            .listen(REPORTS_CHANNEL)
            .await
            .map_err(query_error("listen"))?;
        Ok(Some(ReportListener(listener)))
    }

    /// The newest finished audit of every org, `(org, audit_id)`, in one query (the safety
    /// net that finds what a lost notification did not say).
    pub async fn latest_per_org(&self) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "SELECT org, audit_id FROM (SELECT org, audit_id, ROW_NUMBER() OVER \
                   (PARTITION BY org ORDER BY finished_at_ms DESC, audit_id DESC) AS n FROM audits) newest \
                   WHERE n = 1";
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(sql)
                .fetch_all(pool)
                .await
                .map_err(query_error("latest_per_org"))?
        });
        Ok(rows)
    }
}

/// What a listener heard.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// This org has something new.
    Org(String),
    /// The connection was lost (it reconnects at the next `next`): notifications sent
    /// meanwhile are gone, so every org should be checked.
    Lost,
}

/// A `LISTEN` on `scopewatch_reports`, on a connection of its own.
pub struct ReportListener(PgListener);

impl ReportListener {
    /// The next notification, or `Lost`. An error means reconnecting failed: the caller waits
    /// and calls again.
    pub async fn next(&mut self) -> Result<Heard, StoreError> {
        match self.0.try_recv().await {
            Ok(Some(notification)) => {
                let payload = notification.payload();
                if payload.len() > MAX_PAYLOAD {
                    return Ok(Heard::Lost);
                }
                Ok(Heard::Org(payload.to_string()))
            }
            Ok(None) => Ok(Heard::Lost),
            Err(source) => Err(StoreError::Query {
                operation: "listen",
                source,
            }),
        }
    }
}
