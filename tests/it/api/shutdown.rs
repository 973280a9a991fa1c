use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::*;

#[tokio::test]
async fn shutdown_finishes_promptly_even_with_an_idle_keep_alive_connection() {
    let mut app = spawn_app().await;
    app.audit().await.unwrap();
    // An idle keep-alive connection that has served one request.
    let mut idle = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let began = Instant::now();
    app.stop().await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    assert!(
        TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .is_err(),
        "still accepting"
    );
}

#[tokio::test]
async fn shutdown_abandons_a_running_audit() {
    let mut app = spawn_app().await;
    app.sim.faults().set(scopewatch_sim::FaultConfig {
        latency: Duration::from_secs(30),
        ..Default::default()
    });
    let started = app.post_audit().await;
    assert_eq!(started.status(), 202);
    let id = json(started).await["audit_id"]
        .as_str()
        .unwrap()
        .to_string();
    let began = Instant::now();
    app.stop().await.unwrap();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    // Nothing half-written: the abandoned audit left no row.
    let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audits WHERE audit_id = $1")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
