//! Migrations: both backends keep the same history, every migration applies to an empty
//! database, applying again changes nothing, and the schema is what the store expects.

use std::collections::BTreeSet;
use std::time::Duration;

use scopewatch::store::{Outcome, Store};

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

/// A new, empty schema on the server: an admin pool and the URL whose connections use it.
async fn empty_schema(server: &str, schema: &str) -> (sqlx::PgPool, String) {
    let admin = sqlx::PgPool::connect(server).await.unwrap();
    for statement in [
        format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
    let separator = if server.contains('?') { '&' } else { '?' };
    (
        admin,
        format!("{server}{separator}options=-c%20search_path%3D{schema}"),
    )
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn postgres_migrations_apply_to_an_empty_schema_and_again_without_change() {
    let server = crate::store::postgres_url();
    let schema = format!("swm_{}", std::process::id());
    let (admin, url) = empty_schema(&server, &schema).await;
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
    assert_eq!(columns, 15);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}

/// The audits a database holds, as the previous version wrote them: id, outcome, report.
type StoredAudit = (String, String, Option<String>);

const SELECT_AUDITS: &str = "SELECT audit_id, outcome, report FROM audits ORDER BY audit_id";

/// A SQLite file written by the version before orgs (two audits of a small simulated org by
/// `scopewatch serve` at commit f534e29, and its live permission catalog), gzipped.
fn previous_schema_file() -> std::path::PathBuf {
    use std::io::Read;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schema-20261126.db.gz");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let url = crate::helpers::temp_database();
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite://"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn a_sqlite_file_of_the_previous_schema_upgrades_keeping_every_audit_as_the_default_org() {
    let path = previous_schema_file();
    let url = format!("sqlite://{}", path.display());
    let before: Vec<StoredAudit> = {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let rows = sqlx::query_as(SELECT_AUDITS)
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    };
    assert_eq!(before.len(), 2, "the fixture holds two audits");
    let store = Store::connect(&url, Duration::ZERO).await.unwrap();
    assert_eq!(store.org(), "default");
    for (id, outcome, report) in &before {
        let audit = store.get(id).await.unwrap().expect("the audit is kept");
        let expected = match outcome.as_str() {
            "success" => Outcome::Success,
            _ => Outcome::Failure,
        };
        assert_eq!(audit.outcome, expected);
        assert_eq!(audit.replica, None, "which replica ran it is not known");
        assert_eq!(store.report_json(id).await.unwrap(), *report);
    }
    let newest = store.latest(true).await.unwrap().unwrap();
    assert_eq!(newest.audit_id, before[1].0);
    assert!(
        store.permission_catalog().await.unwrap().is_some(),
        "the live catalog is kept for the default org"
    );
    let other = store.for_org("emea");
    assert_eq!(other.latest(false).await.unwrap(), None);
    assert_eq!(other.permission_catalog().await.unwrap(), None);
    store.close().await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn a_postgres_schema_of_the_previous_migrations_upgrades_keeping_every_audit() {
    let server = crate::store::postgres_url();
    // The previous version's audits, from the SQLite fixture.
    let previous =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", previous_schema_file().display()))
            .await
            .unwrap();
    let columns = "audit_id, started_at_ms, finished_at_ms, outcome, error, total_clients, high_risk_count, findings, new_findings, resolved_findings, policy_sha256, report";
    type Row = (
        String,
        i64,
        i64,
        String,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {columns} FROM audits"))
        .fetch_all(&previous)
        .await
        .unwrap();
    previous.close().await;
    let schema = format!("swu_{}", std::process::id());
    let (admin, url) = empty_schema(&server, &schema).await;
    // The migrations the previous version had, applied as it applied them.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version < 20261127000000)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    assert_eq!(migrator.migrations.len(), 2);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    migrator.run(&pool).await.unwrap();
    for row in &rows {
        sqlx::query(&format!(
            "INSERT INTO audits ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&row.0).bind(row.1).bind(row.2).bind(&row.3).bind(&row.4).bind(row.5)
        .bind(row.6).bind(row.7).bind(row.8).bind(row.9).bind(&row.10).bind(&row.11)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    let store = Store::connect(&url, Duration::ZERO).await.unwrap();
    for row in &rows {
        let audit = store.get(&row.0).await.unwrap().expect("the audit is kept");
        assert_eq!(audit.started_at.timestamp_millis(), row.1);
        assert_eq!(store.report_json(&row.0).await.unwrap(), row.11);
    }
    assert_eq!(store.for_org("emea").latest(false).await.unwrap(), None);
    store.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}

/// The fixture's reports are version 1 (each finding carried its rule's title and
/// remediation): history reads them as version 2, its catalog made from those texts, and a
/// diff between them still matches findings by fingerprint.
#[tokio::test]
async fn stored_version_one_reports_read_as_version_two_and_diff() {
    let path = previous_schema_file();
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url, Duration::ZERO).await.unwrap();
    let mut listed = store.list(2, None).await.unwrap().unwrap();
    listed.reverse();
    assert_eq!(listed.len(), 2, "the fixture holds two audits");
    let mut reports = Vec::new();
    for audit in &listed {
        let id = &audit.audit_id;
        let json = store.report_json(id).await.unwrap().unwrap();
        let stored: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(stored.get("report_version").is_none(), "a version-1 report");
        let report = scopewatch::audit::catalog::read_stored(&json).unwrap();
        assert_eq!(report.report_version, 2);
        // Every rule a stored finding named is in the catalog, with the texts it stored.
        for f in stored["clients"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["findings"].as_array().unwrap())
        {
            let rule = report
                .rule(f["rule_id"].as_str().unwrap())
                .expect("in the catalog");
            assert_eq!(rule.title, f["title"].as_str().unwrap());
            assert_eq!(rule.remediation, f["remediation"].as_str().unwrap());
            assert!(!rule.compliance.tags().is_empty(), "today's mapping added");
        }
        assert!(!report.rules.is_empty());
        // Read back as version 2, it serializes with the catalog and no texts in findings.
        let again: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(again["report_version"], 2);
        assert!(again["clients"][0]["findings"][0].get("title").is_none());
        reports.push(report);
    }
    let diff = scopewatch::audit::diff::diff(&reports[1], &reports[0]);
    let findings = |r: &scopewatch::audit::report::Report| {
        r.clients.iter().map(|c| c.findings.len()).sum::<usize>()
    };
    assert_eq!(
        diff.counts.new + diff.counts.unchanged,
        findings(&reports[1])
    );
    assert_eq!(
        diff.counts.resolved + diff.counts.unchanged,
        findings(&reports[0])
    );
    assert!(diff.counts.unchanged > 0, "the two audits share findings");
    store.close().await;
}
