//! The holes a hostile test found, each shut and proven: hostile upstream answers, bad
//! configuration, broken databases and output. Names say the promise.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use scopewatch::store::Outcome;

use crate::helpers::*;

/// A fake Genesys Cloud on loopback whose every answer comes from `answer` (the token
/// endpoint included). Returns its base URL and how many requests it got.
async fn hostile_upstream<F>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(&str, &HeaderMap) -> Response + Clone + Send + Sync + 'static,
{
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move |request: Request| {
        let answer = answer.clone();
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            answer(request.uri().path(), request.headers())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hits)
}

fn respond(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn token_ok() -> Response {
    respond(
        StatusCode::OK,
        r#"{"access_token":"tok-123456","token_type":"bearer","expires_in":86400}"#.into(),
    )
}

/// The app pointed at `base` for both login and API.
async fn app_against(base: &str, database: &str) -> TestApp {
    let sim = start_sim(org(2)).await;
    spawn_app_on(
        sim,
        database,
        &[
            ("GENESYS_API_BASE_URL", base),
            ("GENESYS_LOGIN_BASE_URL", base),
        ],
    )
    .await
}

#[tokio::test]
async fn a_huge_expires_in_is_capped_and_audits_keep_running() {
    let mut org = org(10);
    let auditor = org
        .clients
        .iter_mut()
        .find(|c| c.client.id == CLIENT_ID)
        .unwrap();
    auditor.client.access_token_validity_seconds = Some(i64::MAX);
    let app = spawn_app_with(org, &[]).await;
    app.audit().await.expect("the first audit succeeds");
    app.audit().await.expect("and the next one too");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("scopewatch_audit_runs_total{org=\"default\",outcome=\"success\"} 2"));
}

#[tokio::test]
async fn upstream_error_text_is_stored_bounded_without_control_bytes_or_credentials() {
    upstream_error_text_is_stored_bounded(temp_database()).await;
}

/// PostgreSQL refuses NUL in text: the same on a PostgreSQL schema.
#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
async fn upstream_error_text_is_stored_bounded_on_postgres_too() {
    let server = crate::store::postgres_url();
    upstream_error_text_is_stored_bounded(crate::store::postgres_schema_url(&server).await).await;
}

async fn upstream_error_text_is_stored_bounded(database: String) {
    let huge = "x".repeat(5 << 20);
    let (base, _) = hostile_upstream(move |path, headers| {
        if path == "/oauth/token" {
            return token_ok();
        }
        // Echo the caller's Authorization header, NUL and ESC bytes and 5 MB of text.
        let echoed = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let message = format!("bad \u{0}\u{1b}[31m {echoed} {huge}");
        respond(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"message": message, "code": "bad.request", "status": 400})
                .to_string(),
        )
    })
    .await;
    let mut app = app_against(&base, &database).await;
    app.audit().await.unwrap_err();
    assert_eq!(app.auditor.outbox().len(), 0, "the failed audit is stored");
    let listed = json(app.get("/audits").await).await;
    let error = listed["audits"][0]["error"].as_str().unwrap().to_string();
    assert_eq!(listed["audits"][0]["stored"], true);
    assert!(error.chars().count() <= 1_001, "{} chars", error.len());
    assert!(!error.chars().any(char::is_control), "{error:?}");
    assert!(
        !error.contains("tok-123456"),
        "the bearer token was kept: {error}"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn a_login_host_echoing_the_credentials_never_gets_them_into_the_history() {
    let (base, _) = hostile_upstream(|_, headers| {
        let echoed = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        respond(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"error": "invalid_client", "description": format!("refused {echoed}")})
                .to_string(),
        )
    })
    .await;
    let mut app = app_against(&base, &temp_database()).await;
    let err = app.audit().await.unwrap_err().to_string();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"));
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains(&basic) && !err.contains(SECRET), "{err}");
    let listed = app.get("/audits").await.text().await.unwrap();
    assert!(!listed.contains(&basic) && !listed.contains(SECRET));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn redirects_from_the_upstream_are_not_followed() {
    let (elsewhere, elsewhere_hits) =
        hostile_upstream(|_, _| respond(StatusCode::OK, "{\"entities\":[]}".into())).await;
    let (base, _) = hostile_upstream(move |path, _| {
        if path == "/oauth/token" {
            return token_ok();
        }
        Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, format!("{elsewhere}{path}"))
            .body(Body::empty())
            .unwrap()
    })
    .await;
    let mut app = app_against(&base, &temp_database()).await;
    let err = app.audit().await.unwrap_err();
    assert!(err.to_string().contains("302"), "{err}");
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "no request left for the other host"
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_body_fails_the_audit_naming_the_limit_and_keeps_the_last_report() {
    let database = temp_database();
    let mut first = spawn_app_on(start_sim(org(1_500)).await, &database, &[]).await;
    let good = first.audit().await.unwrap().report.audit_id.clone();
    first.stop().await.unwrap();

    let mut app = spawn_app_on(
        start_sim(org(1_500)).await,
        &database,
        &[("SCOPEWATCH_MAX_BODY_MB", "1")],
    )
    .await;
    let err = app.audit().await.unwrap_err();
    assert_eq!(err.metric_label(), "limit");
    assert!(err.to_string().contains("SCOPEWATCH_MAX_BODY_MB"), "{err}");
    assert_eq!(
        json(app.get("/report").await).await["audit_id"],
        good.as_str()
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("scopewatch_audit_failures_total{org=\"default\",reason=\"limit\"} 1")
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn too_many_pages_or_entities_fail_the_audit_naming_the_setting() {
    for (setting, value) in [
        ("SCOPEWATCH_MAX_PAGES", "1"),
        ("SCOPEWATCH_MAX_ENTITIES", "10"),
    ] {
        // 150 roles come in two pages of 100; 30 clients are more than 10 entities.
        let mut org = generated_org(30, 150);
        org.clients[0].client.name = "x".into();
        let mut app = spawn_app_with(org, &[(setting, value)]).await;
        let err = app.audit().await.unwrap_err();
        assert_eq!(err.metric_label(), "limit", "{setting}");
        assert!(err.to_string().contains(setting), "{err}");
        app.stop().await.unwrap();
    }
}

#[tokio::test]
async fn while_an_audit_runs_next_before_leads_to_the_next_page() {
    let app = spawn_app().await;
    app.audit().await.unwrap();
    app.sim.faults().set(scopewatch_sim::FaultConfig {
        latency: std::time::Duration::from_millis(500),
        ..Default::default()
    });
    let started = json(app.post_audit().await).await;
    let running = started["audit_id"].as_str().unwrap().to_string();
    let first = json(app.get("/audits?limit=1").await).await;
    assert_eq!(first["audits"][0]["outcome"], "running");
    assert_eq!(first["next_before"], running.as_str());
    let next = app.get(&format!("/audits?limit=1&before={running}")).await;
    assert_eq!(next.status(), 200);
    assert_eq!(json(next).await["audits"][0]["outcome"], "success");
    app.finished(&running).await;
}

#[tokio::test]
async fn a_corrupted_newest_report_falls_back_to_the_newest_readable_one() {
    let database = temp_database();
    let mut first = spawn_app_on(start_sim(org(10)).await, &database, &[]).await;
    let older = first.audit().await.unwrap().report.audit_id.clone();
    let newest = first.audit().await.unwrap().report.audit_id.clone();
    first.stop().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
    // Cut short: the compressed report no longer inflates.
    let cut: (Vec<u8>,) = sqlx::query_as("SELECT report_gzip FROM audits WHERE audit_id = $1")
        .bind(&newest)
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audits SET report_gzip = $1 WHERE audit_id = $2")
        .bind(&cut.0[..cut.0.len() / 2])
        .bind(&newest)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let mut app = spawn_app_on(start_sim(org(10)).await, &database, &[]).await;
    assert_eq!(
        app.get("/readyz").await.status(),
        200,
        "ready on the older report"
    );
    assert_eq!(
        json(app.get("/report").await).await["audit_id"],
        older.as_str()
    );
    // Refreshing again does not retry the broken row or swap anything.
    assert!(!app.auditor.refresh().await);
    // Asked for by id, the damaged report is a lasting fault, not a database to retry.
    let broken = app.get(&format!("/audits/{newest}")).await;
    assert_eq!(broken.status(), 500);
    let body = json(broken).await;
    assert_eq!(body["code"], "report_unreadable");
    assert!(body["detail"].as_str().unwrap().contains(&newest), "{body}");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_outbox_is_bounded_and_counts_what_it_drops() {
    use std::str::FromStr;

    use chrono::{TimeZone, Utc};
    use scopewatch::metrics::Metrics;
    use scopewatch::outbox::{Outbox, OutboxLimits};
    use scopewatch::store::{AuditRecord, Store};

    // A file with room for nothing more than its schema: every write fails.
    let url = temp_database();
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .pragma("page_size", "4096")
        .pragma("max_page_count", "40");
    let store = Arc::new(Store::connect_sqlite(options).await.unwrap());
    let all = Metrics::new();
    let metrics = all.org("default");
    let limits = OutboxLimits {
        audits: 3,
        report_bytes: 1 << 20,
    };
    let outbox = Outbox::new(store, metrics.clone(), limits);
    let report = bytes::Bytes::from(format!("\"{}\"", "r".repeat(300_000)));
    for minute in 0..6 {
        let mut record = AuditRecord::running(
            &format!("a{minute}"),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
        );
        record.outcome = Outcome::Success;
        record.finished_at = Some(record.started_at);
        assert!(!outbox.write(record, Some(report.clone())).await);
    }
    // 3 audits would be 900 KB, within the bytes; the count bound keeps 3 of 6.
    let waiting: Vec<String> = outbox.waiting().into_iter().map(|r| r.audit_id).collect();
    assert_eq!(waiting, ["a5", "a4", "a3"], "the newest are kept");
    let text = all.render();
    assert!(
        text.contains("scopewatch_store_dropped_writes_total{org=\"default\"} 3"),
        "{text}"
    );
    assert!(text.contains("scopewatch_store_pending_writes{org=\"default\"} 3"));
}

#[tokio::test]
async fn silent_and_trickling_connections_are_closed_and_healthz_keeps_answering() {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let mut app = spawn_app_with(
        org(5),
        &[
            ("SCOPEWATCH_HEADER_TIMEOUT", "300ms"),
            ("SCOPEWATCH_IDLE_TIMEOUT", "1s"),
            ("SCOPEWATCH_MAX_CONNECTIONS", "16"),
        ],
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // Twice the cap of silent connections, and tricklers sending a byte every 100 ms.
    let mut silent = Vec::new();
    for _ in 0..32 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut tricklers = Vec::new();
    for _ in 0..8 {
        let addr = addr.clone();
        tricklers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
                .iter()
                .cycle()
            {
                if s.write_all(&[*b]).await.is_err() {
                    return true; // closed by the server
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }));
    }
    // /healthz still answers: slots free up as the header timeout closes the others.
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("healthz answers while slow clients hold the listener");
    assert_eq!(health.status(), 200);
    // The silent connections were closed by the server (end of stream, not a hang).
    for mut s in silent {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("the server closes a silent connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    for t in tricklers {
        let closed = tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("the server closes a trickling connection")
            .unwrap();
        assert!(closed);
    }
    // A kept-alive connection that goes quiet is closed after the idle timeout.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut seen = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), kept.read_to_end(&mut seen)).await;
    assert!(closed.is_ok(), "an idle keep-alive connection is closed");
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn database_passwords_never_reach_connection_errors() {
    use scopewatch::store::Store;

    for url in [
        "postgres://sw:hunter2-pw@127.0.0.1:1/db",
        "postgres://sw:hunter2-pw@127.0.0.1:99999/db",
        "postgres://sw@127.0.0.1:1/db?password=hunter2-pw",
    ] {
        let err = Store::connect(url, std::time::Duration::ZERO)
            .await
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2-pw"), "{url}: {err}");
        assert!(
            err.contains("cannot connect") || err.contains("database"),
            "{err}"
        );
    }
}

/// `serve` logs where its database is at INFO on every start: never with the password.
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set SCOPEWATCH_TEST_POSTGRES_URL to run on PostgreSQL"
)]
fn a_password_in_the_database_url_query_is_never_logged() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let server = crate::store::postgres_url();
    let separator = if server.contains('?') { '&' } else { '?' };
    let url = format!("{server}{separator}password=hunter2-in-query");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["serve", "--demo"])
        .env_clear()
        .env("SCOPEWATCH_LISTEN", "127.0.0.1:0")
        .env("SCOPEWATCH_DATABASE_URL", &url)
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("serving the report at") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("database ready"), "{seen}");
    assert!(!seen.contains("hunter2-in-query"), "{seen}");
}

#[tokio::test]
async fn requests_hyper_cannot_parse_get_the_json_error_body_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let mut app = spawn_app().await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let long_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    // No blank line ends these headers: hyper's limit on what it buffers is checked only while
    // a head is incomplete, and one read may take in more than the limit (it did when the
    // server read late on a loaded machine), so complete headers could pass.
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}",
        "b".repeat(500_000)
    );
    for (request, status, code) in [
        ("GARBAGE\r\n\r\n".to_string(), "400", "bad_request"),
        (long_uri, "414", "uri_too_long"),
        (huge_header, "431", "headers_too_large"),
    ] {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let _ = s.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            s.read_to_end(&mut answer),
        )
        .await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        assert!(
            answer.contains("content-type: application/json"),
            "{answer}"
        );
        let body: serde_json::Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], code, "{answer}");
    }
    // Our own 400s keep their own bodies.
    let own = app.get("/report?nope=1").await;
    assert_eq!(own.status(), 400);
    assert_eq!(json(own).await["code"], "invalid_parameter");
    app.stop().await.unwrap();
}
