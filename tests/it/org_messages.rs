//! What a deployment of several orgs says outward about one of them: a webhook message links
//! to that org's pages and names it by its configured name, and a refused secret names the
//! org and its entry in the orgs file, not variables that org does not use.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::routing::post;
use scopewatch::app::App;
use scopewatch::config::Settings;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::helpers::*;

/// A receiver that answers 200 and hands over every body it gets.
async fn receiver() -> (String, mpsc::UnboundedReceiver<Value>) {
    let (sender, bodies) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: Bytes| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, bodies)
}

/// `good` (entry 1) and `wrong` (entry 2, a wrong secret), no `SCOPEWATCH_PUBLIC_URL`, a plain
/// JSON webhook; every org audits at start. The server runs until the test ends.
async fn two_orgs(
    webhook: &str,
    sims: &[&scopewatch_sim::RunningSim; 2],
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let entry = |name: &str, sim: &scopewatch_sim::RunningSim, secret_var: &str| {
        format!(
            "[[org]]\nname = \"{name}\"\napi_base_url = \"{0}\"\nlogin_base_url = \"{0}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret_env = \"{secret_var}\"\n\n",
            sim.base_url()
        )
    };
    let dir = std::env::temp_dir().join(format!("scopewatch-org-messages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "orgs-{}.toml",
        sims[0].base_url().replace([':', '/'], "_")
    ));
    std::fs::write(
        &file,
        entry("good", sims[0], "GOOD_SECRET") + &entry("wrong", sims[1], "WRONG_SECRET"),
    )
    .unwrap();
    let env: BTreeMap<String, String> = [
        ("SCOPEWATCH_ORGS_FILE", file.display().to_string()),
        ("GOOD_SECRET", SECRET.to_string()),
        ("WRONG_SECRET", "not-the-secret".to_string()),
        ("SCOPEWATCH_LISTEN", "127.0.0.1:0".to_string()),
        ("SCOPEWATCH_DATABASE_URL", temp_database()),
        ("SCOPEWATCH_WEBHOOK_URL", webhook.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let app = App::build(Settings::load(&env, None).unwrap(), false)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let server = tokio::spawn(app.run_until_stopped(std::future::pending::<()>()));
    (base, server)
}

/// The error of `org`'s first failed audit, waiting (bounded) for it.
async fn first_failure(base: &str, org: &str) -> String {
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::time::Instant::now() < deadline {
        let list: Value = http
            .get(format!("{base}/orgs/{org}/audits"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let failed = list["audits"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["outcome"] == "failure");
        if let Some(a) = failed {
            return a["error"].as_str().unwrap_or_default().to_string();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no failed audit of {org} within 20 s");
}

#[tokio::test]
async fn with_several_orgs_messages_link_under_the_org_and_a_refused_secret_names_its_entry() {
    let good = start_sim(org(12)).await;
    let wrong = start_sim(org(7)).await;
    let (url, mut bodies) = receiver().await;
    let (base, server) = two_orgs(&url, &[&good, &wrong]).await;

    let body = tokio::time::timeout(Duration::from_secs(30), bodies.recv())
        .await
        .expect("a message within 30 s")
        .unwrap();
    assert_eq!(body["org"], "good", "{body}");
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("scopewatch [good]: "),
        "{body}"
    );
    let findings = body["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{body}");
    for f in findings {
        let id = f["client_id"].as_str().unwrap();
        assert_eq!(f["url"], format!("/orgs/good/clients/{id}"), "{f}");
    }

    let error = first_failure(&base, "wrong").await;
    assert!(
        error.contains("check org 'wrong' in SCOPEWATCH_ORGS_FILE ([[org]] entry 2, line 8)"),
        "{error}"
    );
    assert!(!error.contains("GENESYS_OAUTH_CLIENT"), "{error}");
    assert_no_secret(&error);
    server.abort();
}
