//! The memory budget (issue 21 items 1-5): what an audit keeps from the upstream, and what
//! requests for stored reports may take.

use crate::helpers::*;

#[tokio::test]
async fn a_listing_over_the_entity_limit_stops_reading_pages_as_they_arrive() {
    // 3 000 roles come in 30 pages of 100 (the first page says so); the limit is passed on
    // the second page, and the pages after it are never all read.
    let mut app = spawn_app_with(
        generated_org(5, 3_000),
        &[("SCOPEWATCH_MAX_ENTITIES", "150")],
    )
    .await;
    let err = app.audit().await.unwrap_err();
    assert!(err.to_string().contains("SCOPEWATCH_MAX_ENTITIES"), "{err}");
    let read = app
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v2/authorization/roles")
        .count();
    assert!(
        read <= 8,
        "{read} of 30 pages read before the limit was checked"
    );
    app.stop().await.unwrap();
}

/// Replaces the stored report of `audit_id` with `gzip`.
async fn store_row(database: &str, audit_id: &str, gzip: &[u8]) {
    let pool = sqlx::SqlitePool::connect(database).await.unwrap();
    sqlx::query("UPDATE audits SET report_gzip = $1 WHERE audit_id = $2")
        .bind(gzip)
        .bind(audit_id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// 16 MiB of spaces compressed to about a thousandth (a real bomb is larger; it is refused at
/// the same point, 250 times its stored size).
fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..16 {
        e.write_all(&spaces).unwrap();
    }
    e.finish().unwrap()
}

#[tokio::test]
async fn stored_reports_are_checked_once_within_a_bound_and_served_as_stored() {
    use std::time::{Duration, Instant};

    let database = temp_database();
    let mut app = spawn_app_on(start_sim(org(5)).await, &database, &[]).await;
    let good = app.audit().await.unwrap().report.audit_id.clone();
    let bomb = app.audit().await.unwrap().report.audit_id.clone();
    let html = app.audit().await.unwrap().report.audit_id.clone();
    let bomb_gzip = gzip_bomb();
    assert!(bomb_gzip.len() < 64 << 10, "{} bytes", bomb_gzip.len());
    store_row(&database, &bomb, &bomb_gzip).await;
    store_row(
        &database,
        &html,
        &crate::store::gzip_report("<html>not a report</html>"),
    )
    .await;

    // A gzip bomb is an error, quickly, and so is a row that is not JSON: never 200.
    for id in [&bomb, &html] {
        let started = Instant::now();
        let answer = app.get(&format!("/audits/{id}")).await;
        assert_eq!(answer.status(), 500, "{id}");
        assert_eq!(json(answer).await["code"], "report_unreadable");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        let diff = app.get(&format!("/audits/{good}/diff?against={id}")).await;
        assert_eq!(diff.status(), 500, "a diff against it: {id}");
    }
    // The verdict is kept per audit: the row is not inflated again (were it, it would now
    // read as the good report written back here).
    let good_gzip: (Vec<u8>,) = {
        let pool = sqlx::SqlitePool::connect(&database).await.unwrap();
        let row = sqlx::query_as("SELECT report_gzip FROM audits WHERE audit_id = $1")
            .bind(&good)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        row
    };
    store_row(&database, &bomb, &good_gzip.0).await;
    assert_eq!(app.get(&format!("/audits/{bomb}")).await.status(), 500);

    // A client that takes gzip gets the stored bytes as they are.
    let zipped = app
        .get_with(&format!("/audits/{good}"), &[("Accept-Encoding", "gzip")])
        .await;
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(zipped.headers()["content-type"], "application/json");
    assert_eq!(
        zipped.bytes().await.unwrap().as_ref(),
        good_gzip.0.as_slice()
    );
    // Others get it inflated, of the length announced.
    let plain = app.get(&format!("/audits/{good}")).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let len: usize = plain.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = plain.bytes().await.unwrap();
    assert_eq!(body.len(), len);
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(report["audit_id"], good.as_str());
    app.stop().await.unwrap();
}

#[tokio::test]
async fn expensive_requests_past_the_limit_answer_503_with_retry_after_and_healthz_answers() {
    use std::time::{Duration, Instant};

    let mut app = spawn_app_with(generated_org(600, 40), &[]).await;
    app.audit().await.unwrap();
    let first = app.audit().await.unwrap().report.audit_id.clone();
    let diffs: Vec<_> = (0..96)
        .map(|_| {
            let request = app.http.get(format!("{}/audits/{first}/diff", app.base));
            tokio::spawn(async move { request.send().await.unwrap() })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        let health = app
            .http
            .get(format!("{}/healthz", app.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("healthz answers during the flood");
        assert_eq!(health.status(), 200);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(slowest < Duration::from_secs(3), "healthz took {slowest:?}");
    let (mut served, mut busy) = (0, 0);
    for d in diffs {
        let answer = d.await.unwrap();
        match answer.status().as_u16() {
            200 => served += 1,
            503 => {
                assert_eq!(answer.headers()["retry-after"], "2");
                assert_eq!(json(answer).await["code"], "busy");
                busy += 1;
            }
            other => panic!("a diff answered {other}"),
        }
    }
    assert!(served >= 4, "{served} served");
    assert!(busy > 0, "96 diffs at once, none refused");
    app.stop().await.unwrap();
}

/// Connects with a small receive buffer, asks `path` and reads nothing: a slow reader.
async fn slow_reader(addr: &str, path: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr.parse().unwrap()).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    stream
}

#[test]
fn slow_readers_of_the_plain_report_hold_no_blocking_thread() {
    use std::time::Duration;

    // A blocking pool of 4 threads: were each slow reader to hold one, the CSV view (built on
    // that pool) could never be built.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // 4 000 clients: a report past 6 MiB (the compact report is 1.8 KB a client here).
        let mut app = spawn_app_with(generated_org(4_000, 40), &[]).await;
        let report = app.audit().await.unwrap();
        assert!(report.json.len > 6 << 20, "{} bytes", report.json.len);
        let addr = app.base.trim_start_matches("http://").to_string();
        let mut slow = Vec::new();
        for _ in 0..12 {
            slow.push(slow_reader(&addr, "/report").await);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let csv = tokio::time::timeout(Duration::from_secs(20), async {
            let answer = app.get("/report?format=csv").await;
            assert_eq!(answer.status(), 200);
            answer.bytes().await.unwrap()
        })
        .await
        .expect("the CSV view is built while 12 slow readers wait");
        assert!(csv.starts_with(b"client_id,"), "the CSV view, not an error");
        drop(slow);
        app.stop().await.unwrap();
    });
}

#[tokio::test]
async fn slow_readers_holding_every_connection_slot_leave_room_for_healthz() {
    use std::time::Duration;

    let mut app = spawn_app_with(
        org(5),
        &[
            ("SCOPEWATCH_MAX_CONNECTIONS", "16"),
            ("SCOPEWATCH_IDLE_TIMEOUT", "60s"),
        ],
    )
    .await;
    app.audit().await.unwrap();
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..32 {
        slow.push(slow_reader(&addr, "/report").await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..3 {
        let health = app
            .http
            .get(format!("{}/healthz", app.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("healthz answers while slow readers hold every slot");
        assert_eq!(health.status(), 200);
    }
    drop(slow);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_outbox_bound_holds_for_all_the_orgs_of_the_process() {
    use std::str::FromStr;
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use scopewatch::metrics::Metrics;
    use scopewatch::outbox::{Outbox, OutboxLimits, OutboxQueue};
    use scopewatch::store::{AuditRecord, Outcome, Store};

    // A file with room for nothing more than its schema: every write fails.
    let url = temp_database();
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .pragma("page_size", "4096")
        .pragma("max_page_count", "40");
    let store = Arc::new(Store::connect_sqlite(options).await.unwrap());
    let all = Metrics::new();
    let queue = OutboxQueue::new(OutboxLimits {
        audits: 4,
        report_bytes: 64 << 20,
    });
    let outboxes: Vec<Outbox> = ["a", "b", "c"]
        .iter()
        .map(|org| Outbox::sharing(Arc::new(store.for_org(org)), all.org(org), queue.clone()))
        .collect();
    let report = bytes::Bytes::from(format!("\"{}\"", "r".repeat(300_000)));
    for minute in 0..4 {
        for (n, outbox) in outboxes.iter().enumerate() {
            let mut record = AuditRecord::running(
                &format!("o{n}-{minute}"),
                Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
            );
            record.outcome = Outcome::Success;
            record.finished_at = Some(record.started_at);
            assert!(!outbox.write(record, Some(report.clone())).await);
        }
    }
    let waiting: usize = outboxes.iter().map(Outbox::len).sum();
    assert_eq!(waiting, 4, "one bound for the three orgs, not three");
    let newest: Vec<String> = outboxes
        .iter()
        .flat_map(|o| o.waiting())
        .map(|r| r.audit_id)
        .collect();
    assert!(newest.contains(&"o2-3".to_string()), "{newest:?}");
    let text = all.render();
    assert!(
        text.contains("scopewatch_store_dropped_writes_total{org=\"a\"} 3"),
        "{text}"
    );
}
