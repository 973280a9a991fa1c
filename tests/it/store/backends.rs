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

/// The PostgreSQL server for tests, or `None` (the test is skipped, and says so).
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("SCOPEWATCH_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped {test} on PostgreSQL: SCOPEWATCH_TEST_POSTGRES_URL is not set");
            None
        }
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
        for old in stale {
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

pub async fn postgres(test: &str) -> Option<Store> {
    let url = postgres_url(test)?;
    let scoped = postgres_schema_url(&url).await;
    let options = PgConnectOptions::from_str(&scoped).unwrap();
    Some(Store::connect_postgres(options).await.unwrap())
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
            async fn postgres() {
                if let Some(store) = $crate::store::postgres(stringify!($name)).await {
                    super::$name(store).await;
                }
            }
        }
    };
}
