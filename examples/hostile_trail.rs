//! The hostile upstream of issue 21 item 1, on 127.0.0.1: an audit trail of 8 services, each
//! answering 12 pages of 500 messages whose property changes are 20 x 20 empty strings (about
//! 1.15 MB a page, inside every documented limit). Reads it with scopewatch's trail reader and
//! prints the peak resident size; exits 1 unless the trail is refused by its 32 MiB bound.
//!
//! cargo run --release --example hostile_trail

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde_json::{Value, json};

use scopewatch::genesys::trail::trail;
use scopewatch::genesys::{ClientConfig, GenesysClient, NoObserver};

const SERVICES: usize = 8;
const PAGES: usize = 12;
const MESSAGES: usize = 500;

#[path = "support/proc_status.rs"]
mod proc_status;
use proc_status::rss_kib;

/// One results page: 500 messages of 20 properties of 20 empty values before and after.
fn page(query: &str, number: usize) -> Value {
    let values = vec![""; 20];
    let changes: Vec<Value> = (0..20)
        .map(|p| json!({"property": format!("p{p}"), "oldValues": values, "newValues": values}))
        .collect();
    let entities: Vec<Value> = (0..MESSAGES)
        .map(|m| {
            json!({
                "id": format!("{query}-{number}-{m}"),
                "eventDate": "2026-11-20T10:00:00Z",
                "action": "Update",
                "entityType": "OAuthClient",
                "propertyChanges": changes,
            })
        })
        .collect();
    let mut body = json!({"pageSize": MESSAGES, "entities": entities});
    if number + 1 < PAGES {
        body["cursor"] = json!((number + 1).to_string());
    }
    body
}

fn upstream() -> Router {
    let queries = Arc::new(AtomicU64::new(0));
    Router::new()
        .route(
            "/oauth/token",
            post(|| async {
                axum::Json(
                    json!({"access_token": "t", "token_type": "bearer", "expires_in": 86400}),
                )
            }),
        )
        .route(
            "/api/v2/audits/query/servicemapping",
            get(|| async {
                let services: Vec<Value> = (0..SERVICES)
                    .map(
                        |s| json!({"name": format!("S{s}"), "entities": [{"name": "OAuthClient"}]}),
                    )
                    .collect();
                axum::Json(json!({ "services": services }))
            }),
        )
        .route(
            "/api/v2/audits/query",
            post(move || {
                let n = queries.fetch_add(1, Ordering::Relaxed);
                async move { axum::Json(json!({"id": format!("q{n}"), "state": "Succeeded"})) }
            }),
        )
        .route(
            "/api/v2/audits/query/{id}/results",
            get(|Path(id): Path<String>, RawQuery(q): RawQuery| async move {
                let number = q
                    .unwrap_or_default()
                    .split('&')
                    .find_map(|p| p.strip_prefix("cursor="))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                axum::Json(page(&id, number))
            }),
        )
}

fn main() -> ExitCode {
    scopewatch::memory::tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(run())
}

async fn run() -> ExitCode {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let server = tokio::spawn(async move { axum::serve(listener, upstream()).await });
    let mut config = ClientConfig::new(
        "hostile".into(),
        SecretString::from("hostile-secret"),
        "mypurecloud.com".into(),
        base.clone(),
        base,
    );
    config.max_requests_per_minute = 100_000;
    let client = GenesysClient::new(config, Arc::new(NoObserver)).expect("a client");
    let before = rss_kib();
    let (sampling, peak) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicU64::new(0)));
    let sampler = {
        let (sampling, peak) = (sampling.clone(), peak.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let now = chrono::Utc::now();
    let read = trail(&client, now - chrono::Duration::days(90), now).await;
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    server.abort();
    let outcome = match &read {
        Ok(events) => format!("read whole: {} events", events.len()),
        Err(e) => format!("refused: {e}"),
    };
    println!(
        "hostile_trail: {SERVICES} services x {PAGES} pages x {MESSAGES} messages; {outcome}; RSS {} MiB before, peak {} MiB",
        before / 1024,
        peak.load(Ordering::Relaxed) / 1024
    );
    match read {
        Err(e) if e.to_string().contains("32 MiB a trail") => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
