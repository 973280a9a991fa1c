//! `scopewatch serve` as a process: bad configuration, the demo serving a report, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const API_TOKEN: &str = "serve-test-api-token-0987";

#[test]
fn serve_without_credentials_is_one_line_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .arg("serve")
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("GENESYS_OAUTH_CLIENT_ID"), "{err}");
}

#[test]
fn serve_demo_serves_a_report_and_exits_0_on_sigterm() {
    let db = std::env::temp_dir().join(format!("scopewatch-serve-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let mut child = Command::new(env!("CARGO_BIN_EXE_scopewatch"))
        .args(["serve", "--demo"])
        .env_clear()
        .env("SCOPEWATCH_LISTEN", "127.0.0.1:0")
        .env("SCOPEWATCH_LOG_FORMAT", "json")
        .env("RUST_LOG", "trace")
        .env("SCOPEWATCH_API_TOKEN", API_TOKEN)
        .env(
            "SCOPEWATCH_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let base = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server announces its address");
        if let Some(rest) = line.split("serving the report at ").nth(1) {
            break rest.split("/report").next().unwrap().to_string();
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report: serde_json::Value = runtime.block_on(async {
        let began = Instant::now();
        loop {
            let r = reqwest::Client::new()
                .get(format!("{base}/report"))
                .bearer_auth(API_TOKEN)
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                break r.json().await.unwrap();
            }
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "no report within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    assert_eq!(report["summary"]["total_clients"], 301);
    // The demo org has no IP allowlist: an org-level finding, shown on the HTML page too.
    let org_rules: Vec<&str> = report["organization_findings"]
        .as_array()
        .expect("organization_findings")
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(org_rules, vec!["org-no-ip-allowlist"]);
    assert_eq!(
        report["summary"]["findings_by_rule"]["org-no-ip-allowlist"],
        1
    );
    // The demo org's third-party apps: every authorization listed, the broad ones HIGH, the one
    // that never called MEDIUM, the revoked and requested ones without findings.
    let apps = report["third_party_apps"]
        .as_array()
        .expect("third_party_apps");
    assert_eq!(apps.len(), 5, "{apps:?}");
    let judged = |name: &str| {
        let app = apps
            .iter()
            .find(|a| a["client_name"] == name)
            .unwrap_or_else(|| panic!("{name} in {apps:?}"));
        (
            app["state"].as_str().unwrap().to_string(),
            app["risk_level"].as_str().unwrap().to_string(),
            app["findings"].as_array().unwrap().len(),
        )
    };
    assert_eq!(
        judged("Acme CRM Connector"),
        ("Authorized".into(), "HIGH".into(), 1)
    );
    assert_eq!(
        judged("Partner WFM Sync"),
        ("Authorized".into(), "HIGH".into(), 1)
    );
    assert_eq!(
        judged("Survey Vendor"),
        ("Authorized".into(), "MEDIUM".into(), 1)
    );
    assert_eq!(
        judged("Legacy Recorder"),
        ("Revoked".into(), "NONE".into(), 0)
    );
    assert_eq!(
        judged("Chat Bot Trial"),
        ("Requested".into(), "NONE".into(), 0)
    );
    let acme = &apps[0]["findings"][0]["evidence"];
    assert!(
        acme.as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("admin role 'Master Admin'")),
        "{acme}"
    );
    assert_eq!(
        report["summary"]["findings_by_rule"]["third-party-app-access"],
        3
    );
    // Old secrets never regenerated: stale-client-secret, with the evidence it used, and an
    // action to regenerate them.
    let stale: Vec<&serde_json::Value> = report["clients"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["findings"].as_array().into_iter().flatten())
        .filter(|f| f["rule_id"] == "stale-client-secret")
        .collect();
    assert!(stale.len() > 10, "{} stale secrets", stale.len());
    assert!(
        stale.iter().all(|f| f["evidence"][0]
            .as_str()
            .unwrap()
            .starts_with("dateCreated ")
            || f["evidence"][0]
                .as_str()
                .unwrap()
                .starts_with("secret regenerated ")),
        "{stale:?}"
    );
    assert!(
        report["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "regenerate-secrets")
    );
    // ... and the trail shows regenerations of others, which age their secret from then.
    let regenerated = report["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|ch| ch["action"] == "Rotate" || ch["action"] == "Reset")
        })
        .count();
    assert!(regenerated > 0, "no secret regeneration in the demo trail");
    // The demo's action plan: non-empty, ranked by risk removed, served at /actions, and first
    // on the HTML page.
    let actions = report["actions"].as_array().expect("actions");
    assert!(actions.len() >= 3, "{actions:?}");
    let risks: Vec<u64> = actions
        .iter()
        .map(|a| a["risk_removed"].as_u64().unwrap())
        .collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
    let (served, page) = runtime.block_on(async {
        let get = |path: &str, accept: &str| {
            reqwest::Client::new()
                .get(format!("{base}{path}"))
                .bearer_auth(API_TOKEN)
                .header("Accept", accept)
                .send()
        };
        let served: serde_json::Value = get("/actions", "application/json")
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = get("/report", "text/html")
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (served, page)
    });
    assert_eq!(&served["actions"], &report["actions"]);
    let body = page.split("<body>").nth(1).unwrap();
    let first_heading = body.split("<h2>").nth(1).unwrap();
    assert!(first_heading.starts_with("Fix first"), "{body}");
    assert!(body.contains("id=\"organization-findings\""), "{body}");
    assert!(body.contains("id=\"third-party-apps\""), "{body}");
    let healthcheck = |base: &str| {
        Command::new(env!("CARGO_BIN_EXE_scopewatch"))
            .args(["healthcheck", "--url", &format!("{base}/healthz")])
            .status()
            .unwrap()
            .code()
    };
    assert_eq!(healthcheck(&base), Some(0));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        healthcheck(&base),
        Some(3),
        "nothing answers after shutdown"
    );
    let logs: Vec<String> = rx.try_iter().collect();
    assert!(logs.iter().any(|l| l.contains("shutting down")), "{logs:?}");
    // Traced at the most talkative level, yet no secret reached the logs.
    assert!(
        logs.iter().any(|l| l.contains("/report")),
        "requests are traced"
    );
    assert!(
        !logs.iter().any(|l| l.contains(API_TOKEN)),
        "the API token leaked into the logs"
    );
}
