use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use scopewatch::store::Store;
use sqlx::postgres::PgConnectOptions;

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh SQLite database file URL.
pub async fn sqlite() -> Store {
    Store::connect(&crate::helpers::temp_database(), Duration::ZERO)
        .await
        .unwrap()
}

/// The PostgreSQL server for tests. The tests that call it are ignored unless the build saw
/// `SCOPEWATCH_TEST_POSTGRES_URL` (build.rs), so reaching here without it (`--ignored`) is a
/// failure, never a quiet pass.
pub fn postgres_url() -> String {
    match std::env::var("SCOPEWATCH_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!("SCOPEWATCH_TEST_POSTGRES_URL is not set: this test needs a PostgreSQL server"),
    }
}

/// A URL for a fresh schema of its own on the test server (search_path set in the URL).
/// The first call drops the schemas earlier test runs left behind.
pub async fn postgres_schema_url(url: &str) -> String {
    static CLEANED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let schema = unique("sw");
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    if !CLEANED.swap(true, Ordering::SeqCst) {
        let mine = format!("sw_{}_%", std::process::id());
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'sw\\_%' AND nspname NOT LIKE $1",
        )
        .bind(&mine)
        .fetch_all(&admin)
        .await
        .unwrap();
        // Only schemas of test processes that have ended: another test run on this machine (a
        // second checkout, CI beside a developer) keeps its own.
        for old in stale.into_iter().filter(|name| !owner_is_running(name)) {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {old} CASCADE"))
                .execute(&admin)
                .await;
        }
    }
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Whether the test process that made schema `sw_{pid}_...` is still running.
fn owner_is_running(schema: &str) -> bool {
    schema
        .strip_prefix("sw_")
        .and_then(|rest| rest.split('_').next())
        .and_then(|pid| pid.parse::<u32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// A store on a fresh schema of the test server.
pub async fn postgres() -> Store {
    let scoped = postgres_schema_url(&postgres_url()).await;
    let options = PgConnectOptions::from_str(&scoped).unwrap();
    Store::connect_postgres(options).await.unwrap()
}

/// Runs a suite test on both backends.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::store::sqlite().await).await;
            }

            #[tokio::test]
            #[cfg_attr(
                not(postgres_tests),
                ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
            )]
            async fn postgres() {
                super::$name($crate::store::postgres().await).await;
            }
        }
    };
}

/// Runs a test of the service, given its database URL, on a SQLite file and on a PostgreSQL
/// schema.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::temp_database()).await;
            }

            #[tokio::test]
            #[cfg_attr(
                not(postgres_tests),
                ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
            )]
            async fn postgres() {
                let server = $crate::store::postgres_url();
                super::$name($crate::store::postgres_schema_url(&server).await).await;
            }
        }
    };
}
