//! Migrations: both backends keep the same history, every migration applies to an empty
//! database, applying again changes nothing, and the schema is what the store expects.

use std::collections::BTreeSet;
use std::time::Duration;

use scopewatch::store::Store;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sqlite_and_postgres_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    for name in &sqlite {
        let (version, rest) = name.split_once('_').expect("VERSION_name.sql");
        assert!(
            version.len() == 14 && version.chars().all(|c| c.is_ascii_digit()),
            "{name}"
        );
        assert!(rest.ends_with(".sql"), "{name}");
    }
}

#[tokio::test]
async fn sqlite_migrations_apply_to_a_new_file_and_again_without_change() {
    let dir = std::env::temp_dir().join(format!("scopewatch-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("m.db");
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url, Duration::ZERO).await.unwrap();
    assert!(path.exists(), "the file is created on first start");
    store.close().await;
    // A second start applies nothing new and keeps working.
    let again = Store::connect(&url, Duration::ZERO).await.unwrap();
    assert_eq!(again.latest(true).await.unwrap(), None);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied as usize, migration_names("sqlite").len());
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn postgres_migrations_apply_to_an_empty_schema_and_again_without_change() {
    let Ok(server) = std::env::var("SCOPEWATCH_TEST_POSTGRES_URL") else {
        eprintln!("skipped on PostgreSQL: SCOPEWATCH_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("swm_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let separator = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{separator}options=-c%20search_path%3D{schema}");
    for _ in 0..2 {
        let store = Store::connect(&url, Duration::ZERO).await.unwrap();
        assert!(store.is_postgres());
        store.close().await;
    }
    let columns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'audits'",
    )
    .bind(&schema)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(columns, 12);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}
