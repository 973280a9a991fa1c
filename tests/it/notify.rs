//! Webhook notifications against local receivers: one that records what it is sent, one that
//! is down (a closed port) and one that accepts and never answers.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::post;
use genesys_api::models::RoleDivision;
use scopewatch::audit::report::Report;
use scopewatch::audit::severity::Severity;
use scopewatch::notify::{Delivery, MAX_CLIENTS, Outcome};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::helpers::*;

/// A fake token in the URL's path: it must never be seen outside the request itself.
const TOKEN: &str = "T0KEN-webhook-9f8e7d6c";

/// A receiver that answers 200 and hands over every body it gets, as text.
struct Recorder {
    url: String,
    bodies: mpsc::UnboundedReceiver<String>,
}

async fn recorder() -> Recorder {
    let (sender, bodies) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hooks/{token}",
        post(move |body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(String::from_utf8_lossy(&body).into_owned());
                "ok"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/{TOKEN}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { url, bodies }
}

/// A receiver that accepts connections and never answers; it counts them.
async fn black_hole() -> (String, watch::Receiver<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/{TOKEN}", listener.local_addr().unwrap());
    let (count, accepted) = watch::channel(0);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
            count.send_replace(held.len());
        }
    });
    (url, accepted)
}

/// A loopback URL where nothing listens, for as long as the returned socket lives: its port
/// stays bound but never listens, so connections are refused and no other test's receiver
/// (bound to port 0 at the same time) can be given the port and answer.
fn closed_port() -> (String, tokio::net::TcpSocket) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (format!("http://{addr}/hooks/{TOKEN}"), socket)
}

fn fast(timeout: Duration, attempts: u32) -> Delivery {
    Delivery {
        timeout,
        attempts,
        backoff: Duration::from_millis(10),
        queue: 16,
    }
}

async fn app_with(org: scopewatch_sim::Org, extra: &[(&str, &str)], delivery: Delivery) -> TestApp {
    spawn_app_adjusted(start_sim(org).await, &temp_database(), extra, move |app| {
        app.with_webhook_delivery(delivery)
    })
    .await
}

/// What became of the audit's message (`None`: nothing was sent), within 30 s.
async fn handled(app: &TestApp, audit_id: &str) -> Option<Outcome> {
    let mut handled = app.webhook.clone().expect("a webhook is configured");
    let seen = tokio::time::timeout(
        Duration::from_secs(30),
        handled.wait_for(|h| h.as_ref().is_some_and(|h| h.audit_id == audit_id)),
    )
    .await
    .expect("the notifier deals with the audit within 30 s")
    .expect("the notifier lives");
    seen.clone().unwrap().outcome
}

/// The next body the recorder got, parsed (it must be JSON).
async fn next_body(recorder: &mut Recorder) -> Value {
    let text = tokio::time::timeout(Duration::from_secs(30), recorder.bodies.recv())
        .await
        .expect("a message within 30 s")
        .unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `(client_id, rule_id)` of the findings the report has to announce at HIGH and above.
fn announced(report: &Report) -> (Vec<(String, String)>, usize) {
    let clients: Vec<Vec<(String, String)>> = report
        .clients
        .iter()
        .map(|c| {
            c.findings
                .iter()
                .filter(|f| !f.suppressed && f.severity >= Severity::High)
                .filter(|f| f.first_seen == report.generated_at)
                .map(|f| (c.client_id.clone(), f.rule_id.to_string()))
                .collect::<Vec<_>>()
        })
        .filter(|f| !f.is_empty())
        .collect();
    let more = clients.len().saturating_sub(MAX_CLIENTS);
    let listed = clients.into_iter().take(MAX_CLIENTS).flatten().collect();
    (listed, more)
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn an_audit_with_new_findings_sends_one_message_and_the_same_org_audited_again_sends_none() {
    let mut recorder = recorder().await;
    let url = recorder.url.clone();
    let app = app_with(
        org(80),
        &[("SCOPEWATCH_WEBHOOK_URL", &url)],
        fast(Duration::from_secs(5), 3),
    )
    .await;

    let first = app.audit().await.unwrap();
    let report = &first.report;
    assert_eq!(handled(&app, &report.audit_id).await, Some(Outcome::Sent));
    let body = next_body(&mut recorder).await;
    assert_eq!(body["audit_id"], report.audit_id.as_str());
    assert_eq!(body["min_severity"], "HIGH");
    let (expected, more) = announced(report);
    assert!(!expected.is_empty(), "the test org has high-risk clients");
    let findings = body["findings"].as_array().unwrap();
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["client_id"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect::<BTreeSet<_>>()
    );
    assert_eq!(body["more_clients"], more);
    for f in findings {
        let id = f["client_id"].as_str().unwrap();
        let client = report.clients.iter().find(|c| c.client_id == id).unwrap();
        assert_eq!(f["client_name"], client.client_name.as_str());
        assert!(
            matches!(f["severity"].as_str(), Some("CRITICAL" | "HIGH")),
            "{f}"
        );
        assert!(!f["title"].as_str().unwrap().is_empty());
        // Without SCOPEWATCH_PUBLIC_URL a link is the page's path on this service.
        assert_eq!(f["url"], format!("/clients/{id}"));
    }

    let second = app.audit().await.unwrap();
    assert_eq!(handled(&app, &second.report.audit_id).await, None);
    assert!(
        recorder.bodies.try_recv().is_err(),
        "a second message for an audit with nothing new"
    );
    let text = metrics(&app).await;
    assert!(
        text.contains("scopewatch_webhook_deliveries_total{org=\"default\",outcome=\"sent\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn after_a_restart_only_the_client_that_became_risky_is_announced_with_a_public_link() {
    let mut recorder = recorder().await;
    let url = recorder.url.clone();
    let database = temp_database();
    let before = org(20);
    let env = [
        ("SCOPEWATCH_WEBHOOK_URL", url.as_str()),
        ("SCOPEWATCH_PUBLIC_URL", "https://sw.example/base/"),
    ];
    let delivery = fast(Duration::from_secs(5), 3);
    let mut first = spawn_app_adjusted(start_sim(before.clone()).await, &database, &env, |app| {
        app.with_webhook_delivery(delivery)
    })
    .await;
    let audit = first.audit().await.unwrap();
    assert_eq!(
        handled(&first, &audit.report.audit_id).await,
        Some(Outcome::Sent)
    );
    next_body(&mut recorder).await;
    first.stop().await.unwrap();

    let mut after = before.clone();
    let master = after
        .roles
        .iter()
        .find(|r| r.name == "Master Admin")
        .unwrap()
        .id
        .clone();
    let mut added = after.clients[3].clone();
    added.client.id = "added-client".into();
    added.client.name = "Added integration".into();
    added.client.authorized_grant_type = "CLIENT-CREDENTIALS".into();
    added.client.role_divisions = Some(vec![RoleDivision {
        role_id: master,
        division_id: Some("*".into()),
    }]);
    after.clients.push(added);
    let mut second = spawn_app_adjusted(start_sim(after).await, &database, &env, |app| {
        app.with_webhook_delivery(delivery)
    })
    .await;
    let audit = second.audit().await.unwrap();
    assert_eq!(
        handled(&second, &audit.report.audit_id).await,
        Some(Outcome::Sent)
    );
    let body = next_body(&mut recorder).await;
    let findings = body["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule_id"] == "admin-role"),
        "{body}"
    );
    for f in findings {
        assert_eq!(f["client_id"], "added-client", "{body}");
        assert_eq!(f["client_name"], "Added integration");
        assert_eq!(f["url"], "https://sw.example/base/clients/added-client");
    }
    second.stop().await.unwrap();
}

#[tokio::test]
async fn slack_and_teams_messages_are_well_formed() {
    for format in ["slack", "teams"] {
        let mut recorder = recorder().await;
        let url = recorder.url.clone();
        let app = app_with(
            org(40),
            &[
                ("SCOPEWATCH_WEBHOOK_URL", &url),
                ("SCOPEWATCH_WEBHOOK_FORMAT", format),
                ("SCOPEWATCH_WEBHOOK_MIN_SEVERITY", "medium"),
                ("SCOPEWATCH_PUBLIC_URL", "https://sw.example"),
            ],
            fast(Duration::from_secs(5), 3),
        )
        .await;
        let audit = app.audit().await.unwrap();
        assert_eq!(
            handled(&app, &audit.report.audit_id).await,
            Some(Outcome::Sent)
        );
        let body = next_body(&mut recorder).await;
        let risky = audit
            .report
            .clients
            .iter()
            .find(|c| c.findings.iter().any(|f| f.severity >= Severity::Medium))
            .unwrap();
        let link = format!("https://sw.example/clients/{}", risky.client_id);
        if format == "slack" {
            assert!(!body["text"].as_str().unwrap().is_empty(), "{body}");
            let blocks = body["blocks"].as_array().unwrap();
            assert!(
                // The summary, the plan ("Fix first"), the clients, "and N more".
                blocks.len() >= 3 && blocks.len() <= 3 + MAX_CLIENTS,
                "{body}"
            );
            for block in blocks {
                match block["type"].as_str() {
                    Some("section") => {
                        assert_eq!(block["text"]["type"], "mrkdwn");
                        let text = block["text"]["text"].as_str().unwrap();
                        assert!(!text.is_empty() && text.chars().count() <= 3000);
                    }
                    Some("context") => assert_eq!(block["elements"][0]["type"], "mrkdwn"),
                    other => panic!("unexpected block {other:?}: {body}"),
                }
            }
            let plan = blocks[1]["text"]["text"].as_str().unwrap();
            assert!(plan.starts_with("*Fix first*\n• "), "{plan}");
            assert!(
                blocks[2]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("<{link}|"))
            );
        } else {
            assert_eq!(body["type"], "message");
            let attachment = &body["attachments"][0];
            assert_eq!(
                attachment["contentType"],
                "application/vnd.microsoft.card.adaptive"
            );
            let card = &attachment["content"];
            assert_eq!(card["type"], "AdaptiveCard");
            assert_eq!(card["version"], "1.4");
            let items = card["body"].as_array().unwrap();
            assert_eq!(items[0]["type"], "TextBlock");
            assert_eq!(items[1]["text"], "**Fix first**");
            let first = items
                .iter()
                .find(|i| i["type"] == "Container")
                .expect("a client container after the plan");
            assert_eq!(first["items"][1]["type"], "FactSet");
            assert!(
                first["items"][0]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("]({link})"))
            );
        }
        assert!(!body.to_string().contains(TOKEN));
        assert!(!body.to_string().contains(SECRET));
    }
}

/// Log lines written while it is held (this thread: the test's runtime runs every task).
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .finish();
        (Logs(buffer), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_receiver_that_is_down_delays_nothing_and_the_message_is_retried_then_counted_as_failed()
{
    let (logs, _guard) = Logs::capture();
    let (url, _closed) = closed_port();
    let app = app_with(
        org(40),
        &[("SCOPEWATCH_WEBHOOK_URL", &url)],
        fast(Duration::from_secs(20), 3),
    )
    .await;
    let audit = tokio::time::timeout(Duration::from_secs(5), app.audit())
        .await
        .expect("the audit ends well within the webhook's timeout")
        .unwrap();
    assert_eq!(
        handled(&app, &audit.report.audit_id).await,
        Some(Outcome::Failed)
    );
    let text = metrics(&app).await;
    assert!(
        text.contains("scopewatch_webhook_deliveries_total{org=\"default\",outcome=\"failed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("scopewatch_webhook_deliveries_total{org=\"default\",outcome=\"sent\"} 0")
    );
    assert!(
        text.contains("scopewatch_webhook_retries_total{org=\"default\"} 2"),
        "{text}"
    );
    assert!(!text.contains(TOKEN));
    let logged = logs.text();
    assert_eq!(
        logged.matches("webhook attempt failed; retrying").count(),
        2,
        "{logged}"
    );
    assert!(logged.contains("webhook message dropped"), "{logged}");
    assert!(
        !logged.contains(TOKEN),
        "the webhook URL reached the logs: {logged}"
    );
}

/// Longer than any test: a message on the black hole is in flight for the whole test.
const HANGS: Duration = Duration::from_secs(600);

#[tokio::test]
async fn a_receiver_that_hangs_delays_neither_audits_nor_requests() {
    let (url, mut accepted) = black_hole().await;
    let app = app_with(org(40), &[("SCOPEWATCH_WEBHOOK_URL", &url)], fast(HANGS, 1)).await;
    let first = app.audit().await.unwrap();
    // The first message is now stuck on a receiver that never answers.
    tokio::time::timeout(Duration::from_secs(30), accepted.wait_for(|n| *n >= 1))
        .await
        .expect("the notifier connects")
        .unwrap();
    // Bounds far below the message's 600 s: waiting for it would break them, a loaded
    // machine would not.
    let second = tokio::time::timeout(Duration::from_secs(60), app.audit())
        .await
        .expect("an audit ends while a message hangs")
        .unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), app.get("/report"))
        .await
        .expect("a request is answered while a message hangs");
    assert_eq!(report.status(), 200);
    assert_eq!(handled(&app, &second.report.audit_id).await, None);
    let now = app.webhook.as_ref().unwrap().borrow().clone();
    assert!(
        now.as_ref()
            .is_none_or(|h| h.audit_id != first.report.audit_id),
        "the first message is still in flight: {now:?}"
    );
    assert_eq!(*accepted.borrow(), 1, "one attempt, still waiting");
}

#[tokio::test]
async fn a_message_to_a_receiver_that_hangs_is_dropped_after_its_retries() {
    let (logs, _guard) = Logs::capture();
    let (url, mut accepted) = black_hole().await;
    let app = app_with(
        org(40),
        &[("SCOPEWATCH_WEBHOOK_URL", &url)],
        fast(Duration::from_millis(200), 2),
    )
    .await;
    let audit = app.audit().await.unwrap();
    assert_eq!(
        handled(&app, &audit.report.audit_id).await,
        Some(Outcome::Failed)
    );
    tokio::time::timeout(Duration::from_secs(30), accepted.wait_for(|n| *n >= 2))
        .await
        .expect("a connection per attempt")
        .unwrap();
    assert_eq!(*accepted.borrow(), 2, "one connection per attempt");
    let text = metrics(&app).await;
    assert!(
        text.contains("scopewatch_webhook_deliveries_total{org=\"default\",outcome=\"failed\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("scopewatch_webhook_retries_total{org=\"default\"} 1"),
        "{text}"
    );
    let logged = logs.text();
    assert!(logged.contains("no answer within 200ms"), "{logged}");
    assert!(
        !logged.contains(TOKEN),
        "the webhook URL reached the logs: {logged}"
    );
}
